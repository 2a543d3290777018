package chaincode

import (
	"fmt"
	"strconv"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/eduledger/eduledger"
)

// The credit bank's rules: conversion rules (what a learning outcome is worth) and recognition
// rules (which institution may recognise whose credits, at what rate). Both are set by the
// governing organisation and versioned: a version is never changed; a new one, effective later,
// supersedes it. Which version applies is decided by a time — an outcome's date for conversion,
// the transaction time for recognition — through one index key per rule, so that the transactions
// that apply rules make point reads only.

// PublishCreditRule publishes a version of a conversion rule: version 1 when the rule ID is new,
// otherwise the next version, which must apply to the same outcomes (source, record kind or
// credential type, issuer, code) and take effect strictly after the previous version and not
// before the transaction time, so that what an outcome of a past date is worth never changes. The
// first version may take effect in the past, to cover outcomes achieved before it was published.
// The ledger sets version, publishedAt, publishedBy and txId. Caller: an admin of the governing
// organisation. Errors: INVALID, FORBIDDEN, NOT_FOUND when the rule names an unregistered issuer,
// CONFLICT when the version would change other outcomes or take effect too early.
func (c *Contract) PublishCreditRule(ctx contractapi.TransactionContextInterface, r eduledger.CreditRule) (*eduledger.CreditRule, error) {
	gov, err := governingAdmin(ctx, "publish credit rules")
	if err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Version != 0 || !r.PublishedAt.IsZero() || r.PublishedBy != "" || r.TxID != "" {
		return nil, eduledger.Errorf(eduledger.EINVALID, "version, publishedAt, publishedBy and txId are set by the ledger; leave them out")
	}
	if r.IssuerID != "" {
		if _, err := readOrganization(ctx, r.IssuerID); err != nil {
			return nil, err
		}
	}
	stub := ctx.GetStub()
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	vs, vk, err := readVersions(stub, typeCreditRuleVersions, r.ID)
	if err != nil {
		return nil, err
	}
	if len(vs) > 0 {
		prev, _, err := loadRule[eduledger.CreditRule](stub, typeCreditRule, "credit rule", r.ID, vs[len(vs)-1].Version)
		if err != nil {
			return nil, err
		}
		if !prev.SameOutcomes(&r) {
			return nil, eduledger.Errorf(eduledger.ECONFLICT, "every version of credit rule %s must apply to the same outcomes (source, recordKind, credentialType, issuerId, code); publish other outcomes under a new rule ID", r.ID)
		}
	}
	r.EffectiveFrom = r.EffectiveFrom.UTC()
	if err := checkNextVersion(vs, "credit rule", r.ID, r.EffectiveFrom, now); err != nil {
		return nil, err
	}
	r.Version, r.PublishedAt, r.PublishedBy, r.TxID = len(vs)+1, now, gov.org.ID, stub.GetTxID()
	payload, err := putVersion(stub, typeCreditRule, vk, vs, r.ID, versionRef{Version: r.Version, EffectiveFrom: r.EffectiveFrom, Retired: r.Retired}, &r)
	if err != nil {
		return nil, err
	}
	return &r, emit(stub, eduledger.EventCreditRulePublished, payload)
}

// GetCreditRule returns a version of a conversion rule; an empty version means the latest
// published. Errors: INVALID, NOT_FOUND.
func (c *Contract) GetCreditRule(ctx contractapi.TransactionContextInterface, ruleID, version string) (*eduledger.CreditRule, error) {
	return getRuleVersion[eduledger.CreditRule](ctx.GetStub(), typeCreditRule, typeCreditRuleVersions, "credit rule", ruleID, version)
}

// GetCreditRuleAt returns the version of a conversion rule in force at a time (RFC 3339; empty
// means the transaction time) — possibly a version that retired the rule. Errors: INVALID,
// NOT_FOUND when the rule is unknown or no version of it is in force then.
func (c *Contract) GetCreditRuleAt(ctx contractapi.TransactionContextInterface, ruleID, at string) (*eduledger.CreditRule, error) {
	return getRuleAt[eduledger.CreditRule](ctx.GetStub(), typeCreditRule, typeCreditRuleVersions, "credit rule", ruleID, at)
}

// ListCreditRules returns one page of every version of every conversion rule, in (rule ID,
// version) order. Errors: INVALID.
func (c *Contract) ListCreditRules(ctx contractapi.TransactionContextInterface, pageSize int32, bookmark string) (*CreditRulePage, error) {
	p, err := page(ctx.GetStub(), pageSize, bookmark, typeCreditRule, nil, decodeItem[eduledger.CreditRule])
	return (*CreditRulePage)(p), err
}

