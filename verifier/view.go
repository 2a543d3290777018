package verifier

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// view is the verifier's cached view of the ledger: every lookup a verification needs, answered
// from memory when a fresh answer is there and from the ledger otherwise, kept fresh by the
// chaincode events (see Verifier.Run and docs/verifier.md).
//
// While the view is synced — following the event stream from a known position, so that every
// change committed since it was filled reaches it as an event within milliseconds — entries live
// for ttl and events update them in place (a newly anchored credential is in the cache before
// anyone asks). While it is not, entries live for at most unsyncedTTL and events only ever remove
// entries: an event replayed from the past must not put an old value back.
type view struct {
	client      *ledger.Client
	now         func() time.Time
	ttl         time.Duration
	unsyncedTTL time.Duration
	log         *slog.Logger
	synced      atomic.Bool

	keys     *lru[*eduledger.IssuerKey]        // orgID "\x00" keyID
	orgs     *lru[*orgHistory]                 // orgID
	accs     *lru[[]eduledger.Accreditation]   // orgID
	creds    *lru[*eduledger.CredentialAnchor] // credential ID → its own record
	batches  *lru[*batchEntry]                 // Merkle root
	learners *lru[*eduledger.Learner]          // learner ID
	issuers  *lru[*IssuerDetails]              // orgID
	owned    atomic.Pointer[bloom]             // IDs that got a record of their own since the view synced
	bloomLog uint
}

// orgHistory is an organisation's every version, newest first.
type orgHistory struct {
	current  *eduledger.Organization
	versions []eduledger.HistoryEntry[eduledger.Organization]
}

// at returns the version in force at t, or nil when the organisation was not registered yet.
func (h *orgHistory) at(t time.Time) *eduledger.Organization {
	for _, v := range h.versions {
		if !v.Timestamp.After(t) && v.Value != nil && !v.IsDelete {
			return v.Value
		}
	}
	return nil
}

// since returns when the organisation's current status began (the oldest consecutive version with
// that status).
func (h *orgHistory) since() time.Time {
	var t time.Time
	for _, v := range h.versions {
		if v.Value == nil || v.Value.Status != h.current.Status {
			break
		}
		t = v.Timestamp
	}
	return t
}

// batchEntry is an anchored batch. members, when set, is the filter of IDs that got a record of
// their own since the view synced; it is set only for a batch the view saw being anchored while
// synced, so a member missing from it has no record of its own and takes the batch's.
type batchEntry struct {
	anchor  *eduledger.BatchAnchor
	members *bloom
}

type viewConfig struct {
	ttl, unsyncedTTL time.Duration
	credentials      int
	bloomLog         uint
	now              func() time.Time
	log              *slog.Logger
	stats            func(cache string, hit bool)
}

func newView(client *ledger.Client, c viewConfig) *view {
	v := &view{client: client, now: c.now, ttl: c.ttl, unsyncedTTL: c.unsyncedTTL, log: c.log, bloomLog: c.bloomLog}
	age := func() time.Duration {
		if v.synced.Load() {
			return v.ttl
		}
		return v.unsyncedTTL
	}
	small := max(c.credentials/16, 1024)
	v.keys = newLRU[*eduledger.IssuerKey]("keys", small, age, c.now, c.stats)
	v.orgs = newLRU[*orgHistory]("organizations", small, age, c.now, c.stats)
	v.accs = newLRU[[]eduledger.Accreditation]("accreditations", small, age, c.now, c.stats)
	v.creds = newLRU[*eduledger.CredentialAnchor]("credentials", c.credentials, age, c.now, c.stats)
	v.batches = newLRU[*batchEntry]("batches", small, age, c.now, c.stats)
	v.learners = newLRU[*eduledger.Learner]("learners", c.credentials, age, c.now, c.stats)
	v.issuers = newLRU[*IssuerDetails]("issuers", small, age, c.now, c.stats)
	v.owned.Store(newBloom(c.bloomLog))
	return v
}

// resync forgets everything and marks the view synced or not. Called when the event stream
// (re)starts: nothing cached before can be trusted to have seen the changes since.
func (v *view) resync(synced bool) {
	v.synced.Store(false)
	v.owned.Store(newBloom(v.bloomLog))
	v.keys.flush()
	v.orgs.flush()
	v.accs.flush()
	v.creds.flush()
	v.batches.flush()
	v.learners.flush()
	v.issuers.flush()
	v.synced.Store(synced)
}

func (v *view) unsync() { v.synced.Store(false) }

// key returns an issuer key. Errors: NOT_FOUND, UNAVAILABLE.
func (v *view) key(ctx context.Context, orgID, keyID string) (*eduledger.IssuerKey, error) {
	return v.keys.get(ctx, orgID+"\x00"+keyID, func(ctx context.Context) (*eduledger.IssuerKey, error) {
		return v.client.GetIssuerKey(ctx, orgID, keyID)
	})
}

