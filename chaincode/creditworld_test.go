package chaincode_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
)

// Helpers for the archive and credit-bank tests. The test world (newWorld) accredits every
// organisation for Certificate, so every organisation that may record outcomes may record EXAM and
// AWARD records; the schools also hold Diploma, the enterprise InternshipRecord (PRACTICE).

// westlake is a university in another region (330100) that recognises credits from Shanghai.
var westlake = org{"westlake-university", schoolMSP, eduledger.KindSchool}

// admitWestlake admits westlake, in its region.
func (n *testNet) admitWestlake(t testing.TB) {
	t.Helper()
	d := westlake.document()
	d.RegionCode = "330100"
	if _, err := n.staff(t, bureau, eduledger.StaffAdmin).AdmitOrganization(t.Context(), d); err != nil {
		t.Fatal(err)
	}
}

// recordDoc returns a learning record of o for a learner and its full record.
func recordDoc(o org, learnerID string, kind eduledger.RecordKind, date time.Time) (*eduledger.LearningRecord, *eduledger.LearningRecordDetail) {
	id := "urn:uuid:" + randomHex(16)
	d := &eduledger.LearningRecordDetail{RecordID: id, LearnerID: learnerID, Result: "A-", Assessment: "written exam and project",
		Evidence: []string{"archive/" + id}, Salt: randomHex(32)}
	return &eduledger.LearningRecord{ID: id, LearnerID: learnerID, IssuerID: o.id, Kind: kind,
		Title: eduledger.Name{Zh: "计算机网络", En: "Computer Networks"}, Code: "CN201", Field: "computer-networks", Level: 6,
		Hours: 48, CreditsClaimed: 3000, Date: date, Digest: d.Digest()}, d
}

// record records a learning outcome through o's issuer.
func (n *testNet) record(t testing.TB, o org, learnerID string, kind eduledger.RecordKind, date time.Time) *eduledger.LearningRecord {
	t.Helper()
	r, d := recordDoc(o, learnerID, kind, date)
	got, err := n.staff(t, o, eduledger.StaffIssuer).RecordLearningOutcome(t.Context(), r, d)
	if err != nil {
		t.Fatalf("record %s for %s: %v", kind, learnerID, err)
	}
	return got
}

// awardRule converts AWARD records into credits of amount in general-studies at level 5, from
// a year before the epoch.
func awardRule(id string, amount int64) *eduledger.CreditRule {
	return &eduledger.CreditRule{ID: id, Name: eduledger.Name{Zh: "竞赛获奖", En: "Awards"}, Source: eduledger.SourceRecord,
		RecordKind: eduledger.RecordAward, Field: "general-studies", Level: 5, Credits: amount, EffectiveFrom: epoch.AddDate(-1, 0, 0)}
}

// recognitionRule lets recognizer recognise credits from Shanghai (310000) at rate ‰.
func recognitionRule(id string, recognizer org, rate int) *eduledger.RecognitionRule {
	return &eduledger.RecognitionRule{ID: id, Name: eduledger.Name{Zh: "学分互认", En: "Credit recognition"}, RecognizerID: recognizer.id,
		FromRegion: "310000", RatePermille: rate, EffectiveFrom: epoch.AddDate(-1, 0, 0)}
}

// anchorCertificate anchors a Certificate of o for a learner, issued at the epoch, and returns its ID.
func (n *testNet) anchorCertificate(t testing.TB, o org, learnerID string) string {
	t.Helper()
	a, err := n.staff(t, o, eduledger.StaffIssuer).AnchorCredential(t.Context(), anchorDoc(o, learnerID, eduledger.TypeCertificate, epoch))
	if err != nil {
		t.Fatalf("anchor a certificate of %s: %v", o.id, err)
	}
	return a.ID
}

// openAccount opens a learner's account through its registering organisation's registrar.
func (n *testNet) openAccount(t testing.TB, registrar org, learnerID string) {
	t.Helper()
	if _, err := n.staff(t, registrar, eduledger.StaffRegistrar).OpenCreditAccount(t.Context(), learnerID); err != nil {
		t.Fatalf("open account of %s: %v", learnerID, err)
	}
}

