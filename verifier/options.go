package verifier

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
)

// Defaults of the options.
const (
	// DefaultCacheTTL is how long a ledger answer is kept while the verifier follows the ledger's
	// events (which update or drop it as soon as it changes); the TTL only bounds the damage of a
	// stream that stalls without breaking.
	DefaultCacheTTL = 10 * time.Minute
	// DefaultUnsyncedTTL is how long a ledger answer is kept while the verifier does not follow
	// the events from a known position: short enough that a change on the ledger shows within a
	// second even then.
	DefaultUnsyncedTTL = 500 * time.Millisecond
	// DefaultCacheSize bounds the credential records (and learners) kept.
	DefaultCacheSize = 200_000
	// DefaultAnchorTolerance is how far a credential's own claims of time may lie after the
	// ledger's anchoring time, and how long after a key was retired a credential it signed may
	// still be anchored. It matches the chaincode's tolerance for issuedAt.
	DefaultAnchorTolerance = 5 * time.Minute
	// DefaultChallengeLifetime is how long a presentation challenge stays usable.
	DefaultChallengeLifetime = 5 * time.Minute
	// DefaultMaxChallenges bounds the challenges outstanding at once.
	DefaultMaxChallenges = 100_000
)

// Option configures a Verifier.
type Option func(*options) error

type options struct {
	now               func() time.Time
	head              func(context.Context) (uint64, error)
	ttl, unsyncedTTL  time.Duration
	cacheSize         int
	bloomLog          uint
	tolerance         time.Duration
	domain            string
	challengeLifetime time.Duration
	maxChallenges     int
	log               *slog.Logger
	reg               prometheus.Registerer
	schemas           *credential.Schemas
	batchCache        int
}

func defaultOptions() options {
	return options{
		now: time.Now, ttl: DefaultCacheTTL, unsyncedTTL: DefaultUnsyncedTTL, cacheSize: DefaultCacheSize,
		bloomLog: 24, tolerance: DefaultAnchorTolerance, challengeLifetime: DefaultChallengeLifetime,
		maxChallenges: DefaultMaxChallenges, log: slog.New(slog.DiscardHandler), batchCache: 4096,
	}
}

// WithClock sets the verifier's clock: the time validity periods, proof expiry and challenges are
// checked against.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return eduledger.Errorf(eduledger.EINVALID, "verifier: the clock must not be nil")
		}
		o.now = now
		return nil
	}
}

// WithHead gives the verifier the ledger's current height (the number of committed blocks), so that
// Run can follow the events from the head and trust its cache for DefaultCacheTTL. Without it, Run
// follows the events from its last checkpoint and keeps every answer for the unsynced TTL only.
// The embedded ledger's Height is one.
func WithHead(head func(context.Context) (uint64, error)) Option {
	return func(o *options) error {
		o.head = head
		return nil
	}
}

// WithCacheTTL sets how long ledger answers are kept while synced with the ledger's events and
// while not (defaults DefaultCacheTTL and DefaultUnsyncedTTL). unsynced must stay under a second for
// a status change to be visible within a second when the event stream is lost.
func WithCacheTTL(synced, unsynced time.Duration) Option {
	return func(o *options) error {
		if synced <= 0 || unsynced <= 0 || unsynced > synced {
			return eduledger.Errorf(eduledger.EINVALID, "verifier: cache TTLs must be positive, the unsynced one no longer than the synced one")
		}
		o.ttl, o.unsyncedTTL = synced, unsynced
		return nil
	}
}

// WithCacheSize bounds the credential records and learners kept (default DefaultCacheSize); the
// other caches hold a sixteenth as many entries, at least 1024.
func WithCacheSize(n int) Option {
	return func(o *options) error {
		if n < 16 {
			return eduledger.Errorf(eduledger.EINVALID, "verifier: cache size must be at least 16")
		}
		o.cacheSize = n
		for o.bloomLog = 16; o.bloomLog < 30 && 1<<o.bloomLog < 10*n; o.bloomLog++ {
		}
		return nil
	}
}

// WithAnchorTolerance sets DefaultAnchorTolerance's value.
func WithAnchorTolerance(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 || d > time.Hour {
			return eduledger.Errorf(eduledger.EINVALID, "verifier: anchor tolerance must be between 0 and 1h")
		}
		o.tolerance = d
		return nil
	}
}

// WithDomain sets the domain presentations must be bound to (the verifier's host, e.g.
// "verify.example.edu.cn"). Without it, presentations are refused.
func WithDomain(domain string) Option {
	return func(o *options) error {
		o.domain = domain
		return nil
	}
}

// WithChallenges sets how long a presentation challenge stays usable and how many may be
// outstanding (defaults DefaultChallengeLifetime and DefaultMaxChallenges).
func WithChallenges(lifetime time.Duration, outstanding int) Option {
	return func(o *options) error {
		if lifetime < time.Second || lifetime > time.Hour || outstanding < 1 {
			return eduledger.Errorf(eduledger.EINVALID, "verifier: challenge lifetime must be 1s to 1h and at least one challenge allowed")
		}
		o.challengeLifetime, o.maxChallenges = lifetime, outstanding
		return nil
	}
}

// WithLogger sets the logger (default: discard).
func WithLogger(log *slog.Logger) Option {
	return func(o *options) error {
		if log != nil {
			o.log = log
		}
		return nil
	}
}

// WithMetrics registers the verifier's metrics (verifications by verdict, cache hits, events) on
// reg.
func WithMetrics(reg prometheus.Registerer) Option {
	return func(o *options) error {
		o.reg = reg
		return nil
	}
}

// WithSchemas shares compiled credential schemas.
func WithSchemas(s *credential.Schemas) Option {
	return func(o *options) error {
		o.schemas = s
		return nil
	}
}
