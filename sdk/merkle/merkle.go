// Package merkle builds the Merkle trees under which EduLedger issues credentials in batches, and
// checks inclusion proofs against a tree's root.
//
// The tree is the one of RFC 9162 (Certificate Transparency 2.0), section 2.1: SHA-256, a leaf
// hashed as SHA-256(0x00 || data), an interior node as SHA-256(0x01 || left || right), and a tree
// of n leaves split at the largest power of two below n. The distinct prefixes keep a leaf from
// ever being passed off as an interior node (and so a forged "leaf" from being proven under a
// root). An inclusion proof is the leaf's index, the tree size and the audit path; verification
// follows RFC 9162 section 2.1.3.2, so the path length must be exactly the one the index and size
// imply.
package merkle

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Hash is a SHA-256 output: a leaf hash, an interior node hash or a root.
type Hash [sha256.Size]byte

// String returns the lower-case hex form of h.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ParseHash reads a lower-case hex SHA-256. Upper-case digits are refused so that each hash has one
// spelling (a verifier compares and signs the text).
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, fmt.Errorf("merkle: hash must be %d hex digits, got %d characters", 2*len(h), len(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return h, fmt.Errorf("merkle: hash must be lower-case hex")
		}
	}
	hex.Decode(h[:], []byte(s))
	return h, nil
}

// Domain-separation prefixes of RFC 9162.
const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

// LeafHash returns SHA-256(0x00 || data).
func LeafHash(data []byte) Hash {
	var buf [1 + 64]byte
	if len(data) <= 64 {
		buf[0] = leafPrefix
		n := copy(buf[1:], data)
		return sha256.Sum256(buf[:1+n])
	}
	h := sha256.New()
	h.Write([]byte{leafPrefix})
	h.Write(data)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash returns SHA-256(0x01 || left || right).
func NodeHash(left, right Hash) Hash {
	var buf [1 + 2*sha256.Size]byte
	buf[0] = nodePrefix
	copy(buf[1:], left[:])
	copy(buf[1+sha256.Size:], right[:])
	return sha256.Sum256(buf[:])
}

// MaxPathLength bounds an audit path: a tree of up to 2^64 leaves.
const MaxPathLength = 64

// Tree is a complete Merkle tree kept level by level so that every leaf's audit path can be read
// without rehashing. It is immutable and safe for concurrent use.
type Tree struct {
	// levels[0] are the leaf hashes, the last level holds the root. A level of odd length carries
	// its last node up unchanged, which yields exactly the RFC 9162 tree.
	levels [][]Hash
}

// ErrEmpty is returned when a tree would have no leaves.
var ErrEmpty = errors.New("merkle: a tree needs at least one leaf")

// New builds the tree whose leaves are the given data items (each hashed with LeafHash).
func New(leafData [][]byte) (*Tree, error) {
	leaves := make([]Hash, len(leafData))
	for i, d := range leafData {
		leaves[i] = LeafHash(d)
	}
	return FromLeafHashes(leaves)
}

// FromDigests builds the tree whose leaf data are 32-byte digests, the form EduLedger uses: each
// leaf is LeafHash(digest).
func FromDigests(digests []Hash) (*Tree, error) {
	leaves := make([]Hash, len(digests))
	for i := range digests {
		leaves[i] = LeafHash(digests[i][:])
	}
	return FromLeafHashes(leaves)
}

// FromLeafHashes builds a tree over already hashed leaves. The tree keeps the slice.
func FromLeafHashes(leaves []Hash) (*Tree, error) {
	if len(leaves) == 0 {
		return nil, ErrEmpty
	}
	levels := [][]Hash{leaves}
	for cur := leaves; len(cur) > 1; {
		next := make([]Hash, (len(cur)+1)/2)
		for i := 0; i+1 < len(cur); i += 2 {
			next[i/2] = NodeHash(cur[i], cur[i+1])
		}
		if len(cur)%2 == 1 {
			next[len(next)-1] = cur[len(cur)-1]
		}
		levels = append(levels, next)
		cur = next
	}
	return &Tree{levels: levels}, nil
}

// Root returns the tree's root hash.
func (t *Tree) Root() Hash { return t.levels[len(t.levels)-1][0] }

// Size returns the number of leaves.
func (t *Tree) Size() int { return len(t.levels[0]) }

// LeafHash returns the hash of leaf i.
func (t *Tree) LeafHash(i int) Hash { return t.levels[0][i] }

// Proof is an inclusion proof: leaf Index of a tree of Size leaves, and the audit path from the
// leaf up to the root (siblings, lowest first).
type Proof struct {
	Index uint64
	Size  uint64
	Path  []Hash
}

// Proof returns the inclusion proof of leaf i.
func (t *Tree) Proof(i int) (*Proof, error) {
	if i < 0 || i >= t.Size() {
		return nil, fmt.Errorf("merkle: leaf %d is outside a tree of %d", i, t.Size())
	}
	p := &Proof{Index: uint64(i), Size: uint64(t.Size())}
	idx := i
	for _, level := range t.levels[:len(t.levels)-1] {
		if sib := idx ^ 1; sib < len(level) {
			p.Path = append(p.Path, level[sib])
		}
		idx >>= 1
	}
	return p, nil
}

// Verification errors.
var (
	ErrIndex    = errors.New("merkle: leaf index is outside the tree")
	ErrPath     = errors.New("merkle: audit path has the wrong length for this index and tree size")
	ErrMismatch = errors.New("merkle: audit path does not lead to the root")
)

// RootFromPath computes the root that the audit path yields for a leaf hash, following RFC 9162
// section 2.1.3.2. It returns ErrIndex or ErrPath when the proof's shape is impossible.
func (p *Proof) RootFromPath(leaf Hash) (Hash, error) {
	if p.Size == 0 || p.Index >= p.Size {
		return Hash{}, ErrIndex
	}
	if len(p.Path) > MaxPathLength {
		return Hash{}, ErrPath
	}
	fn, sn := p.Index, p.Size-1
	r := leaf
	for _, sib := range p.Path {
		if sn == 0 {
			return Hash{}, ErrPath
		}
		if fn&1 == 1 || fn == sn {
			r = NodeHash(sib, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = NodeHash(r, sib)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return Hash{}, ErrPath
	}
	return r, nil
}

// Verify checks that leafData (unhashed) is leaf p.Index of the tree of p.Size leaves with the given
// root. It returns nil, ErrIndex, ErrPath or ErrMismatch.
func (p *Proof) Verify(leafData []byte, root Hash) error {
	r, err := p.RootFromPath(LeafHash(leafData))
	if err != nil {
		return err
	}
	if r != root {
		return ErrMismatch
	}
	return nil
}
