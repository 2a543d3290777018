// Package jsoncanon reads untrusted JSON strictly and writes it in the JSON Canonicalization Scheme
// (JCS, RFC 8785), the form that eddsa-jcs-2022 and the other JCS Data Integrity cryptosuites hash
// and sign.
//
// Parse turns bytes into plain Go values (map[string]any, []any, string, json.Number, bool, nil)
// and rejects what would make a signature ambiguous: duplicate object keys, invalid UTF-8, lone
// surrogate escapes, numbers outside the IEEE 754 double range, input beyond a size or nesting
// limit, and trailing data. Its errors name the offending field by its JSON path. Append writes the
// canonical form of such values without re-reading any text, so a verifier parses a credential once
// and canonicalises it as often as its proofs need.
//
// Numbers are serialised with github.com/gowebpki/jcs's ES6 number formatter; the whole transform is
// differentially fuzzed against that library's own Transform (see FuzzMatchesLibrary) and checked
// against the RFC 8785 test data in testdata/rfc8785.
package jsoncanon

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// Default limits, used where a Limits field is zero. A credential is a few kilobytes; a transcript
// with hundreds of courses stays well below a mebibyte.
const (
	DefaultMaxBytes = 1 << 20
	DefaultMaxDepth = 32
)

// Limits bounds what Parse accepts. Zero fields take the defaults.
type Limits struct {
	// MaxBytes is the largest input accepted.
	MaxBytes int
	// MaxDepth is the deepest nesting of objects and arrays accepted.
	MaxDepth int
}

// Error describes input that Parse or Append rejects.
type Error struct {
	// Path is the JSON path of the value being read ("credentialSubject.achievement.name",
	// "proof[1]"), empty for the top level.
	Path string
	// Offset is the byte offset in the input at which the problem was found (Parse only).
	Offset int
	// Msg says what is wrong.
	Msg string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("json: %s (byte %d)", e.Msg, e.Offset)
	}
	return fmt.Sprintf("json: %s: %s (byte %d)", e.Path, e.Msg, e.Offset)
}

// Parse reads one JSON value from data under the given limits. Objects become map[string]any,
// arrays []any, numbers json.Number (the literal as written, checked to be a finite double),
// strings string, and true, false and null bool and nil. It returns an *Error for malformed input,
// duplicate keys, invalid UTF-8 or lone surrogates, out-of-range numbers, input larger than
// MaxBytes or nested deeper than MaxDepth, and anything but white space after the value.
// ParseValue reads the same input into a Value, which is cheaper to build and to canonicalise.
func Parse(data []byte, lim Limits) (any, error) {
	v, err := ParseValue(data, lim)
	if err != nil {
		return nil, err
	}
	return v.Any(), nil
}

// ParseValue is Parse into a Value.
func ParseValue(data []byte, lim Limits) (*Value, error) {
	return parseValue(data, lim, nil)
}

func parseValue(data []byte, lim Limits, arena *Parser) (*Value, error) {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultMaxBytes
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = DefaultMaxDepth
	}
	if len(data) > lim.MaxBytes {
		return nil, &Error{Msg: fmt.Sprintf("input of %d bytes exceeds the limit of %d", len(data), lim.MaxBytes)}
	}
	// One copy of the input as a string: every string and number without escapes is then a
	// substring of it, which spares an allocation per key and value.
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	p := parser{data: data, src: string(data), maxDepth: lim.MaxDepth,
		members: sc.members[:0], elems: sc.elems[:0], path: sc.path[:0], arena: arena}
	root, err := p.value()
	sc.members, sc.elems, sc.path = p.members, p.elems, p.path
	if err != nil {
		return nil, err
	}
	v := &root
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, p.fail("unexpected data after the top-level value")
	}
	return v, nil
}

// Parser parses documents one after another into memory it reuses: the members and elements of
// the objects and arrays of a Value it returns are carved out of arrays the Parser keeps, which
// its next parse overwrites. Strings are ordinary Go strings and stay valid. A service that parses
// a document per request and keeps nothing of its containers afterwards (only strings) spares the
// collector most of a parse's garbage this way. The zero Parser is ready; it is not safe for
// concurrent use.
type Parser struct {
	members []Member // free capacity in the current backing array
	elems   []Value
	// Taken since the last reset, across backing arrays: the next reset sizes one array to hold
	// them all.
	usedMembers, usedElems int
}

