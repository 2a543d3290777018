package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to write from the service while the test reads it.
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

func TestTheServiceStartsServesAndStopsGracefully(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("EDULEDGER_ISSUER_KEY_PASSPHRASE", "a passphrase from the environment")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	addrc := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--issuer-listen", "127.0.0.1:0", "--ledger-dir", filepath.Join(dir, "net"),
			"--issuer-orgs", "riverside-university", "--dev-token", "--log-json=false"}, &out, func(a string) { addrc <- a })
	}()
	var addr string
	select {
	case addr = <-addrc:
	case code := <-done:
		t.Fatalf("the service stopped with %d:\n%s", code, out.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("the service did not start:\n%s", out.String())
	}
	for path, want := range map[string]string{"/healthz": `"ok"`, "/readyz": `"ready":true`, "/openapi.json": `"openapi"`} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Fatalf("GET %s = %d %s", path, resp.StatusCode, b)
		}
	}
	log := out.String()
	if !strings.Contains(log, "issuer.key_passphrase = ********") || !strings.Contains(log, "export EDULEDGER_TOKEN=edl_") {
		t.Fatalf("the start-up output does not show the masked configuration and the dev token:\n%s", log)
	}
	tok := log[strings.Index(log, "EDULEDGER_TOKEN=")+len("EDULEDGER_TOKEN="):]
	tok = tok[:strings.IndexByte(tok, '\n')]
	req, _ := http.NewRequest("GET", "http://"+addr+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if resp.StatusCode != 200 || me["orgId"] != "riverside-university" || me["role"] != "registrar" {
		t.Fatalf("GET /v1/me with the dev token = %d %v", resp.StatusCode, me)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("graceful stop exited %d:\n%s", code, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the service did not stop")
	}
	if strings.Contains(out.String(), "a passphrase from the environment") {
		t.Fatal("the passphrase was printed")
	}
}

func TestABadConfigurationExitsWithTwoNamingTheSetting(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		mention string
	}{
		{"an unknown flag", []string{"--colour"}, "colour"},
		{"a malformed listen address", []string{"--issuer-listen", "8080"}, "issuer.listen"},
		{"a malformed log level", []string{"--log-level", "loud"}, "log.level"},
		{"an unknown backend", []string{"--ledger-backend", "couchdb"}, "ledger.backend"},
		{"a malformed organisation", []string{"--issuer-orgs", "Riverside University"}, "organisation"},
		{"fabric without a passphrase", []string{"--ledger-backend", "fabric"}, "fabric"},
		{"a batch size of zero", []string{"--issuer-batch-size", "0"}, "issuer.batch_size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out syncBuffer
			// Should a case be accepted by mistake, the service must not outlive the test.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			args := append([]string{"--issuer-listen", "127.0.0.1:0", "--ledger-dir", filepath.Join(t.TempDir(), "net")}, tc.args...)
			code := run(ctx, args, &out, nil)
			if code != 2 || !strings.Contains(out.String(), tc.mention) {
				t.Fatalf("exit %d, output %q; want 2 mentioning %q", code, out.String(), tc.mention)
			}
		})
	}
}
