package issuerapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/internal/httpapi"
	"github.com/eduledger/eduledger/internal/problem"
	"github.com/eduledger/eduledger/sdk/issuance"
)

type principalKey struct{}

// principal returns the staff member the request authenticated as.
func principal(r *http.Request) issuance.Principal {
	p, _ := r.Context().Value(principalKey{}).(issuance.Principal)
	return p
}

// authenticate requires "Authorization: Bearer <token>" with a valid API token of an organisation
// this service issues for. A refusal is recorded in the audit log.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		scheme, token, ok := strings.Cut(auth, " ")
		var err error
		var p *issuance.Principal
		switch {
		case auth == "":
			err = eduledger.Errorf(eduledger.EUNAUTHORIZED, "an API token is required: send \"Authorization: Bearer <token>\"")
		case !ok || !strings.EqualFold(scheme, "Bearer"):
			err = eduledger.Errorf(eduledger.EUNAUTHORIZED, "the Authorization header must be \"Bearer <token>\"")
		default:
			p, err = s.eng.Tokens().Authenticate(strings.TrimSpace(token))
		}
		if err == nil {
			if _, herr := s.hosts(p.OrgID); herr != nil {
				err = herr
			}
		}
		if err != nil {
			if eduledger.ErrorCode(err) == eduledger.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="eduledger-issuer"`)
			}
			d := problem.New(r, err)
			s.record(r, issuance.Principal{}, "auth", "", d.Status, d.Code, d.Detail)
			problem.WriteDetails(w, d)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, *p)))
	})
}

func (s *Server) hosts(orgID string) (bool, error) {
	for _, o := range s.eng.Organizations() {
		if o.ID == orgID {
			return true, nil
		}
	}
	return false, eduledger.Errorf(eduledger.EFORBIDDEN, "the token belongs to %s, which this service does not issue for", orgID)
}

// auditInfo is what a handler tells the audit log about its request.
type auditInfo struct {
	target string
	code   string
	detail string
}

type auditKey struct{}

// setTarget names what the request acted on, for the audit log.
func setTarget(r *http.Request, target string) {
	if a, ok := r.Context().Value(auditKey{}).(*auditInfo); ok {
		a.target = target
	}
}

// audited records the request in the audit log as action once it is answered: who (the token's
// principal), what (action and target), when, and the result (status and error code).
func (s *Server) audited(action string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			info := &auditInfo{}
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r.WithContext(context.WithValue(r.Context(), auditKey{}, info)))
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			s.record(r, principal(r), action, info.target, status, info.code, info.detail)
		})
	}
}

func (s *Server) record(r *http.Request, p issuance.Principal, action, target string, status int, code, detail string) {
	result := "ok"
	if status >= 400 {
		result = code
		if result == "" {
			result = fmt.Sprint(status)
		}
	}
	err := s.eng.Record(r.Context(), issuance.AuditEntry{RequestID: problem.RequestID(r), ClientIP: httpapi.ClientIP(r).String(),
		Actor: p, Action: action, Target: target, Result: result, Status: status, Message: detail})
	if err != nil {
		s.log.Error("could not write the audit log", "action", action, "err", err)
	}
}

// fail renders err as a problem: field errors listed, a body over the limit as 413, the ledger
// unreachable as 503; and notes the outcome for the audit log.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var tooLarge *http.MaxBytesError
	var ie *issuance.InvalidError
	switch {
	case errors.As(err, &tooLarge):
		err = &problem.Error{Code: problem.CodeTooLarge, Detail: fmt.Sprintf("the body is larger than the %d bytes this endpoint accepts", tooLarge.Limit)}
	case errors.As(err, &ie):
		pe := &problem.Error{Code: eduledger.EINVALID, Detail: eduledger.ErrorMessage(err)}
		for _, f := range ie.Fields {
			pe.Fields = append(pe.Fields, problem.FieldError{Field: f.Field, Message: f.Message})
		}
		err = pe
	}
	d := problem.New(r, err)
	if a, ok := r.Context().Value(auditKey{}).(*auditInfo); ok {
		a.code, a.detail = d.Code, d.Detail
	}
	httpapi.Error(w, r, s.log, err)
}
