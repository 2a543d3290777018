package issuerapi

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/internal/httpapi"
	"github.com/eduledger/eduledger/internal/problem"
	"github.com/eduledger/eduledger/sdk/issuance"
)

// IdempotencyHeader names a request so that retrying it is safe.
const IdempotencyHeader = "Idempotency-Key"

func idemKey(r *http.Request) string { return r.Header.Get(IdempotencyHeader) }

// decodeOptional decodes a JSON body when there is one; an absent body leaves v as it is.
func decodeOptional(r *http.Request, v any) error {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	return httpapi.DecodeJSON(r, v)
}

func param(r *http.Request, name string) string {
	v := chi.URLParam(r, name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

func queryInt(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, eduledger.Errorf(eduledger.EINVALID, "query parameter %s must be a non-negative integer", name)
	}
	return n, nil
}

func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, eduledger.Errorf(eduledger.EINVALID, "query parameter %s must be true or false", name)
	}
	return b, nil
}

// Me describes the caller: the token's principal and its organisation.
type Me struct {
	issuance.Principal
	Organization eduledger.Organization `json:"organization"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	for _, o := range s.eng.Organizations() {
		if o.ID == p.OrgID {
			httpapi.WriteJSON(w, http.StatusOK, Me{Principal: p, Organization: o})
			return
		}
	}
	s.fail(w, r, eduledger.Errorf(eduledger.EFORBIDDEN, "this service does not issue for %s", p.OrgID))
}

// Learners.

func (s *Server) registerLearner(w http.ResponseWriter, r *http.Request) {
	var req issuance.LearnerRegistration
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, req.ID)
	l, err := s.eng.RegisterLearner(r.Context(), principal(r), req, idemKey(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/learners/"+l.ID)
	httpapi.WriteJSON(w, http.StatusCreated, l)
}

func (s *Server) getLearner(w http.ResponseWriter, r *http.Request) {
	id := param(r, "learnerID")
	setTarget(r, id)
	personal, err := queryBool(r, "personal")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.eng.GetLearner(r.Context(), principal(r), id, personal)
	s.render(w, r, http.StatusOK, l, err)
}

// RolesRequest replaces a learner's roles.
type RolesRequest struct {
	Roles []eduledger.LearnerRole `json:"roles"`
}

// HolderKeysRequest replaces a learner's holder keys.
type HolderKeysRequest struct {
	HolderKeys []string `json:"holderKeys"`
}

// ReasonRequest gives the reason for suspending a learner.
type ReasonRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) updateRoles(w http.ResponseWriter, r *http.Request) {
	var req RolesRequest
	s.learnerChange(w, r, &req, func(id string) (*issuance.Learner, error) {
		return s.eng.UpdateLearnerRoles(r.Context(), principal(r), id, req.Roles)
	})
}

func (s *Server) updateHolderKeys(w http.ResponseWriter, r *http.Request) {
	var req HolderKeysRequest
	s.learnerChange(w, r, &req, func(id string) (*issuance.Learner, error) {
		return s.eng.UpdateLearnerHolderKeys(r.Context(), principal(r), id, req.HolderKeys)
	})
}

func (s *Server) suspendLearner(w http.ResponseWriter, r *http.Request) {
	var req ReasonRequest
	s.learnerChange(w, r, &req, func(id string) (*issuance.Learner, error) {
		return s.eng.SuspendLearner(r.Context(), principal(r), id, req.Reason)
	})
}

func (s *Server) reinstateLearner(w http.ResponseWriter, r *http.Request) {
	s.learnerChange(w, r, nil, func(id string) (*issuance.Learner, error) {
		return s.eng.ReinstateLearner(r.Context(), principal(r), id)
	})
}

func (s *Server) learnerChange(w http.ResponseWriter, r *http.Request, req any, fn func(id string) (*issuance.Learner, error)) {
	id := param(r, "learnerID")
	setTarget(r, id)
	if req != nil {
		if err := httpapi.DecodeJSON(r, req); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	l, err := fn(id)
	s.render(w, r, http.StatusOK, l, err)
}

// Identity cards.

func (s *Server) issueCard(w http.ResponseWriter, r *http.Request) {
	id := param(r, "learnerID")
	setTarget(r, id)
	var req issuance.CardRequest
	if err := decodeOptional(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.eng.IssueCard(r.Context(), principal(r), id, req, idemKey(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, id+" "+c.ID)
	w.Header().Set("Location", "/v1/learners/"+id+"/card")
	httpapi.WriteJSON(w, http.StatusCreated, c)
}

func (s *Server) reissueCard(w http.ResponseWriter, r *http.Request) {
	id := param(r, "learnerID")
	setTarget(r, id)
	var req issuance.CardRequest
	if err := decodeOptional(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.eng.ReissueCard(r.Context(), principal(r), id, req, idemKey(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, id+" "+c.Card.ID)
	httpapi.WriteJSON(w, http.StatusCreated, c)
}

func (s *Server) revokeCard(w http.ResponseWriter, r *http.Request) {
	id := param(r, "learnerID")
	setTarget(r, id)
	var req issuance.StatusRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Status != "" && req.Status != eduledger.StatusRevoked {
		s.fail(w, r, eduledger.Errorf(eduledger.EINVALID, "status must be left out (this endpoint revokes)"))
		return
	}
	c, err := s.eng.RevokeCard(r.Context(), principal(r), id, req.Reason, req.Note)
	s.render(w, r, http.StatusOK, c, err)
}

func (s *Server) getCard(w http.ResponseWriter, r *http.Request) {
	c, err := s.eng.GetCard(r.Context(), principal(r), param(r, "learnerID"))
	s.render(w, r, http.StatusOK, c, err)
}

func (s *Server) cardPNG(w http.ResponseWriter, r *http.Request) {
	id := param(r, "learnerID")
	setTarget(r, id)
	b, err := s.eng.CardImage(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writePNG(w, b, "card-"+id+".png")
}

func (s *Server) cardQR(w http.ResponseWriter, r *http.Request) {
	id := param(r, "learnerID")
	scale, err := queryInt(r, "scale", 8)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.eng.GetCard(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := s.eng.QRCode(r.Context(), principal(r), c.ID, scale)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writePNG(w, b, "card-"+id+"-qr.png")
}

func writePNG(w http.ResponseWriter, b []byte, name string) {
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// Credentials.

func (s *Server) issueCredential(w http.ResponseWriter, r *http.Request) {
	var req issuance.CredentialRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, req.LearnerID)
	c, err := s.eng.IssueCredential(r.Context(), principal(r), req, idemKey(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, req.LearnerID+" "+c.ID)
	w.Header().Set("Location", "/v1/credentials/"+c.ID)
	httpapi.WriteJSON(w, http.StatusCreated, c)
}

func (s *Server) getCredential(w http.ResponseWriter, r *http.Request) {
	c, err := s.eng.GetCredential(r.Context(), principal(r), param(r, "credentialID"))
	s.render(w, r, http.StatusOK, c, err)
}

func (s *Server) listCredentials(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size, err := queryInt(r, "pageSize", 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.eng.ListCredentials(r.Context(), principal(r), issuance.CredentialQuery{LearnerID: q.Get("learnerId"),
		Type: eduledger.CredentialType(q.Get("type")), JobID: q.Get("jobId"), PageSize: size, PageToken: q.Get("pageToken")})
	s.render(w, r, http.StatusOK, page, err)
}

func (s *Server) credentialQR(w http.ResponseWriter, r *http.Request) {
	id := param(r, "credentialID")
	scale, err := queryInt(r, "scale", 8)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := s.eng.QRCode(r.Context(), principal(r), id, scale)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writePNG(w, b, "credential-qr.png")
}

func (s *Server) changeStatus(status eduledger.CredentialStatus) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := param(r, "credentialID")
		setTarget(r, id)
		var req issuance.StatusRequest
		if err := decodeOptional(r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
		if req.Status != "" && req.Status != status {
			s.fail(w, r, eduledger.Errorf(eduledger.EINVALID, "status must be left out; the path says %s", status))
			return
		}
		req.Status = status
		if status == eduledger.StatusActive && req.Reason == "" {
			req.Reason = eduledger.ReasonReinstated
		}
		c, err := s.eng.ChangeStatus(r.Context(), principal(r), id, req)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, c)
	}
}

// Jobs.

// JobOptions are the options of a multipart CSV upload (its "options" part).
type JobOptions struct {
	Type        eduledger.CredentialType `json:"type"`
	Template    *issuance.Row            `json:"template,omitempty"`
	SkipInvalid bool                     `json:"skipInvalid,omitempty"`
}

func (s *Server) createJob(w http.ResponseWriter, r *http.Request) {
	spec := issuance.JobSpec{IdempotencyKey: idemKey(r), Type: eduledger.CredentialType(r.URL.Query().Get("type"))}
	skip, err := queryBool(r, "skipInvalid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	spec.SkipInvalid = skip
	ct := r.Header.Get("Content-Type")
	mt, params, perr := mime.ParseMediaType(ct)
	switch {
	case perr != nil || ct == "":
		err = &problem.Error{Code: problem.CodeUnsupportedMediaType, Detail: "upload application/json, text/csv or multipart/form-data, not " + strconv.Quote(ct)}
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		spec.Format, spec.Body = issuance.FormatJSON, r.Body
	case mt == "text/csv":
		spec.Format, spec.Body, spec.Charset = issuance.FormatCSV, r.Body, params["charset"]
		if c := r.URL.Query().Get("charset"); c != "" {
			spec.Charset = c
		}
	case mt == "multipart/form-data":
		err = s.multipartJob(r, params["boundary"], &spec)
	default:
		err = &problem.Error{Code: problem.CodeUnsupportedMediaType, Detail: "upload application/json, text/csv or multipart/form-data, not " + strconv.Quote(mt)}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	job, err := s.eng.CreateJob(r.Context(), principal(r), spec)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, job.ID)
	w.Header().Set("Location", "/v1/jobs/"+job.ID)
	httpapi.WriteJSON(w, http.StatusAccepted, job)
}

// multipartJob reads an "options" part (JSON JobOptions, optional, first) and a "file" part (the
// CSV) from a multipart upload, streaming the file.
func (s *Server) multipartJob(r *http.Request, boundary string, spec *issuance.JobSpec) error {
	if boundary == "" {
		return eduledger.Errorf(eduledger.EINVALID, "the multipart upload has no boundary")
	}
	mr := multipart.NewReader(r.Body, boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return eduledger.Errorf(eduledger.EINVALID, "the multipart upload has no \"file\" part with the CSV")
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return err
			}
			return eduledger.Errorf(eduledger.EINVALID, "the multipart upload cannot be read: %v", err)
		}
		switch part.FormName() {
		case "options":
			var o JobOptions
			if err := httpapi.DecodeJSONFrom(io.LimitReader(part, s.cfg.MaxBodyBytes), &o); err != nil {
				return fmt.Errorf("options part: %w", err)
			}
			if o.Type != "" {
				if spec.Type != "" && spec.Type != o.Type {
					return eduledger.Errorf(eduledger.EINVALID, "the type is %s in the query but %s in the options", spec.Type, o.Type)
				}
				spec.Type = o.Type
			}
			spec.Template, spec.SkipInvalid = o.Template, spec.SkipInvalid || o.SkipInvalid
		case "file":
			spec.Format, spec.Body = issuance.FormatCSV, part
			if _, params, err := mime.ParseMediaType(part.Header.Get("Content-Type")); err == nil {
				spec.Charset = params["charset"]
			}
			if c := r.URL.Query().Get("charset"); c != "" {
				spec.Charset = c
			}
			return nil
		default:
			return eduledger.Errorf(eduledger.EINVALID, "unknown part %q; a multipart upload has an \"options\" part and a \"file\" part", part.FormName())
		}
	}
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	j, err := s.eng.GetJob(r.Context(), principal(r), param(r, "jobID"))
	s.render(w, r, http.StatusOK, j, err)
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) {
	size, err := queryInt(r, "pageSize", 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.eng.ListJobs(r.Context(), principal(r), size, r.URL.Query().Get("pageToken"))
	s.render(w, r, http.StatusOK, page, err)
}

func (s *Server) jobRows(w http.ResponseWriter, r *http.Request) {
	size, err := queryInt(r, "pageSize", 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	page, err := s.eng.JobRows(r.Context(), principal(r), param(r, "jobID"),
		issuance.RowQuery{State: q.Get("state"), PageSize: size, PageToken: q.Get("pageToken")})
	s.render(w, r, http.StatusOK, page, err)
}

// exportJob streams a job's issued credentials as NDJSON, one ExportedCredential per line.
func (s *Server) exportJob(w http.ResponseWriter, r *http.Request) {
	id := param(r, "jobID")
	p := principal(r)
	if _, err := s.eng.GetJob(r.Context(), p, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	err := s.eng.ExportJob(r.Context(), p, id, func(c *issuance.ExportedCredential) error { return enc.Encode(c) })
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		// The status is sent; cut the stream so that the client sees it is incomplete.
		s.log.Warn("job export cut off", "job", id, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// Keys.

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := s.eng.ListKeys(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": keys})
}

// RotateRequest names the key types to rotate; empty rotates both.
type RotateRequest struct {
	Types []eduledger.KeyType `json:"types,omitempty"`
}

// RevokeKeyRequest dates a key's compromise; zero means now.
type RevokeKeyRequest struct {
	RevokedAt time.Time `json:"revokedAt,omitzero"`
}

func (s *Server) rotateKeys(w http.ResponseWriter, r *http.Request) {
	var req RotateRequest
	if err := decodeOptional(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.eng.RotateKeys(r.Context(), principal(r), req.Types)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var ids []string
	for _, k := range out.Rotated {
		ids = append(ids, k.Previous.ID+"->"+k.Current.ID)
	}
	setTarget(r, strings.Join(ids, " "))
	httpapi.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) {
	id := param(r, "keyID")
	setTarget(r, id)
	var req RevokeKeyRequest
	if err := decodeOptional(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.eng.RevokeKey(r.Context(), principal(r), id, req.RevokedAt)
	s.render(w, r, http.StatusOK, out, err)
}

// Tokens and audit: local to the service, for the organisation's admins.

func requireAdmin(p issuance.Principal) error {
	if p.Role != eduledger.StaffAdmin {
		return eduledger.Errorf(eduledger.EFORBIDDEN, "only an admin of %s may manage its API tokens", p.OrgID)
	}
	return nil
}

// TokenRequest asks for a token of the caller's organisation.
type TokenRequest struct {
	Name      string              `json:"name"`
	Role      eduledger.StaffRole `json:"role"`
	ExpiresAt time.Time           `json:"expiresAt,omitzero"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var req TokenRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := requireAdmin(p); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.eng.Tokens().Create(issuance.TokenSpec{Name: req.Name, OrgID: p.OrgID, Role: req.Role, ExpiresAt: req.ExpiresAt}, "token:"+p.TokenID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setTarget(r, t.ID)
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusCreated, t)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if err := requireAdmin(p); err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.eng.Tokens().List(p.OrgID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if list == nil {
		list = []issuance.Token{}
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	id := param(r, "tokenID")
	setTarget(r, id)
	if err := requireAdmin(p); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.eng.Tokens().Get(id)
	if err == nil && t.OrgID != p.OrgID {
		err = eduledger.Errorf(eduledger.ENOTFOUND, "%s has no token %s", p.OrgID, id)
	}
	if err == nil {
		t, err = s.eng.Tokens().Revoke(id, "token:"+p.TokenID)
	}
	s.render(w, r, http.StatusOK, t, err)
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	size, err := queryInt(r, "pageSize", 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.eng.Audit(r.Context(), principal(r), size, r.URL.Query().Get("pageToken"))
	s.render(w, r, http.StatusOK, page, err)
}
