package chaincode

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// RegisterLearner creates an education identity. The public part (pseudonymous ID, roles, holder
// keys, the commitment to the personal data and the portrait hash) goes on the shared ledger; the
// personal data travels in the transient map under eduledger.TransientPersonalData, must match the
// commitment, and is stored only in the caller's MSP's implicit private data collection. Caller: a
// registrar or admin of a SCHOOL, TRAINING or GOVERNMENT organisation. Errors: INVALID, FORBIDDEN,
// CONFLICT when the learner ID is taken.
//
// It never reads private data: on Fabric, endorsing peers outside the collection cannot.
func (c *Contract) RegisterLearner(ctx contractapi.TransactionContextInterface, l eduledger.Learner) (*eduledger.Learner, error) {
	who, err := staff(ctx)
	if err != nil {
		return nil, err
	}
	const action = "register learners"
	if err := who.allow(action, eduledger.StaffRegistrar, eduledger.StaffAdmin); err != nil {
		return nil, err
	}
	if err := who.allowKinds(action, eduledger.KindSchool, eduledger.KindTraining, eduledger.KindGovernment); err != nil {
		return nil, err
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	if l.RegisteredBy != "" || l.Status != "" || l.StatusReason != "" || !l.RegisteredAt.IsZero() || !l.UpdatedAt.IsZero() {
		return nil, eduledger.Errorf(eduledger.EINVALID, "registeredBy, status, statusReason, registeredAt and updatedAt are set by the ledger; leave them out")
	}
	if err := checkHolderKeys(l.HolderKeys); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	personal, err := transientPersonalData(ctx)
	if err != nil {
		return nil, err
	}
	if personal.Commitment() != l.PersonalDataCommitment {
		return nil, eduledger.Errorf(eduledger.EINVALID, "the personal data does not match personalDataCommitment")
	}
	lk, err := key(typeLearner, l.ID)
	if err != nil {
		return nil, err
	}
	var existing eduledger.Learner
	if ok, err := getJSON(stub, lk, &existing); err != nil {
		return nil, err
	} else if ok {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "learner %s is already registered", l.ID)
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	l.RegisteredBy, l.Status, l.RegisteredAt, l.UpdatedAt = who.org.ID, eduledger.LearnerActive, now, now
	payload, err := putJSON(stub, lk, &l)
	if err != nil {
		return nil, err
	}
	pk, err := key(typePersonal, l.ID)
	if err != nil {
		return nil, err
	}
	pb, err := json.Marshal(personal)
	if err != nil {
		return nil, fmt.Errorf("encode personal data: %w", err)
	}
	if err := stub.PutPrivateData(implicitCollection(who.mspID), pk, pb); err != nil {
		return nil, fmt.Errorf("write private data: %w", err)
	}
	return &l, emit(stub, eduledger.EventLearnerRegistered, payload)
}

// GetLearner returns the public part of a learner's identity. Errors: INVALID, NOT_FOUND.
func (c *Contract) GetLearner(ctx contractapi.TransactionContextInterface, learnerID string) (*eduledger.Learner, error) {
	l, _, err := loadLearner(ctx, learnerID)
	return l, err
}

// GetPersonalData returns a learner's personal data from the private collection of the caller's
// MSP. Evaluate it on a peer of that MSP. Caller: a registrar or admin of the organisation that
// registered the learner. Errors: INVALID, FORBIDDEN, NOT_FOUND when the learner is unknown or the
// peer holds no personal data for it, CONFLICT when the data held no longer matches the commitment.
func (c *Contract) GetPersonalData(ctx contractapi.TransactionContextInterface, learnerID string) (*eduledger.PersonalData, error) {
	who, l, _, err := learnerForChange(ctx, "read learners' personal data", learnerID)
	if err != nil {
		return nil, err
	}
	pk, err := key(typePersonal, l.ID)
	if err != nil {
		return nil, err
	}
	b, err := ctx.GetStub().GetPrivateData(implicitCollection(who.mspID), pk)
	if err != nil {
		return nil, fmt.Errorf("read private data: %w", err)
	}
	if b == nil {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "this peer holds no personal data for learner %s; %s's peers keep it", l.ID, who.mspID)
	}
	p := new(eduledger.PersonalData)
	if err := json.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("decode private data: %w", err)
	}
	if p.Commitment() != l.PersonalDataCommitment {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "the personal data held for learner %s does not match its commitment on the ledger", l.ID)
	}
	return p, nil
}

