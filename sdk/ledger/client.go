package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/eduledger/eduledger"
)

// Client is EduLedger's typed chaincode client: one method per chaincode transaction, domain types
// in and out, over any Ledger backend. Methods that change the ledger submit and return once the
// transaction is committed; the others evaluate against committed state.
//
// Every error carries an EduLedger code (eduledger.ErrorCode). Each method's documentation lists
// the codes the chaincode gives it; on top of those, any method may return UNAVAILABLE (the ledger
// could not be reached or ctx ended; for a submission the outcome is then unknown) and a submission
// may return CONFLICT or FORBIDDEN with a *CommitError when it was invalidated at commit (for
// example MVCC_READ_CONFLICT after a concurrent change of the same record).
type Client struct {
	l Ledger
}

// NewClient returns a Client that sends its transactions through l.
func NewClient(l Ledger) *Client { return &Client{l: l} }

// Ledger returns the connection the client uses.
func (c *Client) Ledger() Ledger { return c.l }

// InitLedger fixes the governing organisation; the caller must be an admin of it, from its MSP.
// Errors: INVALID, FORBIDDEN, CONFLICT once the ledger is initialised.
func (c *Client) InitLedger(ctx context.Context, governing *eduledger.Organization) (*eduledger.Organization, error) {
	return submit[eduledger.Organization](ctx, c, "InitLedger", nil, governing)
}

// GetGoverningOrganization returns the organisation that governs the channel. Errors: NOT_FOUND
// before InitLedger.
func (c *Client) GetGoverningOrganization(ctx context.Context) (*eduledger.Organization, error) {
	return evaluate[eduledger.Organization](ctx, c, "GetGoverningOrganization")
}

// AdmitOrganization registers an organisation (caller: governing admin). Errors: INVALID,
// FORBIDDEN, CONFLICT when the ID is taken.
func (c *Client) AdmitOrganization(ctx context.Context, org *eduledger.Organization) (*eduledger.Organization, error) {
	return submit[eduledger.Organization](ctx, c, "AdmitOrganization", nil, org)
}

// UpdateOrganization changes an organisation's names and region (caller: governing admin).
// Errors: INVALID, FORBIDDEN, NOT_FOUND.
func (c *Client) UpdateOrganization(ctx context.Context, update *eduledger.OrganizationUpdate) (*eduledger.Organization, error) {
	return submit[eduledger.Organization](ctx, c, "UpdateOrganization", nil, update)
}

// SuspendOrganization suspends an organisation for a reason (caller: governing admin). Errors:
// INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when already suspended or it is the governing one.
func (c *Client) SuspendOrganization(ctx context.Context, orgID, reason string) (*eduledger.Organization, error) {
	return submit[eduledger.Organization](ctx, c, "SuspendOrganization", nil, orgID, reason)
}

// ReinstateOrganization lets a suspended organisation act again (caller: governing admin).
// Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when it is not suspended.
func (c *Client) ReinstateOrganization(ctx context.Context, orgID string) (*eduledger.Organization, error) {
	return submit[eduledger.Organization](ctx, c, "ReinstateOrganization", nil, orgID)
}

// GetOrganization returns a registered organisation. Errors: INVALID, NOT_FOUND.
func (c *Client) GetOrganization(ctx context.Context, orgID string) (*eduledger.Organization, error) {
	return evaluate[eduledger.Organization](ctx, c, "GetOrganization", orgID)
}

// ListOrganizations returns a page of organisations in ID order; pass the returned bookmark for
// the next page ("" for the first). Errors: INVALID.
func (c *Client) ListOrganizations(ctx context.Context, pageSize int, bookmark string) (*eduledger.Page[eduledger.Organization], error) {
	return evaluate[eduledger.Page[eduledger.Organization]](ctx, c, "ListOrganizations", strconv.Itoa(pageSize), bookmark)
}

// GetOrganizationHistory returns every version of an organisation, newest first. Errors: INVALID,
// NOT_FOUND.
func (c *Client) GetOrganizationHistory(ctx context.Context, orgID string) ([]eduledger.HistoryEntry[eduledger.Organization], error) {
	return evaluateList[eduledger.HistoryEntry[eduledger.Organization]](ctx, c, "GetOrganizationHistory", orgID)
}

// GrantAccreditation accredits an organisation for a credential type in a time window (caller:
// governing admin); the result carries the ID the ledger assigned. Errors: INVALID, FORBIDDEN,
// NOT_FOUND when the organisation is not registered.
func (c *Client) GrantAccreditation(ctx context.Context, a *eduledger.Accreditation) (*eduledger.Accreditation, error) {
	return submit[eduledger.Accreditation](ctx, c, "GrantAccreditation", nil, a)
}

