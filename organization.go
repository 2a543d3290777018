package eduledger

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// OrgKind is what an organisation is. It decides which transactions its staff may submit.
type OrgKind string

// Organisation kinds.
const (
	KindGovernment OrgKind = "GOVERNMENT"
	KindSchool     OrgKind = "SCHOOL"
	KindEnterprise OrgKind = "ENTERPRISE"
	KindTraining   OrgKind = "TRAINING"
)

// Valid reports whether k is a known kind.
func (k OrgKind) Valid() bool {
	switch k {
	case KindGovernment, KindSchool, KindEnterprise, KindTraining:
		return true
	}
	return false
}

// OrgStatus is whether an organisation may act.
type OrgStatus string

// Organisation statuses.
const (
	OrgActive    OrgStatus = "ACTIVE"
	OrgSuspended OrgStatus = "SUSPENDED"
)

// Name is a name in Chinese and English. Both are required for organisations: every page and
// certificate is bilingual.
type Name struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

func (n Name) validate(field string) error {
	// A slice, not a map: the chaincode returns this message, and endorsers must agree on it.
	for _, f := range []struct{ lang, v string }{{"zh", n.Zh}, {"en", n.En}} {
		if strings.TrimSpace(f.v) == "" {
			return Errorf(EINVALID, "%s.%s is required", field, f.lang)
		}
		if !utf8.ValidString(f.v) || utf8.RuneCountInString(f.v) > 200 {
			return Errorf(EINVALID, "%s.%s must be valid UTF-8 of at most 200 characters", field, f.lang)
		}
	}
	return nil
}

// Organization is a body registered on the ledger: the education bureau, a school, an enterprise, a
// training provider. It is hosted by a Fabric member organisation (MSPID) whose CA issues its staff
// certificates; several organisations may share one MSP.
type Organization struct {
	ID           string    `json:"id"`
	MSPID        string    `json:"mspId"`
	Kind         OrgKind   `json:"kind"`
	Name         Name      `json:"name"`
	RegionCode   string    `json:"regionCode"`
	Status       OrgStatus `json:"status,omitempty"`
	StatusReason string    `json:"statusReason,omitempty"`
	AdmittedAt   time.Time `json:"admittedAt,omitzero"`
	UpdatedAt    time.Time `json:"updatedAt,omitzero"`
}

// Validate checks the fields a caller supplies when admitting or updating an organisation.
func (o *Organization) Validate() error {
	switch {
	case !ValidOrgID(o.ID):
		return Errorf(EINVALID, "id %q must be 3-64 lower-case letters, digits or hyphens", o.ID)
	case !ValidMSPID(o.MSPID):
		return Errorf(EINVALID, "mspId %q is not a valid MSP ID", o.MSPID)
	case !o.Kind.Valid():
		return Errorf(EINVALID, "kind %q must be one of GOVERNMENT, SCHOOL, ENTERPRISE, TRAINING", o.Kind)
	case !ValidRegionCode(o.RegionCode):
		return Errorf(EINVALID, "regionCode %q must be a six-digit division code", o.RegionCode)
	}
	return o.Name.validate("name")
}

// CredentialType names a kind of credential an organisation may be accredited to issue.
type CredentialType string

// Credential types.
const (
	TypeIdentityCard        CredentialType = "IdentityCard"
	TypeDiploma             CredentialType = "Diploma"
	TypeDegree              CredentialType = "Degree"
	TypeCertificate         CredentialType = "Certificate"
	TypeTranscript          CredentialType = "Transcript"
	TypeMicroCredential     CredentialType = "MicroCredential"
	TypeInternshipRecord    CredentialType = "InternshipRecord"
	TypeTrainingCertificate CredentialType = "TrainingCertificate"
)

// CredentialTypes lists every credential type, in a fixed order.
var CredentialTypes = []CredentialType{
	TypeIdentityCard, TypeDiploma, TypeDegree, TypeCertificate, TypeTranscript,
	TypeMicroCredential, TypeInternshipRecord, TypeTrainingCertificate,
}

// Valid reports whether t is a known credential type.
func (t CredentialType) Valid() bool { return slices.Contains(CredentialTypes, t) }

// Accreditation is the right, granted by the governing organisation, for one organisation to issue
// one credential type between ValidFrom and ValidUntil. Withdrawing it ends it at WithdrawnAt
// without erasing the fact that it held before.
type Accreditation struct {
	ID              string         `json:"id"`
	OrgID           string         `json:"orgId"`
	CredentialType  CredentialType `json:"credentialType"`
	ValidFrom       time.Time      `json:"validFrom"`
	ValidUntil      time.Time      `json:"validUntil,omitzero"`
	GrantedAt       time.Time      `json:"grantedAt,omitzero"`
	GrantedBy       string         `json:"grantedBy,omitempty"`
	WithdrawnAt     time.Time      `json:"withdrawnAt,omitzero"`
	WithdrawnReason string         `json:"withdrawnReason,omitempty"`
}

// Validate checks the fields a caller supplies when granting an accreditation.
func (a *Accreditation) Validate() error {
	switch {
	case !ValidOrgID(a.OrgID):
		return Errorf(EINVALID, "orgId %q is not a valid organisation ID", a.OrgID)
	case !a.CredentialType.Valid():
		return Errorf(EINVALID, "credentialType %q is not a known credential type", a.CredentialType)
	case a.ValidFrom.IsZero():
		return Errorf(EINVALID, "validFrom is required")
	case !a.ValidUntil.IsZero() && !a.ValidUntil.After(a.ValidFrom):
		return Errorf(EINVALID, "validUntil must be after validFrom")
	}
	return nil
}

// CoversAt reports whether the accreditation was in force at t: within its validity window and not
// yet withdrawn.
func (a *Accreditation) CoversAt(t time.Time) bool {
	if t.Before(a.ValidFrom) {
		return false
	}
	if !a.ValidUntil.IsZero() && !t.Before(a.ValidUntil) {
		return false
	}
	if !a.WithdrawnAt.IsZero() && !t.Before(a.WithdrawnAt) {
		return false
	}
	return true
}

// OrganizationUpdate changes the names and region of a registered organisation. Its MSP and kind
// never change: an organisation that moves to another node or becomes another kind is a new
// organisation.
type OrganizationUpdate struct {
	ID         string `json:"id"`
	Name       Name   `json:"name"`
	RegionCode string `json:"regionCode"`
}

// Validate checks an update request.
func (u *OrganizationUpdate) Validate() error {
	switch {
	case !ValidOrgID(u.ID):
		return Errorf(EINVALID, "id %q must be 3-64 lower-case letters, digits or hyphens", u.ID)
	case !ValidRegionCode(u.RegionCode):
		return Errorf(EINVALID, "regionCode %q must be a six-digit division code", u.RegionCode)
	}
	return u.Name.validate("name")
}

// AccreditationCheck answers whether organisation OrgID was accredited to issue CredentialType at
// time At. When it was, Accreditation is the accreditation in force.
type AccreditationCheck struct {
	OrgID          string         `json:"orgId"`
	CredentialType CredentialType `json:"credentialType"`
	At             time.Time      `json:"at"`
	Accredited     bool           `json:"accredited"`
	Accreditation  *Accreditation `json:"accreditation,omitempty"`
}
