package client_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/issuance"
	"github.com/eduledger/eduledger/sdk/issuance/client"
)

// ExampleClient_Deposit records a course a learner completed and deposits it in the learner's
// credit account under the bureau's conversion rule. Amounts are thousandths of a credit. It needs
// a running service (make run) and an issuer's token.
func ExampleClient_Deposit() {
	c, err := client.New("http://127.0.0.1:8080", os.Getenv("EDULEDGER_TOKEN"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	rec, err := c.RecordOutcome(ctx, issuance.RecordRequest{LearnerID: "L2026000123", Kind: eduledger.RecordCourse,
		Title: eduledger.Name{Zh: "计算机网络", En: "Computer Networks"}, Code: "CN201", Field: "computer-networks", Level: 6,
		Hours: 48, Date: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC), Detail: issuance.RecordDetail{Result: "A"}}, "cn201-L2026000123")
	if err != nil {
		fmt.Println(err)
		return
	}
	entry, err := c.Deposit(ctx, "L2026000123", issuance.DepositRequest{Source: eduledger.SourceRecord, OutcomeID: rec.ID,
		RuleID: "riverside-cn201"}, "deposit-cn201-L2026000123")
	if eduledger.ErrorCode(err) == eduledger.ECONFLICT {
		fmt.Println("already deposited, or the rule does not apply:", eduledger.ErrorMessage(err))
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s credits in %s at level %d\n", eduledger.FormatCredits(entry.Amount), entry.Field, entry.Level)
}
