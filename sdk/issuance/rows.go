package issuance

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
)

// Row is one credential of a bulk job: the members of a CredentialRequest without the type, which
// the job fixes. A job's template is a Row too; each row's members override the template's, member
// by member (down to the achievement's fields), so a CSV file need only hold what differs between
// learners.
type Row struct {
	LearnerID   string             `json:"learnerId,omitempty"`
	Name        credential.Text    `json:"name,omitzero"`
	Description credential.Text    `json:"description,omitzero"`
	ValidFrom   time.Time          `json:"validFrom,omitzero"`
	ValidUntil  time.Time          `json:"validUntil,omitzero"`
	Subject     credential.Subject `json:"subject,omitzero"`
}

// RowError says what is wrong with one row of a bulk job, or with the file itself (Row 0).
type RowError struct {
	// Row is the spreadsheet row number of a CSV file (the header is row 1) or the 1-based
	// position in a JSON rows array; 0 for the file as a whole.
	Row int `json:"row"`
	// Column is the CSV column, or the JSON pointer inside the row ("/subject/achievement/name").
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

// Field renders where the error is, as a registrar reads it: "row 12, column learnerId" for CSV,
// "/rows/11/learnerId" for JSON.
func (e RowError) Field(format string) string {
	if format == FormatJSON {
		if e.Row == 0 {
			return e.Column
		}
		return fmt.Sprintf("/rows/%d%s", e.Row-1, e.Column)
	}
	switch {
	case e.Row == 0 && e.Column == "":
		return "file"
	case e.Row == 0:
		return "header, column " + e.Column
	case e.Column == "":
		return fmt.Sprintf("row %d", e.Row)
	}
	return fmt.Sprintf("row %d, column %s", e.Row, e.Column)
}

func (e RowError) String(format string) string { return e.Field(format) + ": " + e.Message }

// Upload formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// sourceRow is one parsed row, or the problems that kept it from parsing.
type sourceRow struct {
	row    int
	spec   Row
	errors []RowError
}

// rowSource yields the rows of an upload in order; io.EOF ends it. Any other error is about the
// upload as a whole (it cannot be read further).
type rowSource interface {
	next() (*sourceRow, error)
}

// errTooManyRows is returned by a source past its row limit.
type fileError struct{ RowError }

func (e *fileError) Error() string { return e.Message }

// csvColumn is one column a CSV upload may have.
type csvColumn struct {
	name string
	set  func(r *Row, v string) error
}

func text(t *credential.Text, zh bool, v string) {
	if zh {
		t.Zh = v
	} else {
		t.En = v
	}
}

func achievement(r *Row) *credential.Achievement {
	if r.Subject.Achievement == nil {
		r.Subject.Achievement = &credential.Achievement{}
	}
	return r.Subject.Achievement
}

func result(r *Row) *credential.Result {
	if len(r.Subject.Result) == 0 {
		r.Subject.Result = []credential.Result{{}}
	}
	return &r.Subject.Result[0]
}

func parseDate(v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errors.New("must be a date written YYYY-MM-DD (or an RFC 3339 time)")
	}
	return t.UTC(), nil
}

func parseNumber(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, errors.New("must be a number, 0 or more")
	}
	return f, nil
}

