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

// RecordLearningOutcome records a learning outcome in the learner's lifelong archive: the public
// summary r on the shared ledger, the full record only in the transient map and the caller's MSP's
// private collection; r.Digest must equal detail.Digest(). Caller: an issuer or registrar of
// r.IssuerID, a SCHOOL, ENTERPRISE or TRAINING organisation accredited now for
// r.Kind.AccreditationType(). Errors: INVALID, FORBIDDEN (also when not accredited), NOT_FOUND when
// the learner is unknown, CONFLICT when the learner is suspended or the ID or digest is taken.
func (c *Client) RecordLearningOutcome(ctx context.Context, r *eduledger.LearningRecord, detail *eduledger.LearningRecordDetail) (*eduledger.LearningRecord, error) {
	if detail == nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "RecordLearningOutcome: the full record is missing")
	}
	d, err := json.Marshal(detail)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "record detail: %w", err)
	}
	return submit[eduledger.LearningRecord](ctx, c, "RecordLearningOutcome", map[string][]byte{eduledger.TransientRecordDetail: d}, r)
}

// RevokeLearningRecord revokes a learning record for a reason code (not REINSTATED); credits
// deposited from it can no longer be used. Caller: a registrar or admin of the recording
// organisation, or the governing organisation's admin. Errors: INVALID, FORBIDDEN, NOT_FOUND,
// CONFLICT when already revoked.
func (c *Client) RevokeLearningRecord(ctx context.Context, recordID, reason string) (*eduledger.LearningRecord, error) {
	return submit[eduledger.LearningRecord](ctx, c, "RevokeLearningRecord", nil, recordID, reason)
}

// GetLearningRecord returns a learning record's public summary. Errors: INVALID, NOT_FOUND.
func (c *Client) GetLearningRecord(ctx context.Context, recordID string) (*eduledger.LearningRecord, error) {
	return evaluate[eduledger.LearningRecord](ctx, c, "GetLearningRecord", recordID)
}

// GetLearningRecordByDigest returns the learning record whose full record has this digest.
// Errors: INVALID, NOT_FOUND.
func (c *Client) GetLearningRecordByDigest(ctx context.Context, digest string) (*eduledger.LearningRecord, error) {
	return evaluate[eduledger.LearningRecord](ctx, c, "GetLearningRecordByDigest", digest)
}

// GetLearningRecordDetail returns a learning record's full record from the caller's MSP's private
// collection. Caller: staff of the recording organisation. Errors: INVALID, FORBIDDEN, NOT_FOUND,
// CONFLICT when the data held no longer matches the digest.
func (c *Client) GetLearningRecordDetail(ctx context.Context, recordID string) (*eduledger.LearningRecordDetail, error) {
	return evaluate[eduledger.LearningRecordDetail](ctx, c, "GetLearningRecordDetail", recordID)
}

// ListLearningRecordsByIssuer returns a page of the learning records an organisation recorded.
// Errors: INVALID, NOT_FOUND.
func (c *Client) ListLearningRecordsByIssuer(ctx context.Context, issuerID string, pageSize int, bookmark string) (*eduledger.Page[eduledger.LearningRecord], error) {
	return evaluate[eduledger.Page[eduledger.LearningRecord]](ctx, c, "ListLearningRecordsByIssuer", issuerID, strconv.Itoa(pageSize), bookmark)
}

// GetLearnerArchive returns a page of a learner's lifelong archive — learning records and
// credentials anchored to the learner — in the order of the outcomes. Errors: INVALID, NOT_FOUND.
func (c *Client) GetLearnerArchive(ctx context.Context, learnerID string, pageSize int, bookmark string) (*eduledger.Page[eduledger.ArchiveItem], error) {
	return evaluate[eduledger.Page[eduledger.ArchiveItem]](ctx, c, "GetLearnerArchive", learnerID, strconv.Itoa(pageSize), bookmark)
}

// PublishCreditRule publishes the next version of a conversion rule (version 1 for a new ID); the
// result carries the version the ledger assigned. A later version must apply to the same outcomes
// and take effect after the previous one and not in the past. Caller: governing admin. Errors:
// INVALID, FORBIDDEN, NOT_FOUND for an unregistered issuer, CONFLICT for a version that would
// change other outcomes or take effect too early.
func (c *Client) PublishCreditRule(ctx context.Context, r *eduledger.CreditRule) (*eduledger.CreditRule, error) {
	return submit[eduledger.CreditRule](ctx, c, "PublishCreditRule", nil, r)
}

