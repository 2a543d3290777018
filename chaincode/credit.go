package chaincode

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/eduledger/eduledger"
)

// The credit bank (学分银行): one account per learner; entries of credits deposited from learning
// outcomes under conversion rules or recognised by an institution under recognition rules; and
// redemptions toward qualifications.
//
// Concurrency: an account's balance is never stored; it is the sum of its entries. Each entry is
// its own key, so deposits, recognitions and redemptions that touch different entries never
// conflict, while two that use the same entry both read it and rewrite it: whichever commits first
// wins and the other is invalidated by Fabric's MVCC check (or, if it simulated afterwards, finds
// the credits gone). A thousandth of a credit is therefore used at most once, however many
// attempts race for it.

// OpenCreditAccount opens a learner's credit account. Caller: a registrar or admin of the
// organisation that registered the learner. Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when
// the learner is suspended or the account is already open.
func (c *Contract) OpenCreditAccount(ctx contractapi.TransactionContextInterface, learnerID string) (*eduledger.CreditAccount, error) {
	who, l, _, err := learnerForChange(ctx, "open credit accounts", learnerID)
	if err != nil {
		return nil, err
	}
	if l.Status != eduledger.LearnerActive {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "learner %s is suspended", l.ID)
	}
	stub := ctx.GetStub()
	ak, err := key(typeCreditAccount, l.ID)
	if err != nil {
		return nil, err
	}
	var existing eduledger.CreditAccount
	if ok, err := getJSON(stub, ak, &existing); err != nil {
		return nil, err
	} else if ok {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "learner %s's credit account was opened by %s at %s", l.ID, existing.OpenedBy, existing.OpenedAt.Format(timeLayout))
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	a := &eduledger.CreditAccount{LearnerID: l.ID, OpenedBy: who.org.ID, OpenedAt: now, TxID: stub.GetTxID()}
	payload, err := putJSON(stub, ak, a)
	if err != nil {
		return nil, err
	}
	return a, emit(stub, eduledger.EventCreditAccountOpened, payload)
}

// GetCreditAccount returns a learner's credit account. Errors: INVALID, NOT_FOUND when the learner
// has none.
func (c *Contract) GetCreditAccount(ctx contractapi.TransactionContextInterface, learnerID string) (*eduledger.CreditAccount, error) {
	return loadAccount(ctx.GetStub(), learnerID)
}

