package keystore_test

import (
	"fmt"
	"os"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/keystore"
	"github.com/eduledger/eduledger/sdk/multikey"
)

func Example() {
	dir, _ := os.MkdirTemp("", "keys")
	defer os.RemoveAll(dir)
	store, _ := keystore.Open(dir, []byte("a long and private passphrase"))

	org := eduledger.OrgDID("riverside-university")
	info, _ := store.Generate(org, multikey.Ed25519, "ed-2026")
	reg, _ := info.IssuerKey() // submit to the ledger to register the key
	fmt.Println(reg.OrgID, reg.ID, reg.Type)

	signer, _ := store.Signer("ed-2026")
	fmt.Println(signer.VerificationMethod())

	next, _ := store.Rotate("ed-2026", "ed-2027")
	fmt.Println(next.ID, next.Status)
	// Output:
	// riverside-university ed-2026 Ed25519
	// did:eduledger:org:riverside-university#ed-2026
	// ed-2027 active
}
