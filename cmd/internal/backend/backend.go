// Package backend opens the ledger a binary was configured for — the embedded ledger of a
// development network, or a Hyperledger Fabric network through its gateway peers — and hands the
// rest of the program a ledger.Connector and a read-only connection, so that nothing else changes
// between the two (`ledger.backend: embedded | fabric`).
package backend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
	"github.com/eduledger/eduledger/sdk/ledger/fabric"
)

// Backend names.
const (
	Embedded = "embedded"
	Fabric   = "fabric"
)

// Config is the `ledger` section of a binary's configuration.
type Config struct {
	// Backend is "embedded" or "fabric".
	Backend string `mapstructure:"backend"`
	// Dir is the development network directory of the embedded backend (created when absent).
	Dir string `mapstructure:"dir"`
	// ReaderMSP is the member whose identity runs queries and follows events (on Fabric, the MSP of
	// Fabric.Reader).
	ReaderMSP string `mapstructure:"reader_msp"`
	Fabric    struct {
		// Profiles is a folder of connection profiles, one per member MSP (network/up.sh writes
		// network/.state/profiles).
		Profiles string `mapstructure:"profiles"`
		// Identities is a folder of staff identities laid out <orgID>/<role>/ in Fabric's MSP
		// folder layout (network/up.sh writes network/.state/identities).
		Identities string `mapstructure:"identities"`
		// Reader is the identity, "<orgID>/<role>" under Identities, that runs queries.
		Reader string `mapstructure:"reader"`
	} `mapstructure:"fabric"`
}

// Validate checks the section before anything is opened.
func (c *Config) Validate() error {
	if !eduledger.ValidMSPID(c.ReaderMSP) {
		return fmt.Errorf("ledger.reader_msp %q is not an MSP ID", c.ReaderMSP)
	}
	switch c.Backend {
	case Embedded:
		if c.Dir == "" {
			return errors.New("ledger.dir is required with the embedded backend")
		}
	case Fabric:
		if c.Fabric.Profiles == "" || c.Fabric.Identities == "" {
			return errors.New("ledger.fabric.profiles and ledger.fabric.identities are required with the fabric backend")
		}
		if org, role, ok := strings.Cut(c.Fabric.Reader, "/"); !ok || !eduledger.ValidOrgID(org) || !eduledger.StaffRole(role).Valid() {
			return fmt.Errorf("ledger.fabric.reader %q must be <orgID>/<role>", c.Fabric.Reader)
		}
	default:
		return fmt.Errorf("ledger.backend must be %q or %q, not %q", Embedded, Fabric, c.Backend)
	}
	return nil
}

// Backend is an open ledger.
type Backend struct {
	// Connector acts as any staff member the backend holds an identity for.
	Connector ledger.Connector
	// Reader is a read-only connection for queries and event streams.
	Reader ledger.Ledger
	// Network and Ledger are set for the embedded backend only.
	Network *devnet.Network
	Ledger  *embedded.Ledger

	close func() error
}

// Close releases every connection and, for the embedded backend, closes the ledger.
func (b *Backend) Close() error { return b.close() }

// Open opens the configured backend.
func Open(ctx context.Context, c Config, log *slog.Logger) (*Backend, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Backend == Fabric {
		return openFabric(ctx, c, log)
	}
	n, created, err := devnet.Open(c.Dir)
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("created a development network", "dir", c.Dir)
	}
	cc, err := chaincode.New(chaincode.GoverningMSP(devnet.GovMSP))
	if err != nil {
		return nil, fmt.Errorf("backend: %w", err)
	}
	l, err := n.OpenLedger(cc, embedded.WithLogger(log))
	if err != nil {
		return nil, err
	}
	conn := newCache(n.Connector(l))
	reader, err := conn.Connect(ctx, c.ReaderMSP, "", "")
	if err != nil {
		l.Close()
		return nil, err
	}
	return &Backend{Connector: conn, Reader: reader, Network: n, Ledger: l,
		close: func() error { return errors.Join(conn.closeAll(), l.Close()) }}, nil
}

func openFabric(ctx context.Context, c Config, log *slog.Logger) (*Backend, error) {
	entries, err := os.ReadDir(c.Fabric.Profiles)
	if err != nil {
		return nil, fmt.Errorf("backend: read profiles: %w", err)
	}
	profiles := map[string]*fabric.Profile{}
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".json" {
			continue
		}
		p, err := fabric.LoadProfile(filepath.Join(c.Fabric.Profiles, e.Name()))
		if err != nil {
			return nil, err
		}
		profiles[p.MSPID] = p
	}
	if len(profiles) == 0 {
		return nil, fmt.Errorf("backend: no connection profile in %s; run `make network-up`", c.Fabric.Profiles)
	}
	fc := &fabricConnector{profiles: profiles, identities: c.Fabric.Identities, log: log}
	conn := newCache(fc)
	org, role, _ := strings.Cut(c.Fabric.Reader, "/")
	reader, err := conn.Connect(ctx, c.ReaderMSP, org, eduledger.StaffRole(role))
	if err != nil {
		return nil, err
	}
	return &Backend{Connector: conn, Reader: reader, close: conn.closeAll}, nil
}

// fabricConnector connects as identities under <identities>/<orgID>/<role>, through the profile of
// the identity's MSP.
type fabricConnector struct {
	profiles   map[string]*fabric.Profile
	identities string
	log        *slog.Logger
}

func (f *fabricConnector) Connect(_ context.Context, mspID, orgID string, role eduledger.StaffRole) (ledger.Ledger, error) {
	p, ok := f.profiles[mspID]
	if !ok {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "no connection profile for %s", mspID)
	}
	if orgID == "" || role == "" {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "the Fabric backend has no anonymous reader; configure ledger.fabric.reader")
	}
	id, err := fabric.LoadIdentity(mspID, filepath.Join(f.identities, orgID, string(role)))
	if err != nil {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "no Fabric identity for %s/%s: %v", orgID, role, err)
	}
	return fabric.Connect(p, id, fabric.WithLogger(f.log.With("component", "fabric", "org", orgID, "role", role)))
}

// cache keeps one connection per staff member, so a service does not dial or parse keys per request.
type cache struct {
	next  ledger.Connector
	mu    sync.Mutex
	conns map[string]ledger.Ledger
}

func newCache(next ledger.Connector) *cache {
	return &cache{next: next, conns: map[string]ledger.Ledger{}}
}

func (c *cache) Connect(ctx context.Context, mspID, orgID string, role eduledger.StaffRole) (ledger.Ledger, error) {
	key := mspID + "/" + orgID + "/" + string(role)
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.conns[key]; ok {
		return sharedConn{l}, nil
	}
	l, err := c.next.Connect(ctx, mspID, orgID, role)
	if err != nil {
		return nil, err
	}
	c.conns[key] = l
	return sharedConn{l}, nil
}

func (c *cache) closeAll() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for k, l := range c.conns {
		errs = append(errs, l.Close())
		delete(c.conns, k)
	}
	return errors.Join(errs...)
}

// sharedConn is a cached connection whose Close leaves it open for the next caller; the cache
// closes it when the backend closes.
type sharedConn struct{ ledger.Ledger }

func (sharedConn) Close() error { return nil }
