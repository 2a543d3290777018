package idcard

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
)

var now = time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)

func TestBase45MatchesRFC9285(t *testing.T) {
	for in, want := range map[string]string{"AB": "BB8", "Hello!!": "%69 VD92EX0", "base-45": "UJCLQE7W581", "ietf!": "QED8WEX0", "": ""} {
		if got := EncodeBase45([]byte(in)); got != want {
			t.Errorf("EncodeBase45(%q) = %q, want %q", in, got, want)
		}
		if got, err := DecodeBase45(want); err != nil || string(got) != in {
			t.Errorf("DecodeBase45(%q) = %q, %v", want, got, err)
		}
	}
	for _, bad := range []string{"GGW", "a", "ab", "B", ":::", "ZZ"} {
		if _, err := DecodeBase45(bad); err == nil {
			t.Errorf("DecodeBase45(%q) succeeded", bad)
		}
	}
}

type world struct {
	card   *Card
	signer dataintegrity.Signer
	keys   dataintegrity.StaticKeys
}

func newWorld(t testing.TB) *world {
	t.Helper()
	seed := bytes.Repeat([]byte{7}, 32)
	ed, _ := dataintegrity.NewEd25519Signer(eduledger.KeyDID("riverside-university", "ed-2026"), ed25519.NewKeyFromSeed(seed))
	_, pqKey := mldsa44.NewKeyFromSeed((*[32]byte)(seed))
	pq, _ := dataintegrity.NewMLDSA44Signer(eduledger.KeyDID("riverside-university", "pq-2026"), pqKey)
	clock := func() time.Time { return now }
	issuer, err := credential.NewIssuer(credential.Profile{ID: eduledger.OrgDID("riverside-university"), Name: credential.Text{Zh: "滨江大学", En: "Riverside University"}}, ed, pq, credential.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	holder, _ := dataintegrity.NewEd25519Signer("x#y", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, 32)))
	c := credential.New(eduledger.TypeIdentityCard, "L2026001")
	c.ID = "urn:uuid:8a3b2c1d-0000-4000-8000-000000000001"
	c.Name = credential.Text{Zh: "教育信息身份证", En: "Education Identity Card"}
	c.ValidUntil = now.AddDate(4, 0, 0)
	c.Subject.LearnerID = "L2026001"
	c.Subject.Roles = []eduledger.LearnerRole{eduledger.RoleStudent}
	c.Subject.PublicKeyMultibase = holder.PublicKeyMultibase()
	c.Subject.PortraitHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	issued, err := issuer.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	keys := dataintegrity.KeysOf(ed, pq)
	v, _ := credential.NewVerifier(keys, credential.WithClock(clock))
	card, err := FromReport(v.Verify(context.Background(), issued.JSON))
	if err != nil {
		t.Fatal(err)
	}
	return &world{card: card, signer: ed, keys: keys}
}

func TestTheCardReadsFromAVerifiedCredential(t *testing.T) {
	w := newWorld(t)
	c := w.card
	if c.LearnerID != "L2026001" || c.IssuerID != "riverside-university" || c.IssuerName.Zh != "滨江大学" ||
		c.Title.En != "Education Identity Card" || len(c.Roles) != 1 || !c.ValidUntil.Equal(now.AddDate(4, 0, 0)) ||
		c.PortraitHash == "" || c.HolderKey == "" || !eduledger.ValidDigest(c.Digest) {
		t.Fatalf("card %+v", c)
	}
	if _, err := FromReport(&credential.Report{}); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Errorf("unverified report: %v", err)
	}
}

func TestTheTokenRoundTripsAndVerifiesOffline(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	s, err := Compact(w.card, w.signer, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) > 700 {
		t.Errorf("token of %d characters is too large for a comfortable QR code", len(s))
	}
	tok, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	if tok.CredentialID != w.card.CredentialID || tok.LearnerID != "L2026001" || tok.Digest != w.card.Digest ||
		tok.PortraitHash != w.card.PortraitHash || tok.HolderKey != w.card.HolderKey || tok.String() != s {
		t.Fatalf("token %+v", tok)
	}
	if err := tok.Verify(ctx, w.keys, now); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	t.Run("the link carries the same token", func(t *testing.T) {
		link, err := tok.Link("https://verify.example/card")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(link, "https://verify.example/card/v?") || !strings.Contains(link, "id=urn%3Auuid%3A") {
			t.Errorf("link %s is not in the verifier's format", link)
		}
		back, err := ParseLink(link)
		if err != nil || back.String() != s {
			t.Fatalf("ParseLink = %v, %v", back, err)
		}
		if _, err := tok.Link("verify.example"); eduledger.ErrorCode(err) != eduledger.EINVALID {
			t.Errorf("relative base: %v", err)
		}
	})
	t.Run("an expired card fails", func(t *testing.T) {
		if err := tok.Verify(ctx, w.keys, now.AddDate(5, 0, 0)); eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a token from a key revoked before issuance fails", func(t *testing.T) {
		keys := dataintegrity.StaticKeys{}
		for id, k := range w.keys {
			kk := *k
			kk.RevokedAt = now.Add(-time.Hour)
			keys[id] = &kk
		}
		if err := tok.Verify(ctx, keys, now); eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("every single-character change is refused", func(t *testing.T) {
		for i := len(Prefix); i < len(s); i++ {
			for _, c := range []byte{'0', 'A', ':'} {
				if s[i] == c {
					continue
				}
				altered := s[:i] + string(c) + s[i+1:]
				if at, err := Parse(altered); err == nil && at.Verify(ctx, w.keys, now) == nil {
					t.Fatalf("altered token (position %d) verified", i)
				}
			}
		}
	})
	t.Run("a token signed by another issuer's key is refused at creation", func(t *testing.T) {
		other, _ := dataintegrity.NewEd25519Signer(eduledger.KeyDID("lakeside-college", "ed"), ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)))
		if _, err := Compact(w.card, other, now); eduledger.ErrorCode(err) != eduledger.EINVALID {
			t.Fatalf("err = %v", err)
		}
	})
}

func FuzzParse(f *testing.F) {
	w := newWorld(f)
	s, _ := Compact(w.card, w.signer, now)
	f.Add(s)
	f.Add(Prefix + "QED8WEX0")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := Parse(s)
		if err != nil {
			return
		}
		if tok.String() != s {
			t.Fatalf("token %q re-encodes as %q", s, tok.String())
		}
		// The anchor digest covers the card's randomised ML-DSA proof, so it differs between fuzzing
		// workers; every other claim of a verified token must be the genuine one.
		if err := tok.Verify(context.Background(), w.keys, now); err == nil {
			c := w.card
			if tok.CredentialID != c.CredentialID || tok.LearnerID != c.LearnerID || tok.HolderKey != c.HolderKey ||
				tok.PortraitHash != c.PortraitHash || !tok.ValidFrom.Equal(c.ValidFrom) || !tok.ValidUntil.Equal(c.ValidUntil) ||
				len(tok.Roles) != len(c.Roles) || tok.Roles[0] != c.Roles[0] || !tok.Issued.Equal(now) {
				t.Fatalf("forged token verified: %q", s)
			}
		}
	})
}
