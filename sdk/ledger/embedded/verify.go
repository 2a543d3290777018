package embedded

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/msp"
)

// VerifyOption configures Verify.
type VerifyOption func(*verifyConfig)

type verifyConfig struct {
	signatures bool
}

// WithSignatureCheck makes Verify also re-check every stored transaction's creator (against the
// channel's MSPs, valid at the transaction's time) and signature. It costs about 50 µs per
// transaction.
func WithSignatureCheck() VerifyOption {
	return func(c *verifyConfig) { c.signatures = true }
}

// Report is the outcome of Verify.
type Report struct {
	// Blocks is the number of blocks checked, the genesis block included.
	Blocks uint64
	// Transactions and Valid count the transactions checked and those valid.
	Transactions, Valid int
	// Signatures counts the transaction signatures re-verified (WithSignatureCheck).
	Signatures int
	// Entries counts the state database entries compared with the replay.
	Entries int
	// Problem is the first problem found, nil if the ledger is intact.
	Problem *Problem
}

// OK reports whether no problem was found.
func (r *Report) OK() bool { return r.Problem == nil }

// Problem locates the first inconsistency Verify found: in a block (Block ≥ 0, and Tx ≥ 0 for a
// transaction), or in the state database (Key).
type Problem struct {
	Block  int64
	Tx     int
	File   string
	Offset int64
	// Key describes the state database entry, RawKey is its bytes.
	Key    string
	RawKey []byte
	Reason string
}

// String renders the problem with its location.
func (p *Problem) String() string {
	var b strings.Builder
	if p.Block >= 0 {
		fmt.Fprintf(&b, "block %d", p.Block)
		if p.Tx >= 0 {
			fmt.Fprintf(&b, " transaction %d", p.Tx)
		}
		if p.File != "" {
			fmt.Fprintf(&b, " (%s offset %d)", p.File, p.Offset)
		}
	} else if p.Key != "" {
		b.WriteString(p.Key)
	}
	b.WriteString(": ")
	b.WriteString(p.Reason)
	return b.String()
}

// IntegrityError is the error Verify returns (wrapped in an INTERNAL *eduledger.Error) when it
// finds a problem.
type IntegrityError struct{ Problem *Problem }

// Error describes the problem.
func (e *IntegrityError) Error() string { return "ledger integrity: " + e.Problem.String() }

// Verify checks a closed ledger in dir end to end: the framing and checksum of every block, the
// data hash and the hash chain, the transaction IDs, timestamps and (WithSignatureCheck)
// signatures, every validation code (by re-validating each transaction against a replay of the
// blocks before it), and then every entry of the state database — state, private data and its
// hashes, metadata, history, transaction and block indexes — against a replay of all valid writes.
// It stops at the first problem and reports it; the error is then an *IntegrityError wrapped in
// INTERNAL. A state database that is behind the block files (a crash before Open recovered it) is
// reported as a problem too. Errors other than integrity ones: NOT_FOUND if dir holds no ledger,
// UNAVAILABLE if the ledger is open (use Ledger.Verify) or ctx ends.
func Verify(ctx context.Context, dir string, opts ...VerifyOption) (*Report, error) {
	vc := verifyConfig{}
	for _, o := range opts {
		o(&vc)
	}
	rep := &Report{}
	cfg, err := readGenesis(dir)
	if err != nil {
		if eduledger.ErrorCode(err) == eduledger.ENOTFOUND {
			return nil, err
		}
		return rep.fail(&Problem{Block: 0, Tx: -1, Reason: "genesis block: " + errors.Unwrap(err).Error()})
	}
	db, err := openStateDB(filepath.Join(dir, stateDir), 8<<20, true)
	if err != nil {
		return nil, ledger.Unavailable("embedded: verify: open the state database (is the ledger open?)", err)
	}
	defer db.Close()
	return verifyLedger(ctx, dir, cfg, db, false, vc, rep)
}