// deposit deposits an outcome under a rule through c's organisation and role.
func (n *testNet) deposit(t testing.TB, o org, role eduledger.StaffRole, learnerID string, source eduledger.OutcomeSource, outcomeID, ruleID string) *eduledger.CreditEntry {
	t.Helper()
	e, err := n.staff(t, o, role).DepositCredits(t.Context(), &eduledger.DepositRequest{LearnerID: learnerID, Source: source, OutcomeID: outcomeID, RuleID: ruleID})
	if err != nil {
		t.Fatalf("deposit %s %s: %v", source, outcomeID, err)
	}
	return e
}

// redemption redeems parts toward a qualification asking for their sum.
func redemption(id string, institution org, learnerID string, parts ...eduledger.RedemptionPart) *eduledger.Redemption {
	var total int64
	for _, p := range parts {
		total += p.Amount
	}
	return &eduledger.Redemption{ID: id, LearnerID: learnerID, InstitutionID: institution.id, Parts: parts,
		Qualification: eduledger.Qualification{Code: "NET-DIP", Name: eduledger.Name{Zh: "网络工程专科", En: "Diploma in Network Engineering"}, Credits: total}}
}

// creditWorld is what the fuzz test needs of the credit bank: rules, a learner's account, a
// deposited record and a spare one, and documents for the next versions and a redemption.
type creditWorld struct {
	rule, nextRule               *eduledger.CreditRule
	recognition, nextRecognition *eduledger.RecognitionRule
	record, spare                *eduledger.LearningRecord
	recordDoc                    *eduledger.LearningRecord
	detailJSON                   []byte
	entry                        *eduledger.CreditEntry
	redemption                   *eduledger.Redemption
}

func newCreditWorld(t testing.TB, n *testNet, learnerID string) *creditWorld {
	t.Helper()
	ctx := t.Context()
	gov := n.staff(t, bureau, eduledger.StaffAdmin)
	w := &creditWorld{}
	var err error
	if w.rule, err = gov.PublishCreditRule(ctx, awardRule("fuzz-award", 2000)); err != nil {
		t.Fatal(err)
	}
	w.nextRule = awardRule("fuzz-award", 2500)
	w.nextRule.EffectiveFrom = epoch.AddDate(1, 0, 0)
	if w.recognition, err = gov.PublishRecognitionRule(ctx, recognitionRule("fuzz-recognition", sunrise, 500)); err != nil {
		t.Fatal(err)
	}
	w.nextRecognition = recognitionRule("fuzz-recognition", sunrise, 750)
	w.nextRecognition.EffectiveFrom = epoch.AddDate(1, 0, 0)
	n.openAccount(t, riverside, learnerID)
	w.record = n.record(t, riverside, learnerID, eduledger.RecordAward, epoch.Add(-24*time.Hour))
	w.spare = n.record(t, riverside, learnerID, eduledger.RecordAward, epoch.Add(-48*time.Hour))
	w.entry = n.deposit(t, riverside, eduledger.StaffIssuer, learnerID, eduledger.SourceRecord, w.record.ID, w.rule.ID)
	var d *eduledger.LearningRecordDetail
	w.recordDoc, d = recordDoc(riverside, learnerID, eduledger.RecordAward, epoch.Add(-time.Hour))
	w.detailJSON, _ = json.Marshal(d)
	w.redemption = redemption("fuzz-redemption", riverside, learnerID, eduledger.RedemptionPart{EntryID: w.entry.ID, Amount: 1000})
	return w
}

