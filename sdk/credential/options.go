package credential

import (
	"crypto/rand"
	"fmt"
	"runtime"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// Ledger coordinates written into credentialStatus by default.
const (
	DefaultChannel   = "eduledger"
	DefaultChaincode = "eduledger"
)

// Option configures an Issuer or a Verifier. Options that do not apply to one are ignored by it.
type Option func(*options) error

type options struct {
	now        func() time.Time
	schemas    *Schemas
	channel    string
	chaincode  string
	workers    int
	newID      func() (string, error)
	limits     jsoncanon.Limits
	batchCache int
	keyCache   int
}

func newOptions(opts []Option) (*options, error) {
	o := &options{now: time.Now, channel: DefaultChannel, chaincode: DefaultChaincode,
		workers: runtime.GOMAXPROCS(0), newID: NewID, batchCache: 4096, keyCache: 1024,
		limits: jsoncanon.Limits{MaxBytes: DefaultMaxBytes, MaxDepth: DefaultMaxDepth}}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.schemas == nil {
		s, err := NewSchemas()
		if err != nil {
			return nil, err
		}
		o.schemas = s
	}
	return o, nil
}

// Limits on a credential a Verifier accepts (see WithLimits).
const (
	DefaultMaxBytes = 1 << 20
	DefaultMaxDepth = 24
)

// WithClock sets the clock: the issuance time of an Issuer, the time a Verifier checks validity
// periods and proof expiry against.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return eduledger.Errorf(eduledger.EINVALID, "clock must not be nil")
		}
		o.now = now
		return nil
	}
}

// WithSchemas shares compiled schemas between issuers and verifiers (compiling takes a few
// milliseconds).
func WithSchemas(s *Schemas) Option {
	return func(o *options) error { o.schemas = s; return nil }
}

// WithLedger sets the channel and chaincode an Issuer writes into credentialStatus.
func WithLedger(channel, chaincode string) Option {
	return func(o *options) error {
		if channel == "" || chaincode == "" {
			return eduledger.Errorf(eduledger.EINVALID, "channel and chaincode are required")
		}
		o.channel, o.chaincode = channel, chaincode
		return nil
	}
}

// WithWorkers sets how many goroutines an Issuer uses for a batch (default GOMAXPROCS).
func WithWorkers(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return eduledger.Errorf(eduledger.EINVALID, "workers must be at least 1")
		}
		o.workers = n
		return nil
	}
}

// WithIDGenerator replaces NewID as the source of credential IDs an Issuer assigns.
func WithIDGenerator(newID func() (string, error)) Option {
	return func(o *options) error { o.newID = newID; return nil }
}

// WithLimits bounds the size and nesting depth of a credential a Verifier parses (defaults
// DefaultMaxBytes and DefaultMaxDepth).
func WithLimits(maxBytes, maxDepth int) Option {
	return func(o *options) error {
		if maxBytes < 1 || maxDepth < 1 {
			return eduledger.Errorf(eduledger.EINVALID, "limits must be positive")
		}
		o.limits = jsoncanon.Limits{MaxBytes: maxBytes, MaxDepth: maxDepth}
		return nil
	}
}

// WithBatchCache bounds how many verified batch signatures a Verifier remembers (default 4096); 0
// checks every batch signature every time.
func WithBatchCache(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return eduledger.Errorf(eduledger.EINVALID, "batch cache size must not be negative")
		}
		o.batchCache = n
		return nil
	}
}

// NewID returns a fresh credential ID: "urn:uuid:" and a random (version 4) UUID.
func NewID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("credential id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}
