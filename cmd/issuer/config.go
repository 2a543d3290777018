package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/eduledger/eduledger/cmd/internal/backend"
	"github.com/eduledger/eduledger/cmd/internal/config"
	"github.com/eduledger/eduledger/internal/issuerapi"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/issuance"
)

// Config is the issuer service's configuration. Keys, environment variables and flags follow
// cmd/internal/config: issuer.data_dir is EDULEDGER_ISSUER_DATA_DIR and --issuer-data-dir.
type Config struct {
	// Listen is the HTTP listen address.
	Listen string `mapstructure:"listen"`
	// ShutdownGrace bounds the graceful stop.
	ShutdownGrace time.Duration  `mapstructure:"shutdown_grace"`
	Ledger        backend.Config `mapstructure:"ledger"`
	Issuer        IssuerConfig   `mapstructure:"issuer"`
	Log           struct {
		Level string `mapstructure:"level"`
		JSON  bool   `mapstructure:"json"`
	} `mapstructure:"log"`
	Dev struct {
		// Bootstrap brings an embedded development ledger to the demo governance at start
		// (idempotent).
		Bootstrap bool `mapstructure:"bootstrap"`
		// Token prints a fresh registrar token of the first organisation at start.
		Token bool `mapstructure:"token"`
	} `mapstructure:"dev"`
}

// IssuerConfig is the `issuer` section.
type IssuerConfig struct {
	DataDir string   `mapstructure:"data_dir"`
	Orgs    []string `mapstructure:"orgs"`
	// KeyPassphrase encrypts the signing keys. With the embedded backend and none set, a random
	// development passphrase is kept in the data directory.
	KeyPassphrase  string        `mapstructure:"key_passphrase" secret:"true"`
	VerifierURL    string        `mapstructure:"verifier_url"`
	BatchSize      int           `mapstructure:"batch_size"`
	MaxJobRows     int           `mapstructure:"max_job_rows"`
	CardFont       string        `mapstructure:"card_font"`
	CardValidity   time.Duration `mapstructure:"card_validity"`
	MaxBodyBytes   int64         `mapstructure:"max_body_bytes"`
	MaxUploadBytes int64         `mapstructure:"max_upload_bytes"`
	RequestTimeout time.Duration `mapstructure:"request_timeout"`
	UploadTimeout  time.Duration `mapstructure:"upload_timeout"`
	TrustedProxies []string      `mapstructure:"trusted_proxies"`
}

func defaults() *Config {
	c := &Config{Listen: "127.0.0.1:8080", ShutdownGrace: 20 * time.Second}
	c.Ledger.Backend = backend.Embedded
	c.Ledger.Dir = ".eduledger"
	c.Ledger.ReaderMSP = devnet.SchoolMSP
	c.Issuer = IssuerConfig{VerifierURL: "http://127.0.0.1:8081", BatchSize: issuance.DefaultBatchSize,
		MaxJobRows: issuance.DefaultMaxJobRows, CardValidity: issuance.DefaultCardValidity,
		MaxBodyBytes: issuerapi.DefaultMaxBodyBytes, MaxUploadBytes: issuerapi.DefaultMaxUploadBytes,
		RequestTimeout: issuerapi.DefaultRequestTimeout, UploadTimeout: issuerapi.DefaultUploadTimeout}
	c.Log.Level = "info"
	c.Log.JSON = true
	c.Dev.Bootstrap = true
	return c
}

