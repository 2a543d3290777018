// Package httpapi is the HTTP plumbing EduLedger's services share: a chi router with the standard
// middleware stack (request ID, client IP, access log, panic recovery, timeout, body limit, metrics,
// security headers), strict JSON decoding that turns every malformed body into a 4xx problem,
// health and readiness endpoints, and a server that shuts down gracefully.
//
// Handlers built on it decode, validate, call the domain and render; they never read configuration.
package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/internal/problem"
)

// DecodeJSON reads exactly one JSON value from r's body into v. Unknown fields, trailing data, a
// wrong content type and a body over the limit set by the BodyLimit middleware are refused with an
// error carrying a problem code (INVALID, UNSUPPORTED_MEDIA_TYPE, TOO_LARGE) and a message that says
// where the body is wrong.
func DecodeJSON(r *http.Request, v any) error {
	if err := RequireJSON(r); err != nil {
		return err
	}
	return DecodeJSONFrom(r.Body, v)
}

// RequireJSON refuses a request whose Content-Type is not JSON (application/json or any +json type).
func RequireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return &problem.Error{Code: problem.CodeUnsupportedMediaType,
			Detail: fmt.Sprintf("the body must be JSON (Content-Type: application/json), not %q", ct)}
	}
	return nil
}

// DecodeJSONFrom is DecodeJSON for a body already checked for its type (for example one part of a
// multipart upload).
func DecodeJSONFrom(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return jsonError(err)
		}
		return eduledger.Errorf(eduledger.EINVALID, "the body must hold a single JSON value; found more after it")
	}
	return nil
}

func jsonError(err error) error {
	var (
		syntax    *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		tooLarge  *http.MaxBytesError
		invalidUT *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &tooLarge):
		return &problem.Error{Code: problem.CodeTooLarge,
			Detail: fmt.Sprintf("the body is larger than the %d bytes this endpoint accepts", tooLarge.Limit)}
	case errors.Is(err, io.EOF):
		return eduledger.Errorf(eduledger.EINVALID, "the body is empty; a JSON document is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return eduledger.Errorf(eduledger.EINVALID, "the JSON body ends too early")
	case errors.As(err, &syntax):
		return eduledger.Errorf(eduledger.EINVALID, "malformed JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return eduledger.Errorf(eduledger.EINVALID, "the body must be %s, not %s", kindOf(typeErr.Type.Kind().String()), typeErr.Value)
		}
		return eduledger.Errorf(eduledger.EINVALID, "field %q must be %s, not %s", field, kindOf(typeErr.Type.Kind().String()), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return eduledger.Errorf(eduledger.EINVALID, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.As(err, &invalidUT):
		return fmt.Errorf("httpapi: decode into %v: %w", invalidUT.Type, err) // a programming error: 500
	}
	return eduledger.Errorf(eduledger.EINVALID, "the JSON body cannot be read: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func kindOf(k string) string {
	switch k {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	}
	return "a " + k
}

// WriteJSON renders v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// newRequestID returns 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
