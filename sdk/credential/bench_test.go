package credential

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/gowebpki/jcs"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// BenchmarkIssueBatch issues a graduation batch of diplomas: build, schema check, Ed25519 proof,
// digest, Merkle tree, one ML-DSA-44 signature, and rendering every signed credential. The target
// is 20,000 credentials/s on 2 cores.
func BenchmarkIssueBatch(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("diplomas=%d", n), func(b *testing.B) {
			f := newFixture(b)
			cs := make([]*Credential, n)
			for i := range cs {
				cs[i] = sample(eduledger.TypeDiploma, i)
			}
			b.ResetTimer()
			for b.Loop() {
				batch, err := f.issuer.IssueBatch(context.Background(), cs)
				if err != nil {
					b.Fatal(err)
				}
				if err := parallel(context.Background(), batch.Len(), runtime.GOMAXPROCS(0), func(i int) error {
					_, err := batch.Credential(i)
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "credentials/s")
		})
	}
}

func issuePool(b *testing.B, f *fixture, n int, batched bool) [][]byte {
	b.Helper()
	out := make([][]byte, n)
	if batched {
		cs := make([]*Credential, n)
		for i := range cs {
			cs[i] = sample(eduledger.TypeDiploma, i)
		}
		batch, err := f.issuer.IssueBatch(context.Background(), cs)
		if err != nil {
			b.Fatal(err)
		}
		for i := range out {
			out[i], _ = batch.Credential(i)
		}
		return out
	}
	for i := range out {
		issued, err := f.issuer.Issue(sample(eduledger.TypeDiploma, i))
		if err != nil {
			b.Fatal(err)
		}
		out[i] = issued.JSON
	}
	return out
}

// BenchmarkVerify verifies 1,000 distinct diplomas with every proof on one goroutine (so the
// figure is per core): batch credentials (Ed25519 proof, Merkle inclusion, the batch's ML-DSA signature
// checked once and then cached) — target 15,000/s per core — and credentials issued alone (Ed25519
// and ML-DSA-44 each time).
func BenchmarkVerify(b *testing.B) {
	for _, mode := range []struct {
		name    string
		batched bool
	}{{"batch", true}, {"single", false}} {
		b.Run(mode.name, func(b *testing.B) {
			f := newFixture(b)
			pool := issuePool(b, f, 1000, mode.batched)
			ctx := context.Background()
			// One operation verifies the 1,000 distinct credentials, so that even a -benchtime 1x
			// run (make bench) measures steady state.
			b.ResetTimer()
			for b.Loop() {
				for _, vc := range pool {
					if rep := f.verifier.Verify(ctx, vc); !rep.Verified {
						b.Fatalf("not verified: %+v", rep.Failed())
					}
				}
			}
			b.ReportMetric(float64(b.N*len(pool))/b.Elapsed().Seconds(), "credentials/s")
		})
	}
}

// BenchmarkVerifyParts measures the parts of verifying one batch diploma, to show where the time
// goes and what the JCS and JSON Schema libraries cost.
func BenchmarkVerifyParts(b *testing.B) {
	f := newFixture(b)
	vc := issuePool(b, f, 1, true)[0]
	doc, _ := jsoncanon.ParseObjectValue(vc, jsoncanon.Limits{})
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(vc)))
		for b.Loop() {
			if _, err := jsoncanon.ParseObjectValue(vc, jsoncanon.Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("schema/fast", func(b *testing.B) {
		for b.Loop() {
			if err := f.schemas.Validate(eduledger.TypeDiploma, doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	plain := doc.Any()
	b.Run("schema/santhosh-tekuri", func(b *testing.B) {
		for b.Loop() {
			if !f.schemas.validateReference(eduledger.TypeDiploma, plain) {
				b.Fatal("invalid")
			}
		}
	})
	s, _ := dataintegrity.NewSecuredValue(doc)
	unsecured := s.UnsecuredValue()
	text, _ := jsoncanon.AppendValue(nil, unsecured)
	b.Run("jcs/jsoncanon-from-parsed", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf, _ = jsoncanon.AppendValue(buf[:0], unsecured)
		}
	})
	b.Run("jcs/jsoncanon-from-text", func(b *testing.B) {
		for b.Loop() {
			if _, err := jsoncanon.Canonicalize(text); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jcs/gowebpki-from-text", func(b *testing.B) {
		for b.Loop() {
			if _, err := jcs.Transform(text); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("digest", func(b *testing.B) {
		for b.Loop() {
			s, _ := dataintegrity.NewSecuredValue(doc)
			if _, err := s.Digest(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
