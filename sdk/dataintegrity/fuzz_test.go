package dataintegrity

import (
	"context"
	"testing"

	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// fingerprint is what a valid proof vouches for: the canonical content its signature covers (the
// signature itself left out: ML-DSA signs with fresh randomness in each fuzzing worker). A forgery
// is a verified proof whose fingerprint no genuine document has.
func fingerprint(s *Secured, i int) string {
	proof := s.Proof(i)
	unsecured := s.Unsecured()
	opts := map[string]any{}
	for k, v := range proof {
		if k != "proofValue" {
			opts[k] = v
		}
	}
	switch s.Cryptosuite(i) {
	case EdDSAJCS2022:
		if pc, ok := proof["@context"]; ok {
			u := map[string]any{}
			for k, v := range unsecured {
				u[k] = v
			}
			u["@context"] = pc
			unsecured = u
		}
	case MLDSA44JCS2024:
		delete(opts, "@context")
	case MLDSA44Merkle2026:
		d, _ := s.Digest()
		delete(opts, "merkleIndex")
		delete(opts, "merklePath")
		b, _ := jsoncanon.Append(nil, opts)
		return d.String() + "|" + string(b)
	}
	a, _ := jsoncanon.Append(nil, unsecured)
	b, _ := jsoncanon.Append(nil, opts)
	return string(a) + "|" + string(b)
}

// FuzzVerifyProof feeds mutated secured documents to the verifier: it must never panic, and a
// proof it accepts must vouch for exactly what a genuine proof vouched for.
func FuzzVerifyProof(f *testing.F) {
	fx := newFixture(f)
	genuine := map[string]bool{}
	var seeds [][]byte
	add := func(doc map[string]any) {
		b, _ := jsoncanon.Append(nil, doc)
		seeds = append(seeds, b)
		s, _ := NewSecured(doc)
		for i := range s.Len() {
			genuine[fingerprint(s, i)] = true
		}
	}
	add(fx.signBoth(f, sampleDoc(1)))
	for _, d := range fx.batch(f, 3) {
		add(d)
	}
	for _, b := range seeds {
		f.Add(b)
	}
	v, _ := NewVerifier(fx.keys)
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := jsoncanon.ParseObject(data, jsoncanon.Limits{MaxBytes: 1 << 16})
		if err != nil {
			return
		}
		s, err := NewSecured(doc)
		if err != nil {
			return
		}
		for i := range s.Len() {
			if _, err := v.VerifyProof(context.Background(), s, i, Expect{Now: t0}); err == nil {
				if fp := fingerprint(s, i); !genuine[fp] {
					t.Fatalf("forgery accepted: proof %d of %s", i, data)
				}
			}
		}
	})
}
