package embedded

import (
	"errors"
	"fmt"
	"os"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/eduledger/eduledger/sdk/ledger"
)

// The commit pipeline has three stages, each one goroutine:
//
//   - the orderer takes whatever endorsed transactions are queued (up to the block limits),
//     validates them in order against the MVCC window (mvcc.go), encodes the block, saves its
//     private writes and appends the block to the block file without syncing, then hands it on;
//   - the syncer takes every block handed on so far and fsyncs the block file once for all of
//     them (group commit);
//   - the state writer applies each durable group to the state database in one batch, publishes
//     the blocks and answers the submitters.
//
// So the next block is validated and written, and the next group synced, while the previous group
// is applied; a slow fsync makes the next block bigger instead of stalling everything. Nobody
// hears "committed" before the block is durable, and the state database never gets ahead of the
// block files.

const (
	validCode     = peer.TxValidationCode_VALID
	mvccCode      = peer.TxValidationCode_MVCC_READ_CONFLICT
	phantomCode   = peer.TxValidationCode_PHANTOM_READ_CONFLICT
	duplicateCode = peer.TxValidationCode_DUPLICATE_TXID
)

// pendingTx is an endorsed transaction waiting to be ordered.
type pendingTx struct {
	txID      string
	entry     []byte // encoded txEntry
	entryHash [32]byte
	rw        *RWSet
	pvt       []privateWrite
	event     *peer.ChaincodeEvent
	payload   []byte
	// snapshot is the last block the simulation's state snapshot included.
	snapshot uint64
	done     chan commitResult
}

type commitResult struct {
	block uint64
	code  peer.TxValidationCode
	err   error
}

// committedTx is what applying a transaction of a block needs.
type committedTx struct {
	txID     string
	code     byte
	rw       *RWSet
	pvt      []privateWrite
	entryLoc location
}

// orderedBlock is a block the orderer wrote and the later stages have yet to sync and apply.
type orderedBlock struct {
	num     uint64
	hash    [32]byte
	loc     location
	file    *os.File
	txs     []*pendingTx
	codes   []byte
	offsets []int
	private bool
}

// maxGroup bounds how many blocks are synced and applied at once.
const maxGroup = 64

// The orderer cuts the next block only once the previous one is synced: while an fsync runs, new
// transactions pile up in the queue and go into the next block together, so blocks (and the work
// each fsync covers) grow with load instead of the orderer cutting one block per transaction. The
// state write of a synced group overlaps the next block's ordering and fsync; syncedDepth bounds
// how far the state writer may lag.
const syncedDepth = 4

// enqueue hands endorsed transactions to the orderer, in order.
func (l *Ledger) enqueue(ps ...*pendingTx) error {
	l.queueMu.Lock()
	switch {
	case l.stopping:
		l.queueMu.Unlock()
		return ledger.Unavailable("embedded ledger", errClosed)
	case l.failed != nil:
		l.queueMu.Unlock()
		return ledger.Unavailable("embedded ledger", l.failed)
	}
	l.queue = append(l.queue, ps...)
	l.queueMu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return nil
}

func (l *Ledger) failure() error {
	l.queueMu.Lock()
	defer l.queueMu.Unlock()
	return l.failed
}

// runOrderer is the first stage.
func (l *Ledger) runOrderer() {
	defer close(l.ordered)
	for {
		l.slots <- struct{}{} // released by the syncer once the block is durable
		batch, stop := l.nextBatch()
		if len(batch) > 0 {
			l.orderBlock(batch)
			continue
		}
		<-l.slots
		if stop {
			return
		}
	}
}

