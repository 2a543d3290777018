package fabric_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/fabric"
)

// kvClient connects to the kv chaincode as member's cryptogen client.
func kvClient(t testing.TB, member string, opts ...fabric.Option) *fabric.Ledger {
	t.Helper()
	n := fabricNetwork(t)
	id, err := n.Client(member)
	if err != nil {
		t.Fatal(err)
	}
	l, err := n.Connect(member, kvChaincode, id, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func unique(prefix string) string { return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()) }

func TestFabricSubmitCommitsAndEvaluateReadsIt(t *testing.T) {
	l := kvClient(t, "school")
	key := unique("k")
	r, err := l.Submit(t.Context(), &ledger.Transaction{Function: "Put", Args: []string{key, "v1"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.TxID == "" || r.BlockNumber == 0 {
		t.Errorf("receipt %+v lacks a TxID or block", r)
	}
	got, err := kvClient(t, "enterprise").Evaluate(t.Context(), &ledger.Transaction{Function: "Get", Args: []string{key}})
	if err != nil || string(got) != "v1" {
		t.Errorf("Get from another organisation = %q, %v; want v1", got, err)
	}
}

func TestFabricChaincodeErrorsKeepTheirCodes(t *testing.T) {
	l := kvClient(t, "gov")
	for _, tc := range []struct {
		name string
		tx   ledger.Transaction
		code string
	}{
		{"a NOT_FOUND from the chaincode", ledger.Transaction{Function: "Get", Args: []string{unique("missing")}}, eduledger.ENOTFOUND},
		{"a FORBIDDEN from the chaincode", ledger.Transaction{Function: "Fail", Args: []string{"FORBIDDEN", "not yours"}}, eduledger.EFORBIDDEN},
		{"a CONFLICT from the chaincode", ledger.Transaction{Function: "Fail", Args: []string{"CONFLICT", "already there"}}, eduledger.ECONFLICT},
		{"an unknown function", ledger.Transaction{Function: "Nope"}, eduledger.EINVALID},
		{"a chaincode fault without a code", ledger.Transaction{Function: "Fail", Args: []string{"BOOM", "disk on fire"}}, eduledger.EINTERNAL},
	} {
		t.Run(tc.name+" is "+tc.code+" on submit and evaluate", func(t *testing.T) {
			_, err := l.Submit(t.Context(), &tc.tx)
			if got := eduledger.ErrorCode(err); got != tc.code {
				t.Errorf("Submit: code %q (%v), want %s", got, err, tc.code)
			}
			_, err = l.Evaluate(t.Context(), &tc.tx)
			if got := eduledger.ErrorCode(err); got != tc.code {
				t.Errorf("Evaluate: code %q (%v), want %s", got, err, tc.code)
			}
		})
	}
}

func TestFabricEndorsementByOneOrganisationFailsAtCommitAsForbidden(t *testing.T) {
	l := kvClient(t, "school")
	_, err := l.Submit(t.Context(), &ledger.Transaction{Function: "Put", Args: []string{unique("solo"), "x"}, Endorsers: []string{"SchoolMSP"}})
	var ce *ledger.CommitError
	if eduledger.ErrorCode(err) != eduledger.EFORBIDDEN || !errors.As(err, &ce) || ce.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
		t.Fatalf("err = %v, want FORBIDDEN with ENDORSEMENT_POLICY_FAILURE", err)
	}
}

func TestFabricExpiredContextIsUnavailable(t *testing.T) {
	l := kvClient(t, "school")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := l.Submit(ctx, &ledger.Transaction{Function: "Put", Args: []string{unique("late"), "x"}})
	if eduledger.ErrorCode(err) != eduledger.EUNAVAILABLE || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want UNAVAILABLE matching context.Canceled", err)
	}
}

// concurrentAdds runs n concurrent Add(key, 1) and returns their errors.
func concurrentAdds(t *testing.T, l *fabric.Ledger, key string, n int) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = l.Submit(t.Context(), &ledger.Transaction{Function: "Add", Args: []string{key, "1"}})
		})
	}
	wg.Wait()
	return errs
}

func TestFabricMVCCConflictsAreRetriedUntilEveryAddCounts(t *testing.T) {
	l := kvClient(t, "school", fabric.WithConflictRetry(30, 10*time.Millisecond))
	key := unique("counter")
	const n = 8
	for i, err := range concurrentAdds(t, l, key, n) {
		if err != nil {
			t.Errorf("add %d: %v", i, err)
		}
	}
	got, err := l.Evaluate(t.Context(), &ledger.Transaction{Function: "Get", Args: []string{key}})
	if err != nil || string(got) != strconv.Itoa(n) {
		t.Fatalf("counter = %q, %v; want %d", got, err, n)
	}
}

