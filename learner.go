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

// LearnerRole is a role a learner identity holds.
type LearnerRole string

// Learner roles.
const (
	RoleStudent  LearnerRole = "STUDENT"
	RoleTeacher  LearnerRole = "TEACHER"
	RoleGraduate LearnerRole = "GRADUATE"
	RoleLearner  LearnerRole = "LEARNER"
)

// Valid reports whether r is a known role.
func (r LearnerRole) Valid() bool {
	switch r {
	case RoleStudent, RoleTeacher, RoleGraduate, RoleLearner:
		return true
	}
	return false
}

// LearnerStatus is whether a learner identity is in use.
type LearnerStatus string

// Learner statuses.
const (
	LearnerActive    LearnerStatus = "ACTIVE"
	LearnerSuspended LearnerStatus = "SUSPENDED"
)

// Learner is the public, pseudonymous part of an education identity (一人一号). It holds nothing that
// identifies a person: names, ID numbers and photos are PersonalData, kept in the registering
// organisation's private data collection; the ledger keeps only a salted commitment to them and the
// SHA-256 of the portrait.
type Learner struct {
	ID                     string        `json:"id"`
	Roles                  []LearnerRole `json:"roles"`
	HolderKeys             []string      `json:"holderKeys,omitempty"`
	PersonalDataCommitment string        `json:"personalDataCommitment"`
	PortraitHash           string        `json:"portraitHash,omitempty"`
	RegisteredBy           string        `json:"registeredBy,omitempty"`
	Status                 LearnerStatus `json:"status,omitempty"`
	StatusReason           string        `json:"statusReason,omitempty"`
	RegisteredAt           time.Time     `json:"registeredAt,omitzero"`
	UpdatedAt              time.Time     `json:"updatedAt,omitzero"`
}

// Validate checks the fields a caller supplies when registering a learner. Holder keys are checked
// for form only here; the chaincode decodes them.
func (l *Learner) Validate() error {
	if !ValidLocalID(l.ID) {
		return Errorf(EINVALID, "id %q must be 1-128 letters, digits, '.', '_' or '-'", l.ID)
	}
	if err := ValidateRoles(l.Roles); err != nil {
		return err
	}
	if !ValidDigest(l.PersonalDataCommitment) {
		return Errorf(EINVALID, "personalDataCommitment must be a lower-case hex SHA-256")
	}
	if l.PortraitHash != "" && !ValidDigest(l.PortraitHash) {
		return Errorf(EINVALID, "portraitHash must be a lower-case hex SHA-256")
	}
	if len(l.HolderKeys) > 8 {
		return Errorf(EINVALID, "at most 8 holderKeys")
	}
	for i, k := range l.HolderKeys {
		if !strings.HasPrefix(k, "z") || len(k) > 4096 {
			return Errorf(EINVALID, "holderKeys[%d] must be a base58btc Multikey", i)
		}
	}
	return nil
}

// ValidateRoles checks a non-empty list of distinct known roles.
func ValidateRoles(roles []LearnerRole) error {
	if len(roles) == 0 {
		return Errorf(EINVALID, "roles must name at least one of STUDENT, TEACHER, GRADUATE, LEARNER")
	}
	for i, r := range roles {
		if !r.Valid() {
			return Errorf(EINVALID, "roles[%d] %q must be one of STUDENT, TEACHER, GRADUATE, LEARNER", i, r)
		}
		if slices.Index(roles, r) != i {
			return Errorf(EINVALID, "roles[%d] %q is repeated", i, r)
		}
	}
	return nil
}

// PersonalData is what identifies a learner. It travels to the chaincode only in the transient map
// (key TransientPersonalData) and is stored only in the registering organisation's private data
// collection.
type PersonalData struct {
	Name        string `json:"name"`
	NationalID  string `json:"nationalId"`
	DateOfBirth string `json:"dateOfBirth,omitempty"`
	PhotoRef    string `json:"photoRef,omitempty"`
	// Salt is 32 random bytes, hex; it keeps the commitment from being guessed from a name and an
	// ID number.
	Salt string `json:"salt"`
}

// TransientPersonalData is the transient-map key under which PersonalData travels.
const TransientPersonalData = "personal"

// Validate checks personal data for completeness and size.
func (p *PersonalData) Validate() error {
	switch {
	case strings.TrimSpace(p.Name) == "" || utf8.RuneCountInString(p.Name) > 200 || !utf8.ValidString(p.Name):
		return Errorf(EINVALID, "personal.name is required (at most 200 characters)")
	case strings.TrimSpace(p.NationalID) == "" || len(p.NationalID) > 64:
		return Errorf(EINVALID, "personal.nationalId is required (at most 64 characters)")
	case p.DateOfBirth != "" && !validDate(p.DateOfBirth):
		return Errorf(EINVALID, "personal.dateOfBirth must be a date written YYYY-MM-DD")
	case len(p.PhotoRef) > 512:
		return Errorf(EINVALID, "personal.photoRef must be at most 512 characters")
	}
	salt, err := hex.DecodeString(p.Salt)
	if err != nil || len(salt) != 32 {
		return Errorf(EINVALID, "personal.salt must be 32 bytes in hex")
	}
	return nil
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// Commitment returns the salted commitment to p that the ledger stores:
// hex(SHA-256("eduledger/personal-data/v1" || 0x00 || JSON(p))), where JSON(p) is the encoding/json
// form of p, fields in declaration order, salt included.
func (p *PersonalData) Commitment() string {
	b, _ := json.Marshal(p) // a struct of strings always marshals
	h := sha256.New()
	h.Write([]byte("eduledger/personal-data/v1\x00"))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}
