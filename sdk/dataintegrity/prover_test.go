package dataintegrity

import (
	"fmt"
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
	"github.com/eduledger/eduledger/sdk/merkle"
)

// requireProverMatches checks that a Prover's proof over unsecured is byte for byte the canonical
// form of CreateProof's (Ed25519 signatures are deterministic), and that its canonical digest is
// Digest's.
func requireProverMatches(t *testing.T, p *Prover, signer Signer, opts Options, unsecured *jsoncanon.Value) {
	t.Helper()
	d, err := PrepareValue(unsecured)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.CreateProof(d)
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.CreateProof(EdDSAJCS2022, signer, opts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := jsoncanon.Append(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("Prover made\n %s\nCreateProof made\n %s", got, want)
	}
	wantDigest, err := d.Digest(m)
	if err != nil {
		t.Fatal(err)
	}
	if gotDigest := d.DigestCanonical(got); gotDigest != wantDigest {
		t.Fatalf("DigestCanonical = %s, Digest = %s", gotDigest, wantDigest)
	}
}

func TestProverMakesTheProofCreateProofMakes(t *testing.T) {
	f := newFixture(t)
	docs := map[string]map[string]any{
		"a credential":                       sampleDoc(1),
		"another credential of that context": sampleDoc(2),
		"a document with a string @context":  {"@context": "https://www.w3.org/ns/credentials/v2", "id": "urn:x:1"},
		"a document with a null @context":    {"@context": nil, "id": "urn:x:2"},
		"a document without @context":        {"id": "urn:x:3", "name": "<&> \u2028 😀"},
		"a document with two contexts": {"@context": []any{"https://www.w3.org/ns/credentials/v2",
			"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"}, "id": "urn:x:4"},
	}
	for _, opts := range []Options{
		{Created: t0},
		{},
		{Created: t0, Expires: t0.AddDate(1, 0, 0), Purpose: PurposeAuthentication, Challenge: "nonce-1", Domain: "verifier.example", ID: "urn:proof:1"},
	} {
		p, err := NewProver(EdDSAJCS2022, f.ed, opts)
		if err != nil {
			t.Fatal(err)
		}
		// The same Prover serves every document in turn, and then again, so that cached
		// configurations are both reused and replaced.
		for range 2 {
			for name, doc := range docs {
				t.Run(fmt.Sprintf("%s with options %+v gets the same proof", name, opts), func(t *testing.T) {
					v, err := jsoncanon.FromAny(doc)
					if err != nil {
						t.Fatal(err)
					}
					requireProverMatches(t, p, f.ed, opts, v)
				})
			}
		}
	}
}

func TestProverMLDSAProofsVerifyAndLeaveTheContextOut(t *testing.T) {
	f := newFixture(t)
	p, err := NewProver(MLDSA44JCS2024, f.pq, Options{Created: t0})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := NewVerifier(f.keys)
	for i := range 3 {
		unsecured := sampleDoc(i)
		d, _ := Prepare(unsecured)
		canon, err := p.CreateProof(d)
		if err != nil {
			t.Fatal(err)
		}
		proof, err := jsoncanon.ParseObject(canon, jsoncanon.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := proof["@context"]; ok {
			t.Errorf("an mldsa44-jcs-2024 proof carries @context: %s", canon)
		}
		// Hedged ML-DSA signatures differ each time; everything else must not.
		m, _ := d.CreateProof(MLDSA44JCS2024, f.pq, Options{Created: t0})
		m["proofValue"] = proof["proofValue"]
		if want, _ := jsoncanon.Append(nil, m); string(want) != string(canon) {
			t.Errorf("proof %s\nwant  %s", canon, want)
		}
		for j, err := range verifyAll(t, v, roundTrip(t, Secure(unsecured, proof)), Expect{}) {
			if err != nil {
				t.Errorf("document %d proof %d: %v", i, j, err)
			}
		}
	}
}

func TestProverRefusesWhatCreateProofRefuses(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		suite  string
		signer Signer
	}{{MLDSA44Merkle2026, f.pq}, {EdDSAJCS2022, f.pq}, {MLDSA44JCS2024, f.ed}, {"ecdsa-jcs-2019", f.ed}} {
		t.Run(fmt.Sprintf("%s with a %s key is refused", tc.suite, tc.signer.Kind()), func(t *testing.T) {
			if _, err := NewProver(tc.suite, tc.signer, Options{}); eduledger.ErrorCode(err) != eduledger.EINVALID {
				t.Errorf("NewProver: %v", err)
			}
		})
	}
}

func TestDigestCanonicalOfNoProofIsTheDocumentHash(t *testing.T) {
	d, _ := Prepare(sampleDoc(1))
	want, _ := d.Digest()
	if got := d.DigestCanonical(); got != want || got != merkle.Hash(d.Hash()) {
		t.Errorf("DigestCanonical() = %s, Digest() = %s", got, want)
	}
}

func TestAppendProofIsTheCanonicalBatchProof(t *testing.T) {
	f := newFixture(t)
	for _, n := range []int{1, 2, 3, 5, 8, 13, 100} {
		t.Run(fmt.Sprintf("every proof of a batch of %d", n), func(t *testing.T) {
			digests := make([]merkle.Hash, n)
			for i := range digests {
				digests[i][0], digests[i][1] = byte(i), byte(i>>8)
			}
			b, err := SignBatch(digests, f.pq, Options{Created: t0})
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				p, err := b.Proof(i)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := jsoncanon.Append(nil, p)
				got, err := b.AppendProof([]byte("prefix"), i)
				if err != nil || string(got) != "prefix"+string(want) {
					t.Fatalf("AppendProof(%d) = %s, %v\nwant %s", i, got, err, want)
				}
			}
			if _, err := b.AppendProof(nil, n); eduledger.ErrorCode(err) != eduledger.EINVALID {
				t.Errorf("AppendProof past the end: %v", err)
			}
		})
	}
	t.Run("a batch without a creation time gets the same proofs", func(t *testing.T) {
		b, _ := SignBatch([]merkle.Hash{{1}, {2}}, f.pq, Options{})
		p, _ := b.Proof(1)
		want, _ := jsoncanon.Append(nil, p)
		if got, _ := b.AppendProof(nil, 1); string(got) != string(want) {
			t.Errorf("AppendProof = %s\nwant %s", got, want)
		}
	})
}

