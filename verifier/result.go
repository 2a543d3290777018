package verifier

import (
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
)

// Verdict is the answer to "can I trust this?".
type Verdict string

// Verdicts. A credential with a failed check is NotVerified even if other checks are unknown: what
// failed is enough to refuse it. Unknown means no check failed but at least one could not be made,
// usually because the ledger could not be reached; it is never a "yes".
const (
	Verified    Verdict = "verified"
	NotVerified Verdict = "not_verified"
	Unknown     Verdict = "unknown"
)

// CheckName names one check of a Result.
type CheckName string

// The checks of a credential, in the order a Result lists them.
const (
	// CheckFormat: the input is a JSON object within the size and depth limits, without
	// duplicate keys, naming exactly one EduLedger credential type.
	CheckFormat CheckName = "format"
	// CheckSchema: the credential matches its type's JSON Schema and is consistent.
	CheckSchema CheckName = "schema"
	// CheckProofs: the proof set is what EduLedger issues (one Ed25519 proof, one ML-DSA-44
	// proof, both by keys of the issuer) and every proof's signature verifies.
	CheckProofs CheckName = "proofs"
	// CheckIssuerKey: every key that signed is registered on the ledger to the issuer, of the
	// right algorithm, and was valid when the ledger witnessed the credential (see docs/verifier.md).
	CheckIssuerKey CheckName = "issuerKey"
	// CheckAccreditation: the issuer was registered, not suspended, and accredited for the
	// credential's type when the ledger witnessed the credential.
	CheckAccreditation CheckName = "accreditation"
	// CheckAnchor: the credential's digest is anchored on the ledger, directly or by Merkle
	// inclusion under an anchored batch root of the same issuer and type.
	CheckAnchor CheckName = "anchor"
	// CheckStatus: the ledger's status of the credential is ACTIVE.
	CheckStatus CheckName = "status"
	// CheckValidity: the credential is within its validity period (and the ledger's).
	CheckValidity CheckName = "validity"
)

// The checks of a presentation.
const (
	// CheckPresentation: the presentation parses, within limits, names a holder and carries
	// credentials.
	CheckPresentation CheckName = "presentation"
	// CheckHolderBinding: the presentation is signed over this verifier's unused challenge and
	// domain by the key on the holder's identity card; the card verifies; the ledger lists the key
	// for an active learner.
	CheckHolderBinding CheckName = "holderBinding"
	// CheckCredentials: every credential presented verifies and is about the holder.
	CheckCredentials CheckName = "credentials"
)

// Outcome is the outcome of a check: credential.Passed, Failed, Unknown or Skipped.
type Outcome = credential.Outcome

// Text is a message in Chinese and English.
type Text struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// Check is the outcome of one check with its reason, in both languages. Passed checks carry a
// reason too: a clerk should see what was established, not only what went wrong.
type Check struct {
	Name   CheckName `json:"name"`
	Status Outcome   `json:"status"`
	Reason Text      `json:"reason"`
}

// Result is the answer for one credential or one presentation.
type Result struct {
	Verdict Verdict `json:"verdict"`
	// Verified is Verdict == Verified, for clients that want a boolean.
	Verified bool `json:"verified"`
	// Kind is "credential" or "presentation".
	Kind      string    `json:"kind"`
	CheckedAt time.Time `json:"checkedAt"`
	Checks    []Check   `json:"checks"`
	// Credential describes a verified credential (Kind "credential").
	Credential *CredentialInfo `json:"credential,omitempty"`
	// Holder is the learner a presentation claims to come from (Kind "presentation").
	Holder string `json:"holder,omitempty"`
	// Credentials are the results of the credentials in a presentation, the identity card first.
	Credentials []*Result `json:"credentials,omitempty"`
}

// Kinds of Result.
const (
	KindCredential   = "credential"
	KindPresentation = "presentation"
)

// Check returns the check with the given name.
func (r *Result) Check(name CheckName) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// Failed returns the checks that did not pass.
func (r *Result) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status != credential.Passed {
			out = append(out, c)
		}
	}
	return out
}

// settle sets the verdict from the checks.
func (r *Result) settle() {
	r.Verdict = verdictOf(r.Checks)
	r.Verified = r.Verdict == Verified
}

func verdictOf(checks []Check) Verdict {
	v := Verified
	for _, c := range checks {
		switch c.Status {
		case credential.Passed:
		case credential.Unknown:
			if v == Verified {
				v = Unknown
			}
		default:
			return NotVerified
		}
	}
	if len(checks) == 0 {
		return Unknown
	}
	return v
}

