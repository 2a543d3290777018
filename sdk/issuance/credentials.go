package issuance

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/verifier"
)

// credRecord is a credential the service signed, as the store keeps it.
type credRecord struct {
	ID         string                   `json:"id"`
	Type       eduledger.CredentialType `json:"type"`
	OrgID      string                   `json:"org"`
	LearnerID  string                   `json:"learner"`
	Digest     string                   `json:"digest"`
	IssuedAt   time.Time                `json:"issuedAt"`
	ValidUntil time.Time                `json:"validUntil,omitzero"`
	Keys       []string                 `json:"keys"`

	// A credential issued alone: its state and the signed JSON.
	State      string          `json:"state,omitempty"`
	TxID       string          `json:"txId,omitempty"`
	AnchoredAt time.Time       `json:"anchoredAt,omitzero"`
	Error      string          `json:"error,omitempty"`
	JSON       json.RawMessage `json:"json,omitempty"`
	ByToken    string          `json:"byToken,omitempty"`
	ByRole     string          `json:"byRole,omitempty"`

	// A credential issued in a bulk job: where its batch is and where its JSON is.
	Job   string `json:"job,omitempty"`
	Batch int    `json:"batch,omitempty"`
	Row   int    `json:"row,omitempty"`
	Root  string `json:"root,omitempty"`
	Seg   string `json:"seg,omitempty"`
	Off   int64  `json:"off,omitempty"`
	Len   int    `json:"len,omitempty"`

	Status          eduledger.CredentialStatus `json:"status,omitempty"`
	StatusReason    string                     `json:"statusReason,omitempty"`
	StatusNote      string                     `json:"statusNote,omitempty"`
	StatusChangedAt time.Time                  `json:"statusChangedAt,omitzero"`
}

// States of a credential issued alone.
const (
	statePending  = "pending"
	stateAnchored = "anchored"
	stateFailed   = "failed"
)

// keyPendingSingle marks a credential issued alone whose anchoring has no known outcome yet.
func keyPendingSingle(id string) string { return "q/" + id }

// view renders a record for callers, without the signed JSON.
func (e *Engine) view(r *credRecord, b *batchRecord) *IssuedCredential {
	v := &IssuedCredential{ID: r.ID, Type: r.Type, IssuerID: r.OrgID, LearnerID: r.LearnerID, Digest: r.Digest,
		BatchRoot: r.Root, JobID: r.Job, Row: r.Row, IssuedAt: r.IssuedAt, ValidUntil: r.ValidUntil,
		AnchoredAt: r.AnchoredAt, TxID: r.TxID, Status: r.Status, StatusReason: r.StatusReason,
		StatusNote: r.StatusNote, StatusChangedAt: r.StatusChangedAt,
		VerificationLink: verifier.Link(e.cfg.VerifierURL, r.ID, r.Digest, r.Root)}
	if b != nil {
		v.AnchoredAt, v.TxID = b.AnchoredAt, b.TxID
	}
	if v.Status == "" {
		v.Status = eduledger.StatusActive
	}
	return v
}

// IssueCredential signs one credential for p's organisation and anchors it on the ledger as p,
// returning it once the ledger has committed the anchor. With an idempotency key, a retry returns
// the same credential and never anchors a second one. Identity cards are issued with IssueCard.
// Errors: INVALID (naming the field), FORBIDDEN (the chaincode refused p: wrong role, not
// accredited for the type, suspended), CONFLICT (learner suspended), UNAVAILABLE (the outcome is
// not known yet; retry with the same idempotency key).
func (e *Engine) IssueCredential(ctx context.Context, p Principal, req CredentialRequest, idemKey string) (*IssuedCredential, error) {
	return idempotent(ctx, e, p, idemKey, "credential.issue", req, func(ctx context.Context, call *idemCall) (*IssuedCredential, error) {
		if call.resuming {
			return e.resumeSingle(ctx, p, call.rec.Ref)
		}
		org, err := e.hosted(p.OrgID)
		if err != nil {
			return nil, err
		}
		if !req.Type.Valid() {
			return nil, invalidField("/type", fmt.Sprintf("%q is not a credential type; use one of %v", req.Type, eduledger.CredentialTypes))
		}
		if req.Type == eduledger.TypeIdentityCard {
			return nil, invalidField("/type", "identity cards are issued from the learner's record (POST /v1/learners/{id}/card)")
		}
		c, errs := buildCredential(&org.org, req.Type, Row{LearnerID: req.LearnerID, Name: req.Name, Description: req.Description,
			ValidFrom: req.ValidFrom, ValidUntil: req.ValidUntil, Subject: req.Subject})
		if len(errs) > 0 {
			return nil, rowsInvalid(FormatJSON, errs, "the credential is not valid")
		}
		if err := e.requireActiveLearner(ctx, req.LearnerID, "/learnerId"); err != nil {
			return nil, err
		}
		return e.issueSingle(ctx, p, org, req.Type, c, call)
	})
}

