package verifier_test

import (
	"context"
	"testing"
	"time"

	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/verifier"
)

// BenchmarkVerifyCredential measures the engine alone on one goroutine (so the figure is per core):
// distinct diplomas, every check, the ledger's answers in the cache as its events put them there.
// The service's figures, HTTP included, are BenchmarkLoad in verifier/api.
func BenchmarkVerifyCredential(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []struct {
		name    string
		batched bool
	}{{"batch", true}, {"single", false}} {
		b.Run(mode.name, func(b *testing.B) {
			v := start(b, nil)
			is := net.Issuer(b, devnet.Riverside)
			l := is.Learner(b)
			const n = 2000
			var pool [][]byte
			if mode.batched {
				cs := make([]*credential.Credential, n)
				for i := range cs {
					cs[i] = is.Diploma(l.ID)
				}
				batch := is.IssueBatch(b, cs)
				for i := range n {
					vc, _ := batch.Credential(i)
					pool = append(pool, vc)
				}
			} else {
				for range n / 10 {
					pool = append(pool, is.Issue(b, is.Diploma(l.ID)).JSON)
				}
			}
			time.Sleep(100 * time.Millisecond) // the anchoring events reach the cache
			for _, vc := range pool {
				if r, err := v.Verify(ctx, vc); err != nil || r.Verdict != verifier.Verified {
					b.Fatalf("%v %+v", err, r)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				r, err := v.Verify(ctx, pool[i%len(pool)])
				if err != nil || !r.Verified {
					b.Fatal("not verified")
				}
				_ = r.AppendJSON(nil)
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
		})
	}
}
