package verifier

import (
	"hash/maphash"
	"sync/atomic"
)

// bloom is a concurrent Bloom filter of credential IDs. The verifier adds every credential that
// gets a ledger record of its own while it follows the ledger's events, so that "this batch member
// has no record of its own" can be answered without asking the ledger: a member absent from the
// filter certainly has none (a false positive only costs a ledger lookup).
type bloom struct {
	seed maphash.Seed
	bits []atomic.Uint64
	mask uint64
}

const bloomHashes = 5

// newBloom returns a filter of 2^log2Bits bits (at about 10 bits per ID, a 1 % false-positive
// rate).
func newBloom(log2Bits uint) *bloom {
	n := uint64(1) << log2Bits
	return &bloom{seed: maphash.MakeSeed(), bits: make([]atomic.Uint64, n/64), mask: n - 1}
}

func (b *bloom) positions(id string) (uint64, uint64) {
	h := maphash.String(b.seed, id)
	return h, h>>33 | h<<31 | 1
}

func (b *bloom) add(id string) {
	h1, h2 := b.positions(id)
	for i := range uint64(bloomHashes) {
		p := (h1 + i*h2) & b.mask
		b.bits[p/64].Or(1 << (p % 64))
	}
}

func (b *bloom) mayContain(id string) bool {
	h1, h2 := b.positions(id)
	for i := range uint64(bloomHashes) {
		p := (h1 + i*h2) & b.mask
		if b.bits[p/64].Load()&(1<<(p%64)) == 0 {
			return false
		}
	}
	return true
}