// organization returns an organisation's history. Errors: NOT_FOUND, UNAVAILABLE.
func (v *view) organization(ctx context.Context, orgID string) (*orgHistory, error) {
	return v.orgs.get(ctx, orgID, func(ctx context.Context) (*orgHistory, error) {
		hist, err := v.client.GetOrganizationHistory(ctx, orgID)
		if err != nil {
			return nil, err
		}
		h := &orgHistory{versions: hist}
		for _, e := range hist {
			if e.Value != nil && !e.IsDelete {
				h.current = e.Value
				break
			}
		}
		if h.current == nil {
			return nil, eduledger.Errorf(eduledger.ENOTFOUND, "organisation %s is not registered", orgID)
		}
		return h, nil
	})
}

// accreditations returns every accreditation of an organisation, current and past.
func (v *view) accreditations(ctx context.Context, orgID string) ([]eduledger.Accreditation, error) {
	return v.accs.get(ctx, orgID, func(ctx context.Context) ([]eduledger.Accreditation, error) {
		var all []eduledger.Accreditation
		bookmark := ""
		for {
			p, err := v.client.ListAccreditations(ctx, orgID, eduledger.MaxPageSize, bookmark)
			if err != nil {
				return nil, err
			}
			all = append(all, p.Items...)
			if p.Bookmark == "" || len(p.Items) == 0 {
				return all, nil
			}
			bookmark = p.Bookmark
		}
	})
}

// ownRecord returns the ledger record of a credential anchored alone, or of a batch member whose
// status changed. Errors: NOT_FOUND, INVALID, UNAVAILABLE.
func (v *view) ownRecord(ctx context.Context, id string) (*eduledger.CredentialAnchor, error) {
	return v.creds.get(ctx, id, func(ctx context.Context) (*eduledger.CredentialAnchor, error) {
		return v.client.GetCredential(ctx, id)
	})
}

// batch returns an anchored batch. Errors: NOT_FOUND, INVALID, UNAVAILABLE.
func (v *view) batch(ctx context.Context, root string) (*batchEntry, error) {
	return v.batches.get(ctx, root, func(ctx context.Context) (*batchEntry, error) {
		b, err := v.client.GetBatch(ctx, root)
		if err != nil {
			return nil, err
		}
		return &batchEntry{anchor: b}, nil
	})
}

// memberRecord returns the status record of credential id of the batch b: its own record when it
// has one (which may belong to another batch, or to a credential anchored alone under the same ID:
// the caller compares), otherwise the record derived from the batch, as the chaincode's
// GetCredentialStatus derives it.
func (v *view) memberRecord(ctx context.Context, b *batchEntry, id string) (rec *eduledger.CredentialAnchor, own bool, err error) {
	if r, ok, err := v.creds.peek(id); ok {
		if err == nil {
			return r, true, nil
		}
		return derivedRecord(b.anchor, id), false, nil
	}
	if b.members != nil && !b.members.mayContain(id) {
		v.creds.stat(true)
		return derivedRecord(b.anchor, id), false, nil
	}
	r, err := v.ownRecord(ctx, id)
	switch {
	case err == nil:
		return r, true, nil
	case eduledger.ErrorCode(err) == eduledger.ENOTFOUND:
		return derivedRecord(b.anchor, id), false, nil
	}
	return nil, false, err
}

func derivedRecord(b *eduledger.BatchAnchor, id string) *eduledger.CredentialAnchor {
	return &eduledger.CredentialAnchor{ID: id, Type: b.Type, IssuerID: b.IssuerID, BatchRoot: b.Root,
		IssuedAt: b.IssuedAt, ValidUntil: b.ValidUntil, Status: b.Status, StatusReason: b.StatusReason,
		AnchoredAt: b.AnchoredAt, TxID: b.TxID}
}

// learner returns a learner's public record. Errors: NOT_FOUND, INVALID, UNAVAILABLE.
func (v *view) learner(ctx context.Context, id string) (*eduledger.Learner, error) {
	return v.learners.get(ctx, id, func(ctx context.Context) (*eduledger.Learner, error) {
		return v.client.GetLearner(ctx, id)
	})
}

