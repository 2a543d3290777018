package credential

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// requireSameAsText checks JSONValue against the text path (json.Marshal, then
// jsoncanon.ParseObjectValue): the same error, or the same Value, canonical form and, where the
// builder did the work itself, the same encoded length and nesting depth.
func requireSameAsText(t *testing.T, c *Credential, lim jsoncanon.Limits) {
	t.Helper()
	want, wantErr := jsonValueFromText(c, lim)
	got, gotErr := c.JSONValue(lim)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("JSONValue error = %v, the text path's = %v", gotErr, wantErr)
	}
	if wantErr != nil {
		if encodeError(gotErr) != encodeError(wantErr) {
			t.Fatalf("error %v is classified differently", gotErr)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("JSONValue differs from the text path:\n got  %#v\n want %#v", *got, *want)
	}
	gotCanon, err1 := jsoncanon.AppendValue(nil, got)
	wantCanon, err2 := jsoncanon.AppendValue(nil, want)
	if err1 != nil || err2 != nil || string(gotCanon) != string(wantCanon) {
		t.Fatalf("canonical forms differ (%v, %v):\n got  %s\n want %s", err1, err2, gotCanon, wantCanon)
	}
	b := valueBuilder{}
	if _, ok := b.credential(c); ok && len(c.Proof) == 0 {
		text, _ := json.Marshal(c)
		if b.size != len(text) {
			t.Fatalf("builder counted %d bytes, json.Marshal wrote %d: %s", b.size, len(text), text)
		}
		if d := depthOf(want); b.maxDepth != d {
			t.Fatalf("builder counted depth %d, the document has %d", b.maxDepth, d)
		}
	}
}

func depthOf(v *jsoncanon.Value) int {
	d := 0
	switch v.Kind() {
	case jsoncanon.Object:
		for _, m := range v.Members() {
			d = max(d, depthOf(&m.Value))
		}
		return d + 1
	case jsoncanon.Array:
		for i := range v.Elems() {
			d = max(d, depthOf(&v.Elems()[i]))
		}
		return d + 1
	}
	return 0
}

// issuable completes c as the issuer does before encoding it.
func issuable(c *Credential, anchoring string) *Credential {
	cc := *c
	cc.ID = "urn:uuid:2b0c7a64-5d8e-4d57-9a8b-1f3c1a8e2f10"
	cc.Issuer = Profile{ID: "did:eduledger:org:riverside-university", Type: []string{"Profile"},
		Name: Text{Zh: "滨江大学", En: "Riverside University"}}
	cc.Status = &Status{Type: StatusType, Channel: DefaultChannel, Chaincode: DefaultChaincode, CredentialID: cc.ID, Anchoring: anchoring}
	cc.Subject = withDefaults(cc.Subject)
	return &cc
}

func TestJSONValueEqualsEncodingAndParsingText(t *testing.T) {
	lim := jsoncanon.Limits{MaxBytes: DefaultMaxBytes, MaxDepth: DefaultMaxDepth}
	for _, typ := range eduledger.CredentialTypes {
		t.Run(fmt.Sprintf("a %s as issued is built exactly as encoding/json writes it", typ), func(t *testing.T) {
			requireSameAsText(t, issuable(sample(typ, 7), AnchorBatch), lim)
			requireSameAsText(t, sample(typ, 7), lim)
		})
	}
	diploma := func(edit func(c *Credential)) *Credential {
		c := issuable(sample(eduledger.TypeDiploma, 1), AnchorSingle)
		edit(c)
		return c
	}
	for _, tc := range []struct {
		name string
		c    *Credential
		lim  jsoncanon.Limits
	}{
		{"HTML characters, U+2028, control characters and quotes are counted as escaped", diploma(func(c *Credential) {
			c.Subject.CertificateNumber = "<a href=\"x\">&\u2028\u2029\x01\x1f\b\f\n\r\t\\\x7f"
		}), lim},
		{"each byte of invalid UTF-8 becomes U+FFFD", diploma(func(c *Credential) {
			c.Name = Text{Zh: "\xff\xfe毕业\xe6\x97", En: "ok\xc0"}
		}), lim},
		{"nil slices are null and empty ones are empty arrays", diploma(func(c *Credential) {
			c.Context, c.Type, c.Issuer.Type = nil, []string{}, nil
			c.Subject.Achievement.Type = nil
		}), lim},
		{"floats are written in ES6 style", diploma(func(c *Credential) {
			c.Subject.CreditsEarned, c.Subject.Achievement.CreditsAvailable = 1e-7, 1e21
		}), lim},
		{"negative zero is left out like zero", diploma(func(c *Credential) {
			c.Subject.CreditsEarned = math.Copysign(0, -1)
		}), lim},
		{"an infinite credit count fails as encoding/json fails", diploma(func(c *Credential) {
			c.Subject.CreditsEarned = math.Inf(1)
		}), lim},
		{"a year beyond 9999 fails as encoding/json fails", diploma(func(c *Credential) {
			c.ValidUntil = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		}), lim},
		{"times keep their zone and fraction", diploma(func(c *Credential) {
			c.Subject.ActivityEndDate = time.Date(2026, 6, 30, 8, 0, 0, 123000000, time.FixedZone("CST", 8*3600))
		}), lim},
		{"a credential that already has proofs takes the text path", diploma(func(c *Credential) {
			c.Proof = []map[string]any{{"type": "DataIntegrityProof"}}
		}), lim},
		{"an empty proof list is left out", diploma(func(c *Credential) {
			c.Proof = []map[string]any{}
		}), lim},
		{"a document one byte over the size limit is refused with the parser's error",
			issuable(sample(eduledger.TypeDiploma, 1), AnchorSingle), jsoncanon.Limits{MaxBytes: sizeOf(issuable(sample(eduledger.TypeDiploma, 1), AnchorSingle)) - 1}},
		{"a document exactly at the size limit is accepted",
			issuable(sample(eduledger.TypeDiploma, 1), AnchorSingle), jsoncanon.Limits{MaxBytes: sizeOf(issuable(sample(eduledger.TypeDiploma, 1), AnchorSingle))}},
		{"a transcript one level too deep is refused with the parser's error",
			issuable(sample(eduledger.TypeTranscript, 1), AnchorSingle), jsoncanon.Limits{MaxDepth: 6}},
		{"a transcript exactly as deep as the limit is accepted",
			issuable(sample(eduledger.TypeTranscript, 1), AnchorSingle), jsoncanon.Limits{MaxDepth: 7}},
	} {
		t.Run(tc.name, func(t *testing.T) { requireSameAsText(t, tc.c, tc.lim) })
	}
}

