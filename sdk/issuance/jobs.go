package issuance

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/verifier"
)

// Bulk jobs. An upload (CSV or JSON) becomes a job in three steps:
//
//  1. receive: every row is parsed and checked — columns, the credential type's JSON Schema, the
//     learner registered and active — while the upload streams in. Bad rows are answered at once,
//     each with its row and column, and nothing is issued (unless the job skips invalid rows).
//  2. sign: the valid rows, in order, are cut into Merkle batches of the configured size; each
//     batch is signed (an Ed25519 proof per credential, one ML-DSA-44 signature over the root),
//     written to a segment file and recorded, durably, before the next. Every batch is signed
//     before any is anchored, so a row that fails signing fails the job before anything is issued.
//  3. anchor: for each batch, the intent "about to anchor root R" is made durable, AnchorBatch is
//     submitted as the job's creator, and the batch is marked anchored with its transaction.
//
// After a crash, a batch caught between intent and outcome is settled by asking the ledger
// whether R is anchored (GetBatch): if so it is marked anchored, if not it is submitted again — or
// re-signed first, when the organisation's keys were rotated meanwhile. A batch the chaincode
// refuses is marked failed with the reason, and the job reports exactly which rows were anchored.

// Job states.
const (
	JobQueued    = "queued"
	JobSigning   = "signing"
	JobAnchoring = "anchoring"
	// JobCompleted: every valid row is anchored (invalid rows skipped, if the job allowed that).
	JobCompleted = "completed"
	// JobFailed: some rows could not be anchored; Batches and the row results say which were.
	JobFailed = "failed"
)

// Batch states.
const (
	batchSigned     = "signed"
	batchSubmitting = "submitting"
	batchAnchored   = "anchored"
	batchFailed     = "failed"
)

// Row states, as JobRows reports them.
const (
	RowIssued  = "issued"
	RowInvalid = "invalid"
	RowFailed  = "failed"
	RowPending = "pending"
)

// JobSpec asks for a bulk job.
type JobSpec struct {
	// Format is FormatCSV or FormatJSON (a JSONUpload: it carries its own type, template and
	// skipInvalid, which must agree with any set here).
	Format string
	// Type of every credential of the job (required for CSV).
	Type eduledger.CredentialType
	// Template holds the members every row shares; each row's members override it.
	Template *Row
	// SkipInvalid issues the valid rows and reports the invalid ones, instead of refusing the
	// whole upload when any row is invalid.
	SkipInvalid bool
	// Charset of a CSV upload: utf-8 (default) or gb18030.
	Charset string
	// Body is the upload; it is read once, as a stream.
	Body io.Reader
	// IdempotencyKey makes a retried upload return the first job instead of creating another.
	IdempotencyKey string
}

// Job is a bulk job and its progress.
type Job struct {
	ID          string                   `json:"id"`
	OrgID       string                   `json:"orgId"`
	Type        eduledger.CredentialType `json:"type"`
	Format      string                   `json:"format"`
	State       string                   `json:"state"`
	SkipInvalid bool                     `json:"skipInvalid,omitempty"`
	BatchSize   int                      `json:"batchSize"`
	CreatedBy   Principal                `json:"createdBy"`
	CreatedAt   time.Time                `json:"createdAt"`
	UpdatedAt   time.Time                `json:"updatedAt"`
	FinishedAt  time.Time                `json:"finishedAt,omitzero"`
	// Rows counts the upload's rows: Invalid were refused, Issued are anchored, Failed could not
	// be anchored, Pending are not settled yet.
	Rows    int `json:"rows"`
	Invalid int `json:"invalid"`
	Issued  int `json:"issued"`
	Failed  int `json:"failed"`
	Pending int `json:"pending"`
	// Error says why the job failed, when it did.
	Error   string     `json:"error,omitempty"`
	Batches []JobBatch `json:"batches"`

	Template *Row `json:"template,omitempty"`
}

// JobBatch is one Merkle batch of a job: its rows, its root and whether it is anchored.
type JobBatch struct {
	Number     int       `json:"number"`
	FirstRow   int       `json:"firstRow"`
	LastRow    int       `json:"lastRow"`
	Count      int       `json:"count"`
	Root       string    `json:"root"`
	State      string    `json:"state"`
	TxID       string    `json:"txId,omitempty"`
	AnchoredAt time.Time `json:"anchoredAt,omitzero"`
	Error      string    `json:"error,omitempty"`
}

// RowResult is the outcome of one row of a job.
type RowResult struct {
	Row          int          `json:"row"`
	LearnerID    string       `json:"learnerId,omitempty"`
	State        string       `json:"state"`
	CredentialID string       `json:"credentialId,omitempty"`
	Batch        *int         `json:"batch,omitempty"`
	BatchRoot    string       `json:"batchRoot,omitempty"`
	Errors       []FieldError `json:"errors,omitempty"`
}

// RowQuery filters and pages a job's row results.
type RowQuery struct {
	// State keeps only rows in this state (RowIssued, RowInvalid, RowFailed, RowPending).
	State     string
	PageSize  int
	PageToken string
}

// ExportedCredential is one issued credential of a job, as ExportJob streams them.
type ExportedCredential struct {
	Row              int             `json:"row"`
	LearnerID        string          `json:"learnerId"`
	CredentialID     string          `json:"credentialId"`
	Digest           string          `json:"digest"`
	BatchRoot        string          `json:"batchRoot"`
	VerificationLink string          `json:"verificationLink"`
	Credential       json.RawMessage `json:"credential"`
}

type jobRecord struct {
	Job
}

type rowRecord struct {
	Row     int        `json:"row"`
	Learner string     `json:"learner,omitempty"`
	Cred    string     `json:"cred,omitempty"`
	Spec    *Row       `json:"spec,omitempty"`
	Errors  []RowError `json:"errors,omitempty"`
}

