package fabric_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/eduledger/eduledger/network/fabrictest"
)

// The Fabric tests share one network (three raft orderers, three peers, EduLedger's chaincode and
// the kv test chaincode), brought up by the first test that needs it and torn down by TestMain.
var shared struct {
	once sync.Once
	dir  string
	net  *fabrictest.Network
	err  error
}

// kvChaincode is the trivial key-value chaincode (testdata/kvcc) deployed next to EduLedger's.
const kvChaincode = "kv"

// fabricNetwork returns the shared network, or skips t when FABRIC_BIN is not set.
func fabricNetwork(t testing.TB) *fabrictest.Network {
	t.Helper()
	if os.Getenv("FABRIC_BIN") == "" {
		t.Skip(fabrictest.ErrNoFabric.Error())
	}
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		shared.dir, shared.err = os.MkdirTemp("", "eduledger-fabric-test-")
		if shared.err != nil {
			return
		}
		shared.net, shared.err = fabrictest.Start(ctx, fabrictest.Options{Dir: shared.dir})
		if shared.err == nil {
			shared.err = shared.net.Deploy(ctx, kvChaincode, 1, "./sdk/ledger/fabric/testdata/kvcc")
		}
	})
	if shared.err != nil {
		t.Fatalf("bring the Fabric network up: %v", shared.err)
	}
	return shared.net
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.net != nil {
		keep := os.Getenv("EDULEDGER_KEEP_NETWORK") != ""
		if err := shared.net.Down(context.Background(), !keep); err != nil {
			fmt.Fprintln(os.Stderr, "tear the Fabric network down:", err)
		}
		if keep {
			fmt.Fprintln(os.Stderr, "network state kept in", shared.dir)
		}
	}
	if shared.dir != "" && os.Getenv("EDULEDGER_KEEP_NETWORK") == "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// sharedGateway is the member whose gateway the EduLedger-level tests connect through, whatever the
// identity's organisation (see conformanceNetwork).
const sharedGateway = "school"