// Verify checks an open ledger as the package-level Verify does, against a snapshot of its state
// database and the blocks that snapshot reflects. Transactions keep committing meanwhile.
func (l *Ledger) Verify(ctx context.Context, opts ...VerifyOption) (*Report, error) {
	vc := verifyConfig{}
	for _, o := range opts {
		o(&vc)
	}
	if err := l.begin(); err != nil {
		return nil, err
	}
	defer l.end()
	snap, err := l.db.GetSnapshot()
	if err != nil {
		return nil, ledger.Unavailable("embedded ledger", err)
	}
	defer snap.Release()
	return verifyLedger(ctx, l.dir, &l.cfg, snap, true, vc, &Report{})
}

func (r *Report) fail(p *Problem) (*Report, error) {
	r.Problem = p
	return r, &eduledger.Error{Code: eduledger.EINTERNAL, Message: "embedded: " + (&IntegrityError{p}).Error(), Err: &IntegrityError{p}}
}

var errStopScan = errors.New("stop scan")

// verifyLedger runs the checks. With live set, blocks after the state snapshot's savepoint are
// being committed and are not examined.
func verifyLedger(ctx context.Context, dir string, cfg *ChannelConfig, db stateDB, live bool, vc verifyConfig, rep *Report) (*Report, error) {
	raw, err := db.Get(savepointKey, nil)
	if err != nil || len(raw) != 8 {
		return rep.fail(&Problem{Block: -1, Tx: -1, Key: describeKey(savepointKey), RawKey: savepointKey, Reason: "missing or malformed"})
	}
	savepoint := beUint64(raw)
	verifier, err := msp.NewVerifier(cfg.MSPs)
	if err != nil {
		return rep.fail(&Problem{Block: 0, Tx: -1, Reason: "channel MSPs: " + err.Error()})
	}
	tmpDir, err := os.MkdirTemp("", "eduledger-verify-")
	if err != nil {
		return nil, fmt.Errorf("embedded: verify: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	want, err := leveldb.OpenFile(tmpDir, &opt.Options{NoSync: true, WriteBuffer: 32 << 20})
	if err != nil {
		return nil, fmt.Errorf("embedded: verify: %w", err)
	}
	defer want.Close()

	blocks := filepath.Join(dir, blocksDir)
	next, prev := uint64(0), [32]byte{}
	var problem *Problem
	blockProblem := func(loc location, tx int, format string, args ...any) error {
		problem = &Problem{Block: int64(next), Tx: tx, File: filepath.Base(blockFileName(blocks, loc.File)), Offset: loc.Offset, Reason: fmt.Sprintf(format, args...)}
		return errStopScan
	}
	err = scanFrames(blocks, 0, 0, func(loc location, payload []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if live && next > savepoint {
			return errStopScan
		}
		if next > savepoint {
			return blockProblem(loc, -1, "the state database has not absorbed this block (savepoint is block %d): open the ledger to recover, then verify", savepoint)
		}
		b, err := decodeBlock(payload)
		if err != nil {
			return blockProblem(loc, -1, "%v", err)
		}
		switch {
		case b.Header.Number != next:
			return blockProblem(loc, -1, "numbered %d", b.Header.Number)
		case b.Header.PrevHash != prev:
			return blockProblem(loc, -1, "previous hash %x does not match block %d's hash %x", b.Header.PrevHash[:8], next-1, prev[:8])
		case (next == 0) != (b.Header.Kind == blockConfig):
			return blockProblem(loc, -1, "unexpected block kind %d", b.Header.Kind)
		}
		batch := new(leveldb.Batch)
		if next == 0 {
			if _, err := decodeConfig(b.Entries[0]); err != nil {
				return blockProblem(loc, 0, "%v", err)
			}
			batch.Put(blockKey(0), blockRecord{Loc: loc, Hash: b.Header.hash()}.encode())
			batch.Put(savepointKey, blockKey(0)[1:])
		} else {
			txs := make([]*committedTx, len(b.Entries))
			ov := overlay{}
			seen := map[string]bool{}
			for i, entry := range b.Entries {
				e, err := decodeTxEntry(entry)
				if err != nil {
					return blockProblem(loc, i, "%v", err)
				}
				if msg := checkStoredTx(e, cfg, verifier, vc.signatures); msg != "" {
					return blockProblem(loc, i, "%s", msg)
				}
				if vc.signatures {
					rep.Signatures++
				}
				code := validCode
				if seen[e.TxID] {
					code = duplicateCode
				} else if dup, err := want.Has(txIDKey(e.TxID), nil); err != nil {
					return err
				} else if dup {
					code = duplicateCode
				} else if code, err = validate(want, e.RWSet, ov); err != nil {
					return err
				}
				seen[e.TxID] = true
				if stored := peer.TxValidationCode(b.Codes[i]); stored != code {
					return blockProblem(loc, i, "validation code is %s but re-validation gives %s", stored, code)
				}
				ct := &committedTx{txID: e.TxID, code: b.Codes[i], rw: e.RWSet, entryLoc: entryLocation(loc, b.Offsets[i], len(entry))}
				rep.Transactions++
				if code == validCode {
					rep.Valid++
					ov.apply(e.RWSet, Version{Block: next, Tx: uint32(i)}, want)
					if len(e.RWSet.Collections) > 0 {
						pk := privateTxKey(Version{Block: next, Tx: uint32(i)})
						raw, err := db.Get(pk, nil)
						if err == nil {
							d := decoder{b: raw}
							ct.pvt = decodePrivateWrites(&d)
							if err := d.done(); err != nil {
								return blockProblem(loc, i, "private writes: %v", err)
							}
							batch.Put(pk, raw)
						} else if !errors.Is(err, leveldb.ErrNotFound) {
							return err
						}
						if !coversPrivateWrites(e.RWSet, ct.pvt) {
							return blockProblem(loc, i, "private data missing for hashed private writes")
						}
					}
				}
				txs[i] = ct
			}
			if err := applyBlock(batch, want, map[string][]byte{}, next, b.Header.hash(), loc, txs); err != nil {
				return blockProblem(loc, -1, "replay: %v", err)
			}
		}
		if err := want.Write(batch, nil); err != nil {
			return err
		}
		prev = b.Header.hash()
		next++
		rep.Blocks = next
		return nil
	})
	var fe *frameError
	switch {
	case errors.Is(err, errStopScan):
		if problem != nil {
			return rep.fail(problem)
		}
	case errors.As(err, &fe) && live && next > savepoint:
		// A block after the snapshot's savepoint may still be being written.
	case errors.As(err, &fe):
		reason := fe.Err.Error()
		if fe.Torn {
			reason += " (a write interrupted by a crash: Open cuts it off)"
		}
		return rep.fail(&Problem{Block: int64(next), Tx: -1, File: filepath.Base(blockFileName(blocks, fe.File)), Offset: fe.Offset, Reason: reason})
	case err != nil:
		if ctx.Err() != nil {
			return nil, ledger.Unavailable("embedded: verify", err)
		}
		return nil, fmt.Errorf("embedded: verify: %w", err)
	}
	if next <= savepoint {
		return rep.fail(&Problem{Block: int64(next), Tx: -1, Reason: fmt.Sprintf("missing: the block files end before the state database's savepoint (block %d)", savepoint)})
	}
	if p, err := compareDBs(ctx, db, want, savepoint, rep); err != nil {
		return nil, err
	} else if p != nil {
		return rep.fail(p)
	}
	return rep, nil
}

// checkStoredTx checks that a stored transaction is what its signed proposal says.
func checkStoredTx(e *txEntry, cfg *ChannelConfig, v *msp.Verifier, signatures bool) string {
	sp := &peer.SignedProposal{ProposalBytes: e.ProposalBytes, Signature: e.Signature}
	cp, err := parseSignedProposal(sp, cfg.Channel, cfg.Chaincode)
	if err != nil {
		return err.Error()
	}
	if len(cp.transient) > 0 {
		return "the stored proposal carries transient data"
	}
	if cp.txID != e.TxID {
		return fmt.Sprintf("stored as transaction %s but the proposal is %s", e.TxID, cp.txID)
	}
	if !cp.timestamp.Equal(e.Timestamp) {
		return fmt.Sprintf("stored with timestamp %s but the proposal says %s", e.Timestamp.Format(time.RFC3339Nano), cp.timestamp.Format(time.RFC3339Nano))
	}
	if e.Response == nil || e.Response.Status >= 400 {
		return "a failed chaincode response was ordered"
	}
	if signatures {
		if _, err := v.Verify(cp.shdr.Creator, e.ProposalBytes, e.Signature, e.Timestamp); err != nil {
			return "signature: " + err.Error()
		}
	}
	return ""
}

// coversPrivateWrites reports whether every hashed private write has its private value.
func coversPrivateWrites(rw *RWSet, pvt []privateWrite) bool {
	have := map[string]bool{}
	for _, p := range pvt {
		kh := hashKey(p.Key)
		have[p.Collection+"\x00"+string(kh[:])] = true
	}
	for _, c := range rw.Collections {
		for _, w := range c.Writes {
			if !have[c.Collection+"\x00"+string(w.KeyHash[:])] {
				return false
			}
		}
	}
	return true
}

// compareDBs walks the state database and the replay in key order and returns the first
// difference. Private writes saved for blocks after the savepoint are skipped (a block being
// committed saves them before it is written).
func compareDBs(ctx context.Context, got, want stateDB, savepoint uint64, rep *Report) (*Problem, error) {
	gi := got.NewIterator(nil, nil)
	defer gi.Release()
	wi := want.NewIterator(nil, nil)
	defer wi.Release()
	gok, wok := gi.First(), wi.First()
	skip := func() {
		for gok && len(gi.Key()) == 13 && gi.Key()[0] == pPrivateTx && beUint64(gi.Key()[1:9]) > savepoint {
			gok = gi.Next()
		}
	}
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, ledger.Unavailable("embedded: verify", err)
			}
		}
		skip()
		if !gok && !wok {
			break
		}
		rep.Entries++
		switch {
		case !wok || (gok && bytes.Compare(gi.Key(), wi.Key()) < 0):
			k := bytes.Clone(gi.Key())
			return &Problem{Block: -1, Tx: -1, Key: describeKey(k), RawKey: k, Reason: "present in the state database but not produced by any block"}, nil
		case !gok || bytes.Compare(gi.Key(), wi.Key()) > 0:
			k := bytes.Clone(wi.Key())
			return &Problem{Block: -1, Tx: -1, Key: describeKey(k), RawKey: k, Reason: "missing from the state database"}, nil
		case !bytes.Equal(gi.Value(), wi.Value()):
			k := bytes.Clone(gi.Key())
			return &Problem{Block: -1, Tx: -1, Key: describeKey(k), RawKey: k, Reason: "value differs from what the blocks produce"}, nil
		}
		gok, wok = gi.Next(), wi.Next()
	}
	if err := gi.Error(); err != nil {
		return nil, fmt.Errorf("embedded: verify: %w", err)
	}
	return nil, wi.Error()
}

