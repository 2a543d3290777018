package credential

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/big"
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// TestFastSchemaAgreesWithTheReferenceOnEveryMutation runs both schema validators on every
// credential type and on every single-field mutation of each (the tamper test's mutations, plus
// values of other JSON kinds), and requires the same answer: against the document's own type's
// schema, and with -args -long against every type's.
func TestFastSchemaAgreesWithTheReferenceOnEveryMutation(t *testing.T) {
	f := newFixture(t)
	single, batched := tamperSample(t, f)
	n := 0
	for _, typ := range eduledger.CredentialTypes {
		for _, vc := range [][]byte{single[typ], batched[typ]} {
			doc, _ := jsoncanon.ParseObject(vc, jsoncanon.Limits{})
			docs := []map[string]any{doc}
			for _, m := range mutations(doc) {
				docs = append(docs, m.doc)
			}
			walk(doc, nil, func(p jsonPath, v any) {
				for _, repl := range []any{nil, true, json.Number("0"), json.Number("-1"), json.Number("1e400"),
					json.Number("10000.0000000000000000000000000000000000000000000000000000000000001"), "", "X", []any{}, map[string]any{}} {
					docs = append(docs, edit(doc, p, func(parent, last any) any { setChild(parent, last, repl); return nil }))
				}
			})
			types := []eduledger.CredentialType{typ}
			if *long {
				types = eduledger.CredentialTypes
			}
			for _, d := range docs {
				if _, err := jsoncanon.FromAny(d); err != nil {
					continue // a value no parsed document holds (a number beyond the double range)
				}
				for _, vt := range types {
					fast := f.schemas.validateFast(vt, d)
					ref := f.schemas.validateReference(vt, d)
					if fast != ref {
						b, _ := jsoncanon.Append(nil, d)
						t.Fatalf("%s schema: fast %v, reference %v for %s", vt, fast, ref, b)
					}
					n++
				}
			}
		}
	}
	t.Logf("%d documents checked by both validators", n)
}

// FuzzFastSchemaAgrees feeds arbitrary documents to both schema validators for every type.
func FuzzFastSchemaAgrees(f *testing.F) {
	fx := newFixture(f)
	for _, typ := range eduledger.CredentialTypes {
		issued, err := fx.issuer.Issue(sample(typ, 1))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(issued.JSON)
	}
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential","EduLedgerIdentityCard"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := jsoncanon.Parse(data, jsoncanon.Limits{MaxBytes: 1 << 16})
		if err != nil {
			return
		}
		for _, vt := range eduledger.CredentialTypes {
			if fast, ref := fx.schemas.validateFast(vt, doc), fx.schemas.validateReference(vt, doc); fast != ref {
				t.Fatalf("%s schema: fast %v, reference %v for %s", vt, fast, ref, data)
			}
		}
	})
}

// fuzzGenuine issues deterministic credentials (fixed IDs, keys and clock) and returns them with
// the fingerprints of what their proofs vouch for. ML-DSA signatures are randomised, so the
// fingerprint leaves out the post-quantum proof value and uses the canonical unsecured document
// and the Ed25519 proof (both deterministic).
func fuzzGenuine(tb testing.TB, fx *fixture) ([][]byte, map[[32]byte]bool) {
	var out [][]byte
	genuine := map[[32]byte]bool{}
	for i, typ := range eduledger.CredentialTypes {
		c := sample(typ, i)
		c.ID = fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", i)
		issued, err := fx.issuer.Issue(c)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, issued.JSON)
	}
	var cs []*Credential
	for i := range 3 {
		c := sample(eduledger.TypeDiploma, 100+i)
		c.ID = fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", 100+i)
		cs = append(cs, c)
	}
	b, err := fx.issuer.IssueBatch(context.Background(), cs)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range b.Len() {
		vc, _ := b.Credential(i)
		out = append(out, vc)
	}
	for _, vc := range out {
		doc, _ := jsoncanon.ParseObject(vc, jsoncanon.Limits{})
		genuine[fingerprint(doc)] = true
	}
	return out, genuine
}

func fingerprint(doc map[string]any) [32]byte {
	s, err := dataintegrity.NewSecured(doc)
	if err != nil {
		return [32]byte{}
	}
	u, _ := jsoncanon.Append(nil, s.Unsecured())
	h := sha256.New()
	h.Write(u)
	for i := range s.Len() {
		if s.Cryptosuite(i) == dataintegrity.EdDSAJCS2022 {
			p, _ := jsoncanon.Append(nil, s.Proof(i))
			h.Write(p)
		}
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// FuzzVerify feeds mutated credentials to the verifier: it must never panic, and whatever it
// verifies must be, field for field, a credential the issuer signed.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	seeds, genuine := fuzzGenuine(f, fx)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep := fx.verifier.Verify(context.Background(), data)
		if len(rep.Checks) == 0 {
			t.Fatal("a report without checks")
		}
		if !rep.Verified {
			for _, c := range rep.Failed() {
				if c.Reason == "" && c.Status != Skipped {
					t.Fatalf("check %s %s without a reason", c.Name, c.Status)
				}
			}
			return
		}
		if !genuine[fingerprint(rep.Document())] {
			t.Fatalf("forgery verified: %s", data)
		}
	})
}

// FuzzParse checks that Parse never panics and that what it accepts is a JSON object.
func FuzzParse(f *testing.F) {
	fx := newFixture(f)
	seeds, _ := fuzzGenuine(f, fx)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add([]byte(`{"id":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err == nil && c == nil {
			t.Fatal("nil credential without an error")
		}
		if err != nil && eduledger.ErrorCode(err) != eduledger.EINVALID {
			t.Fatalf("error %v is not INVALID", err)
		}
	})
}

func TestPlainDecimalComparisonIsExact(t *testing.T) {
	for _, lit := range []string{"0", "-0", "1", "-1", "0.5", "-0.5", "10000", "10000.0", "10000.0000000000000000000001",
		"9999.999999999999999999999", "-10000.5", "162.5", "-3", "-3.25", "-2.75", "1e2", "123456789012345678", "-0.0"} {
		for _, b := range []int64{-10000, -3, -1, 0, 1, 3, 10000} {
			bound := new(big.Rat).SetInt64(b)
			want := new(big.Rat)
			if _, ok := want.SetString(lit); !ok {
				t.Fatal(lit)
			}
			got, ok := cmpPlainDecimal(lit, bound)
			if !ok {
				continue
			}
			if w := want.Cmp(bound); w != got {
				t.Errorf("cmpPlainDecimal(%s, %d) = %d, want %d", lit, b, got, w)
			}
		}
	}
}