type batchRecord struct {
	Job        string                `json:"job"`
	Number     int                   `json:"number"`
	FirstRow   int                   `json:"firstRow"`
	LastRow    int                   `json:"lastRow"`
	Count      int                   `json:"count"`
	State      string                `json:"state"`
	Root       string                `json:"root"`
	Keys       []string              `json:"keys"`
	Seg        string                `json:"seg"`
	Attempt    int                   `json:"attempt"`
	Anchor     eduledger.BatchAnchor `json:"anchor"`
	TxID       string                `json:"txId,omitempty"`
	AnchoredAt time.Time             `json:"anchoredAt,omitzero"`
	Error      string                `json:"error,omitempty"`
}

func keyReceiving(job string) string      { return "v/" + job }
func keyMembers(job string, n int) string { return fmt.Sprintf("n/%s/%06d", job, n) }

// member is one credential of a signed batch, as markAnchored and ExportJob need it: kept in one
// value per batch so that they do not decode the batch's rows again.
type member struct {
	row                   int
	learner, cred, digest string
}

func encodeMembers(ms []member) []byte {
	n := 0
	for _, m := range ms {
		n += 24 + len(m.learner) + len(m.cred) + len(m.digest)
	}
	b := make([]byte, 0, n)
	for _, m := range ms {
		b = strconv.AppendInt(b, int64(m.row), 10)
		b = append(b, '\t')
		b = append(b, m.learner...)
		b = append(b, '\t')
		b = append(b, m.cred...)
		b = append(b, '\t')
		b = append(b, m.digest...)
		b = append(b, '\n')
	}
	return b
}

func decodeMembers(b []byte) ([]member, error) {
	var out []member
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("issuance: damaged batch member list")
		}
		row, err := strconv.Atoi(f[0])
		if err != nil {
			return nil, fmt.Errorf("issuance: damaged batch member list: %w", err)
		}
		out = append(out, member{row: row, learner: f[1], cred: f[2], digest: f[3]})
	}
	return out, nil
}

// members returns the credentials of a signed batch.
func (e *Engine) members(b *batchRecord) ([]member, error) {
	raw, err := e.store.getRaw(keyMembers(b.Job, b.Number))
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("issuance: batch %d of job %s has no member list", b.Number, b.Job)
	}
	return decodeMembers(raw)
}
func keyUnfinished(job string) string { return "w/" + job }

