package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/issuance"
)

func TestProblemsBecomeErrorsWithTheirCodeAndFields(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		code              string
		fields            int
	}{
		{"a problem keeps its code and field errors", "application/problem+json",
			`{"type":"urn:eduledger:problem:invalid","title":"The request is not valid","status":400,"code":"INVALID","detail":"2 of 3 rows are invalid","errors":[{"field":"row 2, column learnerId","message":"is required"},{"field":"row 3","message":"has 1 cells"}]}`,
			400, eduledger.EINVALID, 2},
		{"a forbidden problem", "application/problem+json", `{"status":403,"code":"FORBIDDEN","detail":"not accredited"}`, 403, eduledger.EFORBIDDEN, 0},
		{"a proxy's plain error page is read by its status", "text/html", `<html>Bad Gateway</html>`, 502, eduledger.EUNAVAILABLE, 0},
		{"an oversized upload refused by a proxy", "text/plain", `too large`, 413, "TOO_LARGE", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer edl_test" || r.Header.Get("Idempotency-Key") != "k1" {
					t.Errorf("headers %v", r.Header)
				}
				w.Header().Set("Content-Type", tc.ctype)
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			c, err := New(srv.URL, "edl_test")
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.IssueCredential(context.Background(), issuance.CredentialRequest{Type: eduledger.TypeDiploma, LearnerID: "L1"}, "k1")
			if eduledger.ErrorCode(err) != tc.code {
				t.Fatalf("code %q, want %q (%v)", eduledger.ErrorCode(err), tc.code, err)
			}
			p, ok := ProblemOf(err)
			if !ok || p.Status != tc.status || len(p.Errors) != tc.fields {
				t.Fatalf("problem %+v", p)
			}
		})
	}
}

func TestAnUnreachableServiceIsUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, _ := New(url, "edl_test")
	if _, err := c.Me(context.Background()); eduledger.ErrorCode(err) != eduledger.EUNAVAILABLE {
		t.Fatalf("err = %v", err)
	}
	if _, err := New("ftp://x", "t"); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Fatalf("a non-HTTP URL was accepted: %v", err)
	}
}
