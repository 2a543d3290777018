package issuance

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// The crash tests run a bulk job in a child process (this test binary, re-executed) that kills
// itself with SIGKILL when the job reaches a failure point, then restart the engine on the same
// ledger and store in the parent and check that the job completes — or fails, saying exactly which
// rows were anchored — with every batch anchored at most once.

const (
	envCrashDir   = "EDULEDGER_CRASH_DIR"
	envCrashPoint = "EDULEDGER_CRASH_POINT"
	envCrashAt    = "EDULEDGER_CRASH_AT"
)

// TestCrashHelper is the child process: it is skipped unless the parent set it up.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(envCrashDir)
	if dir == "" {
		t.Skip("runs only as the child process of the crash tests")
	}
	point := os.Getenv(envCrashPoint)
	at, _ := strconv.Atoi(os.Getenv(envCrashAt))
	hits := 0
	w := openWorld(t, dir)
	w.start(t, WithFailpoint(func(p string) error {
		if p == point {
			if hits++; hits == at {
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				time.Sleep(time.Minute)
			}
		}
		return nil
	}))
	csv, err := os.ReadFile(filepath.Join(dir, "upload.csv"))
	if err != nil {
		t.Fatal(err)
	}
	job, err := w.eng.CreateJob(context.Background(), issuer, JobSpec{Format: FormatCSV, Type: eduledger.TypeDiploma, Body: strings.NewReader(string(csv))})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "job-id"), []byte(job.ID), 0o600); err != nil {
		t.Fatal(err)
	}
	w.waitJob(t, issuer, job.ID)
	t.Fatalf("the job finished without reaching %s #%d", point, at)
}

// crashWorld prepares a network with 48 registered learners (3 batches of 16) and a CSV of
// diplomas for them, runs the job in a child process that dies at the at-th pass of point, and
// returns the directory and the job's ID.
func crashWorld(t *testing.T, point string, at int) (string, string) {
	t.Helper()
	dir := t.TempDir()
	w := openWorld(t, dir)
	if _, err := devnet.Bootstrap(context.Background(), w.conn); err != nil {
		t.Fatal(err)
	}
	w.start(t)
	learners := w.register(t, "C", 48)
	w.close()
	if err := os.WriteFile(filepath.Join(dir, "upload.csv"), []byte(diplomaCSV(learners)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashPoint+"="+point, envCrashAt+"="+strconv.Itoa(at))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the child process did not die: %v\n%s", err, out)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the child process ended otherwise than by SIGKILL: %v\n%s", err, out)
	}
	id, err := os.ReadFile(filepath.Join(dir, "job-id"))
	if err != nil {
		t.Fatalf("the child created no job: %v\n%s", err, out)
	}
	return dir, string(id)
}

// batchAnchors counts the BatchAnchored events on the ledger per root.
func batchAnchors(t *testing.T, l ledger.Ledger) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	events, err := l.Events(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for ev := range events {
		if ev.Name == eduledger.EventBatchAnchored {
			root := strings.SplitN(strings.SplitN(string(ev.Payload), `"root":"`, 2)[1], `"`, 2)[0]
			out[root]++
		}
	}
	return out
}

func TestAnInterruptedBulkJobCompletesOnRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, tc := range []struct {
		name  string
		point string
	}{
		{"killed after signing the second batch, before any anchor", PointBatchSigned},
		{"killed after recording the intent to anchor the second batch, before submitting it", PointBatchSubmitting},
		{"killed after the ledger committed the second batch, before recording it", PointBatchAnchored},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, jobID := crashWorld(t, tc.point, 2)
			w := openWorld(t, dir)
			w.start(t)
			job := w.waitJob(t, issuer, jobID)
			if job.State != JobCompleted || job.Issued != 48 || job.Failed != 0 || len(job.Batches) != 3 {
				t.Fatalf("after the restart the job is %+v", job)
			}
			anchors := batchAnchors(t, w.reader)
			for _, b := range job.Batches {
				if anchors[b.Root] != 1 {
					t.Fatalf("batch %d (root %s) is anchored %d times", b.Number, b.Root, anchors[b.Root])
				}
			}
			if len(anchors) != 3 {
				t.Fatalf("the ledger holds %d batch anchors, want 3: %v", len(anchors), anchors)
			}
			n := 0
			err := w.eng.ExportJob(context.Background(), issuer, jobID, func(c *ExportedCredential) error {
				if r := w.verifyOffline(t, devnet.Riverside, c.Credential); !r.Verified {
					t.Fatalf("row %d does not verify: %+v", c.Row, r.Failed())
				}
				n++
				return nil
			})
			if err != nil || n != 48 {
				t.Fatalf("exported %d credentials: %v", n, err)
			}
		})
	}
}

