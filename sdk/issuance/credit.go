package issuance

import (
	"context"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// The credit bank (学分银行) through the issuer service: conversion and recognition rules (set by the
// governing organisation's admin), accounts, deposits, recognitions, redemptions and statements.
// Every rule is the chaincode's: the engine checks the shape of a request so that a mistake is
// named before a round trip, then acts on the ledger as the principal, and the chaincode decides.
// Amounts are int64 thousandths of a credit everywhere (4000 is 4 credits).

// DepositRequest asks to convert one of a learner's learning outcomes (a learning record, or a
// credential anchored on its own) into credits under a conversion rule. The amount, field and
// level come from the version of the rule in force at the outcome's date, never from the caller.
type DepositRequest struct {
	Source    eduledger.OutcomeSource `json:"source"`
	OutcomeID string                  `json:"outcomeId"`
	RuleID    string                  `json:"ruleId"`
}

// RecognitionRequest asks the token's institution to recognise Amount thousandths (all that
// remains when 0) of another institution's entry of a learner, under a recognition rule that
// names it as recogniser.
type RecognitionRequest struct {
	EntryID string `json:"entryId"`
	RuleID  string `json:"ruleId"`
	Amount  int64  `json:"amount,omitempty"`
}

// RedemptionRequest asks to use a learner's credits toward a qualification the token's
// institution awards: exactly the parts named, all or none. ID, chosen by the institution, is used
// once per learner.
type RedemptionRequest struct {
	ID            string                     `json:"id"`
	Qualification eduledger.Qualification    `json:"qualification"`
	Parts         []eduledger.RedemptionPart `json:"parts"`
}

// CreditPreview says what a learning outcome would be worth under a conversion rule, without a
// transaction: the version in force at the outcome's date and the credits, field and level it
// grants — or, when Applicable is false, why the outcome could not be deposited under the rule.
type CreditPreview struct {
	Outcome    eduledger.Outcome     `json:"outcome"`
	Rule       *eduledger.CreditRule `json:"rule,omitempty"`
	Applicable bool                  `json:"applicable"`
	Credits    int64                 `json:"credits,omitempty"`
	Field      string                `json:"field,omitempty"`
	Level      int                   `json:"level,omitempty"`
	Reason     string                `json:"reason,omitempty"`
}

var (
	creditRuleFields      = []string{"id", "name", "source", "recordKind", "credentialType", "issuerId", "code", "field", "level", "credits", "perHours", "maxCredits", "effectiveFrom"}
	recognitionRuleFields = []string{"id", "name", "recognizerId", "fromRegion", "fromIssuerId", "fromField", "fromMinLevel", "toField", "toLevel", "ratePermille", "effectiveFrom"}
	redemptionFields      = []string{"id", "qualification", "parts"}
)

// PublishCreditRule publishes the next version of a conversion rule (version 1 for a new ID) as
// p; the ledger assigns the version and the publication fields, which the request must leave out.
// Caller: the governing organisation's admin. Errors: INVALID (naming the field), FORBIDDEN,
// NOT_FOUND (an unregistered issuer), CONFLICT (a version that would apply to other outcomes, take
// effect before the previous one or in the past), UNAVAILABLE.
func (e *Engine) PublishCreditRule(ctx context.Context, p Principal, r eduledger.CreditRule) (*eduledger.CreditRule, error) {
	if err := ledgerSetFields(r.Version, r.PublishedAt, r.PublishedBy, r.TxID); err != nil {
		return nil, err
	}
	r.EffectiveFrom = r.EffectiveFrom.UTC()
	if err := r.Validate(); err != nil {
		return nil, asFieldError(err, "", creditRuleFields...)
	}
	cl, _, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	return cl.PublishCreditRule(ctx, &r)
}

// CreditRule returns a conversion rule: version (0: the latest), or, with at set, the version in
// force then. Errors: INVALID, NOT_FOUND (unknown rule or version, none in force then),
// UNAVAILABLE.
func (e *Engine) CreditRule(ctx context.Context, p Principal, id string, version int, at time.Time) (*eduledger.CreditRule, error) {
	cl, err := e.ruleClient(ctx, p, id, version, at)
	if err != nil {
		return nil, err
	}
	if !at.IsZero() {
		return cl.GetCreditRuleAt(ctx, id, at)
	}
	return cl.GetCreditRule(ctx, id, version)
}

// ListCreditRules returns a page of every version of every conversion rule, by rule ID and
// version. Errors: INVALID (a bad page token), UNAVAILABLE.
func (e *Engine) ListCreditRules(ctx context.Context, p Principal, pageSize int, pageToken string) (*Page[eduledger.CreditRule], error) {
	cl, _, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	return ledgerPage(cl.ListCreditRules(ctx, pageSizeOf(pageSize), pageToken))
}

// PreviewCredit says what an outcome would be worth under a conversion rule: the version in force
// at the outcome's date, and its credits, field and level. An outcome the rule does not apply to,
// or that is no longer ACTIVE, is a preview with Applicable false and the reason. It does not say
// whether the outcome was deposited already. Errors: INVALID, NOT_FOUND (unknown rule or outcome),
// UNAVAILABLE.
func (e *Engine) PreviewCredit(ctx context.Context, p Principal, ruleID string, src eduledger.OutcomeSource, outcomeID string) (*CreditPreview, error) {
	switch {
	case !eduledger.ValidLocalID(ruleID):
		return nil, invalidField("ruleId", "is not a rule ID")
	case !src.Valid():
		return nil, invalidField("source", "must be RECORD or CREDENTIAL")
	case !eduledger.ValidCredentialID(outcomeID):
		return nil, invalidField("outcomeId", "is not a learning record or credential ID")
	}
	cl, _, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &CreditPreview{}
	var status string
	if src == eduledger.SourceRecord {
		r, err := cl.GetLearningRecord(ctx, outcomeID)
		if err != nil {
			return nil, err
		}
		out.Outcome, status = r.Outcome(), string(r.Status)
	} else {
		a, err := cl.GetCredential(ctx, outcomeID)
		if err != nil {
			return nil, err
		}
		if a.LearnerID == "" {
			return nil, eduledger.Errorf(eduledger.EINVALID, "credential %s was issued in a batch, which names no learner on the ledger; only credentials anchored on their own can be deposited", outcomeID)
		}
		out.Outcome, status = a.Outcome(), string(a.Status)
		if status == string(eduledger.StatusActive) && !a.ValidUntil.IsZero() && !e.now().Before(a.ValidUntil) {
			status = "EXPIRED"
		}
	}
	rule, err := cl.GetCreditRuleAt(ctx, ruleID, out.Outcome.Date)
	if eduledger.ErrorCode(err) == eduledger.ENOTFOUND {
		if _, lerr := cl.GetCreditRule(ctx, ruleID, 0); lerr != nil {
			return nil, lerr
		}
		out.Reason = "no version of rule " + ruleID + " was in force on " + out.Outcome.Date.UTC().Format(time.RFC3339)
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	out.Rule = rule
	n, err := rule.Worth(out.Outcome)
	if err != nil {
		if eduledger.ErrorCode(err) != eduledger.ECONFLICT {
			return nil, err
		}
		out.Reason = eduledger.ErrorMessage(err)
		return out, nil
	}
	out.Credits, out.Field, out.Level = n, rule.Field, rule.Level
	if status != string(eduledger.StatusActive) {
		out.Reason = "the outcome is " + status + "; only ACTIVE outcomes can be deposited"
		return out, nil
	}
	out.Applicable = true
	return out, nil
}

// PublishRecognitionRule publishes the next version of a recognition rule as p, versioned like
// PublishCreditRule; the recogniser must be a SCHOOL or TRAINING organisation. Caller: the
// governing organisation's admin. Errors: as PublishCreditRule.
func (e *Engine) PublishRecognitionRule(ctx context.Context, p Principal, r eduledger.RecognitionRule) (*eduledger.RecognitionRule, error) {
	if err := ledgerSetFields(r.Version, r.PublishedAt, r.PublishedBy, r.TxID); err != nil {
		return nil, err
	}
	r.EffectiveFrom = r.EffectiveFrom.UTC()
	if err := r.Validate(); err != nil {
		return nil, asFieldError(err, "", recognitionRuleFields...)
	}
	cl, _, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	return cl.PublishRecognitionRule(ctx, &r)
}

// RecognitionRule returns a recognition rule: version (0: the latest), or, with at set, the
// version in force then. Errors: as CreditRule.
func (e *Engine) RecognitionRule(ctx context.Context, p Principal, id string, version int, at time.Time) (*eduledger.RecognitionRule, error) {
	cl, err := e.ruleClient(ctx, p, id, version, at)
	if err != nil {
		return nil, err
	}
	if !at.IsZero() {
		return cl.GetRecognitionRuleAt(ctx, id, at)
	}
	return cl.GetRecognitionRule(ctx, id, version)
}

// ListRecognitionRules returns a page of every version of every recognition rule. Errors: as
// ListCreditRules.
func (e *Engine) ListRecognitionRules(ctx context.Context, p Principal, pageSize int, pageToken string) (*Page[eduledger.RecognitionRule], error) {
	cl, _, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	return ledgerPage(cl.ListRecognitionRules(ctx, pageSizeOf(pageSize), pageToken))
}

func (e *Engine) ruleClient(ctx context.Context, p Principal, id string, version int, at time.Time) (*ledger.Client, error) {
	switch {
	case !eduledger.ValidLocalID(id):
		return nil, invalidField("ruleId", "is not a rule ID")
	case version < 0:
		return nil, invalidField("version", "must be a positive version number")
	case version > 0 && !at.IsZero():
		return nil, eduledger.Errorf(eduledger.EINVALID, "ask for a version or for the version in force at a time, not both")
	}
	cl, _, err := e.client(ctx, p)
	return cl, err
}

// OpenCreditAccount opens a learner's credit account as p. Caller: a registrar or admin of the
// learner's registering organisation. Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT (suspended
// learner, account open already), UNAVAILABLE.
func (e *Engine) OpenCreditAccount(ctx context.Context, p Principal, learnerID string) (*eduledger.CreditAccount, error) {
	cl, err := e.learnerClient(ctx, p, learnerID)
	if err != nil {
		return nil, err
	}
	return cl.OpenCreditAccount(ctx, learnerID)
}

// CreditAccount returns a learner's credit account. Errors: INVALID, NOT_FOUND, UNAVAILABLE.
func (e *Engine) CreditAccount(ctx context.Context, p Principal, learnerID string) (*eduledger.CreditAccount, error) {
	cl, err := e.learnerClient(ctx, p, learnerID)
	if err != nil {
		return nil, err
	}
	return cl.GetCreditAccount(ctx, learnerID)
}

// Deposit converts a learner's learning outcome into credits as p. Caller: an issuer or registrar
// of the outcome's issuer, or a registrar or admin of the learner's registering organisation. An
// outcome is deposited once; with an idempotency key a retry returns the entry, also when the
// first attempt was cut off after the ledger committed it. Errors: INVALID, FORBIDDEN (also an
// issuer not accredited at the outcome's date), NOT_FOUND (outcome, learner, account, rule),
// CONFLICT (another learner's outcome, not ACTIVE, already deposited, no rule version in force,
// rule retired or not applicable), UNAVAILABLE.
func (e *Engine) Deposit(ctx context.Context, p Principal, learnerID string, req DepositRequest, idemKey string) (*eduledger.CreditEntry, error) {
	d := &eduledger.DepositRequest{LearnerID: learnerID, Source: req.Source, OutcomeID: req.OutcomeID, RuleID: req.RuleID}
	if err := d.Validate(); err != nil {
		return nil, asFieldError(err, "", "source", "outcomeId", "ruleId")
	}
	return idempotent(ctx, e, p, idemKey, "credit.deposit", d, func(ctx context.Context, call *idemCall) (*eduledger.CreditEntry, error) {
		cl, _, err := e.client(ctx, p)
		if err != nil {
			return nil, err
		}
		if call.resuming {
			if entry, err := depositedEntry(ctx, cl, d); err != nil || entry != nil {
				return entry, err
			}
		}
		if err := call.bind(d.OutcomeID); err != nil {
			return nil, err
		}
		return cl.DepositCredits(ctx, d)
	})
}

// depositedEntry finds the deposit of an outcome in the learner's account (nil when there is none).
func depositedEntry(ctx context.Context, cl *ledger.Client, d *eduledger.DepositRequest) (*eduledger.CreditEntry, error) {
	bookmark := ""
	for {
		page, err := cl.ListCreditEntries(ctx, d.LearnerID, eduledger.MaxPageSize, bookmark)
		if eduledger.ErrorCode(err) == eduledger.ENOTFOUND {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		for i := range page.Items {
			en := &page.Items[i]
			if en.Kind == eduledger.EntryDeposit && en.Outcome.Source == d.Source && en.Outcome.ID == d.OutcomeID {
				return en, nil
			}
		}
		if page.Bookmark == "" || len(page.Items) == 0 {
			return nil, nil
		}
		bookmark = page.Bookmark
	}
}

// Recognize has p's institution recognise credits of another institution's entry of a learner.
// Caller: a registrar or admin of the rule's recogniser. With an idempotency key a retry returns
// the recognition, also when the first attempt was cut off after the ledger committed it. Errors:
// INVALID, FORBIDDEN, NOT_FOUND, CONFLICT (rule not in force or not applicable, too few credits
// left — also after losing a race for them —, outcome no longer ACTIVE), UNAVAILABLE.
func (e *Engine) Recognize(ctx context.Context, p Principal, learnerID string, req RecognitionRequest, idemKey string) (*eduledger.Recognition, error) {
	r := &eduledger.RecognitionRequest{LearnerID: learnerID, EntryID: req.EntryID, RuleID: req.RuleID, Amount: req.Amount}
	if err := r.Validate(); err != nil {
		return nil, asFieldError(err, "", "entryId", "ruleId", "amount")
	}
	return idempotent(ctx, e, p, idemKey, "credit.recognize", r, func(ctx context.Context, call *idemCall) (*eduledger.Recognition, error) {
		cl, _, err := e.client(ctx, p)
		if err != nil {
			return nil, err
		}
		if call.resuming {
			if rec, err := recognizedSince(ctx, cl, p, r, call.rec.CreatedAt); err != nil || rec != nil {
				return rec, err
			}
		}
		if err := call.bind(r.EntryID); err != nil {
			return nil, err
		}
		return cl.RecognizeCredits(ctx, r)
	})
}

// recognizedSince finds a recognition of r's entry by p's institution under r's rule made since
// the idempotent call began (nil when there is none): every use of an entry is a version of it,
// naming the entry the credits went to.
func recognizedSince(ctx context.Context, cl *ledger.Client, p Principal, r *eduledger.RecognitionRequest, since time.Time) (*eduledger.Recognition, error) {
	hist, err := cl.GetCreditEntryHistory(ctx, r.LearnerID, r.EntryID)
	if eduledger.ErrorCode(err) == eduledger.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// The ledger dates a use by its transaction time, which the client chose and may lie a little
	// before the service's clock read the call's start.
	since = since.Add(-5 * time.Minute)
	for _, h := range hist {
		u := h.Value
		if u == nil || u.LastUse == nil || u.LastUse.Kind != eduledger.UseRecognized || u.LastUse.At.Before(since) ||
			(r.Amount != 0 && u.LastUse.Amount != r.Amount) {
			continue
		}
		got, err := cl.GetCreditEntry(ctx, r.LearnerID, u.LastUse.Ref)
		if err != nil {
			return nil, err
		}
		if got.HolderID == p.OrgID && got.RuleID == r.RuleID && got.OriginalEntryID == r.EntryID {
			return &eduledger.Recognition{Original: *u, Recognized: *got}, nil
		}
	}
	return nil, nil
}

// Redeem uses a learner's credits held by p's institution toward a qualification it awards, all
// parts or none. Of several redemptions racing for the same credits exactly one commits; the
// others fail with CONFLICT, as does a redemption ID used before — with an idempotency key a
// retry returns the redemption instead. Caller: a registrar or admin of a SCHOOL or TRAINING
// organisation holding every entry used. Errors: INVALID (naming the field, also parts that do not
// add up), FORBIDDEN (credits another institution holds), NOT_FOUND, CONFLICT, UNAVAILABLE.
func (e *Engine) Redeem(ctx context.Context, p Principal, learnerID string, req RedemptionRequest, idemKey string) (*eduledger.Redemption, error) {
	r := &eduledger.Redemption{ID: req.ID, LearnerID: learnerID, InstitutionID: p.OrgID, Qualification: req.Qualification, Parts: req.Parts}
	if err := r.Validate(); err != nil {
		return nil, asFieldError(err, "", redemptionFields...)
	}
	return idempotent(ctx, e, p, idemKey, "credit.redeem", r, func(ctx context.Context, call *idemCall) (*eduledger.Redemption, error) {
		cl, _, err := e.client(ctx, p)
		if err != nil {
			return nil, err
		}
		if call.resuming {
			got, err := cl.GetRedemption(ctx, learnerID, r.ID)
			switch {
			case err == nil && got.InstitutionID == p.OrgID:
				return got, nil
			case err != nil && eduledger.ErrorCode(err) != eduledger.ENOTFOUND:
				return nil, err
			}
		}
		if err := call.bind(r.ID); err != nil {
			return nil, err
		}
		return cl.RedeemCredits(ctx, r)
	})
}

// CreditEntries returns a page of a learner's entries in the order they were made. Errors:
// INVALID, NOT_FOUND (no account), UNAVAILABLE.
func (e *Engine) CreditEntries(ctx context.Context, p Principal, learnerID string, pageSize int, pageToken string) (*Page[eduledger.CreditEntry], error) {
	cl, err := e.learnerClient(ctx, p, learnerID)
	if err != nil {
		return nil, err
	}
	return ledgerPage(cl.ListCreditEntries(ctx, learnerID, pageSizeOf(pageSize), pageToken))
}

// CreditEntry returns one entry of a learner's account. Errors: INVALID, NOT_FOUND, UNAVAILABLE.
func (e *Engine) CreditEntry(ctx context.Context, p Principal, learnerID, entryID string) (*eduledger.CreditEntry, error) {
	cl, err := e.entryClient(ctx, p, learnerID, entryID)
	if err != nil {
		return nil, err
	}
	return cl.GetCreditEntry(ctx, learnerID, entryID)
}

// CreditEntryHistory returns every version of an entry, newest first: its creation and one
// version per use, whose lastUse names the redemption or recognition. Errors: as CreditEntry.
func (e *Engine) CreditEntryHistory(ctx context.Context, p Principal, learnerID, entryID string) ([]eduledger.HistoryEntry[eduledger.CreditEntry], error) {
	cl, err := e.entryClient(ctx, p, learnerID, entryID)
	if err != nil {
		return nil, err
	}
	h, err := cl.GetCreditEntryHistory(ctx, learnerID, entryID)
	if err == nil && h == nil {
		h = []eduledger.HistoryEntry[eduledger.CreditEntry]{}
	}
	return h, err
}

// Redemptions returns a page of a learner's redemptions. Errors: as CreditEntries.
func (e *Engine) Redemptions(ctx context.Context, p Principal, learnerID string, pageSize int, pageToken string) (*Page[eduledger.Redemption], error) {
	cl, err := e.learnerClient(ctx, p, learnerID)
	if err != nil {
		return nil, err
	}
	return ledgerPage(cl.ListRedemptions(ctx, learnerID, pageSizeOf(pageSize), pageToken))
}

// Redemption returns one of a learner's redemptions. Errors: INVALID, NOT_FOUND, UNAVAILABLE.
func (e *Engine) Redemption(ctx context.Context, p Principal, learnerID, redemptionID string) (*eduledger.Redemption, error) {
	if !eduledger.ValidLocalID(redemptionID) {
		return nil, invalidField("redemptionId", "is not a redemption ID")
	}
	cl, err := e.learnerClient(ctx, p, learnerID)
	if err != nil {
		return nil, err
	}
	return cl.GetRedemption(ctx, learnerID, redemptionID)
}

// CreditStatement returns a learner's balances by field and level, over every entry or, with
// holderID, over the entries that institution holds (what it may redeem). Errors: INVALID,
// NOT_FOUND (no account), UNAVAILABLE.
func (e *Engine) CreditStatement(ctx context.Context, p Principal, learnerID, holderID string) (*eduledger.CreditStatement, error) {
	if holderID != "" && !eduledger.ValidOrgID(holderID) {
		return nil, invalidField("holderId", "is not an organisation ID")
	}
	cl, err := e.learnerClient(ctx, p, learnerID)
	if err != nil {
		return nil, err
	}
	return cl.GetCreditStatement(ctx, learnerID, holderID)
}

func (e *Engine) learnerClient(ctx context.Context, p Principal, learnerID string) (*ledger.Client, error) {
	if !eduledger.ValidLocalID(learnerID) {
		return nil, invalidField("learnerId", "is not a learner ID")
	}
	cl, _, err := e.client(ctx, p)
	return cl, err
}

func (e *Engine) entryClient(ctx context.Context, p Principal, learnerID, entryID string) (*ledger.Client, error) {
	if !eduledger.ValidLocalID(entryID) {
		return nil, invalidField("entryId", "is not a credit entry ID")
	}
	return e.learnerClient(ctx, p, learnerID)
}

// ledgerSetFields refuses a rule request that sets what the ledger assigns.
func ledgerSetFields(version int, publishedAt time.Time, publishedBy, txID string) error {
	switch {
	case version != 0:
		return invalidField("/version", "is assigned by the ledger; leave it out")
	case !publishedAt.IsZero():
		return invalidField("/publishedAt", "is set by the ledger; leave it out")
	case publishedBy != "":
		return invalidField("/publishedBy", "is set by the ledger; leave it out")
	case txID != "":
		return invalidField("/txId", "is set by the ledger; leave it out")
	}
	return nil
}
