package eduledger

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. They are stable: clients match on them, the chaincode prefixes its error messages with
// them ("FORBIDDEN: …") because Fabric carries chaincode errors as plain strings, and the HTTP services
// map each to one status code.
const (
	// EINVALID means the input is malformed or breaks a rule about its own shape.
	EINVALID = "INVALID"
	// ENOTFOUND means the thing asked for does not exist.
	ENOTFOUND = "NOT_FOUND"
	// EFORBIDDEN means the caller is known but not allowed to do this.
	EFORBIDDEN = "FORBIDDEN"
	// ECONFLICT means the request clashes with the current state (already exists, wrong status,
	// lost a concurrent update).
	ECONFLICT = "CONFLICT"
	// EUNAUTHORIZED means the caller could not be authenticated (services only).
	EUNAUTHORIZED = "UNAUTHORIZED"
	// EUNAVAILABLE means the ledger or another dependency could not be reached; the outcome of a
	// submission may be unknown.
	EUNAVAILABLE = "UNAVAILABLE"
	// EINTERNAL means a fault inside EduLedger; details are logged, not returned.
	EINTERNAL = "INTERNAL"
)

var knownCodes = map[string]bool{
	EINVALID: true, ENOTFOUND: true, EFORBIDDEN: true, ECONFLICT: true,
	EUNAUTHORIZED: true, EUNAVAILABLE: true, EINTERNAL: true,
}

// Error is EduLedger's domain error: a stable Code, a Message safe to show to the caller, and an
// optional wrapped cause that is never shown to callers of a service.
type Error struct {
	Code    string
	Message string
	Err     error
}

// Error renders "CODE: message", the form the chaincode returns and ParseError reads back.
func (e *Error) Error() string {
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message. A %w verb in format keeps the
// wrapped error as the cause.
func Errorf(code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other non-nil
// error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or a generic message that
// reveals nothing about other errors.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ParseError reads a message of the form "CODE: message" (as the chaincode returns them, possibly
// behind a transport's own prefix such as "chaincode response 500, ") and returns the *Error it
// describes. It returns nil when msg carries no known code.
func ParseError(msg string) *Error {
	best := -1
	var code string
	for c := range knownCodes {
		i := strings.Index(msg, c+": ")
		// A code must start the message or follow a separator, so that words inside a message
		// ("…NOT_FOUND: …" inside another code's text) do not win over the leading code.
		if i < 0 || (i > 0 && !isSeparator(msg[i-1])) {
			continue
		}
		if best < 0 || i < best {
			best, code = i, c
		}
	}
	if best < 0 {
		return nil
	}
	return &Error{Code: code, Message: strings.TrimSpace(msg[best+len(code)+2:])}
}

func isSeparator(b byte) bool {
	return b == ' ' || b == ',' || b == ':' || b == '(' || b == '"' || b == '\n' || b == '\t' || b == '='
}
