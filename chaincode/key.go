package chaincode

import (
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// RegisterIssuerKey publishes a verification key of the caller's organisation. validFrom defaults
// to now; the Multikey must hold a key of the stated type. Caller: an admin of the key's
// organisation. Errors: INVALID, FORBIDDEN, CONFLICT when the key ID is taken.
func (c *Contract) RegisterIssuerKey(ctx contractapi.TransactionContextInterface, k eduledger.IssuerKey) (*eduledger.IssuerKey, error) {
	if _, err := keyAdmin(ctx, "register issuer keys", k.OrgID); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	if err := prepareNewKey(&k, now); err != nil {
		return nil, err
	}
	sk, err := key(typeKey, k.OrgID, k.ID)
	if err != nil {
		return nil, err
	}
	if err := requireNoKey(ctx, sk, &k); err != nil {
		return nil, err
	}
	payload, err := putJSON(stub, sk, &k)
	if err != nil {
		return nil, err
	}
	return &k, emit(stub, eduledger.EventIssuerKeyRegistered, payload)
}

// RotateIssuerKey replaces a key by a new one of the same type: the previous key stays valid for
// signatures made before now (its validUntil becomes now, supersededBy names the new key) and the
// new key is registered as by RegisterIssuerKey. Caller: an admin of the keys' organisation.
// Errors: INVALID, FORBIDDEN, NOT_FOUND when the previous key does not exist, CONFLICT when it was
// already rotated or revoked, or the new key ID is taken.
func (c *Contract) RotateIssuerKey(ctx contractapi.TransactionContextInterface, previousKeyID string, k eduledger.IssuerKey) (*eduledger.KeyRotation, error) {
	if _, err := keyAdmin(ctx, "rotate issuer keys", k.OrgID); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	if err := prepareNewKey(&k, now); err != nil {
		return nil, err
	}
	prev, pk, err := loadKey(ctx, k.OrgID, previousKeyID)
	if err != nil {
		return nil, err
	}
	switch {
	case prev.ID == k.ID:
		return nil, eduledger.Errorf(eduledger.EINVALID, "the new key needs an ID of its own, not %s", k.ID)
	case prev.SupersededBy != "":
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "key %s was already rotated to %s", prev.ID, prev.SupersededBy)
	case !prev.RevokedAt.IsZero():
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "key %s is revoked as compromised; register a new key instead", prev.ID)
	case prev.Type != k.Type:
		return nil, eduledger.Errorf(eduledger.EINVALID, "key %s is an %s key; its successor must be one too, not %s", prev.ID, prev.Type, k.Type)
	}
	nk, err := key(typeKey, k.OrgID, k.ID)
	if err != nil {
		return nil, err
	}
	if err := requireNoKey(ctx, nk, &k); err != nil {
		return nil, err
	}
	if prev.ValidUntil.IsZero() || prev.ValidUntil.After(now) {
		prev.ValidUntil = now
	}
	prev.SupersededBy, prev.RevocationReason = k.ID, eduledger.RevokedSuperseded
	if _, err := putJSON(stub, pk, prev); err != nil {
		return nil, err
	}
	if _, err := putJSON(stub, nk, &k); err != nil {
		return nil, err
	}
	rot := &eduledger.KeyRotation{Previous: *prev, Current: k}
	payload, err := marshalEvent(rot)
	if err != nil {
		return nil, err
	}
	return rot, emit(stub, eduledger.EventIssuerKeyRotated, payload)
}

// RevokeIssuerKey marks a key compromised from revokedAt (RFC 3339, not after the transaction
// time): signatures made at or after it no longer count. A key already revoked can only have its
// revocation moved earlier. Caller: an admin of the key's organisation. Errors: INVALID, FORBIDDEN,
// NOT_FOUND, CONFLICT when the key is already revoked from that time or earlier.
func (c *Contract) RevokeIssuerKey(ctx contractapi.TransactionContextInterface, orgID, keyID, revokedAt string) (*eduledger.IssuerKey, error) {
	if _, err := keyAdmin(ctx, "revoke issuer keys", orgID); err != nil {
		return nil, err
	}
	at, err := parseTime("revokedAt", revokedAt)
	if err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	switch {
	case at.IsZero():
		return nil, eduledger.Errorf(eduledger.EINVALID, "revokedAt is required: the time from which the key must be distrusted")
	case at.After(now):
		return nil, eduledger.Errorf(eduledger.EINVALID, "revokedAt %s is later than the transaction time %s; revoke a key from the moment it is known to be compromised",
			at.Format(timeLayout), now.Format(timeLayout))
	}
	k, sk, err := loadKey(ctx, orgID, keyID)
	if err != nil {
		return nil, err
	}
	if !k.RevokedAt.IsZero() && !at.Before(k.RevokedAt) {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "key %s is already revoked from %s", k.ID, k.RevokedAt.Format(timeLayout))
	}
	k.RevokedAt, k.RevocationReason = at, eduledger.RevokedCompromised
	payload, err := putJSON(stub, sk, k)
	if err != nil {
		return nil, err
	}
	return k, emit(stub, eduledger.EventIssuerKeyRevoked, payload)
}

