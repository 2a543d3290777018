package embedded

import (
	"errors"
	"sort"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// overlay tracks, during validation of one block, the versions that earlier valid transactions of
// the same block produced (keyed by state database key).
type overlay map[string]overlayEntry

type overlayEntry struct {
	ver    Version
	exists bool
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

// mvccWindow lets the orderer validate without touching the state database. It remembers, for
// the most recent blocks (those after floor), which keys each wrote and which transaction IDs it
// held. A transaction simulated on a snapshot that included blocks up to S read versions that are
// still current exactly when no block after S wrote the keys it read: Fabric's MVCC rule, decided
// by map lookups. Blocks leave the window only once the state database holds them, so for a
// simulation older than the window the state database answers for the blocks that left it.
//
// It is owned by the orderer goroutine.
type mvccWindow struct {
	public  map[string]uint64 // key → last block in the window that wrote it
	private map[string]uint64 // collection 0x00 SHA-256(key) → likewise
	txIDs   map[string]uint64
	blocks  []windowBlock
	floor   uint64 // the last block no longer in the window
	keys    int
	cur     windowBlock

	maxBlocks, maxKeys int
	buf                []byte
}

type windowBlock struct {
	num     uint64
	public  []string
	private []string
	txIDs   []string
}

// Window limits: a simulation older than this falls back to the state database.
const (
	windowBlocks = 512
	windowKeys   = 100000
)

func newMVCCWindow(floor uint64) *mvccWindow {
	return &mvccWindow{
		public: map[string]uint64{}, private: map[string]uint64{}, txIDs: map[string]uint64{},
		floor: floor, maxBlocks: windowBlocks, maxKeys: windowKeys,
	}
}

func (w *mvccWindow) beginBlock(num uint64) { w.cur = windowBlock{num: num} }

func (w *mvccWindow) privateKey(coll string, kh [32]byte) []byte {
	w.buf = append(append(append(w.buf[:0], coll...), 0), kh[:]...)
	return w.buf
}

// check returns the validation code of p, given every block before the current one and the valid
// transactions of the current block recorded so far. db answers for blocks up to the floor.
func (w *mvccWindow) check(p *pendingTx, db stateDB) (peer.TxValidationCode, error) {
	// The simulation checked the transaction index of its snapshot; later blocks are in the
	// window, or in the state database if they already left it.
	if _, dup := w.txIDs[p.txID]; dup {
		return duplicateCode, nil
	}
	old := p.snapshot < w.floor
	if old {
		dup, err := db.Has(txIDKey(p.txID), nil)
		if err != nil || dup {
			return duplicateCode, err
		}
	}
	rw := p.rw
	for _, r := range rw.Reads {
		if b, ok := w.public[r.Key]; ok && b > p.snapshot {
			return mvccCode, nil
		}
		if old {
			if v, exists, err := versionOf(db, nil, stateKey(r.Key)); err != nil {
				return 0, err
			} else if exists != r.Exists || (exists && v != r.Version) {
				return mvccCode, nil
			}
		}
	}
	for _, c := range rw.Collections {
		for _, r := range c.Reads {
			if b, ok := w.private[string(w.privateKey(c.Collection, r.KeyHash))]; ok && b > p.snapshot {
				return mvccCode, nil
			}
			if old {
				if v, exists, err := versionOf(db, nil, hashedKey(c.Collection, r.KeyHash)); err != nil {
					return 0, err
				} else if exists != r.Exists || (exists && v != r.Version) {
					return mvccCode, nil
				}
			}
		}
	}
	for i := range rw.RangeQueries {
		if old {
			// Re-running the range exactly would need the state as of blocks still in flight;
			// a simulation this old is rare enough to be retried.
			return phantomCode, nil
		}
		if w.touches(&rw.RangeQueries[i], p.snapshot) {
			return phantomCode, nil
		}
	}
	return validCode, nil
}

// touches reports whether a block after snapshot (or the current block) wrote a key within the
// part of the range the query covered: a new key, a changed or a deleted one all change what the
// query would return. (A deletion of a key that never existed is counted too: a rare, harmless
// false conflict.)
func (w *mvccWindow) touches(q *RangeQuery, snapshot uint64) bool {
	end, inclusive := q.EndKey, false
	if !q.Exhausted {
		if len(q.Reads) == 0 {
			return false
		}
		end, inclusive = q.Reads[len(q.Reads)-1].Key, true
	}
	in := func(k string) bool {
		if k < q.StartKey {
			return false
		}
		if inclusive {
			return k <= end
		}
		return end == "" || k < end
	}
	for i := len(w.blocks) - 1; i >= 0 && w.blocks[i].num > snapshot; i-- {
		for _, k := range w.blocks[i].public {
			if in(k) {
				return true
			}
		}
	}
	for _, k := range w.cur.public {
		if in(k) {
			return true
		}
	}
	return false
}

func (w *mvccWindow) addTx(txID string) {
	w.txIDs[txID] = w.cur.num
	w.cur.txIDs = append(w.cur.txIDs, txID)
}

// record notes the keys a valid transaction of the current block writes.
func (w *mvccWindow) record(rw *RWSet) {
	for _, wr := range rw.Writes {
		w.public[wr.Key] = w.cur.num
		w.cur.public = append(w.cur.public, wr.Key)
	}
	for _, m := range rw.MetadataWrites {
		w.public[m.Key] = w.cur.num
		w.cur.public = append(w.cur.public, m.Key)
	}
	for _, c := range rw.Collections {
		for _, wr := range c.Writes {
			k := string(w.privateKey(c.Collection, wr.KeyHash))
			w.private[k] = w.cur.num
			w.cur.private = append(w.cur.private, k)
		}
		for _, m := range c.MetadataWrites {
			k := string(w.privateKey(c.Collection, m.KeyHash))
			w.private[k] = w.cur.num
			w.cur.private = append(w.cur.private, k)
		}
	}
}

func (w *mvccWindow) endBlock() {
	w.keys += len(w.cur.public) + len(w.cur.private) + len(w.cur.txIDs)
	w.blocks = append(w.blocks, w.cur)
	w.cur = windowBlock{}
}

// prune drops the oldest blocks while the window is over its limits, but never a block the state
// database does not hold yet (applied is the last block it holds).
func (w *mvccWindow) prune(applied uint64) {
	n := 0
	for n < len(w.blocks) && (len(w.blocks)-n > w.maxBlocks || w.keys > w.maxKeys) && w.blocks[n].num <= applied {
		b := w.blocks[n]
		for _, k := range b.public {
			if w.public[k] == b.num {
				delete(w.public, k)
			}
		}
		for _, k := range b.private {
			if w.private[k] == b.num {
				delete(w.private, k)
			}
		}
		for _, id := range b.txIDs {
			if w.txIDs[id] == b.num {
				delete(w.txIDs, id)
			}
		}
		w.keys -= len(b.public) + len(b.private) + len(b.txIDs)
		w.floor = b.num
		n++
	}
	if n > 0 {
		rest := copy(w.blocks, w.blocks[n:])
		clear(w.blocks[rest:])
		w.blocks = w.blocks[:rest]
	}
}