// flags defines a flag for every setting a person is likely to change on the command line.
func flags() *pflag.FlagSet {
	d := defaults()
	fs := pflag.NewFlagSet("issuer", pflag.ContinueOnError)
	fs.String("config", "", "configuration file (YAML, JSON or TOML)")
	fs.String("listen", d.Listen, "HTTP listen address")
	fs.String(config.FlagName("ledger.backend"), d.Ledger.Backend, "ledger backend: embedded or fabric")
	fs.String(config.FlagName("ledger.dir"), d.Ledger.Dir, "development network directory (embedded backend)")
	fs.String(config.FlagName("ledger.reader_msp"), d.Ledger.ReaderMSP, "MSP of the read-only identity")
	fs.String(config.FlagName("issuer.data_dir"), "", "the service's data directory (default <ledger.dir>/issuer)")
	fs.StringSlice(config.FlagName("issuer.orgs"), nil, "organisations to issue for (default with the embedded backend: the demo organisations)")
	fs.String(config.FlagName("issuer.verifier_url"), d.Issuer.VerifierURL, "base of the verification links in QR codes")
	fs.Int(config.FlagName("issuer.batch_size"), d.Issuer.BatchSize, "credentials per Merkle batch in bulk jobs")
	fs.String(config.FlagName("issuer.card_font"), "", "TTF/OTF/TTC font with Chinese glyphs for identity card images")
	fs.String(config.FlagName("log.level"), d.Log.Level, "log level: debug, info, warn, error")
	fs.Bool(config.FlagName("log.json"), d.Log.JSON, "log JSON lines (false: text)")
	fs.Bool(config.FlagName("dev.bootstrap"), d.Dev.Bootstrap, "bootstrap the demo governance on an embedded ledger at start")
	fs.Bool(config.FlagName("dev.token"), false, "print a fresh registrar token of the first organisation at start")
	return fs
}

// load reads the configuration: defaults < file < EDULEDGER_* environment < flags.
func load(args []string) (*Config, error) {
	fs := flags()
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	file, _ := fs.GetString("config")
	c := defaults()
	if err := config.Load(c, file, fs); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks the configuration and fills what follows from the backend.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen %q must be host:port", c.Listen)
	}
	if err := c.Ledger.Validate(); err != nil {
		return err
	}
	if c.Issuer.DataDir == "" {
		if c.Ledger.Backend != backend.Embedded {
			return errors.New("issuer.data_dir is required with the fabric backend")
		}
		c.Issuer.DataDir = filepath.Join(c.Ledger.Dir, "issuer")
	}
	if len(c.Issuer.Orgs) == 0 {
		if c.Ledger.Backend != backend.Embedded {
			return errors.New("issuer.orgs is required with the fabric backend")
		}
		for _, o := range devnet.Organizations() {
			c.Issuer.Orgs = append(c.Issuer.Orgs, o.ID)
		}
	}
	if c.Issuer.KeyPassphrase == "" && c.Ledger.Backend != backend.Embedded {
		return errors.New("issuer.key_passphrase (EDULEDGER_ISSUER_KEY_PASSPHRASE) is required with the fabric backend")
	}
	if c.Issuer.BatchSize < 1 || c.Issuer.MaxJobRows < 1 {
		return errors.New("issuer.batch_size and issuer.max_job_rows must be at least 1")
	}
	for _, p := range c.Issuer.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			return fmt.Errorf("issuer.trusted_proxies: %q is not a CIDR prefix", p)
		}
	}
	api := c.api("development passphrase placeholder")
	return api.Validate()
}

// api returns the service's configuration with the given key passphrase.
func (c *Config) api(passphrase string) issuerapi.Config {
	var proxies []netip.Prefix
	for _, p := range c.Issuer.TrustedProxies {
		if pr, err := netip.ParsePrefix(p); err == nil {
			proxies = append(proxies, pr)
		}
	}
	return issuerapi.Config{
		Engine: issuance.Config{DataDir: c.Issuer.DataDir, Orgs: c.Issuer.Orgs, KeyPassphrase: passphrase,
			VerifierURL: c.Issuer.VerifierURL, BatchSize: c.Issuer.BatchSize, MaxJobRows: c.Issuer.MaxJobRows,
			CardValidity: c.Issuer.CardValidity, CardFont: c.Issuer.CardFont},
		MaxBodyBytes: c.Issuer.MaxBodyBytes, MaxUploadBytes: c.Issuer.MaxUploadBytes,
		RequestTimeout: c.Issuer.RequestTimeout, UploadTimeout: c.Issuer.UploadTimeout, TrustedProxies: proxies,
	}
}
