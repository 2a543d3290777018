package fabric

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

var _ ledger.Ledger = (*Ledger)(nil)

// Timeouts bound each phase of a transaction; the caller's ctx bounds the whole call as well.
type Timeouts struct {
	// Evaluate bounds an evaluation (default 10 s).
	Evaluate time.Duration
	// Endorse bounds collecting endorsements (default 30 s).
	Endorse time.Duration
	// Submit bounds handing the endorsed transaction to the ordering service (default 10 s).
	Submit time.Duration
	// CommitStatus bounds waiting for the transaction's commit (default 60 s).
	CommitStatus time.Duration
}

// DefaultTimeouts returns the timeouts a Ledger uses unless WithTimeouts says otherwise.
func DefaultTimeouts() Timeouts {
	return Timeouts{Evaluate: 10 * time.Second, Endorse: 30 * time.Second, Submit: 10 * time.Second, CommitStatus: time.Minute}
}

type options struct {
	timeouts           Timeouts
	retries            int
	backoff            time.Duration
	transientEndorsers []string
	logger             *slog.Logger
	reconnectWithin    time.Duration
}

// Option configures Connect.
type Option func(*options) error

// WithTimeouts sets the per-phase timeouts; a zero field keeps its default.
func WithTimeouts(t Timeouts) Option {
	return func(o *options) error {
		for _, d := range []time.Duration{t.Evaluate, t.Endorse, t.Submit, t.CommitStatus} {
			if d < 0 {
				return errors.New("fabric: a timeout cannot be negative")
			}
		}
		if t.Evaluate > 0 {
			o.timeouts.Evaluate = t.Evaluate
		}
		if t.Endorse > 0 {
			o.timeouts.Endorse = t.Endorse
		}
		if t.Submit > 0 {
			o.timeouts.Submit = t.Submit
		}
		if t.CommitStatus > 0 {
			o.timeouts.CommitStatus = t.CommitStatus
		}
		return nil
	}
}

// WithConflictRetry sets how many times Submit runs a transaction again after it lost a race
// (MVCC_READ_CONFLICT, PHANTOM_READ_CONFLICT, endorsers a block apart), and the first back-off,
// which doubles with jitter each time. The default is 5 retries from 20 ms; 0 retries turns it
// off. A re-run is a new transaction (new TxID) that the chaincode checks from scratch against the
// newer state; the lost one had no effect.
func WithConflictRetry(retries int, backoff time.Duration) Option {
	return func(o *options) error {
		if retries < 0 || backoff < 0 {
			return errors.New("fabric: retries and back-off cannot be negative")
		}
		o.retries, o.backoff = retries, backoff
		return nil
	}
}

// WithTransientEndorsers names the organisations, besides the client's own, that endorse a
// transaction carrying transient (private) data when the Transaction names no Endorsers. The
// endorsers see the private inputs, so the gateway never picks them itself: with MAJORITY over
// three organisations, a learner registration writing the school's implicit collection needs the
// school and one organisation it trusts (EduLedger's network uses the education bureau). It
// replaces the profile's transientEndorsers.
func WithTransientEndorsers(mspIDs ...string) Option {
	return func(o *options) error {
		if slices.Contains(mspIDs, "") {
			return errors.New("fabric: empty MSP ID in transient endorsers")
		}
		o.transientEndorsers = slices.Clone(mspIDs)
		return nil
	}
}

// WithLogger sets where the Ledger logs retries, fail-overs and event stream reconnects.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("fabric: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithEventReconnect bounds how long an event stream keeps trying to reconnect without receiving
// anything before it gives up and closes its channel (default 2 minutes).
func WithEventReconnect(within time.Duration) Option {
	return func(o *options) error {
		if within <= 0 {
			return errors.New("fabric: the reconnect window must be positive")
		}
		o.reconnectWithin = within
		return nil
	}
}

