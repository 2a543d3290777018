package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/internal/issuerapi"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/issuance"
	"github.com/eduledger/eduledger/sdk/keystore"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
)

// issuerWorld is an issuer service on loopback over an embedded development ledger.
type issuerWorld struct {
	dir    string
	conn   ledger.Connector
	reader ledger.Ledger
	url    string
	stop   func()
}

func newIssuerWorld(t *testing.T) *issuerWorld {
	t.Helper()
	dir := t.TempDir()
	n, err := devnet.Init(filepath.Join(dir, "net"))
	if err != nil {
		t.Fatal(err)
	}
	cc, err := chaincode.New()
	if err != nil {
		t.Fatal(err)
	}
	l, err := n.OpenLedger(cc, embedded.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	w := &issuerWorld{dir: dir, conn: n.Connector(l)}
	if _, err := devnet.Bootstrap(context.Background(), w.conn); err != nil {
		t.Fatal(err)
	}
	if w.reader, err = w.conn.Connect(context.Background(), devnet.SchoolMSP, "", ""); err != nil {
		t.Fatal(err)
	}
	return w
}

// start runs the service on the world's data directory.
func (w *issuerWorld) start(t *testing.T) {
	t.Helper()
	cfg := issuerapi.Config{Engine: issuance.Config{DataDir: filepath.Join(w.dir, "issuer"), Orgs: []string{devnet.Riverside, devnet.Lakeside},
		KeyPassphrase: "correct horse battery staple", VerifierURL: "http://127.0.0.1:8081", BatchSize: 8}}
	srv, err := issuerapi.New(context.Background(), cfg, issuerapi.Deps{Connector: w.conn, Reader: w.reader,
		Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
		EngineOptions: []issuance.Option{issuance.WithKeyKDF(keystore.KDF{Time: 1, MemoryKiB: 64, Threads: 1})}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Run(ctx) }()
	hs := httptest.NewServer(srv.Handler())
	w.url = hs.URL
	w.stop = func() { hs.Close(); cancel(); <-done; srv.Close() }
	t.Cleanup(func() {
		if w.stop != nil {
			w.stop()
		}
	})
}

func (w *issuerWorld) halt() {
	w.stop()
	w.stop = nil
}

func holderMultikey(n int) string {
	var seed [32]byte
	copy(seed[:], fmt.Sprintf("cli holder %d", n))
	s, _ := dataintegrity.NewEd25519Signer("did:example:h#k", ed25519.NewKeyFromSeed(seed[:]))
	return s.PublicKeyMultibase()
}

func TestTheRegistrarsCommandLine(t *testing.T) {
	w := newIssuerWorld(t)
	w.start(t)
	w.halt()

	// The first admin token is made on the stopped service's data directory.
	admin, errOut, code := run(t, "token", "create", "--offline", "--data", filepath.Join(w.dir, "issuer"),
		"--org", devnet.Riverside, "--role", "admin", "--name", "first-admin")
	admin = strings.TrimSpace(admin)
	if code != 0 || !strings.HasPrefix(admin, "edl_") {
		t.Fatalf("offline token create: exit %d, %q %q", code, admin, errOut)
	}
	w.start(t)
	if _, line, code := run(t, "token", "create", "--offline", "--data", filepath.Join(w.dir, "issuer"),
		"--org", devnet.Riverside, "--role", "admin", "--name", "second"); code != 1 || !strings.Contains(line, "in use") {
		t.Fatalf("offline token create while the service runs: exit %d, %q", code, line)
	}
	srv := []string{"--server", w.url}
	as := func(token string, args ...string) (string, string, int) {
		return run(t, append(append(args, srv...), "--token", token)...)
	}
	registrar, errOut, code := as(admin, "token", "create", "--name", "registrar-wang", "--role", "registrar")
	registrar = strings.TrimSpace(registrar)
	if code != 0 || !strings.HasPrefix(registrar, "edl_") {
		t.Fatalf("token create through the API: exit %d, %q %q", code, registrar, errOut)
	}
	if out, _, code := as(admin, "token", "list"); code != 0 || !strings.Contains(out, "registrar-wang") || !strings.Contains(out, "first-admin") {
		t.Fatalf("token list: exit %d\n%s", code, out)
	}

	for i := range 5 {
		out, line, code := as(registrar, "learner", "register", "--id", fmt.Sprintf("L2026%04d", i), "--name", fmt.Sprintf("学生%d", i),
			"--national-id", fmt.Sprintf("3101152004%08d", i), "--holder-key", holderMultikey(i))
		if code != 0 || !strings.Contains(out, "registered learner") {
			t.Fatalf("learner register: exit %d, %q %q", code, out, line)
		}
	}

	data := filepath.Join(w.dir, "achievement.json")
	os.WriteFile(data, []byte(`{"achievement":{"name":{"@value":"法学","@language":"zh-CN"}},"activityEndDate":"2026-06-30T00:00:00Z"}`), 0o600)
	outDir := filepath.Join(w.dir, "one")
	out, line, code := as(registrar, "issue", "--type", "Diploma", "--learner", "L20260000", "--data", data, "--out", outDir)
	if code != 0 || !strings.Contains(out, "issued Diploma urn:uuid:") {
		t.Fatalf("issue one: exit %d, %q %q", code, out, line)
	}
	id := strings.Fields(out)[2]
	if files, _ := filepath.Glob(filepath.Join(outDir, "*")); len(files) != 2 {
		t.Fatalf("issue --out wrote %v", files)
	}
	again, _, code := as(registrar, "issue", "--type", "Diploma", "--learner", "L20260000", "--data", data)
	if code != 0 || strings.Fields(again)[2] != id {
		t.Fatalf("running the same issue again issued another credential: %q", again)
	}

	csvFile := filepath.Join(w.dir, "graduates.csv")
	tmpl := filepath.Join(w.dir, "template.json")
	os.WriteFile(tmpl, []byte(`{"subject":{"achievement":{"name":{"@value":"Law","@language":"en"}},"activityEndDate":"2026-06-30T00:00:00Z"}}`), 0o600)
	var csv strings.Builder
	csv.WriteString("learnerId,certificateNumber\n")
	for i := range 5 {
		fmt.Fprintf(&csv, "L2026%04d,1028%06d\n", i, i)
	}
	os.WriteFile(csvFile, []byte(csv.String()), 0o600)
	bulkDir := filepath.Join(w.dir, "bulk")
	out, line, code = as(registrar, "issue", "--csv", csvFile, "--type", "Diploma", "--template", tmpl, "--out", bulkDir, "--quiet")
	if code != 0 || !strings.Contains(out, "completed: 5 issued, 0 failed, 0 invalid of 5 rows") || !strings.Contains(out, "wrote 5 credentials") {
		t.Fatalf("issue --csv: exit %d\n%s\n%s", code, out, line)
	}
	if files, _ := filepath.Glob(filepath.Join(bulkDir, "*.qr.png")); len(files) != 5 {
		t.Fatalf("issue --csv --out wrote %d QR codes", len(files))
	}

	os.WriteFile(csvFile, []byte("learnerId,activityEndDate\nL20260001,2026-06-30\nL20269999,2026-06-30\nL20260002,June\n"), 0o600)
	var stderr string
	_, stderr, code = as(registrar, "issue", "--csv", csvFile, "--type", "Diploma", "--template", tmpl, "--quiet")
	if code != 2 || !strings.Contains(stderr, "INVALID") {
		t.Fatalf("a CSV with bad rows: exit %d, %q", code, stderr)
	}

	out, line, code = as(registrar, "revoke", id, "--reason", "ISSUED_IN_ERROR")
	if code != 0 || !strings.Contains(out, "REVOKED") {
		t.Fatalf("revoke: exit %d, %q %q", code, out, line)
	}
	if _, line, code = as(registrar, "revoke", id, "--reason", "ISSUED_IN_ERROR"); code != 1 || !strings.HasPrefix(line, "CONFLICT") {
		t.Fatalf("revoking twice: exit %d, %q", code, line)
	}

	out, line, code = as(registrar, "card", "issue", "L20260003")
	if code != 0 || !strings.Contains(out, "issued card") {
		t.Fatalf("card issue: exit %d, %q %q", code, out, line)
	}

	var tokID string
	for _, l := range strings.Split(mustList(t, as, admin), "\n") {
		if strings.Contains(l, "registrar-wang") {
			tokID = strings.Fields(l)[0]
		}
	}
	if out, line, code := as(admin, "token", "revoke", tokID); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("token revoke: exit %d, %q %q", code, out, line)
	}
	if _, line, code := as(registrar, "credential", "list"); code != 1 || !strings.HasPrefix(line, "UNAUTHORIZED") {
		t.Fatalf("a revoked token still works: exit %d, %q", code, line)
	}
}

// mustList returns the output of `token list`.
func mustList(t *testing.T, as func(string, ...string) (string, string, int), admin string) string {
	t.Helper()
	out, line, code := as(admin, "token", "list")
	if code != 0 {
		t.Fatalf("token list: %d %s", code, line)
	}
	return out
}
