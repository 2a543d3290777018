package loadtest

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// Main runs a load test as a command: it reads the documents from -file (one JSON document a
// line), posts them to -url and writes the Report as JSON to stdout. It returns the exit status:
// 0, 1 when a request failed or got the wrong verdict, 2 for bad flags.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verifier-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://127.0.0.1:8081", "the verifier service's base URL")
	file := fs.String("file", "", "documents to post, one JSON document a line (required)")
	c := fs.Int("c", 32, "concurrent clients")
	n := fs.Int("n", 0, "requests (default: one per document)")
	d := fs.Duration("d", time.Minute, "time limit")
	warmup := fs.Int("warmup", 0, "unmeasured requests first")
	want := fs.String("want", "verified", "the verdict every answer must carry")
	rate := fs.Float64("rate", 0, "open loop: send this many requests a second whatever the answers, and measure latency from when each was due (0: closed loop, -c clients as fast as answered)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *file == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "verifier-load: -file is required, and no arguments are taken")
		return 2
	}
	f, err := os.Open(*file)
	if err != nil {
		fmt.Fprintln(stderr, "verifier-load:", err)
		return 2
	}
	bodies, err := ReadJSONLines(f)
	f.Close()
	if err != nil {
		fmt.Fprintln(stderr, "verifier-load:", err)
		return 2
	}
	r, err := Run(context.Background(), Config{URL: *url, Bodies: bodies, Concurrency: *c, Requests: *n, Duration: *d, Warmup: *warmup, Want: *want, Rate: *rate})
	if err != nil {
		fmt.Fprintln(stderr, "verifier-load:", err)
		return 1
	}
	fmt.Fprintln(stderr, r)
	enc := json.NewEncoder(stdout)
	if err := enc.Encode(r); err != nil {
		return 1
	}
	if r.Errors > 0 || r.WrongAnswer > 0 {
		return 1
	}
	return 0
}
