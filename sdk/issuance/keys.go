package issuance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/keystore"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// Keys. Each hosted organisation signs with one Ed25519 and one ML-DSA-44 key, whose private halves
// live in its key store (encrypted with the configured passphrase) and whose public halves are
// registered on the ledger. The ledger decides which key is current: the newest key of each type
// that is registered, not rotated, not revoked, not expired, and held in the key store. A key that
// is generated but not registered (a rotation the chaincode refused, or one cut off by a crash) is
// never used to sign; the next rotation registers it instead of generating yet another.

// hostedOrg is an organisation the service issues for.
type hostedOrg struct {
	org eduledger.Organization
	ks  *keystore.Store

	// mu is held for reading from signing until anchoring with the current keys, and for writing
	// while they change, so that nothing is anchored with a key that has just been retired.
	mu  sync.RWMutex
	cur *signingKeys
}

// signingKeys are an organisation's current keys and the issuer signing with them.
type signingKeys struct {
	ed, pq string // key IDs
	issuer *credential.Issuer
}

func (k *signingKeys) ids() []string { return []string{k.ed, k.pq} }

var keyKinds = []struct {
	kind   multikey.Kind
	typ    eduledger.KeyType
	prefix string
}{{multikey.Ed25519, eduledger.KeyEd25519, "ed25519"}, {multikey.MLDSA44, eduledger.KeyMLDSA44, "mldsa44"}}

// EnsureKeys makes sure every hosted organisation has a current Ed25519 and ML-DSA-44 key: held
// keys already registered are used; otherwise a held key not yet registered, or a new one, is
// registered on the ledger with the organisation's admin identity. It then unlocks the keys (this
// takes a moment: each is sealed with Argon2id). Errors: UNAUTHORIZED for a wrong passphrase,
// FORBIDDEN when the ledger refuses the admin, UNAVAILABLE.
func (e *Engine) EnsureKeys(ctx context.Context) error {
	for _, id := range e.orgOrder {
		org := e.orgs[id]
		admin := Principal{OrgID: id, Role: eduledger.StaffAdmin}
		c, _, err := e.client(ctx, admin)
		if err != nil {
			return fmt.Errorf("issuance: keys of %s: %w", id, err)
		}
		org.mu.Lock()
		err = e.ensureOrgKeys(ctx, org, c)
		org.mu.Unlock()
		if err != nil {
			return fmt.Errorf("issuance: keys of %s: %w", id, err)
		}
	}
	return nil
}

func (e *Engine) ensureOrgKeys(ctx context.Context, org *hostedOrg, admin *ledger.Client) error {
	onLedger, err := ledgerKeys(ctx, e.reader, org.org.ID)
	if err != nil {
		return err
	}
	held, err := org.ks.List()
	if err != nil {
		return err
	}
	cur := make([]string, 2)
	for i, kk := range keyKinds {
		id := currentKey(onLedger, held, kk.typ, e.now())
		if id == "" {
			k, err := e.unregisteredKey(org, onLedger, held, kk.kind, kk.prefix)
			if err != nil {
				return err
			}
			reg, err := admin.RegisterIssuerKey(ctx, &eduledger.IssuerKey{OrgID: org.org.ID, ID: k.ID, Type: kk.typ, PublicKeyMultibase: k.PublicKeyMultibase})
			if err != nil {
				return fmt.Errorf("register key %s: %w", k.ID, err)
			}
			e.log.Info("registered an issuer key", "org", org.org.ID, "key", reg.ID, "type", reg.Type)
			id = k.ID
		}
		cur[i] = id
	}
	return e.useKeys(org, cur[0], cur[1])
}

// useKeys unlocks the named keys and makes them current. The caller holds org.mu for writing.
func (e *Engine) useKeys(org *hostedOrg, ed, pq string) error {
	if org.cur != nil && org.cur.ed == ed && org.cur.pq == pq {
		return nil
	}
	edS, err := org.ks.Signer(ed)
	if err != nil {
		return fmt.Errorf("unlock key %s: %w", ed, err)
	}
	pqS, err := org.ks.Signer(pq)
	if err != nil {
		return fmt.Errorf("unlock key %s: %w", pq, err)
	}
	is, err := credential.NewIssuer(profileOf(&org.org), edS, pqS, credential.WithSchemas(e.schemas),
		credential.WithLedger(e.cfg.Channel, e.cfg.Chaincode), credential.WithWorkers(e.workers), credential.WithClock(e.now))
	if err != nil {
		return err
	}
	org.cur = &signingKeys{ed: ed, pq: pq, issuer: is}
	return nil
}

