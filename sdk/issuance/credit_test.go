package issuance

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// lossy is a connector whose ledgers lose the answer to chosen submissions: the transaction
// commits, and the caller hears UNAVAILABLE — what a dropped connection after ordering looks like.
type lossy struct {
	next ledger.Connector
	mu   sync.Mutex
	lose map[string]bool
}

func (c *lossy) arm(function string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lose[function] = true
}

func (c *lossy) take(function string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	armed := c.lose[function]
	delete(c.lose, function)
	return armed
}

func (c *lossy) Connect(ctx context.Context, mspID, orgID string, role eduledger.StaffRole) (ledger.Ledger, error) {
	l, err := c.next.Connect(ctx, mspID, orgID, role)
	if err != nil {
		return nil, err
	}
	return &lossyLedger{Ledger: l, c: c}, nil
}

type lossyLedger struct {
	ledger.Ledger
	c *lossy
}

func (l *lossyLedger) Submit(ctx context.Context, tx *ledger.Transaction) (*ledger.Receipt, error) {
	r, err := l.Ledger.Submit(ctx, tx)
	if err == nil && l.c.take(tx.Function) {
		return nil, ledger.Unavailable("submit "+tx.Function, errors.New("connection reset after the transaction was ordered"))
	}
	return r, err
}

