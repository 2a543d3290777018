package credential

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// JSONValue returns the JSON document c encodes to: exactly what jsoncanon.ParseObjectValue makes
// of json.Marshal(c) under lim, with the same errors — json.Marshal's (a float that is not finite,
// a time outside years 0-9999), or a *jsoncanon.Error when the encoding is larger than
// lim.MaxBytes or nested deeper than lim.MaxDepth.
//
// It builds the document from the struct directly, with its members already in canonical order,
// instead of writing JSON text and reading it back, which is most of the cost of issuing a
// credential apart from the signature. It computes the length json.Marshal would write on the way,
// so that the size limit holds to the byte. Whatever it does not handle itself — a credential
// that already carries proofs, a value json.Marshal refuses, a document that breaks lim — it hands
// to the text path, so that every error is the text path's own. FuzzJSONValueMatchesEncodingJSON
// holds the two paths equal.
func (c *Credential) JSONValue(lim jsoncanon.Limits) (*jsoncanon.Value, error) {
	v, scratch, err := c.scratchJSONValue(lim)
	if scratch != nil {
		// The document was built in the builder's scratch memory; keep an exactly sized copy.
		owned := v.Clone()
		scratch.release()
		return &owned, nil
	}
	return v, err
}

// ValidateCredential checks c against the JSON Schema of type t exactly as Validate checks
// c.JSONValue(lim), without keeping the document. It returns JSONValue's error (an encoding
// error, or a *jsoncanon.Error when the encoding breaks lim) or Validate's (*SchemaError).
func (s *Schemas) ValidateCredential(t eduledger.CredentialType, c *Credential, lim jsoncanon.Limits) error {
	v, scratch, err := c.scratchJSONValue(lim)
	if err != nil {
		return err
	}
	err = s.Validate(t, v)
	if scratch != nil {
		scratch.release()
	}
	return err
}

// scratchJSONValue is JSONValue for a document used only until scratch.release: when scratch is
// not nil, the document lives in its memory, which release clears and recycles. Signing needs the
// document only until it is canonicalised and its proofs are made.
func (c *Credential) scratchJSONValue(lim jsoncanon.Limits) (*jsoncanon.Value, *valueBuilder, error) {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = jsoncanon.DefaultMaxBytes
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = jsoncanon.DefaultMaxDepth
	}
	if len(c.Proof) == 0 {
		b := builderPool.Get().(*valueBuilder)
		v, ok := b.credential(c)
		if ok && b.size <= lim.MaxBytes && b.maxDepth <= lim.MaxDepth {
			return &v, b, nil
		}
		b.release()
	}
	v, err := jsonValueFromText(c, lim)
	return v, nil, err
}

// builderPool recycles builders' scratch memory: only memory, never data (release clears it).
var builderPool = sync.Pool{New: func() any {
	return &valueBuilder{stack: make([]jsoncanon.Member, 0, 32),
		members: make([]jsoncanon.Member, 0, 4*memberArena), elems: make([]jsoncanon.Value, 0, 4*elemArena)}
}}

// release clears the builder and returns it to the pool, unless a huge document grew it.
func (b *valueBuilder) release() {
	clear(b.stack[:cap(b.stack)])
	clear(b.members[:cap(b.members)])
	clear(b.elems[:cap(b.elems)])
	if cap(b.members) > 16*memberArena || cap(b.elems) > 16*elemArena || cap(b.stack) > 256 {
		return
	}
	*b = valueBuilder{stack: b.stack[:0], members: b.members[:0], elems: b.elems[:0]}
	builderPool.Put(b)
}

// jsonValueFromText is JSONValue the slow way: encode, then parse.
func jsonValueFromText(c *Credential, lim jsoncanon.Limits) (*jsoncanon.Value, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return jsoncanon.ParseObjectValue(b, lim)
}

// encodeError tells JSONValue's errors apart as build reports them: the credential cannot be
// encoded, or its encoding breaks the limits.
func encodeError(err error) bool {
	var je *jsoncanon.Error
	return !errors.As(err, &je)
}

// valueBuilder builds a credential's jsoncanon.Value. Each object's members are written in
// canonical (RFC 8785) order, which for these ASCII keys is byte order; jsoncanon.NewSortedObject
// checks it. An object's members gather on a stack while its values are built (nested objects
// push and pop theirs above them) and are then copied into shared backing arrays, exactly sized,
// so that a document costs a handful of allocations rather than one per container. ok turns false
// for anything the builder leaves to the text path.
type valueBuilder struct {
	stack   []jsoncanon.Member // members of the objects being built
	members []jsoncanon.Member // free capacity for finished objects' members
	elems   []jsoncanon.Value  // and for arrays' elements

	size     int // bytes json.Marshal writes for what has been built
	depth    int
	maxDepth int
	ok       bool
	num      [40]byte
}

