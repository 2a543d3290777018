package credential

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

func requireVerified(t *testing.T, rep *Report) {
	t.Helper()
	if !rep.Verified {
		b, _ := json.MarshalIndent(rep.Failed(), "", "  ")
		t.Fatalf("not verified: %s", b)
	}
}

func TestEveryTypeRoundTripsIssuedAlone(t *testing.T) {
	f := newFixture(t)
	for _, typ := range eduledger.CredentialTypes {
		t.Run(string(typ)+" issued alone verifies with every check passed", func(t *testing.T) {
			issued, err := f.issuer.Issue(sample(typ, 1))
			if err != nil {
				t.Fatal(err)
			}
			rep := f.verifier.Verify(context.Background(), issued.JSON)
			requireVerified(t, rep)
			want := []CheckName{CheckFormat, CheckSchema, CheckProofSet, CheckProof, CheckProof, CheckValidity}
			if len(rep.Checks) != len(want) {
				t.Fatalf("checks %+v", rep.Checks)
			}
			for i, c := range rep.Checks {
				if c.Name != want[i] {
					t.Errorf("check %d is %s, want %s", i, c.Name, want[i])
				}
			}
			if rep.Type != typ || rep.IssuerID != orgID || rep.LearnerID != "L20260001" || rep.ID != issued.ID {
				t.Errorf("report envelope %+v", rep)
			}
			if rep.Digest != issued.Digest || !eduledger.ValidDigest(rep.Digest) {
				t.Errorf("digest %s, issued %s", rep.Digest, issued.Digest)
			}
			if d, _ := Digest(issued.JSON); d != issued.Digest {
				t.Errorf("Digest(JSON) = %s, want %s", d, issued.Digest)
			}
			if err := issued.Anchor.Validate(); err != nil {
				t.Errorf("anchor does not validate: %v", err)
			}
			if !eduledger.ValidCredentialID(issued.ID) {
				t.Errorf("credential id %q is not valid on the ledger", issued.ID)
			}
			c, err := rep.Credential()
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := c.CredentialType(); got != typ || c.Issuer.Name.Zh != "滨江大学" || len(c.Proof) != 2 {
				t.Errorf("decoded credential %+v", c)
			}
			parsed, err := Parse(issued.JSON)
			if err != nil || parsed.ID != issued.ID {
				t.Errorf("Parse = %v, %v", parsed, err)
			}
		})
	}
}

func TestEveryTypeRoundTripsInABatch(t *testing.T) {
	f := newFixture(t)
	for _, typ := range eduledger.CredentialTypes {
		t.Run(string(typ)+" issued in a batch verifies with its Merkle inclusion", func(t *testing.T) {
			var cs []*Credential
			for n := range 5 {
				cs = append(cs, sample(typ, n))
			}
			batch, err := f.issuer.IssueBatch(context.Background(), cs)
			if err != nil {
				t.Fatal(err)
			}
			anchor := batch.Anchor()
			if err := anchor.Validate(); err != nil {
				t.Fatalf("batch anchor: %v", err)
			}
			for i := range batch.Len() {
				vc, err := batch.Credential(i)
				if err != nil {
					t.Fatal(err)
				}
				rep := f.verifier.Verify(context.Background(), vc)
				requireVerified(t, rep)
				if _, ok := rep.Check(CheckMerkle); !ok {
					t.Error("no Merkle inclusion check")
				}
				if rep.BatchRoot != batch.Root() || rep.Digest != batch.Digest(i) || rep.ID != batch.ID(i) {
					t.Errorf("report %s/%s/%s, batch %s/%s/%s", rep.BatchRoot, rep.Digest, rep.ID, batch.Root(), batch.Digest(i), batch.ID(i))
				}
			}
		})
	}
}

