package eduledger

import (
	"time"
)

// KeyType is the signature algorithm of an issuer key.
type KeyType string

// Issuer key types.
const (
	KeyEd25519 KeyType = "Ed25519"
	KeyMLDSA44 KeyType = "ML-DSA-44"
)

// Valid reports whether t is a known key type.
func (t KeyType) Valid() bool { return t == KeyEd25519 || t == KeyMLDSA44 }

// Key revocation reasons.
const (
	// RevokedSuperseded marks a key retired by rotation: signatures made while it was valid still count.
	RevokedSuperseded = "superseded"
	// RevokedCompromised marks a key whose private half leaked: nothing signed at or after
	// IssuerKey.RevokedAt counts.
	RevokedCompromised = "compromised"
)

// IssuerKey is a public verification key an organisation publishes on the ledger. Credentials name it
// by KeyDID(OrgID, ID). PublicKeyMultibase is a Multikey (base58btc, multicodec-prefixed).
type IssuerKey struct {
	OrgID              string    `json:"orgId"`
	ID                 string    `json:"id"`
	Type               KeyType   `json:"type"`
	PublicKeyMultibase string    `json:"publicKeyMultibase"`
	ValidFrom          time.Time `json:"validFrom,omitzero"`
	ValidUntil         time.Time `json:"validUntil,omitzero"`
	RegisteredAt       time.Time `json:"registeredAt,omitzero"`
	RevokedAt          time.Time `json:"revokedAt,omitzero"`
	RevocationReason   string    `json:"revocationReason,omitempty"`
	SupersededBy       string    `json:"supersededBy,omitempty"`
}

// ValidAt reports whether a signature made at t with this key counts: t within the key's validity
// window and before any revocation.
func (k *IssuerKey) ValidAt(t time.Time) bool {
	if !k.ValidFrom.IsZero() && t.Before(k.ValidFrom) {
		return false
	}
	if !k.ValidUntil.IsZero() && !t.Before(k.ValidUntil) {
		return false
	}
	if !k.RevokedAt.IsZero() && !t.Before(k.RevokedAt) {
		return false
	}
	return true
}

// Validate checks the fields a caller supplies when registering a key. The Multikey itself is
// decoded by the chaincode (package sdk/multikey), which also checks that it holds a Type key.
func (k *IssuerKey) Validate() error {
	switch {
	case !ValidOrgID(k.OrgID):
		return Errorf(EINVALID, "orgId %q is not a valid organisation ID", k.OrgID)
	case !ValidLocalID(k.ID):
		return Errorf(EINVALID, "id %q must be 1-128 letters, digits, '.', '_' or '-'", k.ID)
	case !k.Type.Valid():
		return Errorf(EINVALID, "type %q must be %s or %s", k.Type, KeyEd25519, KeyMLDSA44)
	case k.PublicKeyMultibase == "":
		return Errorf(EINVALID, "publicKeyMultibase is required")
	case !k.ValidFrom.IsZero() && !k.ValidUntil.IsZero() && !k.ValidUntil.After(k.ValidFrom):
		return Errorf(EINVALID, "validUntil must be after validFrom")
	}
	return nil
}

// KeyRotation is the outcome of rotating an issuer key: the retired key, now valid until the
// rotation and superseded by Current, and the key that replaces it.
type KeyRotation struct {
	Previous IssuerKey `json:"previous"`
	Current  IssuerKey `json:"current"`
}
