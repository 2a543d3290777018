package chaincode_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
	"github.com/eduledger/eduledger/sdk/msp"
)

// New returns the chaincode that a Fabric peer runs as a service (cmd/chaincode calls its Start)
// and that the embedded ledger runs in-process, as here. Its refusals start with a stable code.
func ExampleNew() {
	cc, err := chaincode.New()
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "chaincode")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ca, err := msp.NewCA("GovMSP", "ca.gov.example")
	if err != nil {
		log.Fatal(err)
	}
	if err := embedded.Create(dir, embedded.ChannelConfig{Channel: "eduledger", Chaincode: chaincode.Name, MSPs: []msp.Config{ca.Config()}}); err != nil {
		log.Fatal(err)
	}
	l, err := embedded.Open(dir, cc, embedded.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	admin, err := ca.Issue("admin@edu-bureau", map[string]string{eduledger.AttrOrg: "edu-bureau", eduledger.AttrRole: "admin"})
	if err != nil {
		log.Fatal(err)
	}
	g := l.Connect(admin)
	ctx := context.Background()

	for _, tx := range []*ledger.Transaction{
		{Function: "AdmitOrganization", Args: []string{`{"id":"riverside-university","mspId":"SchoolMSP","kind":"SCHOOL","regionCode":"310000","name":{"zh":"滨江大学","en":"Riverside University"}}`}},
		{Function: "InitLedger", Args: []string{`{"id":"edu-bureau","mspId":"GovMSP","kind":"GOVERNMENT","regionCode":"310000","name":{"zh":"市教育局","en":"Municipal Education Bureau"},"motto":"x"}`}},
		{Function: "InitLedger", Args: []string{`{"id":"edu-bureau","mspId":"GovMSP","kind":"GOVERNMENT","regionCode":"310000","name":{"zh":"市教育局","en":"Municipal Education Bureau"}}`, "extra"}},
		{Function: "InitLedger", Args: []string{`{"id":"edu-bureau","mspId":"GovMSP","kind":"SCHOOL","regionCode":"310000","name":{"zh":"市教育局","en":"Municipal Education Bureau"}}`}},
	} {
		_, err := g.Submit(ctx, tx)
		e := eduledger.ParseError(err.Error())
		fmt.Printf("%s: %s\n", e.Code, e.Message)
	}
	// Output:
	// FORBIDDEN: organisation edu-bureau named in your certificate is not registered on the ledger
	// INVALID: argument organization: unknown field "motto"
	// INVALID: InitLedger takes arguments organization; got 2 argument(s)
	// INVALID: the governing organisation must be of kind GOVERNMENT, not SCHOOL
}
