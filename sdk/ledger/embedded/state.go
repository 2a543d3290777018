package embedded

import (
	"encoding/binary"
	"fmt"
)

// The state database (goleveldb, in <dir>/state) holds everything derived from the blocks, under
// one-byte prefixes:
//
//	's' key                            public state: version, value
//	'n' key                            metadata of a public key (validation parameter)
//	'c' collection 0x00 key            private state: version, value
//	'h' collection 0x00 SHA-256(key)   hashed private state: version, SHA-256(value)
//	'g' collection 0x00 SHA-256(key)   metadata of a private key
//	'k' uvarint(len(key)) key block tx history: where the writing transaction is stored
//	'x' txID                           transaction index: block, position, code, where stored
//	'b' block                          block index: where the frame is, the header hash
//	'v' block tx                       private writes of a valid transaction (never in blocks)
//	'm' name                           ledger metadata: the savepoint
//
// Numbers in keys are big-endian so that keys sort in commit order. The savepoint is the last
// block whose effects are all in the database; it is written in the same atomic batch as those
// effects, so after a crash the database is exactly "all blocks up to the savepoint".
const (
	pState      = 's'
	pMeta       = 'n'
	pPrivate    = 'c'
	pHashed     = 'h'
	pHashedMeta = 'g'
	pHistory    = 'k'
	pTxID       = 'x'
	pBlock      = 'b'
	pPrivateTx  = 'v'
	pInfo       = 'm'
)

var savepointKey = []byte{pInfo, 's', 'a', 'v', 'e', 'p', 'o', 'i', 'n', 't'}

func stateKey(key string) []byte {
	b := make([]byte, 1+len(key))
	b[0] = pState
	copy(b[1:], key)
	return b
}

func metaKey(key string) []byte {
	b := make([]byte, 1+len(key))
	b[0] = pMeta
	copy(b[1:], key)
	return b
}

func collKey(prefix byte, coll string, key []byte) []byte {
	b := make([]byte, 0, 2+len(coll)+len(key))
	b = append(b, prefix)
	b = append(b, coll...)
	b = append(b, 0)
	return append(b, key...)
}

func privateKey(coll, key string) []byte { return collKey(pPrivate, coll, []byte(key)) }

func hashedKey(coll string, keyHash [32]byte) []byte { return collKey(pHashed, coll, keyHash[:]) }

func hashedMetaKey(coll string, keyHash [32]byte) []byte {
	return collKey(pHashedMeta, coll, keyHash[:])
}

func historyPrefix(key string) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(key)+12)
	b = append(b, pHistory)
	b = binary.AppendUvarint(b, uint64(len(key)))
	return append(b, key...)
}

func historyKey(key string, v Version) []byte { return appendHistoryKey(nil, key, v) }

func appendHistoryKey(b []byte, key string, v Version) []byte {
	b = append(b, pHistory)
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	b = binary.BigEndian.AppendUint64(b, v.Block)
	return binary.BigEndian.AppendUint32(b, v.Tx)
}

// parseHistoryKey returns the key and version of a history index key.
func parseHistoryKey(k []byte) (string, Version, error) {
	d := decoder{b: k}
	if d.byte() != pHistory {
		return "", Version{}, fmt.Errorf("%w: not a history key", errCorrupt)
	}
	key := d.string()
	v := Version{Block: d.uint64(), Tx: d.uint32()}
	if err := d.done(); err != nil {
		return "", Version{}, err
	}
	return key, v, nil
}

func txIDKey(txID string) []byte {
	b := make([]byte, 1+len(txID))
	b[0] = pTxID
	copy(b[1:], txID)
	return b
}

func blockKey(n uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{pBlock}, n)
}

func privateTxKey(v Version) []byte {
	b := binary.BigEndian.AppendUint64([]byte{pPrivateTx}, v.Block)
	return binary.BigEndian.AppendUint32(b, v.Tx)
}

// encodeVersioned lays out a state value: its version, then the value.
func encodeVersioned(v Version, value []byte) []byte {
	return appendVersioned(make([]byte, 0, 2*binary.MaxVarintLen32+len(value)), v, value)
}

func appendVersioned(b []byte, v Version, value []byte) []byte {
	b = binary.AppendUvarint(b, v.Block)
	b = binary.AppendUvarint(b, uint64(v.Tx))
	return append(b, value...)
}

func decodeVersioned(b []byte) (Version, []byte, error) {
	d := decoder{b: b}
	v := d.version()
	if d.err != nil {
		return Version{}, nil, d.err
	}
	return v, b[d.off:], nil
}

// txRecord is the transaction index entry.
type txRecord struct {
	Block uint64
	Tx    uint32
	Code  byte
	Loc   location
}

func (r txRecord) encode() []byte {
	e := encoder{b: make([]byte, 0, 8+4+1+16)}
	e.uint64(r.Block)
	e.uint32(r.Tx)
	e.byte(r.Code)
	r.Loc.encode(&e)
	return e.b
}

func decodeTxRecord(b []byte) (txRecord, error) {
	d := decoder{b: b}
	r := txRecord{Block: d.uint64(), Tx: d.uint32(), Code: d.byte(), Loc: decodeLocation(&d)}
	return r, d.done()
}

// blockRecord is the block index entry.
type blockRecord struct {
	Loc  location
	Hash [32]byte
}

func (r blockRecord) encode() []byte {
	e := encoder{b: make([]byte, 0, 16+32)}
	r.Loc.encode(&e)
	e.hash(r.Hash)
	return e.b
}

func decodeBlockRecord(b []byte) (blockRecord, error) {
	d := decoder{b: b}
	r := blockRecord{Loc: decodeLocation(&d), Hash: d.hash()}
	return r, d.done()
}

func encodeMetadata(entries []MetadataEntry) []byte {
	var e encoder
	encodeEntries(&e, entries)
	return e.b
}

func decodeMetadata(b []byte) ([]MetadataEntry, error) {
	d := decoder{b: b}
	m := decodeEntries(&d)
	return m, d.done()
}
