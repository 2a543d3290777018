// Package credential is EduLedger's credential library: the W3C Verifiable Credentials Data Model
// 2.0 documents EduLedger issues (education identity cards, diplomas, degrees, certificates,
// transcripts, micro-credentials, internship records and training certificates), their JSON
// Schemas, issuing them one at a time or in Merkle batches, and verifying them offline, check by
// check.
//
// Learning achievements use the Open Badges 3.0 vocabulary (AchievementCredential, achievement,
// result, alignment, credits); a transcript is a CLR 2.0 ClrCredential. Every credential carries a
// proof set: an eddsa-jcs-2022 proof, which any Data Integrity verifier can check, and a
// post-quantum ML-DSA-44 proof — mldsa44-jcs-2024 for a credential issued alone, or the batch suite
// eduledger-mldsa44-merkle-2026 (one signature over a Merkle root, the credential's inclusion path
// beside it) for a credential issued in a batch. See docs/credentials.md.
//
// Verifier checks what can be checked without the ledger: form, schema, the proof set, each proof,
// Merkle inclusion and the validity period. The ledger checks (key registered and valid at issuance,
// accreditation, anchoring, status) build on its Report, which carries the identifiers and the
// anchor digest (Digest) they need, in its Report.
package credential

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eduledger/eduledger"
)

// JSON-LD contexts. EduLedger's own terms (EduLedgerStatus, the identity card's fields) are not
// defined by a published context and fall under the VC 2.0 context's issuer-dependent @vocab.
const (
	ContextV2   = "https://www.w3.org/ns/credentials/v2"
	ContextOB3  = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
	ContextCLR2 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
)

// VC and Open Badges type names.
const (
	TypeVerifiableCredential  = "VerifiableCredential"
	TypeAchievementCredential = "AchievementCredential"
	TypeClrCredential         = "ClrCredential"
	// StatusType is the credentialStatus type pointing a verifier at the ledger.
	StatusType = "EduLedgerStatus"
)

// TypeName returns the VC type name that marks a credential as EduLedger type t, e.g.
// "EduLedgerDiploma".
func TypeName(t eduledger.CredentialType) string { return "EduLedger" + string(t) }

// shape describes how each EduLedger type is written.
type shape struct {
	contexts    []string
	types       []string
	subjectType string
}

func shapeOf(t eduledger.CredentialType) shape {
	switch t {
	case eduledger.TypeIdentityCard:
		return shape{[]string{ContextV2}, []string{TypeVerifiableCredential, TypeName(t)}, "EduLedgerLearner"}
	case eduledger.TypeTranscript:
		return shape{[]string{ContextV2, ContextCLR2, ContextOB3}, []string{TypeVerifiableCredential, TypeClrCredential, TypeName(t)}, "ClrSubject"}
	default:
		return shape{[]string{ContextV2, ContextOB3}, []string{TypeVerifiableCredential, TypeAchievementCredential, TypeName(t)}, "AchievementSubject"}
	}
}

// Text is human-readable text in Chinese and English. It is written as VC 2.0 language value
// objects ({"@value": …, "@language": "zh-CN"}), an array of two when both languages are given.
type Text struct {
	Zh string
	En string
}

// String returns the text for display: both languages, Chinese first.
func (t Text) String() string {
	switch {
	case t.Zh == "":
		return t.En
	case t.En == "":
		return t.Zh
	}
	return t.Zh + " / " + t.En
}

// IsZero reports whether neither language is given.
func (t Text) IsZero() bool { return t.Zh == "" && t.En == "" }

type langValue struct {
	Value    string `json:"@value"`
	Language string `json:"@language"`
}

// MarshalJSON writes the language value objects.
func (t Text) MarshalJSON() ([]byte, error) {
	var vals []langValue
	if t.Zh != "" {
		vals = append(vals, langValue{t.Zh, "zh-CN"})
	}
	if t.En != "" {
		vals = append(vals, langValue{t.En, "en"})
	}
	switch len(vals) {
	case 0:
		return []byte(`null`), nil
	case 1:
		return json.Marshal(vals[0])
	}
	return json.Marshal(vals)
}