// ParseValue is the package's ParseValue into the Parser's memory: the Value's containers are
// valid until the Parser's next ParseValue, ParseObjectValue or Reset.
func (p *Parser) ParseValue(data []byte, lim Limits) (*Value, error) {
	p.Reset()
	return parseValue(data, lim, p)
}

// ParseObjectValue is ParseValue for input that must be a JSON object.
func (p *Parser) ParseObjectValue(data []byte, lim Limits) (*Value, error) {
	v, err := p.ParseValue(data, lim)
	if err != nil {
		return nil, err
	}
	if v.Kind() != Object {
		return nil, &Error{Msg: "expected a JSON object"}
	}
	return v, nil
}

// Reset ends the use of the last Value the Parser returned, dropping what it referenced.
func (p *Parser) Reset() {
	clear(p.members[:cap(p.members)])
	clear(p.elems[:cap(p.elems)])
	// Keep one array big enough for a document like the last, but not what a huge one grew.
	const keep = 4096
	switch {
	case p.usedMembers > keep:
		p.members = nil
	case p.usedMembers > cap(p.members):
		p.members = make([]Member, 0, p.usedMembers+p.usedMembers/4)
	default:
		p.members = p.members[:0]
	}
	switch {
	case p.usedElems > keep:
		p.elems = nil
	case p.usedElems > cap(p.elems):
		p.elems = make([]Value, 0, p.usedElems+p.usedElems/4)
	default:
		p.elems = p.elems[:0]
	}
	p.usedMembers, p.usedElems = 0, 0
}

// takeMembers returns room for n members from the arena.
func (a *Parser) takeMembers(n int) []Member {
	a.usedMembers += n
	if cap(a.members)-len(a.members) < n {
		a.members = make([]Member, 0, max(64, n))
	}
	start := len(a.members)
	a.members = a.members[:start+n]
	return a.members[start : start+n : start+n]
}

func (a *Parser) takeElems(n int) []Value {
	a.usedElems += n
	if cap(a.elems)-len(a.elems) < n {
		a.elems = make([]Value, 0, max(32, n))
	}
	start := len(a.elems)
	a.elems = a.elems[:start+n]
	return a.elems[start : start+n : start+n]
}

// ParseObject is Parse for input that must be a JSON object.
func ParseObject(data []byte, lim Limits) (map[string]any, error) {
	v, err := ParseValue(data, lim)
	if err != nil {
		return nil, err
	}
	if v.Kind() != Object {
		return nil, &Error{Msg: "expected a JSON object"}
	}
	return v.Any().(map[string]any), nil
}

// ParseObjectValue is ParseValue for input that must be a JSON object.
func ParseObjectValue(data []byte, lim Limits) (*Value, error) {
	v, err := ParseValue(data, lim)
	if err != nil {
		return nil, err
	}
	if v.Kind() != Object {
		return nil, &Error{Msg: "expected a JSON object"}
	}
	return v, nil
}

// Canonicalize parses data with the default limits and returns its JCS form.
func Canonicalize(data []byte) ([]byte, error) {
	v, err := ParseValue(data, Limits{})
	if err != nil {
		return nil, err
	}
	return AppendValue(make([]byte, 0, len(data)), v)
}

// scratch holds a parser's stacks between parses. The pool only recycles memory: no parsed data
// outlives a parse in it (release clears what it held).
type scratch struct {
	members []Member
	elems   []Value
	path    []pathElem
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{members: make([]Member, 0, 64), elems: make([]Value, 0, 64), path: make([]pathElem, 0, 16)}
}}

func (s *scratch) release() {
	clear(s.members[:cap(s.members)])
	clear(s.elems[:cap(s.elems)])
	clear(s.path[:cap(s.path)])
	if cap(s.members) > 4096 || cap(s.elems) > 4096 {
		return // do not keep what a huge document grew
	}
	scratchPool.Put(s)
}

type pathElem struct {
	key   string
	index int // -1 for an object member
}