// WithdrawAccreditation ends an accreditation now, keeping its record (caller: governing admin).
// Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when already withdrawn.
func (c *Client) WithdrawAccreditation(ctx context.Context, orgID, accreditationID, reason string) (*eduledger.Accreditation, error) {
	return submit[eduledger.Accreditation](ctx, c, "WithdrawAccreditation", nil, orgID, accreditationID, reason)
}

// ListAccreditations returns a page of an organisation's accreditations, current and past.
// Errors: INVALID, NOT_FOUND.
func (c *Client) ListAccreditations(ctx context.Context, orgID string, pageSize int, bookmark string) (*eduledger.Page[eduledger.Accreditation], error) {
	return evaluate[eduledger.Page[eduledger.Accreditation]](ctx, c, "ListAccreditations", orgID, strconv.Itoa(pageSize), bookmark)
}

// CheckAccreditation answers whether an organisation was accredited for a credential type at a
// time (the zero time means now, by the ledger's clock). Errors: INVALID, NOT_FOUND.
func (c *Client) CheckAccreditation(ctx context.Context, orgID string, ct eduledger.CredentialType, at time.Time) (*eduledger.AccreditationCheck, error) {
	return evaluate[eduledger.AccreditationCheck](ctx, c, "CheckAccreditation", orgID, string(ct), formatTime(at))
}

// GetAccreditationHistory returns every version of an accreditation, newest first. Errors:
// INVALID, NOT_FOUND.
func (c *Client) GetAccreditationHistory(ctx context.Context, orgID, accreditationID string) ([]eduledger.HistoryEntry[eduledger.Accreditation], error) {
	return evaluateList[eduledger.HistoryEntry[eduledger.Accreditation]](ctx, c, "GetAccreditationHistory", orgID, accreditationID)
}

// RegisterIssuerKey publishes a verification key of the caller's organisation (caller: its
// admin). Errors: INVALID, FORBIDDEN, CONFLICT when the key ID is taken.
func (c *Client) RegisterIssuerKey(ctx context.Context, k *eduledger.IssuerKey) (*eduledger.IssuerKey, error) {
	return submit[eduledger.IssuerKey](ctx, c, "RegisterIssuerKey", nil, k)
}

// RotateIssuerKey retires previousKeyID now and registers next in its place (caller: the
// organisation's admin). Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when the previous key is
// already rotated or revoked or the new ID is taken.
func (c *Client) RotateIssuerKey(ctx context.Context, previousKeyID string, next *eduledger.IssuerKey) (*eduledger.KeyRotation, error) {
	return submit[eduledger.KeyRotation](ctx, c, "RotateIssuerKey", nil, previousKeyID, next)
}

// RevokeIssuerKey marks a key compromised from revokedAt, which must not be in the future
// (caller: the organisation's admin). Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when it is
// already revoked from that time or earlier.
func (c *Client) RevokeIssuerKey(ctx context.Context, orgID, keyID string, revokedAt time.Time) (*eduledger.IssuerKey, error) {
	return submit[eduledger.IssuerKey](ctx, c, "RevokeIssuerKey", nil, orgID, keyID, formatTime(revokedAt))
}

// GetIssuerKey returns a registered key. Errors: INVALID, NOT_FOUND.
func (c *Client) GetIssuerKey(ctx context.Context, orgID, keyID string) (*eduledger.IssuerKey, error) {
	return evaluate[eduledger.IssuerKey](ctx, c, "GetIssuerKey", orgID, keyID)
}

// ListIssuerKeys returns a page of an organisation's keys, current and retired. Errors: INVALID,
// NOT_FOUND.
func (c *Client) ListIssuerKeys(ctx context.Context, orgID string, pageSize int, bookmark string) (*eduledger.Page[eduledger.IssuerKey], error) {
	return evaluate[eduledger.Page[eduledger.IssuerKey]](ctx, c, "ListIssuerKeys", orgID, strconv.Itoa(pageSize), bookmark)
}

// RegisterLearner creates an education identity. The personal data travels only in the transient
// map and is kept in the caller's MSP's private collection; l.PersonalDataCommitment must equal
// personal.Commitment(). Caller: a registrar or admin of a SCHOOL, TRAINING or GOVERNMENT
// organisation. Errors: INVALID, FORBIDDEN, CONFLICT when the learner ID is taken.
func (c *Client) RegisterLearner(ctx context.Context, l *eduledger.Learner, personal *eduledger.PersonalData) (*eduledger.Learner, error) {
	p, err := json.Marshal(personal)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "personal data: %w", err)
	}
	return submit[eduledger.Learner](ctx, c, "RegisterLearner", map[string][]byte{eduledger.TransientPersonalData: p}, l)
}

