package issuance

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// typeDefaults are what a credential of each type is called, and the Open Badges achievement type
// it gets, when a request leaves them out.
var typeDefaults = map[eduledger.CredentialType]struct {
	name            credential.Text
	achievementType string
}{
	eduledger.TypeIdentityCard:        {credential.Text{Zh: "教育信息身份证", En: "Education Identity Card"}, ""},
	eduledger.TypeDiploma:             {credential.Text{Zh: "毕业证书", En: "Diploma"}, "Diploma"},
	eduledger.TypeDegree:              {credential.Text{Zh: "学位证书", En: "Degree Certificate"}, "Degree"},
	eduledger.TypeCertificate:         {credential.Text{Zh: "证书", En: "Certificate"}, "Certificate"},
	eduledger.TypeTranscript:          {credential.Text{Zh: "成绩单", En: "Transcript"}, ""},
	eduledger.TypeMicroCredential:     {credential.Text{Zh: "微证书", En: "Micro-credential"}, "MicroCredential"},
	eduledger.TypeInternshipRecord:    {credential.Text{Zh: "实习证明", En: "Internship Record"}, "ext:Internship"},
	eduledger.TypeTrainingCertificate: {credential.Text{Zh: "培训证书", En: "Training Certificate"}, "CertificateOfCompletion"},
}

// mergeRow returns row laid over the template: every member the row sets wins, down to the
// achievement's and each result's fields. Neither argument is modified.
func mergeRow(tmpl *Row, row Row) Row {
	if tmpl == nil {
		return row
	}
	out := *tmpl
	out.LearnerID = row.LearnerID
	mergeText(&out.Name, row.Name)
	mergeText(&out.Description, row.Description)
	if !row.ValidFrom.IsZero() {
		out.ValidFrom = row.ValidFrom
	}
	if !row.ValidUntil.IsZero() {
		out.ValidUntil = row.ValidUntil
	}
	out.Subject = mergeSubject(tmpl.Subject, row.Subject)
	return out
}

func mergeText(dst *credential.Text, src credential.Text) {
	if src.Zh != "" {
		dst.Zh = src.Zh
	}
	if src.En != "" {
		dst.En = src.En
	}
}

func set[T comparable](dst *T, src T) {
	var zero T
	if src != zero {
		*dst = src
	}
}

func mergeSubject(dst, src credential.Subject) credential.Subject {
	set(&dst.ID, src.ID)
	if src.Type != nil {
		dst.Type = src.Type
	}
	if src.Achievement != nil {
		var a credential.Achievement
		if dst.Achievement != nil {
			a = *dst.Achievement
		}
		set(&a.ID, src.Achievement.ID)
		if src.Achievement.Type != nil {
			a.Type = src.Achievement.Type
		}
		set(&a.AchievementType, src.Achievement.AchievementType)
		mergeText(&a.Name, src.Achievement.Name)
		mergeText(&a.Description, src.Achievement.Description)
		set(&a.Criteria.ID, src.Achievement.Criteria.ID)
		mergeText(&a.Criteria.Narrative, src.Achievement.Criteria.Narrative)
		set(&a.HumanCode, src.Achievement.HumanCode)
		set(&a.FieldOfStudy, src.Achievement.FieldOfStudy)
		set(&a.Specialization, src.Achievement.Specialization)
		set(&a.CreditsAvailable, src.Achievement.CreditsAvailable)
		if len(src.Achievement.Alignment) > 0 {
			a.Alignment = src.Achievement.Alignment
		}
		set(&a.InLanguage, src.Achievement.InLanguage)
		dst.Achievement = &a
	}
	if len(src.Result) > 0 {
		res := slices.Clone(dst.Result)
		for i, r := range src.Result {
			if i >= len(res) {
				res = append(res, r)
				continue
			}
			if r.Type != nil {
				res[i].Type = r.Type
			}
			set(&res[i].Value, r.Value)
			set(&res[i].AchievedLevel, r.AchievedLevel)
			set(&res[i].Status, r.Status)
		}
		dst.Result = res
	}
	set(&dst.CreditsEarned, src.CreditsEarned)
	if !src.ActivityStartDate.IsZero() {
		dst.ActivityStartDate = src.ActivityStartDate
	}
	if !src.ActivityEndDate.IsZero() {
		dst.ActivityEndDate = src.ActivityEndDate
	}
	set(&dst.Term, src.Term)
	set(&dst.Role, src.Role)
	set(&dst.CertificateNumber, src.CertificateNumber)
	if len(src.Records) > 0 {
		dst.Records = src.Records
	}
	set(&dst.LearnerID, src.LearnerID)
	if src.Roles != nil {
		dst.Roles = src.Roles
	}
	set(&dst.PublicKeyMultibase, src.PublicKeyMultibase)
	set(&dst.KeyAgreementMultibase, src.KeyAgreementMultibase)
	set(&dst.PortraitHash, src.PortraitHash)
	return dst
}

