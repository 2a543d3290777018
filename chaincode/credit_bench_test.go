package chaincode_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// BenchmarkCreditBank measures committed credit-bank transactions per second through the embedded
// ledger (signed proposals, contractapi, fsynced blocks), with "clients" goroutines each acting for
// its own learner: DepositCredits of recorded outcomes, and RedeemCredits of one thousandth at a
// time from the learner's entry. Different learners' entries share no key, so throughput should
// grow with clients as it does for AnchorCredential.
//
//	go test -run '^$' -bench BenchmarkCreditBank -benchtime 4000x ./chaincode/
func BenchmarkCreditBank(b *testing.B) {
	for _, op := range []string{"DepositCredits", "RedeemCredits"} {
		for _, clients := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/clients=%d", op, clients), func(b *testing.B) {
				n := newWorld(b)
				ctx := b.Context()
				if _, err := n.staff(b, bureau, eduledger.StaffAdmin).PublishCreditRule(ctx, awardRule("bench", 2000)); err != nil {
					b.Fatal(err)
				}
				learners := make([]string, clients)
				for i := range learners {
					learners[i] = n.registerLearner(b, riverside, fmt.Sprintf("bench-%d", i)).ID
					n.openAccount(b, riverside, learners[i])
				}
				cs := make([]*ledger.Client, clients)
				for i := range cs {
					cs[i] = ledger.NewClient(n.l.Connect(n.identity(b, schoolMSP, riverside.id, eduledger.StaffIssuer)))
				}
				// Setup, not measured: the outcomes to deposit, or one large entry per learner.
				var calls []func(c *ledger.Client) error
				if op == "DepositCredits" {
					iss := ledger.NewClient(n.l.Connect(n.identity(b, schoolMSP, riverside.id, eduledger.StaffIssuer)))
					for i := range b.N {
						l := learners[i%clients]
						r, d := recordDoc(riverside, l, eduledger.RecordAward, time.Now().Add(-time.Hour))
						if _, err := iss.RecordLearningOutcome(ctx, r, d); err != nil {
							b.Fatal(err)
						}
						calls = append(calls, func(c *ledger.Client) error {
							_, err := c.DepositCredits(ctx, &eduledger.DepositRequest{LearnerID: l, Source: eduledger.SourceRecord, OutcomeID: r.ID, RuleID: "bench"})
							return err
						})
					}
				} else {
					big := awardRule("bench-big", eduledger.MaxCredits)
					if _, err := n.staff(b, bureau, eduledger.StaffAdmin).PublishCreditRule(ctx, big); err != nil {
						b.Fatal(err)
					}
					entries := make([]string, clients)
					for i, l := range learners {
						r := n.record(b, riverside, l, eduledger.RecordAward, epoch)
						entries[i] = n.deposit(b, riverside, eduledger.StaffIssuer, l, eduledger.SourceRecord, r.ID, "bench-big").ID
					}
					for i := range b.N {
						l, e := learners[i%clients], entries[i%clients]
						calls = append(calls, func(c *ledger.Client) error {
							_, err := c.RedeemCredits(ctx, redemption(fmt.Sprintf("bench-%d", i), riverside, l, eduledger.RedemptionPart{EntryID: e, Amount: 1}))
							return err
						})
					}
					for i := range cs {
						cs[i] = ledger.NewClient(n.l.Connect(n.identity(b, schoolMSP, riverside.id, eduledger.StaffRegistrar)))
					}
				}
				var failed atomic.Pointer[error]
				var wg sync.WaitGroup
				b.ResetTimer()
				for c := range clients {
					wg.Go(func() {
						// Client c makes calls c, c+clients, …: all for its own learner, in order.
						for i := c; i < b.N; i += clients {
							if err := calls[i](cs[c]); err != nil {
								failed.CompareAndSwap(nil, &err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				if err := failed.Load(); err != nil {
					b.Fatalf("%s failed: %v", op, *err)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
			})
		}
	}
}

// BenchmarkGetCreditStatement measures the statement of an account of 200 entries, half of them
// partly redeemed: one evaluate that reads every entry and the outcome behind each.
//
//	go test -run '^$' -bench BenchmarkGetCreditStatement ./chaincode/
func BenchmarkGetCreditStatement(b *testing.B) {
	n := newWorld(b)
	ctx := b.Context()
	if _, err := n.staff(b, bureau, eduledger.StaffAdmin).PublishCreditRule(ctx, awardRule("bench", 2000)); err != nil {
		b.Fatal(err)
	}
	l := n.registerLearner(b, riverside, "statement").ID
	n.openAccount(b, riverside, l)
	for i := range 200 {
		e := n.deposit(b, riverside, eduledger.StaffIssuer, l, eduledger.SourceRecord, n.record(b, riverside, l, eduledger.RecordAward, epoch).ID, "bench")
		if i%2 == 0 {
			if _, err := n.staff(b, riverside, eduledger.StaffRegistrar).RedeemCredits(ctx, redemption(fmt.Sprintf("r%d", i), riverside, l,
				eduledger.RedemptionPart{EntryID: e.ID, Amount: 500})); err != nil {
				b.Fatal(err)
			}
		}
	}
	c := n.staff(b, riverside, eduledger.StaffRegistrar)
	for b.Loop() {
		st, err := c.GetCreditStatement(ctx, l, "")
		if err != nil || st.Entries != 200 {
			b.Fatalf("statement: %+v, %v", st, err)
		}
	}
}
