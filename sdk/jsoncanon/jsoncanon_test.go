package jsoncanon

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gowebpki/jcs"
)

func TestCanonicalizeMatchesRFC8785TestData(t *testing.T) {
	inputs, err := filepath.Glob("testdata/rfc8785/input/*.json")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no RFC 8785 test data: %v", err)
	}
	for _, in := range inputs {
		name := filepath.Base(in)
		t.Run(name+" canonicalises to the published output", func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("testdata/rfc8785/output", name))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Canonicalize(data)
			if err != nil {
				t.Fatalf("Canonicalize: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestNumbersFollowRFC8785AppendixB(t *testing.T) {
	f, err := os.Open("testdata/rfc8785/numbers.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		hexBits, want, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		n++
		bits, err := strconv.ParseUint(hexBits, 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		v := math.Float64frombits(bits)
		t.Run(hexBits+" is written as "+want, func(t *testing.T) {
			got, err := Append(nil, v)
			if want == "error" {
				if err == nil {
					t.Fatalf("Append(%v) = %s, want an error", v, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Append(%v): %v", v, err)
			}
			if string(got) != want {
				t.Errorf("Append(%v) = %s, want %s", v, got, want)
			}
			// The same value read from JSON text takes the json.Number path.
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lit := strconv.FormatFloat(v, 'g', -1, 64)
				got, err := Canonicalize([]byte(lit))
				if err != nil || string(got) != want {
					t.Errorf("Canonicalize(%s) = %s, %v; want %s", lit, got, err, want)
				}
			}
		})
	}
	if n < 20 {
		t.Fatalf("only %d number vectors read", n)
	}
}

func TestParseRejectsAmbiguousOrHostileInput(t *testing.T) {
	deep := strings.Repeat("[", DefaultMaxDepth+1) + strings.Repeat("]", DefaultMaxDepth+1)
	tests := []struct {
		name, in, path, msg string
	}{
		{"a duplicate key is rejected with its path", `{"a":{"b":1,"b":2}}`, "a.b", "duplicate key"},
		{"a duplicate key spelled with an escape is still a duplicate", `{"id":1,"\u0069d":2}`, "id", "duplicate key"},
		{"a lone high surrogate is rejected", `{"s":"\ud800"}`, "s", "lone surrogate"},
		{"a lone low surrogate is rejected", `{"s":"\udc00x"}`, "s", "lone surrogate"},
		{"invalid UTF-8 is rejected", "{\"s\":\"\xff\"}", "s", "not valid UTF-8"},
		{"a raw control character is rejected", "{\"s\":\"a\nb\"}", "s", "control character"},
		{"an overflowing number is rejected", `{"n":[1,1e999]}`, "n[1]", "outside the IEEE 754 double range"},
		{"a number with a leading zero is rejected", `[01]`, "", "expected ',' or ']'"},
		{"a bare decimal point is rejected", `[1.]`, "[0]", "digits must follow"},
		{"nesting beyond the limit is rejected", deep, "*", "nesting deeper than"},
		{"trailing data is rejected", `{} {}`, "", "unexpected data after"},
		{"a trailing comma is rejected", `{"a":1,}`, "", "expected a quoted object key"},
		{"single quotes are rejected", `{'a':1}`, "", "expected a quoted object key"},
		{"an unterminated string is rejected", `{"a":"b`, "a", "unterminated string"},
		{"an invalid escape is rejected", `{"a":"\x"}`, "a", "invalid escape"},
		{"empty input is rejected", ``, "", "unexpected end of input"},
		{"NaN is rejected", `[NaN]`, "[0]", "unexpected character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in), Limits{})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error = %v, want *Error", tt.in, err)
			}
			if (tt.path != "*" && e.Path != tt.path) || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("Parse(%q) = path %q msg %q; want path %q msg containing %q", tt.in, e.Path, e.Msg, tt.path, tt.msg)
			}
		})
	}
}