func TestIssuingAnInvalidCredentialNamesTheField(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		typ    eduledger.CredentialType
		mutate func(c *Credential)
		field  string
	}{
		{"a diploma without an achievement name", eduledger.TypeDiploma, func(c *Credential) { c.Subject.Achievement.Name = Text{} }, "credentialSubject.achievement"},
		{"a diploma with a degree's achievement type", eduledger.TypeDiploma, func(c *Credential) { c.Subject.Achievement.AchievementType = "BachelorDegree" }, "credentialSubject.achievement.achievementType"},
		{"a degree without a field of study", eduledger.TypeDegree, func(c *Credential) { c.Subject.Achievement.FieldOfStudy = "" }, "credentialSubject.achievement"},
		{"a micro-credential without alignment", eduledger.TypeMicroCredential, func(c *Credential) { c.Subject.Achievement.Alignment = nil }, "credentialSubject.achievement"},
		{"an internship without a role", eduledger.TypeInternshipRecord, func(c *Credential) { c.Subject.Role = "" }, "credentialSubject"},
		{"an identity card without an expiry", eduledger.TypeIdentityCard, func(c *Credential) { c.ValidUntil = time.Time{} }, ""},
		{"an identity card with an upper-case portrait hash", eduledger.TypeIdentityCard, func(c *Credential) {
			c.Subject.PortraitHash = strings.ToUpper(c.Subject.PortraitHash)
		}, "credentialSubject.portraitHash"},
		{"an identity card with an X25519 key as its signing key", eduledger.TypeIdentityCard, func(c *Credential) { c.Subject.PublicKeyMultibase = holderX25 }, "credentialSubject.publicKeyMultibase"},
		{"an identity card for another learner than its subject", eduledger.TypeIdentityCard, func(c *Credential) { c.Subject.LearnerID = "someone-else" }, "credentialSubject.learnerId"},
		{"an identity card with an unknown role", eduledger.TypeIdentityCard, func(c *Credential) { c.Subject.Roles = []eduledger.LearnerRole{"DEAN"} }, "credentialSubject.roles[0]"},
		{"a transcript without courses", eduledger.TypeTranscript, func(c *Credential) { c.Subject.Records = nil }, "credentialSubject"},
		{"a transcript course without a code", eduledger.TypeTranscript, func(c *Credential) { c.Subject.Records[1].Subject.Achievement.HumanCode = "" }, "credentialSubject.verifiableCredential[1].credentialSubject.achievement"},
		{"a certificate with a negative credit count", eduledger.TypeCertificate, func(c *Credential) { c.Subject.CreditsEarned = -1 }, "credentialSubject.creditsEarned"},
		{"a credential ending before it starts", eduledger.TypeDiploma, func(c *Credential) { c.ValidUntil = issuedAt.Add(-time.Hour) }, "validUntil"},
		{"a credential id that is not a urn:uuid", eduledger.TypeDiploma, func(c *Credential) { c.ID = "https://example.org/1" }, "id"},
		{"a subject that is not a learner DID", eduledger.TypeDiploma, func(c *Credential) { c.Subject.ID = "did:example:123" }, "credentialSubject.id"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			c := sample(tt.typ, 1)
			tt.mutate(c)
			_, err := f.issuer.Issue(c)
			if eduledger.ErrorCode(err) != eduledger.EINVALID {
				t.Fatalf("Issue error = %v, want INVALID", err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name %q", err, tt.field)
			}
			var se *SchemaError
			if errors.As(err, &se) && tt.field != "" && !containsField(se.Fields, tt.field) {
				t.Errorf("schema error fields %+v do not include %q", se.Fields, tt.field)
			}
		})
	}
}

func containsField(fields []FieldError, f string) bool {
	for _, fe := range fields {
		if fe.Field == f {
			return true
		}
	}
	return false
}

