package eduledger

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// RecordKind is the kind of learning outcome a learning record describes.
type RecordKind string

// Kinds of learning record.
const (
	// RecordCourse is a course completed.
	RecordCourse RecordKind = "COURSE"
	// RecordExam is an exam passed.
	RecordExam RecordKind = "EXAM"
	// RecordPractice is a period of practice or an internship.
	RecordPractice RecordKind = "PRACTICE"
	// RecordAward is an award or a competition prize.
	RecordAward RecordKind = "AWARD"
	// RecordTraining is a training course.
	RecordTraining RecordKind = "TRAINING"
)

// RecordKinds lists every kind of learning record, in a fixed order.
var RecordKinds = []RecordKind{RecordCourse, RecordExam, RecordPractice, RecordAward, RecordTraining}

// Valid reports whether k is a known kind.
func (k RecordKind) Valid() bool { return slices.Contains(RecordKinds, k) }

// AccreditationType returns the credential type whose accreditation lets an organisation record
// outcomes of kind k: a course completion is a transcript entry, an exam result or an award is a
// certificate, practice is an internship record, training is a training certificate. It returns ""
// for an unknown kind.
func (k RecordKind) AccreditationType() CredentialType {
	switch k {
	case RecordCourse:
		return TypeTranscript
	case RecordExam, RecordAward:
		return TypeCertificate
	case RecordPractice:
		return TypeInternshipRecord
	case RecordTraining:
		return TypeTrainingCertificate
	}
	return ""
}

// RecordStatus is the status of a learning record.
type RecordStatus string

// Learning record statuses. A record is ACTIVE from the moment it is recorded; REVOKED is final.
const (
	RecordActive  RecordStatus = "ACTIVE"
	RecordRevoked RecordStatus = "REVOKED"
)

// Bounds of the public summary of a learning record.
const (
	// MinLevel and MaxLevel bound qualification-framework levels (1 = entry level … 8 = doctorate).
	MinLevel = 1
	MaxLevel = 8
	// MaxHours bounds the study hours of one learning outcome.
	MaxHours = 100000
)

// earliestOutcome is the earliest date a learning outcome may carry.
var earliestOutcome = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// LearningRecord is the public summary of one learning outcome in a learner's lifelong archive
// (一生一码): what kind of outcome, when, from which issuer, at which level in which field, and the
// digest of the full record. The full record (LearningRecordDetail: result, assessment, evidence)
// stays in the issuer's private data collection; the summary never holds personal data.
type LearningRecord struct {
	ID        string     `json:"id"`
	LearnerID string     `json:"learnerId"`
	IssuerID  string     `json:"issuerId"`
	Kind      RecordKind `json:"kind"`
	// Title names the course, exam, placement, award or training.
	Title Name `json:"title"`
	// Code is the issuer's code for it (course, exam or programme code), if any. Conversion rules
	// may name it.
	Code  string `json:"code,omitempty"`
	Field string `json:"field"`
	Level int    `json:"level"`
	// Hours is the study time, if the outcome has one; conversion rules may count by it.
	Hours int `json:"hours,omitempty"`
	// CreditsClaimed is what the issuer says the outcome is worth, in thousandths of a credit. It
	// is informational: a deposit's amount comes from a conversion rule.
	CreditsClaimed int64 `json:"creditsClaimed,omitempty"`
	// Date is when the outcome was achieved: it orders the archive and decides which conversion
	// rule applies.
	Date time.Time `json:"date"`
	// Digest is LearningRecordDetail.Digest of the full record.
	Digest          string       `json:"digest"`
	Status          RecordStatus `json:"status,omitempty"`
	StatusReason    string       `json:"statusReason,omitempty"`
	StatusChangedAt time.Time    `json:"statusChangedAt,omitzero"`
	RecordedAt      time.Time    `json:"recordedAt,omitzero"`
	TxID            string       `json:"txId,omitempty"`
}