// CreateJob receives an upload and, when every row is valid (or the job skips invalid ones),
// queues it for signing and anchoring as p; Run processes it. It answers once the upload is
// received and checked. Errors: INVALID listing every bad row with its row and column (at most
// MaxReportedErrors), FORBIDDEN when the chaincode would refuse p's anchors (wrong role, not
// accredited for the type, suspended), CONFLICT while a request with the same idempotency key
// runs, UNAVAILABLE; and a *TooLargeError-free I/O error when the body cannot be read.
func (e *Engine) CreateJob(ctx context.Context, p Principal, spec JobSpec) (*Job, error) {
	org, err := e.hosted(p.OrgID)
	if err != nil {
		return nil, err
	}
	if spec.Format != FormatCSV && spec.Format != FormatJSON {
		return nil, eduledger.Errorf(eduledger.EINVALID, "an upload is CSV or JSON, not %q", spec.Format)
	}
	if spec.Type != "" && !spec.Type.Valid() {
		return nil, invalidField("type", fmt.Sprintf("%q is not a credential type", spec.Type))
	}
	idemKey := ""
	if spec.IdempotencyKey != "" {
		if !ValidIdempotencyKey(spec.IdempotencyKey) {
			return nil, eduledger.Errorf(eduledger.EINVALID, "the idempotency key must be 1-255 printable ASCII characters")
		}
		idemKey = keyIdem(p.OrgID, spec.IdempotencyKey)
		e.idemMu.Lock()
		if e.idemBusy[idemKey] {
			e.idemMu.Unlock()
			return nil, eduledger.Errorf(eduledger.ECONFLICT, "an upload with idempotency key %q is still being received", spec.IdempotencyKey)
		}
		e.idemBusy[idemKey] = true
		e.idemMu.Unlock()
		defer func() {
			e.idemMu.Lock()
			delete(e.idemBusy, idemKey)
			e.idemMu.Unlock()
		}()
	}
	h := sha256.New()
	fmt.Fprintf(h, "job\x00%s\x00%s\x00%t\x00", spec.Format, spec.Type, spec.SkipInvalid)
	tmpl, _ := json.Marshal(spec.Template)
	h.Write(tmpl)
	h.Write([]byte{0})
	body := io.TeeReader(spec.Body, h)

	if idemKey != "" {
		var rec idemRecord
		ok, err := e.store.get(idemKey, &rec)
		if err != nil {
			return nil, err
		}
		if ok && rec.State == idemDone {
			if _, err := io.Copy(io.Discard, body); err != nil {
				return nil, err
			}
			if rec.Op != "job.create" || rec.Fingerprint != hex.EncodeToString(h.Sum(nil)) {
				return nil, eduledger.Errorf(eduledger.EINVALID, "idempotency key %q was already used for a different upload; use a new key for a new upload", spec.IdempotencyKey)
			}
			return e.GetJob(ctx, p, rec.Ref)
		}
	}

	now := e.now().UTC()
	job := &jobRecord{Job: Job{ID: newID("job_", now), OrgID: p.OrgID, Type: spec.Type, Format: spec.Format, State: JobQueued,
		SkipInvalid: spec.SkipInvalid, BatchSize: e.cfg.BatchSize, CreatedBy: p, CreatedAt: now, UpdatedAt: now, Template: spec.Template}}

	var src rowSource
	switch spec.Format {
	case FormatCSV:
		if spec.Type == "" {
			return nil, invalidField("type", "is required for a CSV upload")
		}
		if err := e.preflight(ctx, p, spec.Type); err != nil {
			return nil, err
		}
		src, err = newCSVSource(body, spec.Charset, e.cfg.MaxJobRows)
	case FormatJSON:
		src, err = newJSONSource(body, e.cfg.MaxJobRows, func(head *JSONUpload) error {
			switch {
			case head.Type == "" && spec.Type == "":
				return &fileError{RowError{Column: "/type", Message: "is required"}}
			case head.Type != "" && !head.Type.Valid():
				return &fileError{RowError{Column: "/type", Message: fmt.Sprintf("%q is not a credential type", head.Type)}}
			case head.Type != "" && spec.Type != "" && head.Type != spec.Type:
				return &fileError{RowError{Column: "/type", Message: fmt.Sprintf("is %s, but the request says %s", head.Type, spec.Type)}}
			}
			if head.Type != "" {
				job.Type = head.Type
			}
			if head.Template != nil {
				if job.Template != nil {
					return &fileError{RowError{Column: "/template", Message: "is given twice (in the request and in the upload)"}}
				}
				job.Template = head.Template
			}
			job.SkipInvalid = job.SkipInvalid || head.SkipInvalid
			return e.preflight(ctx, p, job.Type)
		})
	}
	if err != nil {
		return nil, uploadError(spec.Format, err)
	}
	if job.Type == eduledger.TypeIdentityCard {
		return nil, invalidField("type", "identity cards are issued one by one from the learner's record")
	}
	if job.Template != nil && job.Template.LearnerID != "" {
		return nil, invalidField("template", "must not name a learner; each row does")
	}

	rep, err := e.receive(ctx, org, job, src)
	if err != nil {
		_ = e.store.deletePrefix(prefixRows(job.ID))
		_ = e.store.deletePrefix(keyReceiving(job.ID))
		return nil, err
	}
	if rep.invalid > 0 && !job.SkipInvalid || rep.valid == 0 {
		_ = e.store.deletePrefix(prefixRows(job.ID))
		_ = e.store.deletePrefix(keyReceiving(job.ID))
		if rep.rows == 0 {
			return nil, eduledger.Errorf(eduledger.EINVALID, "the upload has no rows")
		}
		summary := fmt.Sprintf("%d of %d rows are invalid; nothing was issued", rep.invalid, rep.rows)
		return nil, rowsInvalidTotal(job.Format, rep.errors, rep.errorCount, summary)
	}
	job.Rows, job.Invalid, job.Pending = rep.rows, rep.invalid, rep.valid
	b := new(leveldb.Batch)
	if err := putJSON(b, keyJob(job.ID), job); err != nil {
		return nil, err
	}
	b.Put([]byte(prefixOrgJobs(p.OrgID)+newestFirst(now)+"/"+job.ID), nil)
	b.Put([]byte(keyUnfinished(job.ID)), nil)
	b.Delete([]byte(keyReceiving(job.ID)))
	if idemKey != "" {
		if err := putJSON(b, idemKey, idemRecord{Op: "job.create", Fingerprint: hex.EncodeToString(h.Sum(nil)), State: idemDone,
			Ref: job.ID, CreatedAt: now}); err != nil {
			return nil, err
		}
	}
	if err := e.store.write(b, true); err != nil {
		return nil, err
	}
	e.log.Info("bulk job received", "job", job.ID, "org", p.OrgID, "type", job.Type, "rows", job.Rows, "invalid", job.Invalid)
	e.wakeJobs()
	return e.GetJob(ctx, p, job.ID)
}

// uploadError turns a source's error into INVALID (a broken file) or passes on a read failure.
func uploadError(format string, err error) error {
	var fe *fileError
	if errors.As(err, &fe) {
		return rowsInvalid(format, []RowError{fe.RowError}, "the upload cannot be read")
	}
	return err
}

// preflight asks the chaincode, without committing anything, whether p may anchor a batch of type
// t now: the same authorisation the real anchors will meet, checked before any row is signed.
func (e *Engine) preflight(ctx context.Context, p Principal, t eduledger.CredentialType) error {
	if !t.Valid() {
		return &fileError{RowError{Column: "type", Message: fmt.Sprintf("%q is not a credential type", t)}}
	}
	cl, _, err := e.client(ctx, p)
	if err != nil {
		return err
	}
	var root [32]byte
	_, _ = rand.Read(root[:])
	probe := eduledger.BatchAnchor{Root: hex.EncodeToString(root[:]), Count: 1, Type: t, IssuerID: p.OrgID, IssuedAt: e.now().UTC().Truncate(time.Second)}
	arg, _ := json.Marshal(probe)
	_, err = cl.Ledger().Evaluate(ctx, &ledger.Transaction{Function: "AnchorBatch", Args: []string{string(arg)}})
	if err != nil {
		if c := eduledger.ErrorCode(err); c == eduledger.EFORBIDDEN || c == eduledger.EUNAVAILABLE {
			return err
		}
		return fmt.Errorf("issuance: preflight of %s anchors: %w", t, err)
	}
	return nil
}

type receiveReport struct {
	rows, valid, invalid int
	errors               []RowError
	errorCount           int
}

// maxKeptErrors bounds the row errors kept in memory while an upload is received.
const maxKeptErrors = 4 * MaxReportedErrors

