package issuance

import (
	"encoding/json"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
)

// Principal is the staff member an action is taken for: the organisation and role an API token is
// bound to. The engine acts on the ledger with the Fabric identity of exactly that organisation and
// role, so the chaincode authorises every change again.
type Principal struct {
	// TokenID and TokenName identify the API token that authenticated the request ("" for actions
	// the service takes by itself, such as resuming a job).
	TokenID   string              `json:"tokenId,omitempty"`
	TokenName string              `json:"tokenName,omitempty"`
	OrgID     string              `json:"orgId"`
	Role      eduledger.StaffRole `json:"role"`
}

// PersonalDetails is what identifies a learner to the registering school. It goes to the ledger
// only in the transient map and is kept only in the school's private data collection.
type PersonalDetails struct {
	Name        string `json:"name"`
	NationalID  string `json:"nationalId"`
	DateOfBirth string `json:"dateOfBirth,omitempty"`
}

// LearnerRegistration asks to create an education identity.
type LearnerRegistration struct {
	ID    string                  `json:"id"`
	Roles []eduledger.LearnerRole `json:"roles"`
	// HolderKeys are the learner's public keys as Multikeys: an Ed25519 key (z6Mk…), which an
	// identity card requires, and optionally an X25519 key (z6LS…) for encryption to the holder.
	HolderKeys []string        `json:"holderKeys,omitempty"`
	Personal   PersonalDetails `json:"personal"`
	// Portrait is the learner's photo (JPEG or PNG, at most MaxPortraitBytes). Its SHA-256 goes on
	// the ledger; the photo stays with the registering school and is printed on the card.
	Portrait []byte `json:"portrait,omitempty"`
}

// MaxPortraitBytes bounds a portrait photo.
const MaxPortraitBytes = 512 << 10

// Learner is a learner's public identity from the ledger and, when the caller's organisation
// registered the learner and asked for it, the personal details it holds.
type Learner struct {
	eduledger.Learner
	Personal *PersonalDetails `json:"personal,omitempty"`
	// HasPortrait reports whether this service holds the portrait whose hash the ledger keeps.
	HasPortrait bool `json:"hasPortrait,omitempty"`
}

// CredentialRequest asks to issue one credential. Subject holds the credentialSubject members of
// the type (the Open Badges achievement, results, credits, dates, …); the engine sets its id and
// type. Name defaults to the type's usual bilingual name; ValidFrom to the issuance time.
type CredentialRequest struct {
	Type        eduledger.CredentialType `json:"type"`
	LearnerID   string                   `json:"learnerId"`
	Name        credential.Text          `json:"name,omitzero"`
	Description credential.Text          `json:"description,omitzero"`
	ValidFrom   time.Time                `json:"validFrom,omitzero"`
	ValidUntil  time.Time                `json:"validUntil,omitzero"`
	Subject     credential.Subject       `json:"subject"`
}

// IssuedCredential is a credential the service issued: its ledger anchoring, its last known status,
// the verification link its QR code carries and, when asked for, the signed credential itself.
type IssuedCredential struct {
	ID        string                   `json:"id"`
	Type      eduledger.CredentialType `json:"type"`
	IssuerID  string                   `json:"issuerId"`
	LearnerID string                   `json:"learnerId"`
	// Digest is the anchor digest: for a credential issued alone the ledger holds it; for one
	// issued in a batch it is the Merkle leaf under BatchRoot.
	Digest     string    `json:"digest"`
	BatchRoot  string    `json:"batchRoot,omitempty"`
	JobID      string    `json:"jobId,omitempty"`
	Row        int       `json:"row,omitempty"`
	IssuedAt   time.Time `json:"issuedAt"`
	ValidUntil time.Time `json:"validUntil,omitzero"`
	AnchoredAt time.Time `json:"anchoredAt,omitzero"`
	TxID       string    `json:"txId,omitempty"`
	// Status is the ledger status: live when the ledger answered, else the last one this service
	// saw (StatusStale then says so).
	Status          eduledger.CredentialStatus `json:"status"`
	StatusReason    string                     `json:"statusReason,omitempty"`
	StatusNote      string                     `json:"statusNote,omitempty"`
	StatusChangedAt time.Time                  `json:"statusChangedAt,omitzero"`
	StatusStale     bool                       `json:"statusStale,omitempty"`
	// VerificationLink is what the credential's QR code carries.
	VerificationLink string `json:"verificationLink"`
	// Credential is the signed W3C verifiable credential.
	Credential json.RawMessage `json:"credential,omitempty"`
}

// StatusRequest asks to suspend, reinstate or revoke a credential. Reason is one of the reason
// codes (eduledger.ReasonCodes); Note is public on the ledger and must hold no personal data.
type StatusRequest struct {
	Status eduledger.CredentialStatus `json:"status"`
	Reason string                     `json:"reason"`
	Note   string                     `json:"note,omitempty"`
}

// CardRequest asks to issue or re-issue a learner's education identity card. ValidUntil defaults
// to the configured card validity from now.
type CardRequest struct {
	ValidUntil time.Time `json:"validUntil,omitzero"`
}

// CardReissue is the outcome of re-issuing a card: the new card and the one it superseded.
type CardReissue struct {
	Card     *IssuedCredential `json:"card"`
	Previous *IssuedCredential `json:"previous,omitempty"`
	// Warning is set when the new card was issued but the previous one could not be revoked.
	Warning string `json:"warning,omitempty"`
}

// CredentialQuery filters and pages the list of an organisation's credentials.
type CredentialQuery struct {
	LearnerID string
	Type      eduledger.CredentialType
	JobID     string
	PageSize  int
	PageToken string
}

// Page is one page of a list; NextPageToken, when set, fetches the next.
type Page[T any] struct {
	Items         []T    `json:"items"`
	NextPageToken string `json:"nextPageToken,omitempty"`
}

// IssuerKey is one of an organisation's verification keys as the ledger holds it, and whether the
// service signs with it now.
type IssuerKey struct {
	eduledger.IssuerKey
	Current bool `json:"current"`
	// Held reports whether this service holds the private key.
	Held bool `json:"held"`
}

// KeyRotation is the outcome of rotating an organisation's keys.
type KeyRotation struct {
	Rotated []eduledger.KeyRotation `json:"rotated"`
}

// KeyRevocation is the outcome of revoking a key for compromise: the revoked key and, when it was
// the one the service signed with, its replacement.
type KeyRevocation struct {
	Revoked     eduledger.IssuerKey  `json:"revoked"`
	Replacement *eduledger.IssuerKey `json:"replacement,omitempty"`
	// Warning is set when the key was revoked but no replacement could be registered yet.
	Warning string `json:"warning,omitempty"`
}
