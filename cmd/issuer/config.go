package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/eduledger/eduledger/cmd/internal/backend"
	"github.com/eduledger/eduledger/cmd/internal/config"
	"github.com/eduledger/eduledger/cmd/internal/services"
	"github.com/eduledger/eduledger/sdk/devnet"
)

// Config is the issuer service's configuration. Keys, environment variables and flags follow
// cmd/internal/config: issuer.data_dir is EDULEDGER_ISSUER_DATA_DIR and --issuer-data-dir.
type Config struct {
	// ShutdownGrace bounds the graceful stop.
	ShutdownGrace time.Duration         `mapstructure:"shutdown_grace"`
	Ledger        backend.Config        `mapstructure:"ledger"`
	Issuer        services.IssuerConfig `mapstructure:"issuer"`
	Log           config.Log            `mapstructure:"log"`
	Dev           struct {
		// Bootstrap brings an embedded development ledger to the demo governance at start
		// (idempotent).
		Bootstrap bool `mapstructure:"bootstrap"`
		// Token prints a fresh registrar token of the first organisation at start.
		Token bool `mapstructure:"token"`
	} `mapstructure:"dev"`
}

func defaults() *Config {
	c := &Config{ShutdownGrace: 20 * time.Second, Issuer: services.DefaultIssuer()}
	c.Ledger.Backend = backend.Embedded
	c.Ledger.Dir = ".eduledger"
	c.Ledger.ReaderMSP = devnet.SchoolMSP
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
	fs.String(config.FlagName("issuer.listen"), d.Issuer.Listen, "HTTP listen address")
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
	if err := c.Log.Validate(); err != nil {
		return err
	}
	if err := c.Ledger.Validate(); err != nil {
		return err
	}
	return c.Issuer.Validate(c.Ledger)
}