// GetCreditRule returns a version of a conversion rule, the latest when version is 0. Errors:
// INVALID, NOT_FOUND.
func (c *Client) GetCreditRule(ctx context.Context, ruleID string, version int) (*eduledger.CreditRule, error) {
	return evaluate[eduledger.CreditRule](ctx, c, "GetCreditRule", ruleID, formatVersion(version))
}

// GetCreditRuleAt returns the version of a conversion rule in force at a time (the zero time
// means now, by the ledger's clock). Errors: INVALID, NOT_FOUND when the rule is unknown or none
// of its versions is in force then.
func (c *Client) GetCreditRuleAt(ctx context.Context, ruleID string, at time.Time) (*eduledger.CreditRule, error) {
	return evaluate[eduledger.CreditRule](ctx, c, "GetCreditRuleAt", ruleID, formatTime(at))
}

// ListCreditRules returns a page of every version of every conversion rule, by rule ID and
// version. Errors: INVALID.
func (c *Client) ListCreditRules(ctx context.Context, pageSize int, bookmark string) (*eduledger.Page[eduledger.CreditRule], error) {
	return evaluate[eduledger.Page[eduledger.CreditRule]](ctx, c, "ListCreditRules", strconv.Itoa(pageSize), bookmark)
}

// PublishRecognitionRule publishes the next version of a recognition rule, versioned like
// PublishCreditRule; the recogniser must be a SCHOOL or TRAINING organisation. Caller: governing
// admin. Errors: INVALID, FORBIDDEN, NOT_FOUND for an unregistered organisation, CONFLICT as for
// PublishCreditRule.
func (c *Client) PublishRecognitionRule(ctx context.Context, r *eduledger.RecognitionRule) (*eduledger.RecognitionRule, error) {
	return submit[eduledger.RecognitionRule](ctx, c, "PublishRecognitionRule", nil, r)
}

// GetRecognitionRule returns a version of a recognition rule, the latest when version is 0.
// Errors: INVALID, NOT_FOUND.
func (c *Client) GetRecognitionRule(ctx context.Context, ruleID string, version int) (*eduledger.RecognitionRule, error) {
	return evaluate[eduledger.RecognitionRule](ctx, c, "GetRecognitionRule", ruleID, formatVersion(version))
}

// GetRecognitionRuleAt returns the version of a recognition rule in force at a time (the zero time
// means now). Errors: INVALID, NOT_FOUND.
func (c *Client) GetRecognitionRuleAt(ctx context.Context, ruleID string, at time.Time) (*eduledger.RecognitionRule, error) {
	return evaluate[eduledger.RecognitionRule](ctx, c, "GetRecognitionRuleAt", ruleID, formatTime(at))
}

// ListRecognitionRules returns a page of every version of every recognition rule. Errors: INVALID.
func (c *Client) ListRecognitionRules(ctx context.Context, pageSize int, bookmark string) (*eduledger.Page[eduledger.RecognitionRule], error) {
	return evaluate[eduledger.Page[eduledger.RecognitionRule]](ctx, c, "ListRecognitionRules", strconv.Itoa(pageSize), bookmark)
}

// OpenCreditAccount opens a learner's credit account (caller: registrar or admin of the
// registering organisation). Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when the learner is
// suspended or the account is open already.
func (c *Client) OpenCreditAccount(ctx context.Context, learnerID string) (*eduledger.CreditAccount, error) {
	return submit[eduledger.CreditAccount](ctx, c, "OpenCreditAccount", nil, learnerID)
}

// GetCreditAccount returns a learner's credit account. Errors: INVALID, NOT_FOUND.
func (c *Client) GetCreditAccount(ctx context.Context, learnerID string) (*eduledger.CreditAccount, error) {
	return evaluate[eduledger.CreditAccount](ctx, c, "GetCreditAccount", learnerID)
}

// DepositCredits converts a learner's learning outcome into credits under a conversion rule; the
// amount, field and level come from the rule version in force at the outcome's date. Caller: an
// issuer or registrar of the outcome's issuer, or a registrar or admin of the learner's
// registering organisation. Errors: INVALID, FORBIDDEN (also for an issuer not accredited at the
// outcome's date), NOT_FOUND (outcome, learner, account, rule), CONFLICT (another learner's
// outcome, not ACTIVE, already deposited, no rule version in force, rule retired or not
// applicable).
func (c *Client) DepositCredits(ctx context.Context, d *eduledger.DepositRequest) (*eduledger.CreditEntry, error) {
	return submit[eduledger.CreditEntry](ctx, c, "DepositCredits", nil, d)
}