type parser struct {
	data     []byte
	src      string // data as a string (same bytes)
	pos      int
	depth    int
	maxDepth int
	path     []pathElem
	// Members and elements of the containers being read, nested ones above their parents'; a
	// container's are copied out into an exact-size slice when it closes (carved out of arena's
	// memory, when there is one).
	members []Member
	elems   []Value
	arena   *Parser
}

func (p *parser) fail(format string, args ...any) *Error {
	return &Error{Path: formatPath(p.path), Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func formatPath(path []pathElem) string {
	var b strings.Builder
	for i, e := range path {
		switch {
		case e.index >= 0:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(e.index))
			b.WriteByte(']')
		case plainKey(e.key):
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(e.key)
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(e.key))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// FieldPath renders a path given as keys and indexes the way Error.Path does:
// FieldPath("proof", 1, "proofValue") is "proof[1].proofValue".
func FieldPath(elems ...any) string {
	path := make([]pathElem, 0, len(elems))
	for _, e := range elems {
		switch e := e.(type) {
		case int:
			path = append(path, pathElem{index: e})
		case string:
			path = append(path, pathElem{key: e, index: -1})
		default:
			path = append(path, pathElem{key: fmt.Sprint(e), index: -1})
		}
	}
	return formatPath(path)
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '@' || c == '_' || c == '$' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() (Value, error) {
	p.skipSpace()
	if p.pos >= len(p.data) {
		return Value{}, p.fail("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, err := p.str()
		return Value{kind: String, s: s}, err
	case c == 't':
		return Value{kind: Bool, b: true}, p.literal("true")
	case c == 'f':
		return Value{kind: Bool}, p.literal("false")
	case c == 'n':
		return Value{kind: Null}, p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		lit, err := p.number()
		return Value{kind: Number, s: lit}, err
	default:
		return Value{}, p.fail("unexpected character %q", c)
	}
}

func (p *parser) literal(word string) error {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return p.fail("invalid literal")
	}
	p.pos += len(word)
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > p.maxDepth {
		return p.fail("nesting deeper than %d", p.maxDepth)
	}
	return nil
}

// smallObject is the member count up to which duplicate keys are found by comparing with every
// earlier key; larger objects use a set, so that hostile input cannot make the check quadratic.
const smallObject = 16

func (p *parser) object() (Value, error) {
	if err := p.enter(); err != nil {
		return Value{}, err
	}
	p.pos++ // '{'
	base := len(p.members)
	var seen map[string]struct{}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		return Value{kind: Object}, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return Value{}, p.fail("expected a quoted object key")
		}
		keyStart := p.pos
		key, err := p.str()
		if err != nil {
			return Value{}, err
		}
		p.path = append(p.path, pathElem{key: key, index: -1})
		open := p.members[base:]
		dup := false
		if seen != nil {
			_, dup = seen[key]
		} else {
			for i := range open {
				if open[i].Key == key {
					dup = true
					break
				}
			}
		}
		if dup {
			p.pos = keyStart
			return Value{}, p.fail("duplicate key")
		}
		if seen != nil {
			seen[key] = struct{}{}
		} else if len(open) == smallObject {
			seen = make(map[string]struct{}, 2*smallObject)
			for i := range open {
				seen[open[i].Key] = struct{}{}
			}
			seen[key] = struct{}{}
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return Value{}, p.fail("expected ':' after the key")
		}
		p.pos++
		p.members = append(p.members, Member{Key: key})
		i := len(p.members) - 1
		mv, err := p.value()
		if err != nil {
			return Value{}, err
		}
		p.members[i].Value = mv
		p.path = p.path[:len(p.path)-1]
		p.skipSpace()
		if p.pos >= len(p.data) {
			return Value{}, p.fail("unexpected end of input in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			var members []Member
			if p.arena != nil {
				members = p.arena.takeMembers(len(p.members) - base)
			} else {
				members = make([]Member, len(p.members)-base)
			}
			copy(members, p.members[base:])
			clear(p.members[base:])
			p.members = p.members[:base]
			sortMembers(members)
			return Value{kind: Object, members: members}, nil
		default:
			return Value{}, p.fail("expected ',' or '}' in an object")
		}
	}
}

func (p *parser) array() (Value, error) {
	if err := p.enter(); err != nil {
		return Value{}, err
	}
	p.pos++ // '['
	base := len(p.elems)
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return Value{kind: Array}, nil
	}
	for {
		p.path = append(p.path, pathElem{index: len(p.elems) - base})
		ev, err := p.value()
		if err != nil {
			return Value{}, err
		}
		p.path = p.path[:len(p.path)-1]
		p.elems = append(p.elems, ev)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return Value{}, p.fail("unexpected end of input in an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			var elems []Value
			if p.arena != nil {
				elems = p.arena.takeElems(len(p.elems) - base)
			} else {
				elems = make([]Value, len(p.elems)-base)
			}
			copy(elems, p.elems[base:])
			clear(p.elems[base:])
			p.elems = p.elems[:base]
			return Value{kind: Array, elems: elems}, nil
		default:
			return Value{}, p.fail("expected ',' or ']' in an array")
		}
	}
}

// str reads a string starting at the opening quote.
func (p *parser) str() (string, error) {
	start := p.pos + 1
	ascii := true
	i := start
	// Skip eight plain ASCII bytes at a time: no quote, backslash, control character or byte
	// above 0x7F. Signatures and hashes make up most of a credential's bytes.
	for ; i+8 <= len(p.data); i += 8 {
		if special8(binary.LittleEndian.Uint64(p.data[i:])) {
			break
		}
	}
	for ; i < len(p.data); i++ {
		c := p.data[i]
		switch {
		case c == '"':
			s := p.src[start:i]
			if !ascii && !utf8.ValidString(s) {
				return "", p.fail("string is not valid UTF-8")
			}
			p.pos = i + 1
			return s, nil
		case c == '\\':
			return p.escapedStr(start)
		case c < 0x20:
			p.pos = i
			return "", p.fail("control character U+%04X in a string must be escaped", c)
		case c >= 0x80:
			ascii = false
		}
	}
	p.pos = len(p.data)
	return "", p.fail("unterminated string")
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// special8 reports whether any of the eight bytes in x is below 0x20, a '"', a '\\' or above 0x7F.
func special8(x uint64) bool {
	hasZero := func(v uint64) uint64 { return (v - lsb) &^ v & msb }
	return (x-lsb*0x20)&^x&msb != 0 || // a byte below 0x20 (or above 0x7F, caught below too)
		hasZero(x^(lsb*'"')) != 0 ||
		hasZero(x^(lsb*'\\')) != 0 ||
		x&msb != 0
}

// escape8 reports whether any of the eight bytes in x is below 0x20, a '"' or a '\\' (what
// JCS escapes; bytes above 0x7F are written as they are).
func escape8(x uint64) bool {
	hasZero := func(v uint64) uint64 { return (v - lsb) &^ v & msb }
	return (x-lsb*0x20)&^x&msb != 0 || hasZero(x^(lsb*'"')) != 0 || hasZero(x^(lsb*'\\')) != 0
}

func (p *parser) escapedStr(start int) (string, error) {
	buf := make([]byte, 0, 32)
	i := start
	for i < len(p.data) {
		c := p.data[i]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				p.pos = i
				return "", p.fail("string is not valid UTF-8")
			}
			p.pos = i + 1
			return string(buf), nil
		case c < 0x20:
			p.pos = i
			return "", p.fail("control character U+%04X in a string must be escaped", c)
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		// An escape.
		if i+1 >= len(p.data) {
			break
		}
		e := p.data[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(p.data, i)
			if !ok {
				p.pos = i
				return "", p.fail("invalid \\u escape")
			}
			i += 4
			if r >= 0xD800 && r < 0xDC00 {
				// A high surrogate must be followed by an escaped low surrogate.
				if i+1 < len(p.data) && p.data[i] == '\\' && p.data[i+1] == 'u' {
					if lo, ok := hex4(p.data, i+2); ok && lo >= 0xDC00 && lo < 0xE000 {
						r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
						i += 6
						buf = utf8.AppendRune(buf, r)
						continue
					}
				}
				p.pos = i
				return "", p.fail("lone surrogate in a \\u escape")
			}
			if r >= 0xDC00 && r < 0xE000 {
				p.pos = i
				return "", p.fail("lone surrogate in a \\u escape")
			}
			buf = utf8.AppendRune(buf, r)
		default:
			p.pos = i - 1
			return "", p.fail("invalid escape \\%c", e)
		}
	}
	p.pos = len(p.data)
	return "", p.fail("unterminated string")
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func (p *parser) number() (string, error) {
	start := p.pos
	d := p.data
	i := p.pos
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		p.pos = i
		return "", p.fail("invalid number")
	}
	simple := true
	if i < len(d) && d[i] == '.' {
		simple = false
		i++
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			p.pos = i
			return "", p.fail("invalid number: digits must follow '.'")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		simple = false
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			p.pos = i
			return "", p.fail("invalid number: digits must follow the exponent")
		}
	}
	p.pos = i
	lit := p.src[start:i]
	if !simple || len(lit) > 16 {
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil || math.IsInf(f, 0) {
			p.pos = start
			return "", p.fail("number %s is outside the IEEE 754 double range", lit)
		}
	}
	return lit, nil
}

// Append appends the JCS (RFC 8785) form of v to dst. v is a value as Parse returns it; Go
// float64, int, int64 and []string values are accepted too, so documents can be built in code.
// Object keys are sorted by their UTF-16 code units, strings are escaped minimally and numbers
// are written as ECMAScript writes doubles. It returns an *Error for a value of another type, a
// non-finite or malformed number, or a string that is not valid UTF-8.
func Append(dst []byte, v any) ([]byte, error) {
	var path []pathElem
	return appendValue(dst, v, &path)
}

func appendValue(dst []byte, v any, path *[]pathElem) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		if v {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case string:
		if !utf8.ValidString(v) {
			return dst, &Error{Path: formatPath(*path), Msg: "string is not valid UTF-8"}
		}
		return appendString(dst, v), nil
	case json.Number:
		out, err := appendNumber(dst, string(v))
		if err != nil {
			return dst, &Error{Path: formatPath(*path), Msg: err.Error()}
		}
		return out, nil
	case float64:
		s, err := jcs.NumberToJSON(v)
		if err != nil {
			return dst, &Error{Path: formatPath(*path), Msg: err.Error()}
		}
		return append(dst, s...), nil
	case int:
		return appendInt(dst, int64(v), path)
	case int64:
		return appendInt(dst, v, path)
	case map[string]any:
		return appendObject(dst, v, path)
	case []any:
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			*path = append(*path, pathElem{index: i})
			var err error
			if dst, err = appendValue(dst, e, path); err != nil {
				return dst, err
			}
			*path = (*path)[:len(*path)-1]
		}
		return append(dst, ']'), nil
	case []string:
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			if !utf8.ValidString(e) {
				return dst, &Error{Path: formatPath(append(*path, pathElem{index: i})), Msg: "string is not valid UTF-8"}
			}
			dst = appendString(dst, e)
		}
		return append(dst, ']'), nil
	default:
		return dst, &Error{Path: formatPath(*path), Msg: fmt.Sprintf("cannot canonicalise a value of type %T", v)}
	}
}