func TestAnInterruptedJobThatCannotCompleteReportsExactlyWhichRowsWereAnchored(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir, jobID := crashWorld(t, PointBatchSubmitting, 2)
	w := openWorld(t, dir)
	// While the service is down, the bureau withdraws the university's diploma accreditation.
	ctx := context.Background()
	gov, err := w.conn.Connect(ctx, devnet.GovMSP, devnet.Bureau, eduledger.StaffAdmin)
	if err != nil {
		t.Fatal(err)
	}
	gc := ledger.NewClient(gov)
	accs, err := gc.ListAccreditations(ctx, devnet.Riverside, eduledger.MaxPageSize, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accs.Items {
		if a.CredentialType == eduledger.TypeDiploma {
			if _, err := gc.WithdrawAccreditation(ctx, devnet.Riverside, a.ID, "under review"); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.start(t)
	job := w.waitJob(t, issuer, jobID)
	if job.State != JobFailed || job.Issued != 16 || job.Failed != 32 || job.Pending != 0 {
		t.Fatalf("after the restart the job is %+v", job)
	}
	if b := job.Batches; b[0].State != batchAnchored || b[1].State != batchFailed || b[2].State != batchFailed || !strings.Contains(b[1].Error, "accredit") {
		t.Fatalf("batches = %+v", b)
	}
	anchors := batchAnchors(t, w.reader)
	if len(anchors) != 1 || anchors[job.Batches[0].Root] != 1 {
		t.Fatalf("the ledger holds anchors %v, want only batch 0's", anchors)
	}
	issued, err := w.eng.JobRows(ctx, issuer, jobID, RowQuery{State: RowIssued, PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(issued.Items) != 16 || issued.Items[0].Row != job.Batches[0].FirstRow || issued.Items[15].Row != job.Batches[0].LastRow {
		t.Fatalf("issued rows = %+v", issued.Items)
	}
	failed, err := w.eng.JobRows(ctx, issuer, jobID, RowQuery{State: RowFailed, PageSize: 100})
	if err != nil || len(failed.Items) != 32 || len(failed.Items[0].Errors) == 0 {
		t.Fatalf("failed rows = %+v, %v", failed, err)
	}
}

func TestABatchSignedBeforeAKeyRotationIsSignedAgainOnRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir, jobID := crashWorld(t, PointBatchSubmitting, 1)
	w := openWorld(t, dir)
	eng, err := New(context.Background(), w.cfg, w.conn, w.reader, WithKeyKDF(cheapKDF), WithSchemas(testSchemas(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.EnsureKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	before, err := eng.GetJob(context.Background(), issuer, jobID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.RotateKeys(context.Background(), admin, nil); err != nil {
		t.Fatal(err)
	}
	eng.Close()
	w.start(t)
	job := w.waitJob(t, issuer, jobID)
	if job.State != JobCompleted || job.Issued != 48 {
		t.Fatalf("after the restart the job is %+v", job)
	}
	for i, b := range job.Batches {
		if b.Root == before.Batches[i].Root {
			t.Fatalf("batch %d kept the root it was signed under before the rotation", i)
		}
	}
	if anchors := batchAnchors(t, w.reader); len(anchors) != 3 {
		t.Fatalf("the ledger holds %d batch anchors, want 3", len(anchors))
	}
	cur := w.eng.orgs[devnet.Riverside].cur
	err = w.eng.ExportJob(context.Background(), issuer, jobID, func(c *ExportedCredential) error {
		if !strings.Contains(string(c.Credential), cur.ed) {
			t.Fatalf("row %d is not signed with the current key %s", c.Row, cur.ed)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
