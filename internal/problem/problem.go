// Package problem renders errors at EduLedger's HTTP edge as RFC 9457 problem details
// (application/problem+json) with a stable "code" member, and holds the one map from EduLedger error
// codes to HTTP status codes.
//
// A 5xx problem never carries the underlying error's text: the caller sees a generic message and a
// request ID, the log gets the cause.
package problem

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/eduledger/eduledger"
)

// Codes that exist only at the HTTP edge, beside the domain's codes (eduledger.EINVALID, …).
const (
	// CodeTooLarge means the request body is larger than the endpoint accepts.
	CodeTooLarge = "TOO_LARGE"
	// CodeUnsupportedMediaType means the request body is not of a type the endpoint accepts.
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	// CodeMethodNotAllowed means the resource exists but not with this method.
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	// CodeRateLimited means the client sent too many requests; Retry-After says when to retry.
	CodeRateLimited = "RATE_LIMITED"
	// CodeTimeout means the request took longer than the server allows.
	CodeTimeout = "TIMEOUT"
)

// ContentType is the media type of a problem document.
const ContentType = "application/problem+json"

var statuses = map[string]int{
	eduledger.EINVALID:       http.StatusBadRequest,
	eduledger.EUNAUTHORIZED:  http.StatusUnauthorized,
	eduledger.EFORBIDDEN:     http.StatusForbidden,
	eduledger.ENOTFOUND:      http.StatusNotFound,
	eduledger.ECONFLICT:      http.StatusConflict,
	eduledger.EUNAVAILABLE:   http.StatusServiceUnavailable,
	eduledger.EINTERNAL:      http.StatusInternalServerError,
	CodeTooLarge:             http.StatusRequestEntityTooLarge,
	CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	CodeRateLimited:          http.StatusTooManyRequests,
	CodeTimeout:              http.StatusGatewayTimeout,
}

var titles = map[string]string{
	eduledger.EINVALID:       "The request is not valid",
	eduledger.EUNAUTHORIZED:  "Authentication is required",
	eduledger.EFORBIDDEN:     "This action is not allowed",
	eduledger.ENOTFOUND:      "Not found",
	eduledger.ECONFLICT:      "The request conflicts with the current state",
	eduledger.EUNAVAILABLE:   "The ledger is unavailable",
	eduledger.EINTERNAL:      "Internal error",
	CodeTooLarge:             "The request is too large",
	CodeUnsupportedMediaType: "Unsupported media type",
	CodeMethodNotAllowed:     "Method not allowed",
	CodeRateLimited:          "Too many requests",
	CodeTimeout:              "The request timed out",
}

// Status returns the HTTP status for an error code; unknown codes are 500.
func Status(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// FieldError names one invalid field (or CSV row and column) of a request.
type FieldError struct {
	// Field is a JSON pointer ("/credentialSubject/name") or, for CSV uploads, "row 12, column name".
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Details is an RFC 9457 problem document with EduLedger's extension members.
type Details struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	Code      string       `json:"code"`
	RequestID string       `json:"requestId,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// Error is an error that carries field-level details for the problem document. Wrap one in an
// *eduledger.Error (or return it directly, code INVALID) to list every invalid field at once.
type Error struct {
	Code   string
	Detail string
	Fields []FieldError
}

func (e *Error) Error() string { return e.Code + ": " + e.Detail }

// TypeURI returns the problem type URI of a code: a URN, stable and never dereferenced.
func TypeURI(code string) string {
	return "urn:eduledger:problem:" + strings.ToLower(strings.ReplaceAll(code, "_", "-"))
}

// New builds the problem document for err as seen at request r.
func New(r *http.Request, err error) *Details {
	code, detail := eduledger.EINTERNAL, ""
	var fields []FieldError
	var pe *Error
	if errors.As(err, &pe) {
		code, detail, fields = pe.Code, pe.Detail, pe.Fields
	} else if c := eduledger.ErrorCode(err); c != eduledger.EINTERNAL {
		code, detail = c, eduledger.ErrorMessage(err)
	}
	status := Status(code)
	if status >= 500 && code != eduledger.EUNAVAILABLE {
		// Never leak internals; the log has them.
		detail = "The server could not complete the request. Quote the request ID when reporting it."
		fields = nil
	}
	d := &Details{
		Type:   TypeURI(code),
		Title:  titles[code],
		Status: status,
		Detail: detail,
		Code:   code,
		Errors: fields,
	}
	if d.Title == "" {
		d.Title = http.StatusText(status)
	}
	if r != nil {
		d.Instance = r.URL.Path
		d.RequestID = RequestID(r)
	}
	return d
}

// Write renders err as a problem document and logs it: server errors at error level with the cause,
// client errors at debug level.
func Write(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	d := New(r, err)
	if log != nil {
		if d.Status >= 500 {
			log.ErrorContext(r.Context(), "request failed", "code", d.Code, "status", d.Status, "requestId", d.RequestID, "err", err)
		} else {
			log.DebugContext(r.Context(), "request refused", "code", d.Code, "status", d.Status, "requestId", d.RequestID, "err", err)
		}
	}
	WriteDetails(w, d)
}

// WriteDetails renders a ready problem document.
func WriteDetails(w http.ResponseWriter, d *Details) {
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if d.Code == CodeRateLimited && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(d.Status)
	_ = json.NewEncoder(w).Encode(d)
}

type requestIDKey struct{}

// WithRequestID returns r with id recorded as its request ID, for problem documents and logs.
func WithRequestID(r *http.Request, id string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
}

// RequestID returns the request ID recorded by WithRequestID, or "".
func RequestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}
