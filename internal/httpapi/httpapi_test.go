package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/internal/problem"
)

type learnerReq struct {
	ID    string   `json:"id"`
	Roles []string `json:"roles"`
	Year  int      `json:"year"`
}

func testRouter(t testing.TB, ready map[string]Check) http.Handler {
	t.Helper()
	r, err := NewRouter(Options{Service: "test", Logger: slog.New(slog.DiscardHandler),
		Registry: prometheus.NewRegistry(), MaxBodyBytes: 256, RequestTimeout: time.Second,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, Ready: ready})
	if err != nil {
		t.Fatal(err)
	}
	r.Post("/learners", func(w http.ResponseWriter, r *http.Request) {
		var req learnerReq
		if err := DecodeJSON(r, &req); err != nil {
			Error(w, r, nil, err)
			return
		}
		WriteJSON(w, http.StatusCreated, req)
	})
	r.Get("/panic", func(http.ResponseWriter, *http.Request) { panic("secret internal state") })
	r.Get("/ip", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, ClientIP(r).String()) })
	return r
}

func do(h http.Handler, method, path, ctype, body string) (*httptest.ResponseRecorder, problem.Details) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var d problem.Details
	if strings.HasPrefix(rec.Header().Get("Content-Type"), problem.ContentType) {
		_ = json.Unmarshal(rec.Body.Bytes(), &d)
	}
	return rec, d
}

func TestBadBodiesGetASpecificProblemNeverA5xx(t *testing.T) {
	h := testRouter(t, nil)
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		code, mentions    string
	}{
		{"a valid body is accepted", "application/json", `{"id":"L1","roles":["STUDENT"],"year":2024}`, 201, "", ""},
		{"malformed JSON names the byte", "application/json", `{"id": "L1",`, 400, eduledger.EINVALID, "ends too early"},
		{"a syntax error names the byte", "application/json", `{"id" "L1"}`, 400, eduledger.EINVALID, "at byte"},
		{"a wrong type names the field", "application/json", `{"year":"2024"}`, 400, eduledger.EINVALID, `"year" must be an integer`},
		{"a wrong nested type names the field", "application/json", `{"roles":"STUDENT"}`, 400, eduledger.EINVALID, `"roles" must be an array`},
		{"an unknown field is named", "application/json", `{"id":"L1","nationalId":"x"}`, 400, eduledger.EINVALID, `unknown field "nationalId"`},
		{"trailing data is refused", "application/json", `{"id":"L1"} {"id":"L2"}`, 400, eduledger.EINVALID, "single JSON value"},
		{"an empty body is refused", "application/json", ``, 400, eduledger.EINVALID, "empty"},
		{"an array instead of an object", "application/json", `[1,2]`, 400, eduledger.EINVALID, "the body must be an object, not array"},
		{"binary junk", "application/json", "\x00\xff\xfe\x01", 400, eduledger.EINVALID, "malformed JSON"},
		{"an oversized body", "application/json", `{"id":"` + strings.Repeat("x", 400) + `"}`, 413, problem.CodeTooLarge, "256 bytes"},
		{"a form post", "application/x-www-form-urlencoded", `id=L1`, 415, problem.CodeUnsupportedMediaType, "must be JSON"},
		{"no content type", "", `{"id":"L1"}`, 415, problem.CodeUnsupportedMediaType, "must be JSON"},
		{"a +json type is JSON", "application/merge-patch+json", `{"id":"L1"}`, 201, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, d := do(h, http.MethodPost, "/learners", tc.ctype, tc.body)
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.status, rec.Body)
			}
			if tc.code == "" {
				return
			}
			if d.Code != tc.code || d.Status != tc.status || d.Type != problem.TypeURI(tc.code) {
				t.Fatalf("problem = %+v, want code %s", d, tc.code)
			}
			if !strings.Contains(d.Detail, tc.mentions) {
				t.Errorf("detail %q does not mention %q", d.Detail, tc.mentions)
			}
			if d.RequestID == "" || d.RequestID != rec.Header().Get("X-Request-Id") {
				t.Errorf("problem request ID %q does not match the header %q", d.RequestID, rec.Header().Get("X-Request-Id"))
			}
		})
	}
}