func sizeOf(c *Credential) int {
	b, _ := json.Marshal(c)
	return len(b)
}

func FuzzJSONValueMatchesEncodingJSON(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"))
	f.Add([]byte("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0\x80\x81\x82"))
	f.Add([]byte("\x03\x07\x05\x02<html>&\u2028\x05\x06\x07\x02\x03\x04\x01\x01\x01\x01\x07\x05\x03\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		src := &fuzzSource{b: data}
		var lim jsoncanon.Limits
		switch src.byte() % 4 {
		case 1:
			lim.MaxBytes = int(src.uint16())
		case 2:
			lim.MaxDepth = int(src.byte() % 12)
		case 3:
			lim.MaxBytes, lim.MaxDepth = int(src.uint16())*4, int(src.byte()%12)
		}
		requireSameAsText(t, src.credential(), lim)
	})
}

// fuzzSource turns fuzz input into credentials: every member present or absent, nil or empty,
// with strings, numbers and times chosen to hit encoding/json's special cases.
type fuzzSource struct{ b []byte }

func (s *fuzzSource) byte() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

func (s *fuzzSource) uint16() uint16 { return uint16(s.byte())<<8 | uint16(s.byte()) }

func (s *fuzzSource) bool() bool { return s.byte()&1 == 1 }

var fuzzStrings = []string{"", "Diploma", "毕业证书", "<&>", "\u2028\u2029", "\x00\x1f\"\\", "\xff", "\xe6\x97", "😀", "\x7f",
	"urn:uuid:2b0c7a64-5d8e-4d57-9a8b-1f3c1a8e2f10", "did:eduledger:learner:L1", "https://example.org/a?b=1&c=2"}

func (s *fuzzSource) str() string {
	k := s.byte()
	if int(k) < 2*len(fuzzStrings) {
		return fuzzStrings[int(k)%len(fuzzStrings)]
	}
	n := int(s.byte() % 16)
	n = min(n, len(s.b))
	out := string(s.b[:n])
	s.b = s.b[n:]
	return out
}

func (s *fuzzSource) strs() []string {
	switch s.byte() % 4 {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	out := make([]string, 1+int(s.byte()%3))
	for i := range out {
		out[i] = s.str()
	}
	return out
}

var fuzzFloats = []float64{0, 162.5, 1, 0.5, 1e-6, 1e-7, 1e20, 1e21, 123456789012345678, 5e-324, math.MaxFloat64, -3.25}

func (s *fuzzSource) float() float64 {
	switch k := s.byte(); {
	case k < 2*uint8(len(fuzzFloats)):
		return fuzzFloats[int(k)%len(fuzzFloats)]
	case k < 30:
		return math.Copysign(0, -1)
	case k < 32:
		return math.NaN()
	case k < 34:
		return math.Inf(int(k) - 33)
	}
	var b [8]byte
	for i := range b {
		b[i] = s.byte()
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b[:]))
}

