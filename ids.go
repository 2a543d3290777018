package eduledger

import (
	"regexp"
	"strings"
)

// Identifier rules shared by every layer. Identifiers are case-sensitive, printable ASCII, and never
// contain the composite-key separator U+0000 or spaces, so they can be used inside ledger keys, URLs
// and file names as they are.
var (
	orgIDPattern        = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$`)
	localIDPattern      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	credentialIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{2,199}$`)
	mspIDPattern        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$`)
	regionPattern       = regexp.MustCompile(`^[0-9]{6}$`)
	hexDigestPattern    = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// ValidOrgID reports whether id is a well-formed organisation ID: 3 to 64 characters of lower-case
// letters, digits and hyphens, starting and ending with a letter or digit ("east-university").
func ValidOrgID(id string) bool { return orgIDPattern.MatchString(id) }

// ValidLocalID reports whether id is a well-formed learner, key or record ID: 1 to 128 characters of
// letters, digits, '.', '_' and '-', starting with a letter or digit.
func ValidLocalID(id string) bool { return localIDPattern.MatchString(id) }

// ValidCredentialID reports whether id is a well-formed credential ID: a URN or URL-like string of 3
// to 200 characters ("urn:uuid:…").
func ValidCredentialID(id string) bool { return credentialIDPattern.MatchString(id) }

// ValidMSPID reports whether id is a well-formed Fabric MSP ID.
func ValidMSPID(id string) bool { return mspIDPattern.MatchString(id) }

// ValidRegionCode reports whether code is a six-digit administrative division code (GB/T 2260, e.g.
// "310000" for Shanghai).
func ValidRegionCode(code string) bool { return regionPattern.MatchString(code) }

// ValidDigest reports whether d is a lower-case hex SHA-256 digest.
func ValidDigest(d string) bool { return hexDigestPattern.MatchString(d) }

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
