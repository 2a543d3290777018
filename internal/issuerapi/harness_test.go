package issuerapi

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/issuance"
	"github.com/eduledger/eduledger/sdk/issuance/client"
	"github.com/eduledger/eduledger/sdk/keystore"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
	"github.com/eduledger/eduledger/verifier"
)

// service is the issuer service on loopback over an embedded ledger in a temporary directory,
// bootstrapped with the demo organisations.
type service struct {
	t      testing.TB
	srv    *Server
	http   *httptest.Server
	ledger *embedded.Ledger
	conn   ledger.Connector
	reader ledger.Ledger
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan struct{}
}

var (
	schemasOnce sync.Once
	schemas     *credential.Schemas
)

func sharedSchemas() *credential.Schemas {
	schemasOnce.Do(func() {
		s, err := credential.NewSchemas()
		if err != nil {
			panic(err)
		}
		schemas = s
	})
	return schemas
}

func testConfig(dir string) Config {
	return Config{Engine: issuance.Config{DataDir: filepath.Join(dir, "issuer"),
		Orgs:          []string{devnet.Riverside, devnet.Lakeside, devnet.Acme, devnet.Bureau},
		KeyPassphrase: "correct horse battery staple", VerifierURL: "http://127.0.0.1:8081", BatchSize: 256},
		MaxBodyBytes: 64 << 10, MaxUploadBytes: 8 << 20}
}

func startService(t testing.TB, cfg Config) *service {
	t.Helper()
	dir := t.TempDir()
	if cfg.Engine.DataDir == "" {
		cfg = testConfig(dir)
	}
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
	conn := n.Connector(l)
	ctx := context.Background()
	if _, err := devnet.Bootstrap(ctx, conn); err != nil {
		t.Fatal(err)
	}
	reader, err := conn.Connect(ctx, devnet.SchoolMSP, "", "")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	reg := prometheus.NewRegistry()
	srv, err := New(ctx, cfg, Deps{Connector: conn, Reader: reader, Logger: log, Registry: reg,
		EngineOptions: []issuance.Option{issuance.WithKeyKDF(keystore.KDF{Time: 1, MemoryKiB: 64, Threads: 1}),
			issuance.WithSchemas(sharedSchemas())}})
	if err != nil {
		t.Fatal(err)
	}
	s := &service{t: t, srv: srv, ledger: l, conn: conn, reader: reader, reg: reg, done: make(chan struct{})}
	runCtx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	go func() { defer close(s.done); _ = srv.Run(runCtx) }()
	s.http = httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		s.http.Close()
		cancel()
		<-s.done
		srv.Close()
	})
	return s
}

// client returns a client with a fresh token of org in role.
func (s *service) client(org string, role eduledger.StaffRole) *client.Client {
	s.t.Helper()
	tok, err := s.srv.Engine().Tokens().Create(issuance.TokenSpec{Name: "test " + string(role), OrgID: org, Role: role}, "test")
	if err != nil {
		s.t.Fatal(err)
	}
	return s.clientWith(tok.Secret)
}

func (s *service) clientWith(token string) *client.Client {
	s.t.Helper()
	c, err := client.New(s.http.URL, token)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// raw sends a request as is and returns the status, content type and body.
func (s *service) raw(method, path, token, ctype string, body []byte) (int, string, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.http.URL+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b.Bytes()
}

// verifier returns the real verifier over the ledger (no event following: a fresh one sees every
// status change).
func (s *service) verifier() *verifier.Verifier {
	s.t.Helper()
	v, err := verifier.New(s.reader, verifier.WithSchemas(sharedSchemas()))
	if err != nil {
		s.t.Fatal(err)
	}
	return v
}

func holderKey(n int) string {
	var seed [32]byte
	copy(seed[:], fmt.Sprintf("holder key %d", n))
	s, _ := dataintegrity.NewEd25519Signer("did:example:h#k", ed25519.NewKeyFromSeed(seed[:]))
	return s.PublicKeyMultibase()
}

func portrait(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 240, 320))
	for y := range 320 {
		for x := range 240 {
			img.Set(x, y, color.RGBA{uint8(60 + x/3), uint8(90 + y/4), 180, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// registerMany registers learners <prefix>0000… through c, 16 at a time.
func registerMany(t testing.TB, c *client.Client, prefix string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		ids[i] = fmt.Sprintf("%s%05d", prefix, i)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := c.RegisterLearner(context.Background(), issuance.LearnerRegistration{ID: ids[i],
				Roles: []eduledger.LearnerRole{eduledger.RoleStudent}, HolderKeys: []string{holderKey(i)},
				Personal: issuance.PersonalDetails{Name: fmt.Sprintf("学生%d", i), NationalID: fmt.Sprintf("3101152004%08d", i)}}, "")
			if err != nil {
				errs <- fmt.Errorf("register %s: %w", ids[i], err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return ids
}

func diplomaCSV(learners []string) string {
	var b strings.Builder
	b.WriteString("learnerId,achievement.name.zh,achievement.name.en,activityEndDate,certificateNumber,creditsEarned\n")
	for i, l := range learners {
		fmt.Fprintf(&b, "%s,计算机科学与技术,Computer Science and Technology,2026-06-30,10280%07d,162.5\n", l, i)
	}
	return b.String()
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func diplomaRequest(learner string) issuance.CredentialRequest {
	return issuance.CredentialRequest{Type: eduledger.TypeDiploma, LearnerID: learner,
		Subject: credential.Subject{Achievement: &credential.Achievement{
			Name: credential.Text{Zh: "计算机科学与技术", En: "Computer Science and Technology"}, FieldOfStudy: "Computer Science"},
			ActivityStartDate: date("2022-09-01"), ActivityEndDate: date("2026-06-30"), CreditsEarned: 162.5}}
}
