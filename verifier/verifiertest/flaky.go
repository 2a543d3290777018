package verifiertest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/eduledger/eduledger/sdk/ledger"
)

// Flaky is a ledger connection that can be cut and restored, and counts what goes through it: a
// test's way to take the ledger away from a verifier (every call then fails with UNAVAILABLE and
// open event streams end, as when the network drops) and to see whether a verification reached the
// ledger at all.
type Flaky struct {
	next ledger.Ledger
	down atomic.Bool

	evaluations atomic.Int64
	streams     atomic.Int64

	mu      sync.Mutex
	cancels map[int]context.CancelFunc
	seq     int
}

var _ ledger.Ledger = (*Flaky)(nil)

// NewFlaky wraps a connection.
func NewFlaky(next ledger.Ledger) *Flaky {
	return &Flaky{next: next, cancels: map[int]context.CancelFunc{}}
}

// SetDown cuts (true) or restores (false) the connection. Cutting it ends every open event stream.
func (f *Flaky) SetDown(down bool) {
	f.down.Store(down)
	if !down {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, cancel := range f.cancels {
		cancel()
		delete(f.cancels, id)
	}
}

// Evaluations returns how many Evaluate calls were made (including refused ones).
func (f *Flaky) Evaluations() int64 { return f.evaluations.Load() }

// Streams returns how many event streams were opened.
func (f *Flaky) Streams() int64 { return f.streams.Load() }

var errCut = errors.New("verifiertest: the connection is cut")

// Submit submits through the connection unless it is cut.
func (f *Flaky) Submit(ctx context.Context, tx *ledger.Transaction) (*ledger.Receipt, error) {
	if f.down.Load() {
		return nil, ledger.Unavailable("submit", errCut)
	}
	return f.next.Submit(ctx, tx)
}

// Evaluate evaluates through the connection unless it is cut.
func (f *Flaky) Evaluate(ctx context.Context, tx *ledger.Transaction) ([]byte, error) {
	f.evaluations.Add(1)
	if f.down.Load() {
		return nil, ledger.Unavailable("evaluate", errCut)
	}
	return f.next.Evaluate(ctx, tx)
}

// Events opens an event stream that ends when the connection is cut.
func (f *Flaky) Events(ctx context.Context, after *ledger.Checkpoint) (<-chan *ledger.ChaincodeEvent, error) {
	if f.down.Load() {
		return nil, ledger.Unavailable("events", errCut)
	}
	ctx, cancel := context.WithCancel(ctx)
	f.mu.Lock()
	f.seq++
	id := f.seq
	f.cancels[id] = cancel
	f.mu.Unlock()
	ch, err := f.next.Events(ctx, after)
	if err != nil {
		f.forget(id)
		return nil, err
	}
	f.streams.Add(1)
	out := make(chan *ledger.ChaincodeEvent)
	go func() {
		defer close(out)
		defer f.forget(id)
		for ev := range ch {
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (f *Flaky) forget(id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cancel, ok := f.cancels[id]; ok {
		cancel()
		delete(f.cancels, id)
	}
}

// Close closes the underlying connection.
func (f *Flaky) Close() error { return f.next.Close() }
