package verifier_test

import (
	"context"
	"fmt"
	"os"

	"github.com/eduledger/eduledger/verifier"
	"github.com/eduledger/eduledger/verifier/verifiertest"
)

func ExampleLink() {
	// The link a QR code on a paper diploma carries.
	link := verifier.Link("https://verify.example.edu.cn", "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427",
		"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "")
	fmt.Println(link)
	t, err := verifier.ParseLink(link)
	fmt.Println(t.CredentialID, err)
	// Output:
	// https://verify.example.edu.cn/v?d=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08&id=urn%3Auuid%3A1b4e28ba-2fa1-11d2-883f-0016d3cca427
	// urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427 <nil>
}

func ExampleVerifier_VerifyCredential() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example-")
	defer os.RemoveAll(dir)
	// A development network with an issuer that has published its keys.
	n, err := verifiertest.Open(ctx, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer n.Close()
	is, err := n.AdmitIssuer(ctx, "SCHOOL")
	if err != nil {
		fmt.Println(err)
		return
	}
	learner, err := is.RegisterLearner(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	ci, _ := is.Credentials()
	diploma, _ := ci.Issue(is.Diploma(learner.ID))
	_ = is.Anchor(ctx, diploma)

	// The verifier reads the ledger with a member identity and follows its events.
	v, err := verifier.New(n.Reader, verifier.WithHead(n.Head))
	if err != nil {
		fmt.Println(err)
		return
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go v.Run(runCtx)

	r := v.VerifyCredential(ctx, diploma.JSON)
	fmt.Println(r.Verdict)
	for _, c := range r.Checks {
		fmt.Println(c.Name, c.Status)
	}
	// Output:
	// verified
	// format passed
	// schema passed
	// proofs passed
	// issuerKey passed
	// accreditation passed
	// anchor passed
	// status passed
	// validity passed
}