// csvColumns lists the columns of a CSV upload, named after the JSON members they set (the
// credentialSubject members without their "subject." prefix).
var csvColumns = []csvColumn{
	{"learnerId", func(r *Row, v string) error { r.LearnerID = v; return nil }},
	{"validFrom", func(r *Row, v string) (err error) { r.ValidFrom, err = parseDate(v); return }},
	{"validUntil", func(r *Row, v string) (err error) { r.ValidUntil, err = parseDate(v); return }},
	{"name.zh", func(r *Row, v string) error { text(&r.Name, true, v); return nil }},
	{"name.en", func(r *Row, v string) error { text(&r.Name, false, v); return nil }},
	{"description.zh", func(r *Row, v string) error { text(&r.Description, true, v); return nil }},
	{"description.en", func(r *Row, v string) error { text(&r.Description, false, v); return nil }},
	{"achievement.id", func(r *Row, v string) error { achievement(r).ID = v; return nil }},
	{"achievement.achievementType", func(r *Row, v string) error { achievement(r).AchievementType = v; return nil }},
	{"achievement.name.zh", func(r *Row, v string) error { text(&achievement(r).Name, true, v); return nil }},
	{"achievement.name.en", func(r *Row, v string) error { text(&achievement(r).Name, false, v); return nil }},
	{"achievement.description.zh", func(r *Row, v string) error { text(&achievement(r).Description, true, v); return nil }},
	{"achievement.description.en", func(r *Row, v string) error { text(&achievement(r).Description, false, v); return nil }},
	{"achievement.criteria.id", func(r *Row, v string) error { achievement(r).Criteria.ID = v; return nil }},
	{"achievement.criteria.narrative.zh", func(r *Row, v string) error { text(&achievement(r).Criteria.Narrative, true, v); return nil }},
	{"achievement.criteria.narrative.en", func(r *Row, v string) error { text(&achievement(r).Criteria.Narrative, false, v); return nil }},
	{"achievement.humanCode", func(r *Row, v string) error { achievement(r).HumanCode = v; return nil }},
	{"achievement.fieldOfStudy", func(r *Row, v string) error { achievement(r).FieldOfStudy = v; return nil }},
	{"achievement.specialization", func(r *Row, v string) error { achievement(r).Specialization = v; return nil }},
	{"achievement.creditsAvailable", func(r *Row, v string) (err error) { achievement(r).CreditsAvailable, err = parseNumber(v); return }},
	{"result.value", func(r *Row, v string) error { result(r).Value = v; return nil }},
	{"result.status", func(r *Row, v string) error { result(r).Status = v; return nil }},
	{"result.achievedLevel", func(r *Row, v string) error { result(r).AchievedLevel = v; return nil }},
	{"creditsEarned", func(r *Row, v string) (err error) { r.Subject.CreditsEarned, err = parseNumber(v); return }},
	{"activityStartDate", func(r *Row, v string) (err error) { r.Subject.ActivityStartDate, err = parseDate(v); return }},
	{"activityEndDate", func(r *Row, v string) (err error) { r.Subject.ActivityEndDate, err = parseDate(v); return }},
	{"term", func(r *Row, v string) error { r.Subject.Term = v; return nil }},
	{"role", func(r *Row, v string) error { r.Subject.Role = v; return nil }},
	{"certificateNumber", func(r *Row, v string) error { r.Subject.CertificateNumber = v; return nil }},
}

// CSVColumns returns the names of the columns a CSV upload may have, in documentation order.
func CSVColumns() []string {
	out := make([]string, len(csvColumns))
	for i, c := range csvColumns {
		out[i] = c.name
	}
	return out
}

var csvColumnsByName = func() map[string]int {
	m := make(map[string]int, len(csvColumns))
	for i, c := range csvColumns {
		m[strings.ToLower(c.name)] = i
	}
	return m
}()

// maxCell bounds one CSV cell; longer values are refused rather than truncated.
const maxCell = 4096

type csvSource struct {
	r       *csv.Reader
	columns []int // index into csvColumns per file column
	maxRows int
	n       int
}

// Charsets a CSV upload may be in.
const (
	CharsetUTF8    = "utf-8"
	CharsetGB18030 = "gb18030"
)

