package issuance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/issuance/card"
	"github.com/eduledger/eduledger/sdk/keystore"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// Config is what an Engine needs to know. DataDir holds everything the service keeps:
//
//	<DataDir>/store/        the store (goleveldb): tokens, audit log, credentials, jobs, …
//	<DataDir>/segments/     signed credentials of bulk jobs, one file per Merkle batch
//	<DataDir>/keys/<orgID>/ each hosted organisation's signing keys, encrypted with KeyPassphrase
type Config struct {
	DataDir string
	// Orgs are the organisations this service issues for. Each must be registered on the ledger;
	// the ledger.Connector must hold staff identities for them.
	Orgs []string
	// KeyPassphrase encrypts the signing keys (at least keystore.MinPassphrase bytes).
	KeyPassphrase string
	// VerifierURL is the base of the verification links QR codes carry
	// (verifier.Link(VerifierURL, …)).
	VerifierURL string
	// BatchSize is how many credentials of a bulk job share one Merkle root and one ledger anchor.
	BatchSize int
	// MaxJobRows bounds the rows of one bulk job.
	MaxJobRows int
	// CardValidity is how long an identity card is valid when the request does not say.
	CardValidity time.Duration
	// Channel and Chaincode are written into each credential's status entry.
	Channel   string
	Chaincode string
	// CardFont is a TrueType/OpenType font (or collection) with Chinese glyphs for identity card
	// images. Empty: the first of card.KnownFonts installed; with none, card images are refused
	// (UNAVAILABLE) and everything else works.
	CardFont string
}

// Defaults.
const (
	DefaultBatchSize    = 4096
	DefaultMaxJobRows   = 1_000_000
	DefaultCardValidity = 4 * 365 * 24 * time.Hour
)

func (c *Config) withDefaults() {
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.MaxJobRows == 0 {
		c.MaxJobRows = DefaultMaxJobRows
	}
	if c.CardValidity == 0 {
		c.CardValidity = DefaultCardValidity
	}
	if c.Channel == "" {
		c.Channel = credential.DefaultChannel
	}
	if c.Chaincode == "" {
		c.Chaincode = credential.DefaultChaincode
	}
}

// Validate checks the configuration (with defaults applied), naming the bad setting.
func (c Config) Validate() error {
	c.withDefaults()
	switch {
	case c.DataDir == "":
		return errors.New("data directory is required")
	case len(c.Orgs) == 0:
		return errors.New("at least one organisation to issue for is required")
	case len(c.KeyPassphrase) < keystore.MinPassphrase:
		return fmt.Errorf("key passphrase must be at least %d bytes", keystore.MinPassphrase)
	case c.VerifierURL == "":
		return errors.New("verifier URL (the base of verification links) is required")
	case c.BatchSize < 1 || c.BatchSize > eduledger.MaxBatchSize:
		return fmt.Errorf("batch size must be between 1 and %d", eduledger.MaxBatchSize)
	case c.MaxJobRows < 1:
		return errors.New("max job rows must be at least 1")
	case c.CardValidity < 24*time.Hour:
		return errors.New("card validity must be at least a day")
	}
	for _, o := range c.Orgs {
		if !eduledger.ValidOrgID(o) {
			return fmt.Errorf("organisation %q is not a valid organisation ID", o)
		}
	}
	return nil
}

// Observer receives what the service measures. Its methods must be cheap and safe for concurrent
// use.
type Observer interface {
	// LedgerCall reports one ledger transaction (submitted or evaluated) and how long it took.
	LedgerCall(function string, elapsed time.Duration, err error)
	// Issued reports credentials anchored on the ledger.
	Issued(orgID string, t eduledger.CredentialType, n int)
}

type nopObserver struct{}

func (nopObserver) LedgerCall(string, time.Duration, error)      {}
func (nopObserver) Issued(string, eduledger.CredentialType, int) {}

// Option configures an Engine.
type Option func(*options) error

