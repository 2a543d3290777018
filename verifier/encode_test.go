package verifier

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
)

// reference renders v as the service used to, with encoding/json.
func reference(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestAppendJSONWritesWhatEncodingJSONWrites(t *testing.T) {
	yes, no := true, false
	at := time.Date(2026, 6, 30, 8, 0, 0, 123456789, time.UTC)
	name := eduledger.Name{Zh: "滨江大学", En: "Riverside <University> & \"Co\""}
	reason := reasonText(eduledger.ReasonFraud)
	full := &Result{Verdict: NotVerified, Kind: KindCredential, CheckedAt: at.In(time.FixedZone("CST", 8*3600)),
		Checks: []Check{{Name: CheckFormat, Status: credential.Passed, Reason: Text{Zh: "格式\n正确", En: "tab\there \u2028 \x01 \x7f \xff"}}},
		Credential: &CredentialInfo{ID: "urn:uuid:x", Type: eduledger.TypeDiploma, TypeName: TypeName(eduledger.TypeDiploma),
			Name: Text{Zh: "毕业证书", En: "Diploma"}, LearnerID: "L1", ValidFrom: at, ValidUntil: at.AddDate(1, 0, 0),
			Digest: "ab", BatchRoot: "cd",
			Issuer: &IssuerInfo{ID: "o", DID: "did:eduledger:org:o", Name: &name, ClaimedName: Text{En: "x"}, Kind: eduledger.KindSchool,
				RegionCode: "310000", Status: eduledger.OrgSuspended, StatusReason: "audit", Registered: &yes},
			Ledger: &LedgerRecord{ID: "urn:uuid:x", Type: eduledger.TypeDiploma, IssuerID: "o", LearnerID: "L1", Digest: "ab", BatchRoot: "cd",
				IssuedAt: at, ValidUntil: at, Status: eduledger.StatusRevoked, StatusReason: eduledger.ReasonFraud, StatusReasonText: &reason,
				StatusNote: "note", StatusChangedAt: at, AnchoredAt: at, TxID: "tx"},
			Fields: []Field{{Path: "p", Label: Text{Zh: "a", En: "b"}, Value: Text{Zh: "c", En: "d"}}}},
		Holder: "L1"}
	full.Credentials = []*Result{{Verdict: Verified, Verified: true, Kind: KindCredential, Checks: []Check{},
		Credential: &CredentialInfo{Issuer: &IssuerInfo{Registered: &no}, Ledger: &LedgerRecord{}}}}
	for _, tc := range []struct {
		name string
		r    *Result
	}{
		{"an empty result", &Result{}},
		{"a result with every field set", full},
		{"a result without checks or fields", &Result{Verdict: Unknown, Credential: &CredentialInfo{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := tc.r.AppendJSON(nil), reference(t, tc.r); !bytes.Equal(got, want) {
				t.Fatalf("AppendJSON:\n%s\nencoding/json:\n%s", got, want)
			}
		})
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"quoted\" \\ back", "\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe", "中文", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}
