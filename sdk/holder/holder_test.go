package holder

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
	"github.com/eduledger/eduledger/sdk/keystore"
	"github.com/eduledger/eduledger/sdk/multikey"
)

var now = time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)

type world struct {
	issuer    *credential.Issuer
	creds     *credential.Verifier
	holder    dataintegrity.Signer
	enc       *ecdh.PrivateKey
	card      []byte
	cardID    string
	diploma   []byte
	verifier  *Verifier
	learnerID string
}

func key(seed byte) []byte { return bytes.Repeat([]byte{seed}, 32) }

func newWorld(t testing.TB) *world {
	t.Helper()
	clock := func() time.Time { return now }
	edIss, _ := dataintegrity.NewEd25519Signer(eduledger.KeyDID("riverside-university", "ed"), ed25519.NewKeyFromSeed(key(1)))
	_, pqKey := mldsa44.NewKeyFromSeed((*[32]byte)(key(2)))
	pqIss, _ := dataintegrity.NewMLDSA44Signer(eduledger.KeyDID("riverside-university", "pq"), pqKey)
	// Deterministic IDs, so that fuzzing workers rebuild the very credentials of the seed corpus.
	n := 0
	ids := func() (string, error) {
		n++
		return fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", n), nil
	}
	issuer, err := credential.NewIssuer(credential.Profile{ID: eduledger.OrgDID("riverside-university"), Name: credential.Text{En: "Riverside University"}},
		edIss, pqIss, credential.WithClock(clock), credential.WithIDGenerator(ids))
	if err != nil {
		t.Fatal(err)
	}
	creds, _ := credential.NewVerifier(dataintegrity.KeysOf(edIss, pqIss), credential.WithClock(clock))
	w := &world{issuer: issuer, creds: creds, learnerID: "L2026001"}
	hk, _ := dataintegrity.NewEd25519Signer("x#y", ed25519.NewKeyFromSeed(key(3)))
	w.holder, _ = NewSigner(w.learnerID, hk)
	w.enc, _ = ecdh.X25519().NewPrivateKey(key(4))
	w.card, w.cardID = w.issueCard(t, w.learnerID, w.holder.PublicKeyMultibase())
	w.diploma = w.issueDiploma(t, w.learnerID)
	w.verifier = NewVerifier(creds, clock)
	return w
}

func (w *world) issueCard(t testing.TB, learnerID, holderKey string) ([]byte, string) {
	c := credential.New(eduledger.TypeIdentityCard, learnerID)
	c.Name = credential.Text{Zh: "教育信息身份证", En: "Education Identity Card"}
	c.ValidFrom, c.ValidUntil = now.AddDate(0, -1, 0), now.AddDate(4, 0, 0)
	c.Subject.LearnerID = learnerID
	c.Subject.Roles = []eduledger.LearnerRole{eduledger.RoleStudent}
	c.Subject.PublicKeyMultibase = holderKey
	c.Subject.KeyAgreementMultibase, _ = multikey.Encode(multikey.X25519, w.enc.PublicKey().Bytes())
	issued, err := w.issuer.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	return issued.JSON, issued.ID
}

func (w *world) issueDiploma(t testing.TB, learnerID string) []byte {
	c := credential.New(eduledger.TypeDiploma, learnerID)
	c.Name = credential.Text{En: "Diploma"}
	c.ValidFrom = now.AddDate(0, -2, 0)
	c.Subject.Achievement = &credential.Achievement{ID: "urn:eduledger:program:cs", AchievementType: "Diploma",
		Name: credential.Text{En: "Computer Science"}, Criteria: credential.Criteria{Narrative: credential.Text{En: "160 credits"}}}
	c.Subject.ActivityEndDate = now.AddDate(0, -2, 0)
	issued, err := w.issuer.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	return issued.JSON
}

func requireOnlyFailed(t *testing.T, checks []credential.Check, name credential.CheckName, reason string) {
	t.Helper()
	var failed []credential.Check
	for _, c := range checks {
		if c.Status != credential.Passed {
			failed = append(failed, c)
		}
	}
	if len(failed) != 1 || failed[0].Name != name || !strings.Contains(failed[0].Reason, reason) {
		t.Fatalf("failed checks %+v, want only %s (%q)", failed, name, reason)
	}
}