type options struct {
	log       *slog.Logger
	now       func() time.Time
	kdf       *keystore.KDF
	observer  Observer
	failpoint func(string) error
	workers   int
	schemas   *credential.Schemas
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error { o.log = l; return nil }
}

// WithClock sets the clock that dates credentials, jobs and audit entries.
func WithClock(now func() time.Time) Option {
	return func(o *options) error { o.now = now; return nil }
}

// WithKeyKDF sets the Argon2id parameters of keys the engine generates (tests use cheap ones).
func WithKeyKDF(k keystore.KDF) Option {
	return func(o *options) error { o.kdf = &k; return nil }
}

// WithObserver receives the engine's measurements.
func WithObserver(obs Observer) Option {
	return func(o *options) error { o.observer = obs; return nil }
}

// WithWorkers sets how many goroutines sign (default GOMAXPROCS).
func WithWorkers(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return eduledger.Errorf(eduledger.EINVALID, "workers must be at least 1")
		}
		o.workers = n
		return nil
	}
}

// WithSchemas shares compiled credential schemas.
func WithSchemas(s *credential.Schemas) Option {
	return func(o *options) error { o.schemas = s; return nil }
}

// Failure points a bulk job passes, in order, for each Merkle batch. WithFailpoint lets crash
// tests stop the process at each of them.
const (
	// PointBatchSigned: the batch's credentials are signed and durable; nothing is submitted.
	PointBatchSigned = "batch-signed"
	// PointBatchSubmitting: the intent to anchor the root is durable; the transaction is not yet
	// sent.
	PointBatchSubmitting = "batch-submitting"
	// PointBatchAnchored: the ledger committed the anchor; the service has not recorded it yet.
	PointBatchAnchored = "batch-anchored"
)

// WithFailpoint calls fn at each failure point with its name; an error from fn fails the step as
// an unreachable ledger would. Crash tests kill the process from fn.
func WithFailpoint(fn func(point string) error) Option {
	return func(o *options) error { o.failpoint = fn; return nil }
}

// Engine is the issuer service without its transport: it registers learners, issues and anchors
// credentials one by one and in bulk jobs that survive restarts, issues identity cards, manages the
// hosted organisations' signing keys and the service's API tokens, and keeps the audit log. Every
// change on the ledger is made as the Principal who asked, so the chaincode authorises it.
//
// It is safe for concurrent use. Run must be running for bulk jobs to progress.
type Engine struct {
	cfg     Config
	conn    ledger.Connector
	reader  *ledger.Client
	rawRead ledger.Ledger
	store   *store
	segs    *segments
	tokens  *Tokens
	audit   *auditLog
	log     *slog.Logger
	now     func() time.Time
	obs     Observer
	fail    func(string) error
	workers int
	check   *checker
	schemas *credential.Schemas
	cards   *card.Renderer
	kdf     *keystore.KDF

	orgs     map[string]*hostedOrg
	orgOrder []string

	connMu sync.Mutex
	conns  map[string]ledger.Ledger

	idemMu   sync.Mutex
	idemBusy map[string]bool

	jobWake chan struct{}

	runOnce sync.Once
	closed  chan struct{}
	running sync.WaitGroup
	closeMu sync.Mutex
	isClose bool
}

