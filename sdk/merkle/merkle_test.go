package merkle

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
)

// referenceRoot is RFC 9162's recursive definition of the Merkle tree hash, written independently
// of the level-by-level construction under test.
func referenceRoot(data [][]byte) Hash {
	if len(data) == 1 {
		return LeafHash(data[0])
	}
	k := 1
	for k*2 < len(data) {
		k *= 2
	}
	return NodeHash(referenceRoot(data[:k]), referenceRoot(data[k:]))
}

// referencePath is RFC 9162's recursive PATH(m, D[n]).
func referencePath(m int, data [][]byte) []Hash {
	if len(data) == 1 {
		return nil
	}
	k := 1
	for k*2 < len(data) {
		k *= 2
	}
	if m < k {
		return append(referencePath(m, data[:k]), referenceRoot(data[k:]))
	}
	return append(referencePath(m-k, data[k:]), referenceRoot(data[:k]))
}

func leaves(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf("leaf %d", i))
	}
	return out
}

func TestTreeMatchesTheRecursiveDefinition(t *testing.T) {
	for n := 1; n <= 70; n++ {
		data := leaves(n)
		tree, err := New(data)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := tree.Root(), referenceRoot(data); got != want {
			t.Fatalf("n=%d: root %s, want %s", n, got, want)
		}
		for m := 0; m < n; m++ {
			p, err := tree.Proof(m)
			if err != nil {
				t.Fatal(err)
			}
			want := referencePath(m, data)
			if len(p.Path) != len(want) {
				t.Fatalf("n=%d m=%d: path length %d, want %d", n, m, len(p.Path), len(want))
			}
			for i := range want {
				if p.Path[i] != want[i] {
					t.Fatalf("n=%d m=%d: path[%d] differs", n, m, i)
				}
			}
			if err := p.Verify(data[m], tree.Root()); err != nil {
				t.Fatalf("n=%d m=%d: %v", n, m, err)
			}
		}
	}
}

func TestKnownRootOfTwoLeaves(t *testing.T) {
	// Hand-computed: SHA-256(0x01 || SHA-256(0x00||"a") || SHA-256(0x00||"b")).
	la := sha256.Sum256([]byte("\x00a"))
	lb := sha256.Sum256([]byte("\x00b"))
	want := sha256.Sum256(append(append([]byte{1}, la[:]...), lb[:]...))
	tree, _ := New([][]byte{[]byte("a"), []byte("b")})
	if tree.Root() != Hash(want) {
		t.Fatalf("root %s, want %x", tree.Root(), want)
	}
}

func TestVerifyRejectsEveryAlteration(t *testing.T) {
	data := leaves(13)
	tree, _ := New(data)
	root := tree.Root()
	p, _ := tree.Proof(6)
	tests := []struct {
		name   string
		mutate func(p *Proof) []byte
		want   error
	}{
		{"another leaf's data is not proven by this path", func(p *Proof) []byte { return data[7] }, ErrMismatch},
		{"a flipped bit in a sibling breaks the path", func(p *Proof) []byte { p.Path[1][0] ^= 1; return data[6] }, ErrMismatch},
		{"a neighbouring index leads elsewhere", func(p *Proof) []byte { p.Index = 7; return data[6] }, ErrMismatch},
		{"an index past the end is refused", func(p *Proof) []byte { p.Index = 13; return data[6] }, ErrIndex},
		{"a smaller tree size makes the path too long", func(p *Proof) []byte { p.Size = 8; return data[6] }, ErrPath},
		{"a dropped sibling makes the path too short", func(p *Proof) []byte { p.Path = p.Path[:len(p.Path)-1]; return data[6] }, ErrPath},
		{"an extra sibling makes the path too long", func(p *Proof) []byte { p.Path = append(p.Path, root); return data[6] }, ErrPath},
		{"a zero tree size is refused", func(p *Proof) []byte { p.Size = 0; return data[6] }, ErrIndex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cp := &Proof{Index: p.Index, Size: p.Size, Path: append([]Hash(nil), p.Path...)}
			leaf := tt.mutate(cp)
			if err := cp.Verify(leaf, root); !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	if err := p.Verify(data[6], root); err != nil {
		t.Fatalf("the untouched proof must verify: %v", err)
	}
}

func TestALeafCannotPoseAsAnInteriorNode(t *testing.T) {
	// Without domain separation, the 64 bytes left||right of an interior node could be submitted
	// as a leaf of a one-level-shorter path.
	data := leaves(4)
	tree, _ := New(data)
	l0, l1 := tree.LeafHash(0), tree.LeafHash(1)
	forged := append(l0[:], l1[:]...)
	p := &Proof{Index: 0, Size: 2, Path: []Hash{NodeHash(tree.LeafHash(2), tree.LeafHash(3))}}
	if err := p.Verify(forged, tree.Root()); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Verify(forged interior node) = %v, want ErrMismatch", err)
	}
}

func TestParseHashAcceptsOnlyLowerCaseHex(t *testing.T) {
	h := LeafHash([]byte("x"))
	if got, err := ParseHash(h.String()); err != nil || got != h {
		t.Fatalf("ParseHash(String()) = %v, %v", got, err)
	}
	for _, bad := range []string{"", "00", h.String()[:63] + "G", "AB" + h.String()[2:], h.String() + "00"} {
		if _, err := ParseHash(bad); err == nil {
			t.Errorf("ParseHash(%q) succeeded", bad)
		}
	}
}

func TestEmptyTreeIsRefused(t *testing.T) {
	if _, err := New(nil); !errors.Is(err, ErrEmpty) {
		t.Fatalf("New(nil) = %v", err)
	}
}

func BenchmarkFromDigests100k(b *testing.B) {
	digests := make([]Hash, 100_000)
	for i := range digests {
		digests[i] = sha256.Sum256([]byte(fmt.Sprint(i)))
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := FromDigests(digests); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify100kTree(b *testing.B) {
	digests := make([]Hash, 100_000)
	for i := range digests {
		digests[i] = sha256.Sum256([]byte(fmt.Sprint(i)))
	}
	tree, _ := FromDigests(digests)
	p, _ := tree.Proof(54321)
	root := tree.Root()
	b.ResetTimer()
	for b.Loop() {
		if err := p.Verify(digests[54321][:], root); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzProofVerify feeds arbitrary proofs (index, size, path) to verification against a real tree:
// no panic, and for the tree's true size nothing but leaf i's own data is proven at index i. (Two
// sizes whose paths have the same shape reach the same root, as in RFC 9162, where the size comes
// from the signed tree head; in a batch proof the ML-DSA signature covers batchSize.)
func FuzzProofVerify(f *testing.F) {
	data := leaves(11)
	tree, _ := New(data)
	root := tree.Root()
	p, _ := tree.Proof(5)
	var path []byte
	for _, h := range p.Path {
		path = append(path, h[:]...)
	}
	f.Add(uint64(5), uint64(11), path, []byte("leaf 5"))
	f.Add(uint64(0), uint64(1), []byte{}, []byte("x"))
	f.Fuzz(func(t *testing.T, index, size uint64, rawPath, leaf []byte) {
		pr := &Proof{Index: index, Size: size}
		for i := 0; i+32 <= len(rawPath) && len(pr.Path) < 70; i += 32 {
			pr.Path = append(pr.Path, Hash(rawPath[i:i+32]))
		}
		if pr.Verify(leaf, root) == nil && size == 11 {
			if index >= 11 || string(leaf) != string(data[index]) {
				t.Fatalf("proved %q at %d of %d", leaf, index, size)
			}
		}
	})
}
