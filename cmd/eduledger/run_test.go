package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eduledger/eduledger/cmd/internal/backend"
	"github.com/eduledger/eduledger/cmd/internal/config"
	"github.com/eduledger/eduledger/cmd/internal/services"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/verifier/api"
)

// startRun runs both services on loopback over the development network in dir and returns their
// base URLs, the banner, and a stop function that waits for a clean shutdown.
func startRun(t *testing.T, dir string, demoData bool) (issuerURL, verifierURL string, out *syncBuffer, stop func()) {
	t.Helper()
	cfg := &runConfig{ShutdownGrace: 5 * time.Second, Issuer: services.DefaultIssuer(), Verifier: api.DefaultConfig(),
		Log: config.Log{Level: "warn"}, DemoData: demoData}
	cfg.Ledger.Backend, cfg.Ledger.Dir, cfg.Ledger.ReaderMSP = backend.Embedded, dir, devnet.GovMSP
	cfg.Issuer.Listen, cfg.Verifier.Listen = "127.0.0.1:0", "127.0.0.1:0"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	out = &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan [2]string, 2)
	done := make(chan error, 1)
	go func() {
		done <- runServices(ctx, cfg, &streams{in: strings.NewReader(""), out: out, err: io.Discard},
			func(name, addr string) { addrs <- [2]string{name, "http://" + addr} })
	}()
	for range 2 {
		select {
		case a := <-addrs:
			if a[0] == "issuer" {
				issuerURL = a[1]
			} else {
				verifierURL = a[1]
			}
		case err := <-done:
			cancel()
			t.Fatalf("run stopped before serving: %v", err)
		case <-time.After(60 * time.Second):
			cancel()
			t.Fatal("the services did not start")
		}
	}
	return issuerURL, verifierURL, out, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run did not stop cleanly: %v", err)
		}
	}
}

func TestRunServesBothServicesAndTheDemoDataVerifies(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	issuerURL, verifierURL, out, stop := startRun(t, dir, true)
	for _, u := range []string{issuerURL + "/healthz", verifierURL + "/healthz", issuerURL + "/openapi.json", verifierURL + "/openapi.json", verifierURL + "/"} {
		resp, err := http.Get(u)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", u, resp, err)
		}
		resp.Body.Close()
	}
	diploma := filepath.Join(dir, "demo-data", "diploma-RU2026000001.json")
	body, err := os.ReadFile(diploma)
	if err != nil {
		t.Fatalf("the demo data was not written: %v", err)
	}
	if v := verify(t, verifierURL, body); v != "verified" {
		t.Fatalf("the seeded diploma: %s", v)
	}
	if v := verify(t, verifierURL, bytes.Replace(body, []byte("162.5"), []byte("192.5"), 1)); v != "not_verified" {
		t.Fatalf("a tampered diploma: %s", v)
	}
	banner := out.String()
	for _, want := range []string{issuerURL, verifierURL, "EDULEDGER_TOKEN=edl_", "Demo data", "education bureau's admin token"} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner lacks %q:\n%s", want, banner)
		}
	}
	// The printed registrar token works against the issuer service.
	token := strings.Fields(banner[strings.Index(banner, "EDULEDGER_TOKEN=")+len("EDULEDGER_TOKEN="):])[0]
	req, _ := http.NewRequest(http.MethodGet, issuerURL+"/v1/learners/RU2026000001", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the printed token does not work: %v %v", resp, err)
	}
	resp.Body.Close()
	stop()

	// A restart finds the same data; --demo-data again duplicates nothing.
	_, verifierURL, _, stop = startRun(t, dir, true)
	defer stop()
	again, _ := os.ReadFile(diploma)
	if !bytes.Equal(again, body) {
		t.Error("a second start with --demo-data issued a new diploma instead of finding the first")
	}
	if v := verify(t, verifierURL, body); v != "verified" {
		t.Fatalf("after a restart the diploma: %s", v)
	}
}

func verify(t *testing.T, base string, credential []byte) string {
	t.Helper()
	resp, err := http.Post(base+"/v1/verify", "application/json", bytes.NewReader(credential))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct{ Verdict string }
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 {
		t.Fatalf("verify: %d %v", resp.StatusCode, err)
	}
	return r.Verdict
}

// syncBuffer is a bytes.Buffer safe for the banner writer and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
