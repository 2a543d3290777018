package issuance

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // portraits may be JPEG
	_ "image/png"  // or PNG
	"strings"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// photoRefPrefix marks a portrait this service keeps, by its SHA-256.
const photoRefPrefix = "eduledger-issuer:portrait:sha256:"

// RegisterLearner creates an education identity as p: the public record on the ledger, the
// personal details (with a fresh 32-byte salt) only in the transient map, hence only in the
// registering organisation's private data collection, and the portrait, if any, in this service's
// store with its SHA-256 on the ledger. With an idempotency key, a retry returns the learner
// instead of CONFLICT. Errors: INVALID (naming the field), FORBIDDEN (the chaincode refused p),
// CONFLICT (the learner ID is taken), UNAVAILABLE.
func (e *Engine) RegisterLearner(ctx context.Context, p Principal, reg LearnerRegistration, idemKey string) (*Learner, error) {
	fpReq := reg
	fpReq.Portrait = nil
	fp := struct {
		Reg      LearnerRegistration
		Portrait [32]byte
	}{fpReq, sha256.Sum256(reg.Portrait)}
	return idempotent(ctx, e, p, idemKey, "learner.register", fp, func(ctx context.Context, call *idemCall) (*Learner, error) {
		cl, _, err := e.client(ctx, p)
		if err != nil {
			return nil, err
		}
		if call.resuming {
			if l, err := e.reader.GetLearner(ctx, reg.ID); err == nil && l.RegisteredBy == p.OrgID {
				return &Learner{Learner: *l, HasPortrait: e.hasPortrait(l.PortraitHash)}, nil
			}
		}
		l, pd, err := e.prepareLearner(reg)
		if err != nil {
			return nil, err
		}
		if len(reg.Portrait) > 0 {
			if err := e.store.put(keyPortrait(l.PortraitHash), reg.Portrait, true); err != nil {
				return nil, err
			}
		}
		if err := call.bind(reg.ID); err != nil {
			return nil, err
		}
		got, err := cl.RegisterLearner(ctx, l, pd)
		if err != nil {
			return nil, err
		}
		e.mirrorLearner(got)
		return &Learner{Learner: *got, HasPortrait: len(reg.Portrait) > 0}, nil
	})
}

// prepareLearner checks a registration and turns it into the public record and the personal data.
func (e *Engine) prepareLearner(reg LearnerRegistration) (*eduledger.Learner, *eduledger.PersonalData, error) {
	if !eduledger.ValidLocalID(reg.ID) {
		return nil, nil, invalidField("/id", "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if err := eduledger.ValidateRoles(reg.Roles); err != nil {
		return nil, nil, invalidField("/roles", eduledger.ErrorMessage(err))
	}
	if err := checkHolderKeys(reg.HolderKeys); err != nil {
		return nil, nil, err
	}
	var salt [32]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return nil, nil, fmt.Errorf("issuance: salt: %w", err)
	}
	pd := &eduledger.PersonalData{Name: strings.TrimSpace(reg.Personal.Name), NationalID: strings.TrimSpace(reg.Personal.NationalID),
		DateOfBirth: reg.Personal.DateOfBirth, Salt: hex.EncodeToString(salt[:])}
	l := &eduledger.Learner{ID: reg.ID, Roles: reg.Roles, HolderKeys: reg.HolderKeys}
	if len(reg.Portrait) > 0 {
		if len(reg.Portrait) > MaxPortraitBytes {
			return nil, nil, invalidField("/portrait", fmt.Sprintf("is larger than %d KiB", MaxPortraitBytes>>10))
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(reg.Portrait))
		if err != nil || (format != "jpeg" && format != "png") {
			return nil, nil, invalidField("/portrait", "must be a JPEG or PNG photo")
		}
		if cfg.Width < 64 || cfg.Height < 64 || cfg.Width > 4096 || cfg.Height > 4096 {
			return nil, nil, invalidField("/portrait", "must be between 64 and 4096 pixels on each side")
		}
		h := sha256.Sum256(reg.Portrait)
		l.PortraitHash = hex.EncodeToString(h[:])
		pd.PhotoRef = photoRefPrefix + l.PortraitHash
	}
	if err := pd.Validate(); err != nil {
		field := strings.TrimSuffix(strings.Fields(eduledger.ErrorMessage(err))[0], ":")
		return nil, nil, invalidField("/"+strings.ReplaceAll(field, ".", "/"), eduledger.ErrorMessage(err))
	}
	l.PersonalDataCommitment = pd.Commitment()
	return l, pd, nil
}

