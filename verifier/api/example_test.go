package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/eduledger/eduledger/verifier"
	"github.com/eduledger/eduledger/verifier/api"
	"github.com/eduledger/eduledger/verifier/verifiertest"
)

func ExampleNew() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "verifier-example-")
	defer os.RemoveAll(dir)
	n, err := verifiertest.Open(ctx, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer n.Close()

	// The service over a read-only ledger connection; Run keeps its cache fresh.
	srv, err := api.New(api.DefaultConfig(), api.Deps{Reader: n.Reader, Head: n.Head})
	if err != nil {
		fmt.Println(err)
		return
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go srv.Run(runCtx)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	// An employer posts the diploma a candidate sent.
	is, _ := n.AdmitIssuer(ctx, "SCHOOL")
	learner, _ := is.RegisterLearner(ctx)
	ci, _ := is.Credentials()
	diploma, _ := ci.Issue(is.Diploma(learner.ID))
	_ = is.Anchor(ctx, diploma)
	resp, err := http.Post(ts.URL+"/v1/verify", "application/json", bytes.NewReader(diploma.JSON))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var r verifier.Result
	_ = json.NewDecoder(resp.Body).Decode(&r)
	fmt.Println(resp.StatusCode, r.Verdict, len(r.Checks))
	// Output:
	// 200 verified 8
}
