package loadtest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eduledger/eduledger/verifier/loadtest"
)

// fake answers like the service: verified for bodies holding "good", chunked for those holding
// "chunk", 500 for "fail".
func fake(t *testing.T, seen *atomic.Int64) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/verify" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request line", 400)
			return
		}
		b, _ := io.ReadAll(r.Body)
		seen.Add(1)
		switch {
		case bytes.Contains(b, []byte("fail")):
			http.Error(w, "boom", 500)
		case bytes.Contains(b, []byte("chunk")):
			w.Write([]byte(`{"verdict":"verified","pad":"` + strings.Repeat("x", 9000) + `"}`)) // over the buffer: chunked
		case bytes.Contains(b, []byte("good")):
			w.Write([]byte(`{"verdict":"verified"}`))
		default:
			w.Write([]byte(`{"verdict":"not_verified"}`))
		}
	}))
	t.Cleanup(s.Close)
	return s.URL
}

func TestRunCountsOnlyCorrectAnswers(t *testing.T) {
	for _, tc := range []struct {
		name               string
		bodies             []string
		requests           int
		ok, errors, wrongs int
	}{
		{"every answer verified", []string{`{"good":1}`, `{"good":2}`}, 200, 200, 0, 0},
		{"chunked answers are read", []string{`{"chunk":1}`}, 50, 50, 0, 0},
		{"a failing request is an error", []string{`{"good":1}`, `{"fail":1}`}, 10, 5, 5, 0},
		{"another verdict is a wrong answer", []string{`{"good":1}`, `{"other":1}`}, 10, 5, 0, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen atomic.Int64
			bodies := make([][]byte, len(tc.bodies))
			for i, b := range tc.bodies {
				bodies[i] = []byte(b)
			}
			r, err := loadtest.Run(context.Background(), loadtest.Config{URL: fake(t, &seen), Bodies: bodies, Requests: tc.requests, Concurrency: 4, Warmup: 0})
			if err != nil {
				t.Fatal(err)
			}
			ok := r.Requests - r.Errors - r.WrongAnswer
			if ok != tc.ok || r.Errors != tc.errors || r.WrongAnswer != tc.wrongs || seen.Load() != int64(tc.requests) {
				t.Fatalf("report %+v (server saw %d); want %d ok, %d errors, %d wrong", r, seen.Load(), tc.ok, tc.errors, tc.wrongs)
			}
			if ok > 0 && (r.P50 <= 0 || r.P50 > r.P99 || r.P99 > r.Max || r.PerSecond <= 0) {
				t.Fatalf("latencies out of order: %+v", r)
			}
		})
	}
}

func TestRunStopsAtTheTimeLimit(t *testing.T) {
	var seen atomic.Int64
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		seen.Add(1)
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte(`{"verdict":"verified"}`))
	}))
	defer slow.Close()
	began := time.Now()
	r, err := loadtest.Run(context.Background(), loadtest.Config{URL: slow.URL, Bodies: [][]byte{[]byte(`{}`)}, Requests: 1_000_000, Concurrency: 2, Duration: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(began) > 5*time.Second || r.Requests >= 1000 {
		t.Fatalf("ran %s for %d requests", time.Since(began), r.Requests)
	}
}

func TestRunRefusesWhatItCannotLoad(t *testing.T) {
	for _, c := range []loadtest.Config{
		{URL: "http://127.0.0.1:1"},
		{Bodies: [][]byte{[]byte("{}")}},
		{URL: "https://example.com", Bodies: [][]byte{[]byte("{}")}},
	} {
		if _, err := loadtest.Run(context.Background(), c); err == nil {
			t.Fatalf("Run(%+v) accepted it", c)
		}
	}
}

func TestReadJSONLines(t *testing.T) {
	docs, err := loadtest.ReadJSONLines(strings.NewReader("{\"a\":1}\n\n  {\"b\":2}  \n"))
	if err != nil || len(docs) != 2 || string(docs[1]) != `{"b":2}` {
		t.Fatalf("%q, %v", docs, err)
	}
	if _, err := loadtest.ReadJSONLines(strings.NewReader("{\"a\":1}\nnot json\n")); err == nil {
		t.Fatal("a line that is not JSON was accepted")
	}
}

// An open-loop run must show a service that cannot keep up in its latency: requests keep being due
// on schedule, and each is timed from when it was due, not from when a connection came free.
func TestOpenLoopLatencyIncludesTheQueueAServiceBuilds(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(10 * time.Millisecond)
		w.Write([]byte(`{"verdict":"verified"}`))
	}))
	defer slow.Close()
	bodies := [][]byte{[]byte(`{"good":1}`)}
	closed, err := loadtest.Run(context.Background(), loadtest.Config{URL: slow.URL, Bodies: bodies, Concurrency: 1, Requests: 20})
	if err != nil {
		t.Fatal(err)
	}
	if closed.P99 > 40 {
		t.Fatalf("closed loop p99 = %.1f ms; one connection to a 10 ms service should see about 10 ms", closed.P99)
	}
	// 400 a second offered to a service that answers 100 a second on one connection: by the 20th
	// request the queue is about 150 ms long.
	open, err := loadtest.Run(context.Background(), loadtest.Config{URL: slow.URL, Bodies: bodies, Concurrency: 1, Requests: 20, Rate: 400})
	if err != nil {
		t.Fatal(err)
	}
	if open.P99 < 100 {
		t.Fatalf("open loop p99 = %.1f ms: the backlog of a service 4x too slow is hidden (coordinated omission)", open.P99)
	}
	if open.OfferedRate != 400 || !strings.Contains(open.String(), "open loop") {
		t.Errorf("the report does not say it was open loop: %s", open)
	}
}
