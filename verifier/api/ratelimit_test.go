package api

import (
	"net/netip"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := netip.MustParseAddr("198.51.100.7")

	t.Run("a client bursts, is refused, and refills at the rate", func(t *testing.T) {
		l := newLimiter(2, 3, clock)
		for i := range 3 {
			if ok, _ := l.allow(a); !ok {
				t.Fatalf("request %d of the burst refused", i+1)
			}
		}
		ok, wait := l.allow(a)
		if ok || wait != 500*time.Millisecond {
			t.Fatalf("fourth request: %v, wait %s; want refused for 500ms", ok, wait)
		}
		now = now.Add(500 * time.Millisecond)
		if ok, _ := l.allow(a); !ok {
			t.Fatal("refused after a token refilled")
		}
	})

	t.Run("clients do not share buckets, but one IPv6 /64 is one client", func(t *testing.T) {
		l := newLimiter(1, 1, clock)
		l.allow(a)
		if ok, _ := l.allow(netip.MustParseAddr("198.51.100.8")); !ok {
			t.Fatal("a neighbour's address was limited")
		}
		l.allow(netip.MustParseAddr("2001:db8:1:2::1"))
		if ok, _ := l.allow(netip.MustParseAddr("2001:db8:1:2:ffff::9")); ok {
			t.Fatal("another address of the same /64 was not limited")
		}
		if ok, _ := l.allow(netip.MustParseAddr("2001:db8:1:3::1")); !ok {
			t.Fatal("another /64 was limited")
		}
		if ok, _ := l.allow(netip.MustParseAddr("::ffff:198.51.100.7")); ok {
			t.Fatal("an IPv4-mapped address escaped its IPv4 bucket")
		}
	})

	t.Run("buckets of clients gone quiet are dropped", func(t *testing.T) {
		l := newLimiter(10, 10, clock)
		for i := range 1000 {
			l.allow(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
		}
		if l.size() != 1000 {
			t.Fatalf("%d buckets", l.size())
		}
		now = now.Add(2 * time.Second) // every bucket has refilled
		// 1024 new clients touch every one of the 64 shards with overwhelming probability, and
		// each shard sweeps when touched.
		for i := range 1024 {
			l.allow(netip.AddrFrom4([4]byte{192, 0, byte(i >> 8), byte(i)}))
		}
		if n := l.size(); n > 1024+32 {
			t.Fatalf("%d buckets kept for 1024 active clients; the 1000 quiet ones should be gone", n)
		}
	})
}