// FuzzProverMatchesCreateProof signs arbitrary documents both ways: the Prover's canonical proof
// must be exactly CreateProof's, and the digests equal.
func FuzzProverMatchesCreateProof(f *testing.F) {
	fx := newFixture(f)
	for i := range 3 {
		b, _ := jsoncanon.Append(nil, sampleDoc(i))
		f.Add(b, "")
	}
	f.Add([]byte(`{"@context":{"@vocab":"urn:x:"},"a":1e400}`), "nonce")
	f.Add([]byte(`{"@context":[],"\u00e9":"\ud83d\ude00"}`), "")
	opts := func(challenge string) Options { return Options{Created: t0, Challenge: challenge} }
	provers := map[string]*Prover{}
	f.Fuzz(func(t *testing.T, data []byte, challenge string) {
		doc, err := jsoncanon.ParseObjectValue(data, jsoncanon.Limits{MaxBytes: 1 << 16})
		if err != nil {
			return
		}
		if _, ok := doc.Get("proof"); ok {
			return
		}
		p := provers[challenge]
		if p == nil {
			if p, err = NewProver(EdDSAJCS2022, fx.ed, opts(challenge)); err != nil {
				t.Fatal(err)
			}
			provers[challenge] = p
		}
		d, err := PrepareValue(doc)
		if err != nil {
			return
		}
		if _, err := d.CreateProof(EdDSAJCS2022, fx.ed, opts(challenge)); err != nil {
			if _, perr := p.CreateProof(d); perr == nil {
				t.Fatalf("CreateProof failed (%v), the Prover did not", err)
			}
			return
		}
		requireProverMatches(t, p, fx.ed, opts(challenge), doc)
	})
}
