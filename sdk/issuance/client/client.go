// Package client is a Go client for the EduLedger issuer service's HTTP API (/v1): what a school's
// own systems, the eduledger command line and the end-to-end tests use to register learners, issue
// credentials one by one or in bulk jobs, manage identity cards, keys and API tokens.
//
// Every error carries the service's stable code (eduledger.ErrorCode): the problem document's
// "code" (INVALID, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, UNAVAILABLE, TOO_LARGE, …), with
// the problem itself, field errors included, as a *Problem in the chain.
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/issuance"
)

// Client talks to one issuer service with one API token. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
	agent string
}

// Option configures a Client.
type Option func(*Client) error

// WithHTTPClient sets the HTTP client (default: one with a 15-minute timeout, long enough for a
// large upload).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error { c.hc = hc; return nil }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) error { c.agent = ua; return nil }
}

// New returns a client of the service at baseURL (e.g. http://127.0.0.1:8080) using token.
// Errors: INVALID for a malformed URL.
func New(baseURL, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, eduledger.Errorf(eduledger.EINVALID, "the issuer service URL %q must be http(s)://host[:port]", baseURL)
	}
	c := &Client{base: u, token: token, hc: &http.Client{Timeout: 15 * time.Minute}, agent: "eduledger-issuer-client/1"}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Problem is an error answer of the service (RFC 9457).
type Problem struct {
	Status    int                   `json:"status"`
	Code      string                `json:"code"`
	Title     string                `json:"title"`
	Detail    string                `json:"detail"`
	RequestID string                `json:"requestId"`
	Errors    []issuance.FieldError `json:"errors"`
}

func (p *Problem) Error() string {
	return fmt.Sprintf("%d %s: %s", p.Status, p.Code, p.Detail)
}

// asError turns a problem into an *eduledger.Error with its code.
func (p *Problem) asError() error {
	msg := p.Detail
	if msg == "" {
		msg = p.Title
	}
	return &eduledger.Error{Code: p.Code, Message: msg, Err: p}
}

// ProblemOf returns the service's problem in err's chain, if any.
func ProblemOf(err error) (*Problem, bool) {
	var p *Problem
	ok := errors.As(err, &p)
	return p, ok
}

func (c *Client) url(path string, q url.Values) string {
	u := *c.base
	u.Path = c.base.Path + path
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// request is one call.
type request struct {
	method, path string
	query        url.Values
	body         io.Reader
	ctype        string
	idem         string
}

func (c *Client) send(ctx context.Context, rq request) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, rq.method, c.url(rq.path, rq.query), rq.body)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "build request: %v", err)
	}
	if rq.ctype != "" {
		req.Header.Set("Content-Type", rq.ctype)
	}
	if rq.idem != "" {
		req.Header.Set("Idempotency-Key", rq.idem)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("User-Agent", c.agent)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, &eduledger.Error{Code: eduledger.EUNAVAILABLE, Message: "the issuer service cannot be reached: " + err.Error(), Err: err}
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		p := &Problem{Status: resp.StatusCode}
		if err := json.Unmarshal(b, p); err != nil || p.Code == "" {
			p.Code = codeOfStatus(resp.StatusCode)
			p.Detail = strings.TrimSpace(string(b))
			if p.Detail == "" {
				p.Detail = resp.Status
			}
		}
		return nil, p.asError()
	}
	return resp, nil
}

func codeOfStatus(s int) string {
	switch s {
	case 400, 422:
		return eduledger.EINVALID
	case 401:
		return eduledger.EUNAUTHORIZED
	case 403:
		return eduledger.EFORBIDDEN
	case 404:
		return eduledger.ENOTFOUND
	case 409:
		return eduledger.ECONFLICT
	case 413:
		return "TOO_LARGE"
	case 502, 503, 504:
		return eduledger.EUNAVAILABLE
	}
	return eduledger.EINTERNAL
}

