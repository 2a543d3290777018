package api_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/verifier/api"
	"github.com/eduledger/eduledger/verifier/loadtest"
	"github.com/eduledger/eduledger/verifier/verifiertest"
)

// loadgenEnv makes the test binary run the load generator instead of the tests (see TestMain), so
// that the benchmark can run it as a process of its own and tell its CPU from the service's.
const loadgenEnv = "EDULEDGER_LOADGEN"

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkLoad measures the service end to end: distinct credentials posted to POST /v1/verify
// over loopback by a load generator in another process, every check made for every one (the
// rate limiter included). The credentials are anchored after the service started, so that its
// cache holds what the ledger's events announced and no request waits for the ledger — the path
// a clerk takes once the service runs. Target: ≥ 10,000 verifications/s on 2 cores, p99 ≤ 5 ms.
//
//	go test -run '^$' -bench BenchmarkLoad -benchtime 1x ./verifier/api/
//
// EDULEDGER_LOAD_REQUESTS (default 30,000 batch credentials), EDULEDGER_LOAD_ALONE (credentials
// issued alone; default a fifth as many, since each takes a transaction of its own to set up — a
// p99 over a one-second run is noisy, so measure longer runs with it) and EDULEDGER_LOAD_CLIENTS
// (default 12: enough to keep two cores busy, few enough to keep queues short) change the size;
// EDULEDGER_LOAD_CPUPROFILE=file profiles the service while it is under load. The service runs
// with GOGC=400, as the service binaries do, unless GOGC is set.
//
// Each kind runs twice. "saturated" is closed-loop: the clients send as fast as answers come, which
// measures the most the service can do, and its latency is mostly queueing. "rate=N" is open-loop
// at EDULEDGER_LOAD_RATE requests a second (default 10,000, the target): requests are sent on a
// schedule whatever the answers, and latency is measured from when each was due, so it is the
// latency a client sees at that load (no coordinated omission).
func BenchmarkLoad(b *testing.B) {
	requests := envInt("EDULEDGER_LOAD_REQUESTS", 30_000)
	alone := envInt("EDULEDGER_LOAD_ALONE", max(requests/5, 1))
	clients := envInt("EDULEDGER_LOAD_CLIENTS", 12)
	rate := envInt("EDULEDGER_LOAD_RATE", 10_000)
	// The service binaries run with GOGC=400 unless GOGC is set (services.TuneGC in cmd/internal);
	// so does the service measured here, or the figures would be those of a configuration nobody runs.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	for _, mode := range []struct {
		name    string
		batched bool
		count   int
	}{
		{"batch-credentials", true, requests},
		{"credentials-anchored-alone", false, alone},
	} {
		b.Run(mode.name, func(b *testing.B) {
			s := serve(b, func(c *api.Config) {
				c.RateLimit = api.RateLimit{PerSecond: 1e9, Burst: 1e9}
				c.Cache.Size = 2 * mode.count
			})
			is := net.Issuer(b, devnet.Riverside)
			l := is.Learner(b)
			bodies, lastTx := issueForLoad(b, is, l.ID, mode.count, mode.batched)
			verifier := s.srv.Verifier()
			deadline := time.Now().Add(time.Minute)
			for cp := verifier.Checkpoint(); cp == nil || cp.TxID != lastTx; cp = verifier.Checkpoint() {
				if time.Now().After(deadline) {
					b.Fatal("the service did not see the last anchoring")
				}
				time.Sleep(10 * time.Millisecond)
			}
			file := filepath.Join(b.TempDir(), "credentials.jsonl")
			f, err := os.Create(file)
			if err != nil {
				b.Fatal(err)
			}
			for _, body := range bodies {
				f.Write(body)
				f.Write([]byte{'\n'})
			}
			f.Close()
			runtime.GC()

			for _, load := range []struct {
				name    string
				rate    int
				clients int
			}{{"saturated", 0, clients}, {"rate=" + strconv.Itoa(rate), rate, 64}} {
				b.Run(load.name, func(b *testing.B) {
					for range b.N {
						rep, server := runGenerator(b, s.URL, file, load.clients, len(bodies), load.rate)
						generator := rep.CPUSeconds
						b.ReportMetric(rep.PerSecond, "verifications/s")
						b.ReportMetric(rep.P50, "p50-ms")
						b.ReportMetric(rep.P90, "p90-ms")
						b.ReportMetric(rep.P99, "p99-ms")
						b.ReportMetric(rep.P999, "p99.9-ms")
						b.ReportMetric(server/rep.Seconds, "service-cores")
						b.ReportMetric(generator/rep.Seconds, "generator-cores")
						b.Logf("%s; CPU: service %.2f s (%.2f cores), generator %.2f s (%.2f cores)", rep, server, server/rep.Seconds, generator, generator/rep.Seconds)
						if rep.Errors > 0 || rep.WrongAnswer > 0 {
							b.Fatalf("failures: %s", rep.FirstError)
						}
					}
				})
			}
		})
	}
}

