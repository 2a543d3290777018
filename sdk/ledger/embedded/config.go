package embedded

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/msp"
)

// ChannelConfig is what every party of the channel agrees on, written once into the genesis block
// by Create: the channel and chaincode names, the member MSPs and how blocks are cut.
type ChannelConfig struct {
	// Channel is the channel name (Fabric's rules: lower-case letters, digits, '.' and '-',
	// starting with a letter).
	Channel string `json:"channel"`
	// Chaincode is the name proposals must address.
	Chaincode string `json:"chaincode"`
	// MSPs are the member organisations whose identities may submit and evaluate transactions.
	MSPs []msp.Config `json:"msps"`
	// MaxBlockTxs bounds the transactions in one block (default 500).
	MaxBlockTxs int `json:"maxBlockTxs,omitempty"`
	// MaxBlockBytes bounds the size of one block's transactions (default 8 MiB); a single
	// transaction larger than this is refused.
	MaxBlockBytes int `json:"maxBlockBytes,omitempty"`
}

// Defaults for ChannelConfig's block cutting.
const (
	DefaultMaxBlockTxs   = 500
	DefaultMaxBlockBytes = 8 << 20
)

var (
	channelPattern   = regexp.MustCompile(`^[a-z][a-z0-9.-]{0,248}$`)
	chaincodePattern = regexp.MustCompile(`^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$`)
)

// withDefaults fills in the zero block-cutting limits.
func (c ChannelConfig) withDefaults() ChannelConfig {
	if c.MaxBlockTxs == 0 {
		c.MaxBlockTxs = DefaultMaxBlockTxs
	}
	if c.MaxBlockBytes == 0 {
		c.MaxBlockBytes = DefaultMaxBlockBytes
	}
	return c
}

// Validate checks the configuration.
func (c *ChannelConfig) Validate() error {
	switch {
	case !channelPattern.MatchString(c.Channel):
		return eduledger.Errorf(eduledger.EINVALID, "embedded: channel name %q must be lower-case letters, digits, '.' or '-', starting with a letter", c.Channel)
	case !chaincodePattern.MatchString(c.Chaincode) || len(c.Chaincode) > 128:
		return eduledger.Errorf(eduledger.EINVALID, "embedded: chaincode name %q must be letters and digits separated by '-' or '_'", c.Chaincode)
	case len(c.MSPs) == 0:
		return eduledger.Errorf(eduledger.EINVALID, "embedded: the channel needs at least one MSP")
	case c.MaxBlockTxs < 0 || c.MaxBlockTxs > 100000:
		return eduledger.Errorf(eduledger.EINVALID, "embedded: maxBlockTxs must be between 1 and 100000")
	case c.MaxBlockBytes < 0 || c.MaxBlockBytes > maxFrameSize/2:
		return eduledger.Errorf(eduledger.EINVALID, "embedded: maxBlockBytes must be between 1 and %d", maxFrameSize/2)
	}
	for _, m := range c.MSPs {
		if strings.ContainsRune(m.ID, 0) {
			return eduledger.Errorf(eduledger.EINVALID, "embedded: MSP ID %q is not valid", m.ID)
		}
	}
	if _, err := msp.NewVerifier(c.MSPs); err != nil {
		return fmt.Errorf("embedded: channel MSPs: %w", err)
	}
	return nil
}

func (c *ChannelConfig) encode() ([]byte, error) { return json.Marshal(c) }

func decodeConfig(b []byte) (*ChannelConfig, error) {
	var c ChannelConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%w: channel configuration: %v", errCorrupt, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%w: channel configuration: %v", errCorrupt, err)
	}
	return &c, nil
}

// ImplicitCollection returns the name of the implicit private data collection of an MSP,
// "_implicit_org_<mspID>".
func ImplicitCollection(mspID string) string { return implicitPrefix + mspID }

const implicitPrefix = "_implicit_org_"
