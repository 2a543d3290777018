package ledger_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

func TestRecordLearningOutcomeSendsTheFullRecordOnlyInTheTransientMap(t *testing.T) {
	s := newSchoolLedger(t)
	ctx := t.Context()
	if _, err := s.bureau.GrantAccreditation(ctx, &eduledger.Accreditation{OrgID: "riverside-university",
		CredentialType: eduledger.TypeTranscript, ValidFrom: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	p := &eduledger.PersonalData{Name: "王小明", NationalID: "310104200402020022", Salt: strings.Repeat("ab", 32)}
	l, err := s.registrar.RegisterLearner(ctx, &eduledger.Learner{ID: "s1", Roles: []eduledger.LearnerRole{eduledger.RoleStudent},
		PersonalDataCommitment: p.Commitment()}, p)
	if err != nil {
		t.Fatal(err)
	}
	d := &eduledger.LearningRecordDetail{RecordID: "urn:uuid:1f2e3d4c-5b6a-4798-8a6b-5c4d3e2f1a0b", LearnerID: l.ID,
		Result: "优秀 excellent 97", Notes: "worked on the campus network project", Salt: strings.Repeat("cd", 32)}
	r, err := s.issuer.RecordLearningOutcome(ctx, &eduledger.LearningRecord{ID: d.RecordID, LearnerID: l.ID, IssuerID: "riverside-university",
		Kind: eduledger.RecordCourse, Title: eduledger.Name{Zh: "计算机网络", En: "Computer Networks"}, Field: "computer-networks", Level: 6,
		Date: time.Now().Add(-time.Hour), Digest: d.Digest()}, d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.l.Block(s.l.Height() - 1)
	if err != nil {
		t.Fatal(err)
	}
	tx := b.Transactions[len(b.Transactions)-1]
	if tx.Function != "RecordLearningOutcome" || len(tx.Args) != 1 {
		t.Fatalf("last transaction = %s%q", tx.Function, tx.Args)
	}
	for _, v := range []string{d.Result, d.Notes, d.Salt} {
		if strings.Contains(tx.Args[0], v) {
			t.Errorf("the record argument carries the full record's %q", v)
		}
	}
	got, err := s.registrar.GetLearningRecordDetail(ctx, r.ID)
	if err != nil || got.Digest() != d.Digest() {
		t.Fatalf("GetLearningRecordDetail = %+v, %v", got, err)
	}
}

func TestClientRefusesMissingCreditDocumentsBeforeSubmitting(t *testing.T) {
	s := newSchoolLedger(t)
	ctx := t.Context()
	height := s.l.Height()
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"a record without its full record", func() error {
			return second(s.issuer.RecordLearningOutcome(ctx, &eduledger.LearningRecord{ID: "urn:x:1"}, nil))
		}},
		{"a nil record", func() error {
			return second(s.issuer.RecordLearningOutcome(ctx, nil, &eduledger.LearningRecordDetail{}))
		}},
		{"a nil credit rule", func() error { return second(s.bureau.PublishCreditRule(ctx, nil)) }},
		{"a nil recognition rule", func() error { return second(s.bureau.PublishRecognitionRule(ctx, nil)) }},
		{"a nil deposit", func() error { return second(s.issuer.DepositCredits(ctx, nil)) }},
		{"a nil recognition", func() error { return second(s.registrar.RecognizeCredits(ctx, nil)) }},
		{"a nil redemption", func() error { return second(s.registrar.RedeemCredits(ctx, nil)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); eduledger.ErrorCode(err) != eduledger.EINVALID {
				t.Errorf("got %v, want INVALID", err)
			}
		})
	}
	if s.l.Height() != height {
		t.Errorf("refused calls reached the ledger: height %d → %d", height, s.l.Height())
	}
}

// recordingLedger remembers the transactions it is asked to evaluate and answers with fixed bytes.
type recordingLedger struct {
	brokenLedger
	txs *[]ledger.Transaction
}

func (r recordingLedger) Evaluate(_ context.Context, tx *ledger.Transaction) ([]byte, error) {
	*r.txs = append(*r.txs, *tx)
	return r.result, nil
}

func TestClientWritesRuleVersionsAndTimesAsTheChaincodeReadsThem(t *testing.T) {
	var txs []ledger.Transaction
	c := ledger.NewClient(recordingLedger{brokenLedger: brokenLedger{result: []byte(`{}`)}, txs: &txs})
	ctx := t.Context()
	at := time.Date(2026, 7, 1, 16, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for _, err := range []error{
		second(c.GetCreditRule(ctx, "r", 0)),
		second(c.GetCreditRule(ctx, "r", 2)),
		second(c.GetRecognitionRule(ctx, "r", 0)),
		second(c.GetCreditRuleAt(ctx, "r", at)),
		second(c.GetRecognitionRuleAt(ctx, "r", time.Time{})),
		second(c.ListCreditEntries(ctx, "L1", 25, "bm")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := [][]string{{"r", ""}, {"r", "2"}, {"r", ""}, {"r", "2026-07-01T08:00:00Z"}, {"r", ""}, {"L1", "25", "bm"}}
	for i, tx := range txs {
		if !slices.Equal(tx.Args, want[i]) {
			t.Errorf("%s args %q, want %q", tx.Function, tx.Args, want[i])
		}
	}
	c = ledger.NewClient(brokenLedger{err: ledger.Unavailable("peer", context.Canceled)})
	if _, err := c.RedeemCredits(ctx, &eduledger.Redemption{ID: "x"}); eduledger.ErrorCode(err) != eduledger.EUNAVAILABLE || !errors.Is(err, context.Canceled) {
		t.Errorf("an unreachable ledger: got %v, want UNAVAILABLE", err)
	}
}
