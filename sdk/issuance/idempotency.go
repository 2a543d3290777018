package issuance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/eduledger/eduledger"
)

// Idempotency: a client names a request with a key of its choosing (the HTTP Idempotency-Key
// header). The first request with a key runs; the store remembers the key with the request's
// fingerprint and, once it has one, the resource it created (a credential, a job, a learner). A
// retry with the same key and the same request gets the first outcome, and when the first attempt
// was cut off after the resource became durable, the retry finishes that resource instead of
// creating another: no duplicate credentials, no duplicate anchors. Keys are per organisation.

type idemRecord struct {
	Op          string          `json:"op"`
	Fingerprint string          `json:"fp"`
	State       string          `json:"state"`
	Ref         string          `json:"ref,omitempty"`
	Result      json.RawMessage `json:"result,omitempty"`
	CreatedAt   time.Time       `json:"createdAt"`
}

const (
	idemPending = "pending"
	idemDone    = "done"
)

// ValidIdempotencyKey reports whether k can name a request: 1 to 255 printable ASCII characters.
func ValidIdempotencyKey(k string) bool {
	if len(k) < 1 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

func fingerprint(op string, req any) string {
	b, _ := json.Marshal(req)
	h := sha256.New()
	h.Write([]byte(op + "\x00"))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// idemCall is one idempotent call in progress.
type idemCall struct {
	e        *Engine
	key      string // store key; "" when the client gave none
	rec      idemRecord
	resuming bool
}

// bind records the resource the call is creating, durably, before anything irreversible happens
// to it.
func (c *idemCall) bind(ref string) error {
	if c.key == "" {
		return nil
	}
	c.rec.Ref = ref
	return c.e.store.put(c.key, &c.rec, true)
}

// idempotent runs fn once per (p's organisation, key). fn receives the call, to bind the resource
// it creates and, when resuming is true, to find the resource a cut-off attempt bound. With no key
// fn just runs. Errors: INVALID for a malformed key or a key reused for another request, CONFLICT
// while another request with the key is running, and fn's own.
func idempotent[T any](ctx context.Context, e *Engine, p Principal, key, op string, req any, fn func(ctx context.Context, c *idemCall) (*T, error)) (*T, error) {
	if key == "" {
		return fn(ctx, &idemCall{e: e})
	}
	if !ValidIdempotencyKey(key) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "the idempotency key must be 1-255 printable ASCII characters")
	}
	skey := keyIdem(p.OrgID, key)
	e.idemMu.Lock()
	if e.idemBusy[skey] {
		e.idemMu.Unlock()
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "a request with idempotency key %q is still running; retry when it has finished", key)
	}
	e.idemBusy[skey] = true
	e.idemMu.Unlock()
	defer func() {
		e.idemMu.Lock()
		delete(e.idemBusy, skey)
		e.idemMu.Unlock()
	}()

	fp := fingerprint(op, req)
	c := &idemCall{e: e, key: skey}
	found, err := e.store.get(skey, &c.rec)
	if err != nil {
		return nil, err
	}
	if found {
		if c.rec.Op != op || c.rec.Fingerprint != fp {
			return nil, eduledger.Errorf(eduledger.EINVALID, "idempotency key %q was already used for a different request; use a new key for a new request", key)
		}
		if c.rec.State == idemDone {
			var out T
			if err := json.Unmarshal(c.rec.Result, &out); err != nil {
				return nil, fmt.Errorf("issuance: decode the remembered result of %q: %w", key, err)
			}
			return &out, nil
		}
		c.resuming = c.rec.Ref != ""
	} else {
		c.rec = idemRecord{Op: op, Fingerprint: fp, State: idemPending, CreatedAt: e.now().UTC()}
		if err := e.store.put(skey, &c.rec, true); err != nil {
			return nil, err
		}
	}
	out, err := fn(ctx, c)
	if err != nil {
		if eduledger.ErrorCode(err) != eduledger.EUNAVAILABLE {
			// A definite refusal: nothing was created, so the key may be used again.
			b := new(leveldb.Batch)
			b.Delete([]byte(skey))
			_ = e.store.write(b, true)
		}
		return nil, err
	}
	res, merr := json.Marshal(out)
	if merr != nil {
		return out, nil
	}
	c.rec.State, c.rec.Result = idemDone, res
	if err := e.store.put(skey, &c.rec, true); err != nil {
		e.log.Warn("could not remember an idempotent result", "key", key, "err", err)
	}
	return out, nil
}
