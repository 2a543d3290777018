// Package ledger is EduLedger's connection to the shared ledger: a small interface, Ledger, that
// submits and evaluates chaincode transactions as one identity and streams chaincode events, with two
// backends (sdk/ledger/embedded, a single-process ledger running the real chaincode, and
// sdk/ledger/fabric, a Hyperledger Fabric network through the Fabric Gateway), and Client, a typed
// wrapper that hides the chaincode's string arguments and JSON behind EduLedger's domain types.
//
// Every error a backend returns carries an EduLedger code (see eduledger.ErrorCode): the chaincode's
// own "CODE: message" errors keep their code; a transaction invalidated at commit carries a
// *CommitError with Fabric's validation code; an unreachable ledger or an expired context gives
// UNAVAILABLE, and then the outcome of a submission is unknown.
package ledger

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/eduledger/eduledger"
)

// Transaction is one chaincode invocation.
type Transaction struct {
	// Function is the chaincode transaction name, e.g. "AnchorCredential".
	Function string
	// Args are the transaction's arguments: strings, JSON documents for structured values.
	Args []string
	// Transient holds private inputs (personal data). They reach the chaincode but are never
	// written to the ledger's blocks.
	Transient map[string][]byte
	// Endorsers optionally pins the MSP IDs whose peers endorse. Backends with a single peer
	// ignore it.
	Endorsers []string
}

// Receipt describes a committed transaction.
type Receipt struct {
	TxID        string
	BlockNumber uint64
	// Result is the chaincode's return value.
	Result []byte
}

// ChaincodeEvent is an event a committed, valid transaction emitted.
type ChaincodeEvent struct {
	BlockNumber uint64
	TxID        string
	Name        string
	Payload     []byte
}

// Checkpoint is the position of the last event a consumer has fully processed. The zero Checkpoint
// means "from the first block".
type Checkpoint struct {
	BlockNumber uint64
	// TxID is the transaction of the last processed event within BlockNumber; "" means that
	// nothing in BlockNumber was processed yet.
	TxID string
}

// LogValue lets structured logs show a checkpoint as its block and transaction rather than as a
// pointer; a nil checkpoint logs as "start" (the first block).
func (c *Checkpoint) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("start")
	}
	if c.TxID == "" {
		return slog.GroupValue(slog.Uint64("block", c.BlockNumber))
	}
	return slog.GroupValue(slog.Uint64("block", c.BlockNumber), slog.String("txId", c.TxID))
}

// Ledger is a connection to the EduLedger channel acting as one identity.
//
// Errors carry EduLedger codes: INVALID, NOT_FOUND, FORBIDDEN and CONFLICT from the chaincode;
// CONFLICT or FORBIDDEN with a *CommitError when the transaction was invalidated at commit (for
// example MVCC_READ_CONFLICT, ENDORSEMENT_POLICY_FAILURE); UNAVAILABLE when the ledger cannot be
// reached or ctx ends first (the error then also matches ctx.Err() with errors.Is).
type Ledger interface {
	// Submit endorses, orders and commits tx, and returns once the transaction is committed and
	// valid.
	Submit(ctx context.Context, tx *Transaction) (*Receipt, error)
	// Evaluate runs tx against committed state without ordering it, and returns its result.
	Evaluate(ctx context.Context, tx *Transaction) ([]byte, error)
	// Events delivers, in commit order, the chaincode events of transactions committed after
	// the checkpoint (nil: from the first block). The channel closes when ctx ends or the stream
	// breaks; a consumer resumes from its own last checkpoint, so no event is missed or repeated.
	Events(ctx context.Context, after *Checkpoint) (<-chan *ChaincodeEvent, error)
	// Close releases the connection. It does not stop a shared ledger or network.
	Close() error
}

// CommitError reports a transaction that was ordered but invalidated at commit, with Fabric's
// validation code. It is wrapped in an *eduledger.Error whose code CommitCode gives.
type CommitError struct {
	TxID string
	Code peer.TxValidationCode
}

func (e *CommitError) Error() string {
	return fmt.Sprintf("transaction %s invalidated at commit: %s", e.TxID, e.Code)
}

// CommitCode returns the EduLedger error code for a validation code: CONFLICT for lost races
// (MVCC_READ_CONFLICT, PHANTOM_READ_CONFLICT, DUPLICATE_TXID), FORBIDDEN for failed authorisation
// (ENDORSEMENT_POLICY_FAILURE, BAD_CREATOR_SIGNATURE, …), "" for VALID and INTERNAL otherwise.
func CommitCode(code peer.TxValidationCode) string {
	switch code {
	case peer.TxValidationCode_VALID:
		return ""
	case peer.TxValidationCode_MVCC_READ_CONFLICT, peer.TxValidationCode_PHANTOM_READ_CONFLICT,
		peer.TxValidationCode_DUPLICATE_TXID:
		return eduledger.ECONFLICT
	case peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, peer.TxValidationCode_BAD_CREATOR_SIGNATURE,
		peer.TxValidationCode_BAD_PROPOSAL_TXID, peer.TxValidationCode_INVALID_ENDORSER_TRANSACTION,
		peer.TxValidationCode_INVALID_WRITESET, peer.TxValidationCode_ILLEGAL_WRITESET:
		return eduledger.EFORBIDDEN
	}
	return eduledger.EINTERNAL
}

// NewCommitError returns the error a backend reports for a transaction invalidated at commit.
func NewCommitError(txID string, code peer.TxValidationCode) error {
	ce := &CommitError{TxID: txID, Code: code}
	return &eduledger.Error{Code: CommitCode(code), Message: ce.Error(), Err: ce}
}

// ChaincodeError turns the message of a chaincode error response into an *eduledger.Error. A
// message with a known code keeps it; any other (a chaincode fault, an unknown function) is
// INTERNAL, its text kept only as the cause.
func ChaincodeError(msg string) error {
	if e := eduledger.ParseError(msg); e != nil {
		return e
	}
	return &eduledger.Error{Code: eduledger.EINTERNAL, Message: "chaincode failed", Err: fmt.Errorf("chaincode: %s", msg)}
}

// Unavailable wraps a transport failure or an expired context as UNAVAILABLE.
func Unavailable(what string, err error) error {
	return &eduledger.Error{Code: eduledger.EUNAVAILABLE, Message: what + ": ledger unavailable", Err: err}
}

// Connector opens connections that act as staff members: a backend's way of turning an
// organisation and a role into a signing identity. The issuer service uses one to act, on the
// ledger, as the organisation and role a request authenticated as; the demo uses one to play every
// part. Errors: NOT_FOUND when no identity exists for that staff member, UNAVAILABLE when the
// ledger cannot be reached.
type Connector interface {
	Connect(ctx context.Context, mspID, orgID string, role eduledger.StaffRole) (Ledger, error)
}