// checkHolderKeys accepts at most one Ed25519 and one X25519 Multikey.
func checkHolderKeys(keys []string) error {
	seen := map[multikey.Kind]bool{}
	for i, k := range keys {
		kind, _, err := multikey.Decode(k)
		field := fmt.Sprintf("/holderKeys/%d", i)
		if err != nil || (kind != multikey.Ed25519 && kind != multikey.X25519) {
			return invalidField(field, "must be an Ed25519 (z6Mk…) or X25519 (z6LS…) Multikey")
		}
		if seen[kind] {
			return invalidField(field, fmt.Sprintf("is a second %s key; a learner holds one of each", kind))
		}
		seen[kind] = true
	}
	return nil
}

func (e *Engine) hasPortrait(hash string) bool {
	if hash == "" {
		return false
	}
	b, err := e.store.getRaw(keyPortrait(hash))
	return err == nil && b != nil
}

// portrait returns the photo whose SHA-256 is hash, if this service holds it.
func (e *Engine) portrait(hash string) ([]byte, error) {
	if hash == "" {
		return nil, nil
	}
	var photo []byte
	ok, err := e.store.get(keyPortrait(hash), &photo)
	if err != nil || !ok {
		return nil, err
	}
	if h := sha256.Sum256(photo); hex.EncodeToString(h[:]) != hash {
		return nil, fmt.Errorf("issuance: the stored portrait %s is damaged", hash)
	}
	return photo, nil
}

