package api

import (
	"hash/maphash"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/eduledger/eduledger/internal/httpapi"
	"github.com/eduledger/eduledger/internal/problem"
)

// limiter is a per-client token bucket: each client may burst up to burst requests and then
// perPerSecond a second. Clients are IPv4 addresses and IPv6 /64 networks (one subscriber
// usually holds a whole /64, so per-address limits would be no limit at all). Buckets idle long
// enough to be full again are dropped, so memory follows the number of active clients.
type limiter struct {
	rate   float64 // tokens per second
	burst  float64
	now    func() time.Time
	seed   maphash.Seed
	shards [64]limiterShard
}

type limiterShard struct {
	mu      sync.Mutex
	buckets map[netip.Prefix]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(perSecond float64, burst int, now func() time.Time) *limiter {
	l := &limiter{rate: perSecond, burst: float64(burst), now: now, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].buckets = map[netip.Prefix]*bucket{}
	}
	return l
}

// clientKey is the unit a limit applies to.
func clientKey(a netip.Addr) netip.Prefix {
	if a.Is4() || a.Is4In6() {
		return netip.PrefixFrom(a.Unmap(), 32)
	}
	p, _ := a.Prefix(64)
	return p
}

// allow takes a token for the client; when there is none it says how long until there is.
func (l *limiter) allow(a netip.Addr) (bool, time.Duration) {
	key := clientKey(a)
	s := &l.shards[maphash.Comparable(l.seed, key)%uint64(len(l.shards))]
	now := l.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	l.sweepLocked(s, now)
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		s.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// sweepLocked drops, at most once per refill period, buckets that have refilled completely: they
// behave exactly like a missing bucket.
func (l *limiter) sweepLocked(s *limiterShard, now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	if now.Sub(s.sweep) < full {
		return
	}
	s.sweep = now
	for k, b := range s.buckets {
		if now.Sub(b.last) >= full {
			delete(s.buckets, k)
		}
	}
}

// size returns the number of buckets held (for tests).
func (l *limiter) size() int {
	n := 0
	for i := range l.shards {
		l.shards[i].mu.Lock()
		n += len(l.shards[i].buckets)
		l.shards[i].mu.Unlock()
	}
	return n
}

// middleware answers 429 with Retry-After to a client over its limit.
func (l *limiter) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait := l.allow(httpapi.ClientIP(r))
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			problem.Write(w, r, nil, &problem.Error{Code: problem.CodeRateLimited,
				Detail: "too many requests from your address; retry after the number of seconds in Retry-After"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
