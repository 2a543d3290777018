package ledger_test

import (
	"context"
	"crypto/rand"
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

// A university records a course, the bureau's rule converts it into credits, and the university
// redeems them toward a qualification — once.
func ExampleClient_RedeemCredits() {
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
	staff := func(ca *msp.CA, orgID string, role eduledger.StaffRole) *ledger.Client {
		id, err := ca.Issue(string(role)+"@"+orgID, map[string]string{eduledger.AttrOrg: orgID, eduledger.AttrRole: string(role)})
		if err != nil {
			log.Fatal(err)
		}
		return ledger.NewClient(l.Connect(id))
	}
	ctx := context.Background()
	since := time.Now().AddDate(-1, 0, 0)

	bureau := staff(gov, "edu-bureau", eduledger.StaffAdmin)
	must(bureau.InitLedger(ctx, &eduledger.Organization{ID: "edu-bureau", MSPID: "GovMSP", Kind: eduledger.KindGovernment,
		RegionCode: "310000", Name: eduledger.Name{Zh: "市教育局", En: "Municipal Education Bureau"}}))
	must(bureau.AdmitOrganization(ctx, &eduledger.Organization{ID: "riverside-university", MSPID: "SchoolMSP",
		Kind: eduledger.KindSchool, RegionCode: "310000", Name: eduledger.Name{Zh: "滨江大学", En: "Riverside University"}}))
	must(bureau.GrantAccreditation(ctx, &eduledger.Accreditation{OrgID: "riverside-university",
		CredentialType: eduledger.TypeTranscript, ValidFrom: since})) // course records need Transcript
	rule := must(bureau.PublishCreditRule(ctx, &eduledger.CreditRule{ID: "cn201", Name: eduledger.Name{Zh: "计算机网络", En: "Computer Networks"},
		Source: eduledger.SourceRecord, RecordKind: eduledger.RecordCourse, IssuerID: "riverside-university", Code: "CN201",
		Field: "computer-networks", Level: 6, Credits: 3000, EffectiveFrom: since}))

	personal := &eduledger.PersonalData{Name: "张三", NationalID: "310104200401010011", Salt: randomHex(32)}
	registrar := staff(school, "riverside-university", eduledger.StaffRegistrar)
	learner := must(registrar.RegisterLearner(ctx, &eduledger.Learner{ID: "s2026001",
		Roles: []eduledger.LearnerRole{eduledger.RoleStudent}, PersonalDataCommitment: personal.Commitment()}, personal))
	must(registrar.OpenCreditAccount(ctx, learner.ID))

	// The course's summary goes on the ledger, the grade only into the school's private data.
	detail := &eduledger.LearningRecordDetail{RecordID: "urn:uuid:6a1d9c2e-0b4f-4e8a-9c3d-5f7e1a2b4c6d", LearnerID: learner.ID,
		Result: "A (91/100)", Salt: randomHex(32)}
	issuer := staff(school, "riverside-university", eduledger.StaffIssuer)
	course := must(issuer.RecordLearningOutcome(ctx, &eduledger.LearningRecord{ID: detail.RecordID, LearnerID: learner.ID,
		IssuerID: "riverside-university", Kind: eduledger.RecordCourse, Title: eduledger.Name{Zh: "计算机网络", En: "Computer Networks"},
		Code: "CN201", Field: "computer-networks", Level: 6, Date: time.Now().Add(-time.Hour), Digest: detail.Digest()}, detail))
	entry := must(issuer.DepositCredits(ctx, &eduledger.DepositRequest{LearnerID: learner.ID, Source: eduledger.SourceRecord,
		OutcomeID: course.ID, RuleID: rule.ID}))
	fmt.Println("deposited", eduledger.FormatCredits(entry.Amount), "in", entry.Field)

	redeem := func(id string) error {
		_, err := registrar.RedeemCredits(ctx, &eduledger.Redemption{ID: id, LearnerID: learner.ID, InstitutionID: "riverside-university",
			Qualification: eduledger.Qualification{Code: "NET-MINOR", Name: eduledger.Name{Zh: "网络辅修", En: "Networking minor"}, Credits: 3000},
			Parts:         []eduledger.RedemptionPart{{EntryID: entry.ID, Amount: 3000}}})
		return err
	}
	fmt.Println("first redemption:", redeem("minor-1"))
	fmt.Println("second redemption:", eduledger.ErrorCode(redeem("minor-2")))
	st := must(registrar.GetCreditStatement(ctx, learner.ID, ""))
	fmt.Println("balance", eduledger.FormatCredits(st.Total.Balance), "redeemed", eduledger.FormatCredits(st.Total.Redeemed))
	// Output:
	// deposited 3.000 in computer-networks
	// first redemption: <nil>
	// second redemption: CONFLICT
	// balance 0.000 redeemed 3.000
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
