package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/devnet"
)

// person is a learner the demo registers.
type person struct {
	zh, en, nationalID, born string
	learner                  *eduledger.Learner
}

func (s *story) tell() error {
	const (
		bureau    = devnet.Bureau
		riverside = devnet.Riverside
		lakeside  = devnet.Lakeside
		acme      = devnet.Acme
	)
	run := s.res.RunID

	s.printf("Governance — the education bureau admits and accredits\n")
	if err := s.step("the bureau governs, the demo organisations are admitted and accredited", func() (string, error) {
		rep, err := devnet.Bootstrap(s.ctx, s.cfg.Connector)
		if err != nil {
			return "", err
		}
		if rep.Initialised || len(rep.Admitted) > 0 || rep.Accreditations > 0 {
			return fmt.Sprintf("initialised=%v, admitted %d organisations, granted %d accreditations", rep.Initialised, len(rep.Admitted), rep.Accreditations), nil
		}
		return "already in place", nil
	}); err != nil {
		return err
	}

	s.printf("\nKeys — schools publish their signing keys on the ledger\n")
	s.issuers = map[string]*credential.Issuer{}
	for _, org := range []string{riverside, lakeside} {
		if err := s.step(org+" registers an Ed25519 and an ML-DSA-44 key", func() (string, error) {
			is, err := s.issuerKeys(org)
			if err != nil {
				return "", err
			}
			s.issuers[org] = is
			return "demo-" + run + "-ed, demo-" + run + "-pq", nil
		}); err != nil {
			return err
		}
	}
	if len(s.issuers) < 2 {
		return nil // nothing further can be shown without keys; the failure is reported
	}
	reader, err := s.as(bureau, eduledger.StaffIssuer)
	if err != nil {
		return err
	}
	if s.verify, err = credential.NewVerifier(ledgerKeys{reader}); err != nil {
		return err
	}

	s.printf("\nLearners — the registrar registers students; personal data stays private\n")
	rivReg, err := s.as(riverside, eduledger.StaffRegistrar)
	if err != nil {
		return err
	}
	people := []*person{
		{zh: "欧阳娜", en: "Ouyang Na", nationalID: "310104200409120029", born: "2004-09-12"},
		{zh: "陈杰", en: "Chen Jie", nationalID: "310115200311230518", born: "2003-11-23"},
	}
	for i, p := range people {
		if err := s.step(fmt.Sprintf("riverside-university registers %s (%s)", p.en, p.zh), func() (string, error) {
			l, err := s.register(rivReg, fmt.Sprintf("R%s%03d", run, i+1), p)
			if err != nil {
				return "", err
			}
			p.learner = l
			return "learner " + l.ID + ", public record holds only commitment " + l.PersonalDataCommitment[:12] + "…", nil
		}); err != nil {
			return err
		}
	}
	if people[0].learner == nil || people[1].learner == nil {
		return nil
	}
	if err := s.step("the public learner record reveals no name or ID number", func() (string, error) {
		l, err := reader.GetLearner(s.ctx, people[0].learner.ID)
		if err != nil {
			return "", err
		}
		b, _ := json.Marshal(l)
		for _, secret := range []string{people[0].zh, people[0].en, people[0].nationalID, people[0].born} {
			if bytes.Contains(b, []byte(secret)) {
				return "", fmt.Errorf("the public record contains %q", secret)
			}
		}
		p, err := rivReg.GetPersonalData(s.ctx, l.ID)
		if err != nil {
			return "", err
		}
		if p.Commitment() != l.PersonalDataCommitment {
			return "", fmt.Errorf("the private data does not match the public commitment")
		}
		return "the registering school reads it back from its private collection; it matches the commitment", nil
	}); err != nil {
		return err
	}

	s.printf("\nIssuance — a diploma and a degree, anchored one by one\n")
	ouyang := people[0].learner.ID
	var diploma, degree *credential.Issued
	if err := s.step("riverside-university issues Ouyang Na's diploma", func() (string, error) {
		var err error
		diploma, err = s.issueAndAnchor(riverside, s.diploma(riverside, ouyang, 1))
		if err != nil {
			return "", err
		}
		return diploma.ID + ", digest " + diploma.Digest[:16] + "…", nil
	}); err != nil {
		return err
	}
	if err := s.step("riverside-university issues Ouyang Na's bachelor's degree", func() (string, error) {
		var err error
		degree, err = s.issueAndAnchor(riverside, s.degree(riverside, ouyang))
		if err != nil {
			return "", err
		}
		return degree.ID, nil
	}); err != nil {
		return err
	}
	if diploma == nil || degree == nil {
		return nil
	}
	if err := s.step("an employer verifies the diploma: proofs, registered key, anchored digest, ACTIVE", func() (string, error) {
		return s.checkSingle(diploma.JSON, eduledger.StatusActive)
	}); err != nil {
		return err
	}
	if err := s.step("a forged copy of the diploma (one character changed) fails verification", func() (string, error) {
		forged := bytes.Replace(diploma.JSON, []byte("162.5"), []byte("182.5"), 1)
		if bytes.Equal(forged, diploma.JSON) {
			return "", fmt.Errorf("the demo diploma has no credit total to forge")
		}
		rep := s.verify.Verify(s.ctx, forged)
		if rep.Verified {
			return "", fmt.Errorf("the forged diploma verified")
		}
		return "failed: " + failedChecks(rep), nil
	}); err != nil {
		return err
	}

	s.printf("\nA graduating class — %d diplomas under one Merkle root, one ledger transaction\n", s.cfg.BatchSize)
	lakeReg, err := s.as(lakeside, eduledger.StaffRegistrar)
	if err != nil {
		return err
	}
	var class []string
	if err := s.step(fmt.Sprintf("lakeside-college registers its %d graduates", s.cfg.BatchSize), func() (string, error) {
		for i := range s.cfg.BatchSize {
			p := &person{zh: fmt.Sprintf("毕业生%03d", i+1), en: fmt.Sprintf("Graduate %03d", i+1),
				nationalID: fmt.Sprintf("3101152004%08d", i+1), born: "2004-01-01"}
			l, err := s.register(lakeReg, fmt.Sprintf("K%s%03d", run, i+1), p)
			if err != nil {
				return "", fmt.Errorf("graduate %d: %w", i+1, err)
			}
			class = append(class, l.ID)
		}
		return "", nil
	}); err != nil {
		return err
	}
	var batch *credential.Batch
	if err := s.step("lakeside-college issues the class's diplomas as one batch and anchors its root", func() (string, error) {
		start := time.Now()
		cs := make([]*credential.Credential, len(class))
		for i, id := range class {
			cs[i] = s.diploma(lakeside, id, i+1)
		}
		b, err := s.issuers[lakeside].IssueBatch(s.ctx, cs)
		if err != nil {
			return "", err
		}
		iss, err := s.as(lakeside, eduledger.StaffIssuer)
		if err != nil {
			return "", err
		}
		a := b.Anchor()
		if _, err := iss.AnchorBatch(s.ctx, &a); err != nil {
			return "", err
		}
		batch = b
		for i := range b.Len() {
			data, err := b.Credential(i)
			if err != nil {
				return "", err
			}
			if err := s.save(fmt.Sprintf("lakeside-diploma-%03d.json", i+1), data); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("root %s…, %d credentials in %s", b.Root()[:16], b.Len(), since(start)), nil
	}); err != nil {
		return err
	}
	if batch == nil {
		return nil
	}
	if err := s.step("an employer verifies graduate 7's diploma by its Merkle proof to the anchored root", func() (string, error) {
		data, err := batch.Credential(6)
		if err != nil {
			return "", err
		}
		return s.checkBatch(data, batch.Root(), eduledger.StatusActive)
	}); err != nil {
		return err
	}
	if err := s.step("a diploma from this batch cannot pass as one from another batch", func() (string, error) {
		data, _ := batch.Credential(6)
		other := strings.Repeat("ab", 32)
		swapped := bytes.ReplaceAll(data, []byte(batch.Root()), []byte(other))
		if rep := s.verify.Verify(s.ctx, swapped); rep.Verified {
			return "", fmt.Errorf("a credential claiming another batch root verified")
		}
		return "its Merkle proof and batch signature no longer hold", nil
	}); err != nil {
		return err
	}

	s.printf("\nStatus — suspend, reinstate, revoke\n")
	if err := s.step("the registrar suspends Ouyang Na's diploma pending review", func() (string, error) {
		a, err := rivReg.ChangeCredentialStatus(s.ctx, &eduledger.StatusChange{CredentialID: diploma.ID,
			Status: eduledger.StatusSuspended, Reason: eduledger.ReasonUnderReview})
		if err != nil {
			return "", err
		}
		if _, err := s.checkSingle(diploma.JSON, eduledger.StatusSuspended); err != nil {
			return "", err
		}
		return "status " + string(a.Status) + " (" + a.StatusReason + "); a verifier now sees SUSPENDED", nil
	}); err != nil {
		return err
	}
	if err := s.step("the review clears: the registrar reinstates it", func() (string, error) {
		a, err := rivReg.ChangeCredentialStatus(s.ctx, &eduledger.StatusChange{CredentialID: diploma.ID,
			Status: eduledger.StatusActive, Reason: eduledger.ReasonReinstated})
		if err != nil {
			return "", err
		}
		return "status " + string(a.Status), nil
	}); err != nil {
		return err
	}
	if err := s.step("the degree was issued in error: the registrar revokes it", func() (string, error) {
		a, err := rivReg.ChangeCredentialStatus(s.ctx, &eduledger.StatusChange{CredentialID: degree.ID,
			Status: eduledger.StatusRevoked, Reason: eduledger.ReasonIssuedInError})
		if err != nil {
			return "", err
		}
		if _, err := s.checkSingle(degree.JSON, eduledger.StatusRevoked); err != nil {
			return "", err
		}
		return "status " + string(a.Status) + " (" + a.StatusReason + ")", nil
	}); err != nil {
		return err
	}
	if err := s.step("lakeside-college revokes graduate 3's diploma; the rest of the class stays valid", func() (string, error) {
		if _, err := lakeReg.ChangeCredentialStatus(s.ctx, &eduledger.StatusChange{CredentialID: batch.ID(2),
			BatchRoot: batch.Root(), Status: eduledger.StatusRevoked, Reason: eduledger.ReasonFraud}); err != nil {
			return "", err
		}
		third, _ := batch.Credential(2)
		if _, err := s.checkBatch(third, batch.Root(), eduledger.StatusRevoked); err != nil {
			return "", err
		}
		fourth, _ := batch.Credential(3)
		if _, err := s.checkBatch(fourth, batch.Root(), eduledger.StatusActive); err != nil {
			return "", err
		}
		return "graduate 3 REVOKED, graduate 4 still ACTIVE", nil
	}); err != nil {
		return err
	}
	if err := s.step("Ouyang Na graduates: STUDENT becomes GRADUATE", func() (string, error) {
		l, err := rivReg.UpdateLearnerRoles(s.ctx, ouyang, []eduledger.LearnerRole{eduledger.RoleGraduate})
		if err != nil {
			return "", err
		}
		h, err := reader.GetLearnerHistory(s.ctx, ouyang)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("roles %v; the ledger keeps all %d versions of the record", l.Roles, len(h)), nil
	}); err != nil {
		return err
	}

	s.printf("\nRefusals — what the chaincode does not allow, whoever asks\n")
	lakeIss, err := s.as(lakeside, eduledger.StaffIssuer)
	if err != nil {
		return err
	}
	checks := []struct {
		title, code string
		run         func() error
	}{
		{"lakeside-college (a vocational college) issues a bachelor's degree", eduledger.EFORBIDDEN, func() error {
			is, err := s.issuers[lakeside].Issue(s.degree(lakeside, class[0]))
			if err != nil {
				return err
			}
			_, err = lakeIss.AnchorCredential(s.ctx, &is.Anchor)
			return err
		}},
		{"lakeside-college's registrar revokes riverside-university's diploma", eduledger.EFORBIDDEN, func() error {
			_, err := lakeReg.ChangeCredentialStatus(s.ctx, &eduledger.StatusChange{CredentialID: diploma.ID,
				Status: eduledger.StatusRevoked, Reason: eduledger.ReasonFraud})
			return err
		}},
		{"lakeside-college's registrar reads a riverside-university student's personal data", eduledger.EFORBIDDEN, func() error {
			_, err := lakeReg.GetPersonalData(s.ctx, ouyang)
			return err
		}},
		{"an enterprise (acme-networks) registers a learner", eduledger.EFORBIDDEN, func() error {
			c, err := s.as(acme, eduledger.StaffRegistrar)
			if err != nil {
				return err
			}
			_, err = s.register(c, "A"+run+"001", &person{zh: "王五", en: "Wang Wu", nationalID: "310101199901010011", born: "1999-01-01"})
			return err
		}},
		{"riverside-university's issuer (not a registrar) suspends a credential", eduledger.EFORBIDDEN, func() error {
			c, err := s.as(riverside, eduledger.StaffIssuer)
			if err != nil {
				return err
			}
			_, err = c.ChangeCredentialStatus(s.ctx, &eduledger.StatusChange{CredentialID: diploma.ID,
				Status: eduledger.StatusSuspended, Reason: eduledger.ReasonUnderReview})
			return err
		}},
		{"riverside-university's admin admits a new organisation (only the bureau may)", eduledger.EFORBIDDEN, func() error {
			c, err := s.as(riverside, eduledger.StaffAdmin)
			if err != nil {
				return err
			}
			_, err = c.AdmitOrganization(s.ctx, &eduledger.Organization{ID: "shadow-academy-" + run, MSPID: devnet.SchoolMSP,
				Kind: eduledger.KindSchool, RegionCode: "310000", Name: eduledger.Name{Zh: "影子学院", En: "Shadow Academy"}})
			return err
		}},
		{"the registrar reinstates the revoked degree (REVOKED is final)", eduledger.ECONFLICT, func() error {
			_, err := rivReg.ChangeCredentialStatus(s.ctx, &eduledger.StatusChange{CredentialID: degree.ID,
				Status: eduledger.StatusActive, Reason: eduledger.ReasonReinstated})
			return err
		}},
		{"riverside-university anchors the same diploma a second time", eduledger.ECONFLICT, func() error {
			iss, err := s.as(riverside, eduledger.StaffIssuer)
			if err != nil {
				return err
			}
			_, err = iss.AnchorCredential(s.ctx, &diploma.Anchor)
			return err
		}},
	}
	for _, c := range checks {
		if err := s.refused(c.title, c.code, c.run); err != nil {
			return err
		}
	}
	return s.creditBank()
}

// register registers p as a learner with the given ID through c.
func (s *story) register(c interface {
	RegisterLearner(ctx context.Context, l *eduledger.Learner, p *eduledger.PersonalData) (*eduledger.Learner, error)
}, id string, p *person) (*eduledger.Learner, error) {
	pd := &eduledger.PersonalData{Name: p.zh + " " + p.en, NationalID: p.nationalID, DateOfBirth: p.born, Salt: randomHex(32)}
	s.res.Personal = append(s.res.Personal, *pd)
	return c.RegisterLearner(s.ctx, &eduledger.Learner{ID: id, Roles: []eduledger.LearnerRole{eduledger.RoleStudent},
		PersonalDataCommitment: pd.Commitment()}, pd)
}

// issueAndAnchor signs one credential with the organisation's keys and anchors it as its issuer.
func (s *story) issueAndAnchor(orgID string, c *credential.Credential) (*credential.Issued, error) {
	is, err := s.issuers[orgID].Issue(c)
	if err != nil {
		return nil, err
	}
	iss, err := s.as(orgID, eduledger.StaffIssuer)
	if err != nil {
		return nil, err
	}
	if _, err := iss.AnchorCredential(s.ctx, &is.Anchor); err != nil {
		return nil, err
	}
	return is, s.save(strings.ToLower(string(is.Anchor.Type))+"-"+is.Anchor.LearnerID+".json", is.JSON)
}
