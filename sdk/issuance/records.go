package issuance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// RecordRequest asks to record one learning outcome in a learner's lifelong archive (一生一码): a
// course completed, an exam passed, a placement, an award, a training course. The summary goes on
// the shared ledger; Detail (result, assessment, evidence, notes) goes to the ledger only in the
// transient map and is kept only in the recording organisation's private data collection, with
// its salted digest on the ledger. The recording organisation is the token's. ID defaults to a
// fresh urn:uuid.
type RecordRequest struct {
	ID        string               `json:"id,omitempty"`
	LearnerID string               `json:"learnerId"`
	Kind      eduledger.RecordKind `json:"kind"`
	Title     eduledger.Name       `json:"title"`
	Code      string               `json:"code,omitempty"`
	Field     string               `json:"field"`
	Level     int                  `json:"level"`
	Hours     int                  `json:"hours,omitempty"`
	// CreditsClaimed is what the issuer says the outcome is worth, in thousandths of a credit
	// (informational: a deposit's amount comes from a conversion rule).
	CreditsClaimed int64 `json:"creditsClaimed,omitempty"`
	// Date is when the outcome was achieved (RFC 3339).
	Date   time.Time    `json:"date"`
	Detail RecordDetail `json:"detail,omitzero"`
}

// RecordDetail is the private part of a learning outcome. It may hold personal data (a grade is
// personal), so it never reaches the shared ledger.
type RecordDetail struct {
	Result     string   `json:"result,omitempty"`
	Assessment string   `json:"assessment,omitempty"`
	Evidence   []string `json:"evidence,omitempty"`
	Notes      string   `json:"notes,omitempty"`
}

// LearningRecord is a learning record's public summary from the ledger and, for the recording
// organisation when it asked, the full record (with the salt that lets the learner prove it
// against the digest).
type LearningRecord struct {
	eduledger.LearningRecord
	Detail *eduledger.LearningRecordDetail `json:"detail,omitempty"`
}

// recordFields are the request members INVALID messages of eduledger.LearningRecord name.
var recordFields = []string{"id", "learnerId", "issuerId", "kind", "title", "code", "field", "level", "hours", "creditsClaimed", "date", "digest"}

// RecordOutcome records a learning outcome as p, for p's organisation: the chaincode requires an
// issuer or registrar of a SCHOOL, ENTERPRISE or TRAINING organisation accredited now for the
// kind's credential type, and an ACTIVE learner. With an idempotency key a retry returns the
// record instead of CONFLICT, also when the first attempt was cut off after the ledger committed
// it. Errors: INVALID (naming the field), FORBIDDEN, NOT_FOUND (learner), CONFLICT (suspended
// learner, ID taken), UNAVAILABLE.
func (e *Engine) RecordOutcome(ctx context.Context, p Principal, req RecordRequest, idemKey string) (*LearningRecord, error) {
	return idempotent(ctx, e, p, idemKey, "record.create", req, func(ctx context.Context, call *idemCall) (*LearningRecord, error) {
		cl, _, err := e.client(ctx, p)
		if err != nil {
			return nil, err
		}
		id := req.ID
		if call.resuming {
			id = call.rec.Ref
			if r, ok := e.recordedBefore(ctx, cl, p, id, req.LearnerID); ok {
				return r, nil
			}
		}
		if id == "" {
			if id, err = credential.NewID(); err != nil {
				return nil, fmt.Errorf("issuance: record ID: %w", err)
			}
		}
		r, d, err := prepareRecord(req, id, p.OrgID)
		if err != nil {
			return nil, err
		}
		if err := call.bind(id); err != nil {
			return nil, err
		}
		got, err := cl.RecordLearningOutcome(ctx, r, d)
		if err != nil {
			if call.key != "" && eduledger.ErrorCode(err) == eduledger.ECONFLICT {
				// An earlier attempt under this key may have committed meanwhile.
				if r, ok := e.recordedBefore(ctx, cl, p, id, req.LearnerID); ok {
					return r, nil
				}
			}
			return nil, err
		}
		return &LearningRecord{LearningRecord: *got, Detail: d}, nil
	})
}

// recordedBefore returns the record id when the ledger holds it from p's organisation for the
// learner, with its full record.
func (e *Engine) recordedBefore(ctx context.Context, cl *ledger.Client, p Principal, id, learnerID string) (*LearningRecord, bool) {
	if id == "" {
		return nil, false
	}
	r, err := cl.GetLearningRecord(ctx, id)
	if err != nil || r.IssuerID != p.OrgID || r.LearnerID != learnerID {
		return nil, false
	}
	out := &LearningRecord{LearningRecord: *r}
	if d, err := cl.GetLearningRecordDetail(ctx, id); err == nil {
		out.Detail = d
	}
	return out, true
}