func TestBatchesAreRefusedWhenMixedOrInvalid(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.issuer.IssueBatch(ctx, []*Credential{sample(eduledger.TypeDiploma, 1), sample(eduledger.TypeDegree, 2)}); err == nil ||
		!strings.Contains(err.Error(), "credentials[1]") {
		t.Errorf("mixed types: %v", err)
	}
	bad := sample(eduledger.TypeDiploma, 3)
	bad.Subject.Achievement.Name = Text{}
	if _, err := f.issuer.IssueBatch(ctx, []*Credential{sample(eduledger.TypeDiploma, 1), bad}); eduledger.ErrorCode(err) != eduledger.EINVALID ||
		!strings.Contains(err.Error(), "credentials[1]") {
		t.Errorf("invalid member: %v", err)
	}
	dup := sample(eduledger.TypeDiploma, 1)
	dup.ID = "urn:uuid:6a1f6f0e-0000-4000-8000-000000000001"
	dup2 := sample(eduledger.TypeDiploma, 2)
	dup2.ID = dup.ID
	if _, err := f.issuer.IssueBatch(ctx, []*Credential{dup, dup2}); err == nil || !strings.Contains(err.Error(), "repeats") {
		t.Errorf("repeated id: %v", err)
	}
	if _, err := f.issuer.IssueBatch(ctx, nil); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Errorf("empty batch: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.issuer.IssueBatch(cancelled, []*Credential{sample(eduledger.TypeDiploma, 1)}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestVerificationReportsTimeAndKeyProblemsOnTheirCheck(t *testing.T) {
	f := newFixture(t)
	card, err := f.issuer.Issue(sample(eduledger.TypeIdentityCard, 1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Run("an expired card fails only the validity period", func(t *testing.T) {
		v, _ := NewVerifier(f.keys, WithSchemas(f.schemas), WithClock(func() time.Time { return issuedAt.AddDate(5, 0, 0) }))
		rep := v.Verify(ctx, card.JSON)
		if fails := rep.Failed(); rep.Verified || len(fails) != 1 || fails[0].Name != CheckValidity || !strings.Contains(fails[0].Reason, "expired") {
			t.Errorf("failed checks %+v", fails)
		}
	})
	t.Run("an unreachable key registry makes the proofs unknown, not valid", func(t *testing.T) {
		down := dataintegrity.ResolverFunc(func(context.Context, string) (*dataintegrity.Key, error) {
			return nil, eduledger.Errorf(eduledger.EUNAVAILABLE, "ledger unreachable")
		})
		v, _ := NewVerifier(down, WithSchemas(f.schemas), WithClock(func() time.Time { return checkedAt }))
		rep := v.Verify(ctx, card.JSON)
		if rep.Verified {
			t.Fatal("verified without keys")
		}
		for _, c := range rep.Failed() {
			if c.Name != CheckProof || c.Status != Unknown {
				t.Errorf("check %+v, want only unknown proof checks", c)
			}
		}
	})
	t.Run("a key controlled by another organisation is refused", func(t *testing.T) {
		keys := dataintegrity.StaticKeys{}
		for id, k := range f.keys {
			kk := *k
			kk.Controller = eduledger.OrgDID("lakeside-college")
			keys[id] = &kk
		}
		v, _ := NewVerifier(keys, WithSchemas(f.schemas), WithClock(func() time.Time { return checkedAt }))
		rep := v.Verify(ctx, card.JSON)
		c, _ := rep.Check(CheckProof)
		if rep.Verified || c.Status != Failed || !strings.Contains(c.Reason, "controlled by") {
			t.Errorf("proof check %+v", c)
		}
	})
}

func TestMalformedInputFailsTheFormatCheck(t *testing.T) {
	f := newFixture(t)
	issued, _ := f.issuer.Issue(sample(eduledger.TypeDiploma, 1))
	dupKey := strings.Replace(string(issued.JSON), `"id":`, `"id":"urn:uuid:x","id":`, 1)
	tests := map[string][]byte{
		"not JSON":                    []byte("not json"),
		"a JSON array":                []byte("[]"),
		"a duplicated key":            []byte(dupKey),
		"too large":                   append([]byte(`{"a":"`), append([]byte(strings.Repeat("x", DefaultMaxBytes)), `"}`...)...),
		"an unknown credential type":  []byte(`{"type":["VerifiableCredential"]}`),
		"two EduLedger types at once": []byte(`{"type":["VerifiableCredential","EduLedgerDiploma","EduLedgerDegree"]}`),
	}
	for name, in := range tests {
		t.Run(name+" fails the format check", func(t *testing.T) {
			rep := f.verifier.Verify(context.Background(), in)
			if rep.Verified || rep.Checks[0].Name != CheckFormat || rep.Checks[0].Status != Failed || rep.Checks[0].Reason == "" {
				t.Errorf("checks %+v", rep.Checks)
			}
		})
	}
}

func TestDigestIsTheCanonicalFormOfTheCredentialWithoutItsBatchProof(t *testing.T) {
	f := newFixture(t)
	batch, err := f.issuer.IssueBatch(context.Background(), []*Credential{sample(eduledger.TypeDiploma, 1), sample(eduledger.TypeDiploma, 2)})
	if err != nil {
		t.Fatal(err)
	}
	vc, _ := batch.Credential(1)
	doc, _ := jsoncanon.ParseObject(vc, jsoncanon.Limits{})
	proofs := doc["proof"].([]any)
	doc["proof"] = proofs[:1]
	canon, _ := jsoncanon.Append(nil, doc)
	want := sha256Hex(canon)
	if got, _ := Digest(vc); got != want || got != batch.Digest(1) {
		t.Fatalf("Digest = %s, batch %s, want %s", got, batch.Digest(1), want)
	}
}