// Ledger is a connection to a Fabric channel's chaincode through the Gateway service of one or
// more peers, acting as one identity. It is safe for concurrent use.
type Ledger struct {
	profile    Profile
	id         *Identity
	opts       options
	serialized []byte
	conns      []*grpc.ClientConn
	gateways   []*client.Gateway
	// current is the index of the gateway that answered last; fail-over moves it on.
	current atomic.Int32
}

// Connect prepares connections to the profile's gateway peers. Connections are made lazily, so a
// peer that is down now is no error; use Ready to wait for the network.
func Connect(p *Profile, id *Identity, opts ...Option) (*Ledger, error) {
	if p == nil {
		return nil, errors.New("fabric: no profile")
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("fabric: profile: %w", err)
	}
	if err := id.validate(); err != nil {
		return nil, err
	}
	o := options{timeouts: DefaultTimeouts(), retries: 5, backoff: 20 * time.Millisecond,
		transientEndorsers: p.TransientEndorsers, logger: slog.New(slog.DiscardHandler), reconnectWithin: 2 * time.Minute}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	cert, _ := identity.CertificateFromPEM(id.Certificate)
	xid, err := identity.NewX509Identity(id.MSPID, cert)
	if err != nil {
		return nil, fmt.Errorf("fabric: identity: %w", err)
	}
	l := &Ledger{profile: *p, id: id, opts: o}
	l.serialized, err = serializeIdentity(id)
	if err != nil {
		return nil, err
	}
	for _, g := range p.Gateways {
		conn, err := dial(g)
		if err != nil {
			l.Close()
			return nil, err
		}
		gw, err := client.Connect(xid, client.WithSign(id.Sign), client.WithHash(hash.NONE), client.WithClientConnection(conn))
		if err != nil {
			conn.Close()
			l.Close()
			return nil, fmt.Errorf("fabric: gateway %s: %w", g.Address, err)
		}
		l.conns = append(l.conns, conn)
		l.gateways = append(l.gateways, gw)
	}
	return l, nil
}

func dial(g Gateway) (*grpc.ClientConn, error) {
	pem, err := os.ReadFile(g.TLSRootCert)
	if err != nil {
		return nil, fmt.Errorf("fabric: gateway %s: TLS root certificate: %w", g.Address, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("fabric: gateway %s: %s holds no PEM certificate", g.Address, g.TLSRootCert)
	}
	conn, err := grpc.NewClient(g.Address, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, g.ServerName)))
	if err != nil {
		return nil, fmt.Errorf("fabric: gateway %s: %w", g.Address, err)
	}
	return conn, nil
}

// MSPID returns the MSP ID of the identity this Ledger acts as.
func (l *Ledger) MSPID() string { return l.id.MSPID }

// Submit endorses, orders and commits tx and returns once it is committed and valid.
//
// Errors: the chaincode's INVALID, NOT_FOUND, FORBIDDEN, CONFLICT; CONFLICT with a
// *ledger.CommitError when the transaction still lost a race after the configured retries;
// FORBIDDEN with a *ledger.CommitError for ENDORSEMENT_POLICY_FAILURE and similar; INVALID when
// transient data has no trusted endorsers; UNAVAILABLE when peers or orderers cannot be reached or
// ctx ends (after the transaction was sent, its outcome is then unknown: the error names its TxID).
func (l *Ledger) Submit(ctx context.Context, tx *ledger.Transaction) (*ledger.Receipt, error) {
	if err := checkTransaction(tx); err != nil {
		return nil, err
	}
	if len(tx.Transient) > 0 && len(l.endorsers(tx, true)) == 0 {
		// Fabric 2.5's gateway does not keep transient data away from organisations outside an
		// implicit collection: left to choose, it may hand the private inputs to any member.
		return nil, eduledger.Errorf(eduledger.EINVALID, "submit %s: private data needs trusted endorsing organisations; set Transaction.Endorsers or WithTransientEndorsers", tx.Function)
	}
	backoff := l.opts.backoff
	for attempt := 0; ; attempt++ {
		receipt, err := l.submitOnce(ctx, tx)
		if err == nil || attempt >= l.opts.retries || !retryableCommit(err) {
			return receipt, err
		}
		wait := backoff + rand.N(backoff+1)
		l.opts.logger.Debug("transaction lost a race; running it again", "function", tx.Function, "attempt", attempt+1, "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil, ledger.Unavailable("submit "+tx.Function, errors.Join(ctx.Err(), err))
		case <-time.After(wait):
		}
		backoff *= 2
	}
}

