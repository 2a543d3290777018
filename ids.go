package eduledger

import (
	"strings"
)

// Identifier rules shared by every layer. Identifiers are case-sensitive, printable ASCII, and never
// contain the composite-key separator U+0000 or spaces, so they can be used inside ledger keys, URLs
// and file names as they are. The checks are hand-written rather than regular expressions because the
// chaincode runs several on every transaction; ids_test.go holds the equivalent expressions and a
// fuzz test that keeps the two in step.

// ValidOrgID reports whether id is a well-formed organisation ID: 3 to 64 characters of lower-case
// letters, digits and hyphens, starting and ending with a letter or digit ("east-university").
func ValidOrgID(id string) bool {
	if len(id) < 3 || len(id) > 64 || id[len(id)-1] == '-' {
		return false
	}
	return matches(id, isLowerAlnum, func(c byte) bool { return isLowerAlnum(c) || c == '-' })
}

// ValidLocalID reports whether id is a well-formed learner, key or record ID: 1 to 128 characters of
// letters, digits, '.', '_' and '-', starting with a letter or digit.
func ValidLocalID(id string) bool {
	if len(id) < 1 || len(id) > 128 {
		return false
	}
	return matches(id, isAlnum, func(c byte) bool { return isAlnum(c) || c == '.' || c == '_' || c == '-' })
}

// ValidCredentialID reports whether id is a well-formed credential ID: a URN or URL-like string of 3
// to 200 characters ("urn:uuid:…").
func ValidCredentialID(id string) bool {
	if len(id) < 3 || len(id) > 200 {
		return false
	}
	return matches(id, isAlnum, func(c byte) bool {
		return isAlnum(c) || c == '.' || c == '_' || c == ':' || c == '/' || c == '-'
	})
}

// ValidMSPID reports whether id is a well-formed Fabric MSP ID.
func ValidMSPID(id string) bool {
	if len(id) < 1 || len(id) > 64 {
		return false
	}
	return matches(id, isAlnum, func(c byte) bool { return isAlnum(c) || c == '.' || c == '-' })
}

// ValidRegionCode reports whether code is a six-digit administrative division code (GB/T 2260, e.g.
// "310000" for Shanghai).
func ValidRegionCode(code string) bool {
	return len(code) == 6 && matches(code, isDigit, isDigit)
}

// ValidDigest reports whether d is a lower-case hex SHA-256 digest.
func ValidDigest(d string) bool {
	isHex := func(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' }
	return len(d) == 64 && matches(d, isHex, isHex)
}

// matches reports whether s is non-empty, its first byte satisfies first and every other byte rest.
func matches(s string, first, rest func(byte) bool) bool {
	if s == "" || !first(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !rest(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isLowerAlnum(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' }
func isAlnum(c byte) bool      { return isLowerAlnum(c) || c >= 'A' && c <= 'Z' }

// DID method prefixes. Issuers, their keys and learners are named by DIDs of the "eduledger" method,
// which resolve against the ledger: did:eduledger:org:<orgID>, did:eduledger:org:<orgID>#<keyID>,
// did:eduledger:learner:<learnerID>.
const (
	orgDIDPrefix     = "did:eduledger:org:"
	learnerDIDPrefix = "did:eduledger:learner:"
)

// OrgDID returns the DID of an organisation.
func OrgDID(orgID string) string { return orgDIDPrefix + orgID }

// KeyDID returns the DID URL of an issuer key (the verification method ID in a proof).
func KeyDID(orgID, keyID string) string { return orgDIDPrefix + orgID + "#" + keyID }

// LearnerDID returns the DID of a learner.
func LearnerDID(learnerID string) string { return learnerDIDPrefix + learnerID }

// ParseOrgDID returns the organisation ID named by an organisation DID.
func ParseOrgDID(did string) (string, bool) {
	id, ok := strings.CutPrefix(did, orgDIDPrefix)
	if !ok || !ValidOrgID(id) {
		return "", false
	}
	return id, true
}

// ParseKeyDID returns the organisation and key IDs named by a key DID URL.
func ParseKeyDID(did string) (orgID, keyID string, ok bool) {
	rest, ok := strings.CutPrefix(did, orgDIDPrefix)
	if !ok {
		return "", "", false
	}
	orgID, keyID, ok = strings.Cut(rest, "#")
	if !ok || !ValidOrgID(orgID) || !ValidLocalID(keyID) {
		return "", "", false
	}
	return orgID, keyID, true
}

// ParseLearnerDID returns the learner ID named by a learner DID.
func ParseLearnerDID(did string) (string, bool) {
	id, ok := strings.CutPrefix(did, learnerDIDPrefix)
	if !ok || !ValidLocalID(id) {
		return "", false
	}
	return id, true
}
