package fabric

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// mapError turns an error from the Fabric Gateway client into an *eduledger.Error (wrapping the
// original, so errors.As still finds the gateway's EndorseError, SubmitError, CommitStatusError or
// CommitError). ctx is the caller's context: when it has ended, the result is UNAVAILABLE and also
// matches ctx.Err() with errors.Is.
//
//   - A chaincode error ("CODE: message", possibly behind the gateway's own prefix, in the status
//     message or in any endorser's error detail) keeps its code; another chaincode failure is
//     INTERNAL.
//   - *client.CommitError becomes a *ledger.CommitError with its validation code (CONFLICT for
//     MVCC_READ_CONFLICT and the like, FORBIDDEN for ENDORSEMENT_POLICY_FAILURE and the like).
//   - Unreachable peers or orderers, too few live endorsing organisations, and timeouts are
//     UNAVAILABLE; after submission the outcome is then unknown.
//   - Requests the channel refuses (access denied, identity unknown) are FORBIDDEN.
//   - Private data that needs trusted endorsers the client did not name is INVALID.
func mapError(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	var commitErr *client.CommitError
	if errors.As(err, &commitErr) {
		return ledger.NewCommitError(commitErr.TransactionID, commitErr.Code)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ledger.Unavailable(what, errors.Join(ctxErr, err))
	}

	st, _ := status.FromError(err)
	messages := []string{st.Message()}
	for _, d := range st.Details() {
		if detail, ok := d.(*gateway.ErrorDetail); ok {
			messages = append(messages, detail.GetMessage())
		}
	}
	// The chaincode's own verdict wins over the transport's code: the gateway reports a
	// chaincode error as Aborted or Unknown depending on where it was raised.
	for _, m := range messages {
		if e := eduledger.ParseError(m); e != nil {
			e.Err = err
			return e
		}
	}

	all := strings.Join(messages, "; ")
	switch st.Code() {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled, codes.ResourceExhausted:
		return ledger.Unavailable(what, err)
	case codes.PermissionDenied, codes.Unauthenticated:
		return &eduledger.Error{Code: eduledger.EFORBIDDEN, Message: what + ": the channel refused this identity", Err: err}
	case codes.NotFound:
		return &eduledger.Error{Code: eduledger.ENOTFOUND, Message: what + ": channel or chaincode not found", Err: err}
	case codes.FailedPrecondition:
		switch {
		case strings.Contains(all, "protect transient data"):
			return &eduledger.Error{Code: eduledger.EINVALID, Message: what + ": private data needs trusted endorsing organisations; set Transaction.Endorsers or WithTransientEndorsers", Err: err}
		case strings.Contains(all, "no combination of peers"), strings.Contains(all, "no endorsers"),
			strings.Contains(all, "no peers"):
			return ledger.Unavailable(what+": not enough endorsing organisations reachable", err)
		case strings.Contains(all, "access denied"), strings.Contains(all, "creator"), strings.Contains(all, "signature"):
			return &eduledger.Error{Code: eduledger.EFORBIDDEN, Message: what + ": the channel refused this identity", Err: err}
		}
	case codes.Aborted, codes.Unknown:
		switch {
		case strings.Contains(all, "ProposalResponsePayloads do not match"):
			// Endorsers answered from different ledger heights: a race, worth retrying.
			return &eduledger.Error{Code: eduledger.ECONFLICT, Message: what + ": endorsers disagree (a peer is behind); retry", Err: fmt.Errorf("%w: %w", errEndorsersDisagree, err)}
		case strings.Contains(all, "received unsuccessful response from orderer"):
			return ledger.Unavailable(what+": the ordering service refused the transaction", err)
		case strings.Contains(all, "chaincode response"), strings.Contains(all, "error in simulation"),
			strings.Contains(all, "transaction returned with failure"):
			return ledger.ChaincodeError(all)
		case strings.Contains(all, "access denied"), strings.Contains(all, "creator"):
			return &eduledger.Error{Code: eduledger.EFORBIDDEN, Message: what + ": the channel refused this identity", Err: err}
		}
	case codes.InvalidArgument:
		return &eduledger.Error{Code: eduledger.EINVALID, Message: what + ": malformed request", Err: err}
	}
	var endorseErr *client.EndorseError
	var submitErr *client.SubmitError
	var statusErr *client.CommitStatusError
	switch {
	case errors.As(err, &submitErr), errors.As(err, &statusErr):
		return ledger.Unavailable(what, err)
	case errors.As(err, &endorseErr) && st.Code() == codes.Aborted:
		// Every endorser failed for a reason that is neither the chaincode's nor a refusal:
		// peers crashing or chaincode servers down.
		return ledger.Unavailable(what+": no endorser could run the chaincode", err)
	}
	return &eduledger.Error{Code: eduledger.EINTERNAL, Message: what + " failed", Err: fmt.Errorf("fabric: %w", err)}
}

// retryableCommit reports whether an error is a lost race that a fresh run of the transaction can
// win: invalidated for MVCC or phantom read conflicts, or endorsers that disagreed.
func retryableCommit(err error) bool {
	var ce *ledger.CommitError
	if errors.As(err, &ce) {
		return ledger.CommitCode(ce.Code) == eduledger.ECONFLICT && ce.Code.String() != "DUPLICATE_TXID"
	}
	return errors.Is(err, errEndorsersDisagree)
}

// errEndorsersDisagree marks endorsements whose results differ, which happens when one endorser's
// ledger is a block behind another's.
var errEndorsersDisagree = errors.New("endorsers disagree")