// UnmarshalJSON reads a language value object, an array of them, or a plain string (taken as
// English).
func (t *Text) UnmarshalJSON(b []byte) error {
	*t = Text{}
	// An object or an array is never a string, and an array never an object: skip the attempts
	// that must fail (each a full decode with its error) by the value's first byte.
	first := byte(0)
	if trimmed := bytes.TrimLeft(b, " \t\r\n"); len(trimmed) > 0 {
		first = trimmed[0]
	}
	var s string
	if first != '{' && first != '[' && json.Unmarshal(b, &s) == nil {
		t.En = s
		return nil
	}
	var vals []langValue
	var one langValue
	if first != '[' && json.Unmarshal(b, &one) == nil && one.Value != "" {
		vals = []langValue{one}
	} else if err := json.Unmarshal(b, &vals); err != nil {
		return fmt.Errorf("text must be a string or language value objects")
	}
	for _, v := range vals {
		if strings.HasPrefix(strings.ToLower(v.Language), "zh") {
			t.Zh = v.Value
		} else {
			t.En = v.Value
		}
	}
	return nil
}

// Credential is an EduLedger verifiable credential (W3C VC Data Model 2.0). Build one with New,
// fill in the subject, and issue it with an Issuer; the issuer completes the issuer profile, the
// status and the proofs.
type Credential struct {
	Context     []string  `json:"@context"`
	ID          string    `json:"id"`
	Type        []string  `json:"type"`
	Name        Text      `json:"name,omitzero"`
	Description Text      `json:"description,omitzero"`
	Issuer      Profile   `json:"issuer"`
	ValidFrom   time.Time `json:"validFrom"`
	ValidUntil  time.Time `json:"validUntil,omitzero"`
	Subject     Subject   `json:"credentialSubject"`
	Status      *Status   `json:"credentialStatus,omitempty"`
	// Proof is the proof set as issued; nil before issuance.
	Proof []map[string]any `json:"proof,omitempty"`
}

// New starts a credential of type t for a learner: it sets the contexts, the types and the subject
// (the learner's DID and the subject type of t).
func New(t eduledger.CredentialType, learnerID string) *Credential {
	sh := shapeOf(t)
	return &Credential{
		Context: slices.Clone(sh.contexts),
		Type:    slices.Clone(sh.types),
		Subject: Subject{ID: eduledger.LearnerDID(learnerID), Type: []string{sh.subjectType}},
	}
}

// CredentialType returns the EduLedger type the credential's type list names.
func (c *Credential) CredentialType() (eduledger.CredentialType, bool) {
	return typeFromNames(c.Type)
}

func typeFromNames(names []string) (eduledger.CredentialType, bool) {
	var found eduledger.CredentialType
	n := 0
	for _, name := range names {
		if t, ok := strings.CutPrefix(name, "EduLedger"); ok && eduledger.CredentialType(t).Valid() {
			found = eduledger.CredentialType(t)
			n++
		}
	}
	return found, n == 1
}

// Profile is the issuer of a credential (an Open Badges Profile): its DID and name.
type Profile struct {
	ID   string   `json:"id"`
	Type []string `json:"type"`
	Name Text     `json:"name,omitzero"`
	// URL is the issuer's public web address, if any.
	URL string `json:"url,omitempty"`
}

