package client_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/issuance"
	"github.com/eduledger/eduledger/sdk/issuance/client"
)

// Example uploads a CSV of diplomas to the issuer service, waits for the job and saves the
// credentials. It needs a running service (make run) and a token.
func Example() {
	c, err := client.New("http://127.0.0.1:8080", os.Getenv("EDULEDGER_TOKEN"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	csv := "learnerId,achievement.name.zh,achievement.name.en,activityEndDate\nL2026001,法学,Law,2026-06-30\n"
	job, err := c.CreateCSVJob(ctx, strings.NewReader(csv), client.CSVJob{Type: eduledger.TypeDiploma, IdempotencyKey: "graduation-2026-law"})
	if p, ok := client.ProblemOf(err); ok {
		for _, f := range p.Errors {
			fmt.Println(f.Field, f.Message) // e.g. row 2, column learnerId: learner L2026001 is not registered
		}
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	job, err = c.WaitJob(ctx, job.ID, time.Second, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = c.ExportJob(ctx, job.ID, func(e *issuance.ExportedCredential) error {
		return os.WriteFile(e.LearnerID+".json", e.Credential, 0o644)
	})
}