// GetLearner returns the public part of a learner's identity. Errors: INVALID, NOT_FOUND.
func (c *Client) GetLearner(ctx context.Context, learnerID string) (*eduledger.Learner, error) {
	return evaluate[eduledger.Learner](ctx, c, "GetLearner", learnerID)
}

// GetPersonalData returns a learner's personal data from the caller's MSP's private collection.
// Caller: a registrar or admin of the organisation that registered the learner. Errors: INVALID,
// FORBIDDEN, NOT_FOUND, CONFLICT when the data held no longer matches the commitment.
func (c *Client) GetPersonalData(ctx context.Context, learnerID string) (*eduledger.PersonalData, error) {
	return evaluate[eduledger.PersonalData](ctx, c, "GetPersonalData", learnerID)
}

// UpdateLearnerRoles replaces an active learner's roles (caller: registrar or admin of the
// registering organisation). Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when suspended.
func (c *Client) UpdateLearnerRoles(ctx context.Context, learnerID string, roles []eduledger.LearnerRole) (*eduledger.Learner, error) {
	return submit[eduledger.Learner](ctx, c, "UpdateLearnerRoles", nil, learnerID, roles)
}

// UpdateLearnerHolderKeys replaces an active learner's holder keys (caller: registrar or admin of
// the registering organisation). Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when suspended.
func (c *Client) UpdateLearnerHolderKeys(ctx context.Context, learnerID string, holderKeys []string) (*eduledger.Learner, error) {
	if holderKeys == nil {
		holderKeys = []string{}
	}
	return submit[eduledger.Learner](ctx, c, "UpdateLearnerHolderKeys", nil, learnerID, holderKeys)
}

// SuspendLearner suspends an education identity for a reason (caller: registrar or admin of the
// registering organisation). Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when already
// suspended.
func (c *Client) SuspendLearner(ctx context.Context, learnerID, reason string) (*eduledger.Learner, error) {
	return submit[eduledger.Learner](ctx, c, "SuspendLearner", nil, learnerID, reason)
}

// ReinstateLearner reactivates a suspended education identity (caller: registrar or admin of the
// registering organisation). Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when not suspended.
func (c *Client) ReinstateLearner(ctx context.Context, learnerID string) (*eduledger.Learner, error) {
	return submit[eduledger.Learner](ctx, c, "ReinstateLearner", nil, learnerID)
}

// GetLearnerHistory returns every version of a learner's public identity, newest first. Errors:
// INVALID, NOT_FOUND.
func (c *Client) GetLearnerHistory(ctx context.Context, learnerID string) ([]eduledger.HistoryEntry[eduledger.Learner], error) {
	return evaluateList[eduledger.HistoryEntry[eduledger.Learner]](ctx, c, "GetLearnerHistory", learnerID)
}

// AnchorCredential anchors one signed credential by its digest. Caller: an issuer or registrar of
// the issuing organisation, ACTIVE and accredited for the type now; the learner must be registered
// and ACTIVE. Errors: INVALID, FORBIDDEN (also when not accredited), NOT_FOUND when the learner is
// unknown, CONFLICT when the learner is suspended or the ID or digest is already anchored.
func (c *Client) AnchorCredential(ctx context.Context, a *eduledger.CredentialAnchor) (*eduledger.CredentialAnchor, error) {
	return submit[eduledger.CredentialAnchor](ctx, c, "AnchorCredential", nil, a)
}

// AnchorBatch anchors the Merkle root of a batch of credentials. Caller and checks as for
// AnchorCredential, without the learner. Errors: INVALID, FORBIDDEN, CONFLICT when the root is
// already anchored.
func (c *Client) AnchorBatch(ctx context.Context, b *eduledger.BatchAnchor) (*eduledger.BatchAnchor, error) {
	return submit[eduledger.BatchAnchor](ctx, c, "AnchorBatch", nil, b)
}

// ChangeCredentialStatus suspends, reactivates or revokes a credential (for a batch member, name
// the batch root). Caller: registrar or admin of the issuing organisation; for REVOKED also the
// governing organisation's admin. Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when already in
// that status, revoked, or not in the named batch.
func (c *Client) ChangeCredentialStatus(ctx context.Context, change *eduledger.StatusChange) (*eduledger.CredentialAnchor, error) {
	return submit[eduledger.CredentialAnchor](ctx, c, "ChangeCredentialStatus", nil, change)
}

// GetCredential returns a credential's record. Errors: INVALID, NOT_FOUND.
func (c *Client) GetCredential(ctx context.Context, credentialID string) (*eduledger.CredentialAnchor, error) {
	return evaluate[eduledger.CredentialAnchor](ctx, c, "GetCredential", credentialID)
}