// PublishRecognitionRule publishes a version of a recognition rule, under the same versioning as
// PublishCreditRule: a later version must concern the same recogniser and credits (recognizerId,
// fromRegion, fromIssuerId, fromField, fromMinLevel). The recogniser must be a registered SCHOOL or
// TRAINING organisation — an institution that awards qualifications; the rule is cross-region
// when fromRegion is not the recogniser's region. Caller: an admin of the governing organisation.
// Errors: INVALID, FORBIDDEN, NOT_FOUND when the rule names an unregistered organisation, CONFLICT
// when the version would change other credits or take effect too early.
func (c *Contract) PublishRecognitionRule(ctx contractapi.TransactionContextInterface, r eduledger.RecognitionRule) (*eduledger.RecognitionRule, error) {
	gov, err := governingAdmin(ctx, "publish recognition rules")
	if err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Version != 0 || !r.PublishedAt.IsZero() || r.PublishedBy != "" || r.TxID != "" {
		return nil, eduledger.Errorf(eduledger.EINVALID, "version, publishedAt, publishedBy and txId are set by the ledger; leave them out")
	}
	recognizer, err := readOrganization(ctx, r.RecognizerID)
	if err != nil {
		return nil, err
	}
	if recognizer.Kind != eduledger.KindSchool && recognizer.Kind != eduledger.KindTraining {
		return nil, eduledger.Errorf(eduledger.EINVALID, "recognizerId %s is of kind %s; only SCHOOL and TRAINING organisations recognise credits", r.RecognizerID, recognizer.Kind)
	}
	if r.FromIssuerID != "" {
		if _, err := readOrganization(ctx, r.FromIssuerID); err != nil {
			return nil, err
		}
	}
	stub := ctx.GetStub()
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	vs, vk, err := readVersions(stub, typeRecogRuleVersions, r.ID)
	if err != nil {
		return nil, err
	}
	if len(vs) > 0 {
		prev, _, err := loadRule[eduledger.RecognitionRule](stub, typeRecogRule, "recognition rule", r.ID, vs[len(vs)-1].Version)
		if err != nil {
			return nil, err
		}
		if !prev.SameOutcomes(&r) {
			return nil, eduledger.Errorf(eduledger.ECONFLICT, "every version of recognition rule %s must concern the same recogniser and credits (recognizerId, fromRegion, fromIssuerId, fromField, fromMinLevel); publish others under a new rule ID", r.ID)
		}
	}
	r.EffectiveFrom = r.EffectiveFrom.UTC()
	if err := checkNextVersion(vs, "recognition rule", r.ID, r.EffectiveFrom, now); err != nil {
		return nil, err
	}
	r.Version, r.PublishedAt, r.PublishedBy, r.TxID = len(vs)+1, now, gov.org.ID, stub.GetTxID()
	payload, err := putVersion(stub, typeRecogRule, vk, vs, r.ID, versionRef{Version: r.Version, EffectiveFrom: r.EffectiveFrom, Retired: r.Retired}, &r)
	if err != nil {
		return nil, err
	}
	return &r, emit(stub, eduledger.EventRecognitionRulePublished, payload)
}

// GetRecognitionRule returns a version of a recognition rule; an empty version means the latest
// published. Errors: INVALID, NOT_FOUND.
func (c *Contract) GetRecognitionRule(ctx contractapi.TransactionContextInterface, ruleID, version string) (*eduledger.RecognitionRule, error) {
	return getRuleVersion[eduledger.RecognitionRule](ctx.GetStub(), typeRecogRule, typeRecogRuleVersions, "recognition rule", ruleID, version)
}

// GetRecognitionRuleAt returns the version of a recognition rule in force at a time (RFC 3339;
// empty means the transaction time). Errors: INVALID, NOT_FOUND when the rule is unknown or no
// version of it is in force then.
func (c *Contract) GetRecognitionRuleAt(ctx contractapi.TransactionContextInterface, ruleID, at string) (*eduledger.RecognitionRule, error) {
	return getRuleAt[eduledger.RecognitionRule](ctx.GetStub(), typeRecogRule, typeRecogRuleVersions, "recognition rule", ruleID, at)
}

// ListRecognitionRules returns one page of every version of every recognition rule, in (rule ID,
// version) order. Errors: INVALID.
func (c *Contract) ListRecognitionRules(ctx contractapi.TransactionContextInterface, pageSize int32, bookmark string) (*RecognitionRulePage, error) {
	p, err := page(ctx.GetStub(), pageSize, bookmark, typeRecogRule, nil, decodeItem[eduledger.RecognitionRule])
	return (*RecognitionRulePage)(p), err
}

// versionRef is a rule version as the rule's version index keeps it.
type versionRef struct {
	Version       int       `json:"version"`
	EffectiveFrom time.Time `json:"effectiveFrom"`
	Retired       bool      `json:"retired,omitempty"`
}

// versionAt returns the version in force at t: the last whose EffectiveFrom is not after t (the
// index is in version order, which is also EffectiveFrom order).
func versionAt(vs []versionRef, t time.Time) (versionRef, bool) {
	for i := len(vs) - 1; i >= 0; i-- {
		if !vs[i].EffectiveFrom.After(t) {
			return vs[i], true
		}
	}
	return versionRef{}, false
}