// GetLearner returns a learner's public identity and, with personal set, the personal details the
// caller's organisation holds (the chaincode refuses them to any other organisation). Errors:
// INVALID, NOT_FOUND, FORBIDDEN (personal details of another organisation's learner).
func (e *Engine) GetLearner(ctx context.Context, p Principal, id string, personal bool) (*Learner, error) {
	if !eduledger.ValidLocalID(id) {
		return nil, invalidField("id", "is not a learner ID")
	}
	cl, _, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	l, err := cl.GetLearner(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &Learner{Learner: *l}
	out.HasPortrait = l.RegisteredBy == p.OrgID && e.hasPortrait(l.PortraitHash)
	if personal {
		pd, err := cl.GetPersonalData(ctx, id)
		if err != nil {
			return nil, err
		}
		out.Personal = &PersonalDetails{Name: pd.Name, NationalID: pd.NationalID, DateOfBirth: pd.DateOfBirth}
	}
	return out, nil
}

// UpdateLearnerRoles replaces a learner's roles (a student who graduates becomes GRADUATE), as p.
// The learner's identity card keeps the old roles until it is re-issued. Errors: INVALID,
// NOT_FOUND, FORBIDDEN (not the registering organisation's registrar or admin), CONFLICT
// (suspended).
func (e *Engine) UpdateLearnerRoles(ctx context.Context, p Principal, id string, roles []eduledger.LearnerRole) (*Learner, error) {
	return e.changeLearner(ctx, p, id, func(c *ledger.Client) (*eduledger.Learner, error) {
		if err := eduledger.ValidateRoles(roles); err != nil {
			return nil, invalidField("/roles", eduledger.ErrorMessage(err))
		}
		return c.UpdateLearnerRoles(ctx, id, roles)
	})
}

// UpdateLearnerHolderKeys replaces a learner's holder keys, as p. Errors: as UpdateLearnerRoles.
func (e *Engine) UpdateLearnerHolderKeys(ctx context.Context, p Principal, id string, keys []string) (*Learner, error) {
	return e.changeLearner(ctx, p, id, func(c *ledger.Client) (*eduledger.Learner, error) {
		if err := checkHolderKeys(keys); err != nil {
			return nil, err
		}
		return c.UpdateLearnerHolderKeys(ctx, id, keys)
	})
}

// SuspendLearner suspends an education identity for a reason, as p. Errors: as
// UpdateLearnerRoles, CONFLICT when already suspended.
func (e *Engine) SuspendLearner(ctx context.Context, p Principal, id, reason string) (*Learner, error) {
	return e.changeLearner(ctx, p, id, func(c *ledger.Client) (*eduledger.Learner, error) {
		if strings.TrimSpace(reason) == "" || len(reason) > 500 {
			return nil, invalidField("/reason", "is required (at most 500 characters, public: no personal data)")
		}
		return c.SuspendLearner(ctx, id, reason)
	})
}

// ReinstateLearner reactivates a suspended education identity, as p. Errors: as
// UpdateLearnerRoles, CONFLICT when not suspended.
func (e *Engine) ReinstateLearner(ctx context.Context, p Principal, id string) (*Learner, error) {
	return e.changeLearner(ctx, p, id, func(c *ledger.Client) (*eduledger.Learner, error) {
		return c.ReinstateLearner(ctx, id)
	})
}

func (e *Engine) changeLearner(ctx context.Context, p Principal, id string, fn func(*ledger.Client) (*eduledger.Learner, error)) (*Learner, error) {
	if !eduledger.ValidLocalID(id) {
		return nil, invalidField("id", "is not a learner ID")
	}
	cl, _, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	l, err := fn(cl)
	if err != nil {
		return nil, err
	}
	e.mirrorLearner(l)
	return &Learner{Learner: *l, HasPortrait: l.RegisteredBy == p.OrgID && e.hasPortrait(l.PortraitHash)}, nil
}

// Learner statuses are mirrored from the ledger's events so that a bulk job checks thousands of
// rows without asking the ledger once per row; a learner the mirror does not know yet is looked up
// on the ledger.
type mirrored struct {
	Status eduledger.LearnerStatus `json:"s"`
}

func (e *Engine) mirrorLearner(l *eduledger.Learner) {
	if err := e.store.put(keyLearner(l.ID), mirrored{Status: l.Status}, false); err != nil {
		e.log.Warn("could not mirror a learner", "learner", l.ID, "err", err)
	}
}

// learnerStatus returns a learner's status and whether the learner is registered.
func (e *Engine) learnerStatus(ctx context.Context, id string) (eduledger.LearnerStatus, bool, error) {
	var m mirrored
	ok, err := e.store.get(keyLearner(id), &m)
	if err != nil {
		return "", false, err
	}
	if ok {
		return m.Status, true, nil
	}
	l, err := e.reader.GetLearner(ctx, id)
	if eduledger.ErrorCode(err) == eduledger.ENOTFOUND {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	e.mirrorLearner(l)
	return l.Status, true, nil
}

// follow applies the ledger's chaincode events to the store — learner statuses, and status changes
// of credentials this service issued, whoever made them — resuming after the last event applied.
// It reconnects after a broken stream until ctx ends.
func (e *Engine) follow(ctx context.Context) {
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		var cp struct {
			Block uint64 `json:"block"`
			TxID  string `json:"txId"`
		}
		var after *ledger.Checkpoint
		if ok, err := e.store.get(keyCheckpoint, &cp); err == nil && ok {
			after = &ledger.Checkpoint{BlockNumber: cp.Block, TxID: cp.TxID}
		}
		events, err := e.rawRead.Events(ctx, after)
		if err != nil {
			e.log.Warn("cannot follow the ledger's events; retrying", "err", err, "in", backoff)
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		for ev := range events {
			backoff = 200 * time.Millisecond
			if err := e.applyEvent(ev); err != nil {
				e.log.Warn("could not apply a ledger event", "event", ev.Name, "tx", ev.TxID, "err", err)
			}
			cp.Block, cp.TxID = ev.BlockNumber, ev.TxID
			if err := e.store.put(keyCheckpoint, cp, false); err != nil {
				e.log.Warn("could not save the event checkpoint", "err", err)
			}
		}
		if !sleep(ctx, backoff) {
			return
		}
	}
}

func (e *Engine) applyEvent(ev *ledger.ChaincodeEvent) error {
	switch ev.Name {
	case eduledger.EventLearnerRegistered, eduledger.EventLearnerRolesChanged, eduledger.EventLearnerHolderKeysChanged,
		eduledger.EventLearnerSuspended, eduledger.EventLearnerReinstated:
		var l eduledger.Learner
		if err := json.Unmarshal(ev.Payload, &l); err != nil {
			return err
		}
		return e.store.put(keyLearner(l.ID), mirrored{Status: l.Status}, false)
	case eduledger.EventCredentialStatusChanged:
		var a eduledger.CredentialAnchor
		if err := json.Unmarshal(ev.Payload, &a); err != nil {
			return err
		}
		return e.applyStatus(&a)
	}
	return nil
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
