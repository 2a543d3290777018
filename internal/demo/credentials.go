package demo

import (
	"fmt"
	"strings"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
)

// diploma builds the n-th diploma of an organisation for a learner.
func (s *story) diploma(orgID, learnerID string, n int) *credential.Credential {
	c := credential.New(eduledger.TypeDiploma, learnerID)
	c.Name = credential.Text{Zh: "毕业证书", En: "Diploma"}
	c.Subject.Achievement = &credential.Achievement{
		ID:              "urn:eduledger:program:" + orgID + ":cs",
		AchievementType: "Diploma",
		Name:            credential.Text{Zh: "计算机科学与技术", En: "Computer Science and Technology"},
		Criteria:        credential.Criteria{Narrative: credential.Text{Zh: "修满规定学分并通过毕业论文答辩。", En: "Complete the required credits and defend the thesis."}},
		FieldOfStudy:    "Computer Science", CreditsAvailable: 160,
	}
	c.Subject.ActivityStartDate = time.Date(2022, 9, 1, 0, 0, 0, 0, time.UTC)
	c.Subject.ActivityEndDate = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	c.Subject.CreditsEarned = 162.5
	c.Subject.CertificateNumber = fmt.Sprintf("%s-2026-%05d", strings.ToUpper(orgID[:4]), n)
	return c
}

// degree builds a bachelor's degree.
func (s *story) degree(orgID, learnerID string) *credential.Credential {
	c := credential.New(eduledger.TypeDegree, learnerID)
	c.Name = credential.Text{Zh: "学士学位证书", En: "Bachelor's Degree"}
	c.Subject.Achievement = &credential.Achievement{
		ID:              "urn:eduledger:program:" + orgID + ":cs-bsc",
		AchievementType: "BachelorDegree",
		Name:            credential.Text{Zh: "工学学士", En: "Bachelor of Engineering"},
		Criteria:        credential.Criteria{Narrative: credential.Text{En: "Meet the degree requirements of the university."}},
		FieldOfStudy:    "Computer Science",
	}
	c.Subject.ActivityEndDate = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	return c
}

// checkSingle verifies a credential anchored alone as an employer would: offline checks, then the
// ledger's anchor for its digest and its status.
func (s *story) checkSingle(data []byte, want eduledger.CredentialStatus) (string, error) {
	rep := s.verify.Verify(s.ctx, data)
	if !rep.Verified {
		return "", fmt.Errorf("offline verification failed: %s", failedChecks(rep))
	}
	c, err := s.as("edu-bureau", eduledger.StaffIssuer)
	if err != nil {
		return "", err
	}
	a, err := c.GetCredentialByDigest(s.ctx, rep.Digest)
	if err != nil {
		return "", fmt.Errorf("the digest is not anchored: %w", err)
	}
	if a.ID != rep.ID || a.IssuerID != rep.IssuerID || a.Type != rep.Type {
		return "", fmt.Errorf("the anchor for this digest describes another credential")
	}
	if a.Status != want {
		return "", fmt.Errorf("status %s, want %s", a.Status, want)
	}
	return fmt.Sprintf("%d checks passed; anchored %s by %s; %s", len(rep.Checks), a.AnchoredAt.Format(time.RFC3339), a.IssuerID, a.Status), nil
}

// checkBatch verifies a batch credential: offline checks (including the Merkle proof and the batch
// signature), the anchored root and the member's status.
func (s *story) checkBatch(data []byte, root string, want eduledger.CredentialStatus) (string, error) {
	rep := s.verify.Verify(s.ctx, data)
	if !rep.Verified {
		return "", fmt.Errorf("offline verification failed: %s", failedChecks(rep))
	}
	if rep.BatchRoot != root {
		return "", fmt.Errorf("the credential names root %s, want %s", rep.BatchRoot, root)
	}
	c, err := s.as("edu-bureau", eduledger.StaffIssuer)
	if err != nil {
		return "", err
	}
	b, err := c.GetBatch(s.ctx, rep.BatchRoot)
	if err != nil {
		return "", fmt.Errorf("the batch root is not anchored: %w", err)
	}
	if b.IssuerID != rep.IssuerID || b.Type != rep.Type {
		return "", fmt.Errorf("the anchored batch belongs to another issuer or type")
	}
	st, err := c.GetCredentialStatus(s.ctx, rep.ID, rep.BatchRoot)
	if err != nil {
		return "", err
	}
	if st.Status != want {
		return "", fmt.Errorf("status %s, want %s", st.Status, want)
	}
	return fmt.Sprintf("%d checks passed; root anchored %s; %s", len(rep.Checks), b.AnchoredAt.Format(time.RFC3339), st.Status), nil
}

func failedChecks(rep *credential.Report) string {
	var out []string
	for _, c := range rep.Failed() {
		out = append(out, string(c.Name)+" ("+c.Reason+")")
	}
	if len(out) == 0 {
		return "no check failed"
	}
	return strings.Join(out, "; ")
}