// GetIssuerKey returns a registered key. Errors: INVALID, NOT_FOUND.
func (c *Contract) GetIssuerKey(ctx contractapi.TransactionContextInterface, orgID, keyID string) (*eduledger.IssuerKey, error) {
	k, _, err := loadKey(ctx, orgID, keyID)
	return k, err
}

// ListIssuerKeys returns one page of an organisation's keys, current and retired, in ID order.
// Errors: INVALID, NOT_FOUND when the organisation is not registered.
func (c *Contract) ListIssuerKeys(ctx contractapi.TransactionContextInterface, orgID string, pageSize int32, bookmark string) (*IssuerKeyPage, error) {
	if _, err := readOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	p, err := page(ctx.GetStub(), pageSize, bookmark, typeKey, []string{orgID}, decodeItem[eduledger.IssuerKey])
	return (*IssuerKeyPage)(p), err
}

// prepareNewKey validates a key a caller asks to register and sets the fields the ledger owns.
func prepareNewKey(k *eduledger.IssuerKey, now time.Time) error {
	if err := k.Validate(); err != nil {
		return err
	}
	if !k.RegisteredAt.IsZero() || !k.RevokedAt.IsZero() || k.RevocationReason != "" || k.SupersededBy != "" {
		return eduledger.Errorf(eduledger.EINVALID, "registeredAt, revokedAt, revocationReason and supersededBy are set by the ledger; leave them out")
	}
	kind, _, err := multikey.Decode(k.PublicKeyMultibase)
	if err != nil {
		return eduledger.Errorf(eduledger.EINVALID, "publicKeyMultibase is not a Multikey: %s", truncate(err.Error(), maxErrorDetail))
	}
	if string(kind) != string(k.Type) {
		return eduledger.Errorf(eduledger.EINVALID, "publicKeyMultibase holds an %s key, but type says %s", kind, k.Type)
	}
	k.ValidFrom, k.ValidUntil = utc(k.ValidFrom), utc(k.ValidUntil)
	if k.ValidFrom.IsZero() {
		// Credentials and their proofs carry times to the second; a key registered at 10:00:00.7
		// must count for a credential signed at 10:00:00 right after it.
		k.ValidFrom = now.Truncate(time.Second)
	}
	if !k.ValidUntil.IsZero() && !k.ValidUntil.After(now) {
		return eduledger.Errorf(eduledger.EINVALID, "validUntil %s has already passed", k.ValidUntil.Format(timeLayout))
	}
	if !k.ValidUntil.IsZero() && !k.ValidUntil.After(k.ValidFrom) {
		return eduledger.Errorf(eduledger.EINVALID, "validUntil must be after validFrom")
	}
	k.RegisteredAt = now
	return nil
}

func requireNoKey(ctx contractapi.TransactionContextInterface, sk string, k *eduledger.IssuerKey) error {
	var existing eduledger.IssuerKey
	ok, err := getJSON(ctx.GetStub(), sk, &existing)
	if err != nil {
		return err
	}
	if ok {
		return eduledger.Errorf(eduledger.ECONFLICT, "organisation %s already has a key %s", k.OrgID, k.ID)
	}
	return nil
}

func loadKey(ctx contractapi.TransactionContextInterface, orgID, keyID string) (*eduledger.IssuerKey, string, error) {
	switch {
	case !eduledger.ValidOrgID(orgID):
		return nil, "", eduledger.Errorf(eduledger.EINVALID, "organisation ID %.70q must be 3-64 lower-case letters, digits or hyphens", orgID)
	case !eduledger.ValidLocalID(keyID):
		return nil, "", eduledger.Errorf(eduledger.EINVALID, "key ID %.70q must be 1-128 letters, digits, '.', '_' or '-'", keyID)
	}
	sk, err := key(typeKey, orgID, keyID)
	if err != nil {
		return nil, "", err
	}
	k := new(eduledger.IssuerKey)
	ok, err := getJSON(ctx.GetStub(), sk, k)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", eduledger.Errorf(eduledger.ENOTFOUND, "organisation %s has no key %s", orgID, keyID)
	}
	return k, sk, nil
}

// keyAdmin refuses the action unless the caller is an admin of orgID.
func keyAdmin(ctx contractapi.TransactionContextInterface, action, orgID string) (*caller, error) {
	c, err := staff(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.allow(action, eduledger.StaffAdmin); err != nil {
		return nil, err
	}
	if err := c.own(action, orgID); err != nil {
		return nil, err
	}
	return c, nil
}
