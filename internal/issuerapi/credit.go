package issuerapi

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/internal/httpapi"
	"github.com/eduledger/eduledger/sdk/issuance"
)

// The lifelong archive and the credit bank: learning records, conversion and recognition rules,
// credit accounts, deposits, recognitions, redemptions and statements. Amounts are integer
// thousandths of a credit in every request and answer (4000 is 4 credits), as on the ledger.

// creditRoutes mounts the archive's and the credit bank's endpoints on r (inside /v1, behind
// authentication and the JSON body limit).
func (s *Server) creditRoutes(r chi.Router) {
	a := s.audited
	r.With(a("record.create")).Post("/records", s.recordOutcome)
	r.Get("/records", s.listRecords)
	r.With(a("record.read")).Get("/records/{recordID}", s.getRecord)
	r.With(a("record.revoke")).Post("/records/{recordID}/revoke", s.revokeRecord)
	r.Get("/learners/{learnerID}/archive", s.archive)

	r.With(a("credit-rule.publish")).Post("/credit-rules", s.publishCreditRule)
	r.Get("/credit-rules", s.listCreditRules)
	r.Get("/credit-rules/{ruleID}", s.getCreditRule)
	r.Get("/credit-rules/{ruleID}/preview", s.previewCredit)
	r.With(a("recognition-rule.publish")).Post("/recognition-rules", s.publishRecognitionRule)
	r.Get("/recognition-rules", s.listRecognitionRules)
	r.Get("/recognition-rules/{ruleID}", s.getRecognitionRule)

	r.Route("/learners/{learnerID}/credits", func(r chi.Router) {
		r.With(a("credit.account-open")).Post("/account", s.openCreditAccount)
		r.Get("/account", s.creditAccount)
		r.Get("/statement", s.creditStatement)
		r.Get("/entries", s.creditEntries)
		r.Get("/entries/{entryID}", s.creditEntry)
		r.Get("/entries/{entryID}/history", s.creditEntryHistory)
		r.With(a("credit.deposit")).Post("/deposits", s.deposit)
		r.With(a("credit.recognize")).Post("/recognitions", s.recognize)
		r.With(a("credit.redeem")).Post("/redemptions", s.redeem)
		r.Get("/redemptions", s.redemptions)
		r.Get("/redemptions/{redemptionID}", s.redemption)
	})
}

// page reads the pageSize and pageToken query parameters.
func page(r *http.Request) (int, string, error) {
	size, err := queryInt(r, "pageSize", 0)
	if err == nil && size > eduledger.MaxPageSize {
		err = eduledger.Errorf(eduledger.EINVALID, "query parameter pageSize must be at most %d", eduledger.MaxPageSize)
	}
	return size, r.URL.Query().Get("pageToken"), err
}

// render answers with v, or with err as a problem.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.WriteJSON(w, status, v)
}

func learnerPath(r *http.Request) string {
	return "/v1/learners/" + url.PathEscape(param(r, "learnerID")) + "/credits"
}

// Learning records.

func (s *Server) recordOutcome(w http.ResponseWriter, r *http.Request) {
	var req issuance.RecordRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, req.LearnerID+" "+req.ID)
	rec, err := s.eng.RecordOutcome(r.Context(), principal(r), req, idemKey(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, rec.LearnerID+" "+rec.ID)
	w.Header().Set("Location", "/v1/records/"+url.PathEscape(rec.ID))
	httpapi.WriteJSON(w, http.StatusCreated, rec)
}

func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) {
	id := param(r, "recordID")
	setTarget(r, id)
	detail, err := queryBool(r, "detail")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rec, err := s.eng.GetRecord(r.Context(), principal(r), id, detail)
	s.render(w, r, http.StatusOK, rec, err)
}

func (s *Server) listRecords(w http.ResponseWriter, r *http.Request) {
	size, token, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.eng.ListRecords(r.Context(), principal(r), size, token)
	s.render(w, r, http.StatusOK, p, err)
}

func (s *Server) revokeRecord(w http.ResponseWriter, r *http.Request) {
	id := param(r, "recordID")
	setTarget(r, id)
	var req ReasonRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	rec, err := s.eng.RevokeRecord(r.Context(), principal(r), id, req.Reason)
	s.render(w, r, http.StatusOK, rec, err)
}

func (s *Server) archive(w http.ResponseWriter, r *http.Request) {
	size, token, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.eng.Archive(r.Context(), principal(r), param(r, "learnerID"), size, token)
	s.render(w, r, http.StatusOK, p, err)
}

// Rules.

func (s *Server) publishCreditRule(w http.ResponseWriter, r *http.Request) {
	var req eduledger.CreditRule
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, req.ID)
	rule, err := s.eng.PublishCreditRule(r.Context(), principal(r), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, fmt.Sprintf("%s v%d", rule.ID, rule.Version))
	w.Header().Set("Location", fmt.Sprintf("/v1/credit-rules/%s?version=%d", url.PathEscape(rule.ID), rule.Version))
	httpapi.WriteJSON(w, http.StatusCreated, rule)
}

func (s *Server) publishRecognitionRule(w http.ResponseWriter, r *http.Request) {
	var req eduledger.RecognitionRule
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, req.ID)
	rule, err := s.eng.PublishRecognitionRule(r.Context(), principal(r), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, fmt.Sprintf("%s v%d", rule.ID, rule.Version))
	w.Header().Set("Location", fmt.Sprintf("/v1/recognition-rules/%s?version=%d", url.PathEscape(rule.ID), rule.Version))
	httpapi.WriteJSON(w, http.StatusCreated, rule)
}

