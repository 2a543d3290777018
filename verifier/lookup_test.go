package verifier_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/idcard"
	"github.com/eduledger/eduledger/verifier"
	"github.com/eduledger/eduledger/verifier/verifiertest"
)

const base = "https://verify.example.edu.cn"

// cardToken returns an identity card's compact token, signed by the issuer's Ed25519 key.
func cardToken(t testing.TB, is *verifiertest.Issuer, card []byte) *idcard.Token {
	t.Helper()
	cv, err := credential.NewVerifier(dataintegrity.KeysOf(is.Ed, is.PQ), credential.WithSchemas(net.Schemas))
	if err != nil {
		t.Fatal(err)
	}
	c, err := idcard.FromReport(cv.Verify(context.Background(), card))
	if err != nil {
		t.Fatal(err)
	}
	s, err := idcard.Compact(c, is.Ed, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := idcard.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestALinkShowsTheLedgerRecordAndWhetherThePaperMatchesIt(t *testing.T) {
	ctx := context.Background()
	v := start(t, nil)
	is := net.Issuer(t, devnet.Riverside)
	l := is.Learner(t)
	diploma := is.Issue(t, is.Diploma(l.ID))
	batch := is.IssueBatch(t, []*credential.Credential{is.Diploma(l.ID), is.Diploma(l.ID)})
	card := is.Issue(t, is.IdentityCard(l))
	token := cardToken(t, is, card.JSON)
	cardLink, err := token.Link(base)
	if err != nil {
		t.Fatal(err)
	}
	revoked := is.Issue(t, is.Diploma(l.ID))
	changeStatus(t, is, revoked.ID, "", eduledger.StatusRevoked, eduledger.ReasonFraud, "")
	other := strings.Repeat("ab", 32)

	for _, tc := range []struct {
		name    string
		q       string
		verdict verifier.Verdict
		check   verifier.CheckName
		says    string
	}{
		{"a link naming the digest the ledger holds", verifier.Link(base, diploma.ID, diploma.Digest, ""), verifier.Verified, verifier.CheckAnchor, "very digest"},
		{"just the link's query", "id=" + diploma.ID + "&d=" + diploma.Digest, verifier.Verified, verifier.CheckAnchor, "very digest"},
		{"a link without a digest", verifier.Link(base, diploma.ID, "", ""), verifier.Verified, verifier.CheckAnchor, "names no digest"},
		{"a paper whose digest is not the ledger's", verifier.Link(base, diploma.ID, other, ""), verifier.NotVerified, verifier.CheckAnchor, "does not match"},
		{"a batch member's link", verifier.Link(base, batch.ID(1), batch.Digest(1), batch.Root()), verifier.Verified, verifier.CheckAnchor, "Merkle leaf"},
		{"a revoked credential's link", verifier.Link(base, revoked.ID, revoked.Digest, ""), verifier.NotVerified, verifier.CheckStatus, "REVOKED"},
		{"an identity card link with its signed token", cardLink, verifier.Verified, verifier.CheckCardToken, "signed by"},
		{"an identity card token scanned from a QR code", token.String(), verifier.Verified, verifier.CheckCardToken, "signed by"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := v.Lookup(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict != tc.verdict || !strings.Contains(reasonOf(r.Checks, tc.check).En, tc.says) {
				t.Fatalf("verdict %s, %s: %+v; want %s saying %q", r.Verdict, tc.check, reasonOf(r.Checks, tc.check), tc.verdict, tc.says)
			}
			if r.Record == nil || r.Issuer == nil || r.Issuer.Name == nil || r.Issuer.Name.En != "Riverside University" {
				t.Fatalf("record %+v, issuer %+v", r.Record, r.Issuer)
			}
		})
	}

	for _, tc := range []struct {
		name, q, code string
	}{
		{"a link naming no credential", base + "/v?d=" + diploma.Digest, eduledger.EINVALID},
		{"garbage", "%%%", eduledger.EINVALID},
		{"a malformed card token", "EDU1:!!", eduledger.EINVALID},
		{"a credential the ledger does not hold", verifier.Link(base, "urn:uuid:00000000-0000-4000-8000-000000000000", "", ""), eduledger.ENOTFOUND},
		{"a batch the ledger does not hold", verifier.Link(base, batch.ID(0), "", other), eduledger.ENOTFOUND},
		{"a credential named with the wrong batch", verifier.Link(base, revoked.ID, "", batch.Root()), eduledger.ECONFLICT},
	} {
		t.Run(tc.name+" is an error", func(t *testing.T) {
			if _, err := v.Lookup(ctx, tc.q); eduledger.ErrorCode(err) != tc.code {
				t.Fatalf("Lookup = %v, want %s", err, tc.code)
			}
		})
	}
}

func reasonOf(checks []verifier.Check, name verifier.CheckName) verifier.Text {
	for _, c := range checks {
		if c.Name == name {
			return c.Reason
		}
	}
	return verifier.Text{}
}

func TestStatusAnswersFromTheLedgerRecord(t *testing.T) {
	ctx := context.Background()
	v := start(t, nil)
	is := net.Issuer(t, devnet.Riverside)
	l := is.Learner(t)
	active := is.Issue(t, is.Diploma(l.ID))
	batch := is.IssueBatch(t, []*credential.Credential{is.Diploma(l.ID)})
	changeStatus(t, is, batch.ID(0), batch.Root(), eduledger.StatusSuspended, eduledger.ReasonUnderReview, "")

	r, err := v.Status(ctx, active.ID, "")
	if err != nil || r.Verdict != verifier.Verified || r.Record.Digest != active.Digest || r.TypeName.Zh != "毕业证书" {
		t.Fatalf("Status = %+v, %v", r, err)
	}
	eventually(t, time.Second, "the suspension reaching the verifier", func() bool {
		r, err := v.Status(ctx, batch.ID(0), batch.Root())
		return err == nil && r.Verdict == verifier.NotVerified && r.Record.Status == eduledger.StatusSuspended && r.Record.StatusReasonText.Zh == "正在审查"
	})
	for _, tc := range []struct {
		name, id, root, code string
	}{
		{"a malformed ID", "not an id", "", eduledger.EINVALID},
		{"a malformed root", active.ID, "ABC", eduledger.EINVALID},
		{"an unknown credential", "urn:uuid:11111111-0000-4000-8000-000000000000", "", eduledger.ENOTFOUND},
	} {
		t.Run(tc.name+" is an error", func(t *testing.T) {
			if _, err := v.Status(ctx, tc.id, tc.root); eduledger.ErrorCode(err) != tc.code {
				t.Fatalf("Status = %v, want %s", err, tc.code)
			}
		})
	}
}

func TestIssuersShowOnlyPublicFacts(t *testing.T) {
	ctx := context.Background()
	v := start(t, nil)
	is := net.NewIssuer(t, eduledger.KindTraining)
	if _, err := is.Admin.RevokeIssuerKey(ctx, is.Org.ID, verifiertest.KeyID(is.Ed), time.Now()); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "the issuer page showing the revoked key", func() bool {
		d, err := v.Issuer(ctx, is.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range d.Keys {
			if k.ID == verifiertest.KeyID(is.Ed) {
				return !k.RevokedAt.IsZero() && !k.Current
			}
		}
		return false
	})
	d, err := v.Issuer(ctx, is.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != is.Org.Name || d.KindName.Zh != "培训机构" || len(d.Keys) != 2 || len(d.Accreditations) != len(eduledger.CredentialTypes) || !d.Accreditations[0].InForce {
		t.Fatalf("issuer %+v", d)
	}

	page, err := v.Issuers(ctx, 2, "")
	if err != nil || len(page.Items) != 2 || page.Bookmark == "" {
		t.Fatalf("first page = %+v, %v", page, err)
	}
	next, err := v.Issuers(ctx, 2, page.Bookmark)
	if err != nil || len(next.Items) == 0 || next.Items[0].ID <= page.Items[1].ID {
		t.Fatalf("next page = %+v, %v", next, err)
	}
	for _, tc := range []struct {
		name string
		call func() error
		code string
	}{
		{"an unknown issuer", func() error { _, err := v.Issuer(ctx, "no-such-org"); return err }, eduledger.ENOTFOUND},
		{"a malformed issuer ID", func() error { _, err := v.Issuer(ctx, "No Such Org"); return err }, eduledger.EINVALID},
		{"a page too large", func() error { _, err := v.Issuers(ctx, 1000, ""); return err }, eduledger.EINVALID},
		{"a bookmark from nowhere", func() error { _, err := v.Issuers(ctx, 10, "garbage"); return err }, eduledger.EINVALID},
	} {
		t.Run(tc.name+" is an error", func(t *testing.T) {
			if err := tc.call(); eduledger.ErrorCode(err) != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
}
