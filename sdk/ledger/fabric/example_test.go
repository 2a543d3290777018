package fabric_test

import (
	"context"
	"fmt"
	"log"

	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/fabric"
)

// A school's registrar connects through the school's gateway with the profile and staff identity
// network/up.sh wrote, and reads through the typed client. (Not run: it needs a network.)
func Example() {
	l, err := fabric.Open(fabric.Config{
		Profile:  "network/.state/profiles/school.json",
		Identity: "network/.state/identities/riverside-university/registrar",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	gov, err := ledger.NewClient(l).GetGoverningOrganization(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(gov.ID)
}

// Events resume from a checkpoint the consumer stored: the first event delivered is the one right
// after it, and a broken stream reconnects by itself without repeating or skipping one.
func ExampleLedger_Events() {
	var l *fabric.Ledger // from fabric.Open or fabric.Connect
	saved := ledger.Checkpoint{BlockNumber: 42, TxID: "6f1c…"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := l.Events(ctx, &saved)
	if err != nil {
		log.Fatal(err)
	}
	for ev := range events {
		fmt.Println(ev.Name, string(ev.Payload))
		saved = ledger.Checkpoint{BlockNumber: ev.BlockNumber, TxID: ev.TxID} // persist it
	}
}
