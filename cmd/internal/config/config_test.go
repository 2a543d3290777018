package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

type testConfig struct {
	Listen string        `mapstructure:"listen"`
	Grace  time.Duration `mapstructure:"grace"`
	Ledger struct {
		Backend string `mapstructure:"backend"`
		Dir     string `mapstructure:"dir"`
	} `mapstructure:"ledger"`
	Origins    []string `mapstructure:"origins"`
	Passphrase string   `mapstructure:"passphrase" secret:"true"`
}

func (c *testConfig) Validate() error {
	if c.Ledger.Backend != "embedded" && c.Ledger.Backend != "fabric" {
		return errors.New("ledger.backend must be embedded or fabric")
	}
	return nil
}

func defaults() *testConfig {
	c := &testConfig{Listen: "127.0.0.1:8080", Grace: 10 * time.Second}
	c.Ledger.Backend = "embedded"
	return c
}

func flagsFor(c *testConfig) *pflag.FlagSet {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("listen", c.Listen, "")
	fs.String("ledger-backend", c.Ledger.Backend, "")
	return fs
}

func writeFile(t *testing.T, body string) string {
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFlagsBeatEnvironmentBeatsFileBeatsDefaults(t *testing.T) {
	file := writeFile(t, "listen: 127.0.0.1:9000\ngrace: 3s\nledger:\n  backend: fabric\n  dir: /from/file\norigins: [a, b]\n")
	t.Setenv("EDULEDGER_LEDGER_DIR", "/from/env")
	t.Setenv("EDULEDGER_LISTEN", "127.0.0.1:9500")
	c := defaults()
	fs := flagsFor(c)
	if err := fs.Parse([]string{"--listen=127.0.0.1:9999"}); err != nil {
		t.Fatal(err)
	}
	if err := Load(c, file, fs); err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9999" {
		t.Errorf("listen = %s: a flag must win", c.Listen)
	}
	if c.Ledger.Dir != "/from/env" {
		t.Errorf("ledger.dir = %s: the environment must beat the file", c.Ledger.Dir)
	}
	if c.Ledger.Backend != "fabric" || c.Grace != 3*time.Second || strings.Join(c.Origins, ",") != "a,b" {
		t.Errorf("file values lost: %+v", c)
	}
}

func TestDefaultsStandWhenNothingIsSet(t *testing.T) {
	c := defaults()
	if err := Load(c, "", flagsFor(c)); err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.Grace != 10*time.Second || c.Ledger.Backend != "embedded" {
		t.Errorf("defaults changed: %+v", c)
	}
}

func TestBadConfigurationIsRefusedAtStart(t *testing.T) {
	for name, body := range map[string]string{
		"an unknown key (a typo)": "ledger:\n  backnd: fabric\n",
		"an invalid value":        "ledger:\n  backend: couchdb\n",
		"a malformed duration":    "grace: soon\n",
	} {
		t.Run(name, func(t *testing.T) {
			c := defaults()
			if err := Load(c, writeFile(t, body), nil); err == nil {
				t.Fatalf("accepted %q: %+v", body, c)
			}
		})
	}
	c := defaults()
	if err := Load(c, filepath.Join(t.TempDir(), "missing.yaml"), nil); err == nil {
		t.Error("a missing config file must be an error")
	}
}

func TestPrintMasksSecrets(t *testing.T) {
	c := defaults()
	c.Passphrase = "correct horse battery staple"
	var buf bytes.Buffer
	Print(&buf, c)
	if strings.Contains(buf.String(), "horse") || !strings.Contains(buf.String(), "passphrase = ********") {
		t.Fatalf("printed:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "ledger.backend = embedded") {
		t.Fatalf("printed:\n%s", buf.String())
	}
	if EnvName("ledger.backend") != "EDULEDGER_LEDGER_BACKEND" || FlagName("ledger.backend") != "ledger-backend" ||
		FlagName("issuer.batch_size") != "issuer-batch-size" || EnvName("issuer.batch_size") != "EDULEDGER_ISSUER_BATCH_SIZE" {
		t.Error("env or flag naming changed")
	}
}
