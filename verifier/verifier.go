package verifier

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/holder"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// Verifier is the verification engine: it checks credentials, presentations and verification
// links against the ledger, through a cache that the ledger's chaincode events keep fresh (Run).
// It is safe for concurrent use.
type Verifier struct {
	o      options
	l      ledger.Ledger
	client *ledger.Client
	view   *view
	creds  *credential.Verifier
	pres   *holder.Verifier
	keys   keyResolver // with validity windows, for card tokens
	chal   *challenges
	m      *metrics

	// parsers recycle the memory of the documents Verify parses: nothing of a document's
	// containers outlives its verification (a Result holds strings, never parsed values).
	parsers sync.Pool

	running atomic.Bool
	state   atomic.Int32 // streamState
	cpMu    sync.Mutex
	cp      *ledger.Checkpoint
}

type streamState int32

const (
	streamStopped streamState = iota
	streamConnecting
	streamFollowing
)

// New returns a Verifier reading the ledger through l, a read-only connection (a member identity
// without staff attributes is enough). Call Run to keep its cache fresh; without Run it still
// answers correctly, every ledger answer kept for the unsynced TTL only. Errors: INVALID for bad
// options.
func New(l ledger.Ledger, opts ...Option) (*Verifier, error) {
	if l == nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "verifier: a ledger connection is required")
	}
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.schemas == nil {
		s, err := credential.NewSchemas()
		if err != nil {
			return nil, err
		}
		o.schemas = s
	}
	m, err := newMetrics(o.reg)
	if err != nil {
		return nil, err
	}
	v := &Verifier{o: o, l: l, client: ledger.NewClient(l), m: m}
	v.view = newView(v.client, viewConfig{ttl: o.ttl, unsyncedTTL: o.unsyncedTTL, credentials: o.cacheSize,
		bloomLog: o.bloomLog, now: o.now, log: o.log, stats: m.cacheLookup})
	v.keys = keyResolver{v: v.view}
	v.creds, err = credential.NewVerifier(keyResolver{v: v.view, bare: true}, credential.WithSchemas(o.schemas),
		credential.WithClock(o.now), credential.WithBatchCache(o.batchCache))
	if err != nil {
		return nil, err
	}
	v.pres = holder.NewVerifier(v.creds, o.now)
	v.chal = newChallenges(o.challengeLifetime, o.maxChallenges, o.now)
	return v, nil
}

// Limits on what Verify reads.
const (
	// MaxCredentialBytes bounds a credential (credential.DefaultMaxBytes).
	MaxCredentialBytes = credential.DefaultMaxBytes
	// MaxPresentationBytes bounds a presentation (holder.MaxPresentationBytes).
	MaxPresentationBytes = holder.MaxPresentationBytes
)

var documentLimits = jsoncanon.Limits{MaxBytes: MaxPresentationBytes, MaxDepth: credential.DefaultMaxDepth + 2}

// Verify checks a credential or a presentation given as JSON, telling them apart by their type. A
// document that fails verification is a Result with Verdict NotVerified; an error means the input
// is neither: INVALID when it is not a JSON object within the limits, without duplicate keys,
// whose type names VerifiableCredential or VerifiablePresentation.
func (v *Verifier) Verify(ctx context.Context, data []byte) (*Result, error) {
	p, _ := v.parsers.Get().(*jsoncanon.Parser)
	if p == nil {
		p = new(jsoncanon.Parser)
	}
	defer func() {
		p.Reset()
		v.parsers.Put(p)
	}()
	doc, err := p.ParseObjectValue(data, documentLimits)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "the document is not acceptable JSON: %w", err)
	}
	switch kindOf(doc) {
	case KindPresentation:
		return v.VerifyPresentation(ctx, data), nil
	case KindCredential:
		if len(data) > MaxCredentialBytes {
			return nil, eduledger.Errorf(eduledger.EINVALID, "a credential must be at most %d bytes; this one has %d", MaxCredentialBytes, len(data))
		}
		return v.VerifyCredentialValue(ctx, doc), nil
	}
	return nil, eduledger.Errorf(eduledger.EINVALID, `the document is neither a verifiable credential nor a presentation: its "type" must name VerifiableCredential or VerifiablePresentation`)
}

// kindOf tells a credential from a presentation by its type ("" for neither).
func kindOf(doc *jsoncanon.Value) string {
	t, _ := doc.Get("type")
	credential := false
	for _, e := range asList(t) {
		switch s, _ := e.Str(); s {
		case "VerifiablePresentation":
			return KindPresentation
		case credentialType:
			credential = true
		}
	}
	if credential {
		return KindCredential
	}
	return ""
}

const credentialType = credential.TypeVerifiableCredential