func TestParseEnforcesTheSizeLimit(t *testing.T) {
	in := []byte(`{"a":"` + strings.Repeat("x", 100) + `"}`)
	if _, err := Parse(in, Limits{MaxBytes: 50}); err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Fatalf("Parse over the limit: %v", err)
	}
	if _, err := Parse(in, Limits{MaxBytes: len(in)}); err != nil {
		t.Fatalf("Parse at the limit: %v", err)
	}
}

func TestParseReadsEscapesAndNumbersFaithfully(t *testing.T) {
	v, err := Parse([]byte(` {"s":"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t","n":-12.5e3,"i":7,"b":[true,false,null]} `), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	if got := m["s"].(string); got != "é😀\"\\/\b\f\n\r\t" {
		t.Errorf("s = %q", got)
	}
	if got := m["n"].(json.Number); got != "-12.5e3" {
		t.Errorf("n = %q, want the literal kept", got)
	}
	if got := m["b"].([]any); !slices.Equal(got, []any{true, false, nil}) {
		t.Errorf("b = %v", got)
	}
}

func TestCompareKeysOrdersByUTF16CodeUnits(t *testing.T) {
	// U+1F600 is D83D DE00 in UTF-16 and so sorts before U+FB33 although its code point is larger.
	keys := []string{"\ufb33", "\U0001F600", "\u20ac", "1", "\r", "\u0080", "ö", "", "a", "aa", "\U0001F601"}
	slices.SortFunc(keys, CompareKeys)
	want := []string{"", "\r", "1", "a", "aa", "\u0080", "ö", "\u20ac", "\U0001F600", "\U0001F601", "\ufb33"}
	if !slices.Equal(keys, want) {
		t.Errorf("sorted = %q\nwant    %q", keys, want)
	}
}

func TestAppendCanonicalisesValuesBuiltInCode(t *testing.T) {
	doc := map[string]any{
		"z":    []string{"b", "a"},
		"a":    map[string]any{"n": 1.5, "i": 42, "j": int64(-7), "x": json.Number("1E2")},
		"ctrl": "\u0001\u001f",
	}
	got, err := Append(nil, doc)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":{"i":42,"j":-7,"n":1.5,"x":100},"ctrl":"\u0001\u001f","z":["b","a"]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for name, bad := range map[string]any{
		"a struct":                    struct{}{},
		"a malformed json.Number":     json.Number("0x10"),
		"an integer beyond 2^53":      int64(1<<53 + 1),
		"a string with invalid UTF-8": "\xff",
		"an infinite float":           math.Inf(1),
	} {
		t.Run(name+" is refused", func(t *testing.T) {
			if _, err := Append(nil, map[string]any{"k": bad}); err == nil {
				t.Errorf("Append(%v) succeeded", bad)
			}
		})
	}
}

func TestFieldPathRendersLikeErrorPaths(t *testing.T) {
	if got := FieldPath("proof", 1, "proofValue"); got != "proof[1].proofValue" {
		t.Errorf("FieldPath = %q", got)
	}
	if got := FieldPath("a b", "c"); got != `["a b"].c` {
		t.Errorf("FieldPath = %q", got)
	}
}

// FuzzParse checks that Parse never panics, and that whatever it accepts canonicalises to valid
// JSON that is a fixed point of canonicalisation. A Parser reused across inputs gives what
// ParseValue gives.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	var reused Parser
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := ParseValue(data, Limits{MaxBytes: 1 << 16, MaxDepth: 12})
		got, gotErr := reused.ParseValue(data, Limits{MaxBytes: 1 << 16, MaxDepth: 12})
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
			t.Fatalf("Parser.ParseValue = %v, %v; ParseValue = %v, %v", got, gotErr, want, wantErr)
		}
		v, err := Parse(data, Limits{MaxBytes: 1 << 16})
		if err != nil {
			return
		}
		out, err := Append(nil, v)
		if err != nil {
			t.Fatalf("accepted input does not canonicalise: %v", err)
		}
		// The Value path and the plain-values path agree.
		pv, err := ParseValue(data, Limits{MaxBytes: 1 << 16})
		if err != nil {
			t.Fatalf("ParseValue refuses what Parse accepts: %v", err)
		}
		if viaValue, err := AppendValue(nil, pv); err != nil || !bytes.Equal(viaValue, out) {
			t.Fatalf("AppendValue = %q (%v), Append = %q", viaValue, err, out)
		}
		if back, err := FromAny(v); err != nil {
			t.Fatalf("FromAny: %v", err)
		} else if again, _ := AppendValue(nil, back); !bytes.Equal(again, out) {
			t.Fatalf("FromAny round trip = %q, want %q", again, out)
		}
		if !json.Valid(out) {
			t.Fatalf("canonical form is not valid JSON: %q", out)
		}
		again, err := Canonicalize(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("canonical form is not a fixed point: %q -> %q (%v)", out, again, err)
		}
	})
}

