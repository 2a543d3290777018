package issuance

import (
	"fmt"

	"github.com/eduledger/eduledger"
)

// FieldError names one invalid member of a request, or one cell of an upload.
type FieldError struct {
	// Field is a JSON pointer ("/subject/achievement/name", "/rows/11/learnerId") or, for a CSV
	// upload, "row 12, column learnerId".
	Field   string `json:"field"`
	Message string `json:"message"`
}

// InvalidError lists every invalid field of a request. It is the cause of an INVALID
// *eduledger.Error; find it with errors.As.
type InvalidError struct {
	Fields []FieldError
	// Total counts the invalid fields, of which Fields lists at most MaxReportedErrors.
	Total int
}

// MaxReportedErrors bounds the field errors one answer lists.
const MaxReportedErrors = 200

func (e *InvalidError) Error() string {
	return fmt.Sprintf("%d invalid field(s)", e.Total)
}

// invalidField is INVALID for one field.
func invalidField(field, msg string) error {
	return &eduledger.Error{Code: eduledger.EINVALID, Message: field + ": " + msg,
		Err: &InvalidError{Fields: []FieldError{{Field: field, Message: msg}}, Total: 1}}
}

// rowsInvalid is INVALID listing row errors; summary starts the message, which also quotes the
// first error so that a one-line client shows something a registrar can act on.
func rowsInvalid(format string, errs []RowError, summary string) error {
	return rowsInvalidTotal(format, errs, len(errs), summary)
}

func rowsInvalidTotal(format string, errs []RowError, total int, summary string) error {
	ie := &InvalidError{Total: total}
	for i, r := range errs {
		if i == MaxReportedErrors {
			break
		}
		ie.Fields = append(ie.Fields, FieldError{Field: r.Field(format), Message: r.Message})
	}
	msg := summary
	if len(errs) > 0 {
		msg += ": " + errs[0].String(format)
		if total > 1 {
			msg += fmt.Sprintf(" (and %d more)", total-1)
		}
	}
	return &eduledger.Error{Code: eduledger.EINVALID, Message: msg, Err: ie}
}