// buildCredential turns a row (already merged with its template) into an unsigned credential of
// type t from org, filling the defaults a registrar should not have to type: the credential's
// name, the achievement's type, ID and criteria, and the Open Badges "type" members. Errors name
// the row's members as JSON pointers.
func buildCredential(org *eduledger.Organization, t eduledger.CredentialType, r Row) (*credential.Credential, []RowError) {
	var errs []RowError
	if r.LearnerID == "" {
		return nil, []RowError{{Column: "/learnerId", Message: "is required"}}
	}
	if !eduledger.ValidLocalID(r.LearnerID) {
		return nil, []RowError{{Column: "/learnerId", Message: fmt.Sprintf("%q is not a learner ID (1-128 letters, digits, '.', '_' or '-')", truncate(r.LearnerID, 140))}}
	}
	c := credential.New(t, r.LearnerID)
	if r.Subject.ID != "" && r.Subject.ID != c.Subject.ID {
		errs = append(errs, RowError{Column: "/subject/id", Message: fmt.Sprintf("must be left out or be %s, the learner's DID", c.Subject.ID)})
	}
	if r.Subject.Type != nil && !slices.Equal(r.Subject.Type, c.Subject.Type) {
		errs = append(errs, RowError{Column: "/subject/type", Message: fmt.Sprintf("must be left out or be %q for a %s", c.Subject.Type, t)})
	}
	def := typeDefaults[t]
	c.Name = r.Name
	if c.Name.IsZero() {
		c.Name = def.name
	}
	c.Description = r.Description
	c.ValidFrom, c.ValidUntil = r.ValidFrom, r.ValidUntil
	if !c.ValidUntil.IsZero() && !c.ValidFrom.IsZero() && !c.ValidUntil.After(c.ValidFrom) {
		errs = append(errs, RowError{Column: "/validUntil", Message: "must be after validFrom"})
	}
	s := r.Subject
	s.ID, s.Type = c.Subject.ID, c.Subject.Type
	if s.Achievement != nil || def.achievementType != "" {
		var a credential.Achievement
		if s.Achievement != nil {
			a = *s.Achievement
		}
		fillAchievement(&a, org, t, def.achievementType)
		s.Achievement = &a
	}
	s.Result = resultTypes(s.Result)
	if len(s.Records) > 0 {
		recs := slices.Clone(s.Records)
		for i := range recs {
			if recs[i].Type == nil {
				recs[i].Type = []string{credential.TypeVerifiableCredential, credential.TypeAchievementCredential}
			}
			if recs[i].Subject.Type == nil {
				recs[i].Subject.Type = []string{"AchievementSubject"}
			}
			if recs[i].Subject.Achievement != nil {
				a := *recs[i].Subject.Achievement
				fillAchievement(&a, org, t, "Course")
				recs[i].Subject.Achievement = &a
			}
			recs[i].Subject.Result = resultTypes(recs[i].Subject.Result)
		}
		s.Records = recs
	}
	if !s.ActivityStartDate.IsZero() && !s.ActivityEndDate.IsZero() && s.ActivityEndDate.Before(s.ActivityStartDate) {
		errs = append(errs, RowError{Column: "/subject/activityEndDate", Message: "must not be before activityStartDate"})
	}
	c.Subject = s
	return c, errs
}

func fillAchievement(a *credential.Achievement, org *eduledger.Organization, t eduledger.CredentialType, achievementType string) {
	if a.Type == nil {
		a.Type = []string{"Achievement"}
	}
	if a.AchievementType == "" {
		a.AchievementType = achievementType
	}
	if a.ID == "" && !a.Name.IsZero() {
		// The same programme always gets the same ID, so verifiers can group its holders.
		h := sha256.Sum256([]byte(string(t) + "\x00" + a.AchievementType + "\x00" + a.Name.Zh + "\x00" + a.Name.En + "\x00" + a.FieldOfStudy))
		a.ID = "urn:eduledger:achievement:" + org.ID + ":" + hex.EncodeToString(h[:8])
	}
	if a.Criteria.ID == "" && a.Criteria.Narrative.IsZero() {
		a.Criteria.Narrative = credential.Text{Zh: "依据" + org.Name.Zh + "的规定授予", En: "Conferred by " + org.Name.En + " under its regulations"}
	}
	if len(a.Alignment) > 0 {
		al := slices.Clone(a.Alignment)
		for i := range al {
			if al[i].Type == nil {
				al[i].Type = []string{"Alignment"}
			}
		}
		a.Alignment = al
	}
}

func resultTypes(rs []credential.Result) []credential.Result {
	if len(rs) == 0 {
		return rs
	}
	rs = slices.Clone(rs)
	for i := range rs {
		if rs[i].Type == nil {
			rs[i].Type = []string{"Result"}
		}
	}
	return rs
}