// newCSVSource reads a CSV upload: a header row naming columns from CSVColumns (case does not
// matter; learnerId is required), then one row per credential. A UTF-8 byte-order mark is
// skipped; charset gb18030 (also accepted: gbk, gb2312) decodes files saved by spreadsheet programs
// in a Chinese locale. It fails with a *fileError when the header is unusable.
func newCSVSource(body io.Reader, charset string, maxRows int) (rowSource, error) {
	switch strings.ToLower(charset) {
	case "", "utf-8", "utf8":
	case "gb18030", "gbk", "gb2312":
		body = transform.NewReader(body, simplifiedchinese.GB18030.NewDecoder())
	default:
		return nil, &fileError{RowError{Message: fmt.Sprintf("charset %q is not supported; use utf-8 or gb18030", charset)}}
	}
	body = skipBOM(body)
	r := csv.NewReader(body)
	r.ReuseRecord = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, &fileError{RowError{Message: "the file is empty; it needs a header row and at least one row"}}
	}
	if err != nil {
		return nil, &fileError{RowError{Row: 1, Message: csvProblem(err)}}
	}
	s := &csvSource{r: r, maxRows: maxRows}
	seen := map[int]bool{}
	hasLearner := false
	for _, h := range header {
		name := strings.TrimSpace(h)
		i, ok := csvColumnsByName[strings.ToLower(name)]
		if !ok {
			if !utf8.ValidString(name) {
				return nil, &fileError{RowError{Row: 1, Message: "the header is not UTF-8 text; save the file as \"CSV UTF-8\" or upload it with charset=gb18030"}}
			}
			return nil, &fileError{RowError{Row: 0, Column: truncate(name, 64), Message: "is not a known column; the columns are " + strings.Join(CSVColumns(), ", ")}}
		}
		if seen[i] {
			return nil, &fileError{RowError{Row: 0, Column: csvColumns[i].name, Message: "appears twice"}}
		}
		seen[i] = true
		hasLearner = hasLearner || csvColumns[i].name == "learnerId"
		s.columns = append(s.columns, i)
	}
	if !hasLearner {
		return nil, &fileError{RowError{Row: 0, Column: "learnerId", Message: "is required"}}
	}
	r.FieldsPerRecord = len(header)
	return s, nil
}

func (s *csvSource) next() (*sourceRow, error) {
	rec, err := s.r.Read()
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
			s.n++
			return &sourceRow{row: pe.StartLine, errors: []RowError{{Row: pe.StartLine,
				Message: fmt.Sprintf("has %d cells; the header has %d", len(rec), len(s.columns))}}}, s.limit(pe.StartLine)
		}
		if errors.As(err, &pe) {
			return nil, &fileError{RowError{Row: pe.StartLine, Message: csvProblem(err)}}
		}
		return nil, err // the body could not be read (too large, connection lost)
	}
	line, _ := s.r.FieldPos(0)
	s.n++
	if err := s.limit(line); err != nil {
		return nil, err
	}
	out := &sourceRow{row: line}
	for i, v := range rec {
		col := csvColumns[s.columns[i]]
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		switch {
		case !utf8.ValidString(v):
			out.errors = append(out.errors, RowError{Row: line, Column: col.name,
				Message: "is not UTF-8 text; save the file as \"CSV UTF-8\" or upload it with charset=gb18030"})
			continue
		case len(v) > maxCell:
			out.errors = append(out.errors, RowError{Row: line, Column: col.name, Message: fmt.Sprintf("is longer than %d bytes", maxCell)})
			continue
		}
		if err := col.set(&out.spec, v); err != nil {
			out.errors = append(out.errors, RowError{Row: line, Column: col.name, Message: err.Error()})
		}
	}
	return out, nil
}

func (s *csvSource) limit(line int) error {
	if s.maxRows > 0 && s.n > s.maxRows {
		return &fileError{RowError{Row: line, Message: fmt.Sprintf("a job holds at most %d rows; split the file", s.maxRows)}}
	}
	return nil
}

func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
			return fmt.Sprintf("a quote is misplaced (line %d, column %d); quote a whole cell and double quotes inside it", pe.Line, pe.Column)
		}
		return pe.Err.Error()
	}
	return err.Error()
}