// call sends a JSON request (in may be nil) and decodes the JSON answer into out (may be nil).
func (c *Client) call(ctx context.Context, method, path string, q url.Values, idem string, in, out any) error {
	rq := request{method: method, path: path, query: q, idem: idem}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return eduledger.Errorf(eduledger.EINVALID, "encode request: %v", err)
		}
		rq.body, rq.ctype = bytes.NewReader(b), "application/json"
	}
	resp, err := c.send(ctx, rq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return &eduledger.Error{Code: eduledger.EUNAVAILABLE, Message: "the issuer service's answer cannot be read", Err: err}
	}
	return nil
}

func (c *Client) bytes(ctx context.Context, path string, q url.Values) ([]byte, error) {
	resp, err := c.send(ctx, request{method: http.MethodGet, path: path, query: q})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &eduledger.Error{Code: eduledger.EUNAVAILABLE, Message: "the download was cut off", Err: err}
	}
	return b, nil
}

func esc(s string) string { return url.PathEscape(s) }

// Me describes the token's principal and organisation.
type Me struct {
	issuance.Principal
	Organization eduledger.Organization `json:"organization"`
}

// Me returns who the token authenticates as.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var out Me
	return &out, c.call(ctx, http.MethodGet, "/v1/me", nil, "", nil, &out)
}

// RegisterLearner registers a learner; idem (optional) makes a retry safe.
func (c *Client) RegisterLearner(ctx context.Context, reg issuance.LearnerRegistration, idem string) (*issuance.Learner, error) {
	var out issuance.Learner
	return &out, c.call(ctx, http.MethodPost, "/v1/learners", nil, idem, reg, &out)
}

// GetLearner returns a learner, with the personal details when personal is set.
func (c *Client) GetLearner(ctx context.Context, id string, personal bool) (*issuance.Learner, error) {
	var q url.Values
	if personal {
		q = url.Values{"personal": {"true"}}
	}
	var out issuance.Learner
	return &out, c.call(ctx, http.MethodGet, "/v1/learners/"+esc(id), q, "", nil, &out)
}

// UpdateLearnerRoles replaces a learner's roles.
func (c *Client) UpdateLearnerRoles(ctx context.Context, id string, roles []eduledger.LearnerRole) (*issuance.Learner, error) {
	var out issuance.Learner
	return &out, c.call(ctx, http.MethodPut, "/v1/learners/"+esc(id)+"/roles", nil, "", map[string]any{"roles": roles}, &out)
}

// UpdateLearnerHolderKeys replaces a learner's holder keys.
func (c *Client) UpdateLearnerHolderKeys(ctx context.Context, id string, keys []string) (*issuance.Learner, error) {
	if keys == nil {
		keys = []string{}
	}
	var out issuance.Learner
	return &out, c.call(ctx, http.MethodPut, "/v1/learners/"+esc(id)+"/holder-keys", nil, "", map[string]any{"holderKeys": keys}, &out)
}

// SuspendLearner suspends a learner.
func (c *Client) SuspendLearner(ctx context.Context, id, reason string) (*issuance.Learner, error) {
	var out issuance.Learner
	return &out, c.call(ctx, http.MethodPost, "/v1/learners/"+esc(id)+"/suspend", nil, "", map[string]string{"reason": reason}, &out)
}

// ReinstateLearner reinstates a suspended learner.
func (c *Client) ReinstateLearner(ctx context.Context, id string) (*issuance.Learner, error) {
	var out issuance.Learner
	return &out, c.call(ctx, http.MethodPost, "/v1/learners/"+esc(id)+"/reinstate", nil, "", nil, &out)
}

// IssueCard issues a learner's first identity card from the token's organisation.
func (c *Client) IssueCard(ctx context.Context, learnerID string, req issuance.CardRequest, idem string) (*issuance.IssuedCredential, error) {
	var out issuance.IssuedCredential
	return &out, c.call(ctx, http.MethodPost, "/v1/learners/"+esc(learnerID)+"/card", nil, idem, req, &out)
}

// ReissueCard issues a new card and revokes the previous one as superseded.
func (c *Client) ReissueCard(ctx context.Context, learnerID string, req issuance.CardRequest, idem string) (*issuance.CardReissue, error) {
	var out issuance.CardReissue
	return &out, c.call(ctx, http.MethodPost, "/v1/learners/"+esc(learnerID)+"/card/reissue", nil, idem, req, &out)
}

