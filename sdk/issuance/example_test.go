package issuance_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/issuance"
	"github.com/eduledger/eduledger/sdk/keystore"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
)

// Example issues diplomas in bulk from a CSV file: the engine checks every row, signs the rows
// in Merkle batches and anchors one root per batch, as the university's issuer.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "issuance-example")
	defer os.RemoveAll(dir)

	// A development network on an embedded ledger, with the demo organisations.
	n, _ := devnet.Init(filepath.Join(dir, "net"))
	cc, _ := chaincode.New()
	l, _ := n.OpenLedger(cc, embedded.WithLogger(slog.New(slog.DiscardHandler)))
	defer l.Close()
	conn := n.Connector(l)
	devnet.Bootstrap(ctx, conn)
	reader, _ := conn.Connect(ctx, devnet.SchoolMSP, "", "")

	eng, err := issuance.New(ctx, issuance.Config{DataDir: filepath.Join(dir, "issuer"), Orgs: []string{devnet.Riverside},
		KeyPassphrase: "correct horse battery staple", VerifierURL: "https://verify.example.edu.cn"}, conn, reader,
		issuance.WithKeyKDF(keystore.KDF{Time: 1, MemoryKiB: 64, Threads: 1}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer eng.Close()
	if err := eng.EnsureKeys(ctx); err != nil { // generate and register signing keys
		fmt.Println(err)
		return
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go eng.Run(runCtx) // processes bulk jobs

	registrar := issuance.Principal{OrgID: devnet.Riverside, Role: eduledger.StaffRegistrar}
	for _, id := range []string{"L2026001", "L2026002"} {
		_, err := eng.RegisterLearner(ctx, registrar, issuance.LearnerRegistration{ID: id,
			Roles:    []eduledger.LearnerRole{eduledger.RoleStudent},
			Personal: issuance.PersonalDetails{Name: "学生 " + id, NationalID: "31011520040501" + id[6:]}}, "")
		if err != nil {
			fmt.Println(err)
			return
		}
	}

	csv := "learnerId,achievement.name.zh,achievement.name.en,activityEndDate\n" +
		"L2026001,法学,Law,2026-06-30\n" +
		"L2026002,法学,Law,2026-06-30\n"
	issuer := issuance.Principal{OrgID: devnet.Riverside, Role: eduledger.StaffIssuer}
	job, err := eng.CreateJob(ctx, issuer, issuance.JobSpec{Format: issuance.FormatCSV, Type: eduledger.TypeDiploma, Body: strings.NewReader(csv)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for job.State != issuance.JobCompleted && job.State != issuance.JobFailed {
		time.Sleep(10 * time.Millisecond)
		job, _ = eng.GetJob(ctx, issuer, job.ID)
	}
	fmt.Println(job.State, job.Issued, "issued under", len(job.Batches), "Merkle root")

	// A bad row is refused with its row and column, and nothing is issued.
	_, err = eng.CreateJob(ctx, issuer, issuance.JobSpec{Format: issuance.FormatCSV, Type: eduledger.TypeDiploma,
		Body: strings.NewReader("learnerId,achievement.name.en,activityEndDate\nL2026009,Law,2026-06-30\n")})
	fmt.Println(err)
	// Output:
	// completed 2 issued under 1 Merkle root
	// INVALID: 1 of 1 rows are invalid; nothing was issued: row 2, column learnerId: learner L2026009 is not registered
}
