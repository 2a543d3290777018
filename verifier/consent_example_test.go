package verifier_test

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/holder"
	"github.com/eduledger/eduledger/verifier"
)

// A learner lets one employer's verifier show their lifelong archive for a week. The verifier
// (Verifier.Archive, or POST /v1/archive) checks the signature against the holder key the ledger
// lists for the learner before it shows anything.
func ExampleSignConsent() {
	seed := make([]byte, ed25519.SeedSize) // in practice: the key in the learner's key store
	key, _ := dataintegrity.NewEd25519Signer("k#0", ed25519.NewKeyFromSeed(seed))
	signer, _ := holder.NewSigner("L2026000123", key)

	signed := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	consent, err := verifier.SignConsent(signer, verifier.ConsentRequest{
		LearnerID: "L2026000123",
		Scopes:    []verifier.Scope{verifier.ScopeArchive},
		Domain:    "verify.example.edu.cn",
		Purpose:   "application for the network engineer position",
	}, signed)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := verifier.ParseConsent(consent)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.LearnerID, c.Scopes, c.Domain)
	fmt.Println("until", c.ValidUntil.Format(time.RFC3339))
	fmt.Println("shows the statement:", c.Allows(verifier.ScopeStatement))
	// Output:
	// L2026000123 [archive] verify.example.edu.cn
	// until 2026-09-08T08:00:00Z
	// shows the statement: false
}