// ruleQuery reads ?version=N or ?at=RFC3339.
func ruleQuery(r *http.Request) (int, time.Time, error) {
	version, err := queryInt(r, "version", 0)
	if err != nil {
		return 0, time.Time{}, err
	}
	var at time.Time
	if v := r.URL.Query().Get("at"); v != "" {
		if at, err = time.Parse(time.RFC3339, v); err != nil {
			return 0, time.Time{}, eduledger.Errorf(eduledger.EINVALID, "query parameter at must be an RFC 3339 time, such as 2026-09-01T00:00:00Z")
		}
	}
	return version, at, nil
}

func (s *Server) getCreditRule(w http.ResponseWriter, r *http.Request) {
	version, at, err := ruleQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rule, err := s.eng.CreditRule(r.Context(), principal(r), param(r, "ruleID"), version, at)
	s.render(w, r, http.StatusOK, rule, err)
}

func (s *Server) getRecognitionRule(w http.ResponseWriter, r *http.Request) {
	version, at, err := ruleQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rule, err := s.eng.RecognitionRule(r.Context(), principal(r), param(r, "ruleID"), version, at)
	s.render(w, r, http.StatusOK, rule, err)
}

func (s *Server) listCreditRules(w http.ResponseWriter, r *http.Request) {
	size, token, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.eng.ListCreditRules(r.Context(), principal(r), size, token)
	s.render(w, r, http.StatusOK, p, err)
}

func (s *Server) listRecognitionRules(w http.ResponseWriter, r *http.Request) {
	size, token, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.eng.ListRecognitionRules(r.Context(), principal(r), size, token)
	s.render(w, r, http.StatusOK, p, err)
}

func (s *Server) previewCredit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := s.eng.PreviewCredit(r.Context(), principal(r), param(r, "ruleID"), eduledger.OutcomeSource(q.Get("source")), q.Get("outcomeId"))
	s.render(w, r, http.StatusOK, p, err)
}

// Credit accounts.

func (s *Server) openCreditAccount(w http.ResponseWriter, r *http.Request) {
	id := param(r, "learnerID")
	setTarget(r, id)
	if err := decodeOptional(r, &struct{}{}); err != nil {
		s.fail(w, r, err)
		return
	}
	acc, err := s.eng.OpenCreditAccount(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", learnerPath(r)+"/account")
	httpapi.WriteJSON(w, http.StatusCreated, acc)
}

func (s *Server) creditAccount(w http.ResponseWriter, r *http.Request) {
	acc, err := s.eng.CreditAccount(r.Context(), principal(r), param(r, "learnerID"))
	s.render(w, r, http.StatusOK, acc, err)
}

func (s *Server) creditStatement(w http.ResponseWriter, r *http.Request) {
	st, err := s.eng.CreditStatement(r.Context(), principal(r), param(r, "learnerID"), r.URL.Query().Get("holderId"))
	s.render(w, r, http.StatusOK, st, err)
}

func (s *Server) creditEntries(w http.ResponseWriter, r *http.Request) {
	size, token, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.eng.CreditEntries(r.Context(), principal(r), param(r, "learnerID"), size, token)
	s.render(w, r, http.StatusOK, p, err)
}

func (s *Server) creditEntry(w http.ResponseWriter, r *http.Request) {
	e, err := s.eng.CreditEntry(r.Context(), principal(r), param(r, "learnerID"), param(r, "entryID"))
	s.render(w, r, http.StatusOK, e, err)
}

func (s *Server) creditEntryHistory(w http.ResponseWriter, r *http.Request) {
	h, err := s.eng.CreditEntryHistory(r.Context(), principal(r), param(r, "learnerID"), param(r, "entryID"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": h})
}

func (s *Server) deposit(w http.ResponseWriter, r *http.Request) {
	learner := param(r, "learnerID")
	var req issuance.DepositRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, learner+" "+req.OutcomeID)
	e, err := s.eng.Deposit(r.Context(), principal(r), learner, req, idemKey(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, learner+" "+req.OutcomeID+" "+e.ID)
	w.Header().Set("Location", learnerPath(r)+"/entries/"+url.PathEscape(e.ID))
	httpapi.WriteJSON(w, http.StatusCreated, e)
}

func (s *Server) recognize(w http.ResponseWriter, r *http.Request) {
	learner := param(r, "learnerID")
	var req issuance.RecognitionRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, learner+" "+req.EntryID)
	rec, err := s.eng.Recognize(r.Context(), principal(r), learner, req, idemKey(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, learner+" "+req.EntryID+"->"+rec.Recognized.ID)
	w.Header().Set("Location", learnerPath(r)+"/entries/"+url.PathEscape(rec.Recognized.ID))
	httpapi.WriteJSON(w, http.StatusCreated, rec)
}

func (s *Server) redeem(w http.ResponseWriter, r *http.Request) {
	learner := param(r, "learnerID")
	var req issuance.RedemptionRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, learner+" "+req.ID)
	red, err := s.eng.Redeem(r.Context(), principal(r), learner, req, idemKey(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", learnerPath(r)+"/redemptions/"+url.PathEscape(red.ID))
	httpapi.WriteJSON(w, http.StatusCreated, red)
}

func (s *Server) redemptions(w http.ResponseWriter, r *http.Request) {
	size, token, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.eng.Redemptions(r.Context(), principal(r), param(r, "learnerID"), size, token)
	s.render(w, r, http.StatusOK, p, err)
}

func (s *Server) redemption(w http.ResponseWriter, r *http.Request) {
	red, err := s.eng.Redemption(r.Context(), principal(r), param(r, "learnerID"), param(r, "redemptionID"))
	s.render(w, r, http.StatusOK, red, err)
}