// maxExactInt bounds the integers that a double holds exactly; beyond it the ES6 form may differ
// from the Go form.
const maxExactInt = 1 << 53

func appendInt(dst []byte, n int64, path *[]pathElem) ([]byte, error) {
	if n > maxExactInt || n < -maxExactInt {
		return dst, &Error{Path: formatPath(*path), Msg: fmt.Sprintf("integer %d cannot be represented exactly as a double", n)}
	}
	return strconv.AppendInt(dst, n, 10), nil
}

// AppendObjectSlot appends the canonical form of the object m, like Append, and also returns the
// offset in the result (counted from the start of dst) at which a member named key would go in
// canonical order: the start of the first member whose name sorts after key, or the closing
// brace. m must not have a member named key. InsertMember uses the slot to canonicalise m with
// that member added without canonicalising m again.
func AppendObjectSlot(dst []byte, m map[string]any, key string) ([]byte, int, error) {
	if _, ok := m[key]; ok {
		return dst, 0, &Error{Msg: fmt.Sprintf("object already has member %q", key)}
	}
	var path []pathElem
	slot := -1
	out, err := appendObjectSlot(dst, m, &path, key, &slot)
	return out, slot, err
}

// InsertMember writes to w the canonical form of an object, given as its canonical form canon
// and the slot AppendObjectSlot returned for key, with member key: value added (value already
// canonical).
func InsertMember(w interface{ Write([]byte) (int, error) }, canon []byte, slot int, key string, value []byte) {
	w.Write(canon[:slot])
	member := make([]byte, 0, len(key)+len(value)+4)
	if canon[slot] == '}' && slot > 1 {
		member = append(member, ',')
	}
	member = appendString(member, key)
	member = append(member, ':')
	member = append(member, value...)
	if canon[slot] != '}' {
		member = append(member, ',')
	}
	w.Write(member)
	w.Write(canon[slot:])
}

