package eduledger

import (
	"time"
	"unicode/utf8"
)

// CredentialStatus is the status of an anchored credential.
type CredentialStatus string

// Credential statuses. EXPIRED is never stored: it is derived from ValidUntil at verification time.
const (
	StatusActive    CredentialStatus = "ACTIVE"
	StatusSuspended CredentialStatus = "SUSPENDED"
	StatusRevoked   CredentialStatus = "REVOKED"
	StatusExpired   CredentialStatus = "EXPIRED"
)

// Revocation and suspension reason codes, so that a verifier can say why in any language.
const (
	ReasonIssuedInError = "ISSUED_IN_ERROR"
	ReasonFraud         = "FRAUD"
	ReasonSuperseded    = "SUPERSEDED"
	ReasonDisciplinary  = "DISCIPLINARY"
	ReasonKeyCompromise = "KEY_COMPROMISE"
	ReasonUnderReview   = "UNDER_REVIEW"
	ReasonReinstated    = "REINSTATED"
	ReasonOther         = "OTHER"
)

// ReasonCodes lists every reason code.
var ReasonCodes = []string{ReasonIssuedInError, ReasonFraud, ReasonSuperseded, ReasonDisciplinary,
	ReasonKeyCompromise, ReasonUnderReview, ReasonReinstated, ReasonOther}

// CredentialAnchor is the ledger's record of one credential: who issued what type to whom, the
// SHA-256 digest of the signed credential, and its status. For a credential issued in a Merkle batch
// no anchor exists until its status is first changed; then an anchor with BatchRoot set (and no
// Digest) carries that status.
type CredentialAnchor struct {
	ID              string           `json:"id"`
	Type            CredentialType   `json:"type"`
	IssuerID        string           `json:"issuerId"`
	LearnerID       string           `json:"learnerId,omitempty"`
	Digest          string           `json:"digest,omitempty"`
	BatchRoot       string           `json:"batchRoot,omitempty"`
	IssuedAt        time.Time        `json:"issuedAt"`
	ValidUntil      time.Time        `json:"validUntil,omitzero"`
	Status          CredentialStatus `json:"status,omitempty"`
	StatusReason    string           `json:"statusReason,omitempty"`
	StatusNote      string           `json:"statusNote,omitempty"`
	StatusChangedAt time.Time        `json:"statusChangedAt,omitzero"`
	AnchoredAt      time.Time        `json:"anchoredAt,omitzero"`
	TxID            string           `json:"txId,omitempty"`
}

// Validate checks the fields a caller supplies when anchoring one credential.
func (a *CredentialAnchor) Validate() error {
	switch {
	case !ValidCredentialID(a.ID):
		return Errorf(EINVALID, "id %q is not a valid credential ID", a.ID)
	case !a.Type.Valid():
		return Errorf(EINVALID, "type %q is not a known credential type", a.Type)
	case !ValidOrgID(a.IssuerID):
		return Errorf(EINVALID, "issuerId %q is not a valid organisation ID", a.IssuerID)
	case !ValidLocalID(a.LearnerID):
		return Errorf(EINVALID, "learnerId %q is not a valid learner ID", a.LearnerID)
	case !ValidDigest(a.Digest):
		return Errorf(EINVALID, "digest must be a lower-case hex SHA-256")
	case a.IssuedAt.IsZero():
		return Errorf(EINVALID, "issuedAt is required")
	case !a.ValidUntil.IsZero() && !a.ValidUntil.After(a.IssuedAt):
		return Errorf(EINVALID, "validUntil must be after issuedAt")
	}
	return nil
}