func TestAPanicIsA500ThatRevealsNothing(t *testing.T) {
	rec, d := do(testRouter(t, nil), http.MethodGet, "/panic", "", "")
	if rec.Code != 500 || d.Code != eduledger.EINTERNAL {
		t.Fatalf("status %d problem %+v", rec.Code, d)
	}
	if strings.Contains(rec.Body.String(), "secret") {
		t.Fatalf("the panic value leaked: %s", rec.Body)
	}
}

func TestUnknownRoutesAndMethodsAreProblems(t *testing.T) {
	h := testRouter(t, nil)
	if rec, d := do(h, http.MethodGet, "/nothing/here", "", ""); rec.Code != 404 || d.Code != eduledger.ENOTFOUND {
		t.Errorf("unknown route: %d %+v", rec.Code, d)
	}
	if rec, d := do(h, http.MethodDelete, "/learners", "", ""); rec.Code != 405 || d.Code != problem.CodeMethodNotAllowed {
		t.Errorf("wrong method: %d %+v", rec.Code, d)
	}
}

func TestForwardedForIsBelievedOnlyFromTrustedProxies(t *testing.T) {
	h := testRouter(t, nil)
	for _, tc := range []struct {
		name, peer, xff, want string
	}{
		{"a direct client is itself", "203.0.113.7:5555", "", "203.0.113.7"},
		{"a direct client cannot spoof", "203.0.113.7:5555", "198.51.100.1", "203.0.113.7"},
		{"a trusted proxy forwards the client", "10.1.2.3:80", "198.51.100.1", "198.51.100.1"},
		{"chained trusted proxies are skipped", "10.1.2.3:80", "198.51.100.1, 10.9.9.9", "198.51.100.1"},
		{"a client-forged left hop is ignored", "10.1.2.3:80", "1.1.1.1, 198.51.100.1", "198.51.100.1"},
		{"garbage from a proxy falls back to the proxy", "10.1.2.3:80", "not-an-ip", "10.1.2.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/ip", nil)
			req.RemoteAddr = tc.peer
			if tc.xff != "" {
				req.Header.Set("X-Forwarded-For", tc.xff)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got := rec.Body.String(); got != tc.want {
				t.Errorf("client IP = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestReadinessReportsEachCheck(t *testing.T) {
	healthy := testRouter(t, map[string]Check{"ledger": func(context.Context) error { return nil }})
	if rec, _ := do(healthy, http.MethodGet, "/readyz", "", ""); rec.Code != 200 {
		t.Fatalf("ready: %d", rec.Code)
	}
	down := testRouter(t, map[string]Check{
		"ledger": func(context.Context) error { return eduledger.Errorf(eduledger.EUNAVAILABLE, "peer unreachable") },
	})
	rec, _ := do(down, http.MethodGet, "/readyz", "", "")
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "peer unreachable") {
		t.Fatalf("not ready: %d %s", rec.Code, rec.Body)
	}
	if rec, _ := do(down, http.MethodGet, "/healthz", "", ""); rec.Code != 200 {
		t.Fatalf("liveness must not depend on readiness: %d", rec.Code)
	}
}

func TestMetricsCountRequestsByRoutePattern(t *testing.T) {
	h := testRouter(t, nil)
	do(h, http.MethodPost, "/learners", "application/json", `{"id":"L1"}`)
	rec, _ := do(h, http.MethodGet, "/metrics", "", "")
	if !strings.Contains(rec.Body.String(), `eduledger_http_requests_total{method="POST",route="/learners",service="test",status="201"} 1`) {
		t.Fatalf("metrics missing the request:\n%s", rec.Body)
	}
}

func TestServeDrainsInFlightRequestsOnShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(200 * time.Millisecond)
		io.WriteString(w, "finished")
	}), slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, srv, ln, slog.New(slog.DiscardHandler), 5*time.Second) }()
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String())
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-started
	cancel()
	if body := <-got; body != "finished" {
		t.Fatalf("in-flight request got %q", body)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v", err)
	}
}

func FuzzDecodeJSONNeverFailsTheServer(f *testing.F) {
	for _, s := range []string{`{"id":"L1","roles":["STUDENT"],"year":1}`, `{`, `[]`, `null`, `{"year":1e400}`, "\x00"} {
		f.Add([]byte(s))
	}
	h := testRouter(f, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/learners", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("body %q gave %d: %s", body, rec.Code, rec.Body)
		}
	})
}