func appendObject(dst []byte, m map[string]any, path *[]pathElem) ([]byte, error) {
	return appendObjectSlot(dst, m, path, "", nil)
}

func appendObjectSlot(dst []byte, m map[string]any, path *[]pathElem, slotKey string, slot *int) ([]byte, error) {
	var small [16]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, CompareKeys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		if slot != nil && *slot < 0 && CompareKeys(k, slotKey) > 0 {
			*slot = len(dst)
		}
		if !utf8.ValidString(k) {
			return dst, &Error{Path: formatPath(*path), Msg: "object key is not valid UTF-8"}
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		*path = append(*path, pathElem{key: k, index: -1})
		var err error
		if dst, err = appendValue(dst, m[k], path); err != nil {
			return dst, err
		}
		*path = (*path)[:len(*path)-1]
	}
	if slot != nil && *slot < 0 {
		*slot = len(dst)
	}
	return append(dst, '}'), nil
}

// CompareKeys orders object keys as RFC 8785 requires: by their UTF-16 code units. It differs from
// byte order only where a character above U+FFFF (a surrogate pair in UTF-16) meets one between
// U+E000 and U+FFFF.
func CompareKeys(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	if i == n {
		return len(a) - len(b)
	}
	// Back up to the start of the differing character (the prefix is shared).
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	ra, _ := utf8.DecodeRuneInString(a[i:])
	rb, _ := utf8.DecodeRuneInString(b[i:])
	ua, ub := utf16Unit(ra), utf16Unit(rb)
	if ua != ub {
		return int(ua) - int(ub)
	}
	// Both above U+FFFF with the same high surrogate: the low surrogates decide, in code point
	// order.
	return int(ra) - int(rb)
}