func (l *Ledger) submitOnce(ctx context.Context, tx *ledger.Transaction) (*ledger.Receipt, error) {
	what := "submit " + tx.Function
	var endorsed *client.Transaction
	err := l.withFailover(ctx, func(gw *client.Gateway) error {
		proposal, err := l.proposal(gw, tx, true)
		if err != nil {
			return err
		}
		phase, cancel := context.WithTimeout(ctx, l.opts.timeouts.Endorse)
		defer cancel()
		endorsed, err = proposal.EndorseWithContext(phase)
		return err
	})
	if err != nil {
		return nil, mapError(ctx, what, err)
	}

	// Resending the same signed transaction is safe: Fabric commits a TxID at most once.
	var commit *client.Commit
	for attempt := 0; ; attempt++ {
		phase, cancel := context.WithTimeout(ctx, l.opts.timeouts.Submit)
		commit, err = endorsed.SubmitWithContext(phase)
		cancel()
		if err == nil || attempt >= 3 || ctx.Err() != nil || !transient(err) {
			break
		}
		l.opts.logger.Debug("ordering service unreachable; resending", "txid", endorsed.TransactionID(), "err", err)
		sleep(ctx, time.Duration(attempt+1)*250*time.Millisecond)
	}
	if err != nil {
		return nil, withTxID(mapError(ctx, what, err), endorsed.TransactionID())
	}

	var st *client.Status
	for attempt := 0; ; attempt++ {
		phase, cancel := context.WithTimeout(ctx, l.opts.timeouts.CommitStatus)
		st, err = commit.StatusWithContext(phase)
		cancel()
		if err == nil || attempt >= 3 || ctx.Err() != nil || status.Code(err) != codes.Unavailable {
			break
		}
		sleep(ctx, time.Duration(attempt+1)*250*time.Millisecond)
	}
	if err != nil {
		return nil, withTxID(mapError(ctx, what, err), endorsed.TransactionID())
	}
	if !st.Successful {
		return nil, ledger.NewCommitError(st.TransactionID, st.Code)
	}
	return &ledger.Receipt{TxID: st.TransactionID, BlockNumber: st.BlockNumber, Result: endorsed.Result()}, nil
}

// Evaluate runs tx on a peer (of tx.Endorsers when set) against committed state, without
// ordering it.
//
// Errors: the chaincode's INVALID, NOT_FOUND, FORBIDDEN, CONFLICT; UNAVAILABLE when no peer can be
// reached or ctx ends.
func (l *Ledger) Evaluate(ctx context.Context, tx *ledger.Transaction) ([]byte, error) {
	if err := checkTransaction(tx); err != nil {
		return nil, err
	}
	var result []byte
	err := l.withFailover(ctx, func(gw *client.Gateway) error {
		proposal, err := l.proposal(gw, tx, false)
		if err != nil {
			return err
		}
		phase, cancel := context.WithTimeout(ctx, l.opts.timeouts.Evaluate)
		defer cancel()
		result, err = proposal.EvaluateWithContext(phase)
		return err
	})
	if err != nil {
		return nil, mapError(ctx, "evaluate "+tx.Function, err)
	}
	return result, nil
}