// issueSingle signs c, keeps it as pending, anchors it, and records the outcome.
func (e *Engine) issueSingle(ctx context.Context, p Principal, org *hostedOrg, t eduledger.CredentialType, c *credential.Credential, call *idemCall) (*IssuedCredential, error) {
	cl, _, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	org.mu.RLock()
	defer org.mu.RUnlock()
	keys, err := org.currentIssuer()
	if err != nil {
		return nil, err
	}
	issued, err := keys.issuer.Issue(c)
	if err != nil {
		return nil, rowsInvalid(FormatJSON, schemaRowErrors(err), "the credential is not valid")
	}
	rec := &credRecord{ID: issued.ID, Type: t, OrgID: org.org.ID, LearnerID: issued.Anchor.LearnerID, Digest: issued.Digest,
		IssuedAt: issued.Anchor.IssuedAt, ValidUntil: issued.Anchor.ValidUntil, Keys: keys.ids(), State: statePending,
		JSON: issued.JSON, ByToken: p.TokenID, ByRole: string(p.Role)}
	b := new(leveldb.Batch)
	if err := putJSON(b, keyCred(rec.ID), rec); err != nil {
		return nil, err
	}
	b.Put([]byte(keyPendingSingle(rec.ID)), nil)
	if err := e.store.write(b, true); err != nil {
		return nil, err
	}
	if err := call.bind(rec.ID); err != nil {
		return nil, err
	}
	anchor := issued.Anchor
	return e.anchorSingle(ctx, cl, rec, &anchor)
}

// anchorSingle submits a pending credential's anchor and records the outcome. UNAVAILABLE leaves
// it pending.
func (e *Engine) anchorSingle(ctx context.Context, cl interface {
	AnchorCredential(context.Context, *eduledger.CredentialAnchor) (*eduledger.CredentialAnchor, error)
}, rec *credRecord, anchor *eduledger.CredentialAnchor) (*IssuedCredential, error) {
	got, err := cl.AnchorCredential(ctx, anchor)
	if err != nil {
		if eduledger.ErrorCode(err) == eduledger.EUNAVAILABLE {
			return nil, err
		}
		rec.State, rec.Error = stateFailed, eduledger.ErrorMessage(err)
		if ferr := e.settleSingle(rec); ferr != nil {
			e.log.Error("could not record a refused issuance", "credential", rec.ID, "err", ferr)
		}
		return nil, err
	}
	rec.State, rec.TxID, rec.AnchoredAt, rec.Status = stateAnchored, got.TxID, got.AnchoredAt, eduledger.StatusActive
	if err := e.settleSingle(rec); err != nil {
		return nil, err
	}
	e.obs.Issued(rec.OrgID, rec.Type, 1)
	v := e.view(rec, nil)
	v.Credential = rec.JSON
	return v, nil
}

// settleSingle records the final state of a credential issued alone.
func (e *Engine) settleSingle(rec *credRecord) error {
	b := new(leveldb.Batch)
	if err := putJSON(b, keyCred(rec.ID), rec); err != nil {
		return err
	}
	b.Delete([]byte(keyPendingSingle(rec.ID)))
	if rec.State == stateAnchored {
		indexCredential(b, rec.OrgID, rec.LearnerID, rec.ID, rec.IssuedAt)
	}
	return e.store.write(b, true)
}