// UpdateLearnerRoles replaces an active learner's roles, for example STUDENT by GRADUATE. Caller: a
// registrar or admin of the organisation that registered the learner. Errors: INVALID, FORBIDDEN,
// NOT_FOUND, CONFLICT when the learner is suspended.
func (c *Contract) UpdateLearnerRoles(ctx contractapi.TransactionContextInterface, learnerID string, roles []eduledger.LearnerRole) (*eduledger.Learner, error) {
	l, lk, err := activeLearnerForChange(ctx, "change learners' roles", learnerID)
	if err != nil {
		return nil, err
	}
	if err := eduledger.ValidateRoles(roles); err != nil {
		return nil, err
	}
	l.Roles = roles
	return saveLearner(ctx, lk, l, eduledger.EventLearnerRolesChanged)
}

// UpdateLearnerHolderKeys replaces an active learner's holder keys (Multikeys), for example after
// the learner lost a device. Caller: a registrar or admin of the organisation that registered the
// learner. Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when the learner is suspended.
func (c *Contract) UpdateLearnerHolderKeys(ctx contractapi.TransactionContextInterface, learnerID string, holderKeys []string) (*eduledger.Learner, error) {
	l, lk, err := activeLearnerForChange(ctx, "change learners' holder keys", learnerID)
	if err != nil {
		return nil, err
	}
	if err := checkHolderKeys(holderKeys); err != nil {
		return nil, err
	}
	l.HolderKeys = holderKeys
	if len(holderKeys) == 0 {
		l.HolderKeys = nil
	}
	return saveLearner(ctx, lk, l, eduledger.EventLearnerHolderKeysChanged)
}

// SuspendLearner suspends an education identity: no credential can be anchored to it until it is
// reinstated. Caller: a registrar or admin of the organisation that registered the learner.
// Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when it is already suspended.
func (c *Contract) SuspendLearner(ctx contractapi.TransactionContextInterface, learnerID, reason string) (*eduledger.Learner, error) {
	if err := checkText("reason", reason, true); err != nil {
		return nil, err
	}
	l, lk, err := activeLearnerForChange(ctx, "suspend learners", learnerID)
	if err != nil {
		return nil, err
	}
	l.Status, l.StatusReason = eduledger.LearnerSuspended, reason
	return saveLearner(ctx, lk, l, eduledger.EventLearnerSuspended)
}

// ReinstateLearner reactivates a suspended education identity. Caller: a registrar or admin of the
// organisation that registered the learner. Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when it
// is not suspended.
func (c *Contract) ReinstateLearner(ctx contractapi.TransactionContextInterface, learnerID string) (*eduledger.Learner, error) {
	_, l, lk, err := learnerForChange(ctx, "reinstate learners", learnerID)
	if err != nil {
		return nil, err
	}
	if l.Status != eduledger.LearnerSuspended {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "learner %s is not suspended", l.ID)
	}
	l.Status, l.StatusReason = eduledger.LearnerActive, ""
	return saveLearner(ctx, lk, l, eduledger.EventLearnerReinstated)
}

// GetLearnerHistory returns every version of a learner's public identity, newest first. Errors:
// INVALID, NOT_FOUND.
func (c *Contract) GetLearnerHistory(ctx contractapi.TransactionContextInterface, learnerID string) ([]LearnerVersion, error) {
	_, lk, err := loadLearner(ctx, learnerID)
	if err != nil {
		return nil, err
	}
	h, err := history[eduledger.Learner](ctx.GetStub(), lk)
	return versions(h, err, func(e eduledger.HistoryEntry[eduledger.Learner]) LearnerVersion { return LearnerVersion(e) })
}

// implicitCollection names the implicit private data collection of an MSP, which only that MSP's
// peers store.
func implicitCollection(mspID string) string { return "_implicit_org_" + mspID }

