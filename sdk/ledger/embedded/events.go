package embedded

import (
	"bytes"
	"context"
	"fmt"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// blockEvents is what an event stream needs from one block: every transaction ID in order (to
// resume after a checkpoint) and the events of its valid transactions.
type blockEvents struct {
	txIDs  []string
	events []eventAt
}

type eventAt struct {
	pos int
	ev  *ledger.ChaincodeEvent
}

// recentBlocks is how many blocks' events are kept in memory for live streams.
const recentBlocks = 256

// publish makes a committed block visible: the new height, its events, and a wake-up for every
// event stream.
func (l *Ledger) publish(num uint64, hash [32]byte, be *blockEvents) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.height = num + 1
	l.lastHash = hash
	l.recent[num] = be
	l.recentQ = append(l.recentQ, num)
	if len(l.recentQ) > recentBlocks {
		delete(l.recent, l.recentQ[0])
		l.recentQ = l.recentQ[1:]
	}
	close(l.notify)
	l.notify = make(chan struct{})
}

func (l *Ledger) heightAndNotify() (uint64, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.height, l.notify
}

// eventsOf returns the events of block n, from memory for recent blocks, else from the block files.
func (l *Ledger) eventsOf(n uint64) (*blockEvents, error) {
	l.mu.Lock()
	be := l.recent[n]
	l.mu.Unlock()
	if be != nil {
		return be, nil
	}
	b, err := l.readBlock(n)
	if err != nil {
		return nil, err
	}
	be = &blockEvents{txIDs: make([]string, len(b.Entries))}
	if b.Header.Kind != blockTransactions {
		be.txIDs = nil
		return be, nil
	}
	for i, raw := range b.Entries {
		e, err := decodeTxEntry(raw)
		if err != nil {
			return nil, corruptErr(fmt.Sprintf("block %d", n), err)
		}
		be.txIDs[i] = e.TxID
		if b.Codes[i] == byte(validCode) && e.Event != nil {
			be.events = append(be.events, eventAt{pos: i, ev: &ledger.ChaincodeEvent{BlockNumber: n, TxID: e.TxID, Name: e.Event.EventName, Payload: e.Event.Payload}})
		}
	}
	return be, nil
}

// readBlock reads and decodes block n from the block files.
func (l *Ledger) readBlock(n uint64) (*rawBlock, error) {
	rec, err := l.blockRecord(n)
	if err != nil {
		return nil, err
	}
	payload, err := l.store.readFrame(rec.Loc)
	if err != nil {
		return nil, corruptErr(fmt.Sprintf("block %d", n), err)
	}
	b, err := decodeBlock(payload)
	if err != nil {
		return nil, corruptErr(fmt.Sprintf("block %d", n), err)
	}
	if b.Header.Number != n || b.Header.hash() != rec.Hash {
		return nil, corruptErr(fmt.Sprintf("block %d", n), fmt.Errorf("%w: block does not match the block index", errCorrupt))
	}
	return b, nil
}

// Events streams, in commit order, the chaincode events of valid transactions committed after the
// checkpoint (nil: from the first block): first those already stored, then live ones as blocks
// commit, with no gap and no repeat. The channel closes when ctx ends or the ledger closes; the
// consumer resumes from the checkpoint of the last event it processed.
//
// Errors: INVALID when the checkpoint names a transaction that is not in its block, UNAVAILABLE
// when the ledger is closed.
func (l *Ledger) Events(ctx context.Context, after *ledger.Checkpoint) (<-chan *ledger.ChaincodeEvent, error) {
	if err := l.begin(); err != nil {
		return nil, err
	}
	defer l.end()
	next, skip := uint64(1), -1
	if after != nil {
		next = max(after.BlockNumber, 1)
		if after.TxID != "" {
			if after.BlockNumber == 0 || after.BlockNumber >= l.Height() {
				return nil, eduledger.Errorf(eduledger.EINVALID, "embedded: checkpoint block %d is not committed, so it cannot hold transaction %s", after.BlockNumber, after.TxID)
			}
			be, err := l.eventsOf(after.BlockNumber)
			if err != nil {
				return nil, err
			}
			for i, id := range be.txIDs {
				if id == after.TxID {
					skip = i
					break
				}
			}
			if skip < 0 {
				return nil, eduledger.Errorf(eduledger.EINVALID, "embedded: checkpoint transaction %s is not in block %d", after.TxID, after.BlockNumber)
			}
		}
	}
	ch := make(chan *ledger.ChaincodeEvent, 64)
	go l.streamEvents(ctx, ch, next, skip)
	return ch, nil
}

func (l *Ledger) streamEvents(ctx context.Context, ch chan<- *ledger.ChaincodeEvent, next uint64, skip int) {
	defer close(ch)
	for {
		height, notify := l.heightAndNotify()
		for ; next < height; next++ {
			if err := l.begin(); err != nil {
				return
			}
			be, err := l.eventsOf(next)
			l.end()
			if err != nil {
				l.log.Error("event stream stopped", "block", next, "err", err)
				return
			}
			for _, e := range be.events {
				if e.pos <= skip {
					continue
				}
				ev := *e.ev
				ev.Payload = bytes.Clone(ev.Payload)
				select {
				case ch <- &ev:
				case <-ctx.Done():
					return
				case <-l.closing:
					return
				}
			}
			skip = -1
		}
		select {
		case <-notify:
		case <-ctx.Done():
			return
		case <-l.closing:
			return
		}
	}
}
