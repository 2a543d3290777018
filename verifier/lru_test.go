package verifier

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
)

type clock struct{ t atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *clock) advance(d time.Duration) { c.t.Add(int64(d)) }

func newTestLRU(capacity int, maxAge *atomic.Int64, c *clock) *lru[string] {
	return newLRU[string]("test", capacity, func() time.Duration { return time.Duration(maxAge.Load()) }, c.now, nil)
}

func TestLRU(t *testing.T) {
	ctx := context.Background()
	var age atomic.Int64
	age.Store(int64(time.Minute))

	t.Run("concurrent misses of one key share one fetch", func(t *testing.T) {
		c := newTestLRU(100, &age, &clock{})
		var calls atomic.Int32
		release := make(chan struct{})
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := c.get(ctx, "k", func(context.Context) (string, error) {
					calls.Add(1)
					<-release
					return "v", nil
				})
				if v != "v" || err != nil {
					t.Errorf("get = %q, %v", v, err)
				}
			}()
		}
		time.Sleep(20 * time.Millisecond)
		close(release)
		wg.Wait()
		if n := calls.Load(); n != 1 {
			t.Fatalf("%d fetches, want 1", n)
		}
	})

	t.Run("an invalidation during a fetch keeps its result out of the cache", func(t *testing.T) {
		c := newTestLRU(100, &age, &clock{})
		v, _ := c.get(ctx, "k", func(context.Context) (string, error) {
			c.remove("k") // the event arrives while the ledger answers
			return "old", nil
		})
		if v != "old" {
			t.Fatalf("the caller gets what it fetched, got %q", v)
		}
		if _, ok, _ := c.peek("k"); ok {
			t.Fatal("a value fetched before an invalidation was stored")
		}
		v, _ = c.get(ctx, "k", func(context.Context) (string, error) { return "new", nil })
		if v != "new" {
			t.Fatalf("next get = %q, want a fresh fetch", v)
		}
	})

	t.Run("a flush during a fetch keeps its result out too", func(t *testing.T) {
		c := newTestLRU(100, &age, &clock{})
		c.get(ctx, "k", func(context.Context) (string, error) { c.flush(); return "old", nil })
		if _, ok, _ := c.peek("k"); ok {
			t.Fatal("stored across a flush")
		}
	})

	t.Run("NOT_FOUND is remembered, an unreachable ledger is not", func(t *testing.T) {
		c := newTestLRU(100, &age, &clock{})
		var calls int
		notFound := func(context.Context) (string, error) {
			calls++
			return "", eduledger.Errorf(eduledger.ENOTFOUND, "no such thing")
		}
		c.get(ctx, "missing", notFound)
		if _, err := c.get(ctx, "missing", notFound); eduledger.ErrorCode(err) != eduledger.ENOTFOUND || calls != 1 {
			t.Fatalf("second get = %v after %d fetches; want the cached NOT_FOUND", err, calls)
		}
		calls = 0
		down := func(context.Context) (string, error) {
			calls++
			return "", eduledger.Errorf(eduledger.EUNAVAILABLE, "down")
		}
		c.get(ctx, "k", down)
		c.get(ctx, "k", down)
		if calls != 2 {
			t.Fatalf("%d fetches; an UNAVAILABLE answer must not be cached", calls)
		}
	})

	t.Run("an entry older than the current maximum age is a miss", func(t *testing.T) {
		clk := &clock{}
		var a atomic.Int64
		a.Store(int64(time.Minute))
		c := newTestLRU(100, &a, clk)
		c.set("k", "v")
		clk.advance(time.Second)
		if _, ok, _ := c.peek("k"); !ok {
			t.Fatal("a one-second-old entry is a miss under a one-minute TTL")
		}
		a.Store(int64(500 * time.Millisecond)) // the event stream is lost
		if _, ok, _ := c.peek("k"); ok {
			t.Fatal("a one-second-old entry is served under a half-second TTL")
		}
	})

	t.Run("the least recently used entry goes first", func(t *testing.T) {
		c := newTestLRU(lruShards, &age, &clock{}) // one entry per shard
		keys := map[*lruShard[string]][]string{}
		for i := range 1000 { // enough for two keys in each of the 16 shards
			k := fmt.Sprint(i)
			keys[c.shard(k)] = append(keys[c.shard(k)], k)
		}
		for _, ks := range keys {
			c.set(ks[0], "first")
			c.set(ks[1], "second")
			if _, ok, _ := c.peek(ks[0]); ok {
				t.Fatalf("%s survived in a full shard", ks[0])
			}
			if _, ok, _ := c.peek(ks[1]); !ok {
				t.Fatalf("%s was evicted instead", ks[1])
			}
		}
	})

	t.Run("a waiter whose fetcher failed fetches for itself", func(t *testing.T) {
		c := newTestLRU(100, &age, &clock{})
		started := make(chan struct{})
		go c.get(ctx, "k", func(context.Context) (string, error) {
			close(started)
			time.Sleep(20 * time.Millisecond)
			return "", errors.New("connection reset")
		})
		<-started
		v, err := c.get(ctx, "k", func(context.Context) (string, error) { return "mine", nil })
		if v != "mine" || err != nil {
			t.Fatalf("get = %q, %v", v, err)
		}
	})
}

func TestBloomNeverForgetsAndRarelyImagines(t *testing.T) {
	b := newBloom(20) // about 100,000 IDs at 1 %
	for i := range 100_000 {
		b.add(fmt.Sprintf("urn:uuid:member-%d", i))
	}
	for i := range 100_000 {
		if !b.mayContain(fmt.Sprintf("urn:uuid:member-%d", i)) {
			t.Fatalf("member %d forgotten", i)
		}
	}
	false1 := 0
	for i := range 100_000 {
		if b.mayContain(fmt.Sprintf("urn:uuid:stranger-%d", i)) {
			false1++
		}
	}
	if rate := float64(false1) / 100_000; rate > 0.03 {
		t.Fatalf("false-positive rate %.3f at the designed load", rate)
	}
}