// resumeSingle finishes a credential issued alone whose first attempt was cut off: anchored
// already (the ledger says so), or anchored now with the same digest.
func (e *Engine) resumeSingle(ctx context.Context, p Principal, id string) (*IssuedCredential, error) {
	var rec credRecord
	ok, err := e.store.get(keyCred(id), &rec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "credential %s of the first attempt is gone", id)
	}
	switch rec.State {
	case stateAnchored:
		v := e.view(&rec, nil)
		v.Credential = rec.JSON
		return v, nil
	case stateFailed:
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "the first attempt with this key failed: %s", rec.Error)
	}
	if done, err := e.settleFromLedger(ctx, &rec); err != nil || done {
		if err != nil {
			return nil, err
		}
		v := e.view(&rec, nil)
		v.Credential = rec.JSON
		return v, nil
	}
	cl, org, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	org.mu.RLock()
	defer org.mu.RUnlock()
	keys, err := org.currentIssuer()
	if err != nil {
		return nil, err
	}
	if keys.ed != rec.Keys[0] || keys.pq != rec.Keys[1] {
		rec.State, rec.Error = stateFailed, "the signing keys were rotated before the credential was anchored"
		if err := e.settleSingle(&rec); err != nil {
			return nil, err
		}
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "credential %s was signed with keys rotated since; issue it again with a new idempotency key", id)
	}
	anchor := rec.anchor()
	return e.anchorSingle(ctx, cl, &rec, &anchor)
}

func (r *credRecord) anchor() eduledger.CredentialAnchor {
	return eduledger.CredentialAnchor{ID: r.ID, Type: r.Type, IssuerID: r.OrgID, LearnerID: r.LearnerID, Digest: r.Digest,
		IssuedAt: r.IssuedAt, ValidUntil: r.ValidUntil}
}

// settleFromLedger asks the ledger whether a pending credential was anchored and records it if
// so.
func (e *Engine) settleFromLedger(ctx context.Context, rec *credRecord) (bool, error) {
	got, err := e.reader.GetCredential(ctx, rec.ID)
	switch {
	case eduledger.ErrorCode(err) == eduledger.ENOTFOUND:
		return false, nil
	case err != nil:
		return false, err
	case got.Digest != rec.Digest:
		rec.State, rec.Error = stateFailed, "the ledger holds another credential under this ID"
		return true, e.settleSingle(rec)
	}
	rec.State, rec.TxID, rec.AnchoredAt = stateAnchored, got.TxID, got.AnchoredAt
	rec.Status, rec.StatusReason, rec.StatusNote, rec.StatusChangedAt = got.Status, got.StatusReason, got.StatusNote, got.StatusChangedAt
	if err := e.settleSingle(rec); err != nil {
		return false, err
	}
	e.obs.Issued(rec.OrgID, rec.Type, 1)
	return true, nil
}

// reconcileSingles settles, at start, every credential issued alone whose anchoring outcome a
// previous process never learnt: anchored ones are recorded; the others are marked failed, since
// the client was told the outcome was unknown and may have issued again — only a retry with the
// same idempotency key anchors them.
func (e *Engine) reconcileSingles(ctx context.Context) error {
	var ids []string
	if _, err := e.store.scan("q/", "", 0, func(k string, _ []byte) (bool, error) {
		ids = append(ids, k[2:])
		return true, nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		var rec credRecord
		ok, err := e.store.get(keyCred(id), &rec)
		if err != nil {
			return err
		}
		if !ok || rec.State != statePending {
			continue
		}
		done, err := e.settleFromLedger(ctx, &rec)
		if err != nil {
			return err
		}
		if !done {
			rec.State, rec.Error = stateFailed, "the service stopped before the ledger confirmed the anchor, and the ledger does not hold it"
			if err := e.settleSingle(&rec); err != nil {
				return err
			}
		}
		e.log.Info("settled an interrupted issuance", "credential", id, "state", rec.State)
	}
	return nil
}

// loadCredential reads a credential and, for a batch member, its batch. Errors: NOT_FOUND.
func (e *Engine) loadCredential(id string) (*credRecord, *batchRecord, error) {
	var rec credRecord
	ok, err := e.store.get(keyCred(id), &rec)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, eduledger.Errorf(eduledger.ENOTFOUND, "this service issued no credential %s", id)
	}
	if rec.Job == "" {
		return &rec, nil, nil
	}
	var b batchRecord
	ok, err = e.store.get(keyBatch(rec.Job, rec.Batch), &b)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, fmt.Errorf("issuance: credential %s names a missing batch %d of job %s", id, rec.Batch, rec.Job)
	}
	return &rec, &b, nil
}