// RevokeCard revokes a learner's current card.
func (c *Client) RevokeCard(ctx context.Context, learnerID, reason, note string) (*issuance.IssuedCredential, error) {
	var out issuance.IssuedCredential
	return &out, c.call(ctx, http.MethodPost, "/v1/learners/"+esc(learnerID)+"/card/revoke", nil, "",
		issuance.StatusRequest{Reason: reason, Note: note}, &out)
}

// GetCard returns a learner's current card.
func (c *Client) GetCard(ctx context.Context, learnerID string) (*issuance.IssuedCredential, error) {
	var out issuance.IssuedCredential
	return &out, c.call(ctx, http.MethodGet, "/v1/learners/"+esc(learnerID)+"/card", nil, "", nil, &out)
}

// CardPNG downloads the printable card.
func (c *Client) CardPNG(ctx context.Context, learnerID string) ([]byte, error) {
	return c.bytes(ctx, "/v1/learners/"+esc(learnerID)+"/card.png", nil)
}

// CardQR downloads the card's QR code, scale pixels per module (0: the service's default).
func (c *Client) CardQR(ctx context.Context, learnerID string, scale int) ([]byte, error) {
	return c.bytes(ctx, "/v1/learners/"+esc(learnerID)+"/card/qr.png", scaleQuery(scale))
}

func scaleQuery(scale int) url.Values {
	if scale <= 0 {
		return nil
	}
	return url.Values{"scale": {strconv.Itoa(scale)}}
}

// IssueCredential issues one credential.
func (c *Client) IssueCredential(ctx context.Context, req issuance.CredentialRequest, idem string) (*issuance.IssuedCredential, error) {
	var out issuance.IssuedCredential
	return &out, c.call(ctx, http.MethodPost, "/v1/credentials", nil, idem, req, &out)
}

// GetCredential returns a credential with its signed JSON and live status.
func (c *Client) GetCredential(ctx context.Context, id string) (*issuance.IssuedCredential, error) {
	var out issuance.IssuedCredential
	return &out, c.call(ctx, http.MethodGet, "/v1/credentials/"+esc(id), nil, "", nil, &out)
}

// ListCredentials returns a page of the organisation's credentials.
func (c *Client) ListCredentials(ctx context.Context, q issuance.CredentialQuery) (*issuance.Page[issuance.IssuedCredential], error) {
	v := url.Values{}
	for k, s := range map[string]string{"learnerId": q.LearnerID, "type": string(q.Type), "jobId": q.JobID, "pageToken": q.PageToken} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.PageSize > 0 {
		v.Set("pageSize", strconv.Itoa(q.PageSize))
	}
	var out issuance.Page[issuance.IssuedCredential]
	return &out, c.call(ctx, http.MethodGet, "/v1/credentials", v, "", nil, &out)
}

// CredentialQR downloads a credential's QR code.
func (c *Client) CredentialQR(ctx context.Context, id string, scale int) ([]byte, error) {
	return c.bytes(ctx, "/v1/credentials/"+esc(id)+"/qr.png", scaleQuery(scale))
}

// Suspend suspends a credential for a reason code.
func (c *Client) Suspend(ctx context.Context, id, reason, note string) (*issuance.IssuedCredential, error) {
	return c.status(ctx, id, "suspend", reason, note)
}

// Reinstate makes a suspended credential active again.
func (c *Client) Reinstate(ctx context.Context, id, note string) (*issuance.IssuedCredential, error) {
	return c.status(ctx, id, "reinstate", "", note)
}

// Revoke revokes a credential for a reason code; revocation is final.
func (c *Client) Revoke(ctx context.Context, id, reason, note string) (*issuance.IssuedCredential, error) {
	return c.status(ctx, id, "revoke", reason, note)
}

