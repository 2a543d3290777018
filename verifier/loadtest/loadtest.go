// Package loadtest is a load generator for the verifier service: it posts distinct credentials to
// POST /v1/verify from a fixed number of concurrent clients over kept-alive HTTP/1.1 connections,
// writing prepared requests and reading answers with as little work as it can, bounded by
// a request count and a time limit, and reports throughput and the latency distribution. Every
// answer is checked: a request counts as a verification only when the service answered 200 with
// the expected verdict.
//
// The benchmark of verifier/api runs it in a separate process so that the CPU of the generator and
// of the service can be told apart; cmd/verifier-load runs it against any deployment.
package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Config is one load test.
type Config struct {
	// URL is the service's base URL ("http://127.0.0.1:8081").
	URL string
	// Bodies are the documents to post, each as many times as Requests requires; for distinct
	// credentials give at least Requests of them.
	Bodies [][]byte
	// ContentType of the bodies (default application/json).
	ContentType string
	// Concurrency is the number of clients (default 32).
	Concurrency int
	// Requests bounds the number of requests (default len(Bodies)).
	Requests int
	// Duration bounds the time (default 1 minute).
	Duration time.Duration
	// Warmup requests are sent first and not measured (default none).
	Warmup int
	// Want is the verdict every answer must carry (default "verified").
	Want string
	// Rate, when positive, makes the test open-loop: request i is due at start + i/Rate whatever
	// the answers to earlier ones, and its latency is measured from when it was due, not from when
	// a client got round to sending it — so a service that falls behind shows it in the latency
	// instead of quietly slowing the generator down (coordinated omission). Concurrency then only
	// caps the connections in flight. Zero runs closed-loop: each client sends as soon as its
	// previous answer arrives, which measures the most the service can do.
	Rate float64
}

// Report is what a load test measured.
type Report struct {
	Requests    int `json:"requests"`
	Errors      int `json:"errors"`
	WrongAnswer int `json:"wrongAnswers"`
	Concurrency int `json:"concurrency"`
	// OfferedRate is the open-loop arrival rate in requests a second (0: closed-loop).
	OfferedRate float64 `json:"offeredRate,omitempty"`
	Seconds     float64 `json:"seconds"`
	// PerSecond counts correct answers only.
	PerSecond float64 `json:"perSecond"`
	// Latencies in milliseconds.
	P50  float64 `json:"p50ms"`
	P90  float64 `json:"p90ms"`
	P99  float64 `json:"p99ms"`
	P999 float64 `json:"p999ms"`
	Max  float64 `json:"maxms"`
	// CPUSeconds is the CPU time the generator itself spent while measuring (user and system).
	CPUSeconds float64 `json:"cpuSeconds"`
	// FirstError describes the first failure, if any.
	FirstError string `json:"firstError,omitempty"`
}

// String renders the report on one line.
func (r *Report) String() string {
	mode := fmt.Sprintf("%d clients", r.Concurrency)
	if r.OfferedRate > 0 {
		mode = fmt.Sprintf("offered %.0f/s open loop on up to %d connections", r.OfferedRate, r.Concurrency)
	}
	return fmt.Sprintf("%d requests, %s, %.1fs: %.0f verifications/s; latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms; generator CPU %.2f cores; %d errors, %d wrong answers",
		r.Requests, mode, r.Seconds, r.PerSecond, r.P50, r.P90, r.P99, r.P999, r.Max, r.CPUSeconds/r.Seconds, r.Errors, r.WrongAnswer)
}

