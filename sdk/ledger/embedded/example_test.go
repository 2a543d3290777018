package embedded_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
	"github.com/eduledger/eduledger/sdk/msp"
)

// notes is a tiny chaincode for the example.
type notes struct{ contractapi.Contract }

func (n *notes) Write(ctx contractapi.TransactionContextInterface, key, text string) error {
	return ctx.GetStub().PutState(key, []byte(text))
}

func (n *notes) Read(ctx contractapi.TransactionContextInterface, key string) (string, error) {
	v, err := ctx.GetStub().GetState(key)
	return string(v), err
}

func Example() {
	dir, err := os.MkdirTemp("", "ledger")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// One CA per member organisation; the channel trusts their roots.
	schoolCA, err := msp.NewCA("SchoolMSP", "ca.school.example")
	if err != nil {
		log.Fatal(err)
	}
	err = embedded.Create(dir, embedded.ChannelConfig{
		Channel: "eduledger", Chaincode: "eduledger", MSPs: []msp.Config{schoolCA.Config()},
	})
	if err != nil {
		log.Fatal(err)
	}

	cc, err := contractapi.NewChaincode(&notes{})
	if err != nil {
		log.Fatal(err)
	}
	l, err := embedded.Open(dir, cc)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	// A staff member of a school, with the attributes the chaincode authorises by.
	staff, err := schoolCA.Issue("registrar@riverside-university", map[string]string{
		eduledger.AttrOrg: "riverside-university", eduledger.AttrRole: string(eduledger.StaffRegistrar),
	})
	if err != nil {
		log.Fatal(err)
	}
	var g ledger.Ledger = l.Connect(staff)
	ctx := context.Background()
	receipt, err := g.Submit(ctx, &ledger.Transaction{Function: "Write", Args: []string{"greeting", "hello"}})
	if err != nil {
		log.Fatal(err)
	}
	text, err := g.Evaluate(ctx, &ledger.Transaction{Function: "Read", Args: []string{"greeting"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("block", receipt.BlockNumber, string(text))
	// Output: block 1 hello
}
