package verifier

import (
	"context"
	"time"

	"github.com/eduledger/eduledger"
)

// LearnerSummary is what a consented view says about the learner: the pseudonymous public record,
// never personal data (the ledger holds none).
type LearnerSummary struct {
	ID           string                  `json:"id"`
	Roles        []eduledger.LearnerRole `json:"roles"`
	Status       eduledger.LearnerStatus `json:"status"`
	RegisteredBy OrgSummary              `json:"registeredBy"`
	RegisteredAt time.Time               `json:"registeredAt"`
}

// OrgSummary names an organisation as the ledger registers it. Name is absent when the ledger
// could not be asked or does not know the organisation.
type OrgSummary struct {
	ID         string            `json:"id"`
	Name       *eduledger.Name   `json:"name,omitempty"`
	Kind       eduledger.OrgKind `json:"kind,omitempty"`
	RegionCode string            `json:"regionCode,omitempty"`
}

// ArchiveEntry is one outcome of a learner's lifelong archive: a learning record's public summary
// or a credential's anchor, with its status as of the check — for a credential past its validUntil
// that is EXPIRED, which the ledger never stores — and its issuer's registered names.
type ArchiveEntry struct {
	At         time.Time                   `json:"at"`
	Kind       string                      `json:"kind"`
	Status     string                      `json:"status"`
	Issuer     OrgSummary                  `json:"issuer"`
	Record     *eduledger.LearningRecord   `json:"record,omitempty"`
	Credential *eduledger.CredentialAnchor `json:"credential,omitempty"`
}

// Kinds of archive entry.
const (
	ArchiveRecord     = "record"
	ArchiveCredential = "credential"
)

// ConsentedArchive is a page of a learner's lifelong archive, shown under their consent.
type ConsentedArchive struct {
	Consent       *Consent       `json:"consent"`
	Learner       LearnerSummary `json:"learner"`
	Items         []ArchiveEntry `json:"items"`
	NextPageToken string         `json:"nextPageToken,omitempty"`
	CheckedAt     time.Time      `json:"checkedAt"`
}

// ConsentedStatement is a learner's credit statement, shown under their consent: balances by
// field and level over every entry or, when asked, over what one institution holds. Amounts are
// thousandths of a credit.
type ConsentedStatement struct {
	Consent   *Consent                   `json:"consent"`
	Learner   LearnerSummary             `json:"learner"`
	Statement *eduledger.CreditStatement `json:"statement"`
	CheckedAt time.Time                  `json:"checkedAt"`
}

// Archive shows a page of a learner's lifelong archive to whoever presents the learner's consent
// (CheckConsent with ScopeArchive), reading the ledger afresh. pageSize is 1 to
// eduledger.MaxPageSize (0: 50); pageToken is the previous page's NextPageToken. Errors: those of
// CheckConsent; INVALID for a bad page size or token; UNAVAILABLE.
func (v *Verifier) Archive(ctx context.Context, consent []byte, pageSize int, pageToken string) (*ConsentedArchive, error) {
	if pageSize < 0 || pageSize > eduledger.MaxPageSize {
		return nil, eduledger.Errorf(eduledger.EINVALID, "pageSize must be between 1 and %d", eduledger.MaxPageSize)
	}
	if pageSize == 0 {
		pageSize = 50
	}
	c, err := v.CheckConsent(ctx, consent, ScopeArchive)
	if err != nil {
		return nil, err
	}
	out := &ConsentedArchive{Consent: c, CheckedAt: v.o.now().UTC(), Items: []ArchiveEntry{}}
	orgs := map[string]OrgSummary{}
	if out.Learner, err = v.learnerSummary(ctx, c.LearnerID, orgs); err != nil {
		return nil, err
	}
	page, err := v.client.GetLearnerArchive(ctx, c.LearnerID, pageSize, pageToken)
	if err != nil {
		return nil, err
	}
	out.NextPageToken = page.Bookmark
	for _, it := range page.Items {
		e := ArchiveEntry{At: it.At, Record: it.Record, Credential: it.Credential}
		switch {
		case it.Record != nil:
			e.Kind, e.Status, e.Issuer = ArchiveRecord, string(it.Record.Status), v.orgSummary(ctx, it.Record.IssuerID, orgs)
		case it.Credential != nil:
			e.Kind, e.Status, e.Issuer = ArchiveCredential, string(it.Credential.Status), v.orgSummary(ctx, it.Credential.IssuerID, orgs)
			if it.Credential.Status == eduledger.StatusActive && !it.Credential.ValidUntil.IsZero() && !out.CheckedAt.Before(it.Credential.ValidUntil) {
				e.Status = string(eduledger.StatusExpired)
			}
		default:
			continue
		}
		out.Items = append(out.Items, e)
	}
	return out, nil
}

// Statement shows a learner's credit statement to whoever presents the learner's consent
// (CheckConsent with ScopeStatement), over every entry or, with holderID, over the entries that
// institution holds. Errors: those of CheckConsent; INVALID for a malformed holderID; NOT_FOUND
// when the learner has no credit account; UNAVAILABLE.
func (v *Verifier) Statement(ctx context.Context, consent []byte, holderID string) (*ConsentedStatement, error) {
	if holderID != "" && !eduledger.ValidOrgID(holderID) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "holderId %.70q is not an organisation ID", holderID)
	}
	c, err := v.CheckConsent(ctx, consent, ScopeStatement)
	if err != nil {
		return nil, err
	}
	out := &ConsentedStatement{Consent: c, CheckedAt: v.o.now().UTC()}
	if out.Learner, err = v.learnerSummary(ctx, c.LearnerID, map[string]OrgSummary{}); err != nil {
		return nil, err
	}
	st, err := v.client.GetCreditStatement(ctx, c.LearnerID, holderID)
	if eduledger.ErrorCode(err) == eduledger.ENOTFOUND {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "learner %s has no credit account", c.LearnerID)
	}
	if err != nil {
		return nil, err
	}
	out.Statement = st
	return out, nil
}

func (v *Verifier) learnerSummary(ctx context.Context, id string, orgs map[string]OrgSummary) (LearnerSummary, error) {
	l, err := v.view.learner(ctx, id)
	if err != nil {
		return LearnerSummary{}, err
	}
	return LearnerSummary{ID: l.ID, Roles: l.Roles, Status: l.Status, RegisteredAt: l.RegisteredAt,
		RegisteredBy: v.orgSummary(ctx, l.RegisteredBy, orgs)}, nil
}

// orgSummary names an organisation from the view's cache, remembering it for the rest of the page.
func (v *Verifier) orgSummary(ctx context.Context, id string, seen map[string]OrgSummary) OrgSummary {
	if s, ok := seen[id]; ok {
		return s
	}
	s := OrgSummary{ID: id}
	if h, err := v.view.organization(ctx, id); err == nil && h.current != nil {
		name := h.current.Name
		s.Name, s.Kind, s.RegionCode = &name, h.current.Kind, h.current.RegionCode
	}
	seen[id] = s
	return s
}
