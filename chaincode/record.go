package chaincode

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/eduledger/eduledger"
)

// The lifelong learning archive (一生一码): learning records with a public summary on the ledger and
// the full record in the issuer's private data, and an index that lists a learner's records and
// credentials in the order the outcomes happened.

// RecordLearningOutcome records a learning outcome of a learner: its public summary goes on the
// shared ledger; the full record (eduledger.LearningRecordDetail) travels in the transient map under
// eduledger.TransientRecordDetail, must name the record and learner and match the summary's digest,
// and is stored only in the caller's MSP's implicit private data collection. Caller: an issuer or
// registrar of the recording organisation (issuerId), a SCHOOL, ENTERPRISE or TRAINING
// organisation accredited at the transaction time for the credential type the record kind needs
// (eduledger.RecordKind.AccreditationType). The learner must be registered and ACTIVE; the date no
// later than the transaction time. Errors: INVALID, FORBIDDEN (including "not accredited"),
// NOT_FOUND when the learner is not registered, CONFLICT when the learner is suspended or the ID or
// digest is taken.
//
// It never reads private data: on Fabric, endorsing peers outside the collection cannot.
func (c *Contract) RecordLearningOutcome(ctx contractapi.TransactionContextInterface, r eduledger.LearningRecord) (*eduledger.LearningRecord, error) {
	who, err := staff(ctx)
	if err != nil {
		return nil, err
	}
	const action = "record learning outcomes"
	if err := who.allow(action, eduledger.StaffIssuer, eduledger.StaffRegistrar); err != nil {
		return nil, err
	}
	if err := who.allowKinds(action, eduledger.KindSchool, eduledger.KindEnterprise, eduledger.KindTraining); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Status != "" || r.StatusReason != "" || !r.StatusChangedAt.IsZero() || !r.RecordedAt.IsZero() || r.TxID != "" {
		return nil, eduledger.Errorf(eduledger.EINVALID, "status, statusReason, statusChangedAt, recordedAt and txId are set by the ledger; leave them out")
	}
	if err := who.own(action, r.IssuerID); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	if r.Date.After(now.Add(issuedAtTolerance)) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "date %s is later than the transaction time %s", r.Date.UTC().Format(timeLayout), now.Format(timeLayout))
	}
	ct := r.Kind.AccreditationType()
	if acc, err := accreditationAt(stub, r.IssuerID, ct, now); err != nil {
		return nil, err
	} else if acc == "" {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "%s is not accredited to record %s outcomes (which takes an accreditation for %s) at %s", r.IssuerID, r.Kind, ct, now.Format(timeLayout))
	}
	detail, err := transientRecordDetail(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case detail.RecordID != r.ID || detail.LearnerID != r.LearnerID:
		return nil, eduledger.Errorf(eduledger.EINVALID, "the full record names another record or learner than the summary")
	case detail.Digest() != r.Digest:
		return nil, eduledger.Errorf(eduledger.EINVALID, "the full record does not match the summary's digest")
	}
	if err := requireActiveLearner(stub, r.LearnerID, "no learning outcome can be recorded for it"); err != nil {
		return nil, err
	}
	rk, err := key(typeRecord, r.ID)
	if err != nil {
		return nil, err
	}
	dk, err := key(typeRecordByDigest, r.Digest)
	if err != nil {
		return nil, err
	}
	if b, err := stub.GetState(rk); err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	} else if b != nil {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "learning record %s is already recorded", r.ID)
	}
	if b, err := stub.GetState(dk); err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	} else if b != nil {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "a learning record with this digest is already recorded as %s", truncate(string(b), 200))
	}
	r.Date = r.Date.UTC()
	r.Status, r.RecordedAt, r.TxID = eduledger.RecordActive, now, stub.GetTxID()
	payload, err := putJSON(stub, rk, &r)
	if err != nil {
		return nil, err
	}
	if err := stub.PutState(dk, []byte(r.ID)); err != nil {
		return nil, fmt.Errorf("write index: %w", err)
	}
	if err := putIndex(stub, typeRecordByIssuer, r.IssuerID, r.ID); err != nil {
		return nil, err
	}
	if err := putArchiveIndex(stub, r.LearnerID, r.Date, archiveRecord, r.ID); err != nil {
		return nil, err
	}
	pk, err := key(typeRecordDetail, r.ID)
	if err != nil {
		return nil, err
	}
	db, err := json.Marshal(detail)
	if err != nil {
		return nil, fmt.Errorf("encode record detail: %w", err)
	}
	if err := stub.PutPrivateData(implicitCollection(who.mspID), pk, db); err != nil {
		return nil, fmt.Errorf("write private data: %w", err)
	}
	return &r, emit(stub, eduledger.EventLearningRecordRecorded, payload)
}

