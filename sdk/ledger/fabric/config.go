package fabric

import (
	"errors"
	"fmt"
)

// Config is the Fabric section of a service's configuration (`ledger.fabric` when
// `ledger.backend: fabric`): which connection profile to use and which identity to act as.
// network/up.sh writes profiles to <state>/profiles/<member>.json and staff identities to
// <state>/identities/<orgID>/<role>.
type Config struct {
	// Profile is the path of a connection profile (JSON, see Profile).
	Profile string `mapstructure:"profile"`
	// Identity is a Fabric MSP folder (signcerts/, keystore/) of the identity to act as.
	Identity string `mapstructure:"identity"`
	// MSPID is the identity's organisation; empty means the profile's mspId.
	MSPID string `mapstructure:"msp_id"`
}

// Validate checks that c names a profile and an identity.
func (c *Config) Validate() error {
	switch {
	case c.Profile == "":
		return errors.New("ledger.fabric.profile is required")
	case c.Identity == "":
		return errors.New("ledger.fabric.identity is required")
	}
	return nil
}

// Open loads c's profile and identity and connects.
func Open(c Config, opts ...Option) (*Ledger, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("fabric: %w", err)
	}
	p, err := LoadProfile(c.Profile)
	if err != nil {
		return nil, err
	}
	mspID := c.MSPID
	if mspID == "" {
		mspID = p.MSPID
	}
	if mspID == "" {
		return nil, errors.New("fabric: ledger.fabric.msp_id is required when the profile names no mspId")
	}
	id, err := LoadIdentity(mspID, c.Identity)
	if err != nil {
		return nil, err
	}
	return Connect(p, id, opts...)
}
