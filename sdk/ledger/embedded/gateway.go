package embedded

import (
	"context"
	"crypto/sha256"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/msp"
)

// Gateway is a connection to an embedded ledger acting as one identity. It implements
// ledger.Ledger. It is safe for concurrent use.
type Gateway struct {
	l       *Ledger
	id      *msp.SigningIdentity
	builder *proposalBuilder
	clock   func() time.Time
	closed  atomic.Bool
}

var _ ledger.Ledger = (*Gateway)(nil)

// ConnectOption configures Connect.
type ConnectOption func(*Gateway)

// WithClock sets the clock that timestamps this gateway's proposals (default time.Now). The
// chaincode sees the timestamp as the transaction time; the node refuses proposals whose time is
// further from its own clock than its clock skew (see WithClockSkew).
func WithClock(now func() time.Time) ConnectOption {
	return func(g *Gateway) {
		if now != nil {
			g.clock = now
		}
	}
}

// Connect returns a gateway that signs transactions as id. The identity is checked against the
// channel's MSPs at each transaction, as a Fabric peer does; a nil or unusable identity makes
// every call fail.
func (l *Ledger) Connect(id *msp.SigningIdentity, opts ...ConnectOption) *Gateway {
	g := &Gateway{l: l, id: id, clock: time.Now}
	for _, opt := range opts {
		opt(g)
	}
	if id != nil {
		g.builder, _ = newProposalBuilder(id, l.cfg.Channel, l.cfg.Chaincode)
	}
	return g
}

// Identity returns the gateway's signing identity.
func (g *Gateway) Identity() *msp.SigningIdentity { return g.id }

// NewProposal builds and signs a proposal for tx without sending it; SubmitProposal or
// EvaluateProposal send it later. Errors: INVALID for a transaction without a function name or a
// gateway without an identity.
func (g *Gateway) NewProposal(tx *ledger.Transaction) (*Proposal, error) {
	if g.builder == nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "embedded: the gateway has no signing identity")
	}
	return g.builder.build(tx, g.clock())
}

// Submit signs tx, has the chaincode simulate it, orders it into a block, and returns once the
// block is durable and applied, so that a following Evaluate sees its writes.
//
// Errors: the chaincode's own errors with their codes (INTERNAL for an uncoded chaincode failure);
// INVALID for a malformed or oversized transaction or a timestamp outside the clock skew;
// FORBIDDEN for an identity the channel does not accept or a bad signature; CONFLICT for a
// duplicate transaction ID; a *ledger.CommitError (CONFLICT for MVCC_READ_CONFLICT,
// PHANTOM_READ_CONFLICT, DUPLICATE_TXID) for a transaction invalidated at commit; UNAVAILABLE when
// the ledger is closed, has stopped after a storage failure, or ctx ends while waiting for the
// commit (the transaction may still commit).
func (g *Gateway) Submit(ctx context.Context, tx *ledger.Transaction) (*ledger.Receipt, error) {
	if g.closed.Load() {
		return nil, ledger.Unavailable("embedded gateway", errGatewayClosed)
	}
	p, err := g.NewProposal(tx)
	if err != nil {
		return nil, err
	}
	return g.l.submit(ctx, p.signed, p.stored)
}

// SubmitProposal submits a proposal made by NewProposal. It returns what Submit returns.
func (g *Gateway) SubmitProposal(ctx context.Context, p *Proposal) (*ledger.Receipt, error) {
	if g.closed.Load() {
		return nil, ledger.Unavailable("embedded gateway", errGatewayClosed)
	}
	if p == nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "embedded: no proposal")
	}
	return g.l.submit(ctx, p.signed, p.stored)
}

// Evaluate signs tx and runs it against the committed state without ordering it, returning the
// chaincode's result. Errors are those of Submit before ordering.
func (g *Gateway) Evaluate(ctx context.Context, tx *ledger.Transaction) ([]byte, error) {
	if g.closed.Load() {
		return nil, ledger.Unavailable("embedded gateway", errGatewayClosed)
	}
	p, err := g.NewProposal(tx)
	if err != nil {
		return nil, err
	}
	return g.l.evaluate(ctx, p.signed)
}