// DepositCredits converts a learning outcome into credits in the learner's account. The outcome —
// a learning record, or a credential anchored on its own — must belong to the learner, be ACTIVE
// (and, for a credential, not expired), come from an issuer that is ACTIVE and was accredited for
// it at the outcome's date, and not have been deposited before. The amount, field and level come
// from the version of the named conversion rule in force at the outcome's date, never from the
// caller. The new entry is held by the outcome's issuer. Caller: an issuer or registrar of the
// outcome's issuer, or a registrar or admin of the organisation that registered the learner.
// Errors: INVALID; FORBIDDEN for other callers or an issuer not accredited then; NOT_FOUND when
// the outcome, the learner, its account or the rule does not exist; CONFLICT when the outcome
// belongs to another learner, is not ACTIVE, was already deposited, or the rule has no version in
// force then, was retired or does not apply to it.
func (c *Contract) DepositCredits(ctx contractapi.TransactionContextInterface, d eduledger.DepositRequest) (*eduledger.CreditEntry, error) {
	who, err := staff(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	b, err := loadBacking(stub, d.Source, d.OutcomeID)
	if err != nil {
		return nil, err
	}
	o := b.outcome
	l, _, err := loadLearner(ctx, d.LearnerID)
	if err != nil {
		return nil, err
	}
	asIssuer := who.org.ID == o.IssuerID && (who.role == eduledger.StaffIssuer || who.role == eduledger.StaffRegistrar)
	asHome := who.org.ID == l.RegisteredBy && (who.role == eduledger.StaffRegistrar || who.role == eduledger.StaffAdmin)
	if !asIssuer && !asHome {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "only issuer or registrar staff of %s (the outcome's issuer) or registrar or admin staff of %s (the learner's registering organisation) may deposit %s; you are %s staff of %s",
			o.IssuerID, l.RegisteredBy, describe(o), who.role, who.org.ID)
	}
	if b.learnerID != d.LearnerID {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "%s belongs to another learner than %s", describe(o), d.LearnerID)
	}
	if err := b.usable(now); err != nil {
		return nil, err
	}
	if l.Status != eduledger.LearnerActive {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "learner %s is suspended; no credits can be deposited", l.ID)
	}
	if _, err := loadAccount(stub, l.ID); err != nil {
		return nil, err
	}
	mk, err := key(typeEntryByOutcome, string(o.Source), o.ID)
	if err != nil {
		return nil, err
	}
	if v, err := stub.GetState(mk); err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	} else if v != nil {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "%s was already deposited, as entry %s", describe(o), truncate(string(v), 100))
	}
	issuer, err := readOrganization(ctx, o.IssuerID)
	if err != nil {
		return nil, err
	}
	if issuer.Status != eduledger.OrgActive {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "%s's issuer %s is suspended; its outcomes cannot be deposited meanwhile", describe(o), issuer.ID)
	}
	ct := o.CredentialType
	if o.Source == eduledger.SourceRecord {
		ct = o.RecordKind.AccreditationType()
	}
	if acc, err := accreditationAt(stub, o.IssuerID, ct, o.Date); err != nil {
		return nil, err
	} else if acc == "" {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "%s was not accredited for %s at %s, the date of the %s", o.IssuerID, ct, o.Date.Format(timeLayout), describe(o))
	}
	rule, found, err := ruleAt[eduledger.CreditRule](stub, typeCreditRule, typeCreditRuleVersions, "credit rule", d.RuleID, o.Date)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "credit rule %s was not yet in force at %s, the date of the %s", d.RuleID, o.Date.Format(timeLayout), describe(o))
	}
	amount, err := rule.Worth(o)
	if err != nil {
		return nil, err
	}
	e := &eduledger.CreditEntry{
		ID: entryID(now, stub.GetTxID()), LearnerID: l.ID, Kind: eduledger.EntryDeposit, HolderID: o.IssuerID,
		Field: rule.Field, Level: rule.Level, Amount: amount, Remaining: amount, Outcome: o,
		RuleID: rule.ID, RuleVersion: rule.Version, CreatedAt: now, CreatedBy: who.org.ID, TxID: stub.GetTxID(),
	}
	ek, err := key(typeCreditEntry, l.ID, e.ID)
	if err != nil {
		return nil, err
	}
	payload, err := putJSON(stub, ek, e)
	if err != nil {
		return nil, err
	}
	if err := stub.PutState(mk, []byte(e.ID)); err != nil {
		return nil, fmt.Errorf("write index: %w", err)
	}
	return e, emit(stub, eduledger.EventCreditsDeposited, payload)
}