// checkCreditResult is checkResult for the archive's and the credit bank's transactions: it
// decodes the result strictly and checks the records in it as the ledger must have written them.
// known is false for other transactions.
func checkCreditResult(name string, strict func(any) error) (err error, known bool) {
	record := func(r *eduledger.LearningRecord) error {
		if err := r.Validate(); err != nil {
			return err
		}
		if r.Status == "" || r.TxID == "" || r.RecordedAt.IsZero() {
			return fmt.Errorf("record without status, transaction or time: %+v", r)
		}
		return nil
	}
	entry := func(e *eduledger.CreditEntry) error {
		if e.Amount <= 0 || e.Remaining < 0 || e.Redeemed < 0 || e.TransferredOut < 0 || e.Remaining != e.Amount-e.Redeemed-e.TransferredOut ||
			(e.UseCount == 0) != (e.LastUse == nil) || !eduledger.ValidField(e.Field) || e.TxID == "" {
			return fmt.Errorf("malformed entry %+v", e)
		}
		return nil
	}
	balance := func(b eduledger.CreditBalance) error {
		if b.Balance != b.Deposited+b.Recognized-b.TransferredOut-b.Redeemed || b.Blocked < 0 || b.Blocked > b.Balance {
			return fmt.Errorf("balance does not add up: %+v", b)
		}
		return nil
	}
	switch name {
	case "RecordLearningOutcome", "RevokeLearningRecord", "GetLearningRecord", "GetLearningRecordByDigest":
		var r eduledger.LearningRecord
		if err := strict(&r); err != nil {
			return err, true
		}
		return record(&r), true
	case "GetLearningRecordDetail":
		var d eduledger.LearningRecordDetail
		if err := strict(&d); err != nil {
			return err, true
		}
		return d.Validate(), true
	case "ListLearningRecordsByIssuer":
		var p eduledger.Page[eduledger.LearningRecord]
		if err := strict(&p); err != nil {
			return err, true
		}
		for _, r := range p.Items {
			if err := record(&r); err != nil {
				return err, true
			}
		}
	case "GetLearnerArchive":
		var p eduledger.Page[eduledger.ArchiveItem]
		if err := strict(&p); err != nil {
			return err, true
		}
		for _, it := range p.Items {
			if (it.Record == nil) == (it.Credential == nil) || it.At.IsZero() {
				return fmt.Errorf("archive item %+v", it), true
			}
		}
	case "PublishCreditRule", "GetCreditRule", "GetCreditRuleAt":
		var r eduledger.CreditRule
		if err := strict(&r); err != nil {
			return err, true
		}
		if err := r.Validate(); err != nil || r.Version < 1 || r.PublishedAt.IsZero() {
			return fmt.Errorf("rule %+v: %v", r, err), true
		}
	case "PublishRecognitionRule", "GetRecognitionRule", "GetRecognitionRuleAt":
		var r eduledger.RecognitionRule
		if err := strict(&r); err != nil {
			return err, true
		}
		if err := r.Validate(); err != nil || r.Version < 1 || r.PublishedAt.IsZero() {
			return fmt.Errorf("recognition rule %+v: %v", r, err), true
		}
	case "ListCreditRules":
		var p eduledger.Page[eduledger.CreditRule]
		return strict(&p), true
	case "ListRecognitionRules":
		var p eduledger.Page[eduledger.RecognitionRule]
		return strict(&p), true
	case "OpenCreditAccount", "GetCreditAccount":
		var a eduledger.CreditAccount
		if err := strict(&a); err != nil {
			return err, true
		}
		if !eduledger.ValidLocalID(a.LearnerID) || a.OpenedAt.IsZero() || a.OpenedBy == "" {
			return fmt.Errorf("account %+v", a), true
		}
	case "DepositCredits", "GetCreditEntry":
		var e eduledger.CreditEntry
		if err := strict(&e); err != nil {
			return err, true
		}
		return entry(&e), true
	case "RecognizeCredits":
		var r eduledger.Recognition
		if err := strict(&r); err != nil {
			return err, true
		}
		if err := entry(&r.Original); err != nil {
			return err, true
		}
		return entry(&r.Recognized), true
	case "GetCreditEntryHistory":
		var h []eduledger.HistoryEntry[eduledger.CreditEntry]
		if err := strict(&h); err != nil {
			return err, true
		}
		for _, v := range h {
			if v.Value == nil {
				return fmt.Errorf("history version without a value"), true
			}
			if err := entry(v.Value); err != nil {
				return err, true
			}
		}
	case "ListCreditEntries":
		var p eduledger.Page[eduledger.CreditEntry]
		if err := strict(&p); err != nil {
			return err, true
		}
		for _, e := range p.Items {
			if err := entry(&e); err != nil {
				return err, true
			}
		}
	case "RedeemCredits", "GetRedemption":
		var r eduledger.Redemption
		if err := strict(&r); err != nil {
			return err, true
		}
		if err := r.Validate(); err != nil || r.Total != r.Qualification.Credits || r.TxID == "" {
			return fmt.Errorf("redemption %+v: %v", r, err), true
		}
	case "ListRedemptions":
		var p eduledger.Page[eduledger.Redemption]
		return strict(&p), true
	case "GetCreditStatement":
		var st eduledger.CreditStatement
		if err := strict(&st); err != nil {
			return err, true
		}
		for _, b := range st.Balances {
			if err := balance(b); err != nil {
				return err, true
			}
		}
		return balance(st.Total), true
	default:
		return nil, false
	}
	return nil, true
}