// Run runs a load test. It fails only when the configuration is unusable; failed requests are
// counted in the report.
func Run(ctx context.Context, c Config) (*Report, error) {
	if c.URL == "" || len(c.Bodies) == 0 {
		return nil, errors.New("loadtest: a URL and at least one body are required")
	}
	if c.ContentType == "" {
		c.ContentType = "application/json"
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 32
	}
	if c.Requests <= 0 {
		c.Requests = len(c.Bodies)
	}
	if c.Duration <= 0 {
		c.Duration = time.Minute
	}
	if c.Want == "" {
		c.Want = "verified"
	}
	u, err := url.Parse(c.URL)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("loadtest: %q must be an http:// URL (the generator speaks plain HTTP/1.1)", c.URL)
	}
	want := []byte(`"verdict":"` + c.Want + `"`)
	// Requests are written whole from prepared bytes: the generator should cost the machine as
	// little as possible, so that what is measured is the service.
	head := "POST " + strings.TrimRight(u.Path, "/") + "/v1/verify HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Type: " + c.ContentType +
		"\r\nAccept: application/json\r\nContent-Length: "
	requests := make([][]byte, len(c.Bodies))
	for i, b := range c.Bodies {
		requests[i] = append([]byte(head+strconv.Itoa(len(b))+"\r\n\r\n"), b...)
	}
	pool := make(chan *conn, c.Concurrency)
	newConn := func() (*conn, error) {
		nc, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
		if err != nil {
			return nil, err
		}
		return &conn{Conn: nc, r: bufio.NewReaderSize(nc, 64<<10)}, nil
	}
	post := func(ctx context.Context, req []byte) (time.Duration, error) {
		var cn *conn
		select {
		case cn = <-pool:
		default:
			var err error
			if cn, err = newConn(); err != nil {
				return 0, err
			}
		}
		start := time.Now()
		status, body, err := cn.roundTrip(req)
		took := time.Since(start)
		if err != nil {
			cn.Close()
			return took, err
		}
		pool <- cn
		switch {
		case status != 200:
			return took, fmt.Errorf("status %d: %.200s", status, body)
		case !bytes.Contains(body, want):
			return took, errWrong{fmt.Sprintf("answer without %s: %.300s", want, body)}
		}
		return took, nil
	}
	defer func() {
		for {
			select {
			case cn := <-pool:
				cn.Close()
			default:
				return
			}
		}
	}()

	// Warm up the connections (and, if asked, the service), unmeasured.
	for i := range c.Warmup {
		if _, err := post(ctx, requests[i%len(requests)]); err != nil {
			return nil, fmt.Errorf("loadtest: warm-up request %d: %w", i, err)
		}
	}

	ctx, cancel := context.WithTimeout(ctx, c.Duration)
	defer cancel()
	var interval time.Duration
	if c.Rate > 0 {
		interval = time.Duration(float64(time.Second) / c.Rate)
	}
	lat := make([]time.Duration, c.Requests)
	var next atomic.Int64
	var done, errs, wrong atomic.Int64
	var firstErr atomic.Pointer[string]
	var wg sync.WaitGroup
	cpuStart := cpuTime()
	start := time.Now()
	for range c.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= c.Requests {
					return
				}
				var late time.Duration
				if interval > 0 {
					due := start.Add(time.Duration(i) * interval)
					if wait := time.Until(due); wait > 0 {
						time.Sleep(wait)
					} else {
						late = -wait
					}
				}
				took, err := post(ctx, requests[(c.Warmup+i)%len(requests)])
				took += late
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					var w errWrong
					if errors.As(err, &w) {
						wrong.Add(1)
					} else {
						errs.Add(1)
					}
					msg := err.Error()
					firstErr.CompareAndSwap(nil, &msg)
					continue
				}
				lat[i] = took
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime() - cpuStart

	ok := make([]time.Duration, 0, done.Load())
	for _, l := range lat {
		if l > 0 {
			ok = append(ok, l)
		}
	}
	slices.Sort(ok)
	r := &Report{Requests: len(ok) + int(errs.Load()+wrong.Load()), Errors: int(errs.Load()), WrongAnswer: int(wrong.Load()),
		Concurrency: c.Concurrency, OfferedRate: c.Rate, Seconds: elapsed.Seconds(), PerSecond: float64(len(ok)) / elapsed.Seconds(),
		P50: quantile(ok, 0.50), P90: quantile(ok, 0.90), P99: quantile(ok, 0.99), P999: quantile(ok, 0.999), CPUSeconds: cpu.Seconds()}
	if len(ok) > 0 {
		r.Max = ms(ok[len(ok)-1])
	}
	if p := firstErr.Load(); p != nil {
		r.FirstError = *p
	}
	return r, nil
}

// conn is one kept-alive HTTP/1.1 connection.
type conn struct {
	net.Conn
	r   *bufio.Reader
	buf []byte
}

// roundTrip writes a prepared request and reads the response: the status and the body, whether
// sized by Content-Length or chunked.
func (c *conn) roundTrip(req []byte) (int, []byte, error) {
	if _, err := c.Write(req); err != nil {
		return 0, nil, err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, nil, fmt.Errorf("malformed status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, fmt.Errorf("malformed status line %q", line)
	}
	length, chunked := -1, false
	for {
		h, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, _ := bytes.Cut(h, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return 0, nil, fmt.Errorf("malformed Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")) && bytes.EqualFold(value, []byte("chunked")):
			chunked = true
		}
	}
	c.buf = c.buf[:0]
	switch {
	case chunked:
		for {
			line, err := c.r.ReadSlice('\n')
			if err != nil {
				return 0, nil, err
			}
			sizeText, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
			size, err := strconv.ParseInt(string(sizeText), 16, 32)
			if err != nil || size < 0 {
				return 0, nil, fmt.Errorf("malformed chunk size %q", line)
			}
			if size == 0 {
				for { // trailers, then the blank line
					t, err := c.r.ReadSlice('\n')
					if err != nil {
						return 0, nil, err
					}
					if len(bytes.TrimRight(t, "\r\n")) == 0 {
						return status, c.buf, nil
					}
				}
			}
			c.buf = slices.Grow(c.buf, int(size))
			n := len(c.buf)
			c.buf = c.buf[:n+int(size)]
			if _, err := io.ReadFull(c.r, c.buf[n:]); err != nil {
				return 0, nil, err
			}
			if _, err := c.r.Discard(2); err != nil {
				return 0, nil, err
			}
		}
	case length >= 0:
		c.buf = slices.Grow(c.buf, length)[:length]
		if _, err := io.ReadFull(c.r, c.buf); err != nil {
			return 0, nil, err
		}
	default:
		return 0, nil, errors.New("a response without Content-Length or chunked encoding on a kept-alive connection")
	}
	return status, c.buf, nil
}

type errWrong struct{ msg string }

func (e errWrong) Error() string { return e.msg }

// cpuTime returns the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// quantile returns the q-quantile of sorted latencies in milliseconds (nearest rank).
func quantile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	i = min(max(i, 0), len(sorted)-1)
	return ms(sorted[i])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ReadJSONLines reads documents one per line (empty lines skipped), as the benchmark writes them.
func ReadJSONLines(r io.Reader) ([][]byte, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for line := range bytes.Lines(data) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if !json.Valid(line) {
			return nil, fmt.Errorf("loadtest: line %d is not JSON", len(out)+1)
		}
		out = append(out, line)
	}
	return out, nil
}