// apply brings the view up to date with one chaincode event. It reports whether the event was
// understood; an event it does not understand flushes the view, because it may have changed
// anything.
func (v *view) apply(ev *ledger.ChaincodeEvent) bool {
	synced := v.synced.Load()
	switch ev.Name {
	case eduledger.EventLedgerInitialised, eduledger.EventOrganizationAdmitted, eduledger.EventOrganizationUpdated,
		eduledger.EventOrganizationSuspended, eduledger.EventOrganizationReinstated:
		var o eduledger.Organization
		if !v.decode(ev, &o) || !v.need(ev, o.ID != "") {
			return false
		}
		v.orgs.remove(o.ID)
		v.issuers.remove(o.ID)
	case eduledger.EventAccreditationGranted, eduledger.EventAccreditationWithdrawn:
		var a eduledger.Accreditation
		if !v.decode(ev, &a) || !v.need(ev, a.OrgID != "") {
			return false
		}
		v.accs.remove(a.OrgID)
		v.issuers.remove(a.OrgID)
	case eduledger.EventIssuerKeyRegistered, eduledger.EventIssuerKeyRevoked:
		var k eduledger.IssuerKey
		if !v.decode(ev, &k) || !v.need(ev, k.OrgID != "" && k.ID != "") {
			return false
		}
		v.putKey(&k, synced)
	case eduledger.EventIssuerKeyRotated:
		var r eduledger.KeyRotation
		if !v.decode(ev, &r) || !v.need(ev, r.Previous.ID != "" && r.Current.ID != "") {
			return false
		}
		v.putKey(&r.Previous, synced)
		v.putKey(&r.Current, synced)
	case eduledger.EventLearnerRegistered, eduledger.EventLearnerRolesChanged, eduledger.EventLearnerHolderKeysChanged,
		eduledger.EventLearnerSuspended, eduledger.EventLearnerReinstated:
		var l eduledger.Learner
		if !v.decode(ev, &l) || !v.need(ev, l.ID != "") {
			return false
		}
		if synced {
			v.learners.set(l.ID, &l)
		} else {
			v.learners.remove(l.ID)
		}
	case eduledger.EventCredentialAnchored, eduledger.EventCredentialStatusChanged:
		var a eduledger.CredentialAnchor
		if !v.decode(ev, &a) || !v.need(ev, a.ID != "") {
			return false
		}
		if synced {
			// The filter first: a reader that finds no entry must then find the ID in it.
			v.owned.Load().add(a.ID)
			v.creds.set(a.ID, &a)
		} else {
			v.creds.remove(a.ID)
		}
	case eduledger.EventBatchAnchored:
		var b eduledger.BatchAnchor
		if !v.decode(ev, &b) || !v.need(ev, b.Root != "") {
			return false
		}
		if synced {
			v.batches.set(b.Root, &batchEntry{anchor: &b, members: v.owned.Load()})
		} else {
			v.batches.remove(b.Root)
		}
	default:
		v.log.Warn("unknown chaincode event; flushing the verifier's cache", "event", ev.Name, "block", ev.BlockNumber, "txId", ev.TxID)
		v.resync(synced)
		return false
	}
	return true
}

func (v *view) putKey(k *eduledger.IssuerKey, synced bool) {
	if synced {
		v.keys.set(k.OrgID+"\x00"+k.ID, k)
	} else {
		v.keys.remove(k.OrgID + "\x00" + k.ID)
	}
	v.issuers.remove(k.OrgID)
}

// decode reads an event's payload into dst. When it cannot, the view is flushed: a change it
// cannot read may be one it caches.
func (v *view) decode(ev *ledger.ChaincodeEvent, dst any) bool {
	if err := json.Unmarshal(ev.Payload, dst); err != nil {
		v.unreadable(ev, err.Error())
		return false
	}
	return true
}

// need flushes the view when a decoded payload lacks what identifies the record it changed.
func (v *view) need(ev *ledger.ChaincodeEvent, ok bool) bool {
	if !ok {
		v.unreadable(ev, "the payload does not name the record it changed")
	}
	return ok
}

func (v *view) unreadable(ev *ledger.ChaincodeEvent, why string) {
	v.log.Warn("unreadable chaincode event; flushing the verifier's cache", "event", ev.Name, "block", ev.BlockNumber, "txId", ev.TxID, "err", why)
	v.resync(v.synced.Load())
}

// keyResolver resolves issuer verification methods through the view. With bare set it returns
// keys without their validity window, so that the proof check is about the signature alone and
// the issuer-key check (which knows when the ledger witnessed the credential) judges validity.
type keyResolver struct {
	v    *view
	bare bool
}

// ResolveKey returns the issuer key a verification method names, from the view.
func (r keyResolver) ResolveKey(ctx context.Context, vm string) (*dataintegrity.Key, error) {
	orgID, keyID, ok := eduledger.ParseKeyDID(vm)
	if !ok {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "%q is not an EduLedger issuer key", vm)
	}
	k, err := r.v.key(ctx, orgID, keyID)
	if err != nil {
		return nil, err
	}
	dk := dataintegrity.KeyFromIssuerKey(k)
	if r.bare {
		dk.ValidFrom, dk.ValidUntil, dk.RevokedAt = time.Time{}, time.Time{}, time.Time{}
	}
	return dk, nil
}
