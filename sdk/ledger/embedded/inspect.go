package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/msp"
)

// historyEntry turns a history index value (where the writing transaction is stored) into the
// KeyModification Fabric returns.
func (l *Ledger) historyEntry(key string, locBytes []byte) (*queryresult.KeyModification, error) {
	d := decoder{b: locBytes}
	loc := decodeLocation(&d)
	if err := d.done(); err != nil {
		return nil, corruptErr("history index", err)
	}
	raw, err := l.store.readAt(loc.File, loc.Offset, loc.Length)
	if err != nil {
		return nil, corruptErr("block files", err)
	}
	e, err := decodeTxEntry(raw)
	if err != nil {
		return nil, corruptErr("block files", err)
	}
	for _, w := range e.RWSet.Writes {
		if w.Key == key {
			return &queryresult.KeyModification{
				TxId: e.TxID, Value: bytes.Clone(w.Value), Timestamp: timestamppb.New(e.Timestamp), IsDelete: w.IsDelete,
			}, nil
		}
	}
	return nil, corruptErr("history index", fmt.Errorf("%w: transaction %s does not write %q", errCorrupt, e.TxID, key))
}

// Block is a block as the inspection API shows it.
type Block struct {
	Number       uint64
	Hash         []byte
	PreviousHash []byte
	DataHash     []byte
	// Config is the channel configuration, in the genesis block only.
	Config       *ChannelConfig
	Transactions []*Transaction
}

// Transaction is a stored transaction as the inspection API shows it.
type Transaction struct {
	TxID           string
	BlockNumber    uint64
	Index          int
	Timestamp      time.Time
	ValidationCode peer.TxValidationCode
	// CreatorMSP and CreatorSubject name who signed the proposal.
	CreatorMSP     string
	CreatorSubject string
	Function       string
	Args           []string
	Response       *peer.Response
	Event          *ledger.ChaincodeEvent
	RWSet          *RWSet
	// SignedProposal is the client-signed proposal as stored (without its transient map).
	SignedProposal *peer.SignedProposal
}

// Block returns block n. Errors: NOT_FOUND beyond the height, INTERNAL if the block is damaged.
func (l *Ledger) Block(n uint64) (*Block, error) {
	if err := l.begin(); err != nil {
		return nil, err
	}
	defer l.end()
	if n >= l.Height() {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "embedded: block %d not found (height %d)", n, l.Height())
	}
	b, err := l.readBlock(n)
	if err != nil {
		return nil, err
	}
	h := b.Header.hash()
	out := &Block{Number: n, Hash: h[:], PreviousHash: bytes.Clone(b.Header.PrevHash[:]), DataHash: bytes.Clone(b.Header.DataHash[:])}
	if b.Header.Kind == blockConfig {
		if out.Config, err = decodeConfig(b.Entries[0]); err != nil {
			return nil, corruptErr(fmt.Sprintf("block %d", n), err)
		}
		return out, nil
	}
	for i, raw := range b.Entries {
		tx, err := l.transaction(raw, n, i, peer.TxValidationCode(b.Codes[i]))
		if err != nil {
			return nil, corruptErr(fmt.Sprintf("block %d transaction %d", n, i), err)
		}
		out.Transactions = append(out.Transactions, tx)
	}
	return out, nil
}

func (l *Ledger) transaction(raw []byte, block uint64, index int, code peer.TxValidationCode) (*Transaction, error) {
	e, err := decodeTxEntry(raw)
	if err != nil {
		return nil, err
	}
	sp := &peer.SignedProposal{ProposalBytes: e.ProposalBytes, Signature: e.Signature}
	tx := &Transaction{
		TxID: e.TxID, BlockNumber: block, Index: index, Timestamp: e.Timestamp, ValidationCode: code,
		Response: e.Response, RWSet: e.RWSet, SignedProposal: sp,
	}
	if e.Event != nil {
		tx.Event = &ledger.ChaincodeEvent{BlockNumber: block, TxID: e.TxID, Name: e.Event.EventName, Payload: e.Event.Payload}
	}
	cp, err := parseSignedProposal(sp, l.cfg.Channel, l.cfg.Chaincode)
	if err != nil {
		return nil, err
	}
	if mspID, cert, err := msp.ParseSerializedIdentity(cp.shdr.Creator); err == nil {
		tx.CreatorMSP, tx.CreatorSubject = mspID, cert.Subject.String()
	}
	if len(cp.args) > 0 {
		tx.Function = string(cp.args[0])
		for _, a := range cp.args[1:] {
			tx.Args = append(tx.Args, string(a))
		}
	}
	return tx, nil
}

// Transaction returns a committed transaction by ID. Errors: NOT_FOUND.
func (l *Ledger) Transaction(txID string) (*Transaction, error) {
	if err := l.begin(); err != nil {
		return nil, err
	}
	defer l.end()
	raw, err := l.db.Get(txIDKey(txID), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "embedded: transaction %s not found", txID)
	}
	if err != nil {
		return nil, ledger.Unavailable("embedded ledger", err)
	}
	rec, err := decodeTxRecord(raw)
	if err != nil {
		return nil, corruptErr("transaction index", err)
	}
	entry, err := l.store.readAt(rec.Loc.File, rec.Loc.Offset, rec.Loc.Length)
	if err != nil {
		return nil, corruptErr("block files", err)
	}
	tx, err := l.transaction(entry, rec.Block, int(rec.Tx), peer.TxValidationCode(rec.Code))
	if err != nil {
		return nil, corruptErr("block files", err)
	}
	return tx, nil
}

// HistoryEntry is one committed write of a key.
type HistoryEntry struct {
	TxID      string
	Version   Version
	Timestamp time.Time
	Value     []byte
	IsDelete  bool
}

// History returns every committed write of a public key, newest first (as GetHistoryForKey does).
func (l *Ledger) History(ctx context.Context, key string) ([]*HistoryEntry, error) {
	if err := l.begin(); err != nil {
		return nil, err
	}
	defer l.end()
	it := l.db.NewIterator(util.BytesPrefix(historyPrefix(key)), nil)
	defer it.Release()
	var out []*HistoryEntry
	for ok := it.Last(); ok; ok = it.Prev() {
		if err := ctx.Err(); err != nil {
			return nil, ledger.Unavailable("embedded ledger", err)
		}
		_, v, err := parseHistoryKey(it.Key())
		if err != nil {
			return nil, corruptErr("history index", err)
		}
		m, err := l.historyEntry(key, it.Value())
		if err != nil {
			return nil, err
		}
		out = append(out, &HistoryEntry{TxID: m.TxId, Version: v, Timestamp: m.Timestamp.AsTime(), Value: m.Value, IsDelete: m.IsDelete})
	}
	if err := it.Error(); err != nil {
		return nil, ledger.Unavailable("embedded ledger", err)
	}
	return out, nil
}

// State returns the committed value and version of a public key. Errors: NOT_FOUND.
func (l *Ledger) State(key string) ([]byte, Version, error) {
	if err := l.begin(); err != nil {
		return nil, Version{}, err
	}
	defer l.end()
	raw, err := l.db.Get(stateKey(key), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, Version{}, eduledger.Errorf(eduledger.ENOTFOUND, "embedded: key %q not found", key)
	}
	if err != nil {
		return nil, Version{}, ledger.Unavailable("embedded ledger", err)
	}
	v, value, err := decodeVersioned(raw)
	if err != nil {
		return nil, Version{}, corruptErr("state database", err)
	}
	return value, v, nil
}
