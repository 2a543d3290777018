package chaincode_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// transactionNames reads the contract's transactions from the chaincode's own metadata, so the
// fuzz test always covers every transaction the contract has.
func transactionNames(t testing.TB, g *embedded.Gateway) (names []string, evaluate map[string]bool) {
	t.Helper()
	b, err := g.Evaluate(t.Context(), &ledger.Transaction{Function: "org.hyperledger.fabric:GetMetadata"})
	if err != nil {
		t.Fatal(err)
	}
	var md struct {
		Contracts map[string]struct {
			Transactions []struct {
				Name string   `json:"name"`
				Tag  []string `json:"tag"`
			} `json:"transactions"`
		} `json:"contracts"`
	}
	if err := json.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	evaluate = map[string]bool{}
	for _, tx := range md.Contracts[chaincode.Name].Transactions {
		names = append(names, tx.Name)
		evaluate[tx.Name] = slices.Contains(tx.Tag, "EVALUATE")
	}
	slices.Sort(names)
	if len(names) < 30 {
		t.Fatalf("the metadata lists only %d transactions", len(names))
	}
	return names, evaluate
}

// FuzzTransactions sends arbitrary arguments, argument counts and transient data to every
// transaction, as identities of every kind: the chaincode must answer with a result or an error
// with one of its four codes — never a panic (which the embedded ledger reports as an uncoded
// error) or any other failure — and whatever it commits must be a well-formed record.
func FuzzTransactions(f *testing.F) {
	n := newWorld(f)
	ctx := f.Context()
	learner := n.registerLearner(f, riverside, "fuzz-learner")
	cred, err := n.staff(f, riverside, eduledger.StaffIssuer).AnchorCredential(ctx, anchorDoc(riverside, learner.ID, eduledger.TypeDiploma, epoch))
	if err != nil {
		f.Fatal(err)
	}
	batch, err := n.staff(f, riverside, eduledger.StaffIssuer).AnchorBatch(ctx, &eduledger.BatchAnchor{Root: randomHex(32), Count: 9, Type: eduledger.TypeDiploma, IssuerID: riverside.id, IssuedAt: epoch})
	if err != nil {
		f.Fatal(err)
	}
	key, err := n.staff(f, riverside, eduledger.StaffAdmin).RegisterIssuerKey(ctx, &eduledger.IssuerKey{OrgID: riverside.id, ID: "fuzz-key", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Key()})
	if err != nil {
		f.Fatal(err)
	}
	cw := newCreditWorld(f, n, learner.ID)
	gateways := []*embedded.Gateway{
		n.gateway(f, govMSP, bureau.id, eduledger.StaffAdmin),
		n.gateway(f, schoolMSP, riverside.id, eduledger.StaffAdmin),
		n.gateway(f, schoolMSP, riverside.id, eduledger.StaffRegistrar),
		n.gateway(f, schoolMSP, riverside.id, eduledger.StaffIssuer),
		n.gateway(f, enterpriseMSP, acme.id, eduledger.StaffIssuer),
		n.gateway(f, schoolMSP, "", ""),
	}
	names, evaluate := transactionNames(f, gateways[0])

	doc := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	p := personalData("模糊测试", "310101199901010000")
	seeds := map[string][][]string{
		"InitLedger":              {{doc(bureau.document())}},
		"AdmitOrganization":       {{doc(org{"fuzz-org", schoolMSP, eduledger.KindSchool}.document())}},
		"UpdateOrganization":      {{doc(&eduledger.OrganizationUpdate{ID: lakeside.id, RegionCode: "310000", Name: eduledger.Name{Zh: "甲", En: "A"}})}},
		"SuspendOrganization":     {{lakeside.id, "audit"}},
		"ReinstateOrganization":   {{lakeside.id}},
		"GrantAccreditation":      {{doc(&eduledger.Accreditation{OrgID: acme.id, CredentialType: eduledger.TypeDegree, ValidFrom: epoch})}},
		"WithdrawAccreditation":   {{acme.id, "acc-0000000000000000", "x"}},
		"CheckAccreditation":      {{riverside.id, "Diploma", ""}, {riverside.id, "Diploma", "2026-01-01T00:00:00Z"}},
		"RegisterIssuerKey":       {{doc(&eduledger.IssuerKey{OrgID: riverside.id, ID: "k2", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Key()})}},
		"RotateIssuerKey":         {{key.ID, doc(&eduledger.IssuerKey{OrgID: riverside.id, ID: "k3", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Key()})}},
		"RevokeIssuerKey":         {{riverside.id, key.ID, "2026-01-01T00:00:00Z"}},
		"GetIssuerKey":            {{riverside.id, key.ID}},
		"RegisterLearner":         {{doc(learnerDoc("fuzz-2", p))}},
		"UpdateLearnerRoles":      {{learner.ID, `["GRADUATE"]`}},
		"UpdateLearnerHolderKeys": {{learner.ID, `[]`}},
		"SuspendLearner":          {{learner.ID, "why"}},
		"ReinstateLearner":        {{learner.ID}},
		"AnchorCredential":        {{doc(anchorDoc(riverside, learner.ID, eduledger.TypeDiploma, epoch))}},
		"AnchorBatch":             {{doc(&eduledger.BatchAnchor{Root: randomHex(32), Count: 2, Type: eduledger.TypeDiploma, IssuerID: riverside.id, IssuedAt: epoch})}},
		"ChangeCredentialStatus":  {{doc(&eduledger.StatusChange{CredentialID: cred.ID, Status: eduledger.StatusSuspended, Reason: eduledger.ReasonUnderReview})}, {doc(&eduledger.StatusChange{CredentialID: "urn:x:member", BatchRoot: batch.Root, Status: eduledger.StatusRevoked, Reason: eduledger.ReasonFraud})}},
		"GetCredentialStatus":     {{"urn:x:member", batch.Root}, {cred.ID, ""}},
		"GetCredentialByDigest":   {{cred.Digest}},
		"GetBatch":                {{batch.Root}},
		"ListOrganizations":       {{"2", ""}, {"0", "x"}},

		"RecordLearningOutcome":       {{doc(cw.recordDoc)}},
		"RevokeLearningRecord":        {{cw.record.ID, eduledger.ReasonIssuedInError}},
		"GetLearningRecord":           {{cw.record.ID}},
		"GetLearningRecordByDigest":   {{cw.record.Digest}},
		"GetLearningRecordDetail":     {{cw.record.ID}},
		"PublishCreditRule":           {{doc(cw.nextRule)}},
		"GetCreditRule":               {{cw.rule.ID, ""}, {cw.rule.ID, "1"}},
		"GetCreditRuleAt":             {{cw.rule.ID, ""}, {cw.rule.ID, "2026-01-01T00:00:00Z"}},
		"ListCreditRules":             {{"2", ""}},
		"PublishRecognitionRule":      {{doc(cw.nextRecognition)}},
		"GetRecognitionRule":          {{cw.recognition.ID, ""}},
		"GetRecognitionRuleAt":        {{cw.recognition.ID, ""}},
		"ListRecognitionRules":        {{"2", ""}},
		"OpenCreditAccount":           {{learner.ID}},
		"GetCreditAccount":            {{learner.ID}},
		"DepositCredits":              {{doc(&eduledger.DepositRequest{LearnerID: learner.ID, Source: eduledger.SourceRecord, OutcomeID: cw.spare.ID, RuleID: cw.rule.ID})}},
		"RecognizeCredits":            {{doc(&eduledger.RecognitionRequest{LearnerID: learner.ID, EntryID: cw.entry.ID, RuleID: cw.recognition.ID, Amount: 500})}},
		"RedeemCredits":               {{doc(cw.redemption)}},
		"GetCreditEntry":              {{learner.ID, cw.entry.ID}},
		"GetCreditEntryHistory":       {{learner.ID, cw.entry.ID}},
		"GetRedemption":               {{learner.ID, "fuzz-redemption"}},
		"GetCreditStatement":          {{learner.ID, ""}, {learner.ID, riverside.id}},
		"ListLearningRecordsByIssuer": {{riverside.id, "3", ""}},
	}
	pb, _ := json.Marshal(p)
	for i, name := range names {
		argSets := seeds[name]
		if argSets == nil {
			argSets = [][]string{{riverside.id, "1", ""}, {learner.ID, "5", ""}, {cred.ID}}
		}
		for _, args := range argSets {
			a := append(slices.Clone(args), "", "", "")
			var transient []byte
			switch name {
			case "RegisterLearner":
				transient = pb
			case "RecordLearningOutcome":
				transient = cw.detailJSON
			}
			for who := range gateways {
				f.Add(uint8(i), uint8(who), uint8(len(args)), a[0], a[1], a[2], transient)
			}
		}
	}
	f.Add(uint8(0), uint8(0), uint8(3), "\x00", "\xff\xfe", strings.Repeat("{", 300), []byte("null"))

	f.Fuzz(func(t *testing.T, fn, who, nargs uint8, a0, a1, a2 string, transient []byte) {
		name := names[int(fn)%len(names)]
		g := gateways[int(who)%len(gateways)]
		tx := &ledger.Transaction{Function: name, Args: []string{a0, a1, a2}[:int(nargs)%4]}
		if len(transient) > 0 {
			// The same bytes under both keys: each transaction reads the one it needs.
			tx.Transient = map[string][]byte{eduledger.TransientPersonalData: transient, eduledger.TransientRecordDetail: transient}
		}
		var result []byte
		var err error
		if evaluate[name] {
			result, err = g.Evaluate(t.Context(), tx)
		} else {
			var r *ledger.Receipt
			if r, err = g.Submit(t.Context(), tx); err == nil {
				result = r.Result
			}
		}
		if err != nil {
			switch eduledger.ErrorCode(err) {
			case eduledger.EINVALID, eduledger.ENOTFOUND, eduledger.EFORBIDDEN, eduledger.ECONFLICT:
				return
			}
			t.Fatalf("%s%q: %v (%s) — a chaincode refusal must be INVALID, NOT_FOUND, FORBIDDEN or CONFLICT", name, tx.Args, err, errorsCause(err))
		}
		if err := checkResult(name, result); err != nil {
			t.Fatalf("%s%q succeeded with a malformed result: %v\n%s", name, tx.Args, err, result)
		}
	})
}

