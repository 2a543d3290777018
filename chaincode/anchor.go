package chaincode

import (
	"fmt"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/eduledger/eduledger"
)

// issuedAtTolerance is how far a credential's issuedAt may lie after the transaction time: the
// issuer service stamps issuedAt and then submits, and its clock may run slightly ahead of the
// clock that stamps the transaction.
const issuedAtTolerance = 5 * time.Minute

// AnchorCredential records one signed credential by its digest. Caller: an issuer or registrar of
// the issuing organisation (issuerId), which must be ACTIVE and accredited for the credential's type
// at the transaction time; the learner must be registered and ACTIVE; the credential ID and the
// digest must not be anchored yet. Errors: INVALID, FORBIDDEN (including "not accredited"),
// NOT_FOUND when the learner is not registered, CONFLICT when the learner is suspended or the ID or
// digest is taken.
func (c *Contract) AnchorCredential(ctx contractapi.TransactionContextInterface, a eduledger.CredentialAnchor) (*eduledger.CredentialAnchor, error) {
	stub := ctx.GetStub()
	now, err := anchorChecks(ctx, "anchor credentials", a.IssuerID, a.Type, a.IssuedAt, a.Validate)
	if err != nil {
		return nil, err
	}
	if a.BatchRoot != "" || a.Status != "" || a.StatusReason != "" || a.StatusNote != "" || !a.StatusChangedAt.IsZero() || !a.AnchoredAt.IsZero() || a.TxID != "" {
		return nil, eduledger.Errorf(eduledger.EINVALID, "batchRoot, status, statusReason, statusNote, statusChangedAt, anchoredAt and txId are set by the ledger; leave them out")
	}
	lk, err := key(typeLearner, a.LearnerID)
	if err != nil {
		return nil, err
	}
	// Only the status matters here; decoding just that field skips the rest of the record.
	var l struct {
		Status eduledger.LearnerStatus `json:"status"`
	}
	if ok, err := getJSON(stub, lk, &l); err != nil {
		return nil, err
	} else if !ok {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "learner %s is not registered", a.LearnerID)
	}
	if l.Status != eduledger.LearnerActive {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "learner %s is suspended; no credential can be anchored to it", a.LearnerID)
	}
	ck, err := key(typeCredential, a.ID)
	if err != nil {
		return nil, err
	}
	dk, err := key(typeCredByDigest, a.Digest)
	if err != nil {
		return nil, err
	}
	if b, err := stub.GetState(ck); err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	} else if b != nil {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "credential %s is already anchored", a.ID)
	}
	if b, err := stub.GetState(dk); err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	} else if b != nil {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "a credential with this digest is already anchored as %s", truncate(string(b), 200))
	}
	a.IssuedAt, a.ValidUntil = utc(a.IssuedAt), utc(a.ValidUntil)
	a.Status, a.AnchoredAt, a.TxID = eduledger.StatusActive, now, stub.GetTxID()
	payload, err := putJSON(stub, ck, &a)
	if err != nil {
		return nil, err
	}
	if err := stub.PutState(dk, []byte(a.ID)); err != nil {
		return nil, fmt.Errorf("write index: %w", err)
	}
	if err := putIndex(stub, typeCredByLearner, a.LearnerID, a.ID); err != nil {
		return nil, err
	}
	if err := putIndex(stub, typeCredByIssuer, a.IssuerID, a.ID); err != nil {
		return nil, err
	}
	if err := putArchiveIndex(stub, a.LearnerID, a.IssuedAt, archiveCredential, a.ID); err != nil {
		return nil, err
	}
	return &a, emit(stub, eduledger.EventCredentialAnchored, payload)
}

// AnchorBatch records the Merkle root over the digests of count credentials of one type issued by
// the caller's organisation. Each credential carries its inclusion proof; none gets a record of its
// own until its status first changes. Caller and checks as for AnchorCredential, without the
// learner. Errors: INVALID, FORBIDDEN, CONFLICT when the root is already anchored.
func (c *Contract) AnchorBatch(ctx contractapi.TransactionContextInterface, b eduledger.BatchAnchor) (*eduledger.BatchAnchor, error) {
	stub := ctx.GetStub()
	now, err := anchorChecks(ctx, "anchor credential batches", b.IssuerID, b.Type, b.IssuedAt, b.Validate)
	if err != nil {
		return nil, err
	}
	if b.Status != "" || b.StatusReason != "" || !b.AnchoredAt.IsZero() || b.TxID != "" {
		return nil, eduledger.Errorf(eduledger.EINVALID, "status, statusReason, anchoredAt and txId are set by the ledger; leave them out")
	}
	bk, err := key(typeBatch, b.Root)
	if err != nil {
		return nil, err
	}
	if v, err := stub.GetState(bk); err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	} else if v != nil {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "a batch with root %s is already anchored", b.Root)
	}
	b.IssuedAt, b.ValidUntil = utc(b.IssuedAt), utc(b.ValidUntil)
	b.Status, b.AnchoredAt, b.TxID = eduledger.StatusActive, now, stub.GetTxID()
	payload, err := putJSON(stub, bk, &b)
	if err != nil {
		return nil, err
	}
	return &b, emit(stub, eduledger.EventBatchAnchored, payload)
}