func TestAPresentationAuthenticatesTheHolder(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	const domain = "hr.acme-networks.example"
	challenge, _ := NewChallenge()
	vp, err := Present(w.holder, [][]byte{w.card, w.diploma}, challenge, domain, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the right challenge and domain verify", func(t *testing.T) {
		rep := w.verifier.Verify(ctx, vp, challenge, domain)
		if !rep.Verified || rep.LearnerID != w.learnerID || len(rep.Credentials) != 1 || !rep.Card.Verified {
			t.Fatalf("report %+v", rep.Checks)
		}
	})
	t.Run("another challenge is refused", func(t *testing.T) {
		requireOnlyFailed(t, w.verifier.Verify(ctx, vp, "other", domain).Checks, CheckHolderProof, "challenge")
	})
	t.Run("another domain is refused", func(t *testing.T) {
		requireOnlyFailed(t, w.verifier.Verify(ctx, vp, challenge, "evil.example").Checks, CheckHolderProof, "domain")
	})
	t.Run("a presentation replayed after it expired is refused", func(t *testing.T) {
		late := NewVerifier(w.creds, func() time.Time { return now.Add(10 * time.Minute) })
		requireOnlyFailed(t, late.Verify(ctx, vp, challenge, domain).Checks, CheckHolderProof, "expired")
		stale := NewVerifier(w.creds, func() time.Time { return now.Add(4 * time.Minute) })
		if rep := stale.Verify(ctx, vp, challenge, domain); !rep.Verified {
			t.Errorf("a presentation within its lifetime: %+v", rep.Checks)
		}
	})
	t.Run("a presentation signed by a key not on the card is refused", func(t *testing.T) {
		otherKey, _ := dataintegrity.NewEd25519Signer("x#y", ed25519.NewKeyFromSeed(key(9)))
		other, _ := NewSigner(w.learnerID, otherKey)
		forged, _ := Present(other, [][]byte{w.card}, challenge, domain, now)
		requireOnlyFailed(t, w.verifier.Verify(ctx, forged, challenge, domain).Checks, CheckHolderProof, "not the key on the holder's identity card")
	})
	t.Run("someone else's card is refused", func(t *testing.T) {
		otherCard, _ := w.issueCard(t, "L2026999", w.holder.PublicKeyMultibase())
		rep := w.verifier.Verify(ctx, mustPresent(t, w.holder, otherCard, challenge, domain), challenge, domain)
		if rep.Verified {
			t.Fatal("verified")
		}
		if c := rep.Checks[1]; c.Name != CheckIdentityCard || c.Status != credential.Failed || !strings.Contains(c.Reason, "another learner") {
			t.Errorf("identity card check %+v", c)
		}
	})
	t.Run("a presentation without a card is refused", func(t *testing.T) {
		rep := w.verifier.Verify(ctx, mustPresent(t, w.holder, w.diploma, challenge, domain), challenge, domain)
		if rep.Verified || rep.Checks[1].Status != credential.Failed || !strings.Contains(rep.Checks[1].Reason, "no identity card") {
			t.Errorf("checks %+v", rep.Checks)
		}
	})
	t.Run("another learner's diploma is refused", func(t *testing.T) {
		theirs := w.issueDiploma(t, "L2026999")
		vp, _ := Present(w.holder, [][]byte{w.card, theirs}, challenge, domain, now)
		requireOnlyFailed(t, w.verifier.Verify(ctx, vp, challenge, domain).Checks, CheckCredentials, "another learner")
	})
	t.Run("an altered embedded credential is refused", func(t *testing.T) {
		altered := bytes.Replace(vp, []byte(`"Computer Science"`), []byte(`"Medicine"`), 1)
		rep := w.verifier.Verify(ctx, altered, challenge, domain)
		if rep.Verified {
			t.Fatal("verified")
		}
	})
	t.Run("garbage is a presentation-format failure", func(t *testing.T) {
		rep := w.verifier.Verify(ctx, []byte(`{"type":["VerifiablePresentation"]}`), challenge, domain)
		if rep.Verified || rep.Checks[0].Name != CheckPresentation || rep.Checks[0].Status != credential.Failed {
			t.Errorf("checks %+v", rep.Checks)
		}
	})
	if _, err := Present(w.holder, [][]byte{w.card}, "", domain, now); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Errorf("Present without a challenge: %v", err)
	}
}