// Validate checks the fields a caller supplies when recording a learning outcome.
func (r *LearningRecord) Validate() error {
	switch {
	case !ValidCredentialID(r.ID):
		return Errorf(EINVALID, "id %.70q is not a valid record ID (3-200 characters, e.g. urn:uuid:…)", r.ID)
	case !ValidLocalID(r.LearnerID):
		return Errorf(EINVALID, "learnerId %.70q is not a valid learner ID", r.LearnerID)
	case !ValidOrgID(r.IssuerID):
		return Errorf(EINVALID, "issuerId %.70q is not a valid organisation ID", r.IssuerID)
	case !r.Kind.Valid():
		return Errorf(EINVALID, "kind %.70q must be one of COURSE, EXAM, PRACTICE, AWARD, TRAINING", string(r.Kind))
	case r.Code != "" && !ValidLocalID(r.Code):
		return Errorf(EINVALID, "code %.70q must be 1-128 letters, digits, '.', '_' or '-'", r.Code)
	case !ValidField(r.Field):
		return Errorf(EINVALID, "field %.70q must be 1-64 lower-case letters, digits, '.' or '-'", r.Field)
	case r.Level < MinLevel || r.Level > MaxLevel:
		return Errorf(EINVALID, "level must be between %d and %d", MinLevel, MaxLevel)
	case r.Hours < 0 || r.Hours > MaxHours:
		return Errorf(EINVALID, "hours must be between 0 and %d", MaxHours)
	case r.CreditsClaimed < 0 || r.CreditsClaimed > MaxCredits:
		return Errorf(EINVALID, "creditsClaimed must be between 0 and %s credits", FormatCredits(MaxCredits))
	case r.Date.Before(earliestOutcome):
		return Errorf(EINVALID, "date is required and must not be before 1900")
	case !ValidDigest(r.Digest):
		return Errorf(EINVALID, "digest must be a lower-case hex SHA-256")
	}
	return r.Title.validate("title")
}

// LearningRecordDetail is the full record of a learning outcome, kept only in the private data
// collection of the issuer's MSP. It travels to the chaincode in the transient map under
// TransientRecordDetail; the ledger keeps only its Digest, so that a learner can later show it to a
// verifier who checks it against the ledger. It may hold personal data (a grade is personal).
type LearningRecordDetail struct {
	RecordID  string `json:"recordId"`
	LearnerID string `json:"learnerId"`
	// Result is the grade, score or pass mark ("A", "92/100", "pass").
	Result string `json:"result,omitempty"`
	// Assessment says how the outcome was assessed.
	Assessment string `json:"assessment,omitempty"`
	// Evidence lists references to evidence the issuer keeps (URLs, archive numbers).
	Evidence []string `json:"evidence,omitempty"`
	Notes    string   `json:"notes,omitempty"`
	// Salt is 32 random bytes, hex; it keeps the digest from being guessed from a likely result.
	Salt string `json:"salt"`
}

// TransientRecordDetail is the transient-map key under which a LearningRecordDetail travels.
const TransientRecordDetail = "record"

// Validate checks a full record for completeness and size.
func (d *LearningRecordDetail) Validate() error {
	switch {
	case !ValidCredentialID(d.RecordID):
		return Errorf(EINVALID, "record detail: recordId is not a valid record ID")
	case !ValidLocalID(d.LearnerID):
		return Errorf(EINVALID, "record detail: learnerId is not a valid learner ID")
	case !validText(d.Result, 200) || !validText(d.Assessment, 2000) || !validText(d.Notes, 4000):
		return Errorf(EINVALID, "record detail: result, assessment and notes must be valid UTF-8 of at most 200, 2000 and 4000 characters")
	case len(d.Evidence) > 32:
		return Errorf(EINVALID, "record detail: at most 32 evidence references")
	}
	for i, e := range d.Evidence {
		if strings.TrimSpace(e) == "" || !validText(e, 1000) {
			return Errorf(EINVALID, "record detail: evidence[%d] must be valid UTF-8 of 1 to 1000 characters", i)
		}
	}
	salt, err := hex.DecodeString(d.Salt)
	if err != nil || len(salt) != 32 {
		return Errorf(EINVALID, "record detail: salt must be 32 bytes in hex")
	}
	return nil
}

// Digest returns the digest of the full record that the ledger stores:
// hex(SHA-256("eduledger/learning-record/v1" || 0x00 || JSON(d))), where JSON(d) is the
// encoding/json form of d, fields in declaration order, salt included.
func (d *LearningRecordDetail) Digest() string {
	b, _ := json.Marshal(d) // strings and a string slice always marshal
	h := sha256.New()
	h.Write([]byte("eduledger/learning-record/v1\x00"))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// ArchiveItem is one entry of a learner's lifelong archive: a learning record or a credential
// anchored to the learner, at the time of the outcome (a record's Date, a credential's IssuedAt).
// Exactly one of Record and Credential is set.
type ArchiveItem struct {
	At         time.Time         `json:"at"`
	Record     *LearningRecord   `json:"record,omitempty"`
	Credential *CredentialAnchor `json:"credential,omitempty"`
}

// ValidField reports whether f is a well-formed field-of-study code: 1 to 64 lower-case letters,
// digits, '.' and '-', starting with a letter or digit ("computer-networks", "0812").
func ValidField(f string) bool {
	if len(f) < 1 || len(f) > 64 {
		return false
	}
	return matches(f, isLowerAlnum, func(c byte) bool { return isLowerAlnum(c) || c == '.' || c == '-' })
}

func validText(s string, max int) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= max
}
