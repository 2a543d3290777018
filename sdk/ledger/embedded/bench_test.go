package embedded

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/eduledger/eduledger/sdk/ledger"
)

// The anchor benchmarks measure committed transactions per second for the anchor-shaped test
// transaction (5 GetState, 5 PutState on composite keys, JSON values of about 300 bytes, one
// event), with durable blocks and every signature checked:
//
//	go test -run '^$' -bench 'Anchor' -benchtime 20000x ./sdk/ledger/embedded/
//
// Presigned variants sign all proposals before the timer starts, so the difference between the
// two shows what client-side signing costs.

func anchorTx(i int64) *ledger.Transaction {
	sum := sha256.Sum256([]byte(fmt.Sprint(i)))
	return tx("Anchor", "riverside-university", fmt.Sprintf("learner-%d", i%5000), fmt.Sprintf("urn:uuid:cred-%d", i), hex.EncodeToString(sum[:]))
}

func BenchmarkAnchor(b *testing.B) {
	for _, clients := range []int{1, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchAnchor(b, clients, false) })
		b.Run(fmt.Sprintf("clients=%d/presigned", clients), func(b *testing.B) { benchAnchor(b, clients, true) })
	}
}

func benchAnchor(b *testing.B, clients int, presigned bool) {
	n := newNetwork(b)
	g := n.ledger.Connect(n.issuer)
	var props []*Proposal
	if presigned {
		props = make([]*Proposal, b.N)
		for i := range props {
			p, err := g.NewProposal(anchorTx(int64(i)))
			if err != nil {
				b.Fatal(err)
			}
			props[i] = p
		}
	}
	startHeight := n.ledger.Height()
	var next atomic.Int64
	var wg sync.WaitGroup
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				var err error
				if presigned {
					_, err = g.SubmitProposal(ctx, props[i])
				} else {
					_, err = g.Submit(ctx, anchorTx(i))
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	// CPU per transaction is steadier than wall time on a shared machine, and says how far the
	// run was from using every core.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/tx")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tx/s")

	if blocks := n.ledger.Height() - startHeight; blocks > 0 {
		b.ReportMetric(float64(b.N)/float64(blocks), "tx/block")
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEvaluateAnchorRead measures a read-only evaluation (sign, verify, simulate).
func BenchmarkEvaluate(b *testing.B) {
	n := newNetwork(b)
	g := n.ledger.Connect(n.issuer)
	mustSubmit(b, g, "Put", "k", "v")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := g.Evaluate(ctx, tx("Get", "k")); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSignProposal measures what a client spends building and signing one anchor proposal.
func BenchmarkSignProposal(b *testing.B) {
	n := newNetwork(b)
	g := n.ledger.Connect(n.issuer)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := g.NewProposal(anchorTx(int64(i))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseProposal measures the node's parsing of one anchor proposal.
func BenchmarkParseProposal(b *testing.B) {
	n := newNetwork(b)
	g := n.ledger.Connect(n.issuer)
	p, err := g.NewProposal(anchorTx(1))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := parseSignedProposal(p.signed, "eduledger", "eduledger"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEndorseAnchor measures authenticating and simulating one anchor proposal, without
// ordering it.
func BenchmarkEndorseAnchor(b *testing.B) {
	n := newNetwork(b)
	g := n.ledger.Connect(n.issuer)
	props := make([]*Proposal, b.N)
	for i := range props {
		p, err := g.NewProposal(anchorTx(int64(i)))
		if err != nil {
			b.Fatal(err)
		}
		props[i] = p
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := n.ledger.endorse(props[i].signed, props[i].stored, true); err != nil {
			b.Fatal(err)
		}
	}
}