// CredentialInfo is what a Result shows about a credential: what it claims (trustworthy only when
// the verdict is Verified), the issuer as the ledger knows it, the ledger's record, and the fields
// the credential discloses.
type CredentialInfo struct {
	ID         string                   `json:"id,omitempty"`
	Type       eduledger.CredentialType `json:"type,omitempty"`
	TypeName   Text                     `json:"typeName"`
	Name       Text                     `json:"name"`
	LearnerID  string                   `json:"learnerId,omitempty"`
	ValidFrom  time.Time                `json:"validFrom,omitzero"`
	ValidUntil time.Time                `json:"validUntil,omitzero"`
	Digest     string                   `json:"digest,omitempty"`
	BatchRoot  string                   `json:"batchRoot,omitempty"`
	Issuer     *IssuerInfo              `json:"issuer,omitempty"`
	// Ledger is the ledger's record of the credential (for a batch member without a record of its
	// own, the one derived from its batch), when it was found.
	Ledger *LedgerRecord `json:"ledger,omitempty"`
	// Fields are the fields the credential discloses, in document order, for display.
	Fields []Field `json:"fields"`
}

// IssuerInfo is an issuing organisation as the ledger records it.
type IssuerInfo struct {
	ID  string `json:"id"`
	DID string `json:"did"`
	// Name is the name registered on the ledger; ClaimedName the one the credential carries.
	Name         *eduledger.Name     `json:"name,omitempty"`
	ClaimedName  Text                `json:"claimedName"`
	Kind         eduledger.OrgKind   `json:"kind,omitempty"`
	RegionCode   string              `json:"regionCode,omitempty"`
	Status       eduledger.OrgStatus `json:"status,omitempty"`
	StatusReason string              `json:"statusReason,omitempty"`
	// Registered says whether the ledger knows the issuer; it is absent when the ledger could not
	// be asked.
	Registered *bool `json:"registered,omitempty"`
}

// fill completes the issuer from the ledger's answer.
func (i *IssuerInfo) fill(h *orgHistory, err error) {
	var known bool
	switch {
	case err == nil:
		o := h.current
		i.Name, i.Kind, i.RegionCode, i.Status, i.StatusReason = &o.Name, o.Kind, o.RegionCode, o.Status, o.StatusReason
		known = true
	case eduledger.ErrorCode(err) == eduledger.ENOTFOUND:
	default:
		return
	}
	i.Registered = &known
}

// LedgerRecord is the ledger's record of a credential.
type LedgerRecord struct {
	ID               string                     `json:"id"`
	Type             eduledger.CredentialType   `json:"type"`
	IssuerID         string                     `json:"issuerId"`
	LearnerID        string                     `json:"learnerId,omitempty"`
	Digest           string                     `json:"digest,omitempty"`
	BatchRoot        string                     `json:"batchRoot,omitempty"`
	IssuedAt         time.Time                  `json:"issuedAt"`
	ValidUntil       time.Time                  `json:"validUntil,omitzero"`
	Status           eduledger.CredentialStatus `json:"status"`
	StatusReason     string                     `json:"statusReason,omitempty"`
	StatusReasonText *Text                      `json:"statusReasonText,omitempty"`
	StatusNote       string                     `json:"statusNote,omitempty"`
	StatusChangedAt  time.Time                  `json:"statusChangedAt,omitzero"`
	AnchoredAt       time.Time                  `json:"anchoredAt,omitzero"`
	TxID             string                     `json:"txId,omitempty"`
}

func recordOf(a *eduledger.CredentialAnchor) *LedgerRecord {
	if a == nil {
		return nil
	}
	r := &LedgerRecord{ID: a.ID, Type: a.Type, IssuerID: a.IssuerID, LearnerID: a.LearnerID, Digest: a.Digest,
		BatchRoot: a.BatchRoot, IssuedAt: a.IssuedAt, ValidUntil: a.ValidUntil, Status: a.Status,
		StatusReason: a.StatusReason, StatusNote: a.StatusNote, StatusChangedAt: a.StatusChangedAt,
		AnchoredAt: a.AnchoredAt, TxID: a.TxID}
	if a.StatusReason != "" {
		t := reasonText(a.StatusReason)
		r.StatusReasonText = &t
	}
	return r
}

// Field is one disclosed field of a credential, labelled for display.
type Field struct {
	// Path is the field's JSON path in the credential ("credentialSubject.achievement.name").
	Path  string `json:"path"`
	Label Text   `json:"label"`
	// Value is the value for display; language-tagged values give both languages, other values
	// are the same text in both.
	Value Text `json:"value"`
}