func TestFabricMVCCConflictWithoutRetryIsConflictWithItsValidationCode(t *testing.T) {
	l := kvClient(t, "school", fabric.WithConflictRetry(0, 0))
	for round := 0; round < 5; round++ {
		for _, err := range concurrentAdds(t, l, unique("race"), 8) {
			var ce *ledger.CommitError
			if errors.As(err, &ce) {
				if eduledger.ErrorCode(err) != eduledger.ECONFLICT || ce.Code != peer.TxValidationCode_MVCC_READ_CONFLICT {
					t.Fatalf("err = %v, want CONFLICT with MVCC_READ_CONFLICT", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
		}
	}
	t.Fatal("eight concurrent Adds on one key never conflicted in five rounds")
}

func TestFabricPrivateDataNeedsTrustedEndorsers(t *testing.T) {
	key := unique("secret")
	tx := &ledger.Transaction{Function: "PutPrivate", Args: []string{key}, Transient: map[string][]byte{"value": []byte("名字")}}

	untrusting := kvClient(t, "school", fabric.WithTransientEndorsers())
	if _, err := untrusting.Submit(t.Context(), tx); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Fatalf("without trusted endorsers: %v, want INVALID", err)
	}

	l := kvClient(t, "school") // the profile trusts GovMSP
	if _, err := l.Submit(t.Context(), tx); err != nil {
		t.Fatal(err)
	}
	got, err := l.Evaluate(t.Context(), &ledger.Transaction{Function: "GetPrivate", Args: []string{key}, Endorsers: []string{"SchoolMSP"}})
	if err != nil || string(got) != "名字" {
		t.Fatalf("GetPrivate = %q, %v", got, err)
	}
}

// putEvents submits Put for each key and returns the receipts.
func putEvents(t *testing.T, l *fabric.Ledger, keys ...string) []*ledger.Receipt {
	t.Helper()
	var rs []*ledger.Receipt
	for _, k := range keys {
		r, err := l.Submit(t.Context(), &ledger.Transaction{Function: "Put", Args: []string{k, "v"}})
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	return rs
}

// nextPuts reads events until it has seen want "put" events for keys with prefix, failing on
// anything out of order.
func nextPuts(t *testing.T, events <-chan *ledger.ChaincodeEvent, prefix string, want int) []*ledger.ChaincodeEvent {
	t.Helper()
	var got []*ledger.ChaincodeEvent
	timeout := time.After(60 * time.Second)
	for len(got) < want {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("event stream closed after %d of %d events", len(got), want)
			}
			if ev.Name == "put" && len(ev.Payload) > len(prefix) && string(ev.Payload[:len(prefix)]) == prefix {
				got = append(got, ev)
			}
		case <-timeout:
			t.Fatalf("only %d of %d events within a minute", len(got), want)
		}
	}
	return got
}

func TestFabricEventsResumeAfterTheCheckpointWithoutGapOrDuplicate(t *testing.T) {
	l := kvClient(t, "school")
	prefix := unique("ev") + "-"
	keys := make([]string, 6)
	for i := range keys {
		keys[i] = prefix + strconv.Itoa(i)
	}
	rs := putEvents(t, l, keys...)

	ctx, cancel := context.WithCancel(t.Context())
	events, err := l.Events(ctx, &ledger.Checkpoint{BlockNumber: rs[0].BlockNumber})
	if err != nil {
		t.Fatal(err)
	}
	first := nextPuts(t, events, prefix, 3)
	cancel()
	last := first[len(first)-1]

	events, err = l.Events(t.Context(), &ledger.Checkpoint{BlockNumber: last.BlockNumber, TxID: last.TxID})
	if err != nil {
		t.Fatal(err)
	}
	rest := nextPuts(t, events, prefix, 3)
	for i, ev := range append(first, rest...) {
		if string(ev.Payload) != keys[i] || ev.TxID != rs[i].TxID || ev.BlockNumber != rs[i].BlockNumber {
			t.Errorf("event %d = %s in block %d (tx %s), want %s in block %d (tx %s)", i, ev.Payload, ev.BlockNumber, ev.TxID, keys[i], rs[i].BlockNumber, rs[i].TxID)
		}
	}
}

func TestFabricEventStreamReconnectsThroughAnotherGatewayWithoutGapOrDuplicate(t *testing.T) {
	if testing.Short() {
		t.Skip("stops and restarts a peer; not in -short")
	}
	n := fabricNetwork(t)
	t.Cleanup(func() {
		if err := n.Up(context.Background()); err != nil {
			t.Errorf("restart the network: %v", err)
		}
	})
	subscriber := kvClient(t, "enterprise") // enterprise's gateway first, then gov's and school's
	writer := kvClient(t, "school")
	prefix := unique("reconnect") + "-"
	keys := make([]string, 6)
	for i := range keys {
		keys[i] = prefix + strconv.Itoa(i)
	}
	rs := putEvents(t, writer, keys[:3]...)
	events, err := subscriber.Events(t.Context(), &ledger.Checkpoint{BlockNumber: rs[0].BlockNumber})
	if err != nil {
		t.Fatal(err)
	}
	got := nextPuts(t, events, prefix, 3)
	if err := n.Stop("peer0.enterprise"); err != nil { // the subscriber's gateway goes away
		t.Fatal(err)
	}
	rs = append(rs, putEvents(t, writer, keys[3:]...)...)
	got = append(got, nextPuts(t, events, prefix, 3)...)
	for i, ev := range got {
		if string(ev.Payload) != keys[i] || ev.TxID != rs[i].TxID {
			t.Errorf("event %d = %s (tx %s), want %s (tx %s)", i, ev.Payload, ev.TxID, keys[i], rs[i].TxID)
		}
	}
}
