package verifier_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/holder"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
	"github.com/eduledger/eduledger/verifier"
	"github.com/eduledger/eduledger/verifier/verifiertest"
)

// clock is a settable clock for a verifier.
type clock struct{ t atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }
func (c *clock) set(t time.Time)  { c.t.Store(t.UnixNano()) }
func (c *clock) now() time.Time   { return time.Unix(0, c.t.Load()) }

func sign(t testing.TB, l *verifiertest.Learner, req verifier.ConsentRequest, at time.Time) []byte {
	t.Helper()
	if req.LearnerID == "" {
		req.LearnerID = l.ID
	}
	if req.Domain == "" {
		req.Domain = domain
	}
	c, err := verifier.SignConsent(l.Holder, req, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// signDoc secures any document with a learner's holder proof, so that a test can hand the
// verifier a well-signed document of the wrong form.
func signDoc(t testing.TB, l *verifiertest.Learner, doc map[string]any, opts dataintegrity.Options) []byte {
	t.Helper()
	p, err := dataintegrity.Prepare(doc)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := p.CreateProof(dataintegrity.EdDSAJCS2022, l.Holder, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := jsoncanon.Append(nil, dataintegrity.Secure(doc, proof))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func consentDoc(l *verifiertest.Learner, from, until time.Time) map[string]any {
	return map[string]any{"@context": []any{credential.ContextV2}, "type": []any{verifier.ConsentType}, "id": "urn:uuid:7d0c3c5e-0000-4000-8000-000000000001",
		"learner": eduledger.LearnerDID(l.ID), "scope": []any{"archive"}, "domain": domain,
		"validFrom": dataintegrity.FormatTime(from), "validUntil": dataintegrity.FormatTime(until)}
}

func TestAConsentShowsOnlyWhatItNamesWhereAndWhenItSays(t *testing.T) {
	is := net.Issuer(t, devnet.Riverside)
	l, other := is.Learner(t), is.Learner(t)
	t0 := time.Now().UTC().Truncate(time.Second)
	clk := newClock(t0)
	v := start(t, nil, verifier.WithClock(clk.now))
	ctx := context.Background()
	hour := t0.Add(time.Hour)
	archive := sign(t, l, verifier.ConsentRequest{Scopes: []verifier.Scope{verifier.ScopeArchive}, ValidUntil: hour, Purpose: "招聘：网络工程师"}, t0)

	c, err := v.CheckConsent(ctx, archive, verifier.ScopeArchive)
	if err != nil {
		t.Fatal(err)
	}
	if c.LearnerID != l.ID || c.Key != l.Key || c.Domain != domain || !c.ValidUntil.Equal(hour) || c.Purpose != "招聘：网络工程师" || !c.Signed.Equal(t0) {
		t.Fatalf("consent as checked: %+v", c)
	}

	otherKey := func() *verifiertest.Learner {
		_, k, _ := ed25519.GenerateKey(rand.Reader)
		raw, _ := dataintegrity.NewEd25519Signer("k#0", k)
		s, _ := holder.NewSigner(l.ID, raw)
		return &verifiertest.Learner{ID: l.ID, Holder: s, Key: s.PublicKeyMultibase()}
	}()
	theirs := sign(t, other, verifier.ConsentRequest{Scopes: verifier.Scopes}, t0)
	for _, tc := range []struct {
		name    string
		consent []byte
		scope   verifier.Scope
		at      time.Time
		code    string
		why     string
	}{
		{"a consent is accepted in its last second", archive, verifier.ScopeArchive, hour.Add(-time.Second), "", ""},
		{"a consent is refused from the second it ends", archive, verifier.ScopeArchive, hour, eduledger.EFORBIDDEN, "expired"},
		{"a consent signed a little ahead of the verifier's clock is accepted", archive, verifier.ScopeArchive, t0.Add(-4 * time.Minute), "", ""},
		{"a consent not valid for another hour is refused", sign(t, l, verifier.ConsentRequest{Scopes: verifier.Scopes, ValidFrom: hour, ValidUntil: hour.Add(time.Hour)}, hour),
			verifier.ScopeArchive, t0, eduledger.EFORBIDDEN, "valid only from"},
		{"a consent for the archive does not show the statement", archive, verifier.ScopeStatement, t0, eduledger.EFORBIDDEN, "not their statement"},
		{"a consent for another verifier is refused", sign(t, l, verifier.ConsentRequest{Scopes: verifier.Scopes, Domain: "hr.example.com"}, t0),
			verifier.ScopeArchive, t0, eduledger.EFORBIDDEN, "not at this verifier"},
		{"a consent with its purpose changed is refused", bytes.Replace(archive, []byte("网络工程师"), []byte("任何人"), 1),
			verifier.ScopeArchive, t0, eduledger.EFORBIDDEN, "signature does not verify"},
		{"a consent with its end moved is refused", bytes.Replace(archive, []byte(`"validUntil":"`+dataintegrity.FormatTime(hour)),
			[]byte(`"validUntil":"`+dataintegrity.FormatTime(hour.Add(24*time.Hour))), 1), verifier.ScopeArchive, t0.Add(2 * time.Hour), eduledger.EFORBIDDEN, "signature does not verify"},
		{"a consent signed by a key the ledger does not list for the learner is refused", sign(t, otherKey, verifier.ConsentRequest{Scopes: verifier.Scopes}, t0),
			verifier.ScopeArchive, t0, eduledger.EFORBIDDEN, "not a holder key the ledger lists"},
		{"another learner's consent shows that learner, not this one", theirs, verifier.ScopeArchive, t0, "", ""},
		{"another learner's consent edited to name this learner is refused", bytes.Replace(theirs, []byte(other.ID+`"`), []byte(l.ID+`"`), 1),
			verifier.ScopeArchive, t0, eduledger.EFORBIDDEN, "not by a key of learner " + l.ID},
		{"a credential is not a consent", []byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"proof":{}}`),
			verifier.ScopeArchive, t0, eduledger.EINVALID, "not a learner's consent"},
		{"a consent with an unknown member is malformed", signDoc(t, l, func() map[string]any {
			d := consentDoc(l, t0, hour)
			d["audience"] = "anyone"
			return d
		}(), dataintegrity.Options{Created: t0, Expires: hour, Purpose: dataintegrity.PurposeAuthentication, Domain: domain}),
			verifier.ScopeArchive, t0, eduledger.EINVALID, "unknown member"},
		{"a consent lasting a year is malformed", signDoc(t, l, consentDoc(l, t0, t0.AddDate(1, 0, 0)),
			dataintegrity.Options{Created: t0, Expires: t0.AddDate(1, 0, 0), Purpose: dataintegrity.PurposeAuthentication, Domain: domain}),
			verifier.ScopeArchive, t0, eduledger.EINVALID, "at most 90 days"},
		{"a consent whose proof outlives it is refused", signDoc(t, l, consentDoc(l, t0, hour),
			dataintegrity.Options{Created: t0, Expires: hour.Add(time.Hour), Purpose: dataintegrity.PurposeAuthentication, Domain: domain}),
			verifier.ScopeArchive, t0, eduledger.EFORBIDDEN, "expire when the consent does"},
		{"a consent whose proof is for another domain is refused", signDoc(t, l, consentDoc(l, t0, hour),
			dataintegrity.Options{Created: t0, Expires: hour, Purpose: dataintegrity.PurposeAuthentication, Domain: "hr.example.com"}),
			verifier.ScopeArchive, t0, eduledger.EFORBIDDEN, "bound to domain"},
		{"a consent with an assertion proof is refused", signDoc(t, l, consentDoc(l, t0, hour),
			dataintegrity.Options{Created: t0, Expires: hour, Domain: domain}),
			verifier.ScopeArchive, t0, eduledger.EFORBIDDEN, "proofPurpose"},
		{"a consent with a repeated member is malformed", []byte(`{"type":["EduLedgerConsent"],"type":["EduLedgerConsent"]}`),
			verifier.ScopeArchive, t0, eduledger.EINVALID, "not acceptable JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk.set(tc.at)
			defer clk.set(t0)
			_, err := v.CheckConsent(ctx, tc.consent, tc.scope)
			if eduledger.ErrorCode(err) != tc.code || !strings.Contains(eduledger.ErrorMessage(err), tc.why) {
				t.Fatalf("CheckConsent = %v; want %q saying %q", err, tc.code, tc.why)
			}
		})
	}

	t.Run("replacing the learner's holder key withdraws the consents it signed", func(t *testing.T) {
		l := is.Learner(t)
		c := sign(t, l, verifier.ConsentRequest{Scopes: verifier.Scopes}, t0)
		if _, err := v.CheckConsent(ctx, c, verifier.ScopeStatement); err != nil {
			t.Fatal(err)
		}
		if _, err := is.Registrar.UpdateLearnerHolderKeys(ctx, l.ID, []string{otherKey.Key}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "the old key's consent is refused", func() bool {
			_, err := v.CheckConsent(ctx, c, verifier.ScopeStatement)
			return eduledger.ErrorCode(err) == eduledger.EFORBIDDEN
		})
	})
	t.Run("a suspended learner's consent is refused", func(t *testing.T) {
		l := is.Learner(t)
		c := sign(t, l, verifier.ConsentRequest{Scopes: verifier.Scopes}, t0)
		if _, err := is.Registrar.SuspendLearner(ctx, l.ID, "under review"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "the suspended learner's consent is refused", func() bool {
			_, err := v.CheckConsent(ctx, c, verifier.ScopeArchive)
			return eduledger.ErrorCode(err) == eduledger.EFORBIDDEN && strings.Contains(eduledger.ErrorMessage(err), "suspended")
		})
	})
	t.Run("a verifier without a domain accepts no consent", func(t *testing.T) {
		bare, err := verifier.New(net.Reader, verifier.WithSchemas(net.Schemas))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bare.CheckConsent(ctx, archive, verifier.ScopeArchive); eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
			t.Fatalf("CheckConsent = %v", err)
		}
	})
}

func TestSignConsentRefusesWhatNoVerifierWouldAccept(t *testing.T) {
	l := net.Issuer(t, devnet.Riverside).Learner(t)
	now := time.Now()
	for _, tc := range []struct {
		name string
		req  verifier.ConsentRequest
		why  string
	}{
		{"a consent for another learner", verifier.ConsentRequest{LearnerID: "someone-else", Scopes: verifier.Scopes, Domain: domain}, "holder key of learner"},
		{"a consent naming no scope", verifier.ConsentRequest{LearnerID: l.ID, Domain: domain}, "scope must name"},
		{"a consent naming a scope twice", verifier.ConsentRequest{LearnerID: l.ID, Scopes: []verifier.Scope{"archive", "archive"}, Domain: domain}, "named twice"},
		{"a consent naming an unknown scope", verifier.ConsentRequest{LearnerID: l.ID, Scopes: []verifier.Scope{"everything"}, Domain: domain}, "neither"},
		{"a consent for no verifier", verifier.ConsentRequest{LearnerID: l.ID, Scopes: verifier.Scopes}, "domain"},
		{"a consent for a URL rather than a host", verifier.ConsentRequest{LearnerID: l.ID, Scopes: verifier.Scopes, Domain: "https://verify.example.edu.cn/"}, "domain"},
		{"a consent ending before it begins", verifier.ConsentRequest{LearnerID: l.ID, Scopes: verifier.Scopes, Domain: domain, ValidUntil: now.Add(-time.Hour)}, "after validFrom"},
		{"a consent lasting 91 days", verifier.ConsentRequest{LearnerID: l.ID, Scopes: verifier.Scopes, Domain: domain, ValidUntil: now.Add(91 * 24 * time.Hour)}, "90 days"},
		{"a purpose of two lines", verifier.ConsentRequest{LearnerID: l.ID, Scopes: verifier.Scopes, Domain: domain, Purpose: "one\ntwo"}, "one line"},
		{"a purpose too long", verifier.ConsentRequest{LearnerID: l.ID, Scopes: verifier.Scopes, Domain: domain, Purpose: strings.Repeat("长", 201)}, "200"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			_, err := verifier.SignConsent(l.Holder, tc.req, now)
			if eduledger.ErrorCode(err) != eduledger.EINVALID || !strings.Contains(eduledger.ErrorMessage(err), tc.why) {
				t.Fatalf("SignConsent = %v, want INVALID saying %q", err, tc.why)
			}
		})
	}
}

func TestTheConsentedViewsReadTheLedger(t *testing.T) {
	ctx := context.Background()
	v := start(t, nil)
	is := net.Issuer(t, devnet.Riverside)
	l := is.Learner(t)
	consent := sign(t, l, verifier.ConsentRequest{Scopes: verifier.Scopes}, time.Now())

	t.Run("a learner without a credit account has no statement", func(t *testing.T) {
		if _, err := v.Statement(ctx, consent, ""); eduledger.ErrorCode(err) != eduledger.ENOTFOUND {
			t.Fatalf("Statement = %v", err)
		}
	})

	dates := []time.Time{time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)}
	var ids []string
	for i, d := range dates {
		detail := &eduledger.LearningRecordDetail{RecordID: "urn:uuid:consent-test-" + l.ID + "-" + string(rune('a'+i)), LearnerID: l.ID,
			Result: "A", Salt: strings.Repeat("ab", 32)}
		r, err := is.Staff.RecordLearningOutcome(ctx, &eduledger.LearningRecord{ID: detail.RecordID, LearnerID: l.ID, IssuerID: is.Org.ID,
			Kind: eduledger.RecordCourse, Title: eduledger.Name{Zh: "课程", En: "Course"}, Field: "computer-networks", Level: 6, Date: d,
			Digest: detail.Digest()}, detail)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	diploma := is.Issue(t, is.Diploma(l.ID))

	t.Run("the archive pages through the outcomes in their order, with the issuer's names", func(t *testing.T) {
		first, err := v.Archive(ctx, consent, 2, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(first.Items) != 2 || first.NextPageToken == "" || first.Items[0].Record == nil || first.Items[0].Record.ID != ids[0] ||
			first.Items[1].Record.ID != ids[1] || first.Items[0].Issuer.Name == nil || first.Items[0].Issuer.Name.En != is.Org.Name.En ||
			first.Learner.ID != l.ID || first.Learner.RegisteredBy.ID != is.Org.ID {
			t.Fatalf("first page %+v", first)
		}
		second, err := v.Archive(ctx, consent, 2, first.NextPageToken)
		if err != nil {
			t.Fatal(err)
		}
		if len(second.Items) != 1 || second.Items[0].Kind != verifier.ArchiveCredential || second.Items[0].Credential.ID != diploma.ID ||
			second.Items[0].Status != "ACTIVE" {
			t.Fatalf("second page %+v", second)
		}
		if _, err := v.Archive(ctx, consent, 201, ""); eduledger.ErrorCode(err) != eduledger.EINVALID {
			t.Fatalf("a page of 201: %v", err)
		}
	})
	t.Run("the statement sums the deposits", func(t *testing.T) {
		gov := net.Gov
		rule := &eduledger.CreditRule{ID: "consent-test-" + l.ID, Name: eduledger.Name{Zh: "课程", En: "Course"}, Source: eduledger.SourceRecord,
			RecordKind: eduledger.RecordCourse, IssuerID: is.Org.ID, Field: "computer-networks", Level: 6, Credits: 2500,
			EffectiveFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
		if _, err := gov.PublishCreditRule(ctx, rule); err != nil {
			t.Fatal(err)
		}
		if _, err := is.Registrar.OpenCreditAccount(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if _, err := is.Staff.DepositCredits(ctx, &eduledger.DepositRequest{LearnerID: l.ID, Source: eduledger.SourceRecord, OutcomeID: id, RuleID: rule.ID}); err != nil {
				t.Fatal(err)
			}
		}
		st, err := v.Statement(ctx, consent, "")
		if err != nil {
			t.Fatal(err)
		}
		if st.Statement.Total.Deposited != 5000 || st.Statement.Total.Balance != 5000 || len(st.Statement.Balances) != 1 || st.Consent.LearnerID != l.ID {
			t.Fatalf("statement %+v", st.Statement)
		}
		held, err := v.Statement(ctx, consent, devnet.Westlake)
		if err != nil || held.Statement.Total.Balance != 0 {
			t.Fatalf("what westlake holds: %+v, %v", held, err)
		}
		if _, err := v.Statement(ctx, consent, "Not An Org"); eduledger.ErrorCode(err) != eduledger.EINVALID {
			t.Fatalf("a malformed holder: %v", err)
		}
	})
}

// FuzzParseConsent feeds the consent reader what an anonymous client may post: it must answer
// with a consent or an INVALID error, never panic, and never accept a consent its own checks
// would refuse.
func FuzzParseConsent(f *testing.F) {
	l := net.Issuer(f, devnet.Riverside).Learner(f)
	now := time.Now()
	f.Add(sign(f, l, verifier.ConsentRequest{Scopes: verifier.Scopes, Purpose: "求职"}, now))
	f.Add(sign(f, l, verifier.ConsentRequest{Scopes: []verifier.Scope{verifier.ScopeStatement}}, now))
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["EduLedgerConsent"],"scope":"archive"}`))
	f.Add([]byte(`{"type":["EduLedgerConsent"],"validFrom":"2026-01-01T00:00:00Z","validUntil":"2025-01-01T00:00:00Z"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := verifier.ParseConsent(data)
		if err != nil {
			if eduledger.ErrorCode(err) != eduledger.EINVALID {
				t.Fatalf("ParseConsent error %v is not INVALID", err)
			}
			return
		}
		if len(c.Scopes) == 0 || !c.ValidUntil.After(c.ValidFrom) || c.ValidUntil.Sub(c.ValidFrom) > verifier.MaxConsentLifetime || c.Domain == "" {
			t.Fatalf("ParseConsent accepted %+v", c)
		}
	})
}

func BenchmarkCheckConsent(b *testing.B) {
	v := start(b, nil)
	l := net.Issuer(b, devnet.Riverside).Learner(b)
	c := sign(b, l, verifier.ConsentRequest{Scopes: verifier.Scopes}, time.Now())
	ctx := context.Background()
	if _, err := v.CheckConsent(ctx, c, verifier.ScopeArchive); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.CheckConsent(ctx, c, verifier.ScopeArchive); err != nil {
			b.Fatal(err)
		}
	}
}