// issueForLoad issues and anchors n distinct diplomas and returns them with the ID of the last
// anchoring transaction.
func issueForLoad(b *testing.B, is *verifiertest.Issuer, learnerID string, n int, batched bool) ([][]byte, string) {
	b.Helper()
	ctx := context.Background()
	out := make([][]byte, 0, n)
	if batched {
		ci, err := is.Credentials()
		if err != nil {
			b.Fatal(err)
		}
		const per = 10_000
		var last string
		for done := 0; done < n; done += per {
			cs := make([]*credential.Credential, min(per, n-done))
			for i := range cs {
				cs[i] = is.Diploma(learnerID)
			}
			batch, err := ci.IssueBatch(ctx, cs)
			if err != nil {
				b.Fatal(err)
			}
			anchor := batch.Anchor()
			got, err := is.Staff.AnchorBatch(ctx, &anchor)
			if err != nil {
				b.Fatal(err)
			}
			last = got.TxID
			for i := range batch.Len() {
				vc, err := batch.Credential(i)
				if err != nil {
					b.Fatal(err)
				}
				out = append(out, vc)
			}
		}
		return out, last
	}
	// Alone: each anchored by its own transaction, from several issuer workers at once.
	ci, err := is.Credentials()
	if err != nil {
		b.Fatal(err)
	}
	results := make([][]byte, n)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	work := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				issued, err := ci.Issue(is.Diploma(learnerID))
				if err == nil {
					_, aerr := is.Staff.AnchorCredential(ctx, &issued.Anchor)
					if aerr == nil {
						results[i] = issued.JSON
						continue
					}
					err = aerr
				}
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	// Concurrent anchorings may commit in another order than their callers return: a last one,
	// anchored once all the others have committed, is the event the service must have seen.
	issued, err := ci.Issue(is.Diploma(learnerID))
	if err != nil {
		b.Fatal(err)
	}
	got, err := is.Staff.AnchorCredential(ctx, &issued.Anchor)
	if err != nil {
		b.Fatal(err)
	}
	return results, got.TxID
}

// runGenerator runs the load generator in a process of its own and returns its report (with the
// CPU the generator spent measuring) and the CPU seconds this process, the service, spent meanwhile
// (which includes the short warm-up).
func runGenerator(b *testing.B, url, file string, clients, n, rate int) (*loadtest.Report, float64) {
	b.Helper()
	// EDULEDGER_LOAD_CPUPROFILE profiles the service (this process) while the generator runs.
	if path := os.Getenv("EDULEDGER_LOAD_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	// The warm-up opens the connections with the first documents; the measured requests take the
	// others, so each credential is verified once.
	warmup := min(clients*4, n/10)
	cmd := exec.Command(os.Args[0], "-url", url, "-file", file, "-c", strconv.Itoa(clients), "-n", strconv.Itoa(n-warmup), "-warmup", strconv.Itoa(warmup), "-d", "2m", "-rate", strconv.Itoa(rate))
	cmd.Env = append(os.Environ(), loadgenEnv+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	if err != nil {
		b.Fatalf("load generator: %v: %s", err, out)
	}
	var rep loadtest.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		b.Fatalf("load generator report: %v: %s", err, out)
	}
	cpu := func(r *syscall.Rusage) float64 {
		return time.Duration(r.Utime.Nano() + r.Stime.Nano()).Seconds()
	}
	return &rep, cpu(&after) - cpu(&before)
}
