package issuance

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/eduledger/eduledger"
)

// AuditEntry is one action in the audit log: who, what, when, with what result. It never holds
// personal data: targets are identifiers, messages are the error's public text.
type AuditEntry struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"requestId,omitempty"`
	ClientIP  string    `json:"clientIp,omitempty"`
	// Actor is who acted: the token's principal, or the service itself (empty token).
	Actor Principal `json:"actor"`
	// Action names what was done ("credential.issue", "token.create", …).
	Action string `json:"action"`
	// Target identifies what it was done to (a learner, credential, job, key or token ID).
	Target string `json:"target,omitempty"`
	// Result is "ok" or the error code; Status the HTTP status when the action came over HTTP.
	Result  string `json:"result"`
	Status  int    `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
}

// auditLog appends entries durably with group commit: concurrent writers share one synced write.
type auditLog struct {
	s *store

	mu       sync.Mutex
	pending  []*auditReq
	flushing bool
	seq      uint32
}

type auditReq struct {
	e    AuditEntry
	done chan error
}

// record appends e (dated now when it has no time) and returns once it is durable. An entry is
// filed under its actor's organisation ("_service" when it has none).
func (a *auditLog) record(e AuditEntry, now time.Time) error {
	if e.Time.IsZero() {
		e.Time = now
	}
	e.Time = e.Time.UTC()
	req := &auditReq{e: e, done: make(chan error, 1)}
	a.mu.Lock()
	a.pending = append(a.pending, req)
	if a.flushing {
		a.mu.Unlock()
		return <-req.done
	}
	a.flushing = true
	for len(a.pending) > 0 {
		batch := a.pending
		a.pending = nil
		b := new(leveldb.Batch)
		for _, r := range batch {
			a.seq++
			org := r.e.Actor.OrgID
			if org == "" {
				org = "_service"
			}
			key := fmt.Sprintf("%s%s-%010d", prefixAudit(org), newestFirst(r.e.Time), 1<<32-1-uint64(a.seq))
			if err := putJSON(b, key, r.e); err != nil {
				r.done <- err
			}
		}
		a.mu.Unlock()
		err := a.s.write(b, true)
		for _, r := range batch {
			select {
			case r.done <- err:
			default: // already answered with an encoding error
			}
		}
		a.mu.Lock()
	}
	a.flushing = false
	a.mu.Unlock()
	return <-req.done
}

// Record appends an action to the audit log and returns once it is durable.
func (e *Engine) Record(ctx context.Context, entry AuditEntry) error {
	_ = ctx
	return e.audit.record(entry, e.now())
}

// Audit returns a page of the audit log of p's organisation, newest first. Only admins may read
// it. Errors: FORBIDDEN, INVALID for a bad page token.
func (e *Engine) Audit(ctx context.Context, p Principal, pageSize int, pageToken string) (*Page[AuditEntry], error) {
	if p.Role != eduledger.StaffAdmin {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "only an admin may read the audit log")
	}
	pageSize = pageSizeOf(pageSize)
	out := &Page[AuditEntry]{Items: []AuditEntry{}}
	next, err := e.store.scan(prefixAudit(p.OrgID), pageToken, pageSize, func(_ string, v []byte) (bool, error) {
		var a AuditEntry
		if err := json.Unmarshal(v, &a); err != nil {
			return false, fmt.Errorf("issuance: decode audit entry: %w", err)
		}
		out.Items = append(out.Items, a)
		return true, nil
	})
	out.NextPageToken = next
	return out, err
}

// pageSizeOf applies the default and the bound to a requested page size.
func pageSizeOf(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > eduledger.MaxPageSize:
		return eduledger.MaxPageSize
	}
	return n
}
