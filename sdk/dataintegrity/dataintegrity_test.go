package dataintegrity

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
	"github.com/eduledger/eduledger/sdk/merkle"
	"github.com/eduledger/eduledger/sdk/multikey"
)

const (
	edVM = "did:eduledger:org:riverside-university#ed-2026"
	pqVM = "did:eduledger:org:riverside-university#pq-2026"
)

var t0 = time.Date(2026, 6, 30, 8, 0, 0, 0, time.UTC)

type fixture struct {
	ed, pq Signer
	keys   StaticKeys
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	var seed [32]byte
	copy(seed[:], "eduledger test seed for keys....")
	edKey := ed25519.NewKeyFromSeed(seed[:])
	pqPub, pqKey := mldsa44.NewKeyFromSeed(&seed)
	ed, _ := NewEd25519Signer(edVM, edKey)
	pq, _ := NewMLDSA44Signer(pqVM, pqKey)
	edMK, _ := multikey.Encode(multikey.Ed25519, edKey.Public().(ed25519.PublicKey))
	pqMK, _ := multikey.Encode(multikey.MLDSA44, pqPub.Bytes())
	keys := StaticKeys{}
	keys.Add(&Key{ID: edVM, Controller: "did:eduledger:org:riverside-university", PublicKeyMultibase: edMK, ValidFrom: t0.AddDate(-1, 0, 0)})
	keys.Add(&Key{ID: pqVM, Controller: "did:eduledger:org:riverside-university", PublicKeyMultibase: pqMK, ValidFrom: t0.AddDate(-1, 0, 0)})
	return &fixture{ed: ed, pq: pq, keys: keys}
}

func sampleDoc(n int) map[string]any {
	return map[string]any{
		"@context":          []any{"https://www.w3.org/ns/credentials/v2"},
		"id":                fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", n),
		"type":              []any{"VerifiableCredential"},
		"issuer":            "did:eduledger:org:riverside-university",
		"validFrom":         "2026-06-30T00:00:00Z",
		"credentialSubject": map[string]any{"id": "did:eduledger:learner:L" + fmt.Sprint(n), "credits": json.Number("160")},
	}
}