// RecognizeCredits has the caller's institution recognise credits of another institution's entry
// under a recognition rule in force now that names it as recogniser: the amount asked (all that
// remains when 0) leaves the original entry and a new entry, held by the recogniser, receives it
// converted at the rule's rate into the rule's field and level, pointing to the original. The
// original's holder must be in the rule's region (and be its issuer, field and level, where the
// rule says) and the outcome behind it still ACTIVE. Caller: a registrar or admin of the
// recogniser. Errors: INVALID; FORBIDDEN when the rule names another recogniser or the role is
// wrong; NOT_FOUND when the rule, learner or entry does not exist; CONFLICT when the learner is
// suspended, no version of the rule is in force, the entry is the recogniser's own, does not match
// the rule, has fewer credits left than asked, or its outcome is no longer ACTIVE.
func (c *Contract) RecognizeCredits(ctx contractapi.TransactionContextInterface, req eduledger.RecognitionRequest) (*eduledger.Recognition, error) {
	who, err := staff(ctx)
	if err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	rule, found, err := ruleAt[eduledger.RecognitionRule](stub, typeRecogRule, typeRecogRuleVersions, "recognition rule", req.RuleID, now)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "recognition rule %s is not in force yet", req.RuleID)
	}
	if who.org.ID != rule.RecognizerID {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "recognition rule %s lets %s recognise credits, not %s", rule.ID, rule.RecognizerID, who.org.ID)
	}
	if err := who.allow("recognise credits", eduledger.StaffRegistrar, eduledger.StaffAdmin); err != nil {
		return nil, err
	}
	if err := requireActiveLearner(stub, req.LearnerID, "its credits cannot be recognised meanwhile"); err != nil {
		return nil, err
	}
	orig, origKey, err := loadEntry(stub, req.LearnerID, req.EntryID)
	if err != nil {
		return nil, err
	}
	amount := req.Amount
	if amount == 0 {
		amount = orig.Remaining
	}
	switch {
	case orig.HolderID == who.org.ID:
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "entry %s is already held by %s", orig.ID, who.org.ID)
	case orig.Remaining == 0:
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "entry %s has no credits left", orig.ID)
	case amount > orig.Remaining:
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "entry %s has %s credits left, not %s", orig.ID, eduledger.FormatCredits(orig.Remaining), eduledger.FormatCredits(amount))
	}
	holder, err := readOrganization(ctx, orig.HolderID)
	if err != nil {
		return nil, err
	}
	n, field, level, err := rule.Recognize(orig, holder.RegionCode, amount)
	if err != nil {
		return nil, err
	}
	if err := checkBacking(stub, orig, now, map[string]error{}); err != nil {
		return nil, err
	}
	recognizer, err := readOrganization(ctx, who.org.ID)
	if err != nil {
		return nil, err
	}
	e := &eduledger.CreditEntry{
		ID: entryID(now, stub.GetTxID()), LearnerID: orig.LearnerID, Kind: eduledger.EntryRecognition, HolderID: who.org.ID,
		Field: field, Level: level, Amount: n, Remaining: n, Outcome: orig.Outcome, RuleID: rule.ID, RuleVersion: rule.Version,
		OriginalEntryID: orig.ID, FromRegion: holder.RegionCode, CrossRegion: holder.RegionCode != recognizer.RegionCode,
		CreatedAt: now, CreatedBy: who.org.ID, TxID: stub.GetTxID(),
	}
	orig.Use(eduledger.EntryUse{Kind: eduledger.UseRecognized, Ref: e.ID, Amount: amount, At: now, TxID: stub.GetTxID()})
	if _, err := putJSON(stub, origKey, orig); err != nil {
		return nil, err
	}
	ek, err := key(typeCreditEntry, e.LearnerID, e.ID)
	if err != nil {
		return nil, err
	}
	if _, err := putJSON(stub, ek, e); err != nil {
		return nil, err
	}
	rec := &eduledger.Recognition{Original: *orig, Recognized: *e}
	payload, err := marshalEvent(rec)
	if err != nil {
		return nil, err
	}
	return rec, emit(stub, eduledger.EventCreditsRecognized, payload)
}

// RedeemCredits uses credits of a learner toward a qualification the caller's institution awards,
// consuming exactly the named parts of its entries, all or nothing: each entry must be held by the
// institution, in the qualification's field and at its minimum level where it names them, have the
// amount left, and be backed by an outcome still ACTIVE. The redemption's ID, chosen by the
// institution, must be new for the learner. Caller: a registrar or admin of institutionId, a
// SCHOOL or TRAINING organisation. Errors: INVALID; FORBIDDEN for other callers or an entry held
// by another institution; NOT_FOUND when the learner or an entry does not exist; CONFLICT when the
// learner is suspended, the ID is taken, an entry does not fit the qualification, has fewer
// credits left than asked (for instance because a concurrent redemption took them), or its
// outcome is no longer ACTIVE.
func (c *Contract) RedeemCredits(ctx contractapi.TransactionContextInterface, r eduledger.Redemption) (*eduledger.Redemption, error) {
	who, err := staff(ctx)
	if err != nil {
		return nil, err
	}
	const action = "redeem credits"
	if err := who.allow(action, eduledger.StaffRegistrar, eduledger.StaffAdmin); err != nil {
		return nil, err
	}
	if err := who.allowKinds(action+" toward qualifications", eduledger.KindSchool, eduledger.KindTraining); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Total != 0 || !r.RedeemedAt.IsZero() || r.TxID != "" {
		return nil, eduledger.Errorf(eduledger.EINVALID, "total, redeemedAt and txId are set by the ledger; leave them out")
	}
	if err := who.own(action, r.InstitutionID); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	if err := requireActiveLearner(stub, r.LearnerID, "its credits cannot be redeemed meanwhile"); err != nil {
		return nil, err
	}
	rk, err := key(typeRedemption, r.LearnerID, r.ID)
	if err != nil {
		return nil, err
	}
	if v, err := stub.GetState(rk); err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	} else if v != nil {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "learner %s already has a redemption %s", r.LearnerID, r.ID)
	}
	q := &r.Qualification
	type update struct {
		e *eduledger.CreditEntry
		k string
	}
	updates := make([]update, len(r.Parts))
	checked := map[string]error{}
	for i, p := range r.Parts {
		e, k, err := loadEntry(stub, r.LearnerID, p.EntryID)
		if err != nil {
			return nil, err
		}
		switch {
		case e.HolderID != who.org.ID:
			return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "entry %s is held by %s; %s may redeem it only after recognising it", e.ID, e.HolderID, who.org.ID)
		case q.Field != "" && e.Field != q.Field:
			return nil, eduledger.Errorf(eduledger.ECONFLICT, "entry %s is in %s; the qualification counts %s only", e.ID, e.Field, q.Field)
		case e.Level < q.MinLevel:
			return nil, eduledger.Errorf(eduledger.ECONFLICT, "entry %s is at level %d; the qualification counts level %d and above", e.ID, e.Level, q.MinLevel)
		case p.Amount > e.Remaining:
			return nil, eduledger.Errorf(eduledger.ECONFLICT, "entry %s has %s credits left, not %s", e.ID, eduledger.FormatCredits(e.Remaining), eduledger.FormatCredits(p.Amount))
		}
		if err := checkBacking(stub, e, now, checked); err != nil {
			return nil, err
		}
		updates[i] = update{e, k}
	}
	for i, u := range updates {
		u.e.Use(eduledger.EntryUse{Kind: eduledger.UseRedeemed, Ref: r.ID, Amount: r.Parts[i].Amount, At: now, TxID: stub.GetTxID()})
		if _, err := putJSON(stub, u.k, u.e); err != nil {
			return nil, err
		}
	}
	r.Total, r.RedeemedAt, r.TxID = q.Credits, now, stub.GetTxID()
	payload, err := putJSON(stub, rk, &r)
	if err != nil {
		return nil, err
	}
	return &r, emit(stub, eduledger.EventCreditsRedeemed, payload)
}