func mustPresent(t *testing.T, s dataintegrity.Signer, vc []byte, challenge, domain string) []byte {
	t.Helper()
	vp, err := Present(s, [][]byte{vc}, challenge, domain, now)
	if err != nil {
		t.Fatal(err)
	}
	return vp
}

func TestEncryptionToTheHolder(t *testing.T) {
	w := newWorld(t)
	recipient, _ := multikey.Encode(multikey.X25519, w.enc.PublicKey().Bytes())
	transcript := []byte(`{"type":["VerifiableCredential","ClrCredential"]}`)
	env, err := Seal(recipient, "application/vc+json", transcript)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the holder decrypts", func(t *testing.T) {
		pt, ct, err := Open(w.enc, env)
		if err != nil || !bytes.Equal(pt, transcript) || ct != "application/vc+json" {
			t.Fatalf("Open = %q, %q, %v", pt, ct, err)
		}
	})
	t.Run("another key cannot decrypt", func(t *testing.T) {
		other, _ := ecdh.X25519().NewPrivateKey(key(5))
		if _, _, err := Open(other, env); eduledger.ErrorCode(err) != eduledger.EINVALID {
			t.Fatalf("err = %v", err)
		}
	})
	doc, _ := jsoncanon.ParseObject(env, jsoncanon.Limits{})
	for _, field := range []string{"contentType", "ciphertext", "enc"} {
		t.Run("an altered "+field+" is refused", func(t *testing.T) {
			d := map[string]any{}
			for k, v := range doc {
				d[k] = v
			}
			s := d[field].(string)
			c := byte('A')
			if s[2] == 'A' {
				c = 'B'
			}
			d[field] = s[:2] + string(c) + s[3:]
			altered, _ := jsoncanon.Append(nil, d)
			if _, _, err := Open(w.enc, altered); err == nil {
				t.Fatal("opened")
			}
		})
	}
	t.Run("a non-X25519 recipient is refused", func(t *testing.T) {
		if _, err := Seal(w.holder.PublicKeyMultibase(), "text/plain", nil); eduledger.ErrorCode(err) != eduledger.EINVALID {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestHolderSignaturesCheckAgainstTheCard(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	thesis := []byte("%PDF-1.7 a thesis")
	sig, err := SignDocument(w.holder, w.cardID, "thesis.pdf", "application/pdf", thesis, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("anyone can check it against the card", func(t *testing.T) {
		rep := VerifyDocument(ctx, w.creds, sig, thesis, w.card)
		if !rep.Verified || rep.LearnerID != w.learnerID || rep.Document.Name != "thesis.pdf" || !rep.Signed.Equal(now) {
			t.Fatalf("report %+v", rep)
		}
	})
	t.Run("another document fails the digest check", func(t *testing.T) {
		requireOnlyFailed(t, VerifyDocument(ctx, w.creds, sig, append(thesis, '!'), w.card).Checks, CheckDocumentDigest, "not the one signed")
	})
	t.Run("another learner's card fails", func(t *testing.T) {
		other, _ := w.issueCard(t, "L2026999", w.holder.PublicKeyMultibase())
		rep := VerifyDocument(ctx, w.creds, sig, thesis, other)
		if rep.Verified {
			t.Fatal("verified")
		}
	})
	t.Run("a changed signature fails the signer check", func(t *testing.T) {
		altered := bytes.Replace(sig, []byte(`"thesis.pdf"`), []byte(`"thesis2.pdf"`), 1)
		requireOnlyFailed(t, VerifyDocument(ctx, w.creds, altered, thesis, w.card).Checks, CheckSigner, "signature does not verify")
	})
	t.Run("a signature by a key not on the card fails", func(t *testing.T) {
		otherKey, _ := dataintegrity.NewEd25519Signer("x#y", ed25519.NewKeyFromSeed(key(9)))
		other, _ := NewSigner(w.learnerID, otherKey)
		forged, _ := SignDocument(other, w.cardID, "thesis.pdf", "application/pdf", thesis, now)
		requireOnlyFailed(t, VerifyDocument(ctx, w.creds, forged, thesis, w.card).Checks, CheckSigner, "not the key on the signer's identity card")
	})
}

// FuzzOpen feeds arbitrary envelopes to Open: no panic, and nothing decrypts that was not sealed
// to the key.
func FuzzOpen(f *testing.F) {
	k, _ := ecdh.X25519().NewPrivateKey(key(4))
	recipient, _ := multikey.Encode(multikey.X25519, k.PublicKey().Bytes())
	env, _ := Seal(recipient, "text/plain", []byte("secret"))
	f.Add(env)
	f.Add([]byte(`{"type":"EduLedgerEncrypted"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pt, _, err := Open(k, data)
		if err == nil && !bytes.Equal(pt, []byte("secret")) {
			t.Fatalf("decrypted something never sealed: %q", pt)
		}
	})
}

// FuzzVerifyPresentation feeds mutated presentations to the verifier: no panic, and a verified one
// must be the genuine presentation's content.
func FuzzVerifyPresentation(f *testing.F) {
	w := newWorld(f)
	vp, _ := Present(w.holder, [][]byte{w.card, w.diploma}, "c-1", "d.example", now)
	genuine := withoutProofValues(f, vp)
	f.Add(vp)
	f.Fuzz(func(t *testing.T, data []byte) {
		rep := w.verifier.Verify(context.Background(), data, "c-1", "d.example")
		if !rep.Verified {
			return
		}
		// The embedded ML-DSA proofs are randomised in each fuzzing worker, and the holder's
		// proof signs them; compare the content without any proof value.
		if !bytes.Equal(withoutProofValues(t, data), genuine) {
			t.Fatalf("verified a presentation whose content differs from the genuine one: %s", data)
		}
	})
}

func withoutProofValues(t testing.TB, data []byte) []byte {
	v, err := jsoncanon.Parse(data, jsoncanon.Limits{MaxBytes: MaxPresentationBytes})
	if err != nil {
		t.Fatal(err)
	}
	var strip func(v any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "proofValue")
			for _, e := range x {
				strip(e)
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	out, _ := jsoncanon.Append(nil, v)
	return out
}

func TestTheCLIHelpersUseTheLearnersKeyStore(t *testing.T) {
	w := newWorld(t)
	store, err := keystore.Open(t.TempDir(), []byte("learner passphrase"), keystore.WithKDF(keystore.KDF{Time: 1, MemoryKiB: 64, Threads: 1}))
	if err != nil {
		t.Fatal(err)
	}
	did := eduledger.LearnerDID("L2026777")
	idKey, _ := store.Generate(did, multikey.Ed25519, "id")
	encKey, _ := store.Generate(did, multikey.X25519, "enc")
	card, cardID := w.issueCard(t, "L2026777", idKey.PublicKeyMultibase)

	env, _ := Seal(encKey.PublicKeyMultibase, "text/plain", []byte("grades"))
	if pt, _, err := DecryptWith(store, "enc", env); err != nil || string(pt) != "grades" {
		t.Fatalf("DecryptWith = %q, %v", pt, err)
	}
	sig, err := SignWith(store, "id", "L2026777", cardID, "a.txt", "text/plain", []byte("doc"), now)
	if err != nil {
		t.Fatal(err)
	}
	if rep := VerifyDocument(context.Background(), w.creds, sig, []byte("doc"), card); !rep.Verified {
		t.Fatalf("signature made with the key store: %+v", rep.Checks)
	}
	vp, err := PresentWith(store, "id", "L2026777", [][]byte{card}, "c", "d", now)
	if err != nil {
		t.Fatal(err)
	}
	if rep := w.verifier.Verify(context.Background(), vp, "c", "d"); !rep.Verified {
		t.Fatalf("presentation made with the key store: %+v", rep.Checks)
	}
}
