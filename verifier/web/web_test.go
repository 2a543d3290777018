package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/eduledger/eduledger/verifier/web"
)

func TestLanguageFollowsTheBrowsersPreference(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", "zh-CN"},
		{"zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"},
		{"en-US,en;q=0.9", "en"},
		{"en-GB;q=0.7,zh-TW;q=0.8", "zh-CN"},
		{"fr-FR,de;q=0.9", "zh-CN"},
		{"fr-FR,en;q=0.5", "en"},
		{"en;q=0", "zh-CN"},
		{"en;q=abc,zh;q=0.1", "zh-CN"},
		{strings.Repeat("xx,", 10000) + "en", "zh-CN"},
	} {
		t.Run("Accept-Language "+tc.header[:min(len(tc.header), 40)], func(t *testing.T) {
			if got := web.Language(tc.header); got != tc.want {
				t.Fatalf("Language(%q) = %s, want %s", tc.header, got, tc.want)
			}
		})
	}
}

func get(t testing.TB, h http.Handler, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestThePageIsServedInTheReadersLanguageWithoutOutsideResources(t *testing.T) {
	p, err := web.New(web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, accept, lang string }{
		{"/", "en-US", `<html lang="en">`},
		{"/", "zh-CN", `<html lang="zh-CN">`},
		{"/v?id=urn:uuid:x", "", `<html lang="zh-CN">`},
	} {
		resp := get(t, p, tc.path, "Accept-Language", tc.accept)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(body), tc.lang) || resp.Header.Get("Content-Security-Policy") != web.ContentSecurityPolicy {
			t.Fatalf("GET %s (%s) = %d, headers %v", tc.path, tc.accept, resp.StatusCode, resp.Header)
		}
	}
	// Nothing may come from elsewhere: no absolute URLs in what the page loads, and a policy that
	// would block them anyway.
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|@import|url\(\s*["']?(https?:)?//|fetch\(\s*["']https?:`)
	for _, path := range []string{"/", "/assets/app.js", "/assets/style.css", "/assets/favicon.svg"} {
		resp := get(t, p, path)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		if m := external.Find(body); m != nil {
			t.Fatalf("%s refers to an outside resource: %s", path, m)
		}
	}
	for _, d := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(web.ContentSecurityPolicy, d) {
			t.Fatalf("the policy lacks %s", d)
		}
	}
}

func TestAssetsRevalidateAndUnknownOnesAreMissing(t *testing.T) {
	p, _ := web.New(web.Options{})
	resp := get(t, p, "/assets/app.js")
	etag := resp.Header.Get("ETag")
	if etag == "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("app.js headers %v", resp.Header)
	}
	if resp := get(t, p, "/assets/app.js", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("a revalidation = %d", resp.StatusCode)
	}
	for _, path := range []string{"/assets/nothing.js", "/assets/index.html", "/assets/../web.go"} {
		if resp := get(t, p, path); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST / = %d", rec.Code)
	}
}

func FuzzLanguage(f *testing.F) {
	for _, s := range []string{"", "zh-CN,en;q=0.5", "en;q=1.5", ";;;,", "en;q=NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if l := web.Language(header); l != "en" && l != "zh-CN" {
			t.Fatalf("Language(%q) = %q", header, l)
		}
	})
}