// ChangeCredentialStatus suspends, reactivates or revokes a credential. REVOKED is final. For a
// credential issued in a batch, the change names the batch root; the first change creates the
// credential's status record from the batch. Caller: a registrar or admin of the issuing
// organisation; for REVOKED also an admin of the governing organisation. Errors: INVALID,
// FORBIDDEN, NOT_FOUND when neither the credential nor the batch is anchored, CONFLICT when the
// credential is already in that status, revoked, or not part of the named batch.
func (c *Contract) ChangeCredentialStatus(ctx contractapi.TransactionContextInterface, change eduledger.StatusChange) (*eduledger.CredentialAnchor, error) {
	who, err := staff(ctx)
	if err != nil {
		return nil, err
	}
	if err := change.Validate(); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	ck, err := key(typeCredential, change.CredentialID)
	if err != nil {
		return nil, err
	}
	a := new(eduledger.CredentialAnchor)
	exists, err := getJSON(stub, ck, a)
	if err != nil {
		return nil, err
	}
	switch {
	case exists && change.BatchRoot != "" && a.BatchRoot == "":
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "credential %s was anchored on its own, not in batch %s", a.ID, change.BatchRoot)
	case exists && change.BatchRoot != "" && a.BatchRoot != change.BatchRoot:
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "credential %s belongs to batch %s, not %s", a.ID, a.BatchRoot, change.BatchRoot)
	case !exists && change.BatchRoot == "":
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "no credential %s is anchored; for a credential issued in a batch, name its batchRoot", change.CredentialID)
	case !exists:
		b, err := loadBatch(stub, change.BatchRoot)
		if err != nil {
			return nil, err
		}
		a = memberRecord(b, change.CredentialID)
	}
	if err := allowStatusChange(ctx, who, a, change.Status); err != nil {
		return nil, err
	}
	switch {
	case a.Status == eduledger.StatusRevoked:
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "credential %s was revoked at %s and stays revoked", a.ID, a.StatusChangedAt.Format(timeLayout))
	case a.Status == change.Status:
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "credential %s is already %s", a.ID, a.Status)
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	a.Status, a.StatusReason, a.StatusNote, a.StatusChangedAt = change.Status, change.Reason, change.Note, now
	payload, err := putJSON(stub, ck, a)
	if err != nil {
		return nil, err
	}
	if !exists {
		if err := putIndex(stub, typeCredByIssuer, a.IssuerID, a.ID); err != nil {
			return nil, err
		}
	}
	return a, emit(stub, eduledger.EventCredentialStatusChanged, payload)
}

// GetCredential returns the record of an anchored credential, or the status record of a batch
// member whose status has changed. Errors: INVALID, NOT_FOUND.
func (c *Contract) GetCredential(ctx contractapi.TransactionContextInterface, credentialID string) (*eduledger.CredentialAnchor, error) {
	a, _, err := loadCredential(ctx.GetStub(), credentialID)
	return a, err
}

// GetCredentialByDigest returns the record of the credential anchored with a digest. Errors:
// INVALID, NOT_FOUND.
func (c *Contract) GetCredentialByDigest(ctx contractapi.TransactionContextInterface, digest string) (*eduledger.CredentialAnchor, error) {
	stub := ctx.GetStub()
	id, err := idByDigest(stub, typeCredByDigest, digest, "credential is anchored")
	if err != nil {
		return nil, err
	}
	a, _, err := loadCredential(stub, id)
	return a, err
}

