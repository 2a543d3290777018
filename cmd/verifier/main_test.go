package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/verifier"
	"github.com/eduledger/eduledger/verifier/verifiertest"
)

func TestConfigTakesFlagsOverEnvironmentOverFileOverDefaults(t *testing.T) {
	file := filepath.Join(t.TempDir(), "verifier.yaml")
	if err := os.WriteFile(file, []byte("verifier:\n  listen: 127.0.0.1:9001\n  public_url: https://file.example\n  rate_limit:\n    burst: 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("defaults alone", func(t *testing.T) {
		cfg, err := loadConfig(nil)
		if err != nil || cfg.Verifier.Listen != "127.0.0.1:8081" || cfg.Ledger.Dir != ".eduledger" || cfg.Verifier.RateLimit.Burst != 60 {
			t.Fatalf("%+v, %v", cfg, err)
		}
	})
	t.Run("the file over the defaults", func(t *testing.T) {
		cfg, err := loadConfig([]string{"--config", file})
		if err != nil || cfg.Verifier.Listen != "127.0.0.1:9001" || cfg.Verifier.PublicURL != "https://file.example" || cfg.Verifier.RateLimit.Burst != 7 {
			t.Fatalf("%+v, %v", cfg, err)
		}
	})
	t.Run("the environment over the file", func(t *testing.T) {
		t.Setenv("EDULEDGER_VERIFIER_LISTEN", "127.0.0.1:9002")
		t.Setenv("EDULEDGER_VERIFIER_CORS_ORIGINS", "https://a.example,https://b.example")
		cfg, err := loadConfig([]string{"--config", file})
		if err != nil || cfg.Verifier.Listen != "127.0.0.1:9002" || len(cfg.Verifier.CORSOrigins) != 2 {
			t.Fatalf("%+v, %v", cfg, err)
		}
	})
	t.Run("flags over the environment", func(t *testing.T) {
		t.Setenv("EDULEDGER_VERIFIER_LISTEN", "127.0.0.1:9002")
		cfg, err := loadConfig([]string{"--config", file, "--verifier-listen", "127.0.0.1:9003", "--verifier-rate-limit-burst", "9"})
		if err != nil || cfg.Verifier.Listen != "127.0.0.1:9003" || cfg.Verifier.RateLimit.Burst != 9 {
			t.Fatalf("%+v, %v", cfg, err)
		}
	})
}

func TestABadConfigurationIsAUsageError(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("verifer:\n  public_url: x\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"an unknown flag", []string{"--port", "80"}},
		{"a stray argument", []string{"serve"}},
		{"a misspelt section in the file", []string{"--config", bad}},
		{"a missing file", []string{"--config", "/nonexistent/verifier.yaml"}},
		{"a relative public URL", []string{"--verifier-public-url", "verify"}},
		{"a listen address without a port", []string{"--verifier-listen", "localhost"}},
		{"an unknown backend", []string{"--ledger-backend", "postgres"}},
		{"a log level that does not exist", []string{"--log-level", "loud"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Were the configuration wrongly accepted, the service would start: give it somewhere
			// harmless to start and a deadline.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			args := append([]string{"--ledger-dir", filepath.Join(t.TempDir(), "net"), "--verifier-listen", "127.0.0.1:0"}, tc.args...)
			err := run(ctx, args, io.Discard, nil)
			var u *usageError
			if !errors.As(err, &u) {
				t.Fatalf("run = %v, want a usage error", err)
			}
		})
	}
}

func TestTheBinaryServesTheLedgerAndStopsCleanly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n, err := verifiertest.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	is, err := n.AdmitIssuer(ctx, "SCHOOL")
	if err != nil {
		t.Fatal(err)
	}
	l, err := is.RegisterLearner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ci, _ := is.Credentials()
	diploma, err := ci.Issue(is.Diploma(l.ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := is.Anchor(ctx, diploma); err != nil {
		t.Fatal(err)
	}
	n.Close() // the embedded ledger is one process's

	runCtx, stop := context.WithCancel(ctx)
	addr := make(chan string, 1)
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() {
		done <- run(runCtx, []string{"--ledger-dir", dir, "--ledger-reader-msp", devnet.EnterpriseMSP, "--verifier-listen", "127.0.0.1:0"},
			&lockedWriter{w: &logs}, func(a string) { addr <- a })
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("run ended before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the service did not listen")
	}

	resp, err := http.Post(base+"/v1/verify", "application/json", bytes.NewReader(diploma.JSON))
	if err != nil {
		t.Fatal(err)
	}
	var r verifier.Result
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if resp.StatusCode != 200 || r.Verdict != verifier.Verified {
		t.Fatalf("verify: %d %+v", resp.StatusCode, r)
	}
	for _, path := range []string{"/", "/healthz", "/readyz", "/metrics", "/openapi.json"} {
		resp, err := http.Get(base + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after SIGTERM = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the service did not stop")
	}
	out := logs.String()
	for _, want := range []string{"verifier.public_url = http://127.0.0.1:8081", `"msg":"following chaincode events"`, `"msg":"verifier stopped"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %s:\n%s", want, out)
		}
	}
}

// lockedWriter lets the service's goroutines log into one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