// transientPersonalData reads and validates the personal data from the transient map. Its error
// messages never repeat the data.
func transientPersonalData(ctx contractapi.TransactionContextInterface) (*eduledger.PersonalData, error) {
	tm, err := ctx.GetStub().GetTransient()
	if err != nil {
		return nil, fmt.Errorf("read transient data: %w", err)
	}
	raw, ok := tm[eduledger.TransientPersonalData]
	if !ok || len(raw) == 0 {
		return nil, eduledger.Errorf(eduledger.EINVALID, "personal data is required in the transient map under key %q; it never goes on the shared ledger", eduledger.TransientPersonalData)
	}
	p := new(eduledger.PersonalData)
	if err := decodeStrict(string(raw), p); err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "transient %s: %s", eduledger.TransientPersonalData, err.Error())
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// checkHolderKeys checks that every holder key is a distinct Multikey of a known kind.
func checkHolderKeys(keys []string) error {
	if len(keys) > 8 {
		return eduledger.Errorf(eduledger.EINVALID, "at most 8 holderKeys")
	}
	for i, k := range keys {
		if _, _, err := multikey.Decode(k); err != nil {
			return eduledger.Errorf(eduledger.EINVALID, "holderKeys[%d] is not a Multikey: %s", i, truncate(err.Error(), maxErrorDetail))
		}
		if slices.Index(keys, k) != i {
			return eduledger.Errorf(eduledger.EINVALID, "holderKeys[%d] repeats an earlier key", i)
		}
	}
	return nil
}

func loadLearner(ctx contractapi.TransactionContextInterface, learnerID string) (*eduledger.Learner, string, error) {
	if !eduledger.ValidLocalID(learnerID) {
		return nil, "", eduledger.Errorf(eduledger.EINVALID, "learner ID %.70q must be 1-128 letters, digits, '.', '_' or '-'", learnerID)
	}
	lk, err := key(typeLearner, learnerID)
	if err != nil {
		return nil, "", err
	}
	l := new(eduledger.Learner)
	ok, err := getJSON(ctx.GetStub(), lk, l)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", eduledger.Errorf(eduledger.ENOTFOUND, "learner %s is not registered", learnerID)
	}
	return l, lk, nil
}

// activeLearnerForChange is learnerForChange for changes that need the learner to be active.
func activeLearnerForChange(ctx contractapi.TransactionContextInterface, action, learnerID string) (*eduledger.Learner, string, error) {
	_, l, lk, err := learnerForChange(ctx, action, learnerID)
	if err != nil {
		return nil, "", err
	}
	if l.Status != eduledger.LearnerActive {
		return nil, "", eduledger.Errorf(eduledger.ECONFLICT, "learner %s is suspended", l.ID)
	}
	return l, lk, nil
}

func saveLearner(ctx contractapi.TransactionContextInterface, lk string, l *eduledger.Learner, event string) (*eduledger.Learner, error) {
	now, err := txTime(ctx.GetStub())
	if err != nil {
		return nil, err
	}
	l.UpdatedAt = now
	payload, err := putJSON(ctx.GetStub(), lk, l)
	if err != nil {
		return nil, err
	}
	return l, emit(ctx.GetStub(), event, payload)
}

// learnerForChange identifies the caller, refuses the action unless the caller is a registrar or
// admin of the organisation that registered the learner, and returns the learner with its key.
func learnerForChange(ctx contractapi.TransactionContextInterface, action, learnerID string) (*caller, *eduledger.Learner, string, error) {
	who, err := staff(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	if err := who.allow(action, eduledger.StaffRegistrar, eduledger.StaffAdmin); err != nil {
		return nil, nil, "", err
	}
	l, lk, err := loadLearner(ctx, learnerID)
	if err != nil {
		return nil, nil, "", err
	}
	if l.RegisteredBy != who.org.ID {
		return nil, nil, "", eduledger.Errorf(eduledger.EFORBIDDEN, "learner %s was registered by %s; only its staff may %s", l.ID, l.RegisteredBy, action)
	}
	return who, l, lk, nil
}