// issuedCredential reads a credential of p's organisation that is anchored. Errors: NOT_FOUND
// (also for another organisation's credential and one not anchored).
func (e *Engine) issuedCredential(p Principal, id string) (*credRecord, *batchRecord, error) {
	rec, b, err := e.loadCredential(id)
	if err != nil {
		return nil, nil, err
	}
	if rec.OrgID != p.OrgID {
		return nil, nil, eduledger.Errorf(eduledger.ENOTFOUND, "%s issued no credential %s", p.OrgID, id)
	}
	switch {
	case b != nil && b.State != batchAnchored && b.Root == rec.Root:
		return nil, nil, eduledger.Errorf(eduledger.ENOTFOUND, "credential %s is not anchored yet (job %s, batch %d: %s)", id, rec.Job, rec.Batch, b.State)
	case b != nil && b.Root != rec.Root:
		return nil, nil, eduledger.Errorf(eduledger.ENOTFOUND, "credential %s was re-signed; job %s holds its current form", id, rec.Job)
	case b == nil && rec.State == statePending:
		return nil, nil, eduledger.Errorf(eduledger.ENOTFOUND, "credential %s is not anchored yet", id)
	case b == nil && rec.State == stateFailed:
		return nil, nil, eduledger.Errorf(eduledger.ENOTFOUND, "credential %s was not issued: %s", id, rec.Error)
	}
	return rec, b, nil
}

// credentialJSON returns the signed credential.
func (e *Engine) credentialJSON(rec *credRecord) ([]byte, error) {
	if rec.Seg == "" {
		return rec.JSON, nil
	}
	return e.segs.read(rec.Seg, rec.Off, rec.Len)
}

// GetCredential returns a credential p's organisation issued, with the signed credential and its
// status as the ledger sees it now (or, when the ledger cannot be reached, as last seen). Errors:
// NOT_FOUND (also for another organisation's credential).
func (e *Engine) GetCredential(ctx context.Context, p Principal, id string) (*IssuedCredential, error) {
	rec, b, err := e.issuedCredential(p, id)
	if err != nil {
		return nil, err
	}
	v := e.view(rec, b)
	if v.Credential, err = e.credentialJSON(rec); err != nil {
		return nil, err
	}
	st, err := e.reader.GetCredentialStatus(ctx, rec.ID, rec.Root)
	switch {
	case err == nil:
		v.Status, v.StatusReason, v.StatusNote, v.StatusChangedAt = st.Status, st.StatusReason, st.StatusNote, st.StatusChangedAt
	case eduledger.ErrorCode(err) == eduledger.EUNAVAILABLE:
		v.StatusStale = true
	default:
		return nil, err
	}
	return v, nil
}

// ListCredentials returns a page of the credentials p's organisation issued, newest first, with
// their last known status. Errors: INVALID for a bad filter or page token.
func (e *Engine) ListCredentials(ctx context.Context, p Principal, q CredentialQuery) (*Page[IssuedCredential], error) {
	if _, err := e.hosted(p.OrgID); err != nil {
		return nil, err
	}
	if q.Type != "" && !q.Type.Valid() {
		return nil, invalidField("type", fmt.Sprintf("%q is not a credential type", q.Type))
	}
	prefix := prefixOrgCreds(p.OrgID)
	if q.LearnerID != "" {
		if !eduledger.ValidLocalID(q.LearnerID) {
			return nil, invalidField("learnerId", "is not a learner ID")
		}
		prefix = prefixLearnerCreds(p.OrgID, q.LearnerID)
	}
	out := &Page[IssuedCredential]{Items: []IssuedCredential{}}
	batches := map[string]*batchRecord{}
	next, err := e.store.scan(prefix, q.PageToken, pageSizeOf(q.PageSize), func(k string, _ []byte) (bool, error) {
		var rec credRecord
		ok, err := e.store.get(keyCred(idFromIndexKey(k)), &rec)
		if err != nil || !ok {
			return false, err
		}
		if (q.Type != "" && rec.Type != q.Type) || (q.JobID != "" && rec.Job != q.JobID) {
			return false, nil
		}
		var b *batchRecord
		if rec.Job != "" {
			bk := keyBatch(rec.Job, rec.Batch)
			if b = batches[bk]; b == nil {
				b = new(batchRecord)
				if _, err := e.store.get(bk, b); err != nil {
					return false, err
				}
				batches[bk] = b
			}
		}
		out.Items = append(out.Items, *e.view(&rec, b))
		return true, nil
	})
	out.NextPageToken = next
	return out, err
}

