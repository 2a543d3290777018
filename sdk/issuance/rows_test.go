package issuance

import (
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/eduledger/eduledger"
)

// drain reads every row of a source.
func drain(src rowSource) ([]*sourceRow, error) {
	var out []*sourceRow
	for {
		r, err := src.next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
}

func TestCSVUploadsNameTheRowAndColumnOfEachProblem(t *testing.T) {
	gbk, _ := simplifiedchinese.GB18030.NewEncoder().String("learnerId,achievement.name.zh\nL1,计算机科学\n")
	for _, tc := range []struct {
		name, csv, charset string
		fileErr            string // a problem with the file as a whole
		rows               int
		rowErr             string // the first row error, rendered
	}{
		{"a good file reads every row", "learnerId,activityEndDate\nL1,2026-06-30\nL2,2026-06-30T00:00:00Z\n", "", "", 2, ""},
		{"header names ignore case and spaces", " LearnerID , ACHIEVEMENT.NAME.EN\nL1,Law\n", "", "", 1, ""},
		{"a byte-order mark is skipped", "\ufefflearnerId\nL1\n", "", "", 1, ""},
		{"a GB18030 file is read with charset=gb18030", gbk, "gb18030", "", 1, ""},
		{"a GB18030 file without the charset is named as not UTF-8", gbk, "", "", 1, "row 2, column achievement.name.zh: is not UTF-8 text"},
		{"an unknown charset is refused", "learnerId\nL1\n", "latin1", "charset", 0, ""},
		{"an empty file is refused", "", "", "empty", 0, ""},
		{"an unknown column is named", "learnerId,grade\n", "", "grade", 0, ""},
		{"a repeated column is named", "learnerId,learnerId\n", "", "twice", 0, ""},
		{"a file without learnerId is refused", "achievement.name.en\nLaw\n", "", "learnerId", 0, ""},
		{"a bad date names its row and column", "learnerId,activityEndDate\nL1,2026-06-30\nL2,30/06/2026\n", "", "", 2, "row 3, column activityEndDate: must be a date"},
		{"a bad number names its row and column", "learnerId,creditsEarned\nL1,-3\n", "", "", 1, "row 2, column creditsEarned: must be a number"},
		{"a short row says how many cells it has", "learnerId,term\nL1\n", "", "", 1, "row 2: has 1 cells; the header has 2"},
		{"a stray quote names its line", "learnerId,term\nL1,\"2026\"x\n", "", "quote", 0, ""},
		{"an overlong cell is refused", "learnerId,term\nL1," + strings.Repeat("x", maxCell+1) + "\n", "", "", 1, "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := newCSVSource(strings.NewReader(tc.csv), tc.charset, 100)
			var rows []*sourceRow
			if err == nil {
				rows, err = drain(src)
			}
			if tc.fileErr != "" {
				var fe *fileError
				if !errors.As(err, &fe) || !strings.Contains(fe.Message+fe.Column, tc.fileErr) {
					t.Fatalf("err = %v, want a file error mentioning %q", err, tc.fileErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tc.rows {
				t.Fatalf("%d rows, want %d", len(rows), tc.rows)
			}
			var first string
			for _, r := range rows {
				if len(r.errors) > 0 && first == "" {
					first = r.errors[0].String(FormatCSV)
				}
			}
			if tc.rowErr == "" && first != "" || !strings.Contains(first, tc.rowErr) {
				t.Fatalf("first row error %q, want %q", first, tc.rowErr)
			}
		})
	}
}

func TestACSVUploadStopsAtItsRowLimit(t *testing.T) {
	src, err := newCSVSource(strings.NewReader("learnerId\nL1\nL2\nL3\n"), "", 2)
	if err != nil {
		t.Fatal(err)
	}
	_, err = drain(src)
	var fe *fileError
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "at most 2 rows") || fe.Row != 4 {
		t.Fatalf("err = %v", err)
	}
}

func TestJSONUploadsAreStreamedAndCheckedMemberByMember(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		fileErr    string
		rows       int
		rowErr     string
		typ        eduledger.CredentialType
	}{
		{"a good upload", `{"type":"Diploma","template":{"subject":{"term":"2026"}},"rows":[{"learnerId":"L1"},{"learnerId":"L2"}]}`, "", 2, "", eduledger.TypeDiploma},
		{"rows may come alone", `{"rows":[{"learnerId":"L1"}]}`, "", 1, "", ""},
		{"an unknown member of a row is named as a pointer", `{"type":"Diploma","rows":[{"learnerId":"L1"},{"learnerId":"L2","grade":"A"}]}`, "", 2, "/rows/1/grade: is not a known member", eduledger.TypeDiploma},
		{"a wrong type in a row is named", `{"rows":[{"learnerId":3}]}`, "", 1, "/rows/0/learnerId: must be string", ""},
		{"a bad time in a row is named", `{"rows":[{"learnerId":"L1","validUntil":"tomorrow"}]}`, "", 1, "RFC 3339", ""},
		{"members after rows are refused", `{"rows":[],"type":"Diploma"}`, "last member", 0, "", ""},
		{"an unknown top-level member is refused", `{"kind":"Diploma","rows":[]}`, "not a known member", 0, "", ""},
		{"a missing rows member is refused", `{"type":"Diploma"}`, "required", 0, "", ""},
		{"a truncated upload is refused", `{"rows":[{"learnerId":"L1"}`, "ends too early", 1, "", ""},
		{"malformed JSON names the byte", `{"rows":[{"learnerId" "L1"}]}`, "malformed JSON at byte", 0, "", ""},
		{"an array instead of an object", `[{"learnerId":"L1"}]`, "JSON object", 0, "", ""},
		{"trailing data is refused", `{"rows":[]} {}`, "single JSON object", 0, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var head *JSONUpload
			src, err := newJSONSource(strings.NewReader(tc.body), 100, func(h *JSONUpload) error { head = h; return nil })
			var rows []*sourceRow
			if err == nil {
				rows, err = drain(src)
			}
			if tc.fileErr != "" {
				var fe *fileError
				if !errors.As(err, &fe) || !strings.Contains(fe.String(FormatJSON), tc.fileErr) {
					t.Fatalf("err = %v, want a file error mentioning %q", err, tc.fileErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tc.rows || head == nil || head.Type != tc.typ {
				t.Fatalf("%d rows, head %+v", len(rows), head)
			}
			var first string
			for _, r := range rows {
				if len(r.errors) > 0 && first == "" {
					first = r.errors[0].String(FormatJSON)
				}
			}
			if tc.rowErr == "" && first != "" || !strings.Contains(first, tc.rowErr) {
				t.Fatalf("first row error %q, want %q", first, tc.rowErr)
			}
		})
	}
}

func TestRowsOverrideTheirTemplateMemberByMember(t *testing.T) {
	src, err := newCSVSource(strings.NewReader("learnerId,achievement.name.en,result.value\nL1,Law,A\n"), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := drain(src)
	if err != nil {
		t.Fatal(err)
	}
	var tmpl Row
	if err := strictUnmarshal([]byte(`{"name":{"@value":"毕业证书","@language":"zh-CN"},"subject":{"achievement":{"name":{"@value":"法学","@language":"zh-CN"},"fieldOfStudy":"Law"},"result":[{"status":"Completed"}],"term":"2026"}}`), &tmpl); err != nil {
		t.Fatal(err)
	}
	got := mergeRow(&tmpl, rows[0].spec)
	a := got.Subject.Achievement
	switch {
	case got.LearnerID != "L1" || got.Name.Zh != "毕业证书":
		t.Fatalf("row or template member lost: %+v", got)
	case a.Name.Zh != "法学" || a.Name.En != "Law" || a.FieldOfStudy != "Law":
		t.Fatalf("achievement not merged field by field: %+v", a)
	case len(got.Subject.Result) != 1 || got.Subject.Result[0].Value != "A" || got.Subject.Result[0].Status != "Completed":
		t.Fatalf("result not merged field by field: %+v", got.Subject.Result)
	case got.Subject.Term != "2026":
		t.Fatalf("template member lost: %+v", got.Subject)
	case tmpl.Subject.Achievement.Name.En != "":
		t.Fatal("merging changed the template")
	}
}

// FuzzCSVUpload feeds arbitrary uploads to the CSV reader: it never panics, reads rows in order,
// names each problem with its row, and keeps only valid UTF-8 in what it accepts.
func FuzzCSVUpload(f *testing.F) {
	for _, s := range []string{
		"learnerId,activityEndDate\nL1,2026-06-30\n",
		"\ufefflearnerId,achievement.name.zh,creditsEarned\nL1,法学,3.5\nL2,\"a,b\",x\n",
		"learnerId\n\"L1\nL2\"\n",
		"learnerId,term\nL1\n",
		"learnerId,learnerId\n",
		"\xff\xfe\x00",
	} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, gb bool) {
		charset := ""
		if gb {
			charset = CharsetGB18030
		}
		src, err := newCSVSource(strings.NewReader(string(data)), charset, 1000)
		if err != nil {
			return
		}
		last := 1
		for {
			r, err := src.next()
			if err != nil {
				return
			}
			if r.row <= last {
				t.Fatalf("row %d after row %d", r.row, last)
			}
			last = r.row
			for _, e := range r.errors {
				if e.Row != r.row || e.Message == "" {
					t.Fatalf("error %+v of row %d", e, r.row)
				}
			}
			if len(r.errors) == 0 && (!utf8.ValidString(r.spec.LearnerID) || !utf8.ValidString(r.spec.Subject.Term)) {
				t.Fatalf("accepted invalid UTF-8: %+v", r.spec)
			}
		}
	})
}

// FuzzJSONUpload feeds arbitrary uploads to the JSON reader: it never panics and numbers rows
// from 1 without gaps.
func FuzzJSONUpload(f *testing.F) {
	for _, s := range []string{
		`{"type":"Diploma","rows":[{"learnerId":"L1"}]}`,
		`{"template":{"subject":{"achievement":{"name":"Law"}}},"skipInvalid":true,"rows":[{"learnerId":"L1","validUntil":"2030-01-01T00:00:00Z"},{}]}`,
		`{"rows":[{"learnerId":1},{"nope":true}]}`,
		`{"rows":[`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := newJSONSource(strings.NewReader(string(data)), 1000, func(*JSONUpload) error { return nil })
		if err != nil {
			return
		}
		for n := 1; ; n++ {
			r, err := src.next()
			if err != nil {
				return
			}
			if r.row != n {
				t.Fatalf("row %d, want %d", r.row, n)
			}
		}
	})
}

// FuzzAuthenticate feeds arbitrary token strings to authentication: nothing but a token the store
// issued authenticates.
func FuzzAuthenticate(f *testing.F) {
	st, err := openStore(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	defer st.close()
	tokens := &Tokens{s: st, now: nowFunc(), audit: &auditLog{s: st}}
	good, err := tokens.Create(TokenSpec{Name: "fuzz", OrgID: "riverside-university", Role: eduledger.StaffAdmin}, "test")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good.Secret)
	f.Add(TokenPrefix + good.ID + "_" + strings.Repeat("A", 43))
	f.Add("edl_")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, secret string) {
		p, err := tokens.Authenticate(secret)
		if err == nil && secret != good.Secret {
			t.Fatalf("%q authenticated as %+v", secret, p)
		}
		if err != nil && eduledger.ErrorCode(err) != eduledger.EUNAUTHORIZED {
			t.Fatalf("%q: %v", secret, err)
		}
	})
}