// nextBatch waits for queued transactions and takes as many as one block may hold. It reports
// stop once the ledger is closing and the queue is empty.
func (l *Ledger) nextBatch() ([]*pendingTx, bool) {
	for {
		l.queueMu.Lock()
		if len(l.queue) > 0 {
			n, size := 0, 0
			for n < len(l.queue) && n < l.cfg.MaxBlockTxs {
				if n > 0 && size+len(l.queue[n].entry) > l.cfg.MaxBlockBytes {
					break
				}
				size += len(l.queue[n].entry)
				n++
			}
			batch := make([]*pendingTx, n)
			copy(batch, l.queue)
			rest := copy(l.queue, l.queue[n:])
			clear(l.queue[rest:])
			l.queue = l.queue[:rest]
			l.queueMu.Unlock()
			return batch, false
		}
		stopping := l.stopping
		l.queueMu.Unlock()
		if stopping {
			return nil, true
		}
		select {
		case <-l.wake:
		case <-l.closing:
		}
	}
}

// fail stops all further commits after a storage error: a block that may or may not be durable
// leaves the outcome unknown, and only a reopen (which recovers from the files) can tell.
func (l *Ledger) fail(err error, txs []*pendingTx) {
	l.queueMu.Lock()
	if l.failed == nil {
		l.failed = err
		l.log.Error("storage failure: the ledger stops committing; reopen it to recover", "err", err)
	}
	l.queueMu.Unlock()
	for _, p := range txs {
		p.done <- commitResult{err: ledger.Unavailable("embedded ledger: storage failure, outcome unknown", err)}
	}
}

var errSimulatedCrash = errors.New("simulated crash after the block was synced")