// memberArena and elemArena size the backing arrays: a diploma has about 40 members and 10
// array elements.
const (
	memberArena = 48
	elemArena   = 16
)

// open starts an object; its members are added with add and it is finished with object.
func (b *valueBuilder) open() int {
	b.depth++
	b.maxDepth = max(b.maxDepth, b.depth)
	return len(b.stack)
}

func (b *valueBuilder) add(key string, v jsoncanon.Value) {
	b.stack = append(b.stack, jsoncanon.Member{Key: key, Value: v})
}

// object finishes the object opened at base: it counts the braces, each key, colon and comma.
func (b *valueBuilder) object(base int) jsoncanon.Value {
	b.depth--
	n := len(b.stack) - base
	b.size += 2 + max(n-1, 0)
	if n == 0 {
		v, _ := jsoncanon.NewSortedObject(nil)
		return v
	}
	if cap(b.members)-len(b.members) < n {
		b.members = make([]jsoncanon.Member, 0, max(memberArena, n))
	}
	start := len(b.members)
	b.members = append(b.members, b.stack[base:]...)
	clear(b.stack[base:])
	b.stack = b.stack[:base]
	ms := b.members[start : start+n : start+n]
	for i := range ms {
		b.size += len(ms[i].Key) + 3
	}
	v, err := jsoncanon.NewSortedObject(ms)
	if err != nil {
		b.ok = false // a programming error; the text path will do the right thing
	}
	return v
}

func (b *valueBuilder) takeElems(n int) []jsoncanon.Value {
	if cap(b.elems)-len(b.elems) < n {
		b.elems = make([]jsoncanon.Value, 0, max(elemArena, n))
	}
	start := len(b.elems)
	b.elems = b.elems[:start+n]
	return b.elems[start : start+n : start+n]
}

// enter and leave bracket an array.
func (b *valueBuilder) enter() {
	b.depth++
	b.maxDepth = max(b.maxDepth, b.depth)
}

func (b *valueBuilder) leave() { b.depth-- }

// str returns a string value as encoding/json writes and jsoncanon reads it back: each byte
// that is not valid UTF-8 becomes U+FFFD. It counts its escaped length (encoding/json escapes
// HTML characters, U+2028 and U+2029 too).
func (b *valueBuilder) str(s string) jsoncanon.Value {
	n := 2
	valid := true
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			valid = false
			n += 6
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	b.size += n
	if !valid {
		s = replaceInvalidUTF8(s)
	}
	return jsoncanon.NewString(s)
}

// replaceInvalidUTF8 replaces each byte of s that is not part of valid UTF-8 with U+FFFD, as
// encoding/json does (strings.ToValidUTF8 would replace a run of them with one).
func replaceInvalidUTF8(s string) string {
	out := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, s[i:i+size]...)
		}
		i += size
	}
	return string(out)
}

// strings is a []string member: null when nil, as encoding/json writes it.
func (b *valueBuilder) strings(ss []string) jsoncanon.Value {
	if ss == nil {
		b.size += 4
		return jsoncanon.Value{}
	}
	b.enter()
	defer b.leave()
	es := b.takeElems(len(ss))
	for i, s := range ss {
		es[i] = b.str(s)
	}
	b.size += 2 + max(len(ss)-1, 0)
	return jsoncanon.NewArrayOf(es)
}

// float writes a float64 as encoding/json does (ES6 style: exponent form below 1e-6 and from
// 1e21). Infinities and NaN, which encoding/json refuses, go to the text path for its error.
func (b *valueBuilder) float(f float64) jsoncanon.Value {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		b.ok = false
		return jsoncanon.Value{}
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	lit := strconv.AppendFloat(b.num[:0], f, format, -1, 64)
	if format == 'e' {
		// "1e-07" is written "1e-7".
		if n := len(lit); n >= 4 && lit[n-4] == 'e' && lit[n-3] == '-' && lit[n-2] == '0' {
			lit[n-2] = lit[n-1]
			lit = lit[:n-1]
		}
	}
	b.size += len(lit)
	v, err := jsoncanon.NewNumber(string(lit))
	if err != nil {
		b.ok = false
	}
	return v
}

