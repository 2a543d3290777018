package jsoncanon

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Kind is the kind of a JSON value.
type Kind uint8

// JSON kinds.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// Value is a parsed JSON value. An object's members are kept in canonical (RFC 8785) order, so
// canonicalising a Value is a walk with no sorting, and strings are slices of the parsed input, so
// parsing allocates per container rather than per value. The zero Value is null. Values from
// ParseValue must not be modified.
type Value struct {
	kind    Kind
	b       bool
	s       string // a string's value, a number's literal
	members []Member
	elems   []Value
}

// Member is an object member.
type Member struct {
	Key   string
	Value Value
}

// Kind returns v's kind.
func (v *Value) Kind() Kind {
	if v == nil {
		return Null
	}
	return v.kind
}

// Str returns a string's value.
func (v *Value) Str() (string, bool) {
	if v == nil || v.kind != String {
		return "", false
	}
	return v.s, true
}

// Number returns a number's literal, as written.
func (v *Value) Number() (json.Number, bool) {
	if v == nil || v.kind != Number {
		return "", false
	}
	return json.Number(v.s), true
}

// Bool returns a boolean's value.
func (v *Value) Bool() (bool, bool) {
	if v == nil || v.kind != Bool {
		return false, false
	}
	return v.b, true
}

// Elems returns an array's elements.
func (v *Value) Elems() []Value {
	if v == nil || v.kind != Array {
		return nil
	}
	return v.elems
}

// Members returns an object's members in canonical order.
func (v *Value) Members() []Member {
	if v == nil || v.kind != Object {
		return nil
	}
	return v.members
}

// Get returns the member named key of an object.
func (v *Value) Get(key string) (*Value, bool) {
	if v == nil || v.kind != Object {
		return nil, false
	}
	ms := v.members
	// A credential's objects have up to about twenty members: a scan comparing strings (lengths
	// first) beats a search that compares by UTF-16 code units through a callback.
	if len(ms) <= 24 {
		for i := range ms {
			if ms[i].Key == key {
				return &ms[i].Value, true
			}
		}
		return nil, false
	}
	lo, hi := 0, len(ms)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if CompareKeys(ms[mid].Key, key) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(ms) && ms[lo].Key == key {
		return &ms[lo].Value, true
	}
	return nil, false
}

// GetStr returns the string member named key of an object, or "".
func (v *Value) GetStr(key string) string {
	m, _ := v.Get(key)
	s, _ := m.Str()
	return s
}

// NewString returns a string value.
func NewString(s string) Value { return Value{kind: String, s: s} }

// NewObject returns an object value with the given members (any order; it sorts a copy). It
// returns an *Error when two members share a key.
func NewObject(members ...Member) (Value, error) {
	ms := slices.Clone(members)
	sortMembers(ms)
	for i := 1; i < len(ms); i++ {
		if ms[i].Key == ms[i-1].Key {
			return Value{}, &Error{Path: FieldPath(ms[i].Key), Msg: "duplicate key"}
		}
	}
	return Value{kind: Object, members: ms}, nil
}

// NewArray returns an array value.
func NewArray(elems ...Value) Value { return Value{kind: Array, elems: slices.Clone(elems)} }

// Clone returns a deep copy of v. Its containers' members and elements are carved out of two
// backing arrays of exactly the size they need, which makes it the cheap way to keep a value built
// in scratch memory that is about to be reused.
func (v *Value) Clone() Value {
	nm, ne := v.count()
	c := cloner{members: make([]Member, 0, nm), elems: make([]Value, 0, ne)}
	return c.clone(v)
}

// count returns how many members and array elements v holds, nested ones included.
func (v *Value) count() (members, elems int) {
	switch v.kind {
	case Object:
		members = len(v.members)
		for i := range v.members {
			m, e := v.members[i].Value.count()
			members, elems = members+m, elems+e
		}
	case Array:
		elems = len(v.elems)
		for i := range v.elems {
			m, e := v.elems[i].count()
			members, elems = members+m, elems+e
		}
	}
	return members, elems
}

type cloner struct {
	members []Member
	elems   []Value
}

func (c *cloner) clone(v *Value) Value {
	switch v.kind {
	case Object:
		if len(v.members) == 0 {
			return Value{kind: Object}
		}
		start := len(c.members)
		c.members = append(c.members, v.members...)
		ms := c.members[start:len(c.members):len(c.members)]
		for i := range ms {
			ms[i].Value = c.clone(&ms[i].Value)
		}
		return Value{kind: Object, members: ms}
	case Array:
		if len(v.elems) == 0 {
			return Value{kind: Array}
		}
		start := len(c.elems)
		c.elems = append(c.elems, v.elems...)
		es := c.elems[start:len(c.elems):len(c.elems)]
		for i := range es {
			es[i] = c.clone(&es[i])
		}
		return Value{kind: Array, elems: es}
	}
	return *v
}