// orderBlock validates a batch into the next block and writes it.
func (l *Ledger) orderBlock(batch []*pendingTx) {
	if err := l.failure(); err != nil {
		<-l.slots
		l.fail(err, batch)
		return
	}
	num := l.nextBlock
	codes := make([]byte, len(batch))
	entries := make([][]byte, len(batch))
	hashes := make([][32]byte, len(batch))
	var pvtBatch *leveldb.Batch
	w := l.window
	w.beginBlock(num)
	for i, p := range batch {
		code, err := w.check(p, l.db)
		if err != nil {
			<-l.slots
			l.fail(fmt.Errorf("validate block %d: %w", num, err), batch)
			return
		}
		w.addTx(p.txID)
		codes[i] = byte(code)
		entries[i], hashes[i] = p.entry, p.entryHash
		if code != validCode {
			continue
		}
		if err := w.record(p.rw, uint32(i), l.db); err != nil {
			<-l.slots
			l.fail(fmt.Errorf("validate block %d: %w", num, err), batch)
			return
		}
		if len(p.pvt) > 0 {
			var e encoder
			encodePrivateWrites(&e, p.pvt)
			if pvtBatch == nil {
				pvtBatch = new(leveldb.Batch)
			}
			pvtBatch.Put(privateTxKey(Version{Block: num, Tx: uint32(i)}), e.b)
		}
	}
	w.endBlock()
	payload, offsets, hdr := encodeBlock(blockTransactions, num, l.prevHash, entries, hashes, codes)
	// Private writes are not in the block. They are saved before it (the state writer makes them
	// durable with the block's state), and recovery drops a block whose private writes are missing:
	// such a block was never acknowledged.
	if pvtBatch != nil {
		if err := l.db.Write(pvtBatch, nil); err != nil {
			<-l.slots
			l.fail(fmt.Errorf("save private writes of block %d: %w", num, err), batch)
			return
		}
	}
	loc, file, err := l.store.append(payload)
	if err != nil {
		// Cut off what part of the frame was written; nothing was written if the frame has no
		// length (the append failed before writing, e.g. starting a new file).
		if loc.Length > 0 {
			if rerr := l.store.rollback(loc); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		<-l.slots
		l.fail(fmt.Errorf("append block %d: %w", num, err), batch)
		return
	}
	l.nextBlock++
	l.prevHash = hdr.hash()
	w.prune(l.applied.Load())
	l.ordered <- &orderedBlock{num: num, hash: l.prevHash, loc: loc, file: file, txs: batch, codes: codes, offsets: offsets, private: pvtBatch != nil}
}

// runSyncer is the second stage: it makes groups of ordered blocks durable with one fsync and
// hands them to the state writer, so that the next group's fsync overlaps the previous group's
// state write.
func (l *Ledger) runSyncer() {
	defer close(l.synced)
	for b := range l.ordered {
		group := []*orderedBlock{b}
	more:
		for len(group) < maxGroup {
			select {
			case next, ok := <-l.ordered:
				if !ok {
					break more
				}
				group = append(group, next)
			default:
				break more
			}
		}
		g := l.syncGroup(group)
		for range group {
			<-l.slots
		}
		l.synced <- g
	}
}

// syncedGroup is a group of blocks after its fsync; err says the fsync (or an earlier stage)
// failed.
type syncedGroup struct {
	blocks []*orderedBlock
	err    error
}

func (l *Ledger) syncGroup(group []*orderedBlock) syncedGroup {
	if err := l.failure(); err != nil {
		return syncedGroup{group, err}
	}
	var done []*os.File
	for _, b := range group {
		if len(done) == 0 || done[len(done)-1] != b.file {
			if err := b.file.Sync(); err != nil {
				return syncedGroup{group, fmt.Errorf("sync block %d: %w", b.num, err)}
			}
			done = append(done, b.file)
		}
	}
	if l.crashAfterSync != nil && l.crashAfterSync(group[len(group)-1].num) {
		return syncedGroup{group, errSimulatedCrash}
	}
	return syncedGroup{blocks: group}
}

// runStateWriter is the third stage: it applies durable blocks to the state database, publishes
// them and answers their submitters.
func (l *Ledger) runStateWriter() {
	defer close(l.committerDone)
	for g := range l.synced {
		l.applyGroup(g)
	}
}

func (l *Ledger) applyGroup(g syncedGroup) {
	group := g.blocks
	var all []*pendingTx
	for _, b := range group {
		all = append(all, b.txs...)
	}
	if g.err != nil {
		l.fail(g.err, all)
		return
	}
	if err := l.failure(); err != nil {
		l.fail(err, all)
		return
	}
	private := false
	size := 0
	for _, b := range group {
		for _, p := range b.txs {
			for _, w := range p.rw.Writes {
				size += 2*len(w.Key) + len(w.Value) + 64
			}
			size += len(p.txID) + 48
		}
	}
	updates := leveldb.MakeBatch(size)
	vals := map[string][]byte{}
	for _, b := range group {
		private = private || b.private
		txs := make([]*committedTx, len(b.txs))
		for i, p := range b.txs {
			txs[i] = &committedTx{txID: p.txID, code: b.codes[i], rw: p.rw, pvt: p.pvt, entryLoc: entryLocation(b.loc, b.offsets[i], len(p.entry))}
		}
		if err := applyBlock(updates, l.db, vals, b.num, b.hash, b.loc, txs); err != nil {
			l.fail(fmt.Errorf("apply block %d: %w", b.num, err), all)
			return
		}
	}
	last := group[len(group)-1]
	// The blocks are durable, so a crash from here on is repaired by replay and the state database
	// need not sync, unless private writes (which no block holds) must become durable with it.
	if err := l.db.Write(updates, &opt.WriteOptions{Sync: private}); err != nil {
		l.fail(fmt.Errorf("apply blocks %d-%d: %w", group[0].num, last.num, err), all)
		return
	}
	l.applied.Store(last.num)
	for _, b := range group {
		be := &blockEvents{txIDs: make([]string, len(b.txs))}
		for i, p := range b.txs {
			be.txIDs[i] = p.txID
			if b.codes[i] == byte(validCode) && p.event != nil {
				be.events = append(be.events, eventAt{pos: i, ev: &ledger.ChaincodeEvent{BlockNumber: b.num, TxID: p.txID, Name: p.event.EventName, Payload: p.event.Payload}})
			}
		}
		l.publish(b.num, b.hash, be)
		for i, p := range b.txs {
			p.done <- commitResult{block: b.num, code: peer.TxValidationCode(b.codes[i])}
		}
	}
}

// commitError turns a validation code into the error Submit returns.
func commitError(txID string, code peer.TxValidationCode) error {
	if code == validCode {
		return nil
	}
	return ledger.NewCommitError(txID, code)
}