// BatchAnchor is the ledger's record of a Merkle batch: the root over the digests of Count
// credentials of one type from one issuer. Each credential carries its inclusion proof.
type BatchAnchor struct {
	Root         string           `json:"root"`
	Count        int              `json:"count"`
	Type         CredentialType   `json:"type"`
	IssuerID     string           `json:"issuerId"`
	IssuedAt     time.Time        `json:"issuedAt"`
	ValidUntil   time.Time        `json:"validUntil,omitzero"`
	Status       CredentialStatus `json:"status,omitempty"`
	StatusReason string           `json:"statusReason,omitempty"`
	AnchoredAt   time.Time        `json:"anchoredAt,omitzero"`
	TxID         string           `json:"txId,omitempty"`
}

// MaxBatchSize bounds the number of credentials under one Merkle root.
const MaxBatchSize = 1 << 20

// Validate checks the fields a caller supplies when anchoring a batch.
func (b *BatchAnchor) Validate() error {
	switch {
	case !ValidDigest(b.Root):
		return Errorf(EINVALID, "root must be a lower-case hex SHA-256")
	case b.Count < 1 || b.Count > MaxBatchSize:
		return Errorf(EINVALID, "count must be between 1 and %d", MaxBatchSize)
	case !b.Type.Valid():
		return Errorf(EINVALID, "type %q is not a known credential type", b.Type)
	case !ValidOrgID(b.IssuerID):
		return Errorf(EINVALID, "issuerId %q is not a valid organisation ID", b.IssuerID)
	case b.IssuedAt.IsZero():
		return Errorf(EINVALID, "issuedAt is required")
	case !b.ValidUntil.IsZero() && !b.ValidUntil.After(b.IssuedAt):
		return Errorf(EINVALID, "validUntil must be after issuedAt")
	}
	return nil
}

// StatusChange asks to move a credential to Status for Reason. For a credential issued in a batch,
// BatchRoot names the batch. Note is public, like everything on the shared ledger: it must never
// hold personal data.
type StatusChange struct {
	CredentialID string           `json:"credentialId"`
	BatchRoot    string           `json:"batchRoot,omitempty"`
	Status       CredentialStatus `json:"status"`
	Reason       string           `json:"reason"`
	Note         string           `json:"note,omitempty"`
}

// Validate checks a status change request.
func (s *StatusChange) Validate() error {
	switch {
	case !ValidCredentialID(s.CredentialID):
		return Errorf(EINVALID, "credentialId %q is not a valid credential ID", s.CredentialID)
	case s.BatchRoot != "" && !ValidDigest(s.BatchRoot):
		return Errorf(EINVALID, "batchRoot must be a lower-case hex SHA-256")
	case s.Status != StatusActive && s.Status != StatusSuspended && s.Status != StatusRevoked:
		return Errorf(EINVALID, "status %q must be ACTIVE, SUSPENDED or REVOKED", s.Status)
	case !validReason(s.Reason):
		return Errorf(EINVALID, "reason %q must be one of the reason codes", s.Reason)
	case s.Status == StatusActive && s.Reason != ReasonReinstated:
		return Errorf(EINVALID, "reason for making a credential ACTIVE again must be %s", ReasonReinstated)
	case s.Status != StatusActive && s.Reason == ReasonReinstated:
		return Errorf(EINVALID, "reason %s only applies to making a credential ACTIVE again", ReasonReinstated)
	case utf8.RuneCountInString(s.Note) > 500:
		return Errorf(EINVALID, "note must be at most 500 characters")
	}
	return nil
}

func validReason(r string) bool {
	for _, c := range ReasonCodes {
		if r == c {
			return true
		}
	}
	return false
}

// MaxPageSize bounds the number of items one page of a list may ask for.
const MaxPageSize = 200

// Page is one page of a paginated list. Bookmark, when not empty, fetches the next page.
type Page[T any] struct {
	Items    []T    `json:"items"`
	Bookmark string `json:"bookmark,omitempty"`
}

// HistoryEntry is one committed version of a ledger value.
type HistoryEntry[T any] struct {
	TxID      string    `json:"txId"`
	Timestamp time.Time `json:"timestamp"`
	IsDelete  bool      `json:"isDelete,omitempty"`
	Value     *T        `json:"value,omitempty"`
}
