package credential

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// unmarshalTextReference is Text.UnmarshalJSON as it was before it skipped the attempts that must
// fail: the reference the fast one is held to.
func unmarshalTextReference(b []byte) (Text, error) {
	var t Text
	var s string
	if json.Unmarshal(b, &s) == nil {
		t.En = s
		return t, nil
	}
	var vals []langValue
	var one langValue
	if json.Unmarshal(b, &one) == nil && one.Value != "" {
		vals = []langValue{one}
	} else if err := json.Unmarshal(b, &vals); err != nil {
		return Text{}, fmt.Errorf("text must be a string or language value objects")
	}
	for _, v := range vals {
		if strings.HasPrefix(strings.ToLower(v.Language), "zh") {
			t.Zh = v.Value
		} else {
			t.En = v.Value
		}
	}
	return t, nil
}

func requireTextLikeReference(t *testing.T, in []byte) {
	t.Helper()
	want, wantErr := unmarshalTextReference(in)
	var got Text
	gotErr := got.UnmarshalJSON(in)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() || got != want && wantErr == nil {
		t.Fatalf("UnmarshalJSON(%q) = %+v, %v; the reference gives %+v, %v", in, got, gotErr, want, wantErr)
	}
}

func TestTextUnmarshalsAsTheReferenceDoes(t *testing.T) {
	for _, in := range textSeeds {
		t.Run(fmt.Sprintf("%s reads as before", in), func(t *testing.T) { requireTextLikeReference(t, []byte(in)) })
	}
}

var textSeeds = []string{`"Diploma"`, `null`, `{"@value":"毕业证书","@language":"zh-CN"}`, `{"@value":"","@language":"en"}`,
	`[{"@value":"毕业证书","@language":"zh-CN"},{"@value":"Diploma","@language":"en"}]`, ` [ ] `, `{}`, `[1]`, `{"@value":1}`,
	` "x"`, `true`, `12`, `[{"@value":"a","@language":"ZH"},{"@value":"b"}]`, `{"@value":"a","@language":"zh"} `, ``, `[`}

func FuzzTextUnmarshalsAsTheReferenceDoes(f *testing.F) {
	for _, s := range textSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		requireTextLikeReference(t, in)
	})
}