// prepareRecord turns a request into the public summary and the full record, with a fresh salt.
func prepareRecord(req RecordRequest, id, orgID string) (*eduledger.LearningRecord, *eduledger.LearningRecordDetail, error) {
	var salt [32]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return nil, nil, fmt.Errorf("issuance: salt: %w", err)
	}
	d := &eduledger.LearningRecordDetail{RecordID: id, LearnerID: req.LearnerID, Result: strings.TrimSpace(req.Detail.Result),
		Assessment: strings.TrimSpace(req.Detail.Assessment), Evidence: req.Detail.Evidence, Notes: strings.TrimSpace(req.Detail.Notes),
		Salt: hex.EncodeToString(salt[:])}
	r := &eduledger.LearningRecord{ID: id, LearnerID: req.LearnerID, IssuerID: orgID, Kind: req.Kind,
		Title: eduledger.Name{Zh: strings.TrimSpace(req.Title.Zh), En: strings.TrimSpace(req.Title.En)}, Code: req.Code,
		Field: req.Field, Level: req.Level, Hours: req.Hours, CreditsClaimed: req.CreditsClaimed, Date: req.Date.UTC()}
	if err := d.Validate(); err != nil {
		msg := strings.TrimPrefix(eduledger.ErrorMessage(err), "record detail: ")
		return nil, nil, asFieldError(eduledger.Errorf(eduledger.EINVALID, "%s", msg), "/detail", "result", "assessment", "notes", "evidence")
	}
	r.Digest = d.Digest()
	if err := r.Validate(); err != nil {
		return nil, nil, asFieldError(err, "", recordFields...)
	}
	return r, d, nil
}

// GetRecord returns a learning record's public summary and, with detail set, its full record from
// the private data collection (the chaincode gives it only to staff of the recording
// organisation). Errors: INVALID, NOT_FOUND, FORBIDDEN (the full record of another
// organisation's record), UNAVAILABLE.
func (e *Engine) GetRecord(ctx context.Context, p Principal, id string, detail bool) (*LearningRecord, error) {
	if !eduledger.ValidCredentialID(id) {
		return nil, invalidField("id", "is not a learning record ID")
	}
	cl, _, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	r, err := cl.GetLearningRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &LearningRecord{LearningRecord: *r}
	if detail {
		if out.Detail, err = cl.GetLearningRecordDetail(ctx, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ListRecords returns a page of the learning records p's organisation recorded, in ID order.
// Errors: INVALID (a bad page token), UNAVAILABLE.
func (e *Engine) ListRecords(ctx context.Context, p Principal, pageSize int, pageToken string) (*Page[eduledger.LearningRecord], error) {
	cl, _, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	return ledgerPage(cl.ListLearningRecordsByIssuer(ctx, p.OrgID, pageSizeOf(pageSize), pageToken))
}

// RevokeRecord revokes a learning record for a reason code (not REINSTATED); revocation is final
// and blocks the credits deposited from it. Caller: a registrar or admin of the recording
// organisation, or the governing organisation's admin. Errors: INVALID, FORBIDDEN, NOT_FOUND,
// CONFLICT (already revoked), UNAVAILABLE.
func (e *Engine) RevokeRecord(ctx context.Context, p Principal, id, reason string) (*eduledger.LearningRecord, error) {
	switch {
	case !eduledger.ValidCredentialID(id):
		return nil, invalidField("id", "is not a learning record ID")
	case !slices.Contains(eduledger.ReasonCodes, reason) || reason == eduledger.ReasonReinstated:
		return nil, invalidField("/reason", "must be a reason code: ISSUED_IN_ERROR, FRAUD, SUPERSEDED, DISCIPLINARY, KEY_COMPROMISE, UNDER_REVIEW or OTHER")
	}
	cl, _, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	return cl.RevokeLearningRecord(ctx, id, reason)
}

// Archive returns a page of a learner's lifelong archive — learning records and credentials
// anchored to the learner — in the order of the outcomes. It is public on the ledger; the issuer
// service shows it to any staff of a hosted organisation. Errors: INVALID, NOT_FOUND, UNAVAILABLE.
func (e *Engine) Archive(ctx context.Context, p Principal, learnerID string, pageSize int, pageToken string) (*Page[eduledger.ArchiveItem], error) {
	if !eduledger.ValidLocalID(learnerID) {
		return nil, invalidField("learnerId", "is not a learner ID")
	}
	cl, _, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	return ledgerPage(cl.GetLearnerArchive(ctx, learnerID, pageSizeOf(pageSize), pageToken))
}

// ledgerPage turns a ledger page (bookmark) into a service page (next page token).
func ledgerPage[T any](p *eduledger.Page[T], err error) (*Page[T], error) {
	if err != nil {
		return nil, err
	}
	out := &Page[T]{Items: p.Items, NextPageToken: p.Bookmark}
	if out.Items == nil {
		out.Items = []T{}
	}
	return out, nil
}

// fieldPath matches the field a domain INVALID message starts with: "level", "parts[2].amount",
// "qualification.name.zh".
var fieldPath = regexp.MustCompile(`^([a-z][A-Za-z]*)((?:\[[0-9]+\]|\.[a-z][A-Za-z]*)*)(?:\s|$)`)

// asFieldError turns an INVALID error of a domain type's Validate, whose message starts with the
// member it is about, into a field error under prefix (a JSON pointer), so that clients see which
// member of their request is wrong. Messages about no single member of fields stay as they are.
func asFieldError(err error, prefix string, fields ...string) error {
	if eduledger.ErrorCode(err) != eduledger.EINVALID {
		return err
	}
	msg := eduledger.ErrorMessage(err)
	m := fieldPath.FindStringSubmatch(msg)
	if m == nil || !slices.Contains(fields, m[1]) {
		return err
	}
	path := m[1] + m[2]
	path = strings.NewReplacer("[", "/", "]", "", ".", "/").Replace(path)
	return invalidField(prefix+"/"+path, strings.TrimSpace(msg[len(m[1])+len(m[2]):]))
}