// NewBool returns a boolean value.
func NewBool(b bool) Value { return Value{kind: Bool, b: b} }

// NewNumber returns a number value for a JSON number literal, kept as written, as ParseValue
// keeps it. It returns an *Error for a literal ParseValue would refuse: malformed, or outside the
// IEEE 754 double range.
func NewNumber(lit string) (Value, error) {
	if !validNumber(lit) {
		return Value{}, &Error{Msg: fmt.Sprintf("malformed number %q", lit)}
	}
	return Value{kind: Number, s: lit}, nil
}

// NewSortedObject returns an object value whose members are given in canonical order (keys
// strictly increasing by CompareKeys, so none repeats). Unlike NewObject it neither sorts nor
// copies: the object holds members, which the caller must not change afterwards. Code that knows
// its keys in advance (a struct's fields) builds documents with it at the cost of one comparison
// per member. It returns an *Error naming the first key out of order.
func NewSortedObject(members []Member) (Value, error) {
	for i := 1; i < len(members); i++ {
		if CompareKeys(members[i-1].Key, members[i].Key) >= 0 {
			return Value{}, &Error{Path: FieldPath(members[i].Key), Msg: "member out of canonical order or repeated"}
		}
	}
	if len(members) == 0 {
		members = nil // as ParseValue leaves an empty object
	}
	return Value{kind: Object, members: members}, nil
}

// NewArrayOf returns an array value holding elems without copying them; the caller must not
// change them afterwards.
func NewArrayOf(elems []Value) Value {
	if len(elems) == 0 {
		elems = nil // as ParseValue leaves an empty array
	}
	return Value{kind: Array, elems: elems}
}

// Without returns a copy of an object without the members named by the given keys (sharing the
// member values).
func (v *Value) Without(keys ...string) Value {
	out := Value{kind: Object, members: make([]Member, 0, len(v.members))}
	for _, m := range v.members {
		if !slices.Contains(keys, m.Key) {
			out.members = append(out.members, m)
		}
	}
	return out
}

// With returns a copy of an object with member key set to val (added or replaced).
func (v *Value) With(key string, val Value) Value {
	ms := make([]Member, 0, len(v.members)+1)
	done := false
	for _, m := range v.members {
		switch c := CompareKeys(m.Key, key); {
		case c == 0:
			ms = append(ms, Member{key, val})
			done = true
			continue
		case c > 0 && !done:
			ms = append(ms, Member{key, val})
			done = true
		}
		ms = append(ms, m)
	}
	if !done {
		ms = append(ms, Member{key, val})
	}
	return Value{kind: Object, members: ms}
}

func sortMembers(ms []Member) {
	if len(ms) < 2 {
		return
	}
	if len(ms) <= 12 {
		for i := 1; i < len(ms); i++ {
			for j := i; j > 0 && CompareKeys(ms[j-1].Key, ms[j].Key) > 0; j-- {
				ms[j-1], ms[j] = ms[j], ms[j-1]
			}
		}
		return
	}
	slices.SortFunc(ms, func(a, b Member) int { return CompareKeys(a.Key, b.Key) })
}

// Any converts v to the plain Go values Parse returns.
func (v *Value) Any() any {
	switch v.Kind() {
	case Bool:
		return v.b
	case Number:
		return json.Number(v.s)
	case String:
		return v.s
	case Array:
		a := make([]any, len(v.elems))
		for i := range v.elems {
			a[i] = v.elems[i].Any()
		}
		return a
	case Object:
		m := make(map[string]any, len(v.members))
		for i := range v.members {
			m[v.members[i].Key] = v.members[i].Value.Any()
		}
		return m
	}
	return nil
}