// RevokeLearningRecord revokes a learning record for a reason code (any but REINSTATED): it stays
// in the archive, marked REVOKED, and credits deposited from it can no longer be recognised or
// redeemed. REVOKED is final. Caller: a registrar or admin of the recording organisation, or an
// admin of the governing organisation. Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when it is
// already revoked.
func (c *Contract) RevokeLearningRecord(ctx contractapi.TransactionContextInterface, recordID, reason string) (*eduledger.LearningRecord, error) {
	who, err := staff(ctx)
	if err != nil {
		return nil, err
	}
	if reason == eduledger.ReasonReinstated || !validReasonCode(reason) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "reason %.40q must be one of the reason codes other than %s", reason, eduledger.ReasonReinstated)
	}
	stub := ctx.GetStub()
	r, rk, err := loadRecord(stub, recordID)
	if err != nil {
		return nil, err
	}
	const action = "revoke learning records"
	if who.org.ID == r.IssuerID {
		if err := who.allow(action, eduledger.StaffRegistrar, eduledger.StaffAdmin); err != nil {
			return nil, err
		}
	} else if _, err := governingAdmin(ctx, action+" of other organisations"); err != nil {
		if eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
			return nil, err
		}
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "only staff of %s or an admin of the governing organisation may revoke learning record %s", r.IssuerID, r.ID)
	}
	if r.Status == eduledger.RecordRevoked {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "learning record %s was revoked at %s and stays revoked", r.ID, r.StatusChangedAt.Format(timeLayout))
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	r.Status, r.StatusReason, r.StatusChangedAt = eduledger.RecordRevoked, reason, now
	payload, err := putJSON(stub, rk, r)
	if err != nil {
		return nil, err
	}
	return r, emit(stub, eduledger.EventLearningRecordRevoked, payload)
}

// GetLearningRecord returns the public summary of a learning record. Errors: INVALID, NOT_FOUND.
func (c *Contract) GetLearningRecord(ctx contractapi.TransactionContextInterface, recordID string) (*eduledger.LearningRecord, error) {
	r, _, err := loadRecord(ctx.GetStub(), recordID)
	return r, err
}

// GetLearningRecordByDigest returns the learning record whose full record has this digest, so a
// verifier shown the full record can find its summary and status. Errors: INVALID, NOT_FOUND.
func (c *Contract) GetLearningRecordByDigest(ctx contractapi.TransactionContextInterface, digest string) (*eduledger.LearningRecord, error) {
	stub := ctx.GetStub()
	id, err := idByDigest(stub, typeRecordByDigest, digest, "learning record is recorded")
	if err != nil {
		return nil, err
	}
	r, _, err := loadRecord(stub, id)
	return r, err
}

// GetLearningRecordDetail returns the full record of a learning outcome from the private collection
// of the caller's MSP. Evaluate it on a peer of that MSP. Caller: staff of the recording
// organisation. Errors: INVALID, FORBIDDEN, NOT_FOUND when the record is unknown or the peer holds
// no full record for it, CONFLICT when the full record held no longer matches the digest.
func (c *Contract) GetLearningRecordDetail(ctx contractapi.TransactionContextInterface, recordID string) (*eduledger.LearningRecordDetail, error) {
	who, err := staff(ctx)
	if err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	r, _, err := loadRecord(stub, recordID)
	if err != nil {
		return nil, err
	}
	if who.org.ID != r.IssuerID {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "learning record %s was recorded by %s; only its staff may read the full record", r.ID, r.IssuerID)
	}
	pk, err := key(typeRecordDetail, r.ID)
	if err != nil {
		return nil, err
	}
	b, err := stub.GetPrivateData(implicitCollection(who.mspID), pk)
	if err != nil {
		return nil, fmt.Errorf("read private data: %w", err)
	}
	if b == nil {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "this peer holds no full record of learning record %s; %s's peers keep it", r.ID, who.mspID)
	}
	d := new(eduledger.LearningRecordDetail)
	if err := json.Unmarshal(b, d); err != nil {
		return nil, fmt.Errorf("decode private data: %w", err)
	}
	if d.Digest() != r.Digest {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "the full record held for learning record %s does not match its digest on the ledger", r.ID)
	}
	return d, nil
}

// ListLearningRecordsByIssuer returns one page of the learning records an organisation recorded,
// in record-ID order. Errors: INVALID, NOT_FOUND when the organisation is not registered.
func (c *Contract) ListLearningRecordsByIssuer(ctx contractapi.TransactionContextInterface, issuerID string, pageSize int32, bookmark string) (*LearningRecordPage, error) {
	if _, err := readOrganization(ctx, issuerID); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	p, err := page(stub, pageSize, bookmark, typeRecordByIssuer, []string{issuerID},
		func(_ string, attrs []string, _ []byte) (*eduledger.LearningRecord, error) {
			if len(attrs) != 2 {
				return nil, nil
			}
			r, _, err := loadRecord(stub, attrs[1])
			return r, err
		})
	return (*LearningRecordPage)(p), err
}

