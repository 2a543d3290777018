// Package demo tells EduLedger's story end to end against any ledger backend, as the parties
// would live it: the education bureau governs and accredits, schools publish signing keys, register
// learners (personal data private), issue diplomas one by one and a graduating class as one Merkle
// batch, an employer's verifier checks them, a registrar suspends, reinstates and revokes, and every
// unauthorised attempt is refused. Each step states what must happen; Run reports any step whose
// outcome differs, so `eduledger demo` exits 0 only when EduLedger behaved as promised.
//
// The story uses identifiers unique to the run, so it also runs on a channel that already holds data
// (a long-lived Fabric network).
package demo

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// MinBatchSize is the smallest graduating class the story can tell (it follows graduates 3, 4 and 7).
const MinBatchSize = 8

// Config configures a run.
type Config struct {
	// Connector plays every part.
	Connector ledger.Connector
	// Out receives the narrative.
	Out io.Writer
	// BatchSize is the size of the graduating class issued as one Merkle batch (default 40).
	BatchSize int
	// SaveDir, when set, receives the issued credentials as JSON files.
	SaveDir string
}

// Result is the outcome of a run.
type Result struct {
	RunID string
	Steps int
	// Unexpected lists the steps whose outcome was not the promised one.
	Unexpected []string
	// Personal is the personal data the story registered, so that a test can prove none of it
	// reached the shared ledger.
	Personal []eduledger.PersonalData
}

// OK reports whether every step went as promised.
func (r *Result) OK() bool { return len(r.Unexpected) == 0 }

// Run tells the story. It returns an error only when the story cannot go on (the ledger is
// unreachable, a party has no identity); steps that merely turn out differently are in the Result.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 40
	}
	if cfg.BatchSize < MinBatchSize {
		return nil, fmt.Errorf("demo: a class of %d is too small; the story needs at least %d", cfg.BatchSize, MinBatchSize)
	}
	s := &story{cfg: cfg, ctx: ctx, res: &Result{RunID: newRunID()}, clients: map[string]*ledger.Client{}}
	s.printf("EduLedger demo, run %s\n\n", s.res.RunID)
	err := s.tell()
	s.printf("\n")
	if err != nil {
		return s.res, err
	}
	if s.res.OK() {
		s.printf("All %d steps went as expected.\n", s.res.Steps)
	} else {
		s.printf("%d of %d steps did NOT go as expected:\n", len(s.res.Unexpected), s.res.Steps)
		for _, u := range s.res.Unexpected {
			s.printf("  - %s\n", u)
		}
	}
	return s.res, nil
}

type story struct {
	cfg     Config
	ctx     context.Context
	res     *Result
	clients map[string]*ledger.Client
	issuers map[string]*credential.Issuer
	verify  *credential.Verifier
}

func (s *story) printf(format string, args ...any) { fmt.Fprintf(s.cfg.Out, format, args...) }

// as returns a typed client acting as role of a demo organisation.
func (s *story) as(orgID string, role eduledger.StaffRole) (*ledger.Client, error) {
	key := orgID + "/" + string(role)
	if c, ok := s.clients[key]; ok {
		return c, nil
	}
	org, ok := devnet.Organization(orgID)
	if !ok {
		return nil, fmt.Errorf("demo: %s is not a demo organisation", orgID)
	}
	l, err := s.cfg.Connector.Connect(s.ctx, org.MSPID, orgID, role)
	if err != nil {
		return nil, fmt.Errorf("demo: act as %s of %s: %w", role, orgID, err)
	}
	c := ledger.NewClient(l)
	s.clients[key] = c
	return c, nil
}

// step runs one step that must succeed; detail describes the outcome.
func (s *story) step(title string, run func() (string, error)) error {
	s.res.Steps++
	detail, err := run()
	if err != nil {
		if isFatal(err) {
			s.printf("%3d ✗ %s: %v\n", s.res.Steps, title, err)
			return err
		}
		s.printf("%3d ✗ %s: UNEXPECTED %v\n", s.res.Steps, title, err)
		s.res.Unexpected = append(s.res.Unexpected, fmt.Sprintf("%s: %v", title, err))
		return nil
	}
	s.printf("%3d ✓ %s", s.res.Steps, title)
	if detail != "" {
		s.printf(": %s", detail)
	}
	s.printf("\n")
	return nil
}