// New opens the engine's store in cfg.DataDir, reads the hosted organisations from the ledger
// (through reader, a read-only connection) and opens their key stores. It does not touch keys on
// the ledger: call EnsureKeys before issuing. Errors: INVALID for a bad configuration, NOT_FOUND
// for an organisation the ledger does not know, CONFLICT when another process holds the store,
// UNAVAILABLE when the ledger cannot be reached.
func New(ctx context.Context, cfg Config, conn ledger.Connector, reader ledger.Ledger, opts ...Option) (*Engine, error) {
	cfg.withDefaults()
	cfg.Orgs = slices.Clone(cfg.Orgs)
	if err := cfg.Validate(); err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "issuance: %v", err)
	}
	if conn == nil || reader == nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "issuance: a ledger connector and a reader are required")
	}
	o := &options{log: slog.New(slog.DiscardHandler), now: time.Now, observer: nopObserver{}, workers: runtime.GOMAXPROCS(0)}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.schemas == nil {
		s, err := credential.NewSchemas()
		if err != nil {
			return nil, fmt.Errorf("issuance: %w", err)
		}
		o.schemas = s
	}
	for _, d := range []string{cfg.DataDir, filepath.Join(cfg.DataDir, "segments"), filepath.Join(cfg.DataDir, "keys")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("issuance: %w", err)
		}
	}
	st, err := openStore(filepath.Join(cfg.DataDir, "store"))
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, conn: conn, store: st, log: o.log, now: o.now, obs: o.observer, fail: o.failpoint,
		workers: o.workers, schemas: o.schemas, kdf: o.kdf,
		segs:  &segments{dir: filepath.Join(cfg.DataDir, "segments")},
		check: &checker{schemas: o.schemas, channel: cfg.Channel, chaincode: cfg.Chaincode},
		orgs:  map[string]*hostedOrg{},
		conns: map[string]ledger.Ledger{}, idemBusy: map[string]bool{},
		jobWake: make(chan struct{}, 1), closed: make(chan struct{})}
	e.rawRead = observed{reader, e.obs}
	e.reader = ledger.NewClient(e.rawRead)
	if err := e.loadFont(); err != nil {
		st.close()
		return nil, err
	}
	e.audit = &auditLog{s: st}
	e.tokens = &Tokens{s: st, now: e.now, audit: e.audit}
	if err := e.loadOrgs(ctx); err != nil {
		st.close()
		return nil, err
	}
	return e, nil
}

func (e *Engine) loadOrgs(ctx context.Context) error {
	for _, id := range e.cfg.Orgs {
		if _, dup := e.orgs[id]; dup {
			continue
		}
		org, err := e.reader.GetOrganization(ctx, id)
		if err != nil {
			if eduledger.ErrorCode(err) == eduledger.ENOTFOUND {
				return eduledger.Errorf(eduledger.ENOTFOUND, "organisation %s is not registered on the ledger; the governing organisation must admit it first", id)
			}
			return fmt.Errorf("issuance: read organisation %s: %w", id, err)
		}
		var kopts []keystore.Option
		if e.kdf != nil {
			kopts = append(kopts, keystore.WithKDF(*e.kdf))
		}
		ks, err := keystore.Open(filepath.Join(e.cfg.DataDir, "keys", id), []byte(e.cfg.KeyPassphrase), append(kopts, keystore.WithClock(e.now))...)
		if err != nil {
			return fmt.Errorf("issuance: key store of %s: %w", id, err)
		}
		e.orgs[id] = &hostedOrg{org: *org, ks: ks}
		e.orgOrder = append(e.orgOrder, id)
	}
	return nil
}

func (e *Engine) loadFont() error {
	path := e.cfg.CardFont
	if path == "" {
		found, ok := card.FindFont()
		if !ok {
			e.log.Warn("no font with Chinese glyphs found; identity card images are disabled", "looked-in", card.KnownFonts)
			return nil
		}
		path = found
	}
	r, err := card.NewRenderer(path)
	if err != nil {
		if e.cfg.CardFont != "" {
			return eduledger.Errorf(eduledger.EINVALID, "issuance: card font: %v", err)
		}
		e.log.Warn("identity card images are disabled", "err", err)
		return nil
	}
	e.cards = r
	return nil
}

// CardFont returns the font identity cards are drawn with, "" when card images are disabled.
func (e *Engine) CardFont() string {
	if e.cards == nil {
		return ""
	}
	return e.cards.Path()
}

// Organizations returns the organisations the engine issues for, as the ledger described them at
// start.
func (e *Engine) Organizations() []eduledger.Organization {
	out := make([]eduledger.Organization, 0, len(e.orgOrder))
	for _, id := range e.orgOrder {
		out = append(out, e.orgs[id].org)
	}
	return out
}