// FuzzMatchesLibrary differentially tests our canonicaliser against github.com/gowebpki/jcs:
// whatever we accept, the library must accept and canonicalise to the same bytes. (We are
// stricter in places — lone surrogates, depth, number range — so inputs we reject are not
// compared.)
func FuzzMatchesLibrary(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ours, err := Canonicalize(data)
		if err != nil {
			return
		}
		// The library misreads a top-level scalar followed by white space ("0 "), so it is given
		// the trimmed text; white space around the value carries no meaning.
		theirs, err := jcs.Transform(bytes.TrimSpace(data))
		if err != nil {
			t.Fatalf("we accept %q (-> %q) but the library rejects it: %v", data, ours, err)
		}
		if !bytes.Equal(ours, theirs) {
			t.Fatalf("canonical forms differ for %q:\nours   %q\ntheirs %q", data, ours, theirs)
		}
	})
}

func addSeeds(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/rfc8785/input/*.json")
	for _, in := range inputs {
		if b, err := os.ReadFile(in); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{"a":1,"b":[1.0,2.50,-0,1e21,1e-7,123456789012345678]}`,
		`{"\u20ac":"x","\ud83d\ude00":1,"\ufb33":2}`,
		`[0.1,0.2,0.30000000000000004,5e-324,1.7976931348623157e308]`,
		`{"k":"\u0000\u001f\u007f\"\\"}`,
		`"plain"`, `true`, `null`, `[[],{}]`,
	} {
		f.Add([]byte(s))
	}
}

func TestSpecial8FindsEveryByteThatNeedsAttention(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			want := c < 0x20 || c == '"' || c == '\\' || c >= 0x80
			if got := special8(uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
				uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56); got != want {
				t.Fatalf("special8 with byte %#x at %d = %v, want %v", c, pos, got, want)
			}
		}
	}
}

func TestEscape8FindsEveryByteJCSEscapes(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			want := c < 0x20 || c == '"' || c == '\\'
			x := uint64(0)
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(b[i])
			}
			// Bytes above 0x7F may be flagged (they are then copied byte by byte), never missed.
			if got := escape8(x); got != want && !(c >= 0x80 && got) {
				t.Fatalf("escape8 with byte %#x at %d = %v, want %v", c, pos, got, want)
			}
		}
	}
}

func TestInsertMemberEqualsCanonicalisingWithTheMember(t *testing.T) {
	for _, in := range []string{`{}`, `{"a":1}`, `{"z":1}`, `{"a":1,"z":2}`, `{"proof":1}`, `{"p":1,"proofs":2,"q":[3]}`, `{"\u20ac":1,"pro":2}`} {
		m, err := ParseObject([]byte(in), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		delete(m, "proof")
		canon, slot, err := AppendObjectSlot(nil, m, "proof")
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		InsertMember(&got, canon, slot, "proof", []byte(`[{"x":1}]`))
		m["proof"] = []any{map[string]any{"x": json.Number("1")}}
		want, _ := Append(nil, m)
		if got.String() != string(want) {
			t.Errorf("%s: got %s, want %s", in, got.String(), want)
		}
	}
}

func TestValueAccessorsAndEdits(t *testing.T) {
	v, err := ParseValue([]byte(`{"z":1,"b":"x","a":[true,null],"k":{"n":-0.5}}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for _, m := range v.Members() {
		keys = append(keys, m.Key)
	}
	if !slices.Equal(keys, []string{"a", "b", "k", "z"}) {
		t.Errorf("members in %v, want canonical order", keys)
	}
	if v.GetStr("b") != "x" || v.GetStr("a") != "" {
		t.Error("GetStr")
	}
	if a, _ := v.Get("a"); len(a.Elems()) != 2 || a.Elems()[1].Kind() != Null {
		t.Error("Elems")
	}
	if n, _ := v.Get("z"); n == nil {
		t.Error("Get z")
	} else if i, ok := n.Int(); !ok || i != 1 {
		t.Error("Int")
	}
	w := v.Without("z", "k")
	got, _ := AppendValue(nil, &w)
	if string(got) != `{"a":[true,null],"b":"x"}` {
		t.Errorf("Without = %s", got)
	}
	w2 := v.With("c", NewString("y"))
	w2 = w2.With("a", NewString("replaced"))
	got, _ = AppendValue(nil, &w2)
	if string(got) != `{"a":"replaced","b":"x","c":"y","k":{"n":-0.5},"z":1}` {
		t.Errorf("With = %s", got)
	}
	except, _ := AppendValueExcept(nil, v, "b", "k")
	if string(except) != `{"a":[true,null],"z":1}` {
		t.Errorf("AppendValueExcept = %s", except)
	}
	canon, slot, err := AppendValueSlot(nil, v, "c")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	InsertMember(&b, canon, slot, "c", []byte(`2`))
	if b.String() != `{"a":[true,null],"b":"x","c":2,"k":{"n":-0.5},"z":1}` {
		t.Errorf("slot insertion = %s", b.String())
	}
	if _, err := NewObject(Member{Key: "a"}, Member{Key: "a"}); err == nil {
		t.Error("NewObject accepted a duplicate key")
	}
	for _, bad := range []string{"01", "1.", "-", "+1", "1.5", "-1", "1e3"} {
		if _, ok := (&Value{kind: Number, s: bad}).Int(); ok {
			t.Errorf("Int accepted %q", bad)
		}
	}
}

func TestDuplicateKeysInLargeObjectsAreFound(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("{")
	for i := range 40 {
		fmt.Fprintf(&sb, `"k%d":%d,`, i, i)
	}
	sb.WriteString(`"k7":0}`)
	_, err := ParseValue([]byte(sb.String()), Limits{})
	var e *Error
	if !errors.As(err, &e) || e.Path != "k7" || e.Msg != "duplicate key" {
		t.Fatalf("err = %v", err)
	}
}

func TestValuesBuiltInCodeEqualParsedOnes(t *testing.T) {
	s1, s2 := NewString("x"), NewString("é")
	n, err := NewNumber("162.50")
	if err != nil {
		t.Fatal(err)
	}
	inner, err := NewSortedObject([]Member{{"@language", NewString("en")}, {"@value", s1}})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := NewSortedObject([]Member{{"a", NewArrayOf([]Value{s1, s2, {}})}, {"b", NewBool(true)},
		{"n", n}, {"t", inner}})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseValue([]byte(`{"t":{"@value":"x","@language":"en"},"n":162.50,"b":true,"a":["x","é",null]}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&doc, parsed) {
		t.Errorf("built %#v\nparsed %#v", doc, *parsed)
	}
	got, _ := AppendValue(nil, &doc)
	if want := `{"a":["x","é",null],"b":true,"n":162.5,"t":{"@language":"en","@value":"x"}}`; string(got) != want {
		t.Errorf("canonical form %s, want %s", got, want)
	}

	for _, keys := range [][]string{{"b", "a"}, {"a", "a"}, {"\ufb33", "\U0001F600"}} {
		t.Run(fmt.Sprintf("members %q out of canonical order are refused", keys), func(t *testing.T) {
			ms := []Member{{Key: keys[0]}, {Key: keys[1]}}
			if _, err := NewSortedObject(ms); err == nil {
				t.Error("NewSortedObject accepted them")
			}
		})
	}
	for _, lit := range []string{"", "1.", "+1", "0x10", "1e400", "NaN", "01", " 1"} {
		t.Run(fmt.Sprintf("number literal %q is refused as ParseValue refuses it", lit), func(t *testing.T) {
			if _, err := NewNumber(lit); err == nil {
				t.Error("NewNumber accepted it")
			}
			if _, err := ParseValue([]byte(lit), Limits{}); err == nil && lit != " 1" {
				t.Error("ParseValue accepts it too: the test is wrong")
			}
		})
	}
}

func TestCloneIsADeepCopyInExactlySizedArrays(t *testing.T) {
	in := `{"a":[1,{"b":[[],{}],"c":"x"},[true,null]],"d":{"e":{"f":"g"}},"h":[]}`
	v, err := ParseValue([]byte(in), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	c := v.Clone()
	if !reflect.DeepEqual(&c, v) {
		t.Fatalf("clone %#v\ndiffers from %#v", c, *v)
	}
	// Overwrite every container of the original: the clone must not change.
	var wipe func(v *Value)
	wipe = func(v *Value) {
		for i := range v.members {
			wipe(&v.members[i].Value)
			v.members[i] = Member{Key: "z"}
		}
		for i := range v.elems {
			wipe(&v.elems[i])
			v.elems[i] = NewString("z")
		}
	}
	wipe(v)
	got, _ := AppendValue(nil, &c)
	want, _ := Canonicalize([]byte(in))
	if string(got) != string(want) {
		t.Errorf("clone after the original was overwritten: %s, want %s", got, want)
	}
	if nm, ne := c.count(); nm != 7 || ne != 7 {
		t.Errorf("count = %d members, %d elements; want 7 and 7", nm, ne)
	}
}

func TestAReusedParserGivesWhatParseValueGives(t *testing.T) {
	var p Parser
	docs := []string{`{"a":[1,2,{"b":"c"}],"d":{}}`, `[]`, `{"x":` + strings.Repeat(`[{"y":1,"z":[true]},`, 40) + `null` + strings.Repeat(`]`, 40) + `}`,
		`{"k":"v"}`, `{"bad":`, `"just a string"`, `{"a":[1,2,{"b":"c"}],"d":{}}`}
	for round := range 3 {
		for _, d := range docs {
			t.Run(fmt.Sprintf("round %d: %.30s parses the same", round, d), func(t *testing.T) {
				want, wantErr := ParseValue([]byte(d), Limits{MaxDepth: 100})
				got, gotErr := p.ParseValue([]byte(d), Limits{MaxDepth: 100})
				if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
					t.Fatalf("got %v, %v; want %v, %v", got, gotErr, want, wantErr)
				}
				if wantErr == nil {
					obj, err := p.ParseObjectValue([]byte(d), Limits{MaxDepth: 100})
					if (err == nil) != (want.Kind() == Object) || err == nil && !reflect.DeepEqual(obj, want) {
						t.Fatalf("ParseObjectValue = %v, %v", obj, err)
					}
				}
			})
		}
	}
	p.Reset()
	if len(p.members) != 0 || len(p.elems) != 0 {
		t.Error("Reset left members in use")
	}
}

func TestGetFindsEveryMemberOfSmallAndLargeObjects(t *testing.T) {
	for _, n := range []int{0, 1, 8, 24, 25, 100} {
		t.Run(fmt.Sprintf("an object of %d members finds each and nothing else", n), func(t *testing.T) {
			var sb strings.Builder
			sb.WriteString("{")
			keys := []string{}
			for i := range n {
				k := fmt.Sprintf("k%d\U0001F600%c", i, rune(0xE000+i))
				keys = append(keys, k)
				if i > 0 {
					sb.WriteString(",")
				}
				fmt.Fprintf(&sb, "%q:%d", k, i)
			}
			sb.WriteString("}")
			v, err := ParseValue([]byte(sb.String()), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			for i, k := range keys {
				got, ok := v.Get(k)
				if lit, _ := got.Number(); !ok || string(lit) != strconv.Itoa(i) {
					t.Fatalf("Get(%q) = %v, %v", k, got, ok)
				}
				if _, ok := v.Get(k + "x"); ok {
					t.Fatalf("Get(%q) found a member that is not there", k+"x")
				}
			}
			if _, ok := v.Get(""); ok {
				t.Fatal(`Get("") found a member`)
			}
		})
	}
}
