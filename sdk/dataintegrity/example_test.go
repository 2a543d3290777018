package dataintegrity_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/multikey"
)

func Example() {
	const vm = "did:eduledger:org:riverside-university#ed-2026"
	pub, priv, _ := ed25519.GenerateKey(nil)
	signer, _ := dataintegrity.NewEd25519Signer(vm, priv)

	unsecured := map[string]any{
		"@context": []any{"https://www.w3.org/ns/credentials/v2"},
		"type":     []any{"VerifiableCredential"},
		"issuer":   "did:eduledger:org:riverside-university",
	}
	doc, _ := dataintegrity.Prepare(unsecured)
	proof, _ := doc.CreateProof(dataintegrity.EdDSAJCS2022, signer, dataintegrity.Options{Created: time.Now()})
	secured := dataintegrity.Secure(unsecured, proof)

	// The verifier resolves the verification method to the issuer's registered key.
	mk, _ := multikey.Encode(multikey.Ed25519, pub)
	keys := dataintegrity.StaticKeys{vm: {ID: vm, PublicKeyMultibase: mk}}
	verifier, _ := dataintegrity.NewVerifier(keys)
	s, _ := dataintegrity.NewSecured(secured)
	_, err := verifier.VerifyProof(context.Background(), s, 0, dataintegrity.Expect{})
	fmt.Println("verified:", err == nil)
	// Output: verified: true
}