// GetCreditEntry returns one entry of a learner's account. Errors: INVALID, NOT_FOUND.
func (c *Contract) GetCreditEntry(ctx contractapi.TransactionContextInterface, learnerID, entryID string) (*eduledger.CreditEntry, error) {
	e, _, err := loadEntry(ctx.GetStub(), learnerID, entryID)
	return e, err
}

// GetCreditEntryHistory returns every version of an entry, newest first: its creation and, for
// each use, the version that use made, whose lastUse says which redemption or recognition took how
// much. Errors: INVALID, NOT_FOUND.
func (c *Contract) GetCreditEntryHistory(ctx contractapi.TransactionContextInterface, learnerID, entryID string) ([]CreditEntryVersion, error) {
	_, ek, err := loadEntry(ctx.GetStub(), learnerID, entryID)
	if err != nil {
		return nil, err
	}
	h, err := history[eduledger.CreditEntry](ctx.GetStub(), ek)
	return versions(h, err, func(e eduledger.HistoryEntry[eduledger.CreditEntry]) CreditEntryVersion { return CreditEntryVersion(e) })
}

// ListCreditEntries returns one page of a learner's entries in the order they were made, each
// with what remains and how much was redeemed or transferred: the account's history at a glance
// (GetCreditEntryHistory has every use of one entry). Errors: INVALID, NOT_FOUND when the learner
// has no account.
func (c *Contract) ListCreditEntries(ctx contractapi.TransactionContextInterface, learnerID string, pageSize int32, bookmark string) (*CreditEntryPage, error) {
	stub := ctx.GetStub()
	if _, err := loadAccount(stub, learnerID); err != nil {
		return nil, err
	}
	p, err := page(stub, pageSize, bookmark, typeCreditEntry, []string{learnerID}, decodeItem[eduledger.CreditEntry])
	return (*CreditEntryPage)(p), err
}

// GetRedemption returns a learner's redemption. Errors: INVALID, NOT_FOUND.
func (c *Contract) GetRedemption(ctx contractapi.TransactionContextInterface, learnerID, redemptionID string) (*eduledger.Redemption, error) {
	if !eduledger.ValidLocalID(learnerID) || !eduledger.ValidLocalID(redemptionID) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "learner ID %.70q or redemption ID %.70q is not valid", learnerID, redemptionID)
	}
	rk, err := key(typeRedemption, learnerID, redemptionID)
	if err != nil {
		return nil, err
	}
	r := new(eduledger.Redemption)
	if ok, err := getJSON(ctx.GetStub(), rk, r); err != nil {
		return nil, err
	} else if !ok {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "learner %s has no redemption %s", learnerID, redemptionID)
	}
	return r, nil
}