// EvaluateProposal evaluates a proposal made by NewProposal.
func (g *Gateway) EvaluateProposal(ctx context.Context, p *Proposal) ([]byte, error) {
	if g.closed.Load() {
		return nil, ledger.Unavailable("embedded gateway", errGatewayClosed)
	}
	if p == nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "embedded: no proposal")
	}
	return g.l.evaluate(ctx, p.signed)
}

// Events streams chaincode events; see Ledger.Events.
func (g *Gateway) Events(ctx context.Context, after *ledger.Checkpoint) (<-chan *ledger.ChaincodeEvent, error) {
	if g.closed.Load() {
		return nil, ledger.Unavailable("embedded gateway", errGatewayClosed)
	}
	return g.l.Events(ctx, after)
}

// Close ends the gateway's use; the ledger stays open.
func (g *Gateway) Close() error {
	g.closed.Store(true)
	return nil
}

var errGatewayClosed = fmt.Errorf("the gateway is closed")

// SubmitSigned submits a signed proposal made elsewhere (for example by a client signing offline).
// stored is the same proposal without its transient map, signed by the same client; it is
// required when the proposal carries transient data and ignored (may be nil) otherwise. It returns
// what Gateway.Submit returns.
func (l *Ledger) SubmitSigned(ctx context.Context, signed, stored *peer.SignedProposal) (*ledger.Receipt, error) {
	return l.submit(ctx, signed, stored)
}

// EvaluateSigned evaluates a signed proposal made elsewhere.
func (l *Ledger) EvaluateSigned(ctx context.Context, signed *peer.SignedProposal) ([]byte, error) {
	return l.evaluate(ctx, signed)
}

// endorsement is the outcome of a successful simulation.
type endorsement struct {
	cp       *checkedProposal
	response *peer.Response
	rw       *RWSet
	pvt      []privateWrite
	event    *peer.ChaincodeEvent
	snapshot uint64
}

func (l *Ledger) evaluate(ctx context.Context, signed *peer.SignedProposal) ([]byte, error) {
	if err := l.begin(); err != nil {
		return nil, err
	}
	defer l.end()
	if err := ctx.Err(); err != nil {
		return nil, ledger.Unavailable("embedded ledger", err)
	}
	e, err := l.endorse(signed, nil, false)
	if err != nil {
		return nil, err
	}
	return e.response.Payload, nil
}

func (l *Ledger) submit(ctx context.Context, signed, stored *peer.SignedProposal) (*ledger.Receipt, error) {
	p, err := l.prepare(ctx, signed, stored)
	if err != nil {
		return nil, err
	}
	if err := l.enqueue(p); err != nil {
		return nil, err
	}
	return p.wait(ctx)
}

// prepare authenticates and simulates a proposal for submission and encodes the transaction as
// its block will hold it.
func (l *Ledger) prepare(ctx context.Context, signed, stored *peer.SignedProposal) (*pendingTx, error) {
	if err := l.begin(); err != nil {
		return nil, err
	}
	defer l.end()
	if err := ctx.Err(); err != nil {
		return nil, ledger.Unavailable("embedded ledger", err)
	}
	e, err := l.endorse(signed, stored, true)
	if err != nil {
		return nil, err
	}
	entry := &txEntry{
		TxID: e.cp.txID, Timestamp: e.cp.timestamp, ProposalBytes: e.cp.stored.ProposalBytes, Signature: e.cp.stored.Signature,
		Response: e.response, Event: e.event, RWSet: e.rw,
	}
	size := 128 + len(entry.TxID) + len(entry.ProposalBytes) + len(entry.Signature) + len(entry.Response.Payload) +
		len(entry.Response.Message) + e.rw.encodedSizeHint()
	if e.event != nil {
		size += len(e.event.EventName) + len(e.event.Payload) + 16
	}
	enc := encoder{b: make([]byte, 0, size)}
	entry.encode(&enc)
	if len(enc.b) > l.cfg.MaxBlockBytes {
		return nil, eduledger.Errorf(eduledger.EINVALID, "embedded: transaction of %d bytes exceeds the channel's block limit of %d bytes", len(enc.b), l.cfg.MaxBlockBytes)
	}
	return &pendingTx{
		txID: e.cp.txID, entry: enc.b, entryHash: sha256.Sum256(enc.b), rw: e.rw, pvt: e.pvt,
		event: e.event, payload: e.response.Payload, snapshot: e.snapshot, done: make(chan commitResult, 1),
	}, nil
}