func (c *Client) status(ctx context.Context, id, action, reason, note string) (*issuance.IssuedCredential, error) {
	var out issuance.IssuedCredential
	return &out, c.call(ctx, http.MethodPost, "/v1/credentials/"+esc(id)+"/"+action, nil, "",
		issuance.StatusRequest{Reason: reason, Note: note}, &out)
}

// CSVJob describes a CSV upload.
type CSVJob struct {
	Type        eduledger.CredentialType
	Template    *issuance.Row
	SkipInvalid bool
	// Charset of the file: "" (UTF-8) or "gb18030".
	Charset string
	// IdempotencyKey makes a retried upload return the first job.
	IdempotencyKey string
}

// CreateCSVJob uploads a CSV file as a bulk job, streaming it.
func (c *Client) CreateCSVJob(ctx context.Context, csv io.Reader, o CSVJob) (*issuance.Job, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="options"`)
			h.Set("Content-Type", "application/json")
			part, err := mw.CreatePart(h)
			if err != nil {
				return err
			}
			if err := json.NewEncoder(part).Encode(map[string]any{"type": o.Type, "template": o.Template, "skipInvalid": o.SkipInvalid}); err != nil {
				return err
			}
			h = textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="file"; filename="upload.csv"`)
			ct := "text/csv"
			if o.Charset != "" {
				ct += "; charset=" + o.Charset
			}
			h.Set("Content-Type", ct)
			if part, err = mw.CreatePart(h); err != nil {
				return err
			}
			if _, err := io.Copy(part, csv); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	resp, err := c.send(ctx, request{method: http.MethodPost, path: "/v1/jobs", body: pr, ctype: mw.FormDataContentType(), idem: o.IdempotencyKey})
	pr.Close()
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out issuance.Job
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, &eduledger.Error{Code: eduledger.EUNAVAILABLE, Message: "the issuer service's answer cannot be read", Err: err}
	}
	return &out, nil
}

// CreateJSONJob uploads a JSON bulk job.
func (c *Client) CreateJSONJob(ctx context.Context, upload issuance.JSONUpload, idem string) (*issuance.Job, error) {
	var out issuance.Job
	return &out, c.call(ctx, http.MethodPost, "/v1/jobs", nil, idem, upload, &out)
}

// GetJob returns a job's progress.
func (c *Client) GetJob(ctx context.Context, id string) (*issuance.Job, error) {
	var out issuance.Job
	return &out, c.call(ctx, http.MethodGet, "/v1/jobs/"+esc(id), nil, "", nil, &out)
}

// WaitJob polls a job every interval until it is completed or failed, calling progress (may be
// nil) after each poll.
func (c *Client) WaitJob(ctx context.Context, id string, interval time.Duration, progress func(*issuance.Job)) (*issuance.Job, error) {
	for {
		j, err := c.GetJob(ctx, id)
		if err != nil && eduledger.ErrorCode(err) != eduledger.EUNAVAILABLE {
			return nil, err
		}
		if err == nil {
			if progress != nil {
				progress(j)
			}
			if j.State == issuance.JobCompleted || j.State == issuance.JobFailed {
				return j, nil
			}
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &eduledger.Error{Code: eduledger.EUNAVAILABLE, Message: "stopped waiting for job " + id, Err: ctx.Err()}
		case <-t.C:
		}
	}
}

// ListJobs returns a page of the organisation's jobs.
func (c *Client) ListJobs(ctx context.Context, pageSize int, pageToken string) (*issuance.Page[issuance.Job], error) {
	v := url.Values{}
	if pageSize > 0 {
		v.Set("pageSize", strconv.Itoa(pageSize))
	}
	if pageToken != "" {
		v.Set("pageToken", pageToken)
	}
	var out issuance.Page[issuance.Job]
	return &out, c.call(ctx, http.MethodGet, "/v1/jobs", v, "", nil, &out)
}

