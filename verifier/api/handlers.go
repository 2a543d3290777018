package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/internal/httpapi"
	"github.com/eduledger/eduledger/internal/problem"
	"github.com/eduledger/eduledger/verifier"
)

type handlers struct {
	engine  *verifier.Verifier
	log     *slog.Logger
	maxBody int64
	bufs    sync.Pool // *bytes.Buffer for answers
}

// buffer returns an empty buffer from the pool.
func (h *handlers) buffer() *bytes.Buffer {
	buf, _ := h.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	return buf
}

// recycle returns a buffer to the pool, unless a huge body or answer grew it.
func (h *handlers) recycle(buf *bytes.Buffer) {
	if buf.Cap() <= 1<<20 {
		h.bufs.Put(buf)
	}
}

// writeJSON renders v whole before sending it, so that the answer goes out with its length in one
// write rather than chunked.
func (h *handlers) writeJSON(w http.ResponseWriter, v any) {
	buf := h.buffer()
	if r, ok := v.(*verifier.Result); ok {
		// The answer of every verification: rendered without reflection (verifier.Result.AppendJSON
		// writes what encoding/json would).
		buf.Write(append(r.AppendJSON(buf.AvailableBuffer()), '\n'))
	} else {
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			h.log.Error("encode an answer", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	h.recycle(buf)
}

// verify answers POST /v1/verify: a credential or presentation as the JSON body, or uploaded as the
// one file of a multipart form.
func (h *handlers) verify(w http.ResponseWriter, r *http.Request) {
	if err := onlyParams(r); err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	// The body is read into a recycled buffer: the engine keeps nothing of it once it answers.
	body := h.buffer()
	defer h.recycle(body)
	data, err := readDocument(r, body)
	if err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	res, err := h.engine.Verify(r.Context(), data)
	if err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	h.writeJSON(w, res)
}

// documentFields are the form fields a multipart upload may carry the document in.
var documentFields = []string{"file", "credential", "presentation", "document"}

// readDocument reads the document of a verify request. Errors are problems: UNSUPPORTED_MEDIA_TYPE
// for a body of another type, TOO_LARGE past the body limit, INVALID for an empty body or a form
// without exactly one document.
func readDocument(r *http.Request, buf *bytes.Buffer) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	switch {
	case ct == "" || err != nil:
		return nil, &problem.Error{Code: problem.CodeUnsupportedMediaType,
			Detail: "send the credential or presentation as JSON (Content-Type: application/json) or as a file in multipart/form-data"}
	case mt == "multipart/form-data":
		return readUpload(r, params["boundary"])
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return readAll(r.Body, r.ContentLength, buf)
	}
	return nil, &problem.Error{Code: problem.CodeUnsupportedMediaType,
		Detail: fmt.Sprintf("a %s body is not accepted: send JSON (application/json) or multipart/form-data", mt)}
}

func readUpload(r *http.Request, boundary string) ([]byte, error) {
	if boundary == "" {
		return nil, eduledger.Errorf(eduledger.EINVALID, "the multipart/form-data body names no boundary")
	}
	mr := multipart.NewReader(r.Body, boundary)
	var doc []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, bodyError(err, "the multipart body is malformed")
		}
		name := part.FormName()
		if !slices.Contains(documentFields, name) {
			return nil, eduledger.Errorf(eduledger.EINVALID, "unknown form field %.40q: upload the document as the field \"file\"", name)
		}
		if doc != nil {
			return nil, eduledger.Errorf(eduledger.EINVALID, "upload one document per request")
		}
		if doc, err = readAll(part, -1, nil); err != nil {
			return nil, err
		}
	}
	if doc == nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "the form holds no document: upload it as the field \"file\"")
	}
	return doc, nil
}

// readAll reads a body; size, when known (Content-Length, which the body limit has already
// checked), sizes the buffer at once.
func readAll(body io.Reader, size int64, buf *bytes.Buffer) ([]byte, error) {
	var b []byte
	var err error
	if size > 0 {
		if buf != nil {
			buf.Grow(int(size))
			b = buf.AvailableBuffer()[:size]
		} else {
			b = make([]byte, size)
		}
		var n int
		n, err = io.ReadFull(body, b)
		b = b[:n]
		if err == nil {
			// Anything past Content-Length is not part of the body; net/http stops there.
			var one [1]byte
			if m, _ := body.Read(one[:]); m > 0 {
				err = errors.New("body longer than Content-Length")
			}
		}
	} else if buf != nil {
		_, err = buf.ReadFrom(body)
		b = buf.Bytes()
	} else {
		b, err = io.ReadAll(body)
	}
	if err != nil {
		return nil, bodyError(err, "the body could not be read")
	}
	if len(b) == 0 {
		return nil, eduledger.Errorf(eduledger.EINVALID, "the body is empty; send a credential or a presentation")
	}
	return b, nil
}