// VerifyCredential checks a credential given as JSON, every check, offline and against the ledger.
// It never fails: what does not verify is said by the Result.
func (v *Verifier) VerifyCredential(ctx context.Context, data []byte) *Result {
	return v.finish(KindCredential, v.credentialResult(ctx, v.creds.Verify(ctx, data), v.o.now()))
}

// VerifyCredentialValue is VerifyCredential for a credential already parsed with
// jsoncanon.ParseValue. doc must not be modified afterwards.
func (v *Verifier) VerifyCredentialValue(ctx context.Context, doc *jsoncanon.Value) *Result {
	return v.finish(KindCredential, v.credentialResult(ctx, v.creds.VerifyValue(ctx, doc), v.o.now()))
}

func (v *Verifier) finish(kind string, r *Result) *Result {
	r.settle()
	v.m.verifications.WithLabelValues(kind, string(r.Verdict)).Inc()
	return r
}

// NewChallenge returns a challenge for a holder's presentation. Errors: INVALID when no domain is
// configured (WithDomain), UNAVAILABLE when too many challenges are outstanding.
func (v *Verifier) NewChallenge() (*Challenge, error) {
	if v.o.domain == "" {
		return nil, eduledger.Errorf(eduledger.EINVALID, "this verifier has no domain configured, so it accepts no presentations")
	}
	nonce, exp, err := v.chal.issue()
	if err != nil {
		return nil, err
	}
	return &Challenge{Challenge: nonce, Domain: v.o.domain, ExpiresAt: exp}, nil
}

// Ready reports whether the ledger answers: nil, or an UNAVAILABLE error.
func (v *Verifier) Ready(ctx context.Context) error {
	if _, err := v.client.GetGoverningOrganization(ctx); err != nil {
		return eduledger.Errorf(eduledger.EUNAVAILABLE, "the ledger does not answer: %w", err)
	}
	return nil
}

// Synced reports whether the cache follows the ledger's events from a known position (see Run).
func (v *Verifier) Synced() bool { return v.view.synced.Load() }

// Following reports whether the event stream is open.
func (v *Verifier) Following() bool { return streamState(v.state.Load()) == streamFollowing }

// Checkpoint returns the position of the last event applied, nil before the first.
func (v *Verifier) Checkpoint() *ledger.Checkpoint {
	v.cpMu.Lock()
	defer v.cpMu.Unlock()
	if v.cp == nil {
		return nil
	}
	cp := *v.cp
	return &cp
}

// Run follows the ledger's chaincode events until ctx ends, applying each to the cache: a changed
// key, organisation, accreditation or learner is dropped or replaced, a newly anchored credential
// or batch is added, a status change replaces the credential's record. When the stream breaks it
// reconnects (with back-off) — from the ledger's head, after flushing the cache, when WithHead was
// given; otherwise from the last event applied, and the cache then never trusts an answer for
// more than the unsynced TTL. It returns nil when ctx ends, and an error only when called twice.
func (v *Verifier) Run(ctx context.Context) error {
	if !v.running.CompareAndSwap(false, true) {
		return errors.New("verifier: Run is already running")
	}
	defer v.running.Store(false)
	defer v.state.Store(int32(streamStopped))
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		v.state.Store(int32(streamConnecting))
		delivered, err := v.follow(ctx)
		v.view.unsync()
		v.m.synced.Set(0)
		if ctx.Err() != nil {
			return nil
		}
		if delivered > 0 {
			backoff = 50 * time.Millisecond
		}
		v.o.log.Warn("chaincode event stream ended; reconnecting", "checkpoint", v.Checkpoint(), "err", err, "retryIn", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
	return nil
}

// follow opens one event stream and applies its events until it ends. It returns how many events
// it applied and why it ended.
func (v *Verifier) follow(ctx context.Context) (int, error) {
	start := v.Checkpoint()
	if v.o.head != nil {
		h, err := v.o.head(ctx)
		if err != nil {
			return 0, err
		}
		start = &ledger.Checkpoint{BlockNumber: h}
	}
	events, err := v.l.Events(ctx, start)
	if err != nil {
		return 0, err
	}
	v.m.reconnects.Inc()
	// Nothing cached before the stream opened can be known to have seen what changed since.
	synced := v.o.head != nil
	v.view.resync(synced)
	if synced {
		v.m.synced.Set(1)
	}
	v.state.Store(int32(streamFollowing))
	v.o.log.Info("following chaincode events", "from", start, "synced", synced)
	n := 0
	for ev := range events {
		v.view.apply(ev)
		v.m.events.Inc()
		v.cpMu.Lock()
		v.cp = &ledger.Checkpoint{BlockNumber: ev.BlockNumber, TxID: ev.TxID}
		v.cpMu.Unlock()
		n++
	}
	if err := ctx.Err(); err != nil {
		return n, err
	}
	return n, errors.New("the stream closed")
}
