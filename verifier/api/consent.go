package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/internal/httpapi"
	"github.com/eduledger/eduledger/internal/problem"
	"github.com/eduledger/eduledger/verifier"
)

// archive answers POST /v1/archive?pageSize=&pageToken=: the body is a learner's consent (JSON);
// the answer a page of the learner's lifelong archive, if the consent lets this verifier show it.
func (h *handlers) archive(w http.ResponseWriter, r *http.Request) {
	if err := onlyParams(r, "pageSize", "pageToken"); err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	size := 0
	if s := r.URL.Query().Get("pageSize"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > eduledger.MaxPageSize {
			httpapi.Error(w, r, h.log, eduledger.Errorf(eduledger.EINVALID, "pageSize must be an integer from 1 to %d", eduledger.MaxPageSize))
			return
		}
		size = n
	}
	consent, err := readConsent(r)
	if err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	a, err := h.engine.Archive(r.Context(), consent, size, r.URL.Query().Get("pageToken"))
	if err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	h.writeJSON(w, a)
}

// statement answers POST /v1/statement?holderId=: the body is a learner's consent (JSON); the
// answer the learner's credit statement, if the consent lets this verifier show it.
func (h *handlers) statement(w http.ResponseWriter, r *http.Request) {
	if err := onlyParams(r, "holderId"); err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	consent, err := readConsent(r)
	if err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	st, err := h.engine.Statement(r.Context(), consent, r.URL.Query().Get("holderId"))
	if err != nil {
		httpapi.Error(w, r, h.log, err)
		return
	}
	h.writeJSON(w, st)
}

// readConsent reads a consent document sent as JSON, at most verifier.MaxConsentBytes.
func readConsent(r *http.Request) ([]byte, error) {
	if err := httpapi.RequireJSON(r); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, verifier.MaxConsentBytes+1))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, &problem.Error{Code: problem.CodeTooLarge, Detail: "a consent is at most 16 KiB"}
		}
		return nil, eduledger.Errorf(eduledger.EINVALID, "the body could not be read")
	}
	switch {
	case len(b) == 0:
		return nil, eduledger.Errorf(eduledger.EINVALID, "the body is empty; send the learner's consent (JSON)")
	case len(b) > verifier.MaxConsentBytes:
		return nil, &problem.Error{Code: problem.CodeTooLarge, Detail: "a consent is at most 16 KiB"}
	}
	return b, nil
}