// ledgerKeys lists every key of an organisation on the ledger.
func ledgerKeys(ctx context.Context, c *ledger.Client, orgID string) ([]eduledger.IssuerKey, error) {
	var out []eduledger.IssuerKey
	bookmark := ""
	for {
		page, err := c.ListIssuerKeys(ctx, orgID, eduledger.MaxPageSize, bookmark)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.Bookmark == "" || len(page.Items) == 0 {
			return out, nil
		}
		bookmark = page.Bookmark
	}
}

// currentKey picks the newest registered key of type t that is usable now and held.
func currentKey(onLedger []eduledger.IssuerKey, held []*keystore.Info, t eduledger.KeyType, now time.Time) string {
	best := -1
	for i, k := range onLedger {
		if k.Type != t || k.SupersededBy != "" || !k.ValidAt(now) {
			continue
		}
		if !slices.ContainsFunc(held, func(h *keystore.Info) bool { return h.ID == k.ID && h.PublicKeyMultibase == k.PublicKeyMultibase }) {
			continue
		}
		if best < 0 || k.RegisteredAt.After(onLedger[best].RegisteredAt) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return onLedger[best].ID
}

// unregisteredKey returns a held key of kind that the ledger does not know, generating one when
// there is none.
func (e *Engine) unregisteredKey(org *hostedOrg, onLedger []eduledger.IssuerKey, held []*keystore.Info, kind multikey.Kind, prefix string) (*keystore.Info, error) {
	for _, h := range held {
		if h.Kind == kind && !slices.ContainsFunc(onLedger, func(k eduledger.IssuerKey) bool { return k.ID == h.ID }) {
			return h, nil
		}
	}
	var r [3]byte
	_, _ = rand.Read(r[:])
	id := fmt.Sprintf("%s-%s-%s", prefix, e.now().UTC().Format("20060102"), hex.EncodeToString(r[:]))
	return org.ks.Generate(eduledger.OrgDID(org.org.ID), kind, id)
}

// currentIssuer returns the organisation's issuer; the caller holds org.mu for reading.
func (org *hostedOrg) currentIssuer() (*signingKeys, error) {
	if org.cur == nil {
		return nil, eduledger.Errorf(eduledger.EUNAVAILABLE, "%s has no usable signing keys yet; an admin must rotate its keys (or restart the service to register them)", org.org.ID)
	}
	return org.cur, nil
}

// ListKeys returns the keys of p's organisation on the ledger, marking the ones the service signs
// with and the ones it holds.
func (e *Engine) ListKeys(ctx context.Context, p Principal) ([]IssuerKey, error) {
	org, err := e.hosted(p.OrgID)
	if err != nil {
		return nil, err
	}
	keys, err := ledgerKeys(ctx, e.reader, org.org.ID)
	if err != nil {
		return nil, err
	}
	held, err := org.ks.List()
	if err != nil {
		return nil, err
	}
	org.mu.RLock()
	cur := org.cur
	org.mu.RUnlock()
	out := make([]IssuerKey, 0, len(keys))
	for _, k := range keys {
		ik := IssuerKey{IssuerKey: k}
		ik.Held = slices.ContainsFunc(held, func(h *keystore.Info) bool { return h.ID == k.ID })
		ik.Current = cur != nil && (cur.ed == k.ID || cur.pq == k.ID)
		out = append(out, ik)
	}
	return out, nil
}

// RotateKeys retires the current keys of p's organisation (both types, or only types when given)
// and registers new ones in their place, as p; signatures made before the rotation stay valid.
// Errors: INVALID for an unknown type, FORBIDDEN unless the chaincode accepts p (an admin),
// UNAVAILABLE.
func (e *Engine) RotateKeys(ctx context.Context, p Principal, types []eduledger.KeyType) (*KeyRotation, error) {
	c, org, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	if len(types) == 0 {
		types = []eduledger.KeyType{eduledger.KeyEd25519, eduledger.KeyMLDSA44}
	}
	for _, t := range types {
		if !t.Valid() {
			return nil, eduledger.Errorf(eduledger.EINVALID, "key type %q must be %s or %s", t, eduledger.KeyEd25519, eduledger.KeyMLDSA44)
		}
	}
	org.mu.Lock()
	defer org.mu.Unlock()
	cur, err := org.currentIssuer()
	if err != nil {
		return nil, err
	}
	onLedger, err := ledgerKeys(ctx, e.reader, org.org.ID)
	if err != nil {
		return nil, err
	}
	held, err := org.ks.List()
	if err != nil {
		return nil, err
	}
	next := []string{cur.ed, cur.pq}
	out := &KeyRotation{Rotated: []eduledger.KeyRotation{}}
	for i, kk := range keyKinds {
		if !slices.Contains(types, kk.typ) {
			continue
		}
		k, err := e.unregisteredKey(org, onLedger, held, kk.kind, kk.prefix)
		if err != nil {
			return nil, err
		}
		rot, err := c.RotateIssuerKey(ctx, next[i], &eduledger.IssuerKey{OrgID: org.org.ID, ID: k.ID, Type: kk.typ, PublicKeyMultibase: k.PublicKeyMultibase})
		if err != nil {
			if len(out.Rotated) > 0 {
				_ = e.useKeys(org, next[0], next[1])
			}
			return nil, err
		}
		next[i] = k.ID
		out.Rotated = append(out.Rotated, *rot)
	}
	if err := e.useKeys(org, next[0], next[1]); err != nil {
		org.cur = nil
		return nil, fmt.Errorf("issuance: the keys were rotated on the ledger but cannot be unlocked: %w", err)
	}
	return out, nil
}

// RevokeKey marks a key of p's organisation compromised from revokedAt (zero: now), as p: nothing
// it signed from then on verifies. When it is a key the service signs with, a replacement is
// registered at once. Errors: INVALID, NOT_FOUND, FORBIDDEN (not an admin), CONFLICT when already
// revoked from that time or earlier, UNAVAILABLE.
func (e *Engine) RevokeKey(ctx context.Context, p Principal, keyID string, revokedAt time.Time) (*KeyRevocation, error) {
	c, org, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	if !eduledger.ValidLocalID(keyID) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "key ID %q is malformed", keyID)
	}
	if revokedAt.IsZero() {
		revokedAt = e.now()
	}
	org.mu.Lock()
	defer org.mu.Unlock()
	revoked, err := c.RevokeIssuerKey(ctx, org.org.ID, keyID, revokedAt)
	if err != nil {
		return nil, err
	}
	out := &KeyRevocation{Revoked: *revoked}
	if org.cur == nil || (org.cur.ed != keyID && org.cur.pq != keyID) {
		return out, nil
	}
	i := 0
	if org.cur.pq == keyID {
		i = 1
	}
	kk := keyKinds[i]
	ids := org.cur.ids()
	org.cur = nil // never sign with the compromised key again, even if the replacement fails
	replace := func() (*eduledger.IssuerKey, error) {
		onLedger, err := ledgerKeys(ctx, e.reader, org.org.ID)
		if err != nil {
			return nil, err
		}
		held, err := org.ks.List()
		if err != nil {
			return nil, err
		}
		k, err := e.unregisteredKey(org, onLedger, held, kk.kind, kk.prefix)
		if err != nil {
			return nil, err
		}
		reg, err := c.RegisterIssuerKey(ctx, &eduledger.IssuerKey{OrgID: org.org.ID, ID: k.ID, Type: kk.typ, PublicKeyMultibase: k.PublicKeyMultibase})
		if err != nil {
			return nil, err
		}
		ids[i] = k.ID
		return reg, e.useKeys(org, ids[0], ids[1])
	}
	reg, err := replace()
	if err != nil {
		e.log.Error("a compromised key was revoked but could not be replaced", "org", org.org.ID, "key", keyID, "err", err)
		out.Warning = "the key is revoked, but no replacement could be registered yet (" + eduledger.ErrorMessage(err) +
			"); issuing is stopped until an admin rotates the keys or the service restarts"
		return out, nil
	}
	out.Replacement = reg
	return out, nil
}