func bodyError(err error, what string) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &problem.Error{Code: problem.CodeTooLarge, Detail: fmt.Sprintf("the body is larger than the %d bytes this endpoint accepts", tooLarge.Limit)}
	}
	return eduledger.Errorf(eduledger.EINVALID, "%s", what)
}

// challenge answers GET /v1/challenge.
func (h *handlers) challenge(w http.ResponseWriter, r *http.Request) {
	if err := onlyParams(r); err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	c, err := h.engine.NewChallenge()
	if err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	h.writeJSON(w, c)
}

// lookup answers GET /v1/lookup?q=<link, query or card token>; the parameters of a verification
// link itself (id, d, r, card) are accepted as they are, so that /v?… can pass its query on.
func (h *handlers) lookup(w http.ResponseWriter, r *http.Request) {
	if err := onlyParams(r, "q", "id", "d", "r", "card"); err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	q := r.URL.Query()
	link := q.Get("q")
	switch {
	case link != "" && len(q) > 1:
		httpapi.Error(w, r, h.log, eduledger.Errorf(eduledger.EINVALID, "give either q or the link's own parameters, not both"))
		return
	case link == "":
		link = r.URL.RawQuery
	}
	if link == "" {
		httpapi.Error(w, r, h.log, eduledger.Errorf(eduledger.EINVALID, "q is required: a verification link, its query, or an identity card token (EDU1:…)"))
		return
	}
	rep, err := h.engine.Lookup(r.Context(), link)
	if err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	h.writeJSON(w, rep)
}

// status answers GET /v1/credentials/{id}/status[?batchRoot=…]. Credential IDs may hold "/", so
// the ID is read from the escaped path (clients escape "/" in it as %2F).
func (h *handlers) status(w http.ResponseWriter, r *http.Request) {
	if err := onlyParams(r, "batchRoot"); err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/v1/credentials/")
	escaped, ok := strings.CutSuffix(rest, "/status")
	if !ok || escaped == "" {
		httpapi.Error(w, r, h.log, eduledger.Errorf(eduledger.ENOTFOUND, "there is no resource at %s; ask for /v1/credentials/{id}/status", r.URL.Path))
		return
	}
	id, err := url.PathUnescape(escaped)
	if err != nil {
		httpapi.Error(w, r, h.log, eduledger.Errorf(eduledger.EINVALID, "the credential ID in the path is not properly escaped"))
		return
	}
	rep, err := h.engine.Status(r.Context(), id, r.URL.Query().Get("batchRoot"))
	if err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	h.writeJSON(w, rep)
}

// issuers answers GET /v1/issuers?pageSize=&bookmark=.
func (h *handlers) issuers(w http.ResponseWriter, r *http.Request) {
	if err := onlyParams(r, "pageSize", "bookmark"); err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	q := r.URL.Query()
	size := 50
	if s := q.Get("pageSize"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			httpapi.Error(w, r, h.log, eduledger.Errorf(eduledger.EINVALID, "pageSize must be an integer from 1 to %d", eduledger.MaxPageSize))
			return
		}
		size = n
	}
	p, err := h.engine.Issuers(r.Context(), size, q.Get("bookmark"))
	if err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	h.writeJSON(w, p)
}

// issuer answers GET /v1/issuers/{id}.
func (h *handlers) issuer(w http.ResponseWriter, r *http.Request) {
	if err := onlyParams(r); err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	d, err := h.engine.Issuer(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	h.writeJSON(w, d)
}

// onlyParams refuses query parameters the endpoint does not know, and repeated ones: a typo should
// not be silently ignored.
func onlyParams(r *http.Request, allowed ...string) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return eduledger.Errorf(eduledger.EINVALID, "the query string is malformed")
	}
	for k, vs := range q {
		if !slices.Contains(allowed, k) {
			return eduledger.Errorf(eduledger.EINVALID, "unknown query parameter %.40q", k)
		}
		if len(vs) > 1 {
			return eduledger.Errorf(eduledger.EINVALID, "query parameter %q is given more than once", k)
		}
	}
	return nil
}