// checkNextVersion refuses a version that would not take effect strictly after the previous one,
// or, for any version but the first, that would take effect before now and so change what applied
// to a time already past.
func checkNextVersion(vs []versionRef, noun, id string, from, now time.Time) error {
	if len(vs) == 0 {
		return nil
	}
	last := vs[len(vs)-1]
	if !from.After(last.EffectiveFrom) {
		return eduledger.Errorf(eduledger.ECONFLICT, "version %d of %s %s takes effect at %s; a new version must take effect later, not at %s",
			last.Version, noun, id, last.EffectiveFrom.Format(timeLayout), from.Format(timeLayout))
	}
	if from.Before(now) {
		return eduledger.Errorf(eduledger.ECONFLICT, "a new version of %s %s cannot take effect at %s, before it is published (%s): rules never change the past",
			noun, id, from.Format(timeLayout), now.Format(timeLayout))
	}
	return nil
}

func readVersions(stub shim.ChaincodeStubInterface, indexType, ruleID string) ([]versionRef, string, error) {
	k, err := key(indexType, ruleID)
	if err != nil {
		return nil, "", err
	}
	var vs []versionRef
	if _, err := getJSON(stub, k, &vs); err != nil {
		return nil, "", err
	}
	return vs, k, nil
}

// putVersion writes a rule version and appends it to the rule's version index, and returns the
// version's bytes.
func putVersion(stub shim.ChaincodeStubInterface, objectType, indexKey string, vs []versionRef, ruleID string, ref versionRef, rule any) ([]byte, error) {
	rk, err := ruleKey(objectType, ruleID, ref.Version)
	if err != nil {
		return nil, err
	}
	payload, err := putJSON(stub, rk, rule)
	if err != nil {
		return nil, err
	}
	if _, err := putJSON(stub, indexKey, append(vs, ref)); err != nil {
		return nil, err
	}
	return payload, nil
}

// ruleKey builds a rule version's key; the fixed-width version keeps versions in order.
func ruleKey(objectType, ruleID string, version int) (string, error) {
	return key(objectType, ruleID, fmt.Sprintf("%06d", version))
}

func loadRule[T any](stub shim.ChaincodeStubInterface, objectType, noun, ruleID string, version int) (*T, string, error) {
	rk, err := ruleKey(objectType, ruleID, version)
	if err != nil {
		return nil, "", err
	}
	r := new(T)
	ok, err := getJSON(stub, rk, r)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", eduledger.Errorf(eduledger.ENOTFOUND, "%s %s has no version %d", noun, ruleID, version)
	}
	return r, rk, nil
}

// ruleAt returns the version of a rule in force at t; found is false when the rule exists but no
// version is in force at t. Errors: INVALID, NOT_FOUND when the rule does not exist.
func ruleAt[T any](stub shim.ChaincodeStubInterface, objectType, indexType, noun, ruleID string, t time.Time) (r *T, found bool, err error) {
	if !eduledger.ValidLocalID(ruleID) {
		return nil, false, eduledger.Errorf(eduledger.EINVALID, "%s ID %.70q is not valid", noun, ruleID)
	}
	vs, _, err := readVersions(stub, indexType, ruleID)
	if err != nil {
		return nil, false, err
	}
	if len(vs) == 0 {
		return nil, false, eduledger.Errorf(eduledger.ENOTFOUND, "no %s %s is published", noun, ruleID)
	}
	v, ok := versionAt(vs, t)
	if !ok {
		return nil, false, nil
	}
	r, _, err = loadRule[T](stub, objectType, noun, ruleID, v.Version)
	return r, err == nil, err
}

func getRuleVersion[T any](stub shim.ChaincodeStubInterface, objectType, indexType, noun, ruleID, version string) (*T, error) {
	if !eduledger.ValidLocalID(ruleID) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "%s ID %.70q is not valid", noun, ruleID)
	}
	if version != "" {
		v, err := strconv.Atoi(version)
		if err != nil || v < 1 || v > 999999 {
			return nil, eduledger.Errorf(eduledger.EINVALID, "version %.20q must be a whole number from 1, or empty for the latest", version)
		}
		r, _, err := loadRule[T](stub, objectType, noun, ruleID, v)
		return r, err
	}
	vs, _, err := readVersions(stub, indexType, ruleID)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "no %s %s is published", noun, ruleID)
	}
	r, _, err := loadRule[T](stub, objectType, noun, ruleID, vs[len(vs)-1].Version)
	return r, err
}

func getRuleAt[T any](stub shim.ChaincodeStubInterface, objectType, indexType, noun, ruleID, at string) (*T, error) {
	t, err := parseTime("at", at)
	if err != nil {
		return nil, err
	}
	if t.IsZero() {
		if t, err = txTime(stub); err != nil {
			return nil, err
		}
	}
	r, found, err := ruleAt[T](stub, objectType, indexType, noun, ruleID, t)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "no version of %s %s is in force at %s", noun, ruleID, t.Format(timeLayout))
	}
	return r, nil
}