// ChangeStatus suspends, reinstates or revokes a credential, as p: the chaincode decides whether p
// may (the issuing organisation's registrar or admin; for revocation also the governing admin).
// For a credential issued in a batch the service supplies its batch root. Errors: INVALID,
// NOT_FOUND, FORBIDDEN (another organisation's credential, wrong role), CONFLICT (already in that
// status, or revoked), UNAVAILABLE.
func (e *Engine) ChangeStatus(ctx context.Context, p Principal, id string, req StatusRequest) (*IssuedCredential, error) {
	change := eduledger.StatusChange{CredentialID: id, Status: req.Status, Reason: req.Reason, Note: req.Note}
	if err := change.Validate(); err != nil {
		return nil, err
	}
	cl, _, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	rec, b, err := e.loadCredential(id)
	known := err == nil
	switch {
	case known && rec.Job != "":
		if b.State != batchAnchored || b.Root != rec.Root {
			return nil, eduledger.Errorf(eduledger.ENOTFOUND, "credential %s is not anchored", id)
		}
		change.BatchRoot = rec.Root
	case known && rec.State != stateAnchored:
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "credential %s is not anchored", id)
	case eduledger.ErrorCode(err) == eduledger.ENOTFOUND:
		// Issued elsewhere (another service, or before this one): the ledger knows it.
		onLedger, lerr := e.reader.GetCredential(ctx, id)
		if lerr != nil {
			return nil, lerr
		}
		change.BatchRoot = onLedger.BatchRoot
	case err != nil:
		return nil, err
	}
	got, err := cl.ChangeCredentialStatus(ctx, &change)
	if err != nil {
		return nil, err
	}
	if !known {
		v := &IssuedCredential{ID: got.ID, Type: got.Type, IssuerID: got.IssuerID, LearnerID: got.LearnerID, Digest: got.Digest,
			BatchRoot: got.BatchRoot, IssuedAt: got.IssuedAt, ValidUntil: got.ValidUntil, AnchoredAt: got.AnchoredAt, TxID: got.TxID,
			Status: got.Status, StatusReason: got.StatusReason, StatusNote: got.StatusNote, StatusChangedAt: got.StatusChangedAt,
			VerificationLink: verifier.Link(e.cfg.VerifierURL, got.ID, got.Digest, got.BatchRoot)}
		return v, nil
	}
	rec.Status, rec.StatusReason, rec.StatusNote, rec.StatusChangedAt = got.Status, got.StatusReason, got.StatusNote, got.StatusChangedAt
	if err := e.store.put(keyCred(id), rec, true); err != nil {
		return nil, err
	}
	return e.view(rec, b), nil
}

// applyStatus records a status change seen on the ledger (made by anyone) for a credential the
// service issued.
func (e *Engine) applyStatus(a *eduledger.CredentialAnchor) error {
	var rec credRecord
	ok, err := e.store.get(keyCred(a.ID), &rec)
	if err != nil || !ok {
		return err
	}
	if !rec.StatusChangedAt.IsZero() && !a.StatusChangedAt.After(rec.StatusChangedAt) {
		return nil
	}
	rec.Status, rec.StatusReason, rec.StatusNote, rec.StatusChangedAt = a.Status, a.StatusReason, a.StatusNote, a.StatusChangedAt
	return e.store.put(keyCred(a.ID), &rec, false)
}

// requireActiveLearner checks that a learner is registered and active (a credential anchored alone
// is refused by the chaincode otherwise; a batch anchor is not, so the service checks). Errors:
// INVALID naming field, CONFLICT for a suspended learner.
func (e *Engine) requireActiveLearner(ctx context.Context, learnerID, field string) error {
	st, ok, err := e.learnerStatus(ctx, learnerID)
	if err != nil {
		return err
	}
	if !ok {
		return invalidField(field, fmt.Sprintf("learner %s is not registered", learnerID))
	}
	if st != eduledger.LearnerActive {
		return eduledger.Errorf(eduledger.ECONFLICT, "learner %s is suspended", learnerID)
	}
	return nil
}