func skipBOM(r io.Reader) io.Reader {
	var head [3]byte
	n, err := io.ReadFull(r, head[:])
	if n == 3 && bytes.Equal(head[:], []byte{0xEF, 0xBB, 0xBF}) {
		return r
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return io.MultiReader(bytes.NewReader(head[:n]), errReader{err})
	}
	return io.MultiReader(bytes.NewReader(head[:n]), r)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// JSONUpload is the JSON form of a bulk job: the credential type, an optional template every row
// starts from, whether to skip invalid rows, and the rows. It is read as a stream, so Rows may be
// long; the members may come in any order.
type JSONUpload struct {
	Type        eduledger.CredentialType `json:"type"`
	Template    *Row                     `json:"template,omitempty"`
	SkipInvalid bool                     `json:"skipInvalid,omitempty"`
	Rows        []Row                    `json:"rows"`
}

type jsonSource struct {
	dec     *json.Decoder
	maxRows int
	n       int
	state   int // 0: in the rows array; 1: after it
	head    JSONUpload
	hasRows bool
	onHead  func(*JSONUpload) error
}

// newJSONSource reads a JSONUpload. Members before "rows" are read first and handed to onHead
// (the type and template decide how rows are read); members after it are refused, since rows
// have already been checked by then.
func newJSONSource(body io.Reader, maxRows int, onHead func(*JSONUpload) error) (rowSource, error) {
	s := &jsonSource{dec: json.NewDecoder(body), maxRows: maxRows, onHead: onHead}
	if err := s.expectDelim('{', "the body must be a JSON object with type, template and rows"); err != nil {
		return nil, err
	}
	for {
		tok, err := s.dec.Token()
		if err != nil {
			return nil, jsonFileError(err)
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			return nil, &fileError{RowError{Column: "/rows", Message: "is required"}}
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			err = s.dec.Decode(&s.head.Type)
		case "template":
			s.head.Template = new(Row)
			var raw json.RawMessage
			if err = s.dec.Decode(&raw); err == nil {
				if err = strictUnmarshal(raw, s.head.Template); err != nil {
					return nil, &fileError{RowError{Column: "/template", Message: decodeProblem(err)}}
				}
			}
		case "skipInvalid":
			err = s.dec.Decode(&s.head.SkipInvalid)
		case "rows":
			if err := s.onHead(&s.head); err != nil {
				return nil, err
			}
			if err := s.expectDelim('[', "rows must be an array"); err != nil {
				return nil, err
			}
			s.hasRows = true
			return s, nil
		default:
			return nil, &fileError{RowError{Column: "/" + truncate(key, 64), Message: "is not a known member; the members are type, template, skipInvalid and rows"}}
		}
		if err != nil {
			return nil, &fileError{RowError{Column: "/" + key, Message: decodeProblem(err)}}
		}
	}
}

func (s *jsonSource) expectDelim(want json.Delim, msg string) error {
	tok, err := s.dec.Token()
	if err != nil {
		return jsonFileError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return &fileError{RowError{Message: msg}}
	}
	return nil
}

func (s *jsonSource) next() (*sourceRow, error) {
	if s.state == 1 {
		return nil, io.EOF
	}
	if !s.dec.More() {
		if _, err := s.dec.Token(); err != nil { // ']'
			return nil, jsonFileError(err)
		}
		tok, err := s.dec.Token()
		if err != nil {
			return nil, jsonFileError(err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '}' {
			return nil, &fileError{RowError{Message: "rows must be the last member of the upload"}}
		}
		if _, err := s.dec.Token(); !errors.Is(err, io.EOF) {
			return nil, &fileError{RowError{Message: "the body must hold a single JSON object; found more after it"}}
		}
		s.state = 1
		return nil, io.EOF
	}
	s.n++
	if s.maxRows > 0 && s.n > s.maxRows {
		return nil, &fileError{RowError{Row: s.n, Message: fmt.Sprintf("a job holds at most %d rows; split the upload", s.maxRows)}}
	}
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		return nil, jsonFileError(err)
	}
	out := &sourceRow{row: s.n}
	if err := strictUnmarshal(raw, &out.spec); err != nil {
		out.errors = []RowError{{Row: s.n, Column: jsonErrorPointer(err), Message: decodeProblem(err)}}
	}
	return out, nil
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func jsonFileError(err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return &fileError{RowError{Message: fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, syn.Error())}}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &fileError{RowError{Message: "the JSON body ends too early"}}
	}
	return err // the body could not be read (too large, connection lost)
}

// jsonErrorPointer names the member a row's decoding error is about, as a JSON pointer.
func jsonErrorPointer(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return "/" + strings.ReplaceAll(te.Field, ".", "/")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "/" + strings.Trim(f, `"`)
	}
	return ""
}

func decodeProblem(err error) string {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		return fmt.Sprintf("must be %s, not %s", te.Type.Kind(), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "is not a known member"
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return "must be an RFC 3339 time such as 2026-06-30T00:00:00Z"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