// ListRedemptions returns one page of a learner's redemptions, in redemption-ID order. Errors:
// INVALID, NOT_FOUND when the learner has no account.
func (c *Contract) ListRedemptions(ctx contractapi.TransactionContextInterface, learnerID string, pageSize int32, bookmark string) (*RedemptionPage, error) {
	stub := ctx.GetStub()
	if _, err := loadAccount(stub, learnerID); err != nil {
		return nil, err
	}
	p, err := page(stub, pageSize, bookmark, typeRedemption, []string{learnerID}, decodeItem[eduledger.Redemption])
	return (*RedemptionPage)(p), err
}

// GetCreditStatement sums a learner's entries into balances by field and level, over every entry
// or, when holderId is not empty, over the entries one institution holds. It reads every entry of
// the account, and the outcome behind each entry with credits left, to tell which are blocked.
// Errors: INVALID, NOT_FOUND when the learner has no account.
func (c *Contract) GetCreditStatement(ctx contractapi.TransactionContextInterface, learnerID, holderID string) (*eduledger.CreditStatement, error) {
	stub := ctx.GetStub()
	if holderID != "" && !eduledger.ValidOrgID(holderID) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "holderId %.70q is not a valid organisation ID", holderID)
	}
	a, err := loadAccount(stub, learnerID)
	if err != nil {
		return nil, err
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	it, err := stub.GetStateByPartialCompositeKey(typeCreditEntry, []string{learnerID})
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", typeCreditEntry, err)
	}
	defer it.Close()
	st := &eduledger.CreditStatement{LearnerID: learnerID, HolderID: holderID, Account: *a, Balances: []eduledger.CreditBalance{}, AsOf: now}
	type bucket struct {
		field string
		level int
	}
	sums := map[bucket]*eduledger.CreditBalance{}
	checked := map[string]error{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", typeCreditEntry, err)
		}
		e, err := decodeItem[eduledger.CreditEntry](kv.Key, nil, kv.Value)
		if err != nil {
			return nil, err
		}
		if holderID != "" && e.HolderID != holderID {
			continue
		}
		st.Entries++
		b := sums[bucket{e.Field, e.Level}]
		if b == nil {
			b = &eduledger.CreditBalance{Field: e.Field, Level: e.Level}
			sums[bucket{e.Field, e.Level}] = b
		}
		if e.Kind == eduledger.EntryRecognition {
			b.Recognized += e.Amount
		} else {
			b.Deposited += e.Amount
		}
		b.TransferredOut += e.TransferredOut
		b.Redeemed += e.Redeemed
		b.Balance += e.Remaining
		if e.Remaining > 0 {
			if err := checkBacking(stub, e, now, checked); err != nil {
				if eduledger.ErrorCode(err) != eduledger.ECONFLICT {
					return nil, err
				}
				b.Blocked += e.Remaining
			}
		}
	}
	for _, b := range sums {
		st.Balances = append(st.Balances, *b)
	}
	// Sorted, so that every endorser returns the same bytes whatever the map's order.
	slices.SortFunc(st.Balances, func(x, y eduledger.CreditBalance) int {
		return cmp.Or(cmp.Compare(x.Field, y.Field), cmp.Compare(x.Level, y.Level))
	})
	for _, b := range st.Balances {
		st.Total.Deposited += b.Deposited
		st.Total.Recognized += b.Recognized
		st.Total.TransferredOut += b.TransferredOut
		st.Total.Redeemed += b.Redeemed
		st.Total.Balance += b.Balance
		st.Total.Blocked += b.Blocked
	}
	return st, nil
}

// entryID derives a new entry's ID from the transaction: its time, fixed-width so that an
// account's entries list in the order they were made, and a hash of the transaction ID.
func entryID(now time.Time, txID string) string {
	h := sha256.Sum256([]byte(txID))
	return stamp(now) + "-" + hex.EncodeToString(h[:8])
}

func loadAccount(stub shim.ChaincodeStubInterface, learnerID string) (*eduledger.CreditAccount, error) {
	if !eduledger.ValidLocalID(learnerID) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "learner ID %.70q must be 1-128 letters, digits, '.', '_' or '-'", learnerID)
	}
	ak, err := key(typeCreditAccount, learnerID)
	if err != nil {
		return nil, err
	}
	a := new(eduledger.CreditAccount)
	if ok, err := getJSON(stub, ak, a); err != nil {
		return nil, err
	} else if !ok {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "learner %s has no credit account; the organisation that registered the learner opens it", learnerID)
	}
	return a, nil
}

