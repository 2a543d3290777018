package fabric_test

import (
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/ledgertest"
)

// conformanceNetwork adapts the shared Fabric network to the conformance suite: each connection
// is a freshly issued staff certificate of the member's CA. All connections use one gateway peer
// (SchoolMSP's, the others as fail-over): Fabric guarantees read-your-writes on the peer that
// reported the commit, while another organisation's peer may commit the same block a few
// milliseconds later, and the suite reads through one client what another just wrote.
type conformanceNetwork struct{}

func (conformanceNetwork) Connect(t testing.TB, mspID, orgID string, role eduledger.StaffRole) ledger.Ledger {
	t.Helper()
	n := fabricNetwork(t)
	id, err := n.Issue(mspID, orgID, role)
	if err != nil {
		t.Fatal(err)
	}
	l, err := n.Connect(sharedGateway, "", id)
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