// Ready waits until an evaluation of function (with args) pinned to each of mspIDs succeeds,
// retrying every 250 ms until ctx ends. It is the readiness probe of network/up.sh and of test
// setups: right after a network starts, peers of other organisations become known to a gateway
// only once gossip has connected. Any answer from the chaincode, even an error it returns,
// counts as ready.
func (l *Ledger) Ready(ctx context.Context, function string, mspIDs ...string) error {
	for _, msp := range mspIDs {
		for {
			_, err := l.Evaluate(ctx, &ledger.Transaction{Function: function, Endorsers: []string{msp}})
			code := eduledger.ErrorCode(err)
			if err == nil || code == eduledger.EINVALID || code == eduledger.ENOTFOUND ||
				code == eduledger.EFORBIDDEN || code == eduledger.ECONFLICT {
				break
			}
			if ctx.Err() != nil {
				return fmt.Errorf("fabric: %s is not ready: %w", msp, err)
			}
			sleep(ctx, 250*time.Millisecond)
		}
	}
	return nil
}

// Close closes the connections. It does not stop event streams' contexts; cancel those.
func (l *Ledger) Close() error {
	var errs []error
	for _, gw := range l.gateways {
		errs = append(errs, gw.Close())
	}
	for _, c := range l.conns {
		errs = append(errs, c.Close())
	}
	l.gateways, l.conns = nil, nil
	return errors.Join(errs...)
}

func (l *Ledger) proposal(gw *client.Gateway, tx *ledger.Transaction, submit bool) (*client.Proposal, error) {
	contract := gw.GetNetwork(l.profile.Channel).GetContract(l.profile.Chaincode)
	opts := []client.ProposalOption{client.WithArguments(tx.Args...)}
	if len(tx.Transient) > 0 {
		opts = append(opts, client.WithTransient(tx.Transient))
	}
	if endorsers := l.endorsers(tx, submit); len(endorsers) > 0 {
		opts = append(opts, client.WithEndorsingOrganizations(endorsers...))
	}
	return contract.NewProposal(tx.Function, opts...)
}

// endorsers returns the organisations pinned for tx: its own Endorsers, or for a submission with
// private data the client's organisation and the trusted transient endorsers.
func (l *Ledger) endorsers(tx *ledger.Transaction, submit bool) []string {
	if len(tx.Endorsers) > 0 {
		return tx.Endorsers
	}
	if !submit || len(tx.Transient) == 0 || len(l.opts.transientEndorsers) == 0 {
		return nil
	}
	orgs := []string{l.id.MSPID}
	for _, m := range l.opts.transientEndorsers {
		if !slices.Contains(orgs, m) {
			orgs = append(orgs, m)
		}
	}
	return orgs
}

// withFailover runs call on the current gateway and, when that gateway itself cannot be reached,
// on the next ones. Only calls that have not reached the ordering service use it, so repeating
// them is harmless.
func (l *Ledger) withFailover(ctx context.Context, call func(*client.Gateway) error) error {
	n := len(l.gateways)
	if n == 0 {
		return ledger.Unavailable("fabric", errors.New("connection closed"))
	}
	start := int(l.current.Load())
	var err error
	for i := range n {
		idx := (start + i) % n
		if err = call(l.gateways[idx]); err == nil || !gatewayDown(err) || ctx.Err() != nil {
			if err == nil && idx != start {
				l.current.Store(int32(idx))
			}
			return err
		}
		l.opts.logger.Debug("gateway unreachable; trying the next", "gateway", l.profile.Gateways[idx].Address, "err", err)
	}
	return err
}

// gatewayDown reports an error from the connection to the gateway peer itself (as opposed to an
// error the gateway reports about endorsers or orderers, which carries details or another code).
func gatewayDown(err error) bool {
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.Unavailable && len(st.Details()) == 0
}

func transient(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}

func withTxID(err error, txID string) error {
	var e *eduledger.Error
	if errors.As(err, &e) && e.Code == eduledger.EUNAVAILABLE {
		e.Message += "; outcome of transaction " + txID + " unknown"
	}
	return err
}

func checkTransaction(tx *ledger.Transaction) error {
	if tx == nil || tx.Function == "" {
		return eduledger.Errorf(eduledger.EINVALID, "a transaction needs a function name")
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// gatewayClient returns a raw Gateway gRPC client on the current gateway connection.
func (l *Ledger) gatewayClient(idx int) gateway.GatewayClient {
	return gateway.NewGatewayClient(l.conns[idx%len(l.conns)])
}
