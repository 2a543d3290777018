package credential

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
)

const orgID = "riverside-university"

var (
	issuedAt  = time.Date(2026, 6, 30, 8, 0, 0, 0, time.UTC)
	checkedAt = time.Date(2027, 1, 15, 10, 0, 0, 0, time.UTC)
)

type fixture struct {
	issuer   *Issuer
	verifier *Verifier
	ed, pq   dataintegrity.Signer
	keys     dataintegrity.StaticKeys
	schemas  *Schemas
}

var sharedSchemas *Schemas

func newFixture(t testing.TB, opts ...Option) *fixture {
	t.Helper()
	if sharedSchemas == nil {
		s, err := NewSchemas()
		if err != nil {
			t.Fatal(err)
		}
		sharedSchemas = s
	}
	var seed [32]byte
	copy(seed[:], "riverside university test keys..")
	ed, _ := dataintegrity.NewEd25519Signer(eduledger.KeyDID(orgID, "ed-2026"), ed25519.NewKeyFromSeed(seed[:]))
	_, pqKey := mldsa44.NewKeyFromSeed(&seed)
	pq, _ := dataintegrity.NewMLDSA44Signer(eduledger.KeyDID(orgID, "pq-2026"), pqKey)
	keys := dataintegrity.KeysOf(ed, pq)
	for _, k := range keys {
		k.ValidFrom = issuedAt.AddDate(-1, 0, 0)
	}
	profile := Profile{ID: eduledger.OrgDID(orgID), Name: Text{Zh: "滨江大学", En: "Riverside University"}}
	base := []Option{WithSchemas(sharedSchemas), WithClock(func() time.Time { return issuedAt })}
	issuer, err := NewIssuer(profile, ed, pq, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	vopts := []Option{WithSchemas(sharedSchemas), WithClock(func() time.Time { return checkedAt })}
	verifier, err := NewVerifier(keys, append(vopts, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{issuer: issuer, verifier: verifier, ed: ed, pq: pq, keys: keys, schemas: sharedSchemas}
}

// holderKeys are a fixed Ed25519 and X25519 Multikey for identity cards.
const (
	holderEd  = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	holderX25 = "z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc"
)

// sample returns a complete credential of type t for learner n.
func sample(t eduledger.CredentialType, n int) *Credential {
	learner := fmt.Sprintf("L2026%04d", n)
	c := New(t, learner)
	c.Name = Text{Zh: "证书", En: "Certificate"}
	c.ValidFrom = issuedAt
	course := func(code, name string, credits float64) Achievement {
		return Achievement{ID: "urn:eduledger:course:" + orgID + ":" + code, AchievementType: "Course",
			Name: Text{En: name}, Criteria: Criteria{Narrative: Text{En: "Pass the final examination."}},
			HumanCode: code, CreditsAvailable: credits}
	}
	program := &Achievement{ID: "urn:eduledger:program:" + orgID + ":cs-bsc", Name: Text{Zh: "计算机科学与技术", En: "Computer Science and Technology"},
		Criteria: Criteria{Narrative: Text{En: "Complete 160 credits including the thesis."}}, FieldOfStudy: "Computer Science", CreditsAvailable: 160}
	switch t {
	case eduledger.TypeIdentityCard:
		c.Name = Text{Zh: "教育信息身份证", En: "Education Identity Card"}
		c.ValidUntil = issuedAt.AddDate(4, 0, 0)
		c.Subject.LearnerID = learner
		c.Subject.Roles = []eduledger.LearnerRole{eduledger.RoleStudent}
		c.Subject.PublicKeyMultibase = holderEd
		c.Subject.KeyAgreementMultibase = holderX25
		c.Subject.PortraitHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	case eduledger.TypeDiploma:
		c.Name = Text{Zh: "毕业证书", En: "Diploma"}
		program.AchievementType = "Diploma"
		c.Subject.Achievement = program
		c.Subject.ActivityStartDate = time.Date(2022, 9, 1, 0, 0, 0, 0, time.UTC)
		c.Subject.ActivityEndDate = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
		c.Subject.CreditsEarned = 162.5
		c.Subject.CertificateNumber = fmt.Sprintf("1028%08d", n)
	case eduledger.TypeDegree:
		c.Name = Text{Zh: "学士学位证书", En: "Bachelor's Degree"}
		program.AchievementType = "BachelorDegree"
		c.Subject.Achievement = program
		c.Subject.ActivityEndDate = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	case eduledger.TypeCertificate:
		c.Subject.Achievement = &Achievement{ID: "urn:eduledger:cert:" + orgID + ":cet4", AchievementType: "Certificate",
			Name: Text{Zh: "英语四级", En: "College English Test Band 4"}, Criteria: Criteria{Narrative: Text{En: "Score at least 425."}}}
		c.Subject.Result = []Result{{Value: "561"}}
	case eduledger.TypeTranscript:
		c.Name = Text{Zh: "成绩单", En: "Transcript"}
		c.Subject.Records = []Record{
			NewRecord(course("CS101", "Programming Fundamentals", 4), []Result{{Value: "92", Status: "Completed"}}, 4, "2022 Autumn"),
			NewRecord(course("MA102", "Linear Algebra", 3), []Result{{Value: "85", Status: "Completed"}}, 3, "2023 Spring"),
		}
		c.Subject.CreditsEarned = 7
	case eduledger.TypeMicroCredential:
		c.Subject.Achievement = &Achievement{ID: "urn:eduledger:micro:" + orgID + ":k8s", AchievementType: "MicroCredential",
			Name: Text{En: "Container Orchestration"}, Criteria: Criteria{Narrative: Text{En: "Deploy and operate a cluster."}},
			Alignment: []Alignment{{TargetName: "Kubernetes administration", TargetURL: "https://example.org/skills/k8s", TargetFramework: "ESCO"}}}
		c.Subject.CreditsEarned = 1
	case eduledger.TypeInternshipRecord:
		c.Subject.Achievement = &Achievement{ID: "urn:eduledger:internship:acme-networks:neteng", AchievementType: "ext:Internship",
			Name: Text{Zh: "网络工程实习", En: "Network Engineering Internship"}, Criteria: Criteria{Narrative: Text{En: "Twelve weeks on the operations team."}}}
		c.Subject.Role = "Network Engineering Intern"
		c.Subject.ActivityStartDate = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
		c.Subject.ActivityEndDate = time.Date(2025, 9, 20, 0, 0, 0, 0, time.UTC)
	case eduledger.TypeTrainingCertificate:
		c.Subject.Achievement = &Achievement{ID: "urn:eduledger:training:" + orgID + ":safety", AchievementType: "CertificateOfCompletion",
			Name: Text{En: "Laboratory Safety"}, Criteria: Criteria{Narrative: Text{En: "Attend 16 hours."}}}
		c.Subject.ActivityEndDate = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		c.Subject.CreditsEarned = 0.5
	}
	return c
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