// GetLearnerArchive returns one page of a learner's lifelong archive: every learning record and
// every credential anchored to the learner on its own (a batch member names no learner on the
// ledger), in the order of the outcomes — a record's date, a credential's issuedAt — with their
// current status. Errors: INVALID, NOT_FOUND when the learner is not registered.
func (c *Contract) GetLearnerArchive(ctx contractapi.TransactionContextInterface, learnerID string, pageSize int32, bookmark string) (*ArchivePage, error) {
	if _, _, err := loadLearner(ctx, learnerID); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	p, err := page(stub, pageSize, bookmark, typeArchive, []string{learnerID},
		func(_ string, attrs []string, _ []byte) (*eduledger.ArchiveItem, error) {
			if len(attrs) != 4 {
				return nil, nil
			}
			switch attrs[2] {
			case archiveRecord:
				r, _, err := loadRecord(stub, attrs[3])
				if err != nil {
					return nil, err
				}
				return &eduledger.ArchiveItem{At: r.Date, Record: r}, nil
			case archiveCredential:
				a, _, err := loadCredential(stub, attrs[3])
				if err != nil {
					return nil, err
				}
				return &eduledger.ArchiveItem{At: a.IssuedAt, Credential: a}, nil
			}
			return nil, nil
		})
	return (*ArchivePage)(p), err
}

// Kinds of archive index entries.
const (
	archiveRecord     = "rec"
	archiveCredential = "cred"
)

// stampLayout writes times with a fixed width, so that keys holding them sort in time order. Years
// are always four digits in time values the ledger accepts.
const stampLayout = "20060102T150405.000000000Z"

func stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

// putArchiveIndex adds an outcome to a learner's archive at time at.
func putArchiveIndex(stub shim.ChaincodeStubInterface, learnerID string, at time.Time, kind, id string) error {
	return putIndex(stub, typeArchive, learnerID, stamp(at), kind, id)
}

func loadRecord(stub shim.ChaincodeStubInterface, recordID string) (*eduledger.LearningRecord, string, error) {
	if !eduledger.ValidCredentialID(recordID) {
		return nil, "", eduledger.Errorf(eduledger.EINVALID, "learning record ID %.70q is not valid", recordID)
	}
	rk, err := key(typeRecord, recordID)
	if err != nil {
		return nil, "", err
	}
	r := new(eduledger.LearningRecord)
	ok, err := getJSON(stub, rk, r)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", eduledger.Errorf(eduledger.ENOTFOUND, "no learning record %s is recorded", recordID)
	}
	return r, rk, nil
}

// requireActiveLearner refuses unless the learner is registered (NOT_FOUND) and ACTIVE (CONFLICT,
// with consequence saying what that prevents). It decodes only the status.
func requireActiveLearner(stub shim.ChaincodeStubInterface, learnerID, consequence string) error {
	lk, err := key(typeLearner, learnerID)
	if err != nil {
		return err
	}
	var l struct {
		Status eduledger.LearnerStatus `json:"status"`
	}
	if ok, err := getJSON(stub, lk, &l); err != nil {
		return err
	} else if !ok {
		return eduledger.Errorf(eduledger.ENOTFOUND, "learner %s is not registered", learnerID)
	}
	if l.Status != eduledger.LearnerActive {
		return eduledger.Errorf(eduledger.ECONFLICT, "learner %s is suspended; %s", learnerID, consequence)
	}
	return nil
}

// transientRecordDetail reads and validates the full record from the transient map. Its error
// messages never repeat the data.
func transientRecordDetail(ctx contractapi.TransactionContextInterface) (*eduledger.LearningRecordDetail, error) {
	tm, err := ctx.GetStub().GetTransient()
	if err != nil {
		return nil, fmt.Errorf("read transient data: %w", err)
	}
	raw, ok := tm[eduledger.TransientRecordDetail]
	if !ok || len(raw) == 0 {
		return nil, eduledger.Errorf(eduledger.EINVALID, "the full record is required in the transient map under key %q; it never goes on the shared ledger", eduledger.TransientRecordDetail)
	}
	d := new(eduledger.LearningRecordDetail)
	if err := decodeStrict(string(raw), d); err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "transient %s: %s", eduledger.TransientRecordDetail, err.Error())
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

func validReasonCode(r string) bool {
	for _, c := range eduledger.ReasonCodes {
		if r == c {
			return true
		}
	}
	return false
}
