package ledgertest_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
	"github.com/eduledger/eduledger/sdk/ledger/ledgertest"
	"github.com/eduledger/eduledger/sdk/msp"
)

// embeddedNetwork is a fresh embedded ledger running the real chaincode, with one CA per member
// MSP that mints staff certificates on demand.
type embeddedNetwork struct {
	l   *embedded.Ledger
	cas map[string]*msp.CA
	n   atomic.Int64
}

func newEmbeddedNetwork(t testing.TB) *embeddedNetwork {
	t.Helper()
	n := &embeddedNetwork{cas: map[string]*msp.CA{}}
	cfg := embedded.ChannelConfig{Channel: "eduledger", Chaincode: "eduledger"}
	for _, id := range []string{ledgertest.GovMSP, ledgertest.SchoolMSP, ledgertest.EnterpriseMSP} {
		ca, err := msp.NewCA(id, "ca."+id)
		if err != nil {
			t.Fatal(err)
		}
		n.cas[id] = ca
		cfg.MSPs = append(cfg.MSPs, ca.Config())
	}
	dir := t.TempDir()
	if err := embedded.Create(dir, cfg); err != nil {
		t.Fatal(err)
	}
	cc, err := chaincode.New()
	if err != nil {
		t.Fatal(err)
	}
	l, err := embedded.Open(dir, cc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("close the ledger: %v", err)
		}
	})
	n.l = l
	return n
}

func (n *embeddedNetwork) Connect(t testing.TB, mspID, orgID string, role eduledger.StaffRole) ledger.Ledger {
	t.Helper()
	ca, ok := n.cas[mspID]
	if !ok {
		t.Fatalf("no CA for MSP %s", mspID)
	}
	attrs := map[string]string{}
	if orgID != "" {
		attrs[eduledger.AttrOrg] = orgID
	}
	if role != "" {
		attrs[eduledger.AttrRole] = string(role)
	}
	id, err := ca.Issue(fmt.Sprintf("staff-%d", n.n.Add(1)), attrs)
	if err != nil {
		t.Fatal(err)
	}
	g := n.l.Connect(id)
	t.Cleanup(func() { _ = g.Close() })
	return g
}

func TestEmbeddedLedgerPassesTheConformanceSuite(t *testing.T) {
	ledgertest.Run(t, newEmbeddedNetwork(t))
}

// The suite must also pass on a channel that already holds data, as a long-lived Fabric network
// does: a second run on the same ledger finds the governing organisation instead of creating it and
// uses IDs of its own.
func TestTheConformanceSuiteRunsTwiceOnOneLedger(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite twice")
	}
	n := newEmbeddedNetwork(t)
	ledgertest.Run(t, n)
	ledgertest.Run(t, n)
}
