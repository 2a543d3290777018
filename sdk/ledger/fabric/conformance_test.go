package fabric_test

import (
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/ledgertest"
)

// conformanceNetwork adapts the shared Fabric network to the conformance suite: each connection
// is a freshly issued staff certificate of the member's CA, through that member's own gateway.
type conformanceNetwork struct{}

func (conformanceNetwork) Connect(t testing.TB, mspID, orgID string, role eduledger.StaffRole) ledger.Ledger {
	t.Helper()
	n := fabricNetwork(t)
	member, ok := fabrictestMember(mspID)
	if !ok {
		t.Fatalf("no member %s", mspID)
	}
	id, err := n.Issue(mspID, orgID, role)
	if err != nil {
		t.Fatal(err)
	}
	l, err := n.Connect(member, "", id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestFabricConformance(t *testing.T) {
	fabricNetwork(t)
	ledgertest.Run(t, conformanceNetwork{})
}