// describeKey renders a state database key for people.
func describeKey(k []byte) string {
	if len(k) == 0 {
		return "empty key"
	}
	rest := k[1:]
	coll := func() (string, []byte) {
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			return "?", rest
		}
		return string(rest[:i]), rest[i+1:]
	}
	switch k[0] {
	case pState:
		return "state " + strconv.Quote(string(rest))
	case pMeta:
		return "metadata of " + strconv.Quote(string(rest))
	case pPrivate:
		c, key := coll()
		return "private data " + c + " " + strconv.Quote(string(key))
	case pHashed:
		c, key := coll()
		return "private data hash " + c + " " + hex.EncodeToString(key)
	case pHashedMeta:
		c, key := coll()
		return "private metadata " + c + " " + hex.EncodeToString(key)
	case pHistory:
		if key, v, err := parseHistoryKey(k); err == nil {
			return fmt.Sprintf("history of %s at block %d transaction %d", strconv.Quote(key), v.Block, v.Tx)
		}
	case pTxID:
		return "transaction index " + string(rest)
	case pBlock:
		if len(rest) == 8 {
			return fmt.Sprintf("block index %d", beUint64(rest))
		}
	case pPrivateTx:
		if len(rest) == 12 {
			return fmt.Sprintf("private writes of block %d transaction %d", beUint64(rest[:8]), beUint64(rest[8:]))
		}
	case pInfo:
		return "ledger " + string(rest)
	}
	return "unknown entry " + strconv.Quote(string(k))
}