// receive parses and checks every row, storing each under the job, on all workers.
func (e *Engine) receive(ctx context.Context, org *hostedOrg, job *jobRecord, src rowSource) (*receiveReport, error) {
	if err := e.store.put(keyReceiving(job.ID), job.CreatedAt, false); err != nil {
		return nil, err
	}
	type chunk struct {
		rows []*sourceRow
		recs []rowRecord
		vals [][]byte // recs encoded for the store
		err  error
	}
	work := make(chan *chunk, e.workers)
	done := make(chan *chunk, e.workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	now := e.now()
	for range e.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ch := range work {
				ch.recs = make([]rowRecord, len(ch.rows))
				ch.vals = make([][]byte, len(ch.rows))
				for i, r := range ch.rows {
					ch.recs[i] = e.checkRow(ctx, org, job, r, now)
					if ch.err == nil {
						if ch.vals[i], ch.err = json.Marshal(&ch.recs[i]); ch.err != nil {
							ch.err = fmt.Errorf("issuance: encode %s: %w", keyRow(job.ID, ch.recs[i].Row), ch.err)
						}
					}
				}
				done <- ch
			}
		}()
	}
	var readErr error
	go func() {
		defer close(work)
		ch := &chunk{}
		for {
			r, err := src.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				readErr = err
				return
			}
			ch.rows = append(ch.rows, r)
			if len(ch.rows) == 256 {
				select {
				case work <- ch:
				case <-ctx.Done():
					return
				}
				ch = &chunk{}
			}
		}
		if len(ch.rows) > 0 {
			select {
			case work <- ch:
			case <-ctx.Done():
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()

	rep := &receiveReport{}
	b := new(leveldb.Batch)
	var writeErr error
	for ch := range done {
		if writeErr == nil {
			writeErr = ch.err
		}
		for i, rec := range ch.recs {
			rep.rows++
			if len(rec.Errors) > 0 {
				rep.invalid++
				rep.errorCount += len(rec.Errors)
				if len(rep.errors) < maxKeptErrors {
					rep.errors = append(rep.errors, rec.Errors...)
				}
			} else {
				rep.valid++
			}
			if writeErr == nil {
				b.Put([]byte(keyRow(job.ID, rec.Row)), ch.vals[i])
			}
		}
		if b.Len() >= 2048 && writeErr == nil {
			writeErr = e.store.write(b, false)
			b.Reset()
		}
		if writeErr != nil {
			cancel()
		}
	}
	if readErr != nil {
		return nil, uploadError(job.Format, readErr)
	}
	if writeErr == nil {
		writeErr = e.store.write(b, false)
	}
	if writeErr != nil {
		return nil, writeErr
	}
	if err := ctx.Err(); err != nil {
		return nil, eduledger.Errorf(eduledger.EUNAVAILABLE, "the upload was cut off: %w", err)
	}
	slices.SortStableFunc(rep.errors, func(a, b RowError) int { return a.Row - b.Row })
	return rep, nil
}

// checkRow checks one row as the issuer will, and that its learner is registered and active.
func (e *Engine) checkRow(ctx context.Context, org *hostedOrg, job *jobRecord, r *sourceRow, now time.Time) rowRecord {
	rec := rowRecord{Row: r.row, Learner: r.spec.LearnerID}
	errs := r.errors
	if len(errs) == 0 {
		c, berrs := buildCredential(&org.org, job.Type, mergeRow(job.Template, r.spec))
		errs = berrs
		if len(errs) == 0 {
			errs = e.check.check(&org.org, job.Type, c, now)
		}
		if len(errs) == 0 {
			st, ok, err := e.learnerStatus(ctx, r.spec.LearnerID)
			switch {
			case err != nil:
				errs = []RowError{{Column: "/learnerId", Message: "could not be checked: " + eduledger.ErrorMessage(err)}}
			case !ok:
				errs = []RowError{{Column: "/learnerId", Message: fmt.Sprintf("learner %s is not registered", r.spec.LearnerID)}}
			case st != eduledger.LearnerActive:
				errs = []RowError{{Column: "/learnerId", Message: fmt.Sprintf("learner %s is suspended", r.spec.LearnerID)}}
			}
		}
		for i := range errs {
			errs[i].Row = r.row
			if job.Format == FormatCSV {
				errs[i].Column = csvColumnOf(errs[i].Column)
			}
		}
	}
	if len(errs) > 0 {
		rec.Errors = errs
		return rec
	}
	id, err := credential.NewID()
	if err != nil {
		rec.Errors = []RowError{{Row: r.row, Message: err.Error()}}
		return rec
	}
	spec := r.spec
	rec.Cred, rec.Spec = id, &spec
	return rec
}

func (e *Engine) wakeJobs() {
	select {
	case e.jobWake <- struct{}{}:
	default:
	}
}

// runJobs processes unfinished jobs, oldest first, until ctx ends.
func (e *Engine) runJobs(ctx context.Context) {
	e.cleanReceiving()
	backoff := time.Second
	for ctx.Err() == nil {
		var ids []string
		if _, err := e.store.scan("w/", "", 0, func(k string, _ []byte) (bool, error) {
			ids = append(ids, k[2:])
			return true, nil
		}); err != nil {
			e.log.Error("cannot list unfinished jobs", "err", err)
		}
		retry := false
		for _, id := range ids {
			if ctx.Err() != nil {
				return
			}
			if err := e.processJob(ctx, id); err != nil {
				if ctx.Err() != nil {
					return
				}
				retry = true
				e.log.Warn("bulk job paused; will retry", "job", id, "err", err, "in", backoff)
			}
		}
		wait := time.Hour
		if retry {
			wait = backoff
			backoff = min(2*backoff, 30*time.Second)
		} else {
			backoff = time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-e.jobWake:
		case <-t.C:
		}
		t.Stop()
	}
}

// cleanReceiving removes the rows of uploads a previous process was receiving when it stopped:
// their clients never got a job and will upload again.
func (e *Engine) cleanReceiving() {
	var ids []string
	_, _ = e.store.scan("v/", "", 0, func(k string, _ []byte) (bool, error) {
		ids = append(ids, k[2:])
		return true, nil
	})
	for _, id := range ids {
		if ok, _ := e.store.get(keyJob(id), new(jobRecord)); ok {
			continue
		}
		if err := e.store.deletePrefix(prefixRows(id)); err == nil {
			_ = e.store.deletePrefix(keyReceiving(id))
		}
	}
}

func (e *Engine) failpoint(point string) error {
	if e.fail == nil {
		return nil
	}
	if err := e.fail(point); err != nil {
		return eduledger.Errorf(eduledger.EUNAVAILABLE, "failure point %s: %w", point, err)
	}
	return nil
}

// processJob moves a job as far as it can go. An error means it must be retried later (the
// ledger is unavailable, or the engine is stopping); refusals are recorded in the job instead.
func (e *Engine) processJob(ctx context.Context, id string) error {
	var job jobRecord
	ok, err := e.store.get(keyJob(id), &job)
	if err != nil {
		return err
	}
	if !ok || job.State == JobCompleted || job.State == JobFailed {
		return e.store.deletePrefix(keyUnfinished(id))
	}
	org, err := e.hosted(job.OrgID)
	if err != nil {
		return e.finishJob(&job, err.Error())
	}
	if job.State == JobQueued || job.State == JobSigning {
		if err := e.signJob(ctx, org, &job); err != nil {
			return err
		}
		if job.State == JobFailed {
			return nil
		}
	}
	return e.anchorJob(ctx, org, &job)
}

func (e *Engine) saveJob(job *jobRecord) error {
	job.UpdatedAt = e.now().UTC()
	return e.store.put(keyJob(job.ID), job, true)
}

func (e *Engine) batches(jobID string) ([]*batchRecord, error) {
	var out []*batchRecord
	_, err := e.store.scan(prefixBatches(jobID), "", 0, func(_ string, v []byte) (bool, error) {
		b := new(batchRecord)
		if err := json.Unmarshal(v, b); err != nil {
			return false, fmt.Errorf("issuance: decode batch: %w", err)
		}
		out = append(out, b)
		return true, nil
	})
	return out, err
}

// rowsFrom returns up to n valid rows of a job from row number first on (n 0: every row up to
// last, when last is not 0). Rows are decoded on all workers: reading a batch's rows back is a
// stage of signing.
func (e *Engine) rowsFrom(jobID string, first, last, n int) ([]rowRecord, error) {
	var out []rowRecord
	prefix := prefixRows(jobID)
	for {
		// Take as many stored rows as valid ones are still wanted; invalid ones (skipped jobs
		// only) make another round necessary.
		want := 0
		if n > 0 {
			want = n - len(out)
		}
		start := ""
		if first > 1 {
			start = encodePageToken(keyRow(jobID, first-1))
		}
		var raws [][]byte
		lastRow, more := 0, false
		stop := errors.New("stop")
		_, err := e.store.scan(prefix, start, 0, func(k string, v []byte) (bool, error) {
			row, err := strconv.Atoi(k[len(prefix):])
			if err != nil {
				return false, fmt.Errorf("issuance: damaged row key %q", k)
			}
			if last > 0 && row > last {
				return false, stop
			}
			if want > 0 && len(raws) == want {
				more = true
				return false, stop
			}
			raws = append(raws, slices.Clone(v))
			lastRow = row
			return true, nil
		})
		if err != nil && !errors.Is(err, stop) {
			return nil, err
		}
		recs, err := e.decodeRows(raws)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if len(r.Errors) == 0 {
				out = append(out, r)
			}
		}
		if !more || n > 0 && len(out) == n {
			return out, nil
		}
		first = lastRow + 1
	}
}

