package credential_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
)

// Issue a diploma and verify it. In production the signers come from a keystore.Store and the
// verifier resolves keys through the ledger.
func Example() {
	_, edKey, _ := ed25519.GenerateKey(nil)
	_, pqKey, _ := mldsa44.GenerateKey(nil)
	ed, _ := dataintegrity.NewEd25519Signer(eduledger.KeyDID("riverside-university", "ed-2026"), edKey)
	pq, _ := dataintegrity.NewMLDSA44Signer(eduledger.KeyDID("riverside-university", "pq-2026"), pqKey)
	issuer, _ := credential.NewIssuer(credential.Profile{ID: eduledger.OrgDID("riverside-university"),
		Name: credential.Text{Zh: "滨江大学", En: "Riverside University"}}, ed, pq)

	diploma := credential.New(eduledger.TypeDiploma, "L2026001")
	diploma.Name = credential.Text{Zh: "毕业证书", En: "Diploma"}
	diploma.Subject.Achievement = &credential.Achievement{ID: "urn:eduledger:program:riverside-university:cs",
		AchievementType: "Diploma", Name: credential.Text{En: "Computer Science"},
		Criteria: credential.Criteria{Narrative: credential.Text{En: "160 credits and a thesis"}}}
	diploma.Subject.ActivityEndDate = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	issued, err := issuer.Issue(diploma)
	if err != nil {
		fmt.Println(err)
		return
	}

	verifier, _ := credential.NewVerifier(dataintegrity.KeysOf(ed, pq))
	report := verifier.Verify(context.Background(), issued.JSON)
	fmt.Println(report.Verified, report.Type, report.LearnerID, report.Digest == issued.Digest)
	// Output: true Diploma L2026001 true
}

// A whole graduating class goes into one batch: one Ed25519 proof each, one ML-DSA-44 signature
// over the Merkle root, one ledger anchor.
func ExampleIssuer_IssueBatch() {
	_, edKey, _ := ed25519.GenerateKey(nil)
	_, pqKey, _ := mldsa44.GenerateKey(nil)
	ed, _ := dataintegrity.NewEd25519Signer(eduledger.KeyDID("riverside-university", "ed-2026"), edKey)
	pq, _ := dataintegrity.NewMLDSA44Signer(eduledger.KeyDID("riverside-university", "pq-2026"), pqKey)
	issuer, _ := credential.NewIssuer(credential.Profile{ID: eduledger.OrgDID("riverside-university"),
		Name: credential.Text{En: "Riverside University"}}, ed, pq)

	var class []*credential.Credential
	for _, learner := range []string{"L2026001", "L2026002", "L2026003"} {
		c := credential.New(eduledger.TypeDiploma, learner)
		c.Name = credential.Text{En: "Diploma"}
		c.Subject.Achievement = &credential.Achievement{ID: "urn:eduledger:program:riverside-university:cs",
			AchievementType: "Diploma", Name: credential.Text{En: "Computer Science"},
			Criteria: credential.Criteria{Narrative: credential.Text{En: "160 credits"}}}
		c.Subject.ActivityEndDate = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
		class = append(class, c)
	}
	batch, _ := issuer.IssueBatch(context.Background(), class)
	anchor := batch.Anchor() // submit to the ledger
	fmt.Println(anchor.Count, anchor.Type, len(anchor.Root))

	verifier, _ := credential.NewVerifier(dataintegrity.KeysOf(ed, pq))
	vc, _ := batch.Credential(2)
	report := verifier.Verify(context.Background(), vc)
	fmt.Println(report.Verified, report.BatchRoot == anchor.Root)
	// Output:
	// 3 Diploma 64
	// true true
}