// roundTrip serialises a secured document and parses it back, as a verifier receives it.
func roundTrip(t testing.TB, doc map[string]any) map[string]any {
	t.Helper()
	b, err := jsoncanon.Append(nil, doc)
	if err != nil {
		t.Fatal(err)
	}
	m, err := jsoncanon.ParseObject(b, jsoncanon.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fixture) signBoth(t testing.TB, unsecured map[string]any) map[string]any {
	t.Helper()
	doc, err := Prepare(unsecured)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := doc.CreateProof(EdDSAJCS2022, f.ed, Options{Created: t0})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := doc.CreateProof(MLDSA44JCS2024, f.pq, Options{Created: t0})
	if err != nil {
		t.Fatal(err)
	}
	return roundTrip(t, Secure(unsecured, p1, p2))
}

func verifyAll(t testing.TB, v *Verifier, doc map[string]any, exp Expect) []error {
	t.Helper()
	s, err := NewSecured(doc)
	if err != nil {
		return []error{err}
	}
	errs := make([]error, s.Len())
	for i := range s.Len() {
		_, errs[i] = v.VerifyProof(context.Background(), s, i, exp)
	}
	return errs
}

func TestAProofSetOfEdDSAAndMLDSAVerifies(t *testing.T) {
	f := newFixture(t)
	v, _ := NewVerifier(f.keys)
	doc := f.signBoth(t, sampleDoc(1))
	for i, err := range verifyAll(t, v, doc, Expect{}) {
		if err != nil {
			t.Errorf("proof[%d]: %v", i, err)
		}
	}
}

// TestEveryChangeToASignedDocumentBreaksItsProofs changes, adds and removes members of the
// document and of each proof, and checks that the proofs concerned fail.
func TestEveryChangeToASignedDocumentBreaksItsProofs(t *testing.T) {
	f := newFixture(t)
	v, _ := NewVerifier(f.keys)
	base := f.signBoth(t, sampleDoc(1))
	type mutation struct {
		name   string
		mutate func(doc map[string]any)
		broken []int // proofs that must fail
	}
	proof := func(doc map[string]any, i int) map[string]any { return doc["proof"].([]any)[i].(map[string]any) }
	muts := []mutation{
		{"changing the subject breaks both proofs", func(d map[string]any) {
			d["credentialSubject"].(map[string]any)["credits"] = json.Number("161")
		}, []int{0, 1}},
		{"adding a member breaks both proofs", func(d map[string]any) { d["name"] = "x" }, []int{0, 1}},
		{"removing a member breaks both proofs", func(d map[string]any) { delete(d, "validFrom") }, []int{0, 1}},
		{"appending an @context breaks the ML-DSA proof", func(d map[string]any) {
			d["@context"] = append(d["@context"].([]any), "https://example.org/extra")
		}, []int{1}},
		{"replacing the @context breaks both proofs", func(d map[string]any) {
			d["@context"] = []any{"https://example.org/other"}
		}, []int{0, 1}},
	}
	for i, suite := range []string{EdDSAJCS2022, MLDSA44JCS2024} {
		keys := []string{"type", "cryptosuite", "created", "verificationMethod", "proofPurpose", "proofValue"}
		if suite == EdDSAJCS2022 {
			keys = append(keys, "@context")
		} else {
			muts = append(muts, mutation{"adding another @context to the ML-DSA proof breaks it", func(d map[string]any) {
				proof(d, i)["@context"] = []any{"https://example.org/other"}
			}, []int{i}})
		}
		for _, k := range keys {
			muts = append(muts, mutation{fmt.Sprintf("removing %s from the %s proof breaks it", k, suite), func(d map[string]any) { delete(proof(d, i), k) }, []int{i}})
		}
		muts = append(muts,
			mutation{fmt.Sprintf("adding a member to the %s proof breaks it", suite), func(d map[string]any) { proof(d, i)["nonce"] = "1" }, []int{i}},
			mutation{fmt.Sprintf("changing created in the %s proof breaks it", suite), func(d map[string]any) { proof(d, i)["created"] = "2026-06-30T08:00:01Z" }, []int{i}},
			mutation{fmt.Sprintf("changing the purpose of the %s proof breaks it", suite), func(d map[string]any) { proof(d, i)["proofPurpose"] = PurposeAuthentication }, []int{i}},
		)
	}
	// Every character of each proofValue, replaced by another of its alphabet.
	for i := range 2 {
		pv := proof(base, i)["proofValue"].(string)
		step := 1
		if len(pv) > 200 {
			step = 37 // the ML-DSA value is long; a stride still covers every region
		}
		for j := 1; j < len(pv); j += step {
			j := j
			muts = append(muts, mutation{fmt.Sprintf("altering proof[%d].proofValue at %d breaks it", i, j), func(d map[string]any) {
				p := proof(d, i)
				s := p["proofValue"].(string)
				c := byte('A')
				if s[j] == 'A' {
					c = 'B'
				}
				p["proofValue"] = s[:j] + string(c) + s[j+1:]
			}, []int{i}})
		}
		// The last base64url character carries padding bits; flipping only those must fail too.
		muts = append(muts, mutation{fmt.Sprintf("altering padding bits of proof[%d].proofValue breaks it", i), func(d map[string]any) {
			p := proof(d, i)
			s := p["proofValue"].(string)
			last := s[len(s)-1]
			p["proofValue"] = s[:len(s)-1] + string(last^1)
		}, []int{i}})
	}
	for _, m := range muts {
		t.Run(m.name, func(t *testing.T) {
			doc := roundTrip(t, base)
			m.mutate(doc)
			errs := verifyAll(t, v, roundTrip(t, doc), Expect{})
			for _, i := range m.broken {
				if errs[i] == nil {
					t.Errorf("proof[%d] still verifies", i)
				}
			}
		})
	}
}

func TestSwappedProofsDoNotVerify(t *testing.T) {
	f := newFixture(t)
	v, _ := NewVerifier(f.keys)
	a, b := f.signBoth(t, sampleDoc(1)), f.signBoth(t, sampleDoc(2))
	a["proof"], b["proof"] = b["proof"], a["proof"]
	for _, doc := range []map[string]any{a, b} {
		for i, err := range verifyAll(t, v, doc, Expect{}) {
			if err == nil {
				t.Errorf("proof[%d] taken from another document verifies", i)
			}
		}
	}
}

func TestKeyResolutionDecidesBetweenInvalidAndUnknown(t *testing.T) {
	f := newFixture(t)
	doc := f.signBoth(t, sampleDoc(1))
	unavailable := ResolverFunc(func(ctx context.Context, vm string) (*Key, error) {
		return nil, eduledger.Errorf(eduledger.EUNAVAILABLE, "ledger unreachable")
	})
	swapped := StaticKeys{edVM: {ID: edVM, PublicKeyMultibase: f.keys[pqVM].PublicKeyMultibase}, pqVM: f.keys[pqVM]}
	revoked := StaticKeys{edVM: {ID: edVM, PublicKeyMultibase: f.keys[edVM].PublicKeyMultibase, RevokedAt: t0.Add(-time.Hour)}, pqVM: f.keys[pqVM]}
	notYet := StaticKeys{edVM: {ID: edVM, PublicKeyMultibase: f.keys[edVM].PublicKeyMultibase, ValidFrom: t0.Add(time.Hour)}, pqVM: f.keys[pqVM]}
	x25519, _ := multikey.Encode(multikey.X25519, make([]byte, 32))
	encryption := StaticKeys{edVM: {ID: edVM, PublicKeyMultibase: x25519}, pqVM: f.keys[pqVM]}
	tests := []struct {
		name          string
		keys          KeyResolver
		indeterminate bool
		reason        string
	}{
		{"an unknown verification method makes the proof invalid", StaticKeys{pqVM: f.keys[pqVM]}, false, "not known"},
		{"an unreachable registry makes the outcome unknown", unavailable, true, "ledger unreachable"},
		{"a key of the wrong algorithm is refused", swapped, false, "cryptosuite needs Ed25519"},
		{"a key revoked before the proof was made is refused", revoked, false, "was not valid at"},
		{"a key not yet valid when the proof was made is refused", notYet, false, "was not valid at"},
		{"an encryption key cannot verify a signature", encryption, false, "cannot verify signatures"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _ := NewVerifier(tt.keys)
			err := verifyAll(t, v, doc, Expect{})[0]
			if err == nil {
				t.Fatal("proof verified")
			}
			if Indeterminate(err) != tt.indeterminate || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("err = %v (indeterminate %v), want %q (indeterminate %v)", err, Indeterminate(err), tt.reason, tt.indeterminate)
			}
		})
	}
}

