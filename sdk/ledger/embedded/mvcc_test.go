package embedded

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/eduledger/eduledger/sdk/ledger"
)

// withWindow shrinks the MVCC window so that tests reach its pruning and fallback paths.
func withWindow(blocks, keys int) Option {
	return func(o *options) error {
		o.windowBlocks, o.windowKeys = blocks, keys
		return nil
	}
}

// TestValidationIsExactAndAgreesWithVerify drives a random concurrent workload full of conflicts
// (hot counters, range reads racing inserts and deletes, deletes of absent keys, metadata writes)
// through a tiny MVCC window, then checks that Verify, which re-derives every validation code from
// a replay with Fabric's exact rule, agrees with every code the orderer chose, and that no
// acknowledged increment was lost.
func TestValidationIsExactAndAgreesWithVerify(t *testing.T) {
	for _, window := range []struct{ blocks, keys int }{{2, 4}, {windowBlocks, windowKeys}} {
		t.Run(fmt.Sprintf("with a window of %d blocks", window.blocks), func(t *testing.T) {
			n := newNetwork(t, withWindow(window.blocks, window.keys))
			g := n.ledger.Connect(n.issuer)
			var mu sync.Mutex
			increments := map[string]int{}
			codes := map[peer.TxValidationCode]int{}
			var wg sync.WaitGroup
			for c := 0; c < 8; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(c), 7))
					for i := 0; i < 40; i++ {
						var t0 *ledger.Transaction
						hot := fmt.Sprintf("hot-%d", rng.IntN(3))
						switch rng.IntN(6) {
						case 0, 1:
							t0 = tx("Incr", hot)
						case 2:
							t0 = tx("AddItem", "alice", strconv.Itoa(rng.IntN(6)), "v")
						case 3:
							t0 = tx("CountItems", "alice")
						case 4:
							t0 = tx("Del", mustCompositeKey(t, "item", "alice", strconv.Itoa(rng.IntN(12))))
						case 5:
							t0 = tx("SetEP", hot, "p"+strconv.Itoa(i))
						}
						_, err := g.Submit(context.Background(), t0)
						code := commitCode(err)
						if err != nil && code == peer.TxValidationCode_INVALID_OTHER_REASON {
							t.Errorf("%s: %v", t0.Function, err)
							return
						}
						mu.Lock()
						codes[code]++
						if err == nil && t0.Function == "Incr" {
							increments[hot]++
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			for key, want := range increments {
				if got := mustEvaluate(t, g, "Get", key); got != strconv.Itoa(want) {
					t.Errorf("%s = %s, but %d increments were acknowledged", key, got, want)
				}
			}
			if codes[peer.TxValidationCode_MVCC_READ_CONFLICT] == 0 {
				t.Errorf("no MVCC conflicts in a workload built to have them: %v", codes)
			}
			if _, err := n.ledger.Verify(context.Background()); err != nil {
				t.Fatalf("verify disagrees with the orderer: %v", err)
			}
			t.Logf("codes: %v", codes)
		})
	}
}

func TestStaleSimulationsAreJudgedExactly(t *testing.T) {
	n := newNetwork(t, withWindow(1, 1))
	g := n.ledger.Connect(n.issuer)
	mustSubmit(t, g, "Put", "counter", "1")
	mustSubmit(t, g, "AddItem", "alice", "a", "1")
	// Simulated now, ordered after many blocks pushed their reads out of the window.
	untouched := prepare(t, g, tx("Incr", "counter"))
	changed := prepare(t, g, tx("Incr", "counter"))
	rangeRead := prepare(t, g, tx("CountItems", "alice"))
	rangeChanged := prepare(t, g, tx("CountItems", "alice"))
	p, err := g.NewProposal(tx("Put", "dup", "1"))
	if err != nil {
		t.Fatal(err)
	}
	dupFirst, err := n.ledger.prepare(context.Background(), p.signed, p.stored)
	if err != nil {
		t.Fatal(err)
	}
	dupSecond, err := n.ledger.prepare(context.Background(), p.signed, p.stored)
	if err != nil {
		t.Fatal(err)
	}
	commitTogether(t, n.ledger, dupFirst)
	for i := 0; i < 5; i++ {
		mustSubmit(t, g, "Put", fmt.Sprintf("filler-%d", i), "x")
		mustSubmit(t, g, "Del", fmt.Sprintf("absent-%d", i)) // deletes of keys that never existed
	}
	if n.ledger.window.floor < untouched.snapshot+1 {
		t.Fatalf("the window still holds the simulations' snapshot (floor %d)", n.ledger.window.floor)
	}
	tests := []struct {
		name string
		p    *pendingTx
		// before runs before p is ordered.
		before func()
		want   peer.TxValidationCode
	}{
		{"a stale read of an unchanged key is valid", untouched, nil, peer.TxValidationCode_VALID},
		// The previous case changed the counter.
		{"a stale read of a key changed since is a conflict", changed, nil, peer.TxValidationCode_MVCC_READ_CONFLICT},
		{"a stale range read over an unchanged range is valid", rangeRead, nil, peer.TxValidationCode_VALID},
		{"a stale range read over a changed range is a phantom", rangeChanged, func() {
			mustSubmit(t, g, "AddItem", "alice", "b", "2")
			for i := 0; i < 3; i++ {
				mustSubmit(t, g, "Put", fmt.Sprintf("more-%d", i), "x")
			}
		}, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"a transaction ID committed long ago is a duplicate", dupSecond, nil, peer.TxValidationCode_DUPLICATE_TXID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			errs := commitTogether(t, n.ledger, tt.p)
			if got := commitCode(errs[0]); got != tt.want {
				t.Fatalf("code = %s (%v), want %s", got, errs[0], tt.want)
			}
		})
	}
	if _, err := n.ledger.Verify(context.Background()); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func TestADeleteOfAnAbsentKeyIsNotAConflict(t *testing.T) {
	n := newNetwork(t)
	g := n.ledger.Connect(n.issuer)
	mustSubmit(t, g, "AddItem", "alice", "a", "1")
	reader := prepare(t, g, tx("Incr", "absent")) // reads "absent" as absent
	counter := prepare(t, g, tx("CountItems", "alice"))
	mustSubmit(t, g, "Del", "absent")
	mustSubmit(t, g, "Del", mustCompositeKey(t, "item", "alice", "zzz"))
	errs := commitTogether(t, n.ledger, reader, counter)
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v (Fabric compares versions: absent is still absent)", i, err)
		}
	}
	if _, err := n.ledger.Verify(context.Background()); err != nil {
		t.Fatalf("verify: %v", err)
	}
}
