package devnet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
	"github.com/eduledger/eduledger/sdk/msp"
)

// ChannelConfig returns the channel configuration of the network's embedded ledger: the channel and
// chaincode names and the member MSPs.
func (n *Network) ChannelConfig() embedded.ChannelConfig {
	return embedded.ChannelConfig{Channel: n.desc.Channel, Chaincode: n.desc.Chaincode, MSPs: n.MSPs()}
}

// CreateLedger writes the genesis block of the network's embedded ledger. It fails with CONFLICT
// when the ledger exists.
func (n *Network) CreateLedger() error {
	if err := embedded.Create(n.LedgerDir(), n.ChannelConfig()); err != nil {
		return fmt.Errorf("devnet: create ledger: %w", err)
	}
	return nil
}

// OpenLedger opens the network's embedded ledger running cc, creating the ledger first when the
// network has none yet.
func (n *Network) OpenLedger(cc shim.Chaincode, opts ...embedded.Option) (*embedded.Ledger, error) {
	if _, err := os.Stat(n.LedgerDir()); errors.Is(err, fs.ErrNotExist) {
		if err := n.CreateLedger(); err != nil {
			return nil, err
		}
	}
	l, err := embedded.Open(n.LedgerDir(), cc, opts...)
	if err != nil {
		return nil, fmt.Errorf("devnet: open ledger in %s: %w", filepath.Clean(n.LedgerDir()), err)
	}
	return l, nil
}

// Connector returns a ledger.Connector acting on l with the network's staff identities.
func (n *Network) Connector(l *embedded.Ledger, opts ...embedded.ConnectOption) ledger.Connector {
	return &connector{net: n, ledger: l, opts: opts}
}

type connector struct {
	net    *Network
	ledger *embedded.Ledger
	opts   []embedded.ConnectOption
}

func (c *connector) Connect(_ context.Context, mspID, orgID string, role eduledger.StaffRole) (ledger.Ledger, error) {
	var id *msp.SigningIdentity
	var err error
	if orgID == "" && role == "" {
		id, err = c.net.Reader(mspID)
	} else {
		id, err = c.net.StaffOf(mspID, orgID, role)
	}
	if err != nil {
		return nil, err
	}
	return c.ledger.Connect(id, c.opts...), nil
}
