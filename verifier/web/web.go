// Package web is the verifier service's page for employers: plain HTML, CSS and JavaScript embedded
// in the binary, in Chinese and English (from the browser's Accept-Language, with a toggle), with
// nothing loaded from elsewhere so that it works on an intranet without internet. A clerk pastes,
// uploads or drops a credential, or opens a verification link (/v?id=…&d=…) or QR content, and
// sees the verdict, every check with its reason, the issuer's names from the ledger and the fields
// the credential discloses. The page talks only to the service's own API (/v1/…).
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed assets
var assets embed.FS

// ContentSecurityPolicy allows the page its own scripts, styles and API, and nothing else.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Options configure the page.
type Options struct {
	// PublicURL is where the service is reached (informational; the page uses relative URLs).
	PublicURL string
}

// Page serves the page at "/" and "/v" and its files under "/assets/".
type Page struct {
	index []byte // with the language placeholder
	files map[string]file
}

type file struct {
	body  []byte
	ctype string
	etag  string
}

// New loads the embedded page.
func New(Options) (*Page, error) {
	p := &Page{files: map[string]file{}}
	err := fs.WalkDir(assets, "assets", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		p.files["/"+name] = file{body: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.index = p.files["/assets/index.html"].body
	return p, nil
}

// ServeHTTP serves the page and its assets (GET and HEAD).
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case r.URL.Path == "/" || r.URL.Path == "/v":
		lang := Language(r.Header.Get("Accept-Language"))
		body := bytes.Replace(p.index, []byte("__LANG__"), []byte(lang), 1)
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Language", lang)
		h.Set("Vary", "Accept-Language")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodGet {
			_, _ = w.Write(body)
		}
	default:
		f, ok := p.files[r.URL.Path]
		if !ok || r.URL.Path == "/assets/index.html" {
			http.NotFound(w, r)
			return
		}
		h.Set("Content-Type", f.ctype)
		h.Set("ETag", f.etag)
		h.Set("Cache-Control", "no-cache")
		if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, f.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Length", strconv.Itoa(len(f.body)))
		if r.Method == http.MethodGet {
			_, _ = w.Write(f.body)
		}
	}
}

// Language picks the page's language from an Accept-Language header: "en" when English is
// preferred over Chinese, otherwise "zh-CN" (the default for a header that names neither).
func Language(acceptLanguage string) string {
	best, bestQ := "zh-CN", -1.0
	for i, part := range strings.Split(acceptLanguage, ",") {
		if i >= 32 {
			break
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		tag = strings.ToLower(strings.TrimSpace(tag))
		var lang string
		switch {
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			lang = "zh-CN"
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			lang = "en"
		default:
			continue
		}
		if q > bestQ && q > 0 {
			best, bestQ = lang, q
		}
	}
	return best
}