func utf16Unit(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + (r-0x10000)>>10
	}
	return r
}

const hexDigits = "0123456789abcdef"

func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	i := 0
	// Copy eight bytes at a time while none needs escaping (signatures, hashes, most text).
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if escape8(x) {
			break
		}
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

var errNumber = errors.New("malformed number")

// appendNumber writes a JSON number literal in its ES6 form. Plain integers of up to 15 digits are
// already in that form (a double holds them exactly and ES6 prints them digit for digit), which
// spares the float round trip for the common case.
func appendNumber(dst []byte, lit string) ([]byte, error) {
	if !plainInt(lit) && !validNumber(lit) {
		return dst, errNumber
	}
	return appendParsedNumber(dst, lit)
}

// appendParsedNumber is appendNumber for a literal already known to be well formed.
func appendParsedNumber(dst []byte, lit string) ([]byte, error) {
	if plainInt(lit) {
		return append(dst, lit...), nil
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return dst, fmt.Errorf("number %s is outside the IEEE 754 double range", lit)
	}
	s, err := jcs.NumberToJSON(f)
	if err != nil {
		return dst, err
	}
	return append(dst, s...), nil
}

func plainInt(s string) bool {
	d := s
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 15 || (d[0] == '0' && (len(d) > 1 || len(s) > 1)) {
		return false // "-0" and leading zeros take the slow path ("-0" becomes "0")
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// validNumber checks the JSON number grammar, so that json.Number values built in code are held
// to what Parse accepts (strconv.ParseFloat alone also takes "0x1p3", "Inf" and "1_000").
func validNumber(s string) bool {
	p := parser{data: []byte(s), src: s}
	if len(s) == 0 || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return false
	}
	if _, err := p.number(); err != nil {
		return false
	}
	return p.pos == len(s)
}