func TestACreditOperationCutOffAfterCommitIsFoundByItsRetry(t *testing.T) {
	w := openWorld(t, t.TempDir())
	ctx := context.Background()
	if _, err := devnet.Bootstrap(ctx, w.conn); err != nil {
		t.Fatal(err)
	}
	conn := &lossy{next: w.conn, lose: map[string]bool{}}
	w.conn = conn
	w.cfg.Orgs = append(w.cfg.Orgs, devnet.Westlake)
	w.start(t)

	gl, err := conn.next.Connect(ctx, devnet.GovMSP, devnet.Bureau, eduledger.StaffAdmin)
	if err != nil {
		t.Fatal(err)
	}
	gov := ledger.NewClient(gl)
	since := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := gov.PublishCreditRule(ctx, &eduledger.CreditRule{ID: "cut-course", Name: eduledger.Name{Zh: "课程", En: "Course"},
		Source: eduledger.SourceRecord, RecordKind: eduledger.RecordCourse, IssuerID: devnet.Riverside, Field: "law", Level: 6,
		Credits: 2000, EffectiveFrom: since}); err != nil {
		t.Fatal(err)
	}
	if _, err := gov.PublishRecognitionRule(ctx, &eduledger.RecognitionRule{ID: "cut-delta", Name: eduledger.Name{Zh: "互认", En: "Recognition"},
		RecognizerID: devnet.Westlake, FromRegion: "310000", RatePermille: 500, EffectiveFrom: since}); err != nil {
		t.Fatal(err)
	}
	learner := w.register(t, "CUT", 1)[0]
	if _, err := w.eng.OpenCreditAccount(ctx, registrar, learner); err != nil {
		t.Fatal(err)
	}
	westlake := staff(devnet.Westlake, eduledger.StaffRegistrar)

	var record *LearningRecord
	var entry *eduledger.CreditEntry
	var recognition *eduledger.Recognition
	steps := []struct {
		name     string
		function string
		call     func(key string) (txID string, err error)
	}{
		{"a learning record", "RecordLearningOutcome", func(key string) (string, error) {
			r, err := w.eng.RecordOutcome(ctx, issuer, RecordRequest{LearnerID: learner, Kind: eduledger.RecordCourse,
				Title: eduledger.Name{Zh: "民法", En: "Civil law"}, Field: "law", Level: 6, Date: time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC),
				Detail: RecordDetail{Result: "B+"}}, key)
			if err != nil {
				return "", err
			}
			record = r
			if r.Detail == nil || r.Detail.Digest() != r.Digest {
				t.Errorf("the record's full record is missing or does not match: %+v", r)
			}
			return r.TxID, nil
		}},
		{"a deposit", "DepositCredits", func(key string) (string, error) {
			e, err := w.eng.Deposit(ctx, issuer, learner, DepositRequest{Source: eduledger.SourceRecord, OutcomeID: record.ID, RuleID: "cut-course"}, key)
			if err != nil {
				return "", err
			}
			entry = e
			return e.TxID, nil
		}},
		{"a recognition", "RecognizeCredits", func(key string) (string, error) {
			r, err := w.eng.Recognize(ctx, westlake, learner, RecognitionRequest{EntryID: entry.ID, RuleID: "cut-delta", Amount: 1000}, key)
			if err != nil {
				return "", err
			}
			recognition = r
			if r.Recognized.Amount != 500 || r.Original.Remaining != 1000 {
				t.Errorf("recognition %+v", r)
			}
			return r.Recognized.TxID, nil
		}},
		{"a redemption", "RedeemCredits", func(key string) (string, error) {
			r, err := w.eng.Redeem(ctx, westlake, learner, RedemptionRequest{ID: "cut-redemption",
				Qualification: eduledger.Qualification{Code: "LLB", Name: eduledger.Name{Zh: "法学学士", En: "LLB"}, Credits: 500},
				Parts:         []eduledger.RedemptionPart{{EntryID: recognition.Recognized.ID, Amount: 500}}}, key)
			if err != nil {
				return "", err
			}
			return r.TxID, nil
		}},
	}
	for _, st := range steps {
		t.Run(st.name+" committed while its answer was lost is returned to the retry, not made twice", func(t *testing.T) {
			key := "cut-" + strings.ReplaceAll(st.name, " ", "-")
			conn.arm(st.function)
			if _, err := st.call(key); eduledger.ErrorCode(err) != eduledger.EUNAVAILABLE {
				t.Fatalf("first attempt: %v, want UNAVAILABLE", err)
			}
			first, err := st.call(key)
			if err != nil {
				t.Fatalf("the retry: %v", err)
			}
			again, err := st.call(key)
			if err != nil || again != first {
				t.Fatalf("a second retry: %s, %v; want %s", again, err, first)
			}
		})
	}
	st, err := w.eng.CreditStatement(ctx, registrar, learner, "")
	if err != nil {
		t.Fatal(err)
	}
	if tot := st.Total; tot.Deposited != 2000 || tot.TransferredOut != 1000 || tot.Recognized != 500 || tot.Redeemed != 500 || st.Entries != 2 {
		t.Fatalf("after the retries the account holds %+v in %d entries: something was done twice or not at all", tot, st.Entries)
	}
	recs, err := w.eng.ListRecords(ctx, issuer, 0, "")
	if err != nil || len(recs.Items) != 1 {
		t.Fatalf("riverside's records: %+v, %v", recs, err)
	}
}

func TestAsFieldErrorNamesTheMemberOfTheRequest(t *testing.T) {
	for _, tc := range []struct {
		name, msg, field string
	}{
		{"a top-level member", "level must be between 1 and 8", "/level"},
		{"a member of a member", "qualification.name.zh is required", "/qualification/name/zh"},
		{"an element of a list", "parts[2].amount must be between 1 and 1000000000", "/parts/2/amount"},
		{"a message about no member", "the parts add up to 1.000 credits; the qualification asks for 2.000", ""},
		{"a member the request does not have", "salt must be 32 bytes in hex", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := asFieldError(eduledger.Errorf(eduledger.EINVALID, "%s", tc.msg), "", "level", "qualification", "parts", "id")
			var ie *InvalidError
			if got := errors.As(err, &ie); got != (tc.field != "") {
				t.Fatalf("field error: %v, want one for %q", err, tc.field)
			}
			if ie != nil && ie.Fields[0].Field != tc.field {
				t.Fatalf("field %q, want %q", ie.Fields[0].Field, tc.field)
			}
			if eduledger.ErrorCode(err) != eduledger.EINVALID {
				t.Fatalf("code %s", eduledger.ErrorCode(err))
			}
		})
	}
}
