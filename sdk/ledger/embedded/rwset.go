package embedded

import (
	"crypto/sha256"
	"sort"
)

// Version is the height at which a value was committed: the block number and the transaction's
// position in that block, as Fabric versions its state.
type Version struct {
	Block uint64
	Tx    uint32
}

// Less orders versions by commit order.
func (v Version) Less(o Version) bool {
	return v.Block < o.Block || (v.Block == o.Block && v.Tx < o.Tx)
}

// KeyRead is a key a transaction read and the version it saw; Exists is false when the key was
// absent.
type KeyRead struct {
	Key     string
	Version Version
	Exists  bool
}

// RangeQuery records a range a transaction iterated over, for phantom detection at commit: the
// keys (and versions) it saw between StartKey and EndKey, and whether it reached the end.
type RangeQuery struct {
	StartKey, EndKey string
	Exhausted        bool
	Reads            []KeyRead
}

// KeyWrite is a key a transaction wrote or deleted.
type KeyWrite struct {
	Key      string
	Value    []byte
	IsDelete bool
}

// MetadataEntry is one named entry of a key's metadata (VALIDATION_PARAMETER holds a key-level
// endorsement policy).
type MetadataEntry struct {
	Name  string
	Value []byte
}

// MetadataWrite replaces a key's metadata.
type MetadataWrite struct {
	Key     string
	Entries []MetadataEntry
}

// HashedRead is a read of private data, by the SHA-256 of its key.
type HashedRead struct {
	KeyHash [32]byte
	Version Version
	Exists  bool
}

// HashedWrite is a write of private data as the public ledger records it: the SHA-256 of the key
// and of the value.
type HashedWrite struct {
	KeyHash   [32]byte
	ValueHash [32]byte
	IsDelete  bool
}

// HashedMetadataWrite replaces the metadata of a private key, named by its hash.
type HashedMetadataWrite struct {
	KeyHash [32]byte
	Entries []MetadataEntry
}

// CollectionRWSet is the public, hashed part of a transaction's reads and writes of one private
// data collection.
type CollectionRWSet struct {
	Collection     string
	Reads          []HashedRead
	Writes         []HashedWrite
	MetadataWrites []HashedMetadataWrite
}

// RWSet is what simulating a transaction produced: its reads (with versions), range queries,
// writes, metadata writes and hashed private reads and writes. Keys are sorted, so the same
// simulation always encodes to the same bytes.
type RWSet struct {
	Reads          []KeyRead
	RangeQueries   []RangeQuery
	Writes         []KeyWrite
	MetadataWrites []MetadataWrite
	Collections    []CollectionRWSet
}

// privateWrite is a write of private data: it goes to the private store, never into a block.
type privateWrite struct {
	Collection string
	Key        string
	Value      []byte
	IsDelete   bool
}

func hashKey(key string) [32]byte { return sha256.Sum256([]byte(key)) }

// encodedSizeHint estimates the encoded size, so that the encoder allocates once.
func (rw *RWSet) encodedSizeHint() int {
	n := 16
	for _, r := range rw.Reads {
		n += len(r.Key) + 16
	}
	for _, q := range rw.RangeQueries {
		n += len(q.StartKey) + len(q.EndKey) + 16
		for _, r := range q.Reads {
			n += len(r.Key) + 16
		}
	}
	for _, w := range rw.Writes {
		n += len(w.Key) + len(w.Value) + 12
	}
	for _, m := range rw.MetadataWrites {
		n += len(m.Key) + 8
		for _, e := range m.Entries {
			n += len(e.Name) + len(e.Value) + 8
		}
	}
	for _, c := range rw.Collections {
		n += len(c.Collection) + 8 + 48*len(c.Reads) + 72*len(c.Writes)
		for _, m := range c.MetadataWrites {
			n += 40
			for _, e := range m.Entries {
				n += len(e.Name) + len(e.Value) + 8
			}
		}
	}
	return n
}

func (rw *RWSet) encode(e *encoder) {
	e.count(len(rw.Reads))
	for _, r := range rw.Reads {
		encodeRead(e, r)
	}
	e.count(len(rw.RangeQueries))
	for _, q := range rw.RangeQueries {
		e.string(q.StartKey)
		e.string(q.EndKey)
		e.bool(q.Exhausted)
		e.count(len(q.Reads))
		for _, r := range q.Reads {
			encodeRead(e, r)
		}
	}
	e.count(len(rw.Writes))
	for _, w := range rw.Writes {
		e.string(w.Key)
		e.bool(w.IsDelete)
		e.bytes(w.Value)
	}
	e.count(len(rw.MetadataWrites))
	for _, m := range rw.MetadataWrites {
		e.string(m.Key)
		encodeEntries(e, m.Entries)
	}
	e.count(len(rw.Collections))
	for _, c := range rw.Collections {
		e.string(c.Collection)
		e.count(len(c.Reads))
		for _, r := range c.Reads {
			e.hash(r.KeyHash)
			e.bool(r.Exists)
			e.version(r.Version)
		}
		e.count(len(c.Writes))
		for _, w := range c.Writes {
			e.hash(w.KeyHash)
			e.bool(w.IsDelete)
			e.hash(w.ValueHash)
		}
		e.count(len(c.MetadataWrites))
		for _, m := range c.MetadataWrites {
			e.hash(m.KeyHash)
			encodeEntries(e, m.Entries)
		}
	}
}