func TestPresentationProofsAreBoundToChallengeDomainAndExpiry(t *testing.T) {
	f := newFixture(t)
	v, _ := NewVerifier(f.keys)
	doc, _ := Prepare(sampleDoc(1))
	proof, err := doc.CreateProof(EdDSAJCS2022, f.ed, Options{Created: t0, Expires: t0.Add(5 * time.Minute),
		Purpose: PurposeAuthentication, Challenge: "n-123", Domain: "verifier.example"})
	if err != nil {
		t.Fatal(err)
	}
	secured := roundTrip(t, Secure(sampleDoc(1), proof))
	ok := Expect{Purpose: PurposeAuthentication, Challenge: "n-123", Domain: "verifier.example", Now: t0.Add(time.Minute)}
	tests := []struct {
		name   string
		exp    func(Expect) Expect
		reason string
	}{
		{"the expected challenge, domain and purpose verify", func(e Expect) Expect { return e }, ""},
		{"another challenge is refused", func(e Expect) Expect { e.Challenge = "n-124"; return e }, "challenge"},
		{"another domain is refused", func(e Expect) Expect { e.Domain = "evil.example"; return e }, "domain"},
		{"an assertion purpose is refused", func(e Expect) Expect { e.Purpose = PurposeAssertion; return e }, "proofPurpose"},
		{"an expired proof is refused", func(e Expect) Expect { e.Now = t0.Add(time.Hour); return e }, "expired"},
		{"a proof created in the future is refused", func(e Expect) Expect { e.Now = t0.Add(-time.Hour); return e }, "future"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verifyAll(t, v, secured, tt.exp(ok))[0]
			if tt.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("err = %v, want %q", err, tt.reason)
			}
		})
	}
}

func TestSignersMustMatchTheirCryptosuite(t *testing.T) {
	f := newFixture(t)
	doc, _ := Prepare(sampleDoc(1))
	if _, err := doc.CreateProof(EdDSAJCS2022, f.pq, Options{}); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Errorf("eddsa with an ML-DSA key: %v", err)
	}
	if _, err := doc.CreateProof(MLDSA44JCS2024, f.ed, Options{}); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Errorf("mldsa with an Ed25519 key: %v", err)
	}
	if _, err := SignBatch([]merkle.Hash{{1}}, f.ed, Options{}); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Errorf("batch with an Ed25519 key: %v", err)
	}
	if _, err := Prepare(map[string]any{"proof": map[string]any{}}); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Errorf("Prepare of a secured document: %v", err)
	}
}

