package verifier_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/verifier"
	"github.com/eduledger/eduledger/verifier/verifiertest"
)

// FuzzVerify feeds Verify what an anonymous client may post: it must answer with a Result or an
// INVALID error, never panic, and never call verified what fails a check.
func FuzzVerify(f *testing.F) {
	v := start(f, nil)
	is := net.Issuer(f, devnet.Riverside)
	l := is.Learner(f)
	card := is.Issue(f, is.IdentityCard(l)).JSON
	diploma := is.Issue(f, is.Diploma(l.ID)).JSON
	batch := is.IssueBatch(f, []*credential.Credential{is.Diploma(l.ID), is.Diploma(l.ID)})
	member, _ := batch.Credential(1)
	c, err := v.NewChallenge()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range [][]byte{diploma, member, card, verifiertest.Present(f, l, c.Challenge, domain, card, diploma),
		[]byte(`{"type":["VerifiableCredential"],"proof":{}}`), []byte(`{"type":"VerifiablePresentation","holder":5}`)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := v.Verify(context.Background(), data)
		if err != nil {
			if eduledger.ErrorCode(err) != eduledger.EINVALID {
				t.Fatalf("Verify error %v is not INVALID", err)
			}
			return
		}
		switch r.Verdict {
		case verifier.Verified:
			if len(r.Failed()) != 0 {
				t.Fatalf("verified with failed checks: %s", dump(r))
			}
		case verifier.NotVerified, verifier.Unknown:
		default:
			t.Fatalf("verdict %q", r.Verdict)
		}
		for _, c := range r.Checks {
			if c.Reason.En == "" || c.Reason.Zh == "" {
				t.Fatalf("check %s has no reason in both languages", c.Name)
			}
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			t.Fatalf("encoding/json cannot render the result: %v", err)
		}
		if got := append(r.AppendJSON(nil), '\n'); string(got) != want.String() {
			t.Fatalf("AppendJSON differs from encoding/json:\n%s\n%s", got, want.String())
		}
	})
}

// FuzzLookup feeds Lookup what a verification link or a QR code may carry.
func FuzzLookup(f *testing.F) {
	v := start(f, nil)
	is := net.Issuer(f, devnet.Riverside)
	l := is.Learner(f)
	d := is.Issue(f, is.Diploma(l.ID))
	for _, s := range []string{verifier.Link(base, d.ID, d.Digest, ""), "id=" + d.ID, "EDU1:", "?id=urn:x:y&card=AAAA", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		r, err := v.Lookup(context.Background(), q)
		switch eduledger.ErrorCode(err) {
		case "":
			if r.Verified != (r.Verdict == verifier.Verified) {
				t.Fatalf("verified %v with verdict %s", r.Verified, r.Verdict)
			}
		case eduledger.EINVALID, eduledger.ENOTFOUND, eduledger.ECONFLICT:
		default:
			t.Fatalf("Lookup(%q) = %v", q, err)
		}
	})
}
