package credential

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// fastSchema is our JSON Schemas compiled into a validator that only answers "valid or not".
//
// Why: santhosh-tekuri/jsonschema, which stays the reference and writes the field-by-field report
// when a credential is invalid, spends about as long on one diploma as an Ed25519 verification
// (see BenchmarkVerifyParts in docs/benchmarks.md), most of it building scopes and evaluation
// bookkeeping a yes/no answer does not need. This validator supports exactly the keywords our
// schemas use and refuses to compile any other, so a schema can never use a constraint it would
// silently ignore; FuzzFastSchemaAgrees checks that both validators give the same answer.
type fastSchema struct {
	kinds     uint8 // bit set of kind; 0 = any
	hasConst  bool
	constVal  any
	enum      []any
	required  []string
	props     map[string]*fastSchema
	closed    bool // additionalProperties: false
	minProps  int
	prefix    []*fastSchema
	items     *fastSchema
	noItems   bool // items: false
	minItems  int
	maxItems  int
	unique    bool
	minLen    int
	maxLen    int
	pattern   *regexp.Regexp
	seq       *seqPattern // pattern without a regexp, when it is that simple
	matched   *matchCache
	minimum   *big.Rat
	maximum   *big.Rat
	allOf     []*fastSchema
	ref       string // resolved after compilation
	refSchema *fastSchema
}

const (
	kindObject uint8 = 1 << iota
	kindArray
	kindString
	kindNumber
	kindBoolean
	kindNull
)

var kindNames = map[string]uint8{"object": kindObject, "array": kindArray, "string": kindString,
	"number": kindNumber, "boolean": kindBoolean, "null": kindNull}

// ignoredKeywords annotate without constraining.
var ignoredKeywords = map[string]bool{"$schema": true, "$id": true, "$comment": true, "title": true,
	"description": true, "$defs": true}

type fastCompiler struct {
	docs    map[string]map[string]any // by $id
	byRef   map[string]*fastSchema
	pending []*fastSchema
}

func newFastCompiler() *fastCompiler {
	return &fastCompiler{docs: map[string]map[string]any{}, byRef: map[string]*fastSchema{}}
}

func (c *fastCompiler) add(id string, doc map[string]any) { c.docs[id] = doc }

