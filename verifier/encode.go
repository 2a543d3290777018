package verifier

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/eduledger/eduledger"
)

// AppendJSON appends the Result as encoding/json renders it (with HTML escaping off), without
// reflection: a verifier service answers with one Result per request, and encoding it is a
// noticeable share of that request's work. A test keeps the two byte for byte equal.
func (r *Result) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"verdict":`...)
	dst = appendString(dst, string(r.Verdict))
	dst = append(dst, `,"verified":`...)
	dst = strconv.AppendBool(dst, r.Verified)
	dst = append(dst, `,"kind":`...)
	dst = appendString(dst, r.Kind)
	dst = append(dst, `,"checkedAt":`...)
	dst = appendTime(dst, r.CheckedAt)
	dst = append(dst, `,"checks":`...)
	if r.Checks == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range r.Checks {
			if i > 0 {
				dst = append(dst, ',')
			}
			c := &r.Checks[i]
			dst = append(dst, `{"name":`...)
			dst = appendString(dst, string(c.Name))
			dst = append(dst, `,"status":`...)
			dst = appendString(dst, string(c.Status))
			dst = append(dst, `,"reason":`...)
			dst = c.Reason.appendJSON(dst)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if r.Credential != nil {
		dst = append(dst, `,"credential":`...)
		dst = r.Credential.appendJSON(dst)
	}
	if r.Holder != "" {
		dst = append(dst, `,"holder":`...)
		dst = appendString(dst, r.Holder)
	}
	if len(r.Credentials) > 0 {
		dst = append(dst, `,"credentials":[`...)
		for i, c := range r.Credentials {
			if i > 0 {
				dst = append(dst, ',')
			}
			if c == nil {
				dst = append(dst, "null"...)
				continue
			}
			dst = c.AppendJSON(dst)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

func (t Text) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"zh":`...)
	dst = appendString(dst, t.Zh)
	dst = append(dst, `,"en":`...)
	dst = appendString(dst, t.En)
	return append(dst, '}')
}

func (c *CredentialInfo) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	first := true
	key := func(k string) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, `":`...)
	}
	str := func(k, v string) {
		if v != "" {
			key(k)
			dst = appendString(dst, v)
		}
	}
	str("id", c.ID)
	str("type", string(c.Type))
	key("typeName")
	dst = c.TypeName.appendJSON(dst)
	key("name")
	dst = c.Name.appendJSON(dst)
	str("learnerId", c.LearnerID)
	if !c.ValidFrom.IsZero() {
		key("validFrom")
		dst = appendTime(dst, c.ValidFrom)
	}
	if !c.ValidUntil.IsZero() {
		key("validUntil")
		dst = appendTime(dst, c.ValidUntil)
	}
	str("digest", c.Digest)
	str("batchRoot", c.BatchRoot)
	if c.Issuer != nil {
		key("issuer")
		dst = c.Issuer.appendJSON(dst)
	}
	if c.Ledger != nil {
		key("ledger")
		dst = c.Ledger.appendJSON(dst)
	}
	key("fields")
	if c.Fields == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range c.Fields {
			if i > 0 {
				dst = append(dst, ',')
			}
			f := &c.Fields[i]
			dst = append(dst, `{"path":`...)
			dst = appendString(dst, f.Path)
			dst = append(dst, `,"label":`...)
			dst = f.Label.appendJSON(dst)
			dst = append(dst, `,"value":`...)
			dst = f.Value.appendJSON(dst)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

func (i *IssuerInfo) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, i.ID)
	dst = append(dst, `,"did":`...)
	dst = appendString(dst, i.DID)
	if i.Name != nil {
		dst = append(dst, `,"name":`...)
		dst = appendName(dst, i.Name)
	}
	dst = append(dst, `,"claimedName":`...)
	dst = i.ClaimedName.appendJSON(dst)
	for _, kv := range [...][2]string{{"kind", string(i.Kind)}, {"regionCode", i.RegionCode}, {"status", string(i.Status)}, {"statusReason", i.StatusReason}} {
		if kv[1] != "" {
			dst = append(dst, ',', '"')
			dst = append(dst, kv[0]...)
			dst = append(dst, `":`...)
			dst = appendString(dst, kv[1])
		}
	}
	if i.Registered != nil {
		dst = append(dst, `,"registered":`...)
		dst = strconv.AppendBool(dst, *i.Registered)
	}
	return append(dst, '}')
}

func appendName(dst []byte, n *eduledger.Name) []byte {
	dst = append(dst, `{"zh":`...)
	dst = appendString(dst, n.Zh)
	dst = append(dst, `,"en":`...)
	dst = appendString(dst, n.En)
	return append(dst, '}')
}

func (l *LedgerRecord) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, l.ID)
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, string(l.Type))
	dst = append(dst, `,"issuerId":`...)
	dst = appendString(dst, l.IssuerID)
	str := func(k, v string) {
		if v != "" {
			dst = append(dst, ',', '"')
			dst = append(dst, k...)
			dst = append(dst, `":`...)
			dst = appendString(dst, v)
		}
	}
	at := func(k string, t time.Time) {
		if !t.IsZero() {
			dst = append(dst, ',', '"')
			dst = append(dst, k...)
			dst = append(dst, `":`...)
			dst = appendTime(dst, t)
		}
	}
	str("learnerId", l.LearnerID)
	str("digest", l.Digest)
	str("batchRoot", l.BatchRoot)
	dst = append(dst, `,"issuedAt":`...)
	dst = appendTime(dst, l.IssuedAt)
	at("validUntil", l.ValidUntil)
	dst = append(dst, `,"status":`...)
	dst = appendString(dst, string(l.Status))
	str("statusReason", l.StatusReason)
	if l.StatusReasonText != nil {
		dst = append(dst, `,"statusReasonText":`...)
		dst = l.StatusReasonText.appendJSON(dst)
	}
	str("statusNote", l.StatusNote)
	at("statusChangedAt", l.StatusChangedAt)
	at("anchoredAt", l.AnchoredAt)
	str("txId", l.TxID)
	return append(dst, '}')
}

// appendTime writes t as time.Time.MarshalJSON does (RFC 3339 with nanoseconds, quoted).
func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string the way encoding/json does without HTML escaping:
// control characters escaped (\b \f \n \r \t by name), invalid UTF-8 replaced by U+FFFD, and
// U+2028 and U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
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
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
