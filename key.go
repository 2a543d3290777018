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
