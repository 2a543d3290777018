package fabric

import (
	"context"
	"errors"
	"testing"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

func grpcErr(t *testing.T, code codes.Code, msg string, details ...string) error {
	t.Helper()
	st := status.New(code, msg)
	for _, d := range details {
		var err error
		st, err = st.WithDetails(&gateway.ErrorDetail{Address: "127.0.0.1:17200", MspId: "SchoolMSP", Message: d})
		if err != nil {
			t.Fatal(err)
		}
	}
	return st.Err()
}

func TestMapErrorGivesEveryGatewayFailureAnEduLedgerCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  func(*testing.T) error
		code string
	}{
		{"a chaincode error in an endorser's detail keeps its code", func(t *testing.T) error {
			return grpcErr(t, codes.Aborted, "failed to endorse transaction, see attached details for more info", "chaincode response 500, NOT_FOUND: no learner l1")
		}, eduledger.ENOTFOUND},
		{"a chaincode error in an evaluate message keeps its code", func(t *testing.T) error {
			return grpcErr(t, codes.Unknown, "evaluate call to endorser returned error: chaincode response 500, FORBIDDEN: not your school")
		}, eduledger.EFORBIDDEN},
		{"a chaincode fault without a code is INTERNAL", func(t *testing.T) error {
			return grpcErr(t, codes.Unknown, "evaluate call to endorser returned error: chaincode response 500, runtime error: index out of range")
		}, eduledger.EINTERNAL},
		{"an unreachable gateway is UNAVAILABLE", func(t *testing.T) error {
			return grpcErr(t, codes.Unavailable, "connection refused")
		}, eduledger.EUNAVAILABLE},
		{"too few live organisations is UNAVAILABLE", func(t *testing.T) error {
			return grpcErr(t, codes.FailedPrecondition, "no combination of peers can be derived which satisfy the endorsement policy")
		}, eduledger.EUNAVAILABLE},
		{"transient data without trusted endorsers is INVALID", func(t *testing.T) error {
			return grpcErr(t, codes.FailedPrecondition, "no endorsers found in the gateway's organization; retry specifying endorsing organization(s) to protect transient data")
		}, eduledger.EINVALID},
		{"an identity the channel refuses is FORBIDDEN", func(t *testing.T) error {
			return grpcErr(t, codes.PermissionDenied, "access denied")
		}, eduledger.EFORBIDDEN},
		{"endorsers on different heights are a CONFLICT", func(t *testing.T) error {
			return grpcErr(t, codes.Aborted, "failed to assemble transaction: ProposalResponsePayloads do not match")
		}, eduledger.ECONFLICT},
		{"a commit-status timeout is UNAVAILABLE", func(t *testing.T) error {
			return &client.CommitStatusError{TransactionError: &client.TransactionError{TransactionID: "tx1"}}
		}, eduledger.EUNAVAILABLE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := mapError(context.Background(), "submit X", tc.err(t))
			if got := eduledger.ErrorCode(err); got != tc.code {
				t.Fatalf("code %q (%v), want %s", got, err, tc.code)
			}
		})
	}
}

func TestMapErrorTurnsCommitErrorsIntoLedgerCommitErrors(t *testing.T) {
	for code, want := range map[peer.TxValidationCode]string{
		peer.TxValidationCode_MVCC_READ_CONFLICT:         eduledger.ECONFLICT,
		peer.TxValidationCode_PHANTOM_READ_CONFLICT:      eduledger.ECONFLICT,
		peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE: eduledger.EFORBIDDEN,
	} {
		t.Run(code.String()+" is "+want, func(t *testing.T) {
			var src error = &client.CommitError{TransactionID: "tx9", Code: code}
			err := mapError(context.Background(), "submit X", src)
			var ce *ledger.CommitError
			if eduledger.ErrorCode(err) != want || !errors.As(err, &ce) || ce.Code != code || ce.TxID != "tx9" {
				t.Fatalf("got %v", err)
			}
			if retryableCommit(err) != (want == eduledger.ECONFLICT) {
				t.Errorf("retryable = %v", retryableCommit(err))
			}
		})
	}
}

func TestMapErrorAfterTheContextEndedIsUnavailableAndMatchesTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := mapError(ctx, "evaluate X", grpcErr(t, codes.Canceled, "context canceled"))
	if eduledger.ErrorCode(err) != eduledger.EUNAVAILABLE || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

func TestDisagreeingEndorsersAreRetryableButChaincodeConflictsAreNot(t *testing.T) {
	disagree := mapError(context.Background(), "submit X", grpcErr(t, codes.Aborted, "ProposalResponsePayloads do not match"))
	if !retryableCommit(disagree) {
		t.Error("endorsers on different heights should be retried")
	}
	chaincode := mapError(context.Background(), "submit X", grpcErr(t, codes.Aborted, "failed", "chaincode response 500, CONFLICT: already anchored"))
	if retryableCommit(chaincode) {
		t.Error("a CONFLICT decided by the chaincode must not be retried")
	}
}