// GetCredentialByDigest returns the record of the credential anchored with a digest. Errors:
// INVALID, NOT_FOUND.
func (c *Client) GetCredentialByDigest(ctx context.Context, digest string) (*eduledger.CredentialAnchor, error) {
	return evaluate[eduledger.CredentialAnchor](ctx, c, "GetCredentialByDigest", digest)
}

// GetCredentialStatus returns a credential's record or, for a batch member without one, a record
// derived from its batch (batchRoot may be "" for a credential anchored on its own). It does not
// check Merkle inclusion; the verifier does. Errors: INVALID, NOT_FOUND, CONFLICT when the record
// names another batch.
func (c *Client) GetCredentialStatus(ctx context.Context, credentialID, batchRoot string) (*eduledger.CredentialAnchor, error) {
	return evaluate[eduledger.CredentialAnchor](ctx, c, "GetCredentialStatus", credentialID, batchRoot)
}

// GetBatch returns a batch anchor by its root. Errors: INVALID, NOT_FOUND.
func (c *Client) GetBatch(ctx context.Context, root string) (*eduledger.BatchAnchor, error) {
	return evaluate[eduledger.BatchAnchor](ctx, c, "GetBatch", root)
}

// ListCredentialsByLearner returns a page of the credentials anchored to a learner. Errors:
// INVALID, NOT_FOUND.
func (c *Client) ListCredentialsByLearner(ctx context.Context, learnerID string, pageSize int, bookmark string) (*eduledger.Page[eduledger.CredentialAnchor], error) {
	return evaluate[eduledger.Page[eduledger.CredentialAnchor]](ctx, c, "ListCredentialsByLearner", learnerID, strconv.Itoa(pageSize), bookmark)
}

// ListCredentialsByIssuer returns a page of the credentials an organisation anchored and of its
// batch members' status records. Errors: INVALID, NOT_FOUND.
func (c *Client) ListCredentialsByIssuer(ctx context.Context, issuerID string, pageSize int, bookmark string) (*eduledger.Page[eduledger.CredentialAnchor], error) {
	return evaluate[eduledger.Page[eduledger.CredentialAnchor]](ctx, c, "ListCredentialsByIssuer", issuerID, strconv.Itoa(pageSize), bookmark)
}

// GetCredentialHistory returns every version of a credential's record, newest first. Errors:
// INVALID, NOT_FOUND.
func (c *Client) GetCredentialHistory(ctx context.Context, credentialID string) ([]eduledger.HistoryEntry[eduledger.CredentialAnchor], error) {
	return evaluateList[eduledger.HistoryEntry[eduledger.CredentialAnchor]](ctx, c, "GetCredentialHistory", credentialID)
}

// submit sends a transaction that changes the ledger and decodes its result.
func submit[T any](ctx context.Context, c *Client, fn string, transient map[string][]byte, args ...any) (*T, error) {
	sargs, err := encodeArgs(fn, args)
	if err != nil {
		return nil, err
	}
	r, err := c.l.Submit(ctx, &Transaction{Function: fn, Args: sargs, Transient: transient})
	if err != nil {
		return nil, err
	}
	return decodeResult[T](fn, r.Result)
}

// evaluate runs a read-only transaction and decodes its result.
func evaluate[T any](ctx context.Context, c *Client, fn string, args ...string) (*T, error) {
	b, err := c.l.Evaluate(ctx, &Transaction{Function: fn, Args: args})
	if err != nil {
		return nil, err
	}
	return decodeResult[T](fn, b)
}

// evaluateList is evaluate for results that are JSON arrays; it never returns a nil slice
// without an error.
func evaluateList[T any](ctx context.Context, c *Client, fn string, args ...string) ([]T, error) {
	out, err := evaluate[[]T](ctx, c, fn, args...)
	if err != nil {
		return nil, err
	}
	if *out == nil {
		return []T{}, nil
	}
	return *out, nil
}

// encodeArgs turns arguments into the chaincode's string form: strings as they are, everything
// else as JSON.
func encodeArgs(fn string, args []any) ([]string, error) {
	out := make([]string, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok {
			out[i] = s
			continue
		}
		b, err := json.Marshal(a)
		if err != nil {
			return nil, eduledger.Errorf(eduledger.EINVALID, "%s: argument %d: %w", fn, i+1, err)
		}
		if string(b) == "null" {
			return nil, eduledger.Errorf(eduledger.EINVALID, "%s: argument %d is missing", fn, i+1)
		}
		out[i] = string(b)
	}
	return out, nil
}

func decodeResult[T any](fn string, b []byte) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, &eduledger.Error{Code: eduledger.EINTERNAL, Message: "the ledger returned a result the client cannot read",
			Err: fmt.Errorf("ledger: decode %s result: %w", fn, err)}
	}
	return v, nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
