package fabric

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// Events delivers, in commit order, the chaincode events of valid transactions committed after the
// checkpoint (nil or zero: from the first block).
//
// When the stream breaks (a peer restarts, the network drops), Events reconnects by itself, to
// the next gateway if the current one is down, and resumes right after the last event it
// delivered, so the consumer sees no gap and no duplicate. The channel closes when ctx ends, when
// the channel refuses the identity, or when no reconnect succeeds within the WithEventReconnect
// window; a consumer then resumes with Events(ctx, its own last checkpoint).
func (l *Ledger) Events(ctx context.Context, after *ledger.Checkpoint) (<-chan *ledger.ChaincodeEvent, error) {
	if len(l.conns) == 0 {
		return nil, ledger.Unavailable("events", errors.New("connection closed"))
	}
	var cp ledger.Checkpoint
	if after != nil {
		cp = *after
	}
	out := make(chan *ledger.ChaincodeEvent)
	go func() {
		defer close(out)
		backoff := 100 * time.Millisecond
		var failingSince time.Time
		idx := int(l.current.Load())
		for ctx.Err() == nil {
			delivered, err := l.streamEvents(ctx, idx, &cp, out)
			if ctx.Err() != nil {
				return
			}
			if permanent(err) {
				l.opts.logger.Warn("chaincode event stream refused", "err", err)
				return
			}
			switch {
			case delivered > 0:
				failingSince, backoff = time.Time{}, 100*time.Millisecond
			case failingSince.IsZero():
				failingSince = time.Now()
			case time.Since(failingSince) > l.opts.reconnectWithin:
				l.opts.logger.Warn("chaincode event stream gave up reconnecting", "checkpoint", cp, "err", err)
				return
			}
			if gatewayDown(err) {
				idx++
			}
			l.opts.logger.Debug("chaincode event stream broke; resuming", "checkpoint", cp, "err", err)
			sleep(ctx, backoff)
			backoff = min(2*backoff, 5*time.Second)
		}
	}()
	return out, nil
}

// streamEvents reads one stream from the gateway at index idx, starting after *cp and moving *cp
// past every event it delivers. It returns how many it delivered and why the stream ended.
func (l *Ledger) streamEvents(ctx context.Context, idx int, cp *ledger.Checkpoint, out chan<- *ledger.ChaincodeEvent) (int, error) {
	req, err := l.eventsRequest(*cp)
	if err != nil {
		return 0, err
	}
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := l.gatewayClient(idx).ChaincodeEvents(streamCtx, req)
	if err != nil {
		return 0, err
	}
	delivered := 0
	for {
		resp, err := stream.Recv()
		if err != nil {
			return delivered, err
		}
		for _, ev := range resp.GetEvents() {
			e := &ledger.ChaincodeEvent{BlockNumber: resp.GetBlockNumber(), TxID: ev.GetTxId(), Name: ev.GetEventName(), Payload: ev.GetPayload()}
			select {
			case out <- e:
			case <-ctx.Done():
				return delivered, ctx.Err()
			}
			delivered++
			*cp = ledger.Checkpoint{BlockNumber: e.BlockNumber, TxID: e.TxID}
		}
	}
}

// eventsRequest builds and signs a request for the events after cp. The gateway starts at the
// block holding cp.TxID and skips events up to and including it.
func (l *Ledger) eventsRequest(cp ledger.Checkpoint) (*gateway.SignedChaincodeEventsRequest, error) {
	req := &gateway.ChaincodeEventsRequest{
		ChannelId:          l.profile.Channel,
		ChaincodeId:        l.profile.Chaincode,
		Identity:           l.serialized,
		StartPosition:      &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: cp.BlockNumber}}},
		AfterTransactionId: cp.TxID,
	}
	data, err := proto.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("fabric: events request: %w", err)
	}
	sig, err := l.id.Sign(data)
	if err != nil {
		return nil, &eduledger.Error{Code: eduledger.EINTERNAL, Message: "signing the events request failed", Err: err}
	}
	return &gateway.SignedChaincodeEventsRequest{Request: data, Signature: sig}, nil
}

// permanent reports stream errors that reconnecting cannot cure.
func permanent(err error) bool {
	var e *eduledger.Error
	if errors.As(err, &e) {
		return true
	}
	switch status.Code(err) {
	case codes.PermissionDenied, codes.Unauthenticated, codes.InvalidArgument, codes.NotFound:
		return true
	}
	return false
}

func serializeIdentity(id *Identity) ([]byte, error) {
	data, err := proto.Marshal(&msp.SerializedIdentity{Mspid: id.MSPID, IdBytes: id.Certificate})
	if err != nil {
		return nil, fmt.Errorf("fabric: serialize identity: %w", err)
	}
	return data, nil
}
