package embedded

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// stateReader is the read side of a state database (a *leveldb.DB or a snapshot).
type stateReader interface {
	Get(key []byte, ro *opt.ReadOptions) ([]byte, error)
	Has(key []byte, ro *opt.ReadOptions) (bool, error)
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
//
// vals holds the values (or value hashes) written by earlier blocks of the same batch, keyed by
// state database key, nil for deleted; it starts empty for the first block of a batch.
func applyBlock(batch *leveldb.Batch, db stateReader, vals map[string][]byte, num uint64, hash [32]byte, loc location, txs []*committedTx) error {
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
	// Batch.Put copies key and value, so the scratch buffers are reused across writes.
	var key, val []byte
	for _, w := range rw.Writes {
		key = append(append(key[:0], pState), w.Key...)
		if w.IsDelete {
			batch.Delete(key)
			batch.Delete(metaKey(w.Key))
			vals[string(key)] = nil
		} else {
			val = appendVersioned(val[:0], v, w.Value)
			batch.Put(key, val)
			vals[string(key)] = w.Value
		}
		key = appendHistoryKey(key[:0], w.Key, v)
		batch.Put(key, loc)
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
