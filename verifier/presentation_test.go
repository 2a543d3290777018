package verifier_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/verifier"
	"github.com/eduledger/eduledger/verifier/verifiertest"
)

func TestAPresentationBindsTheHolderToTheVerifiersChallenge(t *testing.T) {
	ctx := context.Background()
	v := start(t, nil)
	is := net.NewIssuer(t, eduledger.KindSchool)
	holder := is.Learner(t)
	card := is.Issue(t, is.IdentityCard(holder)).JSON
	diploma := is.Issue(t, is.Diploma(holder.ID)).JSON
	stranger := is.Learner(t)
	strangersDiploma := is.Issue(t, is.Diploma(stranger.ID)).JSON

	challenge := func() string {
		c, err := v.NewChallenge()
		if err != nil {
			t.Fatal(err)
		}
		if c.Domain != domain {
			t.Fatalf("challenge domain %q, want %q", c.Domain, domain)
		}
		return c.Challenge
	}

	t.Run("the holder presenting their card and diploma over a fresh challenge", func(t *testing.T) {
		r := v.VerifyPresentation(ctx, verifiertest.Present(t, holder, challenge(), domain, card, diploma))
		if r.Verdict != verifier.Verified || r.Holder != holder.ID || len(r.Credentials) != 2 {
			t.Fatalf("verdict %s, holder %q, %d credentials:\n%s", r.Verdict, r.Holder, len(r.Credentials), dump(r))
		}
		if r.Credentials[0].Credential.Type != eduledger.TypeIdentityCard || r.Credentials[1].Verdict != verifier.Verified {
			t.Fatalf("card first, then the diploma: %+v", r.Credentials)
		}
	})

	replayed := challenge()
	first := verifiertest.Present(t, holder, replayed, domain, card, diploma)
	if r := v.VerifyPresentation(ctx, first); r.Verdict != verifier.Verified {
		t.Fatalf("first use: %s\n%s", r.Verdict, dump(r))
	}

	for _, tc := range []struct {
		name  string
		vp    func() []byte
		check verifier.CheckName
		says  string
	}{
		{"a replayed presentation", func() []byte { return first }, verifier.CheckHolderBinding, "unused and unexpired"},
		{"a challenge this verifier never issued", func() []byte {
			return verifiertest.Present(t, holder, "made-up-challenge", domain, card, diploma)
		}, verifier.CheckHolderBinding, "unused and unexpired"},
		{"a presentation for another verifier's domain", func() []byte {
			return verifiertest.Present(t, holder, challenge(), "evil.example", card, diploma)
		}, verifier.CheckHolderBinding, "domain"},
		{"someone else's card", func() []byte {
			return verifiertest.Present(t, stranger, challenge(), domain, card, diploma)
		}, verifier.CheckHolderBinding, "another learner"},
		{"no identity card", func() []byte {
			return verifiertest.Present(t, holder, challenge(), domain, diploma)
		}, verifier.CheckHolderBinding, "no identity card"},
		{"another learner's diploma", func() []byte {
			return verifiertest.Present(t, holder, challenge(), domain, card, strangersDiploma)
		}, verifier.CheckCredentials, "another learner"},
		{"a tampered diploma", func() []byte {
			bad := edit(t, diploma, func(d map[string]any) { d["credentialSubject"].(map[string]any)["certificateNumber"] = "0000" })
			return verifiertest.Present(t, holder, challenge(), domain, card, bad)
		}, verifier.CheckCredentials, "does not verify"},
		{"not a presentation at all", func() []byte { return []byte(`{"type":["VerifiablePresentation"]}`) }, verifier.CheckPresentation, "holder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := v.VerifyPresentation(ctx, tc.vp())
			if r.Verdict != verifier.NotVerified || outcome(r, tc.check) != credential.Failed {
				t.Fatalf("verdict %s, %s %s:\n%s", r.Verdict, tc.check, outcome(r, tc.check), dump(r))
			}
			if got := reason(r, tc.check); !strings.Contains(got.En, tc.says) || got.Zh == "" {
				t.Fatalf("%s reason %+v; want it to say %q", tc.check, got, tc.says)
			}
		})
	}

	t.Run("a card whose key the ledger no longer lists for the learner", func(t *testing.T) {
		moved := is.Learner(t)
		movedCard := is.Issue(t, is.IdentityCard(moved)).JSON
		if _, err := is.Registrar.UpdateLearnerHolderKeys(ctx, moved.ID, []string{stranger.Key}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 2*time.Second, "the key change reaching the verifier", func() bool {
			r := v.VerifyPresentation(ctx, verifiertest.Present(t, moved, challenge(), domain, movedCard))
			return strings.Contains(reason(r, verifier.CheckHolderBinding).En, "no longer registered")
		})
	})

	t.Run("a revoked identity card", func(t *testing.T) {
		other := is.Learner(t)
		revokedCard := is.Issue(t, is.IdentityCard(other))
		changeStatus(t, is, revokedCard.ID, "", eduledger.StatusRevoked, eduledger.ReasonSuperseded, "")
		eventually(t, 2*time.Second, "the revocation reaching the verifier", func() bool {
			r := v.VerifyPresentation(ctx, verifiertest.Present(t, other, challenge(), domain, revokedCard.JSON))
			return outcome(r, verifier.CheckHolderBinding) == credential.Failed && strings.Contains(reason(r, verifier.CheckHolderBinding).En, "identity card does not verify")
		})
	})

	t.Run("a verifier without a domain accepts no presentation", func(t *testing.T) {
		bare, err := verifier.New(net.Reader, verifier.WithSchemas(net.Schemas))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bare.NewChallenge(); eduledger.ErrorCode(err) != eduledger.EINVALID {
			t.Fatalf("NewChallenge = %v, want INVALID", err)
		}
		r := bare.VerifyPresentation(ctx, verifiertest.Present(t, holder, challenge(), domain, card))
		if r.Verdict != verifier.NotVerified || outcome(r, verifier.CheckHolderBinding) != credential.Failed {
			t.Fatalf("verdict %s:\n%s", r.Verdict, dump(r))
		}
	})
}

func TestChallengesAreBoundedAndExpire(t *testing.T) {
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	v, err := verifier.New(net.Reader, verifier.WithSchemas(net.Schemas), verifier.WithDomain(domain),
		verifier.WithChallenges(verifier.DefaultChallengeLifetime, 2), verifier.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := v.NewChallenge(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.NewChallenge(); eduledger.ErrorCode(err) != eduledger.EUNAVAILABLE {
		t.Fatalf("third outstanding challenge = %v, want UNAVAILABLE", err)
	}
	now = now.Add(verifier.DefaultChallengeLifetime)
	c, err := v.NewChallenge()
	if err != nil {
		t.Fatalf("after the others expired: %v", err)
	}
	if !c.ExpiresAt.Equal(now.Add(verifier.DefaultChallengeLifetime)) {
		t.Fatalf("expires %s", c.ExpiresAt)
	}
}
