package eduledger

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseErrorFindsTheLeadingCode(t *testing.T) {
	for _, tc := range []struct {
		name, in, code, msg string
	}{
		{"a bare chaincode error", "FORBIDDEN: only the governing organisation may admit", EFORBIDDEN, "only the governing organisation may admit"},
		{"behind a transport prefix", "chaincode response 500, CONFLICT: credential x already anchored", ECONFLICT, "credential x already anchored"},
		{"a code word inside the message", "NOT_FOUND: learner INVALID: is unknown", ENOTFOUND, "learner INVALID: is unknown"},
		{"quoted by gRPC status text", `rpc error: code = Aborted desc = "INVALID: id must be set"`, EINVALID, `id must be set"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ParseError(tc.in)
			if e == nil || e.Code != tc.code || e.Message != tc.msg {
				t.Fatalf("ParseError(%q) = %+v, want %s %q", tc.in, e, tc.code, tc.msg)
			}
		})
	}
}

func TestParseErrorIgnoresMessagesWithoutACode(t *testing.T) {
	for _, in := range []string{"", "Function Foo not found in contract", "XFORBIDDEN: nope", "FORBIDDEN without colon"} {
		if e := ParseError(in); e != nil {
			t.Errorf("ParseError(%q) = %+v, want nil", in, e)
		}
	}
}

func TestErrorCodeAndMessageLookThroughWrapping(t *testing.T) {
	cause := errors.New("disk on fire")
	err := fmt.Errorf("anchor: %w", Errorf(ECONFLICT, "already anchored: %w", cause))
	if got := ErrorCode(err); got != ECONFLICT {
		t.Errorf("ErrorCode = %q", got)
	}
	if got := ErrorMessage(err); got != "already anchored: disk on fire" {
		t.Errorf("ErrorMessage = %q", got)
	}
	if !errors.Is(err, cause) {
		t.Error("the cause is lost")
	}
	if ErrorCode(cause) != EINTERNAL || ErrorMessage(cause) != "internal error" {
		t.Error("a foreign error must read as INTERNAL with a message that reveals nothing")
	}
	if ErrorCode(nil) != "" {
		t.Error("nil must have no code")
	}
}

func TestPersonalDataCommitmentDependsOnEveryField(t *testing.T) {
	base := PersonalData{Name: "张三", NationalID: "310101200001010011", DateOfBirth: "2000-01-01",
		PhotoRef: "photos/1.jpg", Salt: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}
	seen := map[string]string{base.Commitment(): "base"}
	for name, change := range map[string]func(*PersonalData){
		"name":        func(p *PersonalData) { p.Name = "李四" },
		"nationalId":  func(p *PersonalData) { p.NationalID = "310101200001010012" },
		"dateOfBirth": func(p *PersonalData) { p.DateOfBirth = "2000-01-02" },
		"photoRef":    func(p *PersonalData) { p.PhotoRef = "photos/2.jpg" },
		"salt":        func(p *PersonalData) { p.Salt = "ff" + p.Salt[2:] },
	} {
		p := base
		change(&p)
		c := p.Commitment()
		if other, dup := seen[c]; dup {
			t.Errorf("changing %s gives the same commitment as %s", name, other)
		}
		seen[c] = name
	}
}

// FuzzParseError reads arbitrary transport messages: a result always names a known code and a
// message taken from the input after that code.
func FuzzParseError(f *testing.F) {
	for _, s := range []string{"", "FORBIDDEN: x", "chaincode response 500, CONFLICT: y", "INVALID:", "NOT_FOUND: a INVALID: b",
		`rpc error: code = Aborted desc = "INVALID: id"`, "XFORBIDDEN: z", "\x00CONFLICT: \xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		e := ParseError(msg)
		if e == nil {
			return
		}
		if !knownCodes[e.Code] {
			t.Fatalf("ParseError(%q) gave unknown code %q", msg, e.Code)
		}
		if !strings.Contains(msg, e.Code+": ") || !strings.Contains(msg, e.Message) {
			t.Fatalf("ParseError(%q) = %+v, not taken from the input", msg, e)
		}
	})
}
