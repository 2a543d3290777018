package credential

import (
	"context"
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// TestBatchCredentialsAreWhatTheGeneralPathsMake holds IssueBatch's fast paths (the prover's
// canonical Ed25519 proofs, their canonical digests, batch proofs appended without maps) to the
// general ones: for every credential of a batch of every type, the Ed25519 proof is the one
// CreateProof makes, the digest is Digest's, and the rendered credential is render's output for
// the proofs as maps.
func TestBatchCredentialsAreWhatTheGeneralPathsMake(t *testing.T) {
	f := newFixture(t)
	for _, typ := range eduledger.CredentialTypes {
		t.Run("every "+string(typ)+" of a batch is rendered byte for byte as before", func(t *testing.T) {
			cs := make([]*Credential, 9)
			for i := range cs {
				cs[i] = sample(typ, i)
			}
			batch, err := f.issuer.IssueBatch(context.Background(), cs)
			if err != nil {
				t.Fatal(err)
			}
			for i := range batch.Len() {
				it := batch.items[i]
				unsecured, err := jsoncanon.ParseObjectValue(it.canonical, jsoncanon.Limits{})
				if err != nil {
					t.Fatal(err)
				}
				doc, err := dataintegrity.PrepareValue(unsecured)
				if err != nil {
					t.Fatal(err)
				}
				if string(doc.Canonical()) != string(it.canonical) {
					t.Fatalf("credential %d: the unsecured document is not canonical", i)
				}
				edProof, err := doc.CreateProof(dataintegrity.EdDSAJCS2022, f.ed, dataintegrity.Options{Created: issuedAt})
				if err != nil {
					t.Fatal(err)
				}
				if want, _ := jsoncanon.Append(nil, edProof); string(want) != string(it.edProof) {
					t.Fatalf("credential %d: Ed25519 proof\n %s\nCreateProof makes\n %s", i, it.edProof, want)
				}
				digest, err := doc.Digest(edProof)
				if err != nil {
					t.Fatal(err)
				}
				if batch.Digest(i) != digest.String() {
					t.Fatalf("credential %d: digest %s, Digest says %s", i, batch.Digest(i), digest)
				}
				bp, err := batch.signed.Proof(i)
				if err != nil {
					t.Fatal(err)
				}
				want, err := render(it.canonical, edProof, bp)
				if err != nil {
					t.Fatal(err)
				}
				got, err := batch.Credential(i)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != string(want) {
					t.Fatalf("credential %d:\n got  %s\n want %s", i, got, want)
				}
				if appended, err := batch.AppendCredential([]byte("x"), i); err != nil || string(appended) != "x"+string(want) {
					t.Fatalf("credential %d: AppendCredential = %s, %v", i, appended, err)
				}
				if d, err := Digest(got); err != nil || d != batch.Digest(i) {
					t.Fatalf("credential %d: Digest of the rendered credential = %s, %v", i, d, err)
				}
			}
		})
	}
}