// batchFixture issues n documents with an Ed25519 proof each and one batch proof.
func (f *fixture) batch(t testing.TB, n int) []map[string]any {
	t.Helper()
	docs := make([]map[string]any, n)
	digests := make([]merkle.Hash, n)
	for i := range n {
		u := sampleDoc(i)
		d, _ := Prepare(u)
		p, err := d.CreateProof(EdDSAJCS2022, f.ed, Options{Created: t0})
		if err != nil {
			t.Fatal(err)
		}
		docs[i] = Secure(u, p)
		if digests[i], err = Digest(docs[i]); err != nil {
			t.Fatal(err)
		}
	}
	b, err := SignBatch(digests, f.pq, Options{Created: t0})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		bp, err := b.Proof(i)
		if err != nil {
			t.Fatal(err)
		}
		docs[i] = roundTrip(t, Secure(docs[i], docs[i]["proof"].(map[string]any), bp))
	}
	return docs
}

func TestBatchProofsVerifyForEveryMember(t *testing.T) {
	f := newFixture(t)
	for _, cache := range []int{0, 16} {
		t.Run(fmt.Sprintf("with a batch cache of %d", cache), func(t *testing.T) {
			v, _ := NewVerifier(f.keys, WithBatchCache(cache))
			for i, doc := range f.batch(t, 7) {
				for j, err := range verifyAll(t, v, doc, Expect{}) {
					if err != nil {
						t.Errorf("credential %d proof[%d]: %v", i, j, err)
					}
				}
			}
		})
	}
}

func TestTheBatchCacheNeverAcceptsADifferentSignature(t *testing.T) {
	f := newFixture(t)
	v, _ := NewVerifier(f.keys)
	docs := f.batch(t, 4)
	// Warm the cache with a genuine proof.
	if err := verifyAll(t, v, docs[0], Expect{})[1]; err != nil {
		t.Fatal(err)
	}
	// Same batch configuration, forged signature.
	forged := roundTrip(t, docs[1])
	bp := forged["proof"].([]any)[1].(map[string]any)
	pv := bp["proofValue"].(string)
	bp["proofValue"] = pv[:100] + "A" + pv[101:]
	if pv[100] == 'A' {
		bp["proofValue"] = pv[:100] + "B" + pv[101:]
	}
	if err := verifyAll(t, v, forged, Expect{})[1]; err == nil {
		t.Fatal("a forged batch signature verified after the cache was warmed")
	}
	// Same signature, another key registered under the verification method.
	other := newFixture(t)
	_, otherKey := mldsa44.NewKeyFromSeed(&[32]byte{9})
	otherPub := otherKey.Public().(*mldsa44.PublicKey)
	mk, _ := multikey.Encode(multikey.MLDSA44, otherPub.Bytes())
	other.keys[pqVM] = &Key{ID: pqVM, PublicKeyMultibase: mk}
	swappedKeys := StaticKeys{edVM: f.keys[edVM], pqVM: other.keys[pqVM]}
	v2, _ := NewVerifier(ResolverFunc(func(ctx context.Context, vm string) (*Key, error) {
		return swappedKeys.ResolveKey(ctx, vm)
	}))
	v2.batches = v.batches // share the warmed cache
	if err := verifyAll(t, v2, docs[1], Expect{})[1]; err == nil {
		t.Fatal("a cached batch signature was accepted for another key")
	}
}

