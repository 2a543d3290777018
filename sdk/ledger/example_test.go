package ledger_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
	"github.com/eduledger/eduledger/sdk/msp"
)

// The education bureau governs the channel and accredits a university, whose registrar registers a
// learner and whose issuer anchors a diploma; anyone can then check the diploma's status.
func ExampleClient() {
	dir, err := os.MkdirTemp("", "eduledger")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	gov, _ := msp.NewCA("GovMSP", "ca.gov.example")
	school, _ := msp.NewCA("SchoolMSP", "ca.school.example")
	if err := embedded.Create(dir, embedded.ChannelConfig{Channel: "eduledger", Chaincode: "eduledger",
		MSPs: []msp.Config{gov.Config(), school.Config()}}); err != nil {
		log.Fatal(err)
	}
	cc, err := chaincode.New()
	if err != nil {
		log.Fatal(err)
	}
	l, err := embedded.Open(dir, cc, embedded.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	// staff connects as a staff member of an organisation, with a certificate from its MSP's CA.
	staff := func(ca *msp.CA, orgID string, role eduledger.StaffRole) *ledger.Client {
		id, err := ca.Issue(string(role)+"@"+orgID, map[string]string{eduledger.AttrOrg: orgID, eduledger.AttrRole: string(role)})
		if err != nil {
			log.Fatal(err)
		}
		return ledger.NewClient(l.Connect(id))
	}
	ctx := context.Background()

	bureau := staff(gov, "edu-bureau", eduledger.StaffAdmin)
	must(bureau.InitLedger(ctx, &eduledger.Organization{ID: "edu-bureau", MSPID: "GovMSP", Kind: eduledger.KindGovernment,
		RegionCode: "310000", Name: eduledger.Name{Zh: "市教育局", En: "Municipal Education Bureau"}}))
	must(bureau.AdmitOrganization(ctx, &eduledger.Organization{ID: "riverside-university", MSPID: "SchoolMSP",
		Kind: eduledger.KindSchool, RegionCode: "310000", Name: eduledger.Name{Zh: "滨江大学", En: "Riverside University"}}))
	must(bureau.GrantAccreditation(ctx, &eduledger.Accreditation{OrgID: "riverside-university",
		CredentialType: eduledger.TypeDiploma, ValidFrom: time.Now().AddDate(-1, 0, 0)}))

	// Personal data travels in the transient map and stays in the school's private collection.
	personal := &eduledger.PersonalData{Name: "张三", NationalID: "310104200401010011",
		Salt: "5f0c3e8a9b2d4c6e8f1a3b5c7d9e0f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c0d2e"}
	registrar := staff(school, "riverside-university", eduledger.StaffRegistrar)
	learner := must(registrar.RegisterLearner(ctx, &eduledger.Learner{ID: "s2026001",
		Roles: []eduledger.LearnerRole{eduledger.RoleStudent}, PersonalDataCommitment: personal.Commitment()}, personal))

	digest := sha256.Sum256([]byte("the signed diploma"))
	issuer := staff(school, "riverside-university", eduledger.StaffIssuer)
	anchor := must(issuer.AnchorCredential(ctx, &eduledger.CredentialAnchor{ID: "urn:uuid:4f6c2b1e-8a3d-4c5e-9f7a-1b2c3d4e5f60",
		Type: eduledger.TypeDiploma, IssuerID: "riverside-university", LearnerID: learner.ID,
		Digest: hex.EncodeToString(digest[:]), IssuedAt: time.Now().Add(-time.Minute)}))

	status := must(registrar.GetCredentialStatus(ctx, anchor.ID, ""))
	fmt.Println(learner.ID, status.Type, status.Status)

	// The issuer role may anchor but not revoke: the chaincode refuses with a stable code.
	_, err = issuer.ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: anchor.ID,
		Status: eduledger.StatusRevoked, Reason: eduledger.ReasonFraud})
	fmt.Println(eduledger.ErrorCode(err))
	// Output:
	// s2026001 Diploma ACTIVE
	// FORBIDDEN
}

func must[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}