// Subject is the credentialSubject. One struct serves every type; each type's schema says which
// fields it requires and allows:
//
//   - achievement types (diploma, degree, certificate, micro-credential, internship record,
//     training certificate): an Open Badges AchievementSubject — Achievement, Result,
//     CreditsEarned, activity dates, Term, Role, CertificateNumber;
//   - transcript: a CLR ClrSubject — Records (the courses, each an embedded achievement
//     credential) and the total CreditsEarned;
//   - identity card: LearnerID, Roles, the holder's keys and the portrait digest.
type Subject struct {
	ID   string   `json:"id,omitempty"`
	Type []string `json:"type"`

	Achievement       *Achievement `json:"achievement,omitempty"`
	Result            []Result     `json:"result,omitempty"`
	CreditsEarned     float64      `json:"creditsEarned,omitempty"`
	ActivityStartDate time.Time    `json:"activityStartDate,omitzero"`
	ActivityEndDate   time.Time    `json:"activityEndDate,omitzero"`
	Term              string       `json:"term,omitempty"`
	Role              string       `json:"role,omitempty"`
	// CertificateNumber is the number printed on a paper certificate (证书编号), if any.
	CertificateNumber string `json:"certificateNumber,omitempty"`

	Records []Record `json:"verifiableCredential,omitempty"`

	LearnerID string                  `json:"learnerId,omitempty"`
	Roles     []eduledger.LearnerRole `json:"roles,omitempty"`
	// PublicKeyMultibase is the holder's Ed25519 key (Multikey): presentations and holder
	// signatures are checked against it.
	PublicKeyMultibase string `json:"publicKeyMultibase,omitempty"`
	// KeyAgreementMultibase is the holder's X25519 key (Multikey) for encryption to the holder.
	KeyAgreementMultibase string `json:"keyAgreementMultibase,omitempty"`
	// PortraitHash is the lower-case hex SHA-256 of the portrait's bytes (the photo itself is never
	// in the credential).
	PortraitHash string `json:"portraitHash,omitempty"`
}

// Achievement is an Open Badges Achievement: what was achieved.
type Achievement struct {
	ID               string      `json:"id"`
	Type             []string    `json:"type"`
	AchievementType  string      `json:"achievementType"`
	Name             Text        `json:"name,omitzero"`
	Description      Text        `json:"description,omitzero"`
	Criteria         Criteria    `json:"criteria"`
	HumanCode        string      `json:"humanCode,omitempty"`
	FieldOfStudy     string      `json:"fieldOfStudy,omitempty"`
	Specialization   string      `json:"specialization,omitempty"`
	CreditsAvailable float64     `json:"creditsAvailable,omitempty"`
	Alignment        []Alignment `json:"alignment,omitempty"`
	InLanguage       string      `json:"inLanguage,omitempty"`
}

// Criteria says what earning an achievement takes.
type Criteria struct {
	ID        string `json:"id,omitempty"`
	Narrative Text   `json:"narrative,omitzero"`
}

// Alignment ties an achievement to a skill, competency or standard in a framework.
type Alignment struct {
	Type              []string `json:"type"`
	TargetName        string   `json:"targetName"`
	TargetURL         string   `json:"targetUrl"`
	TargetDescription string   `json:"targetDescription,omitempty"`
	TargetFramework   string   `json:"targetFramework,omitempty"`
	TargetCode        string   `json:"targetCode,omitempty"`
	TargetType        string   `json:"targetType,omitempty"`
}

// Result is an Open Badges Result: a grade, score or status.
type Result struct {
	Type          []string `json:"type"`
	Value         string   `json:"value,omitempty"`
	AchievedLevel string   `json:"achievedLevel,omitempty"`
	Status        string   `json:"status,omitempty"`
}

// Record is one course on a transcript: an embedded Open Badges achievement credential whose
// issuer, dates and proof are those of the enclosing transcript.
type Record struct {
	Type    []string `json:"type"`
	Subject Subject  `json:"credentialSubject"`
}

// NewRecord returns a course record for a transcript.
func NewRecord(course Achievement, results []Result, credits float64, term string) Record {
	return Record{
		Type: []string{TypeVerifiableCredential, TypeAchievementCredential},
		Subject: Subject{Type: []string{"AchievementSubject"}, Achievement: &course, Result: results,
			CreditsEarned: credits, Term: term},
	}
}

// Status points a verifier at the credential's status on the ledger: channel and chaincode, the
// credential ID, and whether it was anchored alone or in a batch (then the batch root is in its
// batch proof).
type Status struct {
	Type         string `json:"type"`
	Channel      string `json:"channel"`
	Chaincode    string `json:"chaincode"`
	CredentialID string `json:"credentialId"`
	Anchoring    string `json:"anchoring"`
}

// Anchoring modes.
const (
	AnchorSingle = "single"
	AnchorBatch  = "batch"
)
