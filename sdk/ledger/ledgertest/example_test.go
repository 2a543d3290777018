package ledgertest_test

import (
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/ledgertest"
	"github.com/eduledger/eduledger/sdk/msp"
)

// myNetwork is a backend under test: it holds each member MSP's CA and connects staff through its
// own ledger client (connect stands for the backend's constructor, such as embedded's Connect or a
// Fabric gateway connection).
type myNetwork struct {
	cas     map[string]*msp.CA
	connect func(*msp.SigningIdentity) ledger.Ledger
}

func (n myNetwork) Connect(t testing.TB, mspID, orgID string, role eduledger.StaffRole) ledger.Ledger {
	attrs := map[string]string{}
	if orgID != "" {
		attrs[eduledger.AttrOrg] = orgID
	}
	if role != "" {
		attrs[eduledger.AttrRole] = string(role)
	}
	id, err := n.cas[mspID].Issue("conformance", attrs)
	if err != nil {
		t.Fatal(err)
	}
	l := n.connect(id)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// A backend's test runs the whole suite with one call (see embedded_test.go for a complete one).
func ExampleRun() {
	var t *testing.T // the backend's test
	var n myNetwork  // CAs of GovMSP, SchoolMSP and EnterpriseMSP, and a connect function
	if t != nil {
		ledgertest.Run(t, n)
	}
}