// compileRoot compiles the schema document with the given $id and resolves every $ref.
func (c *fastCompiler) compileRoot(id string) (*fastSchema, error) {
	doc, ok := c.docs[id]
	if !ok {
		return nil, fmt.Errorf("no schema %s", id)
	}
	s, err := c.compile(doc, id)
	if err != nil {
		return nil, err
	}
	for len(c.pending) > 0 {
		p := c.pending[0]
		c.pending = c.pending[1:]
		if p.refSchema, err = c.resolve(p.ref); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// resolve finds "<id>#/$defs/<name>" (or "#/$defs/<name>" made absolute by the caller).
func (c *fastCompiler) resolve(ref string) (*fastSchema, error) {
	if s, ok := c.byRef[ref]; ok {
		return s, nil
	}
	id, ptr, _ := strings.Cut(ref, "#")
	doc, ok := c.docs[id]
	if !ok {
		return nil, fmt.Errorf("$ref %s: unknown schema", ref)
	}
	name, ok := strings.CutPrefix(ptr, "/$defs/")
	if !ok || strings.Contains(name, "/") {
		return nil, fmt.Errorf("$ref %s: only #/$defs/<name> references are supported", ref)
	}
	defs, _ := doc["$defs"].(map[string]any)
	def, ok := defs[name].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %s: no such definition", ref)
	}
	placeholder := &fastSchema{}
	c.byRef[ref] = placeholder // allows recursion
	s, err := c.compile(def, id)
	if err != nil {
		return nil, err
	}
	*placeholder = *s
	return placeholder, nil
}

func (c *fastCompiler) compile(v any, base string) (*fastSchema, error) {
	if b, ok := v.(bool); ok {
		if b {
			return &fastSchema{minItems: -1, maxItems: -1, minLen: -1, maxLen: -1}, nil
		}
		return nil, fmt.Errorf("boolean schema false is only supported as items")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema must be an object")
	}
	s := &fastSchema{minItems: -1, maxItems: -1, minLen: -1, maxLen: -1}
	for k, val := range m {
		var err error
		switch k {
		case "type":
			err = s.setKinds(val)
		case "const":
			s.hasConst, s.constVal = true, val
		case "enum":
			arr, ok := val.([]any)
			if !ok {
				err = fmt.Errorf("enum must be an array")
			}
			s.enum = arr
		case "required":
			arr, _ := val.([]any)
			for _, e := range arr {
				str, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("required must list strings")
				}
				s.required = append(s.required, str)
			}
		case "properties":
			pm, ok := val.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("properties must be an object")
			}
			s.props = map[string]*fastSchema{}
			for name, sub := range pm {
				if s.props[name], err = c.compile(sub, base); err != nil {
					return nil, fmt.Errorf("properties.%s: %w", name, err)
				}
			}
		case "additionalProperties":
			if b, ok := val.(bool); !ok || b {
				err = fmt.Errorf("only additionalProperties: false is supported")
			}
			s.closed = true
		case "minProperties":
			s.minProps, err = schemaInt(val)
		case "prefixItems":
			arr, _ := val.([]any)
			for i, sub := range arr {
				cs, err := c.compile(sub, base)
				if err != nil {
					return nil, fmt.Errorf("prefixItems[%d]: %w", i, err)
				}
				s.prefix = append(s.prefix, cs)
			}
		case "items":
			if b, ok := val.(bool); ok && !b {
				s.noItems = true
			} else {
				s.items, err = c.compile(val, base)
			}
		case "minItems":
			s.minItems, err = schemaInt(val)
		case "maxItems":
			s.maxItems, err = schemaInt(val)
		case "uniqueItems":
			s.unique, _ = val.(bool)
		case "minLength":
			s.minLen, err = schemaInt(val)
		case "maxLength":
			s.maxLen, err = schemaInt(val)
		case "pattern":
			str, _ := val.(string)
			s.pattern, err = regexp.Compile(str)
			s.matched = newMatchCache()
			s.seq, _ = compileSeqPattern(str)
		case "minimum", "maximum":
			n, ok := val.(json.Number)
			if !ok {
				return nil, fmt.Errorf("%s must be a number", k)
			}
			f, ok := new(big.Rat).SetString(string(n))
			if !ok {
				return nil, fmt.Errorf("%s: malformed number", k)
			}
			if k == "minimum" {
				s.minimum = f
			} else {
				s.maximum = f
			}
		case "allOf":
			arr, _ := val.([]any)
			for i, sub := range arr {
				cs, err := c.compile(sub, base)
				if err != nil {
					return nil, fmt.Errorf("allOf[%d]: %w", i, err)
				}
				s.allOf = append(s.allOf, cs)
			}
		case "$ref":
			ref, _ := val.(string)
			if strings.HasPrefix(ref, "#") {
				ref = base + ref
			}
			s.ref = ref
			c.pending = append(c.pending, s)
		default:
			if !ignoredKeywords[k] {
				return nil, fmt.Errorf("keyword %q is not supported by the fast validator", k)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	return s, nil
}

func (s *fastSchema) setKinds(v any) error {
	names := []any{v}
	if arr, ok := v.([]any); ok {
		names = arr
	}
	for _, n := range names {
		str, _ := n.(string)
		k, ok := kindNames[str]
		if !ok {
			return fmt.Errorf("type %v is not supported", n)
		}
		s.kinds |= k
	}
	return nil
}

func schemaInt(v any) (int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("must be an integer")
	}
	i, err := strconv.Atoi(string(n))
	return i, err
}

func kindOfAny(v any) uint8 {
	switch v.(type) {
	case map[string]any:
		return kindObject
	case []any:
		return kindArray
	case string:
		return kindString
	case json.Number, float64, int, int64:
		return kindNumber
	case bool:
		return kindBoolean
	case nil:
		return kindNull
	}
	return 0
}

func kindOf(v *jsoncanon.Value) uint8 {
	switch v.Kind() {
	case jsoncanon.Object:
		return kindObject
	case jsoncanon.Array:
		return kindArray
	case jsoncanon.String:
		return kindString
	case jsoncanon.Number:
		return kindNumber
	case jsoncanon.Bool:
		return kindBoolean
	}
	return kindNull
}

// valid reports whether v satisfies s.
func (s *fastSchema) valid(v *jsoncanon.Value) bool {
	k := kindOf(v)
	if s.kinds != 0 && s.kinds&k == 0 {
		return false
	}
	if s.hasConst && !equalsAny(v, s.constVal) {
		return false
	}
	if s.enum != nil && !slices.ContainsFunc(s.enum, func(e any) bool { return equalsAny(v, e) }) {
		return false
	}
	switch k {
	case kindObject:
		if !s.validObject(v) {
			return false
		}
	case kindArray:
		if !s.validArray(v.Elems()) {
			return false
		}
	case kindString:
		str, _ := v.Str()
		// A string of n bytes holds between n/4 and n characters; count them only when that range
		// straddles a bound (signatures are thousands of bytes long).
		if (s.maxLen >= 0 && len(str) > s.maxLen) || (s.minLen >= 0 && len(str)/4 < s.minLen) {
			n := utf8.RuneCountInString(str)
			if (s.minLen >= 0 && n < s.minLen) || (s.maxLen >= 0 && n > s.maxLen) {
				return false
			}
		}
		switch {
		case s.seq != nil:
			if !s.seq.match(str) {
				return false
			}
		case s.pattern != nil:
			if !s.matched.match(s.pattern, str) {
				return false
			}
		}
	case kindNumber:
		if s.minimum != nil || s.maximum != nil {
			lit, _ := v.Number()
			if !withinBounds(string(lit), s.minimum, s.maximum) {
				return false
			}
		}
	}
	for _, sub := range s.allOf {
		if !sub.valid(v) {
			return false
		}
	}
	if s.refSchema != nil && !s.refSchema.valid(v) {
		return false
	}
	return true
}

func (s *fastSchema) validObject(v *jsoncanon.Value) bool {
	members := v.Members()
	if len(members) < s.minProps {
		return false
	}
	for _, r := range s.required {
		if _, ok := v.Get(r); !ok {
			return false
		}
	}
	for i := range members {
		sub, ok := s.props[members[i].Key]
		if !ok {
			if s.closed {
				return false
			}
			continue
		}
		if !sub.valid(&members[i].Value) {
			return false
		}
	}
	return true
}

func (s *fastSchema) validArray(a []jsoncanon.Value) bool {
	if (s.minItems >= 0 && len(a) < s.minItems) || (s.maxItems >= 0 && len(a) > s.maxItems) {
		return false
	}
	for i := range a {
		switch {
		case i < len(s.prefix):
			if !s.prefix[i].valid(&a[i]) {
				return false
			}
		case s.noItems:
			return false
		case s.items != nil:
			if !s.items.valid(&a[i]) {
				return false
			}
		}
	}
	if s.unique {
		for i := range a {
			for j := i + 1; j < len(a); j++ {
				if valuesEqual(&a[i], &a[j]) {
					return false
				}
			}
		}
	}
	return true
}

// withinBounds compares a number literal with the bounds exactly. Plain decimals (no exponent)
// against integer bounds — every case in our schemas — are compared digit by digit; anything else
// goes through big.Rat, as the reference validator does.
func withinBounds(lit string, minimum, maximum *big.Rat) bool {
	if c, ok := cmpPlainDecimal(lit, minimum); ok && c < 0 {
		return false
	} else if !ok && minimum != nil {
		f, ok := new(big.Rat).SetString(lit)
		if !ok || f.Cmp(minimum) < 0 {
			return false
		}
	}
	if c, ok := cmpPlainDecimal(lit, maximum); ok && c > 0 {
		return false
	} else if !ok && maximum != nil {
		f, ok := new(big.Rat).SetString(lit)
		if !ok || f.Cmp(maximum) > 0 {
			return false
		}
	}
	return true
}

// cmpPlainDecimal compares a literal of the form -?digits(.digits)? with an integer bound of at
// most 15 digits; ok is false when either is of another form (or the bound is nil).
func cmpPlainDecimal(lit string, bound *big.Rat) (int, bool) {
	if bound == nil || !bound.IsInt() || !bound.Num().IsInt64() {
		return 0, false
	}
	b := bound.Num().Int64()
	if b > 1e15 || b < -1e15 {
		return 0, false
	}
	neg := strings.HasPrefix(lit, "-")
	digits := strings.TrimPrefix(lit, "-")
	intPart, frac, _ := strings.Cut(digits, ".")
	if intPart == "" || len(intPart) > 15 || strings.Trim(intPart, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, false
	}
	fracNonZero := strings.Trim(frac, "0") != ""
	if !neg {
		// value = n + f, 0 <= f < 1
		switch {
		case n < b:
			return -1, true
		case n > b, fracNonZero:
			return 1, true
		}
		return 0, true
	}
	// value = -n - f: within (-n-1, -n] and equal to -n when f = 0.
	m := -n
	switch {
	case !fracNonZero:
		return cmpInt(m, b), true
	case m <= b:
		return -1, true
	}
	return 1, true
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// numberOfAny returns a number of the schema document exactly.
func numberOfAny(v any) (*big.Rat, bool) {
	switch n := v.(type) {
	case json.Number:
		return new(big.Rat).SetString(string(n))
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, false
		}
		return new(big.Rat).SetFloat64(n), true
	case int:
		return new(big.Rat).SetInt64(int64(n)), true
	}
	return nil, false
}

// equalsAny is JSON Schema equality between a document value and a schema constant: numbers by
// value, objects regardless of member order.
func equalsAny(v *jsoncanon.Value, x any) bool {
	k := kindOf(v)
	if k != kindOfAny(x) {
		return false
	}
	switch k {
	case kindString:
		s, _ := v.Str()
		return s == x.(string)
	case kindBoolean:
		b, _ := v.Bool()
		return b == x.(bool)
	case kindNull:
		return true
	case kindNumber:
		lit, _ := v.Number()
		a, ok1 := new(big.Rat).SetString(string(lit))
		b, ok2 := numberOfAny(x)
		return ok1 && ok2 && a.Cmp(b) == 0
	case kindArray:
		elems, xs := v.Elems(), x.([]any)
		if len(elems) != len(xs) {
			return false
		}
		for i := range elems {
			if !equalsAny(&elems[i], xs[i]) {
				return false
			}
		}
		return true
	case kindObject:
		members, xm := v.Members(), x.(map[string]any)
		if len(members) != len(xm) {
			return false
		}
		for i := range members {
			w, ok := xm[members[i].Key]
			if !ok || !equalsAny(&members[i].Value, w) {
				return false
			}
		}
		return true
	}
	return false
}

// valuesEqual is JSON Schema equality between two document values.
func valuesEqual(a, b *jsoncanon.Value) bool {
	return equalsAny(a, b.Any())
}

// matchCache remembers strings a pattern matched. Credentials of one issuer repeat most of their
// patterned values (the issuer's DID and keys, dates, contexts), and a map lookup costs a fraction
// of a regular expression match. Only matches are remembered, so a hit is always a true match; the
// cache is dropped when it fills.
type matchCache struct {
	m atomic.Pointer[sync.Map]
	n atomic.Int32
}

const matchCacheSize = 1024

func newMatchCache() *matchCache {
	c := &matchCache{}
	c.m.Store(new(sync.Map))
	return c
}

func (c *matchCache) match(re *regexp.Regexp, s string) bool {
	if _, ok := c.m.Load().Load(s); ok {
		return true
	}
	if !re.MatchString(s) {
		return false
	}
	if c.n.Add(1) > matchCacheSize {
		c.m.Store(new(sync.Map))
		c.n.Store(0)
	}
	if len(s) <= 256 {
		c.m.Load().Store(strings.Clone(s), struct{}{})
	}
	return true
}