func errorsCause(err error) string {
	var e *eduledger.Error
	if ok := asError(err, &e); ok && e.Err != nil {
		return e.Err.Error()
	}
	return ""
}

func asError(err error, target **eduledger.Error) bool {
	for err != nil {
		if e, ok := err.(*eduledger.Error); ok {
			*target = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// checkResult decodes a successful result strictly into the type the transaction returns and
// validates the records in it as the ledger must have written them.
func checkResult(name string, b []byte) error {
	strict := func(v any) error {
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		return d.Decode(v)
	}
	org := func(o *eduledger.Organization) error {
		if err := o.Validate(); err != nil {
			return err
		}
		if o.Status != eduledger.OrgActive && o.Status != eduledger.OrgSuspended || o.AdmittedAt.IsZero() {
			return fmt.Errorf("organisation without a status or admission time: %+v", o)
		}
		return nil
	}
	key := func(k *eduledger.IssuerKey) error {
		if err := k.Validate(); err != nil {
			return err
		}
		kind, _, err := multikey.Decode(k.PublicKeyMultibase)
		if err != nil || string(kind) != string(k.Type) || k.RegisteredAt.IsZero() {
			return fmt.Errorf("key %+v: %v", k, err)
		}
		return nil
	}
	anchor := func(a *eduledger.CredentialAnchor) error {
		if a.BatchRoot == "" {
			if err := a.Validate(); err != nil {
				return err
			}
		} else if !eduledger.ValidCredentialID(a.ID) || !eduledger.ValidDigest(a.BatchRoot) {
			return fmt.Errorf("batch member %+v", a)
		}
		if a.Status == "" || a.TxID == "" || a.AnchoredAt.IsZero() {
			return fmt.Errorf("anchor without status, transaction or time: %+v", a)
		}
		return nil
	}
	switch name {
	case "InitLedger", "GetGoverningOrganization", "AdmitOrganization", "UpdateOrganization", "SuspendOrganization", "ReinstateOrganization", "GetOrganization":
		var o eduledger.Organization
		if err := strict(&o); err != nil {
			return err
		}
		return org(&o)
	case "GrantAccreditation", "WithdrawAccreditation":
		var a eduledger.Accreditation
		if err := strict(&a); err != nil {
			return err
		}
		if err := a.Validate(); err != nil || a.ID == "" || a.GrantedAt.IsZero() {
			return fmt.Errorf("accreditation %+v: %v", a, err)
		}
	case "RegisterIssuerKey", "RevokeIssuerKey", "GetIssuerKey":
		var k eduledger.IssuerKey
		if err := strict(&k); err != nil {
			return err
		}
		return key(&k)
	case "RotateIssuerKey":
		var r eduledger.KeyRotation
		if err := strict(&r); err != nil {
			return err
		}
		if err := key(&r.Previous); err != nil {
			return err
		}
		return key(&r.Current)
	case "RegisterLearner", "UpdateLearnerRoles", "UpdateLearnerHolderKeys", "SuspendLearner", "ReinstateLearner", "GetLearner":
		var l eduledger.Learner
		if err := strict(&l); err != nil {
			return err
		}
		if err := l.Validate(); err != nil || l.RegisteredBy == "" {
			return fmt.Errorf("learner %+v: %v", l, err)
		}
	case "AnchorCredential", "ChangeCredentialStatus", "GetCredential", "GetCredentialByDigest", "GetCredentialStatus":
		var a eduledger.CredentialAnchor
		if err := strict(&a); err != nil {
			return err
		}
		return anchor(&a)
	case "AnchorBatch", "GetBatch":
		var bt eduledger.BatchAnchor
		if err := strict(&bt); err != nil {
			return err
		}
		return bt.Validate()
	case "GetPersonalData":
		var p eduledger.PersonalData
		if err := strict(&p); err != nil {
			return err
		}
		return p.Validate()
	case "CheckAccreditation":
		var c eduledger.AccreditationCheck
		return strict(&c)
	case "ListOrganizations":
		var p eduledger.Page[eduledger.Organization]
		if err := strict(&p); err != nil {
			return err
		}
		for _, o := range p.Items {
			if err := org(&o); err != nil {
				return err
			}
		}
	case "ListIssuerKeys":
		var p eduledger.Page[eduledger.IssuerKey]
		if err := strict(&p); err != nil {
			return err
		}
		for _, k := range p.Items {
			if err := key(&k); err != nil {
				return err
			}
		}
	case "ListAccreditations":
		var p eduledger.Page[eduledger.Accreditation]
		return strict(&p)
	case "ListCredentialsByLearner", "ListCredentialsByIssuer":
		var p eduledger.Page[eduledger.CredentialAnchor]
		if err := strict(&p); err != nil {
			return err
		}
		for _, a := range p.Items {
			if err := anchor(&a); err != nil {
				return err
			}
		}
	case "GetOrganizationHistory":
		var h []eduledger.HistoryEntry[eduledger.Organization]
		return strict(&h)
	case "GetAccreditationHistory":
		var h []eduledger.HistoryEntry[eduledger.Accreditation]
		return strict(&h)
	case "GetLearnerHistory":
		var h []eduledger.HistoryEntry[eduledger.Learner]
		return strict(&h)
	case "GetCredentialHistory":
		var h []eduledger.HistoryEntry[eduledger.CredentialAnchor]
		return strict(&h)
	default:
		if err, known := checkCreditResult(name, strict); known {
			return err
		}
		return fmt.Errorf("the fuzz test does not know transaction %s; teach checkResult its result type", name)
	}
	return nil
}
