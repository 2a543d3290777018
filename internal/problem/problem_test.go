package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/eduledger/eduledger"
)

func TestEveryDomainCodeMapsToOneStatus(t *testing.T) {
	for code, want := range map[string]int{
		eduledger.EINVALID: 400, eduledger.EUNAUTHORIZED: 401, eduledger.EFORBIDDEN: 403,
		eduledger.ENOTFOUND: 404, eduledger.ECONFLICT: 409, eduledger.EUNAVAILABLE: 503,
		eduledger.EINTERNAL: 500, CodeTooLarge: 413, CodeRateLimited: 429, "SOMETHING_NEW": 500,
	} {
		if got := Status(code); got != want {
			t.Errorf("Status(%s) = %d, want %d", code, got, want)
		}
	}
}

func TestProblemsCarryTheDomainMessageButServerErrorsHideIt(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/v1/credentials", nil)
	for _, tc := range []struct {
		name       string
		err        error
		status     int
		code       string
		detailHas  string
		detailLack string
	}{
		{"a chaincode refusal", fmt.Errorf("issue: %w", eduledger.Errorf(eduledger.EFORBIDDEN, "riverside-university is not accredited for Degree")),
			403, eduledger.EFORBIDDEN, "not accredited for Degree", ""},
		{"an unexpected error", errors.New("leveldb: corrupted block 0x17 at /var/lib/x"), 500, eduledger.EINTERNAL, "request ID", "leveldb"},
		{"an internal domain error", eduledger.Errorf(eduledger.EINTERNAL, "nil pointer in signer"), 500, eduledger.EINTERNAL, "request ID", "signer"},
		{"the ledger is down", eduledger.Errorf(eduledger.EUNAVAILABLE, "ledger unavailable"), 503, eduledger.EUNAVAILABLE, "ledger unavailable", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Write(rec, req, nil, tc.err)
			var d Details
			if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
				t.Fatal(err)
			}
			if rec.Code != tc.status || d.Status != tc.status || d.Code != tc.code || rec.Header().Get("Content-Type") != ContentType {
				t.Fatalf("got %d %+v", rec.Code, d)
			}
			if !strings.Contains(d.Detail, tc.detailHas) || (tc.detailLack != "" && strings.Contains(rec.Body.String(), tc.detailLack)) {
				t.Errorf("detail %q (want %q, never %q)", d.Detail, tc.detailHas, tc.detailLack)
			}
			if d.Instance != "/v1/credentials" {
				t.Errorf("instance = %q", d.Instance)
			}
		})
	}
}

func TestFieldErrorsListEveryInvalidRow(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, httptest.NewRequest(http.MethodPost, "/v1/jobs", nil), nil, &Error{Code: eduledger.EINVALID,
		Detail: "2 rows are invalid", Fields: []FieldError{{"row 3, column learnerId", "is empty"}, {"row 9, column type", "unknown type"}}})
	var d Details
	_ = json.Unmarshal(rec.Body.Bytes(), &d)
	if rec.Code != 400 || len(d.Errors) != 2 || d.Errors[1].Field != "row 9, column type" {
		t.Fatalf("got %d %+v", rec.Code, d)
	}
}