// decodeRows decodes stored rows on all workers.
func (e *Engine) decodeRows(raws [][]byte) ([]rowRecord, error) {
	recs := make([]rowRecord, len(raws))
	errs := make([]error, e.workers)
	var wg sync.WaitGroup
	per := (len(raws) + e.workers - 1) / e.workers
	for w := 0; w*per < len(raws); w++ {
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				if err := json.Unmarshal(raws[i], &recs[i]); err != nil {
					errs[w] = fmt.Errorf("issuance: decode row: %w", err)
					return
				}
			}
		}(w, w*per, min((w+1)*per, len(raws)))
	}
	wg.Wait()
	return recs, errors.Join(errs...)
}

// signJob signs every batch of the job not signed yet. Three stages run at once — the next
// batch's rows are read back while one batch is signed and the one before it is written — so
// that reading, signing and writing overlap. Batches are still recorded durably one by one, in
// order, each before its failure point and before the next is written; and nothing is anchored
// before every batch is signed.
func (e *Engine) signJob(ctx context.Context, org *hostedOrg, job *jobRecord) error {
	if job.State != JobSigning {
		job.State = JobSigning
		if err := e.saveJob(job); err != nil {
			return err
		}
	}
	done, err := e.batches(job.ID)
	if err != nil {
		return err
	}
	next := 1
	if len(done) > 0 {
		next = done[len(done)-1].LastRow + 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Stage 1: read each batch's rows.
	type loaded struct {
		n    int
		rows []rowRecord
		err  error
	}
	loads := make(chan loaded, 1)
	go func() {
		defer close(loads)
		for n := len(done); ; n++ {
			rows, err := e.rowsFrom(job.ID, next, 0, job.BatchSize)
			if err == nil && len(rows) == 0 {
				return
			}
			select {
			case loads <- loaded{n: n, rows: rows, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
			next = rows[len(rows)-1].Row + 1
		}
	}()

	// Stage 3: write each signed batch, in order.
	signed := make(chan *signedBatch, 1)
	written := make(chan error, 1)
	go func() {
		var err error
		for sb := range signed {
			if err != nil {
				continue // drain
			}
			if err = e.writeBatch(job, sb); err == nil {
				err = e.failpoint(PointBatchSigned)
			}
			if err != nil {
				cancel()
			}
		}
		written <- err
	}()

	// Stage 2: sign.
	var signErr error
	var rowErr *RowError
	for l := range loads {
		if l.err != nil {
			signErr = l.err
			break
		}
		if err := ctx.Err(); err != nil {
			signErr = err
			break
		}
		b := &batchRecord{Job: job.ID, Number: l.n, FirstRow: l.rows[0].Row, LastRow: l.rows[len(l.rows)-1].Row, Count: len(l.rows)}
		org.mu.RLock()
		sb, re, err := e.signRows(ctx, org, job, b, l.rows)
		org.mu.RUnlock()
		if err != nil || re != nil {
			signErr, rowErr = err, re
			break
		}
		signed <- sb
	}
	close(signed)
	writeErr := <-written
	cancel()
	for range loads {
	}
	switch {
	case writeErr != nil:
		return writeErr
	case signErr != nil:
		return signErr
	case rowErr != nil:
		return e.finishJob(job, fmt.Sprintf("%s could not be signed: %s; nothing was anchored", rowErr.Field(job.Format), rowErr.Message))
	}
	job.State = JobAnchoring
	return e.saveJob(job)
}

var credentialIndex = regexp.MustCompile(`^credentials\[(\d+)\]: `)

// signedBatch is a batch signed, not yet written.
type signedBatch struct {
	b     *batchRecord
	rows  []rowRecord
	creds []*credential.Credential
	keys  []string
	batch *credential.Batch
}

// signBatch signs rows as batch b (a new attempt when b was signed before), writes the segment and
// records the batch as signed. A row the issuer refuses comes back as a RowError. The caller holds
// org.mu for reading.
func (e *Engine) signBatch(ctx context.Context, org *hostedOrg, job *jobRecord, b *batchRecord, rows []rowRecord) (*RowError, error) {
	sb, rowErr, err := e.signRows(ctx, org, job, b, rows)
	if err != nil || rowErr != nil {
		return rowErr, err
	}
	return nil, e.writeBatch(job, sb)
}

// signRows signs rows as batch b. A row the issuer refuses comes back as a RowError. The caller
// holds org.mu for reading.
func (e *Engine) signRows(ctx context.Context, org *hostedOrg, job *jobRecord, b *batchRecord, rows []rowRecord) (*signedBatch, *RowError, error) {
	keys, err := org.currentIssuer()
	if err != nil {
		return nil, nil, err
	}
	creds := make([]*credential.Credential, len(rows))
	for i, r := range rows {
		c, errs := buildCredential(&org.org, job.Type, mergeRow(job.Template, *r.Spec))
		if len(errs) > 0 {
			errs[0].Row = r.Row
			return nil, &errs[0], nil
		}
		c.ID = r.Cred
		creds[i] = c
	}
	batch, err := keys.issuer.IssueBatch(ctx, creds)
	if err != nil {
		if m := credentialIndex.FindStringSubmatch(eduledger.ErrorMessage(err)); m != nil && eduledger.ErrorCode(err) == eduledger.EINVALID {
			i, _ := strconv.Atoi(m[1])
			if i < len(rows) {
				return nil, &RowError{Row: rows[i].Row, Message: eduledger.ErrorMessage(err)[len(m[0]):]}, nil
			}
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, &RowError{Row: b.FirstRow, Message: eduledger.ErrorMessage(err)}, nil
	}
	return &signedBatch{b: b, rows: rows, creds: creds, keys: keys.ids(), batch: batch}, nil, nil
}

// writeBatch renders a signed batch's credentials into its segment and records the batch as
// signed, durably.
func (e *Engine) writeBatch(job *jobRecord, sb *signedBatch) error {
	b, batch := sb.b, sb.batch
	if b.Root != "" {
		b.Attempt++
	}
	b.Seg = segmentName(job.ID, b.Number, b.Attempt)
	offsets, lengths, err := e.segs.write(b.Seg, batch.Len(), batch.AppendCredential)
	if err != nil {
		return err
	}
	b.State, b.Root, b.Keys, b.Anchor, b.Error = batchSigned, batch.Root(), sb.keys, batch.Anchor(), ""
	lb := leveldb.MakeBatch(len(sb.rows) * 640)
	ms := make([]member, len(sb.rows))
	for i, r := range sb.rows {
		ms[i] = member{row: r.Row, learner: batch.LearnerID(i), cred: batch.ID(i), digest: batch.Digest(i)}
		rec := credRecord{ID: batch.ID(i), Type: job.Type, OrgID: job.OrgID, LearnerID: batch.LearnerID(i), Digest: batch.Digest(i),
			IssuedAt: b.Anchor.IssuedAt, ValidUntil: sb.creds[i].ValidUntil.UTC().Truncate(time.Second), Keys: b.Keys,
			Job: job.ID, Batch: b.Number, Row: r.Row, Root: b.Root, Seg: b.Seg, Off: offsets[i], Len: lengths[i]}
		if err := putJSON(lb, keyCred(rec.ID), &rec); err != nil {
			return err
		}
	}
	lb.Put([]byte(keyMembers(job.ID, b.Number)), encodeMembers(ms))
	if err := putJSON(lb, keyBatch(job.ID, b.Number), b); err != nil {
		return err
	}
	return e.store.write(lb, true)
}

// anchorJob anchors every signed batch, settles those a crash left in doubt, and finishes the job.
func (e *Engine) anchorJob(ctx context.Context, org *hostedOrg, job *jobRecord) error {
	cl, _, err := e.client(ctx, job.CreatedBy)
	if err != nil {
		return e.finishJob(job, eduledger.ErrorMessage(err))
	}
	bs, err := e.batches(job.ID)
	if err != nil {
		return err
	}
	for _, b := range bs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if b.State == batchAnchored || b.State == batchFailed {
			continue
		}
		if err := e.anchorBatch(ctx, cl, org, job, b); err != nil {
			return err
		}
	}
	return e.finishJob(job, "")
}

// anchorBatch takes one batch from signed (or in doubt) to anchored or failed.
func (e *Engine) anchorBatch(ctx context.Context, cl *ledger.Client, org *hostedOrg, job *jobRecord, b *batchRecord) error {
	org.mu.RLock()
	defer org.mu.RUnlock()
	if b.State == batchSubmitting {
		got, err := e.reader.GetBatch(ctx, b.Root)
		switch {
		case err == nil && got.IssuerID == job.OrgID:
			e.log.Info("an interrupted anchor was committed; recording it", "job", job.ID, "batch", b.Number, "root", b.Root)
			return e.markAnchored(job, b, got)
		case err != nil && eduledger.ErrorCode(err) != eduledger.ENOTFOUND:
			return err
		}
		e.log.Info("an interrupted anchor was not committed; submitting it again", "job", job.ID, "batch", b.Number, "root", b.Root)
	}
	keys, err := org.currentIssuer()
	if err != nil {
		return err
	}
	if !slices.Equal(keys.ids(), b.Keys) {
		// The keys were rotated after the batch was signed: a verifier would date the signatures
		// by the anchor, after the rotation, so sign the batch again with the current keys.
		rows, err := e.rowsFrom(job.ID, b.FirstRow, b.LastRow, 0)
		if err != nil {
			return err
		}
		rowErr, err := e.signBatch(ctx, org, job, b, rows)
		if err != nil {
			return err
		}
		if rowErr != nil {
			return e.failBatch(b, rowErr.Field(job.Format)+": "+rowErr.Message)
		}
	}
	b.State = batchSubmitting
	if err := e.store.put(keyBatch(job.ID, b.Number), b, true); err != nil {
		return err
	}
	if err := e.failpoint(PointBatchSubmitting); err != nil {
		return err
	}
	anchor := b.Anchor
	got, err := cl.AnchorBatch(ctx, &anchor)
	if err != nil {
		switch eduledger.ErrorCode(err) {
		case eduledger.EUNAVAILABLE:
			return err
		case eduledger.ECONFLICT:
			if onLedger, gerr := e.reader.GetBatch(ctx, b.Root); gerr == nil && onLedger.IssuerID == job.OrgID {
				return e.markAnchored(job, b, onLedger)
			}
		}
		return e.failBatch(b, eduledger.ErrorMessage(err))
	}
	if err := e.failpoint(PointBatchAnchored); err != nil {
		return err
	}
	return e.markAnchored(job, b, got)
}

func (e *Engine) failBatch(b *batchRecord, reason string) error {
	b.State, b.Error = batchFailed, reason
	e.log.Warn("a batch could not be anchored", "job", b.Job, "batch", b.Number, "reason", reason)
	return e.store.put(keyBatch(b.Job, b.Number), b, true)
}

// markAnchored records a batch as anchored and lists its credentials.
func (e *Engine) markAnchored(job *jobRecord, b *batchRecord, got *eduledger.BatchAnchor) error {
	ms, err := e.members(b)
	if err != nil {
		return err
	}
	b.State, b.TxID, b.AnchoredAt, b.Error = batchAnchored, got.TxID, got.AnchoredAt, ""
	lb := leveldb.MakeBatch(len(ms) * 160)
	nf := newestFirst(b.Anchor.IssuedAt)
	for _, m := range ms {
		indexCredentialAt(lb, job.OrgID, m.learner, m.cred, nf)
	}
	if err := putJSON(lb, keyBatch(job.ID, b.Number), b); err != nil {
		return err
	}
	if err := e.store.write(lb, true); err != nil {
		return err
	}
	e.obs.Issued(job.OrgID, job.Type, b.Count)
	return nil
}

// finishJob records a job's outcome (failing it with reason, when given).
func (e *Engine) finishJob(job *jobRecord, reason string) error {
	bs, err := e.batches(job.ID)
	if err != nil {
		return err
	}
	job.State = JobCompleted
	for _, b := range bs {
		if b.State == batchFailed {
			job.State = JobFailed
		}
	}
	if reason != "" {
		job.State, job.Error = JobFailed, reason
		for _, b := range bs {
			if b.State != batchAnchored && b.State != batchFailed {
				b.State, b.Error = batchFailed, reason
				if err := e.store.put(keyBatch(job.ID, b.Number), b, true); err != nil {
					return err
				}
			}
		}
	} else if job.State == JobFailed {
		job.Error = "some batches could not be anchored; see each batch's error"
	}
	job.FinishedAt = e.now().UTC()
	e.countJob(&job.Job, bs)
	lb := new(leveldb.Batch)
	job.UpdatedAt = job.FinishedAt
	if err := putJSON(lb, keyJob(job.ID), job); err != nil {
		return err
	}
	lb.Delete([]byte(keyUnfinished(job.ID)))
	if err := e.store.write(lb, true); err != nil {
		return err
	}
	e.log.Info("bulk job finished", "job", job.ID, "state", job.State, "issued", job.Issued, "failed", job.Failed, "invalid", job.Invalid)
	return nil
}

// countJob fills a job's counts and batch list from its batches.
func (e *Engine) countJob(j *Job, bs []*batchRecord) {
	j.Issued, j.Failed = 0, 0
	j.Batches = make([]JobBatch, 0, len(bs))
	signedRows := 0
	for _, b := range bs {
		signedRows += b.Count
		switch b.State {
		case batchAnchored:
			j.Issued += b.Count
		case batchFailed:
			j.Failed += b.Count
		}
		j.Batches = append(j.Batches, JobBatch{Number: b.Number, FirstRow: b.FirstRow, LastRow: b.LastRow, Count: b.Count,
			Root: b.Root, State: b.State, TxID: b.TxID, AnchoredAt: b.AnchoredAt, Error: b.Error})
	}
	valid := j.Rows - j.Invalid
	if j.State == JobFailed && signedRows < valid {
		// Rows never signed (the job failed while signing) failed too.
		j.Failed += valid - signedRows
	}
	j.Pending = valid - j.Issued - j.Failed
}

// GetJob returns a job of p's organisation with its progress. Errors: NOT_FOUND.
func (e *Engine) GetJob(ctx context.Context, p Principal, id string) (*Job, error) {
	var job jobRecord
	ok, err := e.store.get(keyJob(id), &job)
	if err != nil {
		return nil, err
	}
	if !ok || job.OrgID != p.OrgID {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "%s has no job %s", p.OrgID, id)
	}
	bs, err := e.batches(id)
	if err != nil {
		return nil, err
	}
	e.countJob(&job.Job, bs)
	return &job.Job, nil
}

// ListJobs returns a page of p's organisation's jobs, newest first, without their batches.
func (e *Engine) ListJobs(ctx context.Context, p Principal, pageSize int, pageToken string) (*Page[Job], error) {
	out := &Page[Job]{Items: []Job{}}
	next, err := e.store.scan(prefixOrgJobs(p.OrgID), pageToken, pageSizeOf(pageSize), func(k string, _ []byte) (bool, error) {
		j, err := e.GetJob(ctx, p, idFromIndexKey(k))
		if err != nil {
			return false, err
		}
		j.Batches, j.Template = nil, nil
		out.Items = append(out.Items, *j)
		return true, nil
	})
	out.NextPageToken = next
	return out, err
}

// JobRows returns a page of a job's row results in row order. Errors: NOT_FOUND, INVALID.
func (e *Engine) JobRows(ctx context.Context, p Principal, id string, q RowQuery) (*Page[RowResult], error) {
	job, err := e.GetJob(ctx, p, id)
	if err != nil {
		return nil, err
	}
	switch q.State {
	case "", RowIssued, RowInvalid, RowFailed, RowPending:
	default:
		return nil, invalidField("state", "must be issued, invalid, failed or pending")
	}
	bs, err := e.batches(id)
	if err != nil {
		return nil, err
	}
	out := &Page[RowResult]{Items: []RowResult{}}
	next, err := e.store.scan(prefixRows(id), q.PageToken, pageSizeOf(q.PageSize), func(_ string, v []byte) (bool, error) {
		var r rowRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return false, fmt.Errorf("issuance: decode row: %w", err)
		}
		res := RowResult{Row: r.Row, LearnerID: r.Learner, CredentialID: r.Cred}
		switch {
		case len(r.Errors) > 0:
			res.State = RowInvalid
			for _, re := range r.Errors {
				res.Errors = append(res.Errors, FieldError{Field: re.Field(job.Format), Message: re.Message})
			}
		default:
			res.State = RowPending
			if job.State == JobFailed {
				res.State = RowFailed
			}
			for _, b := range bs {
				if r.Row < b.FirstRow || r.Row > b.LastRow {
					continue
				}
				n := b.Number
				res.Batch, res.BatchRoot = &n, b.Root
				switch b.State {
				case batchAnchored:
					res.State = RowIssued
				case batchFailed:
					res.State = RowFailed
					res.Errors = []FieldError{{Field: RowError{Row: r.Row}.Field(job.Format), Message: b.Error}}
				default:
					res.State = RowPending
				}
			}
		}
		if q.State != "" && res.State != q.State {
			return false, nil
		}
		out.Items = append(out.Items, res)
		return true, nil
	})
	out.NextPageToken = next
	return out, err
}

// ExportJob streams every anchored credential of a job, in row order, to fn. Errors: NOT_FOUND,
// and fn's.
func (e *Engine) ExportJob(ctx context.Context, p Principal, id string, fn func(*ExportedCredential) error) error {
	if _, err := e.GetJob(ctx, p, id); err != nil {
		return err
	}
	bs, err := e.batches(id)
	if err != nil {
		return err
	}
	for _, b := range bs {
		if b.State != batchAnchored {
			continue
		}
		ms, err := e.members(b)
		if err != nil {
			return err
		}
		if err := e.exportBatch(ctx, b, ms, fn); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) exportBatch(ctx context.Context, b *batchRecord, ms []member, fn func(*ExportedCredential) error) error {
	f, err := e.segs.open(b.Seg)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), credential.DefaultMaxBytes+1)
	for _, m := range ms {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !sc.Scan() {
			return fmt.Errorf("issuance: segment %s ends before row %d: %v", b.Seg, m.row, sc.Err())
		}
		if err := fn(&ExportedCredential{Row: m.row, LearnerID: m.learner, CredentialID: m.cred, Digest: m.digest, BatchRoot: b.Root,
			VerificationLink: verifier.Link(e.cfg.VerifierURL, m.cred, m.digest, b.Root), Credential: json.RawMessage(slices.Clone(sc.Bytes()))}); err != nil {
			return err
		}
	}
	return nil
}