// idByDigest reads the ID a digest index (typeCredByDigest, typeRecordByDigest) points to;
// what completes "no … with digest" in the NOT_FOUND error. Errors: INVALID, NOT_FOUND.
func idByDigest(stub shim.ChaincodeStubInterface, index, digest, what string) (string, error) {
	if !eduledger.ValidDigest(digest) {
		return "", eduledger.Errorf(eduledger.EINVALID, "digest must be a lower-case hex SHA-256")
	}
	dk, err := key(index, digest)
	if err != nil {
		return "", err
	}
	id, err := stub.GetState(dk)
	if err != nil {
		return "", fmt.Errorf("read state: %w", err)
	}
	if id == nil {
		return "", eduledger.Errorf(eduledger.ENOTFOUND, "no %s with digest %s", what, digest)
	}
	return string(id), nil
}

// GetCredentialStatus answers a verifier in one call: the credential's record when it has one,
// otherwise, for a credential of a batch (batchRoot not empty), a record derived from the batch.
// It does not prove that the credential belongs to the batch: the verifier checks the Merkle proof.
// Errors: INVALID, NOT_FOUND when neither exists, CONFLICT when the credential's record names
// another batch.
func (c *Contract) GetCredentialStatus(ctx contractapi.TransactionContextInterface, credentialID, batchRoot string) (*eduledger.CredentialAnchor, error) {
	if batchRoot != "" && !eduledger.ValidDigest(batchRoot) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "batchRoot must be a lower-case hex SHA-256")
	}
	stub := ctx.GetStub()
	a, _, err := loadCredential(stub, credentialID)
	switch {
	case err == nil && batchRoot != "" && a.BatchRoot != batchRoot:
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "credential %s is not recorded as a member of batch %s", credentialID, batchRoot)
	case err == nil:
		return a, nil
	case batchRoot == "" || eduledger.ErrorCode(err) != eduledger.ENOTFOUND:
		return nil, err
	}
	b, err := loadBatch(stub, batchRoot)
	if err != nil {
		return nil, err
	}
	return memberRecord(b, credentialID), nil
}

// GetBatch returns a batch anchor by its Merkle root. Errors: INVALID, NOT_FOUND.
func (c *Contract) GetBatch(ctx contractapi.TransactionContextInterface, root string) (*eduledger.BatchAnchor, error) {
	if !eduledger.ValidDigest(root) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "root must be a lower-case hex SHA-256")
	}
	return loadBatch(ctx.GetStub(), root)
}

// ListCredentialsByLearner returns one page of the credentials anchored to a learner, in
// credential-ID order. Errors: INVALID, NOT_FOUND when the learner is not registered.
func (c *Contract) ListCredentialsByLearner(ctx contractapi.TransactionContextInterface, learnerID string, pageSize int32, bookmark string) (*CredentialPage, error) {
	if _, _, err := loadLearner(ctx, learnerID); err != nil {
		return nil, err
	}
	p, err := page(ctx.GetStub(), pageSize, bookmark, typeCredByLearner, []string{learnerID}, indexedCredential(ctx.GetStub()))
	return (*CredentialPage)(p), err
}

// ListCredentialsByIssuer returns one page of the credentials an organisation anchored, and the
// status records of its batch members, in credential-ID order. Errors: INVALID, NOT_FOUND when the
// organisation is not registered.
func (c *Contract) ListCredentialsByIssuer(ctx contractapi.TransactionContextInterface, issuerID string, pageSize int32, bookmark string) (*CredentialPage, error) {
	if _, err := readOrganization(ctx, issuerID); err != nil {
		return nil, err
	}
	p, err := page(ctx.GetStub(), pageSize, bookmark, typeCredByIssuer, []string{issuerID}, indexedCredential(ctx.GetStub()))
	return (*CredentialPage)(p), err
}

// GetCredentialHistory returns every version of a credential's record, newest first: the anchoring
// and each status change. Errors: INVALID, NOT_FOUND.
func (c *Contract) GetCredentialHistory(ctx contractapi.TransactionContextInterface, credentialID string) ([]CredentialVersion, error) {
	_, ck, err := loadCredential(ctx.GetStub(), credentialID)
	if err != nil {
		return nil, err
	}
	h, err := history[eduledger.CredentialAnchor](ctx.GetStub(), ck)
	return versions(h, err, func(e eduledger.HistoryEntry[eduledger.CredentialAnchor]) CredentialVersion {
		return CredentialVersion(e)
	})
}

