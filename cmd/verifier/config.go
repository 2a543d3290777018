package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/eduledger/eduledger/cmd/internal/backend"
	"github.com/eduledger/eduledger/cmd/internal/config"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/verifier/api"
)

// Config is the verifier binary's configuration. Keys, environment variables and flags follow
// cmd/internal/config: verifier.public_url is EDULEDGER_VERIFIER_PUBLIC_URL and
// --verifier-public-url.
type Config struct {
	// ShutdownGrace is how long in-flight requests get on SIGTERM.
	ShutdownGrace time.Duration `mapstructure:"shutdown_grace"`
	Log           config.Log    `mapstructure:"log"`
	// Ledger says which ledger to read and as whom.
	Ledger backend.Config `mapstructure:"ledger"`
	// Verifier configures the service itself.
	Verifier api.Config `mapstructure:"verifier"`
}

func defaultConfig() *Config {
	c := &Config{ShutdownGrace: 10 * time.Second, Verifier: api.DefaultConfig()}
	c.Log.Level, c.Log.JSON = "info", true
	c.Ledger.Backend, c.Ledger.Dir, c.Ledger.ReaderMSP = backend.Embedded, ".eduledger", devnet.GovMSP
	return c
}

// Validate checks the whole configuration before anything is opened.
func (c *Config) Validate() error {
	if c.ShutdownGrace <= 0 {
		return fmt.Errorf("shutdown_grace must be positive")
	}
	if err := c.Log.Validate(); err != nil {
		return err
	}
	if err := c.Ledger.Validate(); err != nil {
		return err
	}
	return c.Verifier.Validate()
}

// loadConfig reads the flags, then builds the configuration from defaults, the file, the environment
// and the flags that were set.
func loadConfig(args []string) (*Config, error) {
	fs := pflag.NewFlagSet("verifier", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("config", "", "configuration file (YAML, JSON or TOML)")
	d := defaultConfig()
	flag := config.FlagName
	fs.String(flag("verifier.listen"), d.Verifier.Listen, "address to serve on, host:port")
	fs.String(flag("verifier.public_url"), d.Verifier.PublicURL, "where clients reach the service; its host is the presentation domain")
	fs.Float64(flag("verifier.rate_limit.per_second"), d.Verifier.RateLimit.PerSecond, "requests a second per client")
	fs.Int(flag("verifier.rate_limit.burst"), d.Verifier.RateLimit.Burst, "requests a client may send at once")
	fs.StringSlice(flag("verifier.cors_origins"), d.Verifier.CORSOrigins, "web origins allowed to call the API (\"*\": any)")
	fs.StringSlice(flag("verifier.trusted_proxies"), nil, "networks whose X-Forwarded-For is believed")
	fs.Duration(flag("shutdown_grace"), d.ShutdownGrace, "how long in-flight requests get on shutdown")
	fs.String(flag("ledger.backend"), d.Ledger.Backend, "ledger backend: embedded or fabric")
	fs.String(flag("ledger.dir"), d.Ledger.Dir, "development network directory (embedded backend)")
	fs.String(flag("ledger.reader_msp"), d.Ledger.ReaderMSP, "MSP of the member identity that reads the ledger")
	fs.String(flag("log.level"), d.Log.Level, "log level: debug, info, warn or error")
	fs.Bool(flag("log.json"), d.Log.JSON, "log JSON lines (false: text)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg := defaultConfig()
	if err := config.Load(cfg, *file, fs); err != nil {
		return nil, err
	}
	return cfg, nil
}

func printConfig(w io.Writer, c *Config) { config.Print(w, c) }