// wait waits for the committer's verdict on p.
func (p *pendingTx) wait(ctx context.Context) (*ledger.Receipt, error) {
	select {
	case r := <-p.done:
		if r.err != nil {
			return nil, r.err
		}
		if err := commitError(p.txID, r.code); err != nil {
			return nil, err
		}
		return &ledger.Receipt{TxID: p.txID, BlockNumber: r.block, Result: p.payload}, nil
	case <-ctx.Done():
		return nil, ledger.Unavailable(fmt.Sprintf("embedded ledger: waiting for transaction %s to commit", p.txID), ctx.Err())
	}
}

// endorse authenticates a proposal and simulates it.
func (l *Ledger) endorse(signed, stored *peer.SignedProposal, forSubmit bool) (*endorsement, error) {
	l.endorsers <- struct{}{}
	defer func() { <-l.endorsers }()
	cp, err := parseSignedProposal(signed, l.cfg.Channel, l.cfg.Chaincode)
	if err != nil {
		return nil, err
	}
	now := l.opts.now()
	if l.opts.skew > 0 {
		if d := cp.timestamp.Sub(now); d > l.opts.skew || d < -l.opts.skew {
			return nil, eduledger.Errorf(eduledger.EINVALID,
				"embedded: proposal timestamp %s is more than %s from the node's clock (%s)",
				cp.timestamp.UTC().Format(time.RFC3339), l.opts.skew, now.UTC().Format(time.RFC3339))
		}
	}
	id, err := l.verifier.Validate(cp.shdr.Creator, now)
	if err != nil {
		return nil, fmt.Errorf("embedded: proposal creator: %w", err)
	}
	if err := id.Verify(signed.ProposalBytes, signed.Signature); err != nil {
		return nil, fmt.Errorf("embedded: proposal signature: %w", err)
	}
	switch id.Role {
	case msp.RoleOrderer:
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "embedded: orderer identities may not send proposals")
	case msp.RolePeer:
		if forSubmit {
			// The channel's Writers are its members' clients and admins, as in Fabric's defaults.
			return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "embedded: peer identities may evaluate but not submit transactions")
		}
	}
	cp.identity = id
	if forSubmit {
		if err := cp.checkStored(stored); err != nil {
			return nil, err
		}
		if cp.stored != cp.signed {
			if err := id.Verify(cp.stored.ProposalBytes, cp.stored.Signature); err != nil {
				return nil, fmt.Errorf("embedded: signature of the stored proposal: %w", err)
			}
		}
	}
	snap, err := l.db.GetSnapshot()
	if err != nil {
		return nil, ledger.Unavailable("embedded ledger", err)
	}
	defer snap.Release()
	raw, err := snap.Get(savepointKey, nil)
	if err != nil || len(raw) != 8 {
		return nil, ledger.Unavailable("embedded ledger: savepoint", err)
	}
	snapshot := beUint64(raw)
	if forSubmit {
		// Later blocks are checked by the orderer.
		if dup, err := snap.Has(txIDKey(cp.txID), nil); err != nil {
			return nil, ledger.Unavailable("embedded ledger", err)
		} else if dup {
			return nil, eduledger.Errorf(eduledger.ECONFLICT, "embedded: duplicate transaction ID %s: it is already in the ledger", cp.txID)
		}
	}
	sim := newSimulator(l, snap, cp)
	resp := l.invoke(sim)
	rw, pvt := sim.finish()
	if resp.Status >= shim.ERRORTHRESHOLD {
		return nil, ledger.ChaincodeError(resp.Message)
	}
	return &endorsement{cp: cp, response: resp, rw: rw, pvt: pvt, event: sim.event, snapshot: snapshot}, nil
}

// invoke runs the chaincode; a panic becomes an error response instead of taking the process down.
func (l *Ledger) invoke(sim *simulator) (resp *peer.Response) {
	defer func() {
		if r := recover(); r != nil {
			l.log.Error("chaincode panicked", "txID", sim.cp.txID, "panic", r, "stack", string(debug.Stack()))
			resp = &peer.Response{Status: shim.ERROR, Message: fmt.Sprintf("chaincode panicked: %v", r)}
		}
	}()
	resp = l.cc.Invoke(sim)
	if resp == nil {
		resp = &peer.Response{Status: shim.ERROR, Message: "chaincode returned no response"}
	}
	return resp
}