func (s *fuzzSource) time() time.Time {
	switch s.byte() % 4 {
	case 0:
		return time.Time{}
	case 1:
		return time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	}
	sec := int64(s.uint16())<<24 | int64(s.uint16())<<8 | int64(s.byte())
	if s.bool() {
		sec = -sec
	}
	t := time.Unix(sec*int64(1+s.byte()%64), int64(s.uint16())*int64(s.byte()))
	switch s.byte() % 4 {
	case 0:
		return t.UTC()
	case 1:
		return t.In(time.FixedZone("CST", 8*3600))
	case 2:
		return t.In(time.FixedZone("odd", -(3600 + int(s.byte()))))
	}
	return t
}

func (s *fuzzSource) text() Text {
	switch s.byte() % 4 {
	case 0:
		return Text{}
	case 1:
		return Text{Zh: s.str()}
	case 2:
		return Text{En: s.str()}
	}
	return Text{Zh: s.str(), En: s.str()}
}

func (s *fuzzSource) credential() *Credential {
	c := &Credential{Context: s.strs(), ID: s.str(), Type: s.strs(), Name: s.text(), Description: s.text(),
		Issuer:    Profile{ID: s.str(), Type: s.strs(), Name: s.text(), URL: s.str()},
		ValidFrom: s.time(), ValidUntil: s.time(), Subject: s.subject(3)}
	if s.bool() {
		c.Status = &Status{Type: s.str(), Channel: s.str(), Chaincode: s.str(), CredentialID: s.str(), Anchoring: s.str()}
	}
	switch s.byte() % 8 {
	case 0:
		c.Proof = []map[string]any{}
	case 1:
		c.Proof = []map[string]any{{"type": s.str()}}
	}
	return c
}

func (s *fuzzSource) subject(depth int) Subject {
	sub := Subject{ID: s.str(), Type: s.strs(), CreditsEarned: s.float(), ActivityStartDate: s.time(), ActivityEndDate: s.time(),
		Term: s.str(), Role: s.str(), CertificateNumber: s.str(), LearnerID: s.str(),
		PublicKeyMultibase: s.str(), KeyAgreementMultibase: s.str(), PortraitHash: s.str()}
	if s.bool() {
		a := &Achievement{ID: s.str(), Type: s.strs(), AchievementType: s.str(), Name: s.text(), Description: s.text(),
			Criteria: Criteria{ID: s.str(), Narrative: s.text()}, HumanCode: s.str(), FieldOfStudy: s.str(),
			Specialization: s.str(), CreditsAvailable: s.float(), InLanguage: s.str()}
		for range s.byte() % 3 {
			a.Alignment = append(a.Alignment, Alignment{Type: s.strs(), TargetName: s.str(), TargetURL: s.str(),
				TargetDescription: s.str(), TargetFramework: s.str(), TargetCode: s.str(), TargetType: s.str()})
		}
		if a.Alignment == nil && s.bool() {
			a.Alignment = []Alignment{}
		}
		sub.Achievement = a
	}
	for range s.byte() % 3 {
		sub.Result = append(sub.Result, Result{Type: s.strs(), Value: s.str(), AchievedLevel: s.str(), Status: s.str()})
	}
	switch s.byte() % 4 {
	case 1:
		sub.Roles = []eduledger.LearnerRole{}
	case 2:
		sub.Roles = []eduledger.LearnerRole{eduledger.RoleStudent, eduledger.LearnerRole(s.str())}
	}
	if depth > 0 {
		for range s.byte() % 3 {
			sub.Records = append(sub.Records, Record{Type: s.strs(), Subject: s.subject(depth - 1)})
		}
	}
	return sub
}

func TestValidateCredentialIsValidateOfTheJSONValue(t *testing.T) {
	f := newFixture(t)
	lim := jsoncanon.Limits{MaxBytes: DefaultMaxBytes, MaxDepth: DefaultMaxDepth}
	for _, tc := range []struct {
		name string
		edit func(c *Credential)
		lim  jsoncanon.Limits
	}{
		{"a complete diploma is valid", func(*Credential) {}, lim},
		{"a diploma without a name breaks the schema", func(c *Credential) { c.Name = Text{} }, lim},
		{"a diploma with a malformed id breaks the schema", func(c *Credential) { c.ID = "not-a-urn" }, lim},
		{"a diploma with infinite credits cannot be encoded", func(c *Credential) { c.Subject.CreditsEarned = math.Inf(1) }, lim},
		{"a diploma over the size limit is refused", func(*Credential) {}, jsoncanon.Limits{MaxBytes: 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := issuable(sample(eduledger.TypeDiploma, 3), AnchorBatch)
			tc.edit(c)
			got := f.schemas.ValidateCredential(eduledger.TypeDiploma, c, tc.lim)
			var want error
			doc, err := c.JSONValue(tc.lim)
			if err != nil {
				want = err
			} else {
				want = f.schemas.Validate(eduledger.TypeDiploma, doc)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("ValidateCredential = %v, Validate(JSONValue) = %v", got, want)
			}
			if tc.name == "a complete diploma is valid" && got != nil {
				t.Errorf("a valid diploma: %v", got)
			}
			if tc.name != "a complete diploma is valid" && got == nil {
				t.Error("an invalid diploma passed")
			}
		})
	}
}
