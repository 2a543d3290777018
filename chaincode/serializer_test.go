package chaincode

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
)

func testSerializer(t testing.TB) *serializer {
	t.Helper()
	c := &Contract{signatures: signatures()}
	names, err := c.argumentNames()
	if err != nil {
		t.Fatal(err)
	}
	return &serializer{names: names}
}

func TestSerializerDecodesArgumentsStrictly(t *testing.T) {
	s := testSerializer(t)
	anchorType := reflect.TypeFor[eduledger.CredentialAnchor]()
	for _, tc := range []struct {
		name    string
		in      string
		typ     reflect.Type
		wantErr string // substring; "" means success
	}{
		{"a well-formed anchor decodes", `{"id":"urn:x:1","type":"Diploma"}`, anchorType, ""},
		{"an unknown field is refused and named", `{"id":"urn:x:1","grade":"A"}`, anchorType, `INVALID: argument anchor: unknown field "grade"`},
		{"JSON null is refused", `null`, anchorType, "INVALID: argument anchor: must be a JSON value, not null"},
		{"trailing data is refused", `{"id":"a"} {"id":"b"}`, anchorType, "INVALID: argument anchor: unexpected data after the JSON value"},
		{"broken JSON is refused with its position", `{"id":`, anchorType, "INVALID: argument anchor: is empty or cut short"},
		{"a syntax error is refused with its position", `{"id" 1}`, anchorType, "INVALID: argument anchor: is not valid JSON at byte"},
		{"a wrong JSON type names the field", `{"id":42}`, anchorType, "INVALID: argument anchor: field id must not be a JSON number"},
		{"a bad time says what a time looks like", `{"issuedAt":"yesterday"}`, anchorType, "INVALID: argument anchor: holds a time that is not in RFC 3339 form"},
		{"an empty document is refused", ``, anchorType, "INVALID: argument anchor: is empty"},
		{"a repeated field is refused, not resolved in favour of one copy", `{"id":"urn:x:1","learnerId":"l-1","learnerId":"l-2"}`, anchorType, "INVALID: argument anchor: field learnerId: duplicate key"},
		{"invalid UTF-8 is refused, not replaced", "{\"id\":\"urn:x:\xff\"}", anchorType, "INVALID: argument anchor: field id:"},
		{"a page size decodes", `25`, reflect.TypeFor[int32](), ""},
		{"a page size that is not a number is refused", `ten`, reflect.TypeFor[int32](), `INVALID: argument pageSize: "ten" is not a whole number`},
		{"a page size beyond 32 bits is refused", `99999999999`, reflect.TypeFor[int32](), "INVALID: argument pageSize"},
		{"roles decode as a list", `["STUDENT"]`, reflect.TypeFor[[]eduledger.LearnerRole](), ""},
		{"roles must be a list", `"STUDENT"`, reflect.TypeFor[[]eduledger.LearnerRole](), "INVALID: argument roles: must not be a JSON string"},
		{"strings pass through untouched", "\x00 not json", reflect.TypeFor[string](), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := s.FromString(tc.in, tc.typ, nil, nil)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("FromString(%q) = %v", tc.in, err)
				}
				if v.Type() != tc.typ {
					t.Fatalf("decoded a %s, want %s", v.Type(), tc.typ)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("FromString(%q) error = %v, want it to contain %q", tc.in, err, tc.wantErr)
			}
			if eduledger.ErrorCode(err) != eduledger.EINVALID {
				t.Fatalf("error code = %s, want INVALID", eduledger.ErrorCode(err))
			}
		})
	}
}

func TestSerializerEncodesResults(t *testing.T) {
	s := testSerializer(t)
	when := time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"a record as JSON", &eduledger.AccreditationCheck{OrgID: "a-b", Accredited: true, At: when},
			`{"orgId":"a-b","credentialType":"","at":"2026-07-01T08:00:00Z","accredited":true}`},
		{"a nil record as nothing", (*eduledger.Organization)(nil), ""},
		{"an empty list as an empty JSON array", []OrganizationVersion{}, "[]"},
		{"a string as itself", "plain", "plain"},
		{"a boolean", true, "true"},
		{"a number", int32(7), "7"},
		{"a time in RFC 3339", when, "2026-07-01T08:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ToString(reflect.ValueOf(tc.v), reflect.TypeOf(tc.v), nil, nil)
			if err != nil || got != tc.want {
				t.Fatalf("ToString = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// FuzzSerializerFromString feeds arbitrary text to every argument type the contract declares: each
// input either decodes into a value of that type or is refused as INVALID, and a decoded document
// survives a round trip through JSON.
func FuzzSerializerFromString(f *testing.F) {
	s := testSerializer(f)
	var types []reflect.Type
	for t := range s.names {
		types = append(types, t)
	}
	types = append(types, reflect.TypeFor[string]())
	// Map order would make the corpus meaning vary between runs.
	slices.SortFunc(types, func(a, b reflect.Type) int { return strings.Compare(a.String(), b.String()) })
	for _, seed := range []string{
		`{"id":"urn:uuid:1","type":"Diploma","issuerId":"riverside-university","learnerId":"s1","digest":"00","issuedAt":"2026-01-01T00:00:00Z"}`,
		`{"root":"ab","count":3}`, `["STUDENT","GRADUATE"]`, `["z6Mk"]`, `{"credentialId":"x","status":"REVOKED","reason":"FRAUD"}`,
		`12`, `-1`, `null`, `{}`, `[]`, `{"id":1}`, `{"a":1}`, "\xff", `{"name":{"zh":"\u0000"}}`, `1e309`,
	} {
		for i := range types {
			f.Add(uint8(i), seed)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, in string) {
		typ := types[int(which)%len(types)]
		v, err := s.FromString(in, typ, nil, nil)
		if err != nil {
			if eduledger.ErrorCode(err) != eduledger.EINVALID {
				t.Fatalf("FromString(%q, %s) = %v: a refusal must be INVALID", in, typ, err)
			}
			return
		}
		if v.Type() != typ {
			t.Fatalf("decoded a %s, want %s", v.Type(), typ)
		}
		if typ.Kind() == reflect.String {
			return
		}
		b, err := json.Marshal(v.Interface())
		if err != nil {
			t.Fatalf("a decoded %s does not encode: %v", typ, err)
		}
		if _, err := s.FromString(string(b), typ, nil, nil); err != nil {
			t.Fatalf("a decoded %s does not decode again from %s: %v", typ, b, err)
		}
	})
}