func loadEntry(stub shim.ChaincodeStubInterface, learnerID, entryID string) (*eduledger.CreditEntry, string, error) {
	if !eduledger.ValidLocalID(learnerID) || !eduledger.ValidLocalID(entryID) {
		return nil, "", eduledger.Errorf(eduledger.EINVALID, "learner ID %.70q or entry ID %.70q is not valid", learnerID, entryID)
	}
	ek, err := key(typeCreditEntry, learnerID, entryID)
	if err != nil {
		return nil, "", err
	}
	e := new(eduledger.CreditEntry)
	if ok, err := getJSON(stub, ek, e); err != nil {
		return nil, "", err
	} else if !ok {
		return nil, "", eduledger.Errorf(eduledger.ENOTFOUND, "learner %s has no credit entry %s", learnerID, entryID)
	}
	return e, ek, nil
}

// backing is a learning outcome as the ledger holds it: what conversion rules see, whose it is
// and whether it still counts.
type backing struct {
	outcome    eduledger.Outcome
	learnerID  string
	status     string
	validUntil time.Time
}

// loadBacking reads the record or credential behind a deposit. Errors: INVALID, NOT_FOUND,
// CONFLICT for a batch member, whose learner the ledger does not know.
func loadBacking(stub shim.ChaincodeStubInterface, source eduledger.OutcomeSource, id string) (*backing, error) {
	if source == eduledger.SourceRecord {
		r, _, err := loadRecord(stub, id)
		if err != nil {
			return nil, err
		}
		return &backing{outcome: r.Outcome(), learnerID: r.LearnerID, status: string(r.Status)}, nil
	}
	a, _, err := loadCredential(stub, id)
	if err != nil {
		return nil, err
	}
	if a.LearnerID == "" {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "credential %s was issued in batch %s, which names no learner on the ledger; only a credential anchored on its own can back a deposit", a.ID, a.BatchRoot)
	}
	return &backing{outcome: a.Outcome(), learnerID: a.LearnerID, status: string(a.Status), validUntil: a.ValidUntil}, nil
}

// usable refuses an outcome that no longer counts: not ACTIVE, or expired at now.
func (b *backing) usable(now time.Time) error {
	if b.status != string(eduledger.StatusActive) {
		return eduledger.Errorf(eduledger.ECONFLICT, "%s is %s; its credits cannot be used", describe(b.outcome), b.status)
	}
	if !b.validUntil.IsZero() && !now.Before(b.validUntil) {
		return eduledger.Errorf(eduledger.ECONFLICT, "%s expired at %s; its credits cannot be used", describe(b.outcome), b.validUntil.Format(timeLayout))
	}
	return nil
}

// checkBacking refuses an entry whose outcome no longer counts (CONFLICT). checked remembers the
// answer per outcome within one transaction.
func checkBacking(stub shim.ChaincodeStubInterface, e *eduledger.CreditEntry, now time.Time, checked map[string]error) error {
	k := string(e.Outcome.Source) + "\x00" + e.Outcome.ID
	if err, seen := checked[k]; seen {
		return err
	}
	b, err := loadBacking(stub, e.Outcome.Source, e.Outcome.ID)
	if err == nil {
		err = b.usable(now)
	}
	if err != nil && eduledger.ErrorCode(err) == eduledger.ECONFLICT {
		err = eduledger.Errorf(eduledger.ECONFLICT, "entry %s: %s", e.ID, eduledger.ErrorMessage(err))
	}
	checked[k] = err
	return err
}

// describe names an outcome in messages.
func describe(o eduledger.Outcome) string {
	if o.Source == eduledger.SourceRecord {
		return "learning record " + o.ID
	}
	return "credential " + o.ID
}

// Result types of the archive's and the credit bank's lists (see result.go for why they exist).
type (
	// LearningRecordPage is a page of learning records.
	LearningRecordPage eduledger.Page[eduledger.LearningRecord]
	// ArchivePage is a page of a learner's archive.
	ArchivePage eduledger.Page[eduledger.ArchiveItem]
	// CreditRulePage is a page of conversion rule versions.
	CreditRulePage eduledger.Page[eduledger.CreditRule]
	// RecognitionRulePage is a page of recognition rule versions.
	RecognitionRulePage eduledger.Page[eduledger.RecognitionRule]
	// CreditEntryPage is a page of a learner's credit entries.
	CreditEntryPage eduledger.Page[eduledger.CreditEntry]
	// RedemptionPage is a page of a learner's redemptions.
	RedemptionPage eduledger.Page[eduledger.Redemption]

	// CreditEntryVersion is one committed version of a credit entry.
	CreditEntryVersion eduledger.HistoryEntry[eduledger.CreditEntry]
)