// Tokens returns the engine's API tokens.
func (e *Engine) Tokens() *Tokens { return e.tokens }

func (e *Engine) hosted(orgID string) (*hostedOrg, error) {
	o, ok := e.orgs[orgID]
	if !ok {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "this service does not issue for organisation %s", orgID)
	}
	return o, nil
}

// client returns a ledger client acting as p, and p's organisation.
func (e *Engine) client(ctx context.Context, p Principal) (*ledger.Client, *hostedOrg, error) {
	org, err := e.hosted(p.OrgID)
	if err != nil {
		return nil, nil, err
	}
	if !p.Role.Valid() {
		return nil, nil, eduledger.Errorf(eduledger.EFORBIDDEN, "role %q is not a staff role", p.Role)
	}
	key := p.OrgID + "/" + string(p.Role)
	e.connMu.Lock()
	defer e.connMu.Unlock()
	if l, ok := e.conns[key]; ok {
		return ledger.NewClient(l), org, nil
	}
	l, err := e.conn.Connect(ctx, org.org.MSPID, p.OrgID, p.Role)
	if err != nil {
		return nil, nil, err
	}
	ol := observed{l, e.obs}
	e.conns[key] = ol
	return ledger.NewClient(ol), org, nil
}

// Run resumes what a previous process left unfinished (single issuances awaiting the ledger's
// answer, bulk jobs) and then processes bulk jobs and follows the ledger's events (learner
// statuses for checking rows, credential status changes made elsewhere) until ctx ends or the
// engine closes. It returns nil then. Run may be called once.
func (e *Engine) Run(ctx context.Context) error {
	started := false
	e.runOnce.Do(func() { started = true })
	if !started {
		return errors.New("issuance: Run was already called")
	}
	e.closeMu.Lock()
	if e.isClose {
		e.closeMu.Unlock()
		return eduledger.Errorf(eduledger.EUNAVAILABLE, "the issuance engine is closed")
	}
	e.running.Add(1)
	e.closeMu.Unlock()
	defer e.running.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-e.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := e.reconcileSingles(ctx); err != nil && ctx.Err() == nil {
		e.log.Warn("could not settle every pending issuance; will retry on the next start", "err", err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); e.runJobs(ctx) }()
	go func() { defer wg.Done(); e.follow(ctx) }()
	wg.Wait()
	return nil
}

// Close stops Run and closes the store. Work in flight stops where it is; a later process resumes
// it.
func (e *Engine) Close() error {
	e.closeMu.Lock()
	if e.isClose {
		e.closeMu.Unlock()
		return nil
	}
	e.isClose = true
	close(e.closed)
	e.closeMu.Unlock()
	e.running.Wait()
	e.connMu.Lock()
	var errs []error
	for k, l := range e.conns {
		errs = append(errs, l.Close())
		delete(e.conns, k)
	}
	e.connMu.Unlock()
	errs = append(errs, e.store.close())
	return errors.Join(errs...)
}

// newID returns prefix, a time in hex (so IDs sort by creation) and random bytes.
func newID(prefix string, t time.Time) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s%012x%s", prefix, t.UnixMilli(), hex.EncodeToString(b[:]))
}

// observed times ledger calls for the Observer.
type observed struct {
	ledger.Ledger
	obs Observer
}

func (o observed) Submit(ctx context.Context, tx *ledger.Transaction) (*ledger.Receipt, error) {
	start := time.Now()
	r, err := o.Ledger.Submit(ctx, tx)
	o.obs.LedgerCall(tx.Function, time.Since(start), err)
	return r, err
}

func (o observed) Evaluate(ctx context.Context, tx *ledger.Transaction) ([]byte, error) {
	start := time.Now()
	r, err := o.Ledger.Evaluate(ctx, tx)
	o.obs.LedgerCall(tx.Function, time.Since(start), err)
	return r, err
}