// JobRows returns a page of a job's row results.
func (c *Client) JobRows(ctx context.Context, id string, q issuance.RowQuery) (*issuance.Page[issuance.RowResult], error) {
	v := url.Values{}
	if q.State != "" {
		v.Set("state", q.State)
	}
	if q.PageSize > 0 {
		v.Set("pageSize", strconv.Itoa(q.PageSize))
	}
	if q.PageToken != "" {
		v.Set("pageToken", q.PageToken)
	}
	var out issuance.Page[issuance.RowResult]
	return &out, c.call(ctx, http.MethodGet, "/v1/jobs/"+esc(id)+"/rows", v, "", nil, &out)
}

// ExportJob streams a job's issued credentials to fn, in row order.
func (c *Client) ExportJob(ctx context.Context, id string, fn func(*issuance.ExportedCredential) error) error {
	resp, err := c.send(ctx, request{method: http.MethodGet, path: "/v1/jobs/" + esc(id) + "/credentials"})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 256<<10), 4<<20)
	for sc.Scan() {
		var e issuance.ExportedCredential
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return &eduledger.Error{Code: eduledger.EUNAVAILABLE, Message: "the export cannot be read", Err: err}
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &eduledger.Error{Code: eduledger.EUNAVAILABLE, Message: "the export was cut off", Err: err}
	}
	return nil
}

// ListKeys returns the organisation's keys.
func (c *Client) ListKeys(ctx context.Context) ([]issuance.IssuerKey, error) {
	var out struct {
		Items []issuance.IssuerKey `json:"items"`
	}
	return out.Items, c.call(ctx, http.MethodGet, "/v1/keys", nil, "", nil, &out)
}

// RotateKeys rotates the organisation's keys (both types when types is empty).
func (c *Client) RotateKeys(ctx context.Context, types ...eduledger.KeyType) (*issuance.KeyRotation, error) {
	var out issuance.KeyRotation
	return &out, c.call(ctx, http.MethodPost, "/v1/keys/rotate", nil, "", map[string]any{"types": types}, &out)
}

// RevokeKey revokes a key for compromise from revokedAt (zero: now).
func (c *Client) RevokeKey(ctx context.Context, keyID string, revokedAt time.Time) (*issuance.KeyRevocation, error) {
	var out issuance.KeyRevocation
	body := map[string]any{}
	if !revokedAt.IsZero() {
		body["revokedAt"] = revokedAt.UTC().Format(time.RFC3339)
	}
	return &out, c.call(ctx, http.MethodPost, "/v1/keys/"+esc(keyID)+"/revoke", nil, "", body, &out)
}

// CreateToken creates a token of the caller's organisation (caller: an admin).
func (c *Client) CreateToken(ctx context.Context, name string, role eduledger.StaffRole, expiresAt time.Time) (*issuance.NewToken, error) {
	body := map[string]any{"name": name, "role": role}
	if !expiresAt.IsZero() {
		body["expiresAt"] = expiresAt.UTC().Format(time.RFC3339)
	}
	var out issuance.NewToken
	return &out, c.call(ctx, http.MethodPost, "/v1/tokens", nil, "", body, &out)
}

// ListTokens lists the organisation's tokens.
func (c *Client) ListTokens(ctx context.Context) ([]issuance.Token, error) {
	var out struct {
		Items []issuance.Token `json:"items"`
	}
	return out.Items, c.call(ctx, http.MethodGet, "/v1/tokens", nil, "", nil, &out)
}

// RevokeToken revokes a token.
func (c *Client) RevokeToken(ctx context.Context, id string) (*issuance.Token, error) {
	var out issuance.Token
	return &out, c.call(ctx, http.MethodDelete, "/v1/tokens/"+esc(id), nil, "", nil, &out)
}

// Audit returns a page of the organisation's audit log, newest first (caller: an admin).
func (c *Client) Audit(ctx context.Context, pageSize int, pageToken string) (*issuance.Page[issuance.AuditEntry], error) {
	v := url.Values{}
	if pageSize > 0 {
		v.Set("pageSize", strconv.Itoa(pageSize))
	}
	if pageToken != "" {
		v.Set("pageToken", pageToken)
	}
	var out issuance.Page[issuance.AuditEntry]
	return &out, c.call(ctx, http.MethodGet, "/v1/audit", v, "", nil, &out)
}