// time writes a time as time.Time's MarshalJSON does (RFC 3339 with the fraction it has). A time
// it refuses (a year outside 0-9999) goes to the text path for its error.
func (b *valueBuilder) time(t time.Time) jsoncanon.Value {
	text, err := t.AppendText(b.num[:0])
	if err != nil {
		b.ok = false
		return jsoncanon.Value{}
	}
	b.size += len(text) + 2 // digits, letters and punctuation: nothing to escape
	return jsoncanon.NewString(string(text))
}

// text writes a Text as its MarshalJSON does: one language value object, or an array of two.
// Callers leave out a zero Text (every Text member is omitzero).
func (b *valueBuilder) text(t Text) jsoncanon.Value {
	if t.Zh == "" || t.En == "" {
		if t.Zh != "" {
			return b.langValue(t.Zh, "zh-CN")
		}
		return b.langValue(t.En, "en")
	}
	b.enter()
	defer b.leave()
	es := b.takeElems(2)
	es[0] = b.langValue(t.Zh, "zh-CN")
	es[1] = b.langValue(t.En, "en")
	b.size += 3
	return jsoncanon.NewArrayOf(es)
}

func (b *valueBuilder) langValue(value, lang string) jsoncanon.Value {
	base := b.open()
	b.add("@language", b.str(lang))
	b.add("@value", b.str(value))
	return b.object(base)
}

func (b *valueBuilder) credential(c *Credential) (jsoncanon.Value, bool) {
	b.ok = true
	base := b.open()
	b.add("@context", b.strings(c.Context))
	if c.Status != nil {
		b.add("credentialStatus", b.status(c.Status))
	}
	b.add("credentialSubject", b.subject(&c.Subject))
	if !c.Description.IsZero() {
		b.add("description", b.text(c.Description))
	}
	b.add("id", b.str(c.ID))
	b.add("issuer", b.profile(&c.Issuer))
	if !c.Name.IsZero() {
		b.add("name", b.text(c.Name))
	}
	// "proof": JSONValue leaves a credential with proofs to the text path.
	b.add("type", b.strings(c.Type))
	b.add("validFrom", b.time(c.ValidFrom))
	if !c.ValidUntil.IsZero() {
		b.add("validUntil", b.time(c.ValidUntil))
	}
	v := b.object(base)
	return v, b.ok
}

func (b *valueBuilder) status(s *Status) jsoncanon.Value {
	base := b.open()
	b.add("anchoring", b.str(s.Anchoring))
	b.add("chaincode", b.str(s.Chaincode))
	b.add("channel", b.str(s.Channel))
	b.add("credentialId", b.str(s.CredentialID))
	b.add("type", b.str(s.Type))
	return b.object(base)
}

func (b *valueBuilder) profile(p *Profile) jsoncanon.Value {
	base := b.open()
	b.add("id", b.str(p.ID))
	if !p.Name.IsZero() {
		b.add("name", b.text(p.Name))
	}
	b.add("type", b.strings(p.Type))
	if p.URL != "" {
		b.add("url", b.str(p.URL))
	}
	return b.object(base)
}

func (b *valueBuilder) subject(s *Subject) jsoncanon.Value {
	base := b.open()
	if s.Achievement != nil {
		b.add("achievement", b.achievement(s.Achievement))
	}
	if !s.ActivityEndDate.IsZero() {
		b.add("activityEndDate", b.time(s.ActivityEndDate))
	}
	if !s.ActivityStartDate.IsZero() {
		b.add("activityStartDate", b.time(s.ActivityStartDate))
	}
	if s.CertificateNumber != "" {
		b.add("certificateNumber", b.str(s.CertificateNumber))
	}
	if s.CreditsEarned != 0 {
		b.add("creditsEarned", b.float(s.CreditsEarned))
	}
	if s.ID != "" {
		b.add("id", b.str(s.ID))
	}
	if s.KeyAgreementMultibase != "" {
		b.add("keyAgreementMultibase", b.str(s.KeyAgreementMultibase))
	}
	if s.LearnerID != "" {
		b.add("learnerId", b.str(s.LearnerID))
	}
	if s.PortraitHash != "" {
		b.add("portraitHash", b.str(s.PortraitHash))
	}
	if s.PublicKeyMultibase != "" {
		b.add("publicKeyMultibase", b.str(s.PublicKeyMultibase))
	}
	if len(s.Result) > 0 {
		b.add("result", b.results(s.Result))
	}
	if s.Role != "" {
		b.add("role", b.str(s.Role))
	}
	if len(s.Roles) > 0 {
		b.add("roles", b.roles(s.Roles))
	}
	if s.Term != "" {
		b.add("term", b.str(s.Term))
	}
	b.add("type", b.strings(s.Type))
	if len(s.Records) > 0 {
		b.add("verifiableCredential", b.records(s.Records))
	}
	return b.object(base)
}