// refused runs one step that must be refused with the given code.
func (s *story) refused(title, code string, run func() error) error {
	s.res.Steps++
	err := run()
	got := eduledger.ErrorCode(err)
	switch {
	case err != nil && isFatal(err):
		s.printf("%3d ✗ %s: %v\n", s.res.Steps, title, err)
		return err
	case got == code:
		s.printf("%3d ✓ refused as it must be: %s\n        %s: %s\n", s.res.Steps, title, got, eduledger.ErrorMessage(err))
	case err == nil:
		s.printf("%3d ✗ %s: UNEXPECTEDLY ALLOWED\n", s.res.Steps, title)
		s.res.Unexpected = append(s.res.Unexpected, title+": allowed, want "+code)
	default:
		s.printf("%3d ✗ %s: refused with %s, want %s (%v)\n", s.res.Steps, title, got, code, err)
		s.res.Unexpected = append(s.res.Unexpected, fmt.Sprintf("%s: %s, want %s", title, got, code))
	}
	return nil
}

// isFatal reports errors after which the story cannot continue: the ledger is gone or an
// identity is missing.
func isFatal(err error) bool {
	c := eduledger.ErrorCode(err)
	return c == eduledger.EUNAVAILABLE || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func (s *story) save(name string, data []byte) error {
	if s.cfg.SaveDir == "" {
		return nil
	}
	if err := os.MkdirAll(s.cfg.SaveDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.cfg.SaveDir, name), data, 0o644)
}

func newRunID() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// issuerKeys generates an organisation's signing keys for the run and registers them on the ledger.
func (s *story) issuerKeys(orgID string) (*credential.Issuer, error) {
	admin, err := s.as(orgID, eduledger.StaffAdmin)
	if err != nil {
		return nil, err
	}
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	_, pqPriv, err := mldsa44.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	ed, err := dataintegrity.NewEd25519Signer(eduledger.KeyDID(orgID, "demo-"+s.res.RunID+"-ed"), edPriv)
	if err != nil {
		return nil, err
	}
	pq, err := dataintegrity.NewMLDSA44Signer(eduledger.KeyDID(orgID, "demo-"+s.res.RunID+"-pq"), pqPriv)
	if err != nil {
		return nil, err
	}
	for _, sig := range []dataintegrity.Signer{ed, pq} {
		_, keyID, _ := eduledger.ParseKeyDID(sig.VerificationMethod())
		kt := eduledger.KeyEd25519
		if sig.Kind() == "ML-DSA-44" {
			kt = eduledger.KeyMLDSA44
		}
		if _, err := admin.RegisterIssuerKey(s.ctx, &eduledger.IssuerKey{OrgID: orgID, ID: keyID, Type: kt,
			PublicKeyMultibase: sig.PublicKeyMultibase()}); err != nil {
			return nil, fmt.Errorf("register %s: %w", sig.VerificationMethod(), err)
		}
	}
	org, _ := devnet.Organization(orgID)
	profile := credential.Profile{ID: eduledger.OrgDID(orgID), Name: credential.Text{Zh: org.Name.Zh, En: org.Name.En}}
	return credential.NewIssuer(profile, ed, pq)
}

// ledgerKeys resolves verification methods against the issuer keys registered on the ledger.
type ledgerKeys struct{ c *ledger.Client }

func (k ledgerKeys) ResolveKey(ctx context.Context, vm string) (*dataintegrity.Key, error) {
	orgID, keyID, ok := eduledger.ParseKeyDID(vm)
	if !ok {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "%s is not an EduLedger issuer key", vm)
	}
	key, err := k.c.GetIssuerKey(ctx, orgID, keyID)
	if err != nil {
		return nil, err
	}
	return dataintegrity.KeyFromIssuerKey(key), nil
}

// since is a short human duration.
func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }
