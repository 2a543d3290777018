package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/internal/problem"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/verifier"
	"github.com/eduledger/eduledger/verifier/api"
	"github.com/eduledger/eduledger/verifier/loadtest"
	"github.com/eduledger/eduledger/verifier/verifiertest"
)

var net *verifiertest.Network

func TestMain(m *testing.M) {
	if os.Getenv(loadgenEnv) != "" {
		os.Exit(loadtest.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	dir, err := os.MkdirTemp("", "verifier-api-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	net, err = verifiertest.Open(context.Background(), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	net.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// service is a verifier service on loopback, following the shared network's events.
type service struct {
	*httptest.Server
	srv *api.Server
}

func serve(t testing.TB, change func(*api.Config), deps ...func(*api.Deps)) *service {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.RateLimit = api.RateLimit{PerSecond: 1000, Burst: 1000}
	if change != nil {
		change(&cfg)
	}
	d := api.Deps{Reader: net.Reader, Head: net.Head}
	for _, f := range deps {
		f(&d)
	}
	srv, err := api.New(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		cancel()
		<-done
		srv.Close()
	})
	return &service{Server: ts, srv: srv}
}

// call sends a request and decodes a JSON answer into out (a problem into p).
func (s *service) call(t testing.TB, method, path, ctype string, body io.Reader, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func decode[T any](t testing.TB, b []byte) *T {
	t.Helper()
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %T: %v in %s", v, err, b)
	}
	return v
}

func upload(t testing.TB, field, name string, content []byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(content)
	w.Close()
	return w.FormDataContentType(), &buf
}

func tamper(t testing.TB, vc []byte) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(vc, &doc); err != nil {
		t.Fatal(err)
	}
	doc["credentialSubject"].(map[string]any)["creditsEarned"] = 240
	b, _ := json.Marshal(doc)
	return b
}

func TestVerifyAnswersHoweverTheDocumentArrives(t *testing.T) {
	s := serve(t, nil)
	is := net.Issuer(t, devnet.Riverside)
	l := is.Learner(t)
	vc := is.Issue(t, is.Diploma(l.ID)).JSON
	bad := tamper(t, vc)
	for _, tc := range []struct {
		name    string
		ctype   string
		body    func() (string, io.Reader)
		verdict verifier.Verdict
	}{
		{"as JSON", "application/json", func() (string, io.Reader) { return "application/json", bytes.NewReader(vc) }, verifier.Verified},
		{"as application/vc+json", "", func() (string, io.Reader) { return "application/vc+json; charset=utf-8", bytes.NewReader(vc) }, verifier.Verified},
		{"as an uploaded file", "", func() (string, io.Reader) { return upload(t, "file", "diploma.json", vc) }, verifier.Verified},
		{"a tampered credential as JSON", "", func() (string, io.Reader) { return "application/json", bytes.NewReader(bad) }, verifier.NotVerified},
		{"a tampered credential uploaded", "", func() (string, io.Reader) { return upload(t, "credential", "x.json", bad) }, verifier.NotVerified},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, body := tc.body()
			resp, b := s.call(t, http.MethodPost, "/v1/verify", ct, body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			r := decode[verifier.Result](t, b)
			if r.Verdict != tc.verdict || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("verdict %s, Cache-Control %q: %s", r.Verdict, resp.Header.Get("Cache-Control"), b)
			}
		})
	}
}

func TestBadInputIsAProblemNeverA5xx(t *testing.T) {
	s := serve(t, func(c *api.Config) { c.MaxBodyBytes = 2 << 20 })
	is := net.Issuer(t, devnet.Riverside)
	l := is.Learner(t)
	vc := is.Issue(t, is.Diploma(l.ID)).JSON
	twoFiles := func() (string, io.Reader) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for _, n := range []string{"file", "credential"} {
			p, _ := w.CreateFormFile(n, n+".json")
			p.Write(vc)
		}
		w.Close()
		return w.FormDataContentType(), &buf
	}
	emptyForm := func() (string, io.Reader) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		w.Close()
		return w.FormDataContentType(), &buf
	}
	fixed := func(ct, body string) func() (string, io.Reader) {
		return func() (string, io.Reader) { return ct, strings.NewReader(body) }
	}
	huge := `{"type":["VerifiableCredential"],"x":"` + strings.Repeat("a", 3<<20) + `"}`
	for _, tc := range []struct {
		name, method, path string
		body               func() (string, io.Reader)
		status             int
		code               string
	}{
		{"an oversized body", "POST", "/v1/verify", fixed("application/json", huge), 413, problem.CodeTooLarge},
		{"an oversized upload", "POST", "/v1/verify", func() (string, io.Reader) { return upload(t, "file", "big.json", []byte(huge)) }, 413, problem.CodeTooLarge},
		{"a credential over 1 MiB", "POST", "/v1/verify", fixed("application/json", huge[:1<<20+100]+`"}`), 400, eduledger.EINVALID},
		{"malformed JSON", "POST", "/v1/verify", fixed("application/json", `{"type": [`), 400, eduledger.EINVALID},
		{"a JSON array", "POST", "/v1/verify", fixed("application/json", `[1]`), 400, eduledger.EINVALID},
		{"a type of the wrong kind", "POST", "/v1/verify", fixed("application/json", `{"type": 5}`), 400, eduledger.EINVALID},
		{"duplicate keys", "POST", "/v1/verify", fixed("application/json", `{"type":["VerifiableCredential"],"type":[]}`), 400, eduledger.EINVALID},
		{"binary junk", "POST", "/v1/verify", fixed("application/json", "\x89PNG\r\n\x1a\n\x00\x00"), 400, eduledger.EINVALID},
		{"invalid UTF-8", "POST", "/v1/verify", fixed("application/json", "{\"type\":\"\xff\"}"), 400, eduledger.EINVALID},
		{"an empty body", "POST", "/v1/verify", fixed("application/json", ""), 400, eduledger.EINVALID},
		{"no content type", "POST", "/v1/verify", fixed("", string(vc)), 415, problem.CodeUnsupportedMediaType},
		{"plain text", "POST", "/v1/verify", fixed("text/plain", string(vc)), 415, problem.CodeUnsupportedMediaType},
		{"a form without a boundary", "POST", "/v1/verify", fixed("multipart/form-data", "x"), 400, eduledger.EINVALID},
		{"a broken form", "POST", "/v1/verify", fixed("multipart/form-data; boundary=zz", "--zz\r\nnot a header\r\n"), 400, eduledger.EINVALID},
		{"an empty form", "POST", "/v1/verify", emptyForm, 400, eduledger.EINVALID},
		{"a form with two documents", "POST", "/v1/verify", twoFiles, 400, eduledger.EINVALID},
		{"a form field of another name", "POST", "/v1/verify", func() (string, io.Reader) { return upload(t, "photo", "x.json", vc) }, 400, eduledger.EINVALID},
		{"an unknown query parameter", "POST", "/v1/verify?mode=fast", fixed("application/json", string(vc)), 400, eduledger.EINVALID},
		{"a GET of the verify endpoint", "GET", "/v1/verify", fixed("", ""), 405, problem.CodeMethodNotAllowed},
		{"an unknown endpoint", "GET", "/v1/nothing", fixed("", ""), 404, eduledger.ENOTFOUND},
		{"a status without /status", "GET", "/v1/credentials/urn:uuid:x", fixed("", ""), 404, eduledger.ENOTFOUND},
		{"a malformed credential ID", "GET", "/v1/credentials/a%20b/status", fixed("", ""), 400, eduledger.EINVALID},
		{"a malformed batch root", "GET", "/v1/credentials/urn:uuid:x/status?batchRoot=xyz", fixed("", ""), 400, eduledger.EINVALID},
		{"a repeated parameter", "GET", "/v1/issuers?pageSize=1&pageSize=2", fixed("", ""), 400, eduledger.EINVALID},
		{"a lookup without a link", "GET", "/v1/lookup", fixed("", ""), 400, eduledger.EINVALID},
		{"a lookup with q and the link's parameters", "GET", "/v1/lookup?q=x&id=y", fixed("", ""), 400, eduledger.EINVALID},
		{"a lookup of garbage", "GET", "/v1/lookup?q=%25zz", fixed("", ""), 400, eduledger.EINVALID},
		{"a page size that is no number", "GET", "/v1/issuers?pageSize=ten", fixed("", ""), 400, eduledger.EINVALID},
		{"a page size out of range", "GET", "/v1/issuers?pageSize=0", fixed("", ""), 400, eduledger.EINVALID},
		{"a malformed issuer ID", "GET", "/v1/issuers/Not_An_ID", fixed("", ""), 400, eduledger.EINVALID},
		{"an unknown issuer", "GET", "/v1/issuers/no-such-school", fixed("", ""), 404, eduledger.ENOTFOUND},
		{"an unknown credential", "GET", "/v1/credentials/urn:uuid:nothing-here/status", fixed("", ""), 404, eduledger.ENOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, body := tc.body()
			resp, b := s.call(t, tc.method, tc.path, ct, body)
			if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), problem.ContentType) {
				t.Fatalf("status %d (%s): %s; want %d problem", resp.StatusCode, resp.Header.Get("Content-Type"), b, tc.status)
			}
			p := decode[problem.Details](t, b)
			if p.Code != tc.code || p.Detail == "" || p.RequestID == "" {
				t.Fatalf("problem %+v; want code %s with a detail and a request ID", p, tc.code)
			}
		})
	}
}

func TestStatusLookupAndIssuersOverHTTP(t *testing.T) {
	s := serve(t, nil)
	is := net.Issuer(t, devnet.Riverside)
	l := is.Learner(t)
	d := is.Issue(t, is.Diploma(l.ID))
	batch := is.IssueBatch(t, []*credential.Credential{is.Diploma(l.ID)})

	resp, b := s.call(t, "GET", "/v1/credentials/"+url.PathEscape(d.ID)+"/status", "", nil)
	if r := decode[verifier.StatusReport](t, b); resp.StatusCode != 200 || r.Verdict != verifier.Verified || r.Record.ID != d.ID {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	resp, b = s.call(t, "GET", "/v1/credentials/"+url.PathEscape(batch.ID(0))+"/status?batchRoot="+batch.Root(), "", nil)
	if r := decode[verifier.StatusReport](t, b); resp.StatusCode != 200 || r.Record.BatchRoot != batch.Root() {
		t.Fatalf("batch member status %d: %s", resp.StatusCode, b)
	}
	resp, b = s.call(t, "GET", "/v1/credentials/"+url.PathEscape(d.ID)+"/status?batchRoot="+batch.Root(), "", nil)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("a credential named with another batch: %d %s", resp.StatusCode, b)
	}
	// The ledger allows "/" in credential IDs; escaped, it reaches the ledger as part of the ID.
	resp, b = s.call(t, "GET", "/v1/credentials/"+url.PathEscape("urn:example:a/b")+"/status", "", nil)
	if p := decode[problem.Details](t, b); resp.StatusCode != 404 || !strings.Contains(p.Detail, "urn:example:a/b") {
		t.Fatalf("an ID with a slash: %d %s", resp.StatusCode, b)
	}

	link := verifier.Link(s.URL, d.ID, d.Digest, "")
	for _, path := range []string{"/v1/lookup?q=" + url.QueryEscape(link), "/v1/lookup" + link[strings.Index(link, "?"):]} {
		resp, b = s.call(t, "GET", path, "", nil)
		if r := decode[verifier.LinkReport](t, b); resp.StatusCode != 200 || r.Verdict != verifier.Verified || r.Target.Digest != d.Digest {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
	}

	resp, b = s.call(t, "GET", "/v1/issuers?pageSize=3", "", nil)
	if p := decode[eduledger.Page[verifier.IssuerSummary]](t, b); resp.StatusCode != 200 || len(p.Items) != 3 || p.Bookmark == "" {
		t.Fatalf("issuers: %d %s", resp.StatusCode, b)
	}
	resp, b = s.call(t, "GET", "/v1/issuers/"+devnet.Riverside, "", nil)
	if d := decode[verifier.IssuerDetails](t, b); resp.StatusCode != 200 || d.Name.Zh != "滨江大学" || len(d.Keys) == 0 || len(d.Accreditations) == 0 {
		t.Fatalf("issuer: %d %s", resp.StatusCode, b)
	}
	if strings.Contains(string(b), "mspId") || strings.Contains(string(b), "nationalId") {
		t.Fatalf("the public issuer page shows more than public facts: %s", b)
	}
}

func TestAPresentationOverHTTP(t *testing.T) {
	s := serve(t, func(c *api.Config) { c.PublicURL = "https://verify.example.edu.cn" })
	is := net.Issuer(t, devnet.Riverside)
	l := is.Learner(t)
	card := is.Issue(t, is.IdentityCard(l)).JSON
	diploma := is.Issue(t, is.Diploma(l.ID)).JSON

	resp, b := s.call(t, "GET", "/v1/challenge", "", nil)
	c := decode[verifier.Challenge](t, b)
	if resp.StatusCode != 200 || c.Domain != "verify.example.edu.cn" || c.Challenge == "" || !c.ExpiresAt.After(time.Now()) {
		t.Fatalf("challenge %d: %s", resp.StatusCode, b)
	}
	vp := verifiertest.Present(t, l, c.Challenge, c.Domain, card, diploma)
	for i, want := range []verifier.Verdict{verifier.Verified, verifier.NotVerified} { // the second time is a replay
		resp, b = s.call(t, "POST", "/v1/verify", "application/vp+json", bytes.NewReader(vp))
		r := decode[verifier.Result](t, b)
		if resp.StatusCode != 200 || r.Kind != verifier.KindPresentation || r.Verdict != want || len(r.Credentials) != 2 {
			t.Fatalf("presentation, attempt %d: %d %s", i+1, resp.StatusCode, b)
		}
	}
}

func TestRateLimitsApplyPerClient(t *testing.T) {
	s := serve(t, func(c *api.Config) {
		c.RateLimit = api.RateLimit{PerSecond: 0.5, Burst: 3}
		c.TrustedProxies = []string{"127.0.0.1"}
	})
	for i := range 3 {
		if resp, b := s.call(t, "GET", "/v1/challenge", "", nil); resp.StatusCode != 200 {
			t.Fatalf("request %d within the burst: %d %s", i+1, resp.StatusCode, b)
		}
	}
	resp, b := s.call(t, "GET", "/v1/challenge", "", nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "2" || decode[problem.Details](t, b).Code != problem.CodeRateLimited {
		t.Fatalf("over the limit: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	if resp, b := s.call(t, "GET", "/v1/challenge", "", nil, "X-Forwarded-For", "203.0.113.9"); resp.StatusCode != 200 {
		t.Fatalf("another client behind the trusted proxy: %d %s", resp.StatusCode, b)
	}
	if resp, _ := s.call(t, "GET", "/healthz", "", nil); resp.StatusCode != 200 {
		t.Fatalf("health checks must not be rate limited: %d", resp.StatusCode)
	}
}

func TestCORSLetsOtherOriginsCallTheAPI(t *testing.T) {
	t.Run("any origin by default", func(t *testing.T) {
		s := serve(t, nil)
		resp, _ := s.call(t, "OPTIONS", "/v1/verify", "", nil, "Origin", "https://hr.example.com",
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
		h := resp.Header
		if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
			h.Get("Access-Control-Allow-Headers") != "Content-Type" {
			t.Fatalf("preflight %d %v", resp.StatusCode, h)
		}
		resp, _ = s.call(t, "GET", "/v1/challenge", "", nil, "Origin", "https://hr.example.com")
		if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("simple request: %v", resp.Header)
		}
	})
	t.Run("only the listed origins when configured", func(t *testing.T) {
		s := serve(t, func(c *api.Config) { c.CORSOrigins = []string{"https://hr.example.com"} })
		resp, _ := s.call(t, "GET", "/v1/challenge", "", nil, "Origin", "https://hr.example.com")
		if resp.Header.Get("Access-Control-Allow-Origin") != "https://hr.example.com" || !strings.Contains(resp.Header.Get("Vary"), "Origin") {
			t.Fatalf("listed origin: %v", resp.Header)
		}
		resp, _ = s.call(t, "GET", "/v1/challenge", "", nil, "Origin", "https://evil.example")
		if resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("an unlisted origin was allowed: %v", resp.Header)
		}
	})
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	flaky := verifiertest.NewFlaky(net.Reader)
	s := serve(t, nil, func(d *api.Deps) { d.Reader = flaky })
	is := net.Issuer(t, devnet.Riverside)
	l := is.Learner(t)
	vc := is.Issue(t, is.Diploma(l.ID)).JSON
	s.call(t, "POST", "/v1/verify", "application/json", bytes.NewReader(vc))
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		if resp, b := s.call(t, "GET", path, "", nil); resp.StatusCode != want {
			t.Fatalf("%s = %d %s", path, resp.StatusCode, b)
		}
	}
	_, b := s.call(t, "GET", "/metrics", "", nil)
	for _, m := range []string{`eduledger_verifier_verifications_total{kind="credential",verdict="verified"}`,
		`eduledger_http_requests_total{method="POST",route="/v1/verify",service="verifier",status="200"}`, "eduledger_verifier_cache_lookups_total"} {
		if !strings.Contains(string(b), m) {
			t.Fatalf("metrics lack %s", m)
		}
	}
	flaky.SetDown(true)
	if resp, b := s.call(t, "GET", "/readyz", "", nil); resp.StatusCode != 503 {
		t.Fatalf("/readyz with the ledger cut = %d %s", resp.StatusCode, b)
	}
	if resp, _ := s.call(t, "GET", "/healthz", "", nil); resp.StatusCode != 200 {
		t.Fatalf("/healthz must not depend on the ledger: %d", resp.StatusCode)
	}
}

func TestConfigRefusesWhatCannotWork(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*api.Config)
	}{
		{"a relative public URL", func(c *api.Config) { c.PublicURL = "/verify" }},
		{"a public URL with a query", func(c *api.Config) { c.PublicURL = "https://v.example?x=1" }},
		{"a body limit under a credential's size", func(c *api.Config) { c.MaxBodyBytes = 1000 }},
		{"no rate", func(c *api.Config) { c.RateLimit.PerSecond = 0 }},
		{"no origin", func(c *api.Config) { c.CORSOrigins = nil }},
		{"a proxy that is no address", func(c *api.Config) { c.TrustedProxies = []string{"gateway"} }},
		{"an unsynced TTL over the synced one", func(c *api.Config) { c.Cache.UnsyncedTTL = time.Hour }},
		{"a challenge lifetime of a day", func(c *api.Config) { c.ChallengeLifetime = 24 * time.Hour }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := api.DefaultConfig()
			tc.change(&cfg)
			if _, err := api.New(cfg, api.Deps{Reader: net.Reader}); eduledger.ErrorCode(err) != eduledger.EINVALID {
				t.Fatalf("New = %v, want INVALID", err)
			}
		})
	}
	if _, err := api.New(api.DefaultConfig(), api.Deps{}); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Fatalf("New without a reader = %v", err)
	}
}