func loadCredential(stub shim.ChaincodeStubInterface, credentialID string) (*eduledger.CredentialAnchor, string, error) {
	if !eduledger.ValidCredentialID(credentialID) {
		return nil, "", eduledger.Errorf(eduledger.EINVALID, "credential ID %.70q is not valid", credentialID)
	}
	ck, err := key(typeCredential, credentialID)
	if err != nil {
		return nil, "", err
	}
	a := new(eduledger.CredentialAnchor)
	ok, err := getJSON(stub, ck, a)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", eduledger.Errorf(eduledger.ENOTFOUND, "no credential %s is anchored", credentialID)
	}
	return a, ck, nil
}

func loadBatch(stub shim.ChaincodeStubInterface, root string) (*eduledger.BatchAnchor, error) {
	bk, err := key(typeBatch, root)
	if err != nil {
		return nil, err
	}
	b := new(eduledger.BatchAnchor)
	ok, err := getJSON(stub, bk, b)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "no batch with root %s is anchored", root)
	}
	return b, nil
}

// memberRecord is the record of a batch member that has no status record of its own yet.
func memberRecord(b *eduledger.BatchAnchor, credentialID string) *eduledger.CredentialAnchor {
	return &eduledger.CredentialAnchor{
		ID: credentialID, Type: b.Type, IssuerID: b.IssuerID, BatchRoot: b.Root,
		IssuedAt: b.IssuedAt, ValidUntil: b.ValidUntil, Status: b.Status,
		AnchoredAt: b.AnchoredAt, TxID: b.TxID,
	}
}

// indexedCredential loads the credential an index entry (…‖credentialID) points to.
func indexedCredential(stub shim.ChaincodeStubInterface) func(string, []string, []byte) (*eduledger.CredentialAnchor, error) {
	return func(_ string, attrs []string, _ []byte) (*eduledger.CredentialAnchor, error) {
		if len(attrs) != 2 {
			return nil, nil
		}
		a, _, err := loadCredential(stub, attrs[1])
		return a, err
	}
}

// anchorChecks identifies and authorises the caller of an anchoring transaction: an issuer or
// registrar of the issuing organisation (ACTIVE, as staff checks), accredited for the type at the
// transaction time. It validates the document, checks issuedAt against the transaction time and
// returns that time.
func anchorChecks(ctx contractapi.TransactionContextInterface, action, issuerID string, ct eduledger.CredentialType,
	issuedAt time.Time, validate func() error) (time.Time, error) {
	who, err := staff(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if err := who.allow(action, eduledger.StaffIssuer, eduledger.StaffRegistrar); err != nil {
		return time.Time{}, err
	}
	if err := validate(); err != nil {
		return time.Time{}, err
	}
	if err := who.own(action, issuerID); err != nil {
		return time.Time{}, err
	}
	stub := ctx.GetStub()
	now, err := txTime(stub)
	if err != nil {
		return time.Time{}, err
	}
	if issuedAt.After(now.Add(issuedAtTolerance)) {
		return time.Time{}, eduledger.Errorf(eduledger.EINVALID, "issuedAt %s is later than the transaction time %s", issuedAt.UTC().Format(timeLayout), now.Format(timeLayout))
	}
	acc, err := accreditationAt(stub, issuerID, ct, now)
	if err != nil {
		return time.Time{}, err
	}
	if acc == "" {
		return time.Time{}, eduledger.Errorf(eduledger.EFORBIDDEN, "%s is not accredited to issue %s at %s", issuerID, ct, now.Format(timeLayout))
	}
	return now, nil
}

// allowStatusChange refuses a status change unless the caller is a registrar or admin of the
// issuing organisation or, for a revocation, an admin of the governing organisation.
func allowStatusChange(ctx contractapi.TransactionContextInterface, who *caller, a *eduledger.CredentialAnchor, to eduledger.CredentialStatus) error {
	const action = "change the status of credentials"
	if who.org.ID == a.IssuerID {
		return who.allow(action, eduledger.StaffRegistrar, eduledger.StaffAdmin)
	}
	if to == eduledger.StatusRevoked && who.role == eduledger.StaffAdmin {
		gov, err := readGovernance(ctx)
		if err != nil {
			return err
		}
		if who.org.ID == gov.OrgID {
			return nil
		}
	}
	if to == eduledger.StatusRevoked {
		return eduledger.Errorf(eduledger.EFORBIDDEN, "only staff of %s or an admin of the governing organisation may revoke credential %s", a.IssuerID, a.ID)
	}
	return eduledger.Errorf(eduledger.EFORBIDDEN, "only staff of %s may change the status of credential %s", a.IssuerID, a.ID)
}
