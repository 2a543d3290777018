package backend

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/ledger"
)

func TestValidateNamesTheBadSetting(t *testing.T) {
	good := func() Config {
		c := Config{Backend: Embedded, Dir: "x", ReaderMSP: "GovMSP"}
		c.Fabric.Profiles, c.Fabric.Identities, c.Fabric.Reader = "p", "i", "edu-bureau/admin"
		return c
	}
	for _, tc := range []struct {
		name    string
		change  func(*Config)
		mention string
	}{
		{"an unknown backend", func(c *Config) { c.Backend = "couchdb" }, "ledger.backend"},
		{"embedded without a directory", func(c *Config) { c.Dir = "" }, "ledger.dir"},
		{"a malformed reader MSP", func(c *Config) { c.ReaderMSP = "" }, "ledger.reader_msp"},
		{"fabric without profiles", func(c *Config) { c.Backend = Fabric; c.Fabric.Profiles = "" }, "ledger.fabric.profiles"},
		{"fabric with a malformed reader", func(c *Config) { c.Backend = Fabric; c.Fabric.Reader = "edu-bureau" }, "ledger.fabric.reader"},
		{"fabric with an unknown reader role", func(c *Config) { c.Backend = Fabric; c.Fabric.Reader = "edu-bureau/dean" }, "ledger.fabric.reader"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good()
			tc.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("Validate = %v, want a message naming %s", err, tc.mention)
			}
		})
	}
	for _, b := range []string{Embedded, Fabric} {
		c := good()
		c.Backend = b
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}
}

func TestEmbeddedBackendCreatesTheNetworkAndSharesConnections(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "net")
	b, err := Open(ctx, Config{Backend: Embedded, Dir: dir, ReaderMSP: devnet.GovMSP}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := devnet.Bootstrap(ctx, b.Connector); err != nil {
		t.Fatal(err)
	}
	org, err := ledger.NewClient(b.Reader).GetOrganization(ctx, devnet.Riverside)
	if err != nil || org.Kind != eduledger.KindSchool {
		t.Fatalf("the reader cannot query: %+v, %v", org, err)
	}
	c1, _ := b.Connector.Connect(ctx, devnet.SchoolMSP, devnet.Riverside, eduledger.StaffRegistrar)
	c1.Close() // a caller closing its connection must not break the next caller
	c2, _ := b.Connector.Connect(ctx, devnet.SchoolMSP, devnet.Riverside, eduledger.StaffRegistrar)
	if c1.(sharedConn).Ledger != c2.(sharedConn).Ledger {
		t.Error("a second Connect for the same staff member opened a new connection")
	}
	if _, err := ledger.NewClient(c2).GetOrganization(ctx, devnet.Riverside); err != nil {
		t.Fatalf("a cached connection stopped working after a caller closed it: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// The data survives: reopening finds the bootstrapped ledger.
	again, err := Open(ctx, Config{Backend: Embedded, Dir: dir, ReaderMSP: devnet.SchoolMSP}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if gov, err := ledger.NewClient(again.Reader).GetGoverningOrganization(ctx); err != nil || gov.ID != devnet.Bureau {
		t.Fatalf("after reopening: %+v, %v", gov, err)
	}
}

func TestFabricBackendWithoutProfilesSaysWhatToRun(t *testing.T) {
	c := Config{Backend: Fabric, ReaderMSP: devnet.GovMSP}
	c.Fabric.Profiles, c.Fabric.Identities, c.Fabric.Reader = t.TempDir(), t.TempDir(), "edu-bureau/admin"
	_, err := Open(context.Background(), c, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "make network-up") {
		t.Fatalf("Open = %v", err)
	}
}
