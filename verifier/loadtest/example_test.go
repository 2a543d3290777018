package loadtest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/eduledger/eduledger/verifier/loadtest"
)

func ExampleRun() {
	// A stand-in for the verifier service.
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"verdict":"verified"}`))
	}))
	defer svc.Close()

	bodies := [][]byte{[]byte(`{"id":1}`), []byte(`{"id":2}`), []byte(`{"id":3}`)}
	r, err := loadtest.Run(context.Background(), loadtest.Config{URL: svc.URL, Bodies: bodies, Concurrency: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Requests, r.Errors, r.WrongAnswer)
	// Output: 3 0 0
}