func encodeRead(e *encoder, r KeyRead) {
	e.string(r.Key)
	e.bool(r.Exists)
	e.version(r.Version)
}

func encodeEntries(e *encoder, entries []MetadataEntry) {
	e.count(len(entries))
	for _, m := range entries {
		e.string(m.Name)
		e.bytes(m.Value)
	}
}

func decodeRWSet(d *decoder) *RWSet {
	rw := &RWSet{}
	if n := d.count(4); n > 0 {
		rw.Reads = make([]KeyRead, n)
		for i := range rw.Reads {
			rw.Reads[i] = decodeRead(d)
		}
	}
	if n := d.count(4); n > 0 {
		rw.RangeQueries = make([]RangeQuery, n)
		for i := range rw.RangeQueries {
			q := &rw.RangeQueries[i]
			q.StartKey = d.string()
			q.EndKey = d.string()
			q.Exhausted = d.bool()
			if m := d.count(4); m > 0 {
				q.Reads = make([]KeyRead, m)
				for j := range q.Reads {
					q.Reads[j] = decodeRead(d)
				}
			}
		}
	}
	if n := d.count(3); n > 0 {
		rw.Writes = make([]KeyWrite, n)
		for i := range rw.Writes {
			w := &rw.Writes[i]
			w.Key = d.string()
			w.IsDelete = d.bool()
			w.Value = d.bytes()
		}
	}
	if n := d.count(2); n > 0 {
		rw.MetadataWrites = make([]MetadataWrite, n)
		for i := range rw.MetadataWrites {
			rw.MetadataWrites[i].Key = d.string()
			rw.MetadataWrites[i].Entries = decodeEntries(d)
		}
	}
	if n := d.count(4); n > 0 {
		rw.Collections = make([]CollectionRWSet, n)
		for i := range rw.Collections {
			c := &rw.Collections[i]
			c.Collection = d.string()
			if m := d.count(35); m > 0 {
				c.Reads = make([]HashedRead, m)
				for j := range c.Reads {
					c.Reads[j].KeyHash = d.hash()
					c.Reads[j].Exists = d.bool()
					c.Reads[j].Version = d.version()
				}
			}
			if m := d.count(65); m > 0 {
				c.Writes = make([]HashedWrite, m)
				for j := range c.Writes {
					c.Writes[j].KeyHash = d.hash()
					c.Writes[j].IsDelete = d.bool()
					c.Writes[j].ValueHash = d.hash()
				}
			}
			if m := d.count(33); m > 0 {
				c.MetadataWrites = make([]HashedMetadataWrite, m)
				for j := range c.MetadataWrites {
					c.MetadataWrites[j].KeyHash = d.hash()
					c.MetadataWrites[j].Entries = decodeEntries(d)
				}
			}
		}
	}
	return rw
}

func decodeRead(d *decoder) KeyRead {
	return KeyRead{Key: d.string(), Exists: d.bool(), Version: d.version()}
}

func decodeEntries(d *decoder) []MetadataEntry {
	n := d.count(2)
	if n == 0 {
		return nil
	}
	out := make([]MetadataEntry, n)
	for i := range out {
		out[i].Name = d.string()
		out[i].Value = d.bytes()
	}
	return out
}

func encodePrivateWrites(e *encoder, ws []privateWrite) {
	e.count(len(ws))
	for _, w := range ws {
		e.string(w.Collection)
		e.string(w.Key)
		e.bool(w.IsDelete)
		e.bytes(w.Value)
	}
}

func decodePrivateWrites(d *decoder) []privateWrite {
	n := d.count(4)
	out := make([]privateWrite, n)
	for i := range out {
		out[i].Collection = d.string()
		out[i].Key = d.string()
		out[i].IsDelete = d.bool()
		out[i].Value = d.bytes()
	}
	return out
}

func sortReads(r []KeyRead) { sort.Slice(r, func(i, j int) bool { return r[i].Key < r[j].Key }) }
