package api_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/internal/problem"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/verifier"
	"github.com/eduledger/eduledger/verifier/api"
)

func TestTheConsentedArchiveAndStatementOverHTTP(t *testing.T) {
	schema := schemas(t)
	s := serve(t, func(c *api.Config) { c.PublicURL = "https://verify.example.edu.cn" })
	ctx := context.Background()
	is := net.Issuer(t, devnet.Riverside)
	l := is.Learner(t)
	now := time.Now()
	consent, err := verifier.SignConsent(l.Holder, verifier.ConsentRequest{LearnerID: l.ID, Scopes: verifier.Scopes,
		Domain: "verify.example.edu.cn", Purpose: "实习申请 internship application"}, now)
	if err != nil {
		t.Fatal(err)
	}
	archiveOnly, err := verifier.SignConsent(l.Holder, verifier.ConsentRequest{LearnerID: l.ID, Scopes: []verifier.Scope{verifier.ScopeArchive},
		Domain: "verify.example.edu.cn"}, now)
	if err != nil {
		t.Fatal(err)
	}
	is.Issue(t, is.Diploma(l.ID))
	if _, err := is.Registrar.OpenCreditAccount(ctx, l.ID); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, path, ctype string
		body              []byte
		status            int
		schema, code      string
	}{
		{"the archive", "/v1/archive", "application/json", consent, 200, "ConsentedArchive", ""},
		{"a page of the archive", "/v1/archive?pageSize=1", "application/json", consent, 200, "ConsentedArchive", ""},
		{"the statement", "/v1/statement", "application/json", consent, 200, "ConsentedStatement", ""},
		{"what one institution holds", "/v1/statement?holderId=" + devnet.Westlake, "application/json", consent, 200, "ConsentedStatement", ""},
		{"the statement under a consent for the archive", "/v1/statement", "application/json", archiveOnly, 403, "Problem", eduledger.EFORBIDDEN},
		{"the consent as a form field", "/v1/archive", "text/plain", consent, 415, "Problem", problem.CodeUnsupportedMediaType},
		{"a consent over 16 KiB", "/v1/archive", "application/json", append(bytes.Repeat([]byte(" "), verifier.MaxConsentBytes), consent...), 413, "Problem", problem.CodeTooLarge},
		{"an unknown query parameter", "/v1/archive?learner=" + l.ID, "application/json", consent, 400, "Problem", eduledger.EINVALID},
		{"a page of 500", "/v1/archive?pageSize=500", "application/json", consent, 400, "Problem", eduledger.EINVALID},
		{"a bookmark that is not one", "/v1/archive?pageToken=nonsense", "application/json", consent, 400, "Problem", eduledger.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := s.call(t, "POST", tc.path, tc.ctype, bytes.NewReader(tc.body))
			if resp.StatusCode != tc.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, b, tc.status)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q: a learner's records must not be cached", resp.Header.Get("Cache-Control"))
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema(tc.schema).Validate(v); err != nil {
				t.Fatalf("the answer does not match %s: %v\n%s", tc.schema, err, b)
			}
			if tc.code != "" && !strings.Contains(string(b), `"code":"`+tc.code+`"`) {
				t.Fatalf("the problem's code is not %s: %s", tc.code, b)
			}
		})
	}
}
