package main

import (
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/eduledger/eduledger/cmd/internal/backend"
	"github.com/eduledger/eduledger/cmd/internal/config"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/verifier/api"
)

// Config is the verifier binary's configuration.
type Config struct {
	// Listen is the address to serve on, host:port.
	Listen string `mapstructure:"listen"`
	// ShutdownGrace is how long in-flight requests get on SIGTERM.
	ShutdownGrace time.Duration `mapstructure:"shutdown_grace"`
	Log           struct {
		// Level is debug, info, warn or error.
		Level string `mapstructure:"level"`
		// JSON logs JSON lines instead of text.
		JSON bool `mapstructure:"json"`
	} `mapstructure:"log"`
	// Ledger says which ledger to read and as whom.
	Ledger backend.Config `mapstructure:"ledger"`
	// Verifier configures the service itself.
	Verifier api.Config `mapstructure:"verifier"`
}

func defaultConfig() *Config {
	c := &Config{Listen: "127.0.0.1:8081", ShutdownGrace: 10 * time.Second, Verifier: api.DefaultConfig()}
	c.Log.Level = "info"
	c.Ledger.Backend, c.Ledger.Dir, c.Ledger.ReaderMSP = backend.Embedded, ".eduledger", devnet.GovMSP
	return c
}

// Validate checks the whole configuration before anything is opened.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen %q must be host:port", c.Listen)
	}
	if c.ShutdownGrace <= 0 {
		return fmt.Errorf("shutdown_grace must be positive")
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
	// Flags are the configuration keys with "-" for "." (config.FlagName); "-" and "_" are the same
	// in flag names, so --verifier-public-url is --verifier-public_url.
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		return pflag.NormalizedName(strings.ReplaceAll(name, "_", "-"))
	})
	file := fs.String("config", "", "configuration file (YAML, JSON or TOML)")
	d := defaultConfig()
	fs.String("listen", d.Listen, "address to serve on, host:port")
	fs.Duration("shutdown-grace", d.ShutdownGrace, "how long in-flight requests get on shutdown")
	fs.String("log-level", d.Log.Level, "log level: debug, info, warn or error")
	fs.Bool("log-json", false, "log JSON lines instead of text")
	fs.String("ledger-backend", d.Ledger.Backend, "ledger backend: embedded or fabric")
	fs.String("ledger-dir", d.Ledger.Dir, "development network directory (embedded backend)")
	fs.String("ledger-reader-msp", d.Ledger.ReaderMSP, "MSP of the member identity that reads the ledger")
	fs.String("verifier-public-url", d.Verifier.PublicURL, "where clients reach the service; its host is the presentation domain")
	fs.Float64("verifier-rate-limit-per-second", d.Verifier.RateLimit.PerSecond, "requests a second per client")
	fs.Int("verifier-rate-limit-burst", d.Verifier.RateLimit.Burst, "requests a client may send at once")
	fs.StringSlice("verifier-cors-origins", d.Verifier.CORSOrigins, "web origins allowed to call the API (\"*\": any)")
	fs.StringSlice("verifier-trusted-proxies", nil, "networks whose X-Forwarded-For is believed")
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