// FromAny converts plain Go values (those Append accepts) to a Value. It returns an *Error for
// values Append would refuse.
func FromAny(x any) (*Value, error) {
	var path []pathElem
	v, err := fromAny(x, &path)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func fromAny(x any, path *[]pathElem) (Value, error) {
	switch t := x.(type) {
	case nil:
		return Value{}, nil
	case bool:
		return Value{kind: Bool, b: t}, nil
	case string:
		if !utf8.ValidString(t) {
			return Value{}, &Error{Path: formatPath(*path), Msg: "string is not valid UTF-8"}
		}
		return Value{kind: String, s: t}, nil
	case json.Number:
		if !validNumber(string(t)) {
			return Value{}, &Error{Path: formatPath(*path), Msg: "malformed number"}
		}
		return Value{kind: Number, s: string(t)}, nil
	case float64:
		s, err := appendValue(nil, t, path)
		if err != nil {
			return Value{}, err
		}
		return Value{kind: Number, s: string(s)}, nil
	case int:
		return fromAny(int64(t), path)
	case int64:
		s, err := appendInt(nil, t, path)
		if err != nil {
			return Value{}, err
		}
		return Value{kind: Number, s: string(s)}, nil
	case []string:
		a := make([]Value, len(t))
		for i, s := range t {
			if !utf8.ValidString(s) {
				return Value{}, &Error{Path: formatPath(append(*path, pathElem{index: i})), Msg: "string is not valid UTF-8"}
			}
			a[i] = Value{kind: String, s: s}
		}
		return Value{kind: Array, elems: a}, nil
	case []any:
		a := make([]Value, len(t))
		for i, e := range t {
			*path = append(*path, pathElem{index: i})
			var err error
			if a[i], err = fromAny(e, path); err != nil {
				return Value{}, err
			}
			*path = (*path)[:len(*path)-1]
		}
		return Value{kind: Array, elems: a}, nil
	case map[string]any:
		ms := make([]Member, 0, len(t))
		for k, e := range t {
			if !utf8.ValidString(k) {
				return Value{}, &Error{Path: formatPath(*path), Msg: "object key is not valid UTF-8"}
			}
			*path = append(*path, pathElem{key: k, index: -1})
			ev, err := fromAny(e, path)
			if err != nil {
				return Value{}, err
			}
			*path = (*path)[:len(*path)-1]
			ms = append(ms, Member{k, ev})
		}
		sortMembers(ms)
		return Value{kind: Object, members: ms}, nil
	case *Value:
		return *t, nil
	case Value:
		return t, nil
	}
	return Value{}, &Error{Path: formatPath(*path), Msg: fmt.Sprintf("cannot canonicalise a value of type %T", x)}
}

// AppendValue appends v's JCS (RFC 8785) form to dst. It returns an *Error only for a number
// literal that is not a finite double (which ParseValue never produces).
func AppendValue(dst []byte, v *Value) ([]byte, error) {
	return appendV(dst, v, "", nil)
}

// AppendValueSlot is AppendValue for an object, also returning the offset at which a member named
// key (absent from v) would go in canonical order; see AppendObjectSlot and InsertMember.
func AppendValueSlot(dst []byte, v *Value, key string) ([]byte, int, error) {
	if v.Kind() != Object {
		return dst, 0, &Error{Msg: "expected a JSON object"}
	}
	if _, ok := v.Get(key); ok {
		return dst, 0, &Error{Msg: fmt.Sprintf("object already has member %q", key)}
	}
	slot := -1
	out, err := appendV(dst, v, key, &slot)
	return out, slot, err
}

// AppendValueExcept appends the JCS form of an object without the members named by except.
func AppendValueExcept(dst []byte, v *Value, except ...string) ([]byte, error) {
	if v.Kind() != Object {
		return dst, &Error{Msg: "expected a JSON object"}
	}
	dst = append(dst, '{')
	first := true
	for i := range v.members {
		m := &v.members[i]
		if slices.Contains(except, m.Key) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendString(dst, m.Key)
		dst = append(dst, ':')
		var err error
		if dst, err = appendV(dst, &m.Value, "", nil); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func appendV(dst []byte, v *Value, slotKey string, slot *int) ([]byte, error) {
	switch v.Kind() {
	case Null:
		return append(dst, "null"...), nil
	case Bool:
		if v.b {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case String:
		return appendString(dst, v.s), nil
	case Number:
		out, err := appendParsedNumber(dst, v.s)
		if err != nil {
			return dst, &Error{Msg: err.Error()}
		}
		return out, nil
	case Array:
		dst = append(dst, '[')
		for i := range v.elems {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendV(dst, &v.elems[i], "", nil); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	}
	dst = append(dst, '{')
	for i := range v.members {
		m := &v.members[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		if slot != nil && *slot < 0 && CompareKeys(m.Key, slotKey) > 0 {
			*slot = len(dst)
		}
		dst = appendString(dst, m.Key)
		dst = append(dst, ':')
		var err error
		if dst, err = appendV(dst, &m.Value, "", nil); err != nil {
			return dst, err
		}
	}
	if slot != nil && *slot < 0 {
		*slot = len(dst)
	}
	return append(dst, '}'), nil
}

// Int returns a number written as a canonical non-negative integer (no sign, leading zero,
// fraction or exponent) of at most 15 digits, so that each value has one spelling.
func (v *Value) Int() (uint64, bool) {
	if v.Kind() != Number {
		return 0, false
	}
	s := v.s
	if s == "" || len(s) > 15 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}
