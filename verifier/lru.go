package verifier

import (
	"container/list"
	"context"
	"hash/maphash"
	"sync"
	"time"

	"github.com/eduledger/eduledger"
)

// lru is a bounded, sharded cache of ledger lookups with three properties the verifier relies on:
//
//   - concurrent misses of one key share one ledger call (the first caller fetches, the others wait);
//   - an invalidation (or a flush) that happens while a fetch is in flight wins: the fetched value
//     is returned to its callers but not stored, because it may predate the change that
//     invalidated it;
//   - an entry older than maxAge() is a miss, where maxAge is read at every lookup, so that the
//     whole cache becomes short-lived the moment the event stream that keeps it fresh is lost.
//
// NOT_FOUND answers are cached like values (a credential that is not anchored stays so until an
// event says otherwise); other errors are never cached.
type lru[V any] struct {
	name   string
	seed   maphash.Seed
	shards []lruShard[V]
	maxAge func() time.Duration
	now    func() time.Time
	stats  func(name string, hit bool)
}

type lruShard[V any] struct {
	mu    sync.Mutex
	max   int
	items map[string]*lruEntry[V]
	order *list.List // front: most recently used; values are keys
}

type lruEntry[V any] struct {
	val    V
	err    error // a cached NOT_FOUND
	stored time.Time
	done   chan struct{} // closed once val/err are set; nil for entries stored directly
	ok     bool          // the fetch succeeded or ended in a cacheable error
	elem   *list.Element
}

const lruShards = 16

func newLRU[V any](name string, capacity int, maxAge func() time.Duration, now func() time.Time, stats func(string, bool)) *lru[V] {
	per := max(capacity/lruShards, 1)
	c := &lru[V]{name: name, seed: maphash.MakeSeed(), shards: make([]lruShard[V], lruShards), maxAge: maxAge, now: now, stats: stats}
	for i := range c.shards {
		c.shards[i] = lruShard[V]{max: per, items: map[string]*lruEntry[V]{}, order: list.New()}
	}
	return c
}

func (c *lru[V]) shard(key string) *lruShard[V] {
	return &c.shards[maphash.String(c.seed, key)%lruShards]
}

func (c *lru[V]) fresh(e *lruEntry[V]) bool {
	return c.now().Sub(e.stored) < c.maxAge()
}

// peek returns a fresh stored answer without fetching: found reports whether there is one, err
// is a cached NOT_FOUND.
func (c *lru[V]) peek(key string) (v V, found bool, err error) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.items[key]
	if e == nil || !e.ready() || !e.ok || !c.fresh(e) {
		return v, false, nil
	}
	s.order.MoveToFront(e.elem)
	return e.val, true, e.err
}

func (e *lruEntry[V]) ready() bool {
	if e.done == nil {
		return true
	}
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// get returns the value of key, from the cache when a fresh one is stored, otherwise from fetch.
func (c *lru[V]) get(ctx context.Context, key string, fetch func(context.Context) (V, error)) (V, error) {
	s := c.shard(key)
	s.mu.Lock()
	e := s.items[key]
	if e != nil && e.ready() && e.ok && c.fresh(e) {
		s.order.MoveToFront(e.elem)
		v, err := e.val, e.err
		s.mu.Unlock()
		c.stat(true)
		return v, err
	}
	if e != nil && !e.ready() {
		// Someone is fetching it: wait for that answer rather than asking the ledger twice.
		s.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
		if e.ok {
			c.stat(true)
			return e.val, e.err
		}
		// That fetch failed in a way that is not cached (the ledger was unreachable, or its
		// caller gave up): try for ourselves.
		c.stat(false)
		return fetch(ctx)
	}
	if e != nil {
		s.remove(key, e)
	}
	pending := &lruEntry[V]{done: make(chan struct{})}
	s.insert(key, pending)
	s.mu.Unlock()
	c.stat(false)

	v, err := fetch(ctx)
	cacheable := err == nil || eduledger.ErrorCode(err) == eduledger.ENOTFOUND
	s.mu.Lock()
	pending.val, pending.err, pending.ok, pending.stored = v, err, cacheable, c.now()
	if s.items[key] == pending && !cacheable {
		s.remove(key, pending)
	}
	close(pending.done)
	s.mu.Unlock()
	return v, err
}

// set stores a value learnt from the ledger's events, replacing any entry (a fetch in flight for
// the key will not overwrite it).
func (c *lru[V]) set(key string, v V) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.items[key]; e != nil {
		s.remove(key, e)
	}
	s.insert(key, &lruEntry[V]{val: v, ok: true, stored: c.now()})
}

// remove forgets key, including a fetch in flight (its result will not be stored).
func (c *lru[V]) remove(key string) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.items[key]; e != nil {
		s.remove(key, e)
	}
}

// flush forgets everything, including fetches in flight.
func (c *lru[V]) flush() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.items)
		s.order.Init()
		s.mu.Unlock()
	}
}

func (c *lru[V]) stat(hit bool) {
	if c.stats != nil {
		c.stats(c.name, hit)
	}
}

func (s *lruShard[V]) insert(key string, e *lruEntry[V]) {
	e.elem = s.order.PushFront(key)
	s.items[key] = e
	for len(s.items) > s.max {
		back := s.order.Back()
		k := back.Value.(string)
		s.remove(k, s.items[k])
	}
}

func (s *lruShard[V]) remove(key string, e *lruEntry[V]) {
	s.order.Remove(e.elem)
	delete(s.items, key)
}
