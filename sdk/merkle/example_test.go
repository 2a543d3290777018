package merkle_test

import (
	"crypto/sha256"
	"fmt"

	"github.com/eduledger/eduledger/sdk/merkle"
)

func Example() {
	// Digests of three credentials.
	var digests []merkle.Hash
	for _, c := range []string{"diploma A", "diploma B", "diploma C"} {
		digests = append(digests, sha256.Sum256([]byte(c)))
	}
	tree, _ := merkle.FromDigests(digests)

	// Each credential carries its proof; anyone holding the root can check it.
	proof, _ := tree.Proof(2)
	fmt.Println(proof.Index, proof.Size, len(proof.Path))
	fmt.Println(proof.Verify(digests[2][:], tree.Root()))
	fmt.Println(proof.Verify(digests[1][:], tree.Root()))
	// Output:
	// 2 3 1
	// <nil>
	// merkle: audit path does not lead to the root
}