func (b *valueBuilder) achievement(a *Achievement) jsoncanon.Value {
	base := b.open()
	b.add("achievementType", b.str(a.AchievementType))
	if len(a.Alignment) > 0 {
		b.add("alignment", b.alignments(a.Alignment))
	}
	if a.CreditsAvailable != 0 {
		b.add("creditsAvailable", b.float(a.CreditsAvailable))
	}
	b.add("criteria", b.criteria(&a.Criteria))
	if !a.Description.IsZero() {
		b.add("description", b.text(a.Description))
	}
	if a.FieldOfStudy != "" {
		b.add("fieldOfStudy", b.str(a.FieldOfStudy))
	}
	if a.HumanCode != "" {
		b.add("humanCode", b.str(a.HumanCode))
	}
	b.add("id", b.str(a.ID))
	if a.InLanguage != "" {
		b.add("inLanguage", b.str(a.InLanguage))
	}
	if !a.Name.IsZero() {
		b.add("name", b.text(a.Name))
	}
	if a.Specialization != "" {
		b.add("specialization", b.str(a.Specialization))
	}
	b.add("type", b.strings(a.Type))
	return b.object(base)
}

func (b *valueBuilder) criteria(c *Criteria) jsoncanon.Value {
	base := b.open()
	if c.ID != "" {
		b.add("id", b.str(c.ID))
	}
	if !c.Narrative.IsZero() {
		b.add("narrative", b.text(c.Narrative))
	}
	return b.object(base)
}

func (b *valueBuilder) alignments(as []Alignment) jsoncanon.Value {
	b.enter()
	defer b.leave()
	es := b.takeElems(len(as))
	for i := range as {
		a := &as[i]
		base := b.open()
		if a.TargetCode != "" {
			b.add("targetCode", b.str(a.TargetCode))
		}
		if a.TargetDescription != "" {
			b.add("targetDescription", b.str(a.TargetDescription))
		}
		if a.TargetFramework != "" {
			b.add("targetFramework", b.str(a.TargetFramework))
		}
		b.add("targetName", b.str(a.TargetName))
		if a.TargetType != "" {
			b.add("targetType", b.str(a.TargetType))
		}
		b.add("targetUrl", b.str(a.TargetURL))
		b.add("type", b.strings(a.Type))
		es[i] = b.object(base)
	}
	b.size += 2 + max(len(as)-1, 0)
	return jsoncanon.NewArrayOf(es)
}

func (b *valueBuilder) results(rs []Result) jsoncanon.Value {
	b.enter()
	defer b.leave()
	es := b.takeElems(len(rs))
	for i := range rs {
		r := &rs[i]
		base := b.open()
		if r.AchievedLevel != "" {
			b.add("achievedLevel", b.str(r.AchievedLevel))
		}
		if r.Status != "" {
			b.add("status", b.str(r.Status))
		}
		b.add("type", b.strings(r.Type))
		if r.Value != "" {
			b.add("value", b.str(r.Value))
		}
		es[i] = b.object(base)
	}
	b.size += 2 + max(len(rs)-1, 0)
	return jsoncanon.NewArrayOf(es)
}

func (b *valueBuilder) records(rs []Record) jsoncanon.Value {
	b.enter()
	defer b.leave()
	es := b.takeElems(len(rs))
	for i := range rs {
		base := b.open()
		b.add("credentialSubject", b.subject(&rs[i].Subject))
		b.add("type", b.strings(rs[i].Type))
		es[i] = b.object(base)
	}
	b.size += 2 + max(len(rs)-1, 0)
	return jsoncanon.NewArrayOf(es)
}

func (b *valueBuilder) roles(rs []eduledger.LearnerRole) jsoncanon.Value {
	b.enter()
	defer b.leave()
	es := b.takeElems(len(rs))
	for i, r := range rs {
		es[i] = b.str(string(r))
	}
	b.size += 2 + max(len(rs)-1, 0)
	return jsoncanon.NewArrayOf(es)
}
