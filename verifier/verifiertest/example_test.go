package verifiertest_test

import (
	"context"
	"fmt"
	"os"

	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/verifier/verifiertest"
)

func ExampleNetwork() {
	// In a test: n := verifiertest.New(t). Here, without a *testing.T:
	ctx := context.Background()
	dir := mustTemp()
	defer os.RemoveAll(dir)
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
	l, _ := is.RegisterLearner(ctx)
	batch, err := is.Batch(ctx, []*credential.Credential{is.Diploma(l.ID), is.Diploma(l.ID)})
	if err != nil {
		fmt.Println(err)
		return
	}
	anchored, err := n.Gov.GetBatch(ctx, batch.Root())
	fmt.Println(anchored.Count, anchored.Type, err)
	// Output:
	// 2 Diploma <nil>
}

func mustTemp() string {
	dir, err := os.MkdirTemp("", "verifiertest-example-")
	if err != nil {
		panic(err)
	}
	return dir
}
