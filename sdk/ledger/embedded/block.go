package embedded

import (
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Block format (the payload of one frame in a block file):
//
//	version   byte      formatVersion
//	kind      byte      blockConfig (block 0: the channel configuration) or blockTransactions
//	number    uint64    big-endian
//	prevHash  [32]byte  hash of the previous block's header (zero for block 0)
//	dataHash  [32]byte  SHA-256( SHA-256(entry 0) ‖ … ‖ SHA-256(entry n-1) ‖ codes )
//	n         uvarint
//	entries   n × (uvarint length, bytes)   the configuration or each transaction (txEntry)
//	codes     n bytes                       each transaction's peer.TxValidationCode
//
// The block hash is SHA-256(version ‖ kind ‖ number ‖ prevHash ‖ dataHash). Unlike Fabric, where
// validation flags live in unhashed block metadata, the codes are covered by the data hash: this
// ledger orders and validates in one step, and a flipped code would otherwise change state silently.
const formatVersion = 1

const (
	blockConfig       byte = 0
	blockTransactions byte = 1
)

type blockHeader struct {
	Kind     byte
	Number   uint64
	PrevHash [32]byte
	DataHash [32]byte
}

func (h *blockHeader) hash() [32]byte {
	var buf [1 + 1 + 8 + 32 + 32]byte
	buf[0] = formatVersion
	buf[1] = h.Kind
	for i := 0; i < 8; i++ {
		buf[2+i] = byte(h.Number >> (56 - 8*i))
	}
	copy(buf[10:], h.PrevHash[:])
	copy(buf[42:], h.DataHash[:])
	return sha256.Sum256(buf[:])
}

// dataHash computes the data hash from the entries' hashes and the codes.
func dataHash(entryHashes [][32]byte, codes []byte) [32]byte {
	h := sha256.New()
	for i := range entryHashes {
		h.Write(entryHashes[i][:])
	}
	h.Write(codes)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// rawBlock is a decoded block whose entries are still bytes.
type rawBlock struct {
	Header  blockHeader
	Entries [][]byte
	// Offsets[i] is where Entries[i] starts within the payload.
	Offsets []int
	Codes   []byte
}

// encodeBlock lays out a block payload. It returns the payload, the offset of each entry in it
// and the header.
func encodeBlock(kind byte, number uint64, prev [32]byte, entries [][]byte, entryHashes [][32]byte, codes []byte) ([]byte, []int, blockHeader) {
	hdr := blockHeader{Kind: kind, Number: number, PrevHash: prev, DataHash: dataHash(entryHashes, codes)}
	size := 2 + 8 + 64 + 10 + len(codes)
	for _, e := range entries {
		size += len(e) + 5
	}
	enc := encoder{b: make([]byte, 0, size)}
	enc.byte(formatVersion)
	enc.byte(kind)
	enc.uint64(number)
	enc.hash(hdr.PrevHash)
	enc.hash(hdr.DataHash)
	enc.count(len(entries))
	offsets := make([]int, len(entries))
	for i, e := range entries {
		enc.uvarint(uint64(len(e)))
		offsets[i] = enc.len()
		enc.raw(e)
	}
	enc.raw(codes)
	return enc.b, offsets, hdr
}

// decodeBlock parses a block payload and checks its internal consistency: known version and kind,
// codes in range and the data hash. It does not check the chain.
func decodeBlock(payload []byte) (*rawBlock, error) {
	d := decoder{b: payload}
	if v := d.byte(); d.err == nil && v != formatVersion {
		return nil, fmt.Errorf("%w: block format version %d", errCorrupt, v)
	}
	b := &rawBlock{}
	b.Header.Kind = d.byte()
	if d.err == nil && b.Header.Kind != blockConfig && b.Header.Kind != blockTransactions {
		return nil, fmt.Errorf("%w: block kind %d", errCorrupt, b.Header.Kind)
	}
	b.Header.Number = d.uint64()
	b.Header.PrevHash = d.hash()
	b.Header.DataHash = d.hash()
	n := d.count(2)
	b.Entries = make([][]byte, n)
	b.Offsets = make([]int, n)
	for i := 0; i < n && d.err == nil; i++ {
		size := d.uvarint()
		if d.err == nil && size > uint64(d.remaining()) {
			d.fail("entry length %d exceeds the %d bytes left", size, d.remaining())
		}
		b.Offsets[i] = d.off
		b.Entries[i] = d.fixed(int(size))
	}
	b.Codes = d.fixed(n)
	if err := d.done(); err != nil {
		return nil, err
	}
	if b.Header.Kind == blockConfig && n != 1 {
		return nil, fmt.Errorf("%w: configuration block holds %d entries", errCorrupt, n)
	}
	hashes := make([][32]byte, n)
	for i, e := range b.Entries {
		hashes[i] = sha256.Sum256(e)
	}
	if dataHash(hashes, b.Codes) != b.Header.DataHash {
		return nil, fmt.Errorf("%w: block %d data hash does not match its contents", errCorrupt, b.Header.Number)
	}
	return b, nil
}

// txEntry is one transaction as a block stores it: the client's signed proposal (with the transient
// map removed), the chaincode's response and event, and the read/write set.
type txEntry struct {
	TxID          string
	Timestamp     time.Time
	ProposalBytes []byte
	Signature     []byte
	Response      *peer.Response
	Event         *peer.ChaincodeEvent
	RWSet         *RWSet
}

const txEntryVersion = 1

func (t *txEntry) encode(e *encoder) {
	e.byte(txEntryVersion)
	e.string(t.TxID)
	e.varint(t.Timestamp.Unix())
	e.uvarint(uint64(t.Timestamp.Nanosecond()))
	e.bytes(t.ProposalBytes)
	e.bytes(t.Signature)
	e.int32(t.Response.GetStatus())
	e.string(t.Response.GetMessage())
	e.bytes(t.Response.GetPayload())
	if e.opt(t.Event != nil) {
		e.string(t.Event.EventName)
		e.bytes(t.Event.Payload)
	}
	t.RWSet.encode(e)
}

func decodeTxEntry(b []byte) (*txEntry, error) {
	d := decoder{b: b}
	if v := d.byte(); d.err == nil && v != txEntryVersion {
		return nil, fmt.Errorf("%w: transaction entry version %d", errCorrupt, v)
	}
	t := &txEntry{TxID: d.string()}
	sec := d.varint()
	nsec := d.uvarint()
	if d.err == nil && nsec >= 1e9 {
		d.fail("nanoseconds out of range")
	}
	t.Timestamp = time.Unix(sec, int64(nsec)).UTC()
	t.ProposalBytes = d.bytes()
	t.Signature = d.bytes()
	t.Response = &peer.Response{Status: d.int32(), Message: d.string(), Payload: d.bytes()}
	if d.bool() {
		t.Event = &peer.ChaincodeEvent{TxId: t.TxID, EventName: d.string(), Payload: d.bytes()}
	}
	t.RWSet = decodeRWSet(&d)
	if err := d.done(); err != nil {
		return nil, err
	}
	return t, nil
}