// RecognizeCredits has the caller's institution recognise credits of another institution's entry
// under a recognition rule that names it; it returns the original entry after the transfer and the
// new, recognised entry. Caller: a registrar or admin of the rule's recogniser. Errors: INVALID,
// FORBIDDEN, NOT_FOUND, CONFLICT (rule not in force or not applicable, too few credits left — also
// after losing a race for them — or the outcome is no longer ACTIVE).
func (c *Client) RecognizeCredits(ctx context.Context, r *eduledger.RecognitionRequest) (*eduledger.Recognition, error) {
	return submit[eduledger.Recognition](ctx, c, "RecognizeCredits", nil, r)
}

// RedeemCredits uses credits of entries the caller's institution holds toward a qualification it
// awards, all parts or none. Of several redemptions racing for the same credits exactly one
// commits; the others fail with CONFLICT. A redemption ID can be used once per learner, so a
// submission whose outcome is unknown (UNAVAILABLE) can be retried safely: CONFLICT then means
// it had committed. Caller: a registrar or admin of r.InstitutionID, a SCHOOL or TRAINING
// organisation. Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT.
func (c *Client) RedeemCredits(ctx context.Context, r *eduledger.Redemption) (*eduledger.Redemption, error) {
	return submit[eduledger.Redemption](ctx, c, "RedeemCredits", nil, r)
}

// GetCreditEntry returns one entry of a learner's account. Errors: INVALID, NOT_FOUND.
func (c *Client) GetCreditEntry(ctx context.Context, learnerID, entryID string) (*eduledger.CreditEntry, error) {
	return evaluate[eduledger.CreditEntry](ctx, c, "GetCreditEntry", learnerID, entryID)
}

// GetCreditEntryHistory returns every version of an entry, newest first: its creation and one
// version per use, whose LastUse names the redemption or recognition. Errors: INVALID, NOT_FOUND.
func (c *Client) GetCreditEntryHistory(ctx context.Context, learnerID, entryID string) ([]eduledger.HistoryEntry[eduledger.CreditEntry], error) {
	return evaluateList[eduledger.HistoryEntry[eduledger.CreditEntry]](ctx, c, "GetCreditEntryHistory", learnerID, entryID)
}

// ListCreditEntries returns a page of a learner's entries in the order they were made, each with
// what remains and what was redeemed or transferred. Errors: INVALID, NOT_FOUND when the learner
// has no account.
func (c *Client) ListCreditEntries(ctx context.Context, learnerID string, pageSize int, bookmark string) (*eduledger.Page[eduledger.CreditEntry], error) {
	return evaluate[eduledger.Page[eduledger.CreditEntry]](ctx, c, "ListCreditEntries", learnerID, strconv.Itoa(pageSize), bookmark)
}

// GetRedemption returns a learner's redemption. Errors: INVALID, NOT_FOUND.
func (c *Client) GetRedemption(ctx context.Context, learnerID, redemptionID string) (*eduledger.Redemption, error) {
	return evaluate[eduledger.Redemption](ctx, c, "GetRedemption", learnerID, redemptionID)
}

// ListRedemptions returns a page of a learner's redemptions. Errors: INVALID, NOT_FOUND when the
// learner has no account.
func (c *Client) ListRedemptions(ctx context.Context, learnerID string, pageSize int, bookmark string) (*eduledger.Page[eduledger.Redemption], error) {
	return evaluate[eduledger.Page[eduledger.Redemption]](ctx, c, "ListRedemptions", learnerID, strconv.Itoa(pageSize), bookmark)
}

// GetCreditStatement returns a learner's balances by field and level, over every entry or, when
// holderID is not empty, over the entries that institution holds. Errors: INVALID, NOT_FOUND when
// the learner has no account.
func (c *Client) GetCreditStatement(ctx context.Context, learnerID, holderID string) (*eduledger.CreditStatement, error) {
	return evaluate[eduledger.CreditStatement](ctx, c, "GetCreditStatement", learnerID, holderID)
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

// formatVersion writes a rule version argument: "" for 0, the latest.
func formatVersion(v int) string {
	if v == 0 {
		return ""
	}
	return strconv.Itoa(v)
}
