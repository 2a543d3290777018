package embedded

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/eduledger/eduledger/sdk/ledger"
)

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
	done      chan commitResult
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

// enqueue hands endorsed transactions to the committer, in order.
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

// runCommitter is the single goroutine that orders, validates, writes and applies blocks. Group
// commit: each block takes whatever arrived while the previous one was being written, up to the
// block limits.
func (l *Ledger) runCommitter() {
	defer close(l.committerDone)
	for {
		batch, stop := l.nextBatch()
		if len(batch) > 0 {
			l.commitBlock(batch)
			continue
		}
		if stop {
			return
		}
	}
}

func (l *Ledger) nextBatch() ([]*pendingTx, bool) {
	for {
		l.queueMu.Lock()
		if len(l.queue) > 0 {
			if l.failed != nil {
				failed := l.queue
				l.queue = nil
				err := l.failed
				l.queueMu.Unlock()
				for _, p := range failed {
					p.done <- commitResult{err: ledger.Unavailable("embedded ledger", err)}
				}
				continue
			}
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
// leaves the ledger's outcome unknown, and only a reopen (which recovers from the files) can tell.
func (l *Ledger) fail(err error, batch []*pendingTx) {
	l.log.Error("storage failure: the ledger stops committing; reopen it to recover", "err", err)
	l.queueMu.Lock()
	if l.failed == nil {
		l.failed = err
	}
	l.queueMu.Unlock()
	for _, p := range batch {
		p.done <- commitResult{err: ledger.Unavailable("embedded ledger: storage failure, outcome unknown", err)}
	}
}

var errSimulatedCrash = errors.New("simulated crash after the block was synced")

// overlay tracks, during validation of one block, the versions that earlier valid transactions of
// the same block produced (keyed by state database key).
type overlay map[string]overlayEntry

type overlayEntry struct {
	ver    Version
	exists bool
}

func (l *Ledger) commitBlock(batch []*pendingTx) {
	num := l.height
	prev := l.lastHash
	ov := overlay{}
	seen := make(map[string]struct{}, len(batch))
	codes := make([]byte, len(batch))
	entries := make([][]byte, len(batch))
	hashes := make([][32]byte, len(batch))
	pvtBatch := new(leveldb.Batch)
	for i, p := range batch {
		code := validCode
		if _, dup := seen[p.txID]; dup {
			code = duplicateCode
		} else if committed, err := l.txCommitted(p.txID); err != nil {
			l.fail(err, batch)
			return
		} else if committed {
			code = duplicateCode
		} else if code, err = validate(l.db, p.rw, ov); err != nil {
			l.fail(err, batch)
			return
		}
		seen[p.txID] = struct{}{}
		codes[i] = byte(code)
		entries[i], hashes[i] = p.entry, p.entryHash
		if code == validCode {
			ov.apply(p.rw, Version{Block: num, Tx: uint32(i)}, l.db)
			if len(p.pvt) > 0 {
				var e encoder
				encodePrivateWrites(&e, p.pvt)
				pvtBatch.Put(privateTxKey(Version{Block: num, Tx: uint32(i)}), e.b)
			}
		}
	}
	payload, offsets, hdr := encodeBlock(blockTransactions, num, prev, entries, hashes, codes)
	// Private writes are not in the block, so they must be durable before the block is: recovery
	// replays a block from the files together with its private writes.
	if pvtBatch.Len() > 0 {
		if err := l.db.Write(pvtBatch, &opt.WriteOptions{Sync: true}); err != nil {
			l.fail(err, batch)
			return
		}
	}
	loc, err := l.store.append(payload)
	if err != nil {
		if rerr := l.store.rollback(loc); rerr != nil && loc.Length > 0 {
			err = errors.Join(err, rerr)
		}
		l.fail(fmt.Errorf("append block %d: %w", num, err), batch)
		return
	}
	if err := l.store.sync(); err != nil {
		l.fail(fmt.Errorf("sync block %d: %w", num, err), batch)
		return
	}
	if l.crashAfterSync != nil && l.crashAfterSync(num) {
		l.fail(errSimulatedCrash, batch)
		return
	}
	hash := hdr.hash()
	txs := make([]*committedTx, len(batch))
	for i, p := range batch {
		txs[i] = &committedTx{txID: p.txID, code: codes[i], rw: p.rw, pvt: p.pvt, entryLoc: entryLocation(loc, offsets[i], len(p.entry))}
	}
	updates := new(leveldb.Batch)
	if err := applyBlock(updates, l.db, num, hash, loc, txs); err != nil {
		l.fail(err, batch)
		return
	}
	// The block is durable: a crash from here on is repaired by replay, so the state database need
	// not sync.
	if err := l.db.Write(updates, nil); err != nil {
		l.fail(fmt.Errorf("apply block %d: %w", num, err), batch)
		return
	}
	be := &blockEvents{txIDs: make([]string, len(batch))}
	for i, p := range batch {
		be.txIDs[i] = p.txID
		if codes[i] == byte(validCode) && p.event != nil {
			be.events = append(be.events, eventAt{pos: i, ev: &ledger.ChaincodeEvent{BlockNumber: num, TxID: p.txID, Name: p.event.EventName, Payload: p.event.Payload}})
		}
	}
	l.publish(num, hash, be)
	for i, p := range batch {
		p.done <- commitResult{block: num, code: peer.TxValidationCode(codes[i])}
	}
}

// txCommitted reports whether a transaction ID is already in the ledger.
func (l *Ledger) txCommitted(txID string) (bool, error) {
	ok, err := l.db.Has(txIDKey(txID), nil)
	if err != nil {
		return false, fmt.Errorf("transaction index: %w", err)
	}
	return ok, nil
}

// versionOf returns the committed version of a state database key, as the block so far has left
// it.
func versionOf(db stateReader, ov overlay, key []byte) (Version, bool, error) {
	if e, ok := ov[string(key)]; ok {
		return e.ver, e.exists, nil
	}
	raw, err := db.Get(key, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return Version{}, false, nil
	}
	if err != nil {
		return Version{}, false, err
	}
	v, _, err := decodeVersioned(raw)
	return v, true, err
}

// validate is Fabric's MVCC check: every key read must still be at the version read (or still
// absent), and every range re-run must return the same keys at the same versions.
func validate(db stateDB, rw *RWSet, ov overlay) (peer.TxValidationCode, error) {
	for _, r := range rw.Reads {
		v, exists, err := versionOf(db, ov, stateKey(r.Key))
		if err != nil {
			return 0, err
		}
		if exists != r.Exists || (exists && v != r.Version) {
			return mvccCode, nil
		}
	}
	for _, c := range rw.Collections {
		for _, r := range c.Reads {
			v, exists, err := versionOf(db, ov, hashedKey(c.Collection, r.KeyHash))
			if err != nil {
				return 0, err
			}
			if exists != r.Exists || (exists && v != r.Version) {
				return mvccCode, nil
			}
		}
	}
	for i := range rw.RangeQueries {
		same, err := rangeUnchanged(db, &rw.RangeQueries[i], ov)
		if err != nil {
			return 0, err
		}
		if !same {
			return phantomCode, nil
		}
	}
	return validCode, nil
}

// rangeUnchanged re-runs a recorded range query over the committed state plus the block's earlier
// writes. A query the chaincode stopped early is compared up to the last key it read.
func rangeUnchanged(db stateDB, q *RangeQuery, ov overlay) (bool, error) {
	var limit []byte
	switch {
	case !q.Exhausted && len(q.Reads) == 0:
		return true, nil
	case !q.Exhausted:
		limit = append(stateKey(q.Reads[len(q.Reads)-1].Key), 0)
	case q.EndKey == "":
		limit = []byte{pState + 1}
	default:
		limit = stateKey(q.EndKey)
	}
	start := stateKey(q.StartKey)
	// Keys of the block's earlier writes within the range, in order.
	var extra []string
	for k := range ov {
		if k >= string(start) && k < string(limit) {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	it := db.NewIterator(&util.Range{Start: start, Limit: limit}, nil)
	defer it.Release()
	i := 0
	next := func() (string, Version, bool, error) {
		for {
			hasDB := it.Valid()
			var dbKey string
			if hasDB {
				dbKey = string(it.Key())
			}
			if len(extra) > 0 && (!hasDB || extra[0] <= dbKey) {
				k := extra[0]
				extra = extra[1:]
				if hasDB && dbKey == k {
					it.Next()
				}
				if e := ov[k]; e.exists {
					return k, e.ver, true, nil
				}
				continue
			}
			if !hasDB {
				return "", Version{}, false, it.Error()
			}
			v, _, err := decodeVersioned(it.Value())
			it.Next()
			return dbKey, v, true, err
		}
	}
	it.First()
	for {
		k, v, ok, err := next()
		if err != nil {
			return false, err
		}
		if !ok {
			return i == len(q.Reads), nil
		}
		if i >= len(q.Reads) || k[1:] != q.Reads[i].Key || v != q.Reads[i].Version {
			return false, nil
		}
		i++
	}
}

// apply records the versions a valid transaction writes.
func (ov overlay) apply(rw *RWSet, v Version, db stateReader) {
	for _, w := range rw.Writes {
		ov[string(stateKey(w.Key))] = overlayEntry{ver: v, exists: !w.IsDelete}
	}
	for _, m := range rw.MetadataWrites {
		k := stateKey(m.Key)
		if _, exists, _ := versionOf(db, ov, k); exists {
			ov[string(k)] = overlayEntry{ver: v, exists: true}
		}
	}
	for _, c := range rw.Collections {
		for _, w := range c.Writes {
			ov[string(hashedKey(c.Collection, w.KeyHash))] = overlayEntry{ver: v, exists: !w.IsDelete}
		}
		for _, m := range c.MetadataWrites {
			k := hashedKey(c.Collection, m.KeyHash)
			if _, exists, _ := versionOf(db, ov, k); exists {
				ov[string(k)] = overlayEntry{ver: v, exists: true}
			}
		}
	}
}

// stateReader is the read side of a state database (a *leveldb.DB or a snapshot).
type stateReader interface {
	Get(key []byte, ro *opt.ReadOptions) ([]byte, error)
}

// stateDB is a state database that can also be iterated.
type stateDB interface {
	stateReader
	NewIterator(slice *util.Range, ro *opt.ReadOptions) iterator.Iterator
}

// applyBlock adds to batch everything a committed block changes in the state database: the writes
// of its valid transactions, the history and transaction indexes, the block index and the
// savepoint. db is the state before the block. The live commit, crash recovery and Verify all
// use it, so they cannot disagree.
func applyBlock(batch *leveldb.Batch, db stateReader, num uint64, hash [32]byte, loc location, txs []*committedTx) error {
	vals := map[string][]byte{}
	for i, tx := range txs {
		v := Version{Block: num, Tx: uint32(i)}
		if peer.TxValidationCode(tx.code) != duplicateCode {
			batch.Put(txIDKey(tx.txID), txRecord{Block: num, Tx: uint32(i), Code: tx.code, Loc: tx.entryLoc}.encode())
		}
		if peer.TxValidationCode(tx.code) != validCode {
			continue
		}
		if err := applyTx(batch, db, vals, v, tx); err != nil {
			return fmt.Errorf("block %d transaction %d: %w", num, i, err)
		}
	}
	batch.Put(blockKey(num), blockRecord{Loc: loc, Hash: hash}.encode())
	batch.Put(savepointKey, blockKey(num)[1:])
	return nil
}

// current returns the value (or value hash) of a state database key as the block so far left it.
func current(db stateReader, vals map[string][]byte, key []byte) ([]byte, bool, error) {
	if v, ok := vals[string(key)]; ok {
		return v, v != nil, nil
	}
	raw, err := db.Get(key, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	_, value, err := decodeVersioned(raw)
	return value, err == nil, err
}

func applyTx(batch *leveldb.Batch, db stateReader, vals map[string][]byte, v Version, tx *committedTx) error {
	rw := tx.rw
	loc := tx.entryLoc.encodeBytes()
	for _, w := range rw.Writes {
		sk := stateKey(w.Key)
		if w.IsDelete {
			batch.Delete(sk)
			batch.Delete(metaKey(w.Key))
			vals[string(sk)] = nil
		} else {
			batch.Put(sk, encodeVersioned(v, w.Value))
			vals[string(sk)] = w.Value
		}
		batch.Put(historyKey(w.Key, v), loc)
	}
	for _, m := range rw.MetadataWrites {
		// As in Fabric, metadata of a key that does not exist is dropped, and a metadata update
		// gives the key a new version so that readers of the old metadata conflict.
		sk := stateKey(m.Key)
		value, exists, err := current(db, vals, sk)
		if err != nil {
			return err
		}
		if !exists {
			continue
		}
		batch.Put(sk, encodeVersioned(v, value))
		vals[string(sk)] = value
		if len(m.Entries) == 0 {
			batch.Delete(metaKey(m.Key))
		} else {
			batch.Put(metaKey(m.Key), encodeMetadata(m.Entries))
		}
	}
	private := make(map[string]*privateWrite, len(tx.pvt))
	for i := range tx.pvt {
		p := &tx.pvt[i]
		private[p.Collection+"\x00"+p.Key] = p
	}
	for _, c := range rw.Collections {
		for _, w := range c.Writes {
			hk := hashedKey(c.Collection, w.KeyHash)
			if w.IsDelete {
				batch.Delete(hk)
				batch.Delete(hashedMetaKey(c.Collection, w.KeyHash))
				vals[string(hk)] = nil
			} else {
				batch.Put(hk, encodeVersioned(v, w.ValueHash[:]))
				vals[string(hk)] = w.ValueHash[:]
			}
		}
		for _, m := range c.MetadataWrites {
			hk := hashedKey(c.Collection, m.KeyHash)
			valueHash, exists, err := current(db, vals, hk)
			if err != nil {
				return err
			}
			if !exists {
				continue
			}
			batch.Put(hk, encodeVersioned(v, valueHash))
			vals[string(hk)] = valueHash
			if len(m.Entries) == 0 {
				batch.Delete(hashedMetaKey(c.Collection, m.KeyHash))
			} else {
				batch.Put(hashedMetaKey(c.Collection, m.KeyHash), encodeMetadata(m.Entries))
			}
		}
	}
	for _, p := range tx.pvt {
		if err := checkPrivateWrite(rw, &p); err != nil {
			return err
		}
		pk := privateKey(p.Collection, p.Key)
		if p.IsDelete {
			batch.Delete(pk)
		} else {
			batch.Put(pk, encodeVersioned(v, p.Value))
		}
	}
	return nil
}

// checkPrivateWrite checks a private write against the hashes the block holds for it.
func checkPrivateWrite(rw *RWSet, p *privateWrite) error {
	kh := hashKey(p.Key)
	for _, c := range rw.Collections {
		if c.Collection != p.Collection {
			continue
		}
		for _, w := range c.Writes {
			if w.KeyHash != kh {
				continue
			}
			if w.IsDelete != p.IsDelete || (!p.IsDelete && w.ValueHash != sha256.Sum256(p.Value)) {
				return fmt.Errorf("%w: private write of %s does not match its hash in the block", errCorrupt, p.Collection)
			}
			return nil
		}
	}
	return fmt.Errorf("%w: private write of %s has no hash in the block", errCorrupt, p.Collection)
}

func (l location) encodeBytes() []byte {
	var e encoder
	l.encode(&e)
	return e.b
}

// commitError turns a validation code into the error Submit returns.
func commitError(txID string, code peer.TxValidationCode) error {
	if code == validCode {
		return nil
	}
	return ledger.NewCommitError(txID, code)
}