// placeholderID stands in for the credential ID while a row is checked, before it has one.
const placeholderID = "urn:uuid:00000000-0000-4000-8000-000000000000"

// checker checks unsigned credentials against their type's JSON Schema exactly as the issuer will
// when it signs them, so that a bulk job can refuse every bad row before it signs any.
type checker struct {
	schemas   *credential.Schemas
	channel   string
	chaincode string
}

// check completes c as the issuer of org would (issuer profile, status, validity start) and
// validates it. Errors name the row's members as JSON pointers.
func (ck *checker) check(org *eduledger.Organization, t eduledger.CredentialType, c *credential.Credential, now time.Time) []RowError {
	cc := *c
	if cc.ID == "" {
		cc.ID = placeholderID
	}
	cc.Issuer = profileOf(org)
	if cc.ValidFrom.IsZero() {
		cc.ValidFrom = now
	}
	cc.ValidFrom = cc.ValidFrom.UTC().Truncate(time.Second)
	if !cc.ValidUntil.IsZero() {
		cc.ValidUntil = cc.ValidUntil.UTC().Truncate(time.Second)
		if !cc.ValidUntil.After(cc.ValidFrom) {
			return []RowError{{Column: "/validUntil", Message: "must be after validFrom (the issuance time when validFrom is left out)"}}
		}
	}
	cc.Status = &credential.Status{Type: credential.StatusType, Channel: ck.channel, Chaincode: ck.chaincode,
		CredentialID: cc.ID, Anchoring: credential.AnchorBatch}
	err := ck.schemas.ValidateCredential(t, &cc, jsoncanon.Limits{MaxBytes: credential.DefaultMaxBytes, MaxDepth: credential.DefaultMaxDepth})
	var (
		se *credential.SchemaError
		je *jsoncanon.Error
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return schemaRowErrors(err)
	case errors.As(err, &je):
		return []RowError{{Message: "is too large or too deeply nested: " + err.Error()}}
	}
	return []RowError{{Message: "cannot be encoded: " + err.Error()}}
}

// schemaRowErrors turns a schema violation into row errors naming the request's members.
func schemaRowErrors(err error) []RowError {
	var se *credential.SchemaError
	if !errors.As(err, &se) {
		return []RowError{{Message: eduledger.ErrorMessage(err)}}
	}
	out := make([]RowError, 0, len(se.Fields))
	for _, f := range se.Fields {
		path, problem := f.Field, f.Problem
		if m := missingProperty.FindStringSubmatch(problem); m != nil {
			path = strings.TrimPrefix(path+"."+m[1], ".")
			problem = "is required"
		}
		out = append(out, RowError{Column: requestPointer(path), Message: problem})
	}
	return out
}

var missingProperty = regexp.MustCompile(`^missing propert(?:y|ies) '([^']+)'`)

// requestPointer maps a credential's JSON path ("credentialSubject.result[0].value") to the JSON
// pointer of the request member that sets it ("/subject/result/0/value").
func requestPointer(path string) string {
	if path == "" {
		return ""
	}
	if rest, ok := strings.CutPrefix(path, "credentialSubject"); ok {
		path = "subject" + rest
	}
	var b strings.Builder
	for _, part := range strings.Split(path, ".") {
		name, idx, _ := strings.Cut(part, "[")
		b.WriteString("/" + name)
		for idx != "" {
			n, rest, _ := strings.Cut(idx, "]")
			b.WriteString("/" + n)
			idx = strings.TrimPrefix(rest, "[")
		}
	}
	return b.String()
}

// csvColumnOf maps a row member's JSON pointer to the CSV column that sets it, or, when no column
// does (the template sets it), to "template " and the pointer.
func csvColumnOf(pointer string) string {
	name := strings.TrimPrefix(pointer, "/subject")
	name = strings.TrimPrefix(name, "/")
	var parts []string
	for _, p := range strings.Split(name, "/") {
		if p != "" && strings.Trim(p, "0123456789") == "" {
			continue // array index: a CSV row has one result
		}
		parts = append(parts, p)
	}
	col := strings.Join(parts, ".")
	if _, ok := csvColumnsByName[strings.ToLower(col)]; ok {
		return csvColumns[csvColumnsByName[strings.ToLower(col)]].name
	}
	for _, lang := range []string{".zh", ".en"} {
		if i, ok := csvColumnsByName[strings.ToLower(col+lang)]; ok {
			return strings.TrimSuffix(csvColumns[i].name, lang)
		}
	}
	if pointer == "" {
		return ""
	}
	return "template " + pointer
}

// profileOf is the issuer profile credentials of org carry.
func profileOf(org *eduledger.Organization) credential.Profile {
	return credential.Profile{ID: eduledger.OrgDID(org.ID), Type: []string{"Profile"},
		Name: credential.Text{Zh: org.Name.Zh, En: org.Name.En}}
}
