package chaincode_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// BenchmarkAnchorCredential measures committed AnchorCredential transactions per second through
// the embedded ledger: the typed client builds and signs each proposal with a real ECDSA staff
// identity, the ledger verifies the signature, runs the chaincode through contractapi, orders the
// transaction into a durable (fsynced) block and commits it. "clients" goroutines submit at once,
// each as its own identity, anchoring for its own learner.
//
//	go test -run '^$' -bench BenchmarkAnchorCredential -benchtime 20000x ./chaincode/
func BenchmarkAnchorCredential(b *testing.B) {
	for _, clients := range []int{1, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			n := newWorld(b)
			learners := make([]string, clients)
			for i := range learners {
				learners[i] = n.registerLearner(b, riverside, fmt.Sprintf("bench-%d", i)).ID
			}
			cs := make([]*ledger.Client, clients)
			for i := range cs {
				// The real clock: what a deployment does.
				cs[i] = ledger.NewClient(n.l.Connect(n.identity(b, schoolMSP, riverside.id, eduledger.StaffIssuer)))
			}
			issuedAt := time.Now().Add(-time.Hour).UTC()
			docs := make([]*eduledger.CredentialAnchor, b.N)
			for i := range docs {
				docs[i] = anchorDoc(riverside, learners[i%clients], eduledger.TypeDiploma, issuedAt)
			}
			var next atomic.Int64
			var failed atomic.Pointer[error]
			var wg sync.WaitGroup
			b.ResetTimer()
			for c := range clients {
				wg.Go(func() {
					for {
						i := int(next.Add(1)) - 1
						if i >= b.N {
							return
						}
						d := docs[i]
						d.LearnerID = learners[c]
						if _, err := cs[c].AnchorCredential(b.Context(), d); err != nil {
							failed.CompareAndSwap(nil, &err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			if err := failed.Load(); err != nil {
				b.Fatalf("anchor failed: %v", *err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
		})
	}
}

// BenchmarkSimulate measures one endorsement (signature check and chaincode simulation, no
// ordering or commit) of a pre-signed proposal, for AnchorCredential and, as the floor every
// transaction pays in the ledger and contractapi, a transaction that reads one key. The difference
// is what the contract's own checks and writes cost.
//
//	go test -run '^$' -bench BenchmarkSimulate ./chaincode/
func BenchmarkSimulate(b *testing.B) {
	n := newWorld(b)
	l := n.registerLearner(b, riverside, "sim")
	g := n.l.Connect(n.identity(b, schoolMSP, riverside.id, eduledger.StaffIssuer))
	doc, _ := json.Marshal(anchorDoc(riverside, l.ID, eduledger.TypeDiploma, time.Now().Add(-time.Hour)))
	for _, tc := range []struct {
		name string
		tx   *ledger.Transaction
	}{
		{"GetOrganization", &ledger.Transaction{Function: "GetOrganization", Args: []string{riverside.id}}},
		{"AnchorCredential", &ledger.Transaction{Function: "AnchorCredential", Args: []string{string(doc)}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p, err := g.NewProposal(tc.tx)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := g.EvaluateProposal(b.Context(), p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
