package main

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/eduledger/eduledger/network/ccaas"
)

// Config is the chaincode server's configuration.
type Config struct {
	// ID is the chaincode package ID the peers installed ("eduledger_1:<sha256>").
	ID string `mapstructure:"id"`
	// Address is the listen address, host:port.
	Address string `mapstructure:"address"`
	// TLSCert and TLSKey are the server's TLS key pair (PEM files).
	TLSCert string `mapstructure:"tls_cert"`
	TLSKey  string `mapstructure:"tls_key"`
	// TLSClientCA is the CA bundle of the peers' client certificates; set, it makes TLS mutual.
	TLSClientCA string `mapstructure:"tls_client_ca"`
	// Insecure serves without TLS (tests on loopback only).
	Insecure bool `mapstructure:"insecure"`
	// ShutdownGrace bounds the graceful stop.
	ShutdownGrace time.Duration `mapstructure:"shutdown_grace"`
	// Pprof, when set, serves Go's profiling endpoints (/debug/pprof/) on this address, for an
	// operator who needs to see where the chaincode spends its time. Bind it to loopback.
	Pprof string `mapstructure:"pprof"`
	// GoverningMSP is the MSP whose GOVERNMENT organisation alone may initialise the ledger
	// (chaincode.GoverningMSP). Every organisation should set the same value; unset, the first
	// admin to call InitLedger governs.
	GoverningMSP string `mapstructure:"governing_msp"`
}

// Validate checks that the configuration can serve.
func (c *Config) Validate() error {
	s := c.server()
	if err := s.Validate(); err != nil {
		return err
	}
	if c.Pprof != "" {
		if _, _, err := net.SplitHostPort(c.Pprof); err != nil {
			return fmt.Errorf("pprof %q must be host:port", c.Pprof)
		}
	}
	if strings.ContainsAny(c.GoverningMSP, " \t\r\n/") || len(c.GoverningMSP) > 128 {
		return fmt.Errorf("governing_msp %.40q is not an MSP ID", c.GoverningMSP)
	}
	if !c.Insecure && c.TLSClientCA == "" {
		return errors.New("tls_client_ca is required: peers must authenticate with client certificates (or --insecure for tests)")
	}
	return nil
}

func (c *Config) server() ccaas.Config {
	return ccaas.Config{ID: c.ID, Address: c.Address, TLSCertFile: c.TLSCert, TLSKeyFile: c.TLSKey,
		ClientCAFile: c.TLSClientCA, Insecure: c.Insecure, ShutdownGrace: c.ShutdownGrace}
}

// logAttrs is the configuration as printed at start-up (it holds no secrets: key paths only).
func (c *Config) logAttrs(listening string) []any {
	return []any{"id", c.ID, "address", listening, "tls_cert", c.TLSCert, "tls_key", c.TLSKey,
		"tls_client_ca", c.TLSClientCA, "insecure", c.Insecure, "pprof", c.Pprof, "governing_msp", c.GoverningMSP}
}

// loadConfig reads flags, then the environment, then the config file, then defaults.
func loadConfig(args, environ []string) (*Config, error) {
	fs := pflag.NewFlagSet("chaincode", pflag.ContinueOnError)
	fs.String("config", "", "YAML configuration file")
	fs.String("id", "", "chaincode package ID (label:sha256) the peers installed")
	fs.String("address", "", "listen address, host:port")
	fs.String("tls-cert", "", "server TLS certificate (PEM)")
	fs.String("tls-key", "", "server TLS private key (PEM)")
	fs.String("tls-client-ca", "", "CA certificates of the peers' TLS client certificates (PEM)")
	fs.Bool("insecure", false, "serve without TLS (tests on loopback only)")
	fs.Duration("shutdown-grace", 5*time.Second, "how long open peer streams get to finish on stop")
	fs.String("pprof", "", "serve Go profiling endpoints on this address (e.g. 127.0.0.1:6061); off when empty")
	fs.String("governing-msp", "", "the MSP whose GOVERNMENT organisation alone may initialise the ledger (e.g. GovMSP)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}

	v := viper.New()
	env := map[string]string{}
	for _, kv := range environ {
		if k, val, ok := strings.Cut(kv, "="); ok {
			env[k] = val
		}
	}
	for key, flag := range map[string]string{"id": "id", "address": "address", "tls_cert": "tls-cert", "tls_key": "tls-key",
		"tls_client_ca": "tls-client-ca", "insecure": "insecure", "shutdown_grace": "shutdown-grace", "pprof": "pprof", "governing_msp": "governing-msp"} {
		if err := v.BindPFlag(key, fs.Lookup(flag)); err != nil {
			return nil, err
		}
		if val, ok := env["EDULEDGER_CHAINCODE_"+strings.ToUpper(key)]; ok && val != "" {
			v.Set(key, val)
		}
	}
	// Fabric's names for the two settings every ccaas server has.
	for key, name := range map[string]string{"id": "CHAINCODE_ID", "address": "CHAINCODE_SERVER_ADDRESS"} {
		if val := env[name]; val != "" && env["EDULEDGER_CHAINCODE_"+strings.ToUpper(key)] == "" {
			v.SetDefault(key, val)
		}
	}
	if file, _ := fs.GetString("config"); file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
	}
	// Flags given explicitly beat the environment.
	fs.Visit(func(f *pflag.Flag) {
		v.Set(strings.ReplaceAll(f.Name, "-", "_"), f.Value.String())
	})
	var cfg Config
	if err := v.Unmarshal(&cfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}