func TestBatchProofsRejectEveryAlteration(t *testing.T) {
	f := newFixture(t)
	docs := f.batch(t, 5)
	bp := func(d map[string]any) map[string]any { return d["proof"].([]any)[1].(map[string]any) }
	tests := []struct {
		name   string
		mutate func(d map[string]any)
		reason string
	}{
		{"a changed document is not in the batch", func(d map[string]any) { d["issuer"] = "did:eduledger:org:x" }, "not in the batch"},
		{"a changed Ed25519 proof takes the document out of the batch", func(d map[string]any) {
			d["proof"].([]any)[0].(map[string]any)["created"] = "2026-06-30T08:00:01Z"
		}, "not in the batch"},
		{"another index is refused", func(d map[string]any) { bp(d)["merkleIndex"] = json.Number("3") }, "not in the batch"},
		{"an index past the batch is refused", func(d map[string]any) { bp(d)["merkleIndex"] = json.Number("5") }, "not in the batch"},
		{"a non-canonical index is refused", func(d map[string]any) { bp(d)["merkleIndex"] = json.Number("2.0") }, "merkleIndex"},
		{"a changed batch size is refused", func(d map[string]any) { bp(d)["batchSize"] = json.Number("8") }, ""},
		{"a changed root is refused", func(d map[string]any) { bp(d)["merkleRoot"] = strings.Repeat("ab", 32) }, "not in the batch"},
		{"an upper-case root is refused", func(d map[string]any) { bp(d)["merkleRoot"] = strings.ToUpper(bp(d)["merkleRoot"].(string)) }, "lower-case"},
		{"a changed path hash is refused", func(d map[string]any) { bp(d)["merklePath"].([]any)[0] = strings.Repeat("00", 32) }, "not in the batch"},
		{"a shortened path is refused", func(d map[string]any) { p := bp(d)["merklePath"].([]any); bp(d)["merklePath"] = p[:len(p)-1] }, "not in the batch"},
		{"an extra member is refused", func(d map[string]any) { bp(d)["note"] = "x" }, "must not have member"},
		{"a changed created is refused", func(d map[string]any) { bp(d)["created"] = "2026-06-30T08:00:01Z" }, "batch signature does not verify"},
		{"another verification method is refused", func(d map[string]any) { bp(d)["verificationMethod"] = edVM }, ""},
		{"a missing proofValue is refused", func(d map[string]any) { delete(bp(d), "proofValue") }, "proofValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _ := NewVerifier(f.keys)
			doc := roundTrip(t, docs[2])
			tt.mutate(doc) // not serialised again: "2.0" must reach the verifier as written
			err := verifyAll(t, v, doc, Expect{})[1]
			if err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("err = %v, want %q", err, tt.reason)
			}
		})
	}
}

func TestDigestCoversEveryProofButTheBatchProof(t *testing.T) {
	f := newFixture(t)
	doc := f.batch(t, 3)[1]
	got, err := Digest(doc)
	if err != nil {
		t.Fatal(err)
	}
	// By hand: the document with "proof" = [the Ed25519 proof], canonicalised and hashed.
	manual := map[string]any{}
	for k, v := range doc {
		manual[k] = v
	}
	manual["proof"] = []any{doc["proof"].([]any)[0]}
	canon, _ := jsoncanon.Append(nil, manual)
	if want := sha256.Sum256(canon); got != merkle.Hash(want) {
		t.Fatalf("Digest = %s, want %x", got, want)
	}
	// A document without proofs digests its plain canonical form.
	plain := sampleDoc(1)
	canon, _ = jsoncanon.Append(nil, plain)
	if d, _ := Digest(plain); d != merkle.Hash(sha256.Sum256(canon)) {
		t.Fatal("Digest of an unsigned document is not SHA-256 of its canonical form")
	}
	// Both proofs of a singly issued document count.
	both := f.signBoth(t, sampleDoc(1))
	d1, _ := Digest(both)
	both["proof"].([]any)[1].(map[string]any)["proofValue"] = "u" + strings.Repeat("A", 10)
	if d2, _ := Digest(both); d1 == d2 {
		t.Fatal("Digest ignores the ML-DSA proof of a singly issued document")
	}
}

func TestMalformedProofSetsAreRefused(t *testing.T) {
	for name, proof := range map[string]any{
		"a string":                  "x",
		"an empty array":            []any{},
		"an array holding a string": []any{map[string]any{}, "x"},
		"null":                      nil,
	} {
		t.Run("a proof member that is "+name+" is refused", func(t *testing.T) {
			doc := sampleDoc(1)
			doc["proof"] = proof
			if _, err := NewSecured(doc); eduledger.ErrorCode(err) != eduledger.EINVALID {
				t.Errorf("NewSecured = %v, want INVALID", err)
			}
		})
	}
	f := newFixture(t)
	v, _ := NewVerifier(f.keys)
	for name, proof := range map[string]map[string]any{
		"an unknown type":        {"type": "Ed25519Signature2020"},
		"an unknown cryptosuite": {"type": ProofType, "cryptosuite": "ecdsa-jcs-2019"},
		"no cryptosuite":         {"type": ProofType},
	} {
		t.Run("a proof with "+name+" is refused", func(t *testing.T) {
			doc := sampleDoc(1)
			doc["proof"] = proof
			if err := verifyAll(t, v, doc, Expect{})[0]; err == nil {
				t.Error("verified")
			}
		})
	}
}

func TestContextEndingStopsVerificationAsUnknown(t *testing.T) {
	f := newFixture(t)
	v, _ := NewVerifier(f.keys)
	s, _ := NewSecured(f.signBoth(t, sampleDoc(1)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.VerifyProof(ctx, s, 0, Expect{})
	if !Indeterminate(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want an indeterminate context.Canceled", err)
	}
}
