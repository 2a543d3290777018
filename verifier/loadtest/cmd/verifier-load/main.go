// Command verifier-load is a load generator for the verifier service: it posts the credentials in
// -file (one a line) to POST /v1/verify from -c concurrent clients and prints throughput and the
// latency distribution (see package verifier/loadtest). For example:
//
//	go run ./verifier/loadtest/cmd/verifier-load -url http://127.0.0.1:8081 -file credentials.jsonl -c 32
package main

import (
	"os"

	"github.com/eduledger/eduledger/verifier/loadtest"
)

func main() {
	os.Exit(loadtest.Main(os.Args[1:], os.Stdout, os.Stderr))
}
