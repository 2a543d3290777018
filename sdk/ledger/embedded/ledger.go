package embedded

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/msp"
)

// Layout of a ledger directory.
const (
	markerFile = "LEDGER"
	blocksDir  = "blocks"
	stateDir   = "state"
	markerText = "eduledger embedded ledger, format 1\n"
)

// Ledger is an open embedded ledger: one channel running one chaincode in this process. It is safe
// for concurrent use; Connect gives each identity its own Gateway.
type Ledger struct {
	dir      string
	cfg      ChannelConfig
	cc       shim.Chaincode
	opts     options
	log      *slog.Logger
	verifier *msp.Verifier
	db       *leveldb.DB
	store    *blockStore

	// mu guards the committed height and what event streams wait on.
	mu       sync.Mutex
	height   uint64
	lastHash [32]byte
	notify   chan struct{} // closed and replaced at each commit
	recent   map[uint64]*blockEvents
	recentQ  []uint64

	// Owned by the orderer goroutine: the next block's number, the last block's hash, the MVCC
	// window. applied is the last block the state database holds (written by the applier).
	nextBlock uint64
	prevHash  [32]byte
	window    *mvccWindow
	applied   atomic.Uint64
	ordered   chan *orderedBlock
	synced    chan syncedGroup
	slots     chan struct{}
	// endorsers bounds concurrent simulations.
	endorsers chan struct{}

	// The ordering queue.
	queueMu  sync.Mutex
	queue    []*pendingTx
	wake     chan struct{}
	stopping bool
	failed   error

	closing       chan struct{}
	committerDone chan struct{}

	// ops counts operations in flight; Close waits for them before closing the database.
	ops    sync.RWMutex
	closed bool

	// crashAfterSync, set by tests only, makes the committer stop as if the process died right
	// after a block became durable and before the state database absorbed it.
	crashAfterSync func(block uint64) bool
}

// Option configures Open.
type Option func(*options) error

type options struct {
	log        *slog.Logger
	skew       time.Duration
	now        func() time.Time
	fileSize   int64
	queryLimit int
	cacheBytes int
	endorsers  int
	// windowBlocks and windowKeys override the MVCC window's limits (tests only).
	windowBlocks, windowKeys int
}

// DefaultClockSkew is how far a proposal's timestamp may be from the node's clock by default.
const DefaultClockSkew = 5 * time.Minute

// DefaultQueryLimit caps the results of one range query, like Fabric's totalQueryLimit.
const DefaultQueryLimit = 100000

// WithLogger sets the logger (default: slog.Default()).
func WithLogger(log *slog.Logger) Option {
	return func(o *options) error {
		if log == nil {
			return eduledger.Errorf(eduledger.EINVALID, "embedded: logger must not be nil")
		}
		o.log = log
		return nil
	}
}

// WithClockSkew sets how far a proposal's timestamp may lie from the node's clock (default 5
// minutes; 0 turns the check off). Fabric chaincode takes the transaction timestamp from the
// client-signed proposal and the EduLedger chaincode bases accreditation and key-validity decisions
// on it, so without this check a client could backdate a transaction into a period when it was
// still accredited. Turn it off only for tests and imports of historical data.
func WithClockSkew(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return eduledger.Errorf(eduledger.EINVALID, "embedded: clock skew must not be negative")
		}
		o.skew = d
		return nil
	}
}

// WithNodeClock sets the node's clock, against which proposal timestamps and certificate validity
// are checked (default time.Now).
func WithNodeClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return eduledger.Errorf(eduledger.EINVALID, "embedded: clock must not be nil")
		}
		o.now = now
		return nil
	}
}

// WithBlockFileSize sets the size after which a new block file is started (default 64 MiB).
func WithBlockFileSize(n int64) Option {
	return func(o *options) error {
		if n < 1<<10 {
			return eduledger.Errorf(eduledger.EINVALID, "embedded: block file size must be at least 1 KiB")
		}
		o.fileSize = n
		return nil
	}
}

// WithQueryLimit caps the results one range query returns (default 100000, like Fabric's
// totalQueryLimit); a query that reaches the cap stops there.
func WithQueryLimit(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return eduledger.Errorf(eduledger.EINVALID, "embedded: query limit must be positive")
		}
		o.queryLimit = n
		return nil
	}
}

// WithConcurrency bounds how many transactions are authenticated and simulated at once (default
// twice GOMAXPROCS). Simulation is CPU-bound: more at once only lengthens the run queue that the
// committer goroutines wait in.
func WithConcurrency(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return eduledger.Errorf(eduledger.EINVALID, "embedded: concurrency must be positive")
		}
		o.endorsers = n
		return nil
	}
}

// WithCacheSize sets the state database's block cache (default 32 MiB).
func WithCacheSize(bytes int) Option {
	return func(o *options) error {
		if bytes < 0 {
			return eduledger.Errorf(eduledger.EINVALID, "embedded: cache size must not be negative")
		}
		o.cacheBytes = bytes
		return nil
	}
}

// Create makes a new ledger in dir (created if needed, else it must be empty) and writes its
// genesis block, which holds cfg. It returns CONFLICT if dir already holds a ledger or other files,
// INVALID for a bad configuration.
func Create(dir string, cfg ChannelConfig) error {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, markerFile)); err == nil {
		return eduledger.Errorf(eduledger.ECONFLICT, "embedded: %s already holds a ledger", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("embedded: create: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("embedded: create: %w", err)
	}
	for _, e := range entries {
		if e.Name() != blocksDir && e.Name() != stateDir {
			return eduledger.Errorf(eduledger.ECONFLICT, "embedded: %s is not empty (found %s)", dir, e.Name())
		}
	}
	// Leftovers of an interrupted Create (no marker yet) are ours to remove.
	for _, sub := range []string{blocksDir, stateDir} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			return fmt.Errorf("embedded: create: %w", err)
		}
	}
	cfgBytes, err := cfg.encode()
	if err != nil {
		return fmt.Errorf("embedded: create: %w", err)
	}
	payload, _, hdr := encodeBlock(blockConfig, 0, [32]byte{}, [][]byte{cfgBytes}, [][32]byte{sha256.Sum256(cfgBytes)}, []byte{0})
	store, err := openBlockStore(filepath.Join(dir, blocksDir), defaultFileBytes)
	if err != nil {
		return fmt.Errorf("embedded: create: %w", err)
	}
	loc, _, err := store.append(payload)
	if err == nil {
		err = store.sync()
	}
	if cerr := store.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("embedded: create: write genesis block: %w", err)
	}
	db, err := leveldb.OpenFile(filepath.Join(dir, stateDir), &opt.Options{})
	if err != nil {
		return fmt.Errorf("embedded: create: state database: %w", err)
	}
	batch := new(leveldb.Batch)
	batch.Put(blockKey(0), blockRecord{Loc: loc, Hash: hdr.hash()}.encode())
	batch.Put(savepointKey, blockKey(0)[1:])
	err = db.Write(batch, &opt.WriteOptions{Sync: true})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("embedded: create: state database: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, markerFile), []byte(markerText)); err != nil {
		return fmt.Errorf("embedded: create: %w", err)
	}
	return syncDir(dir)
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Open opens the ledger in dir and starts its committer; cc is the chaincode it runs (usually a
// *contractapi.ContractChaincode). Open recovers from a crash: it cuts off a block torn by the
// crash and replays the blocks the state database had not yet absorbed, so that the state matches
// the blocks. It returns NOT_FOUND if dir holds no ledger, CONFLICT if the ledger is already open,
// INVALID for bad options, and an INTERNAL error if the files are damaged beyond a torn tail (run
// Verify to locate the damage).
func Open(dir string, cc shim.Chaincode, opts ...Option) (*Ledger, error) {
	if cc == nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "embedded: a chaincode is required")
	}
	o := options{log: slog.Default(), skew: DefaultClockSkew, now: time.Now, fileSize: defaultFileBytes, queryLimit: DefaultQueryLimit,
		cacheBytes: 32 << 20, endorsers: 2 * runtime.GOMAXPROCS(0)}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	cfg, err := readGenesis(dir)
	if err != nil {
		return nil, err
	}
	verifier, err := msp.NewVerifier(cfg.MSPs)
	if err != nil {
		return nil, fmt.Errorf("embedded: open: %w", err)
	}
	db, err := openStateDB(filepath.Join(dir, stateDir), o.cacheBytes, false)
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "embedded: the ledger in %s is already open (in this or another process): %w", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: open: state database: %w", err)
	}
	l := &Ledger{
		dir: dir, cfg: *cfg, cc: cc, opts: o, log: o.log.With("component", "embedded-ledger", "channel", cfg.Channel),
		verifier: verifier, db: db, notify: make(chan struct{}), recent: map[uint64]*blockEvents{},
		wake: make(chan struct{}, 1), closing: make(chan struct{}), committerDone: make(chan struct{}),
	}
	if err := l.recover(); err != nil {
		db.Close()
		return nil, err
	}
	store, err := openBlockStore(filepath.Join(dir, blocksDir), o.fileSize)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("embedded: open: %w", err)
	}
	l.store = store
	l.nextBlock, l.prevHash = l.height, l.lastHash
	l.window = newMVCCWindow(l.height - 1)
	if o.windowBlocks > 0 {
		l.window.maxBlocks, l.window.maxKeys = o.windowBlocks, o.windowKeys
	}
	l.applied.Store(l.height - 1)
	l.ordered = make(chan *orderedBlock, 1)
	l.slots = make(chan struct{}, 1)
	l.endorsers = make(chan struct{}, o.endorsers)
	l.synced = make(chan syncedGroup, syncedDepth)
	go l.runOrderer()
	go l.runSyncer()
	go l.runStateWriter()
	l.log.Info("ledger open", "dir", dir, "height", l.height)
	return l, nil
}

func openStateDB(path string, cacheBytes int, readOnly bool) (*leveldb.DB, error) {
	return leveldb.OpenFile(path, &opt.Options{
		ErrorIfMissing:         true,
		ReadOnly:               readOnly,
		Filter:                 filter.NewBloomFilter(10),
		BlockCacheCapacity:     cacheBytes,
		WriteBuffer:            32 << 20,
		CompactionTableSize:    8 << 20,
		DisableSeeksCompaction: true,
		// Fewer write stalls under bursts: goleveldb delays every write by 1 ms once level 0
		// holds 8 tables.
		WriteL0SlowdownTrigger: 16,
		WriteL0PauseTrigger:    32,
	})
}

// readGenesis reads and checks block 0, the channel configuration.
func readGenesis(dir string) (*ChannelConfig, error) {
	if _, err := os.Stat(filepath.Join(dir, markerFile)); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, eduledger.Errorf(eduledger.ENOTFOUND, "embedded: %s holds no ledger (create one first)", dir)
		}
		return nil, fmt.Errorf("embedded: open: %w", err)
	}
	var cfg *ChannelConfig
	stop := errors.New("stop")
	err := scanFile(filepath.Join(dir, blocksDir), 0, 0, func(_ location, payload []byte) error {
		b, err := decodeBlock(payload)
		if err != nil {
			return err
		}
		if b.Header.Number != 0 || b.Header.Kind != blockConfig || b.Header.PrevHash != ([32]byte{}) {
			return fmt.Errorf("%w: the first block is not a genesis block", errCorrupt)
		}
		if cfg, err = decodeConfig(b.Entries[0]); err != nil {
			return err
		}
		return stop
	})
	if err != nil && !errors.Is(err, stop) {
		return nil, corruptErr("genesis block", err)
	}
	if cfg == nil {
		return nil, corruptErr("genesis block", fmt.Errorf("%w: missing", errCorrupt))
	}
	c := cfg.withDefaults()
	return &c, nil
}

func corruptErr(what string, err error) error {
	return &eduledger.Error{Code: eduledger.EINTERNAL, Message: "embedded: " + what + " is damaged: run Verify", Err: err}
}

// recover brings the state database up to the last intact block and cuts off a torn tail.
func (l *Ledger) recover() error {
	sp, err := l.db.Get(savepointKey, nil)
	if err != nil {
		return corruptErr("state database savepoint", err)
	}
	if len(sp) != 8 {
		return corruptErr("state database savepoint", fmt.Errorf("%w: savepoint of %d bytes", errCorrupt, len(sp)))
	}
	savepoint := beUint64(sp)
	rec, err := l.blockRecord(savepoint)
	if err != nil {
		return corruptErr("block index", err)
	}
	blocks := filepath.Join(l.dir, blocksDir)
	tmp, err := openBlockStore(blocks, l.opts.fileSize)
	if err != nil {
		return fmt.Errorf("embedded: open: %w", err)
	}
	payload, err := tmp.readFrame(rec.Loc)
	tmp.close()
	if err != nil {
		return corruptErr(fmt.Sprintf("block %d (the savepoint)", savepoint), err)
	}
	if b, err := decodeBlock(payload); err != nil || b.Header.hash() != rec.Hash || b.Header.Number != savepoint {
		return corruptErr(fmt.Sprintf("block %d (the savepoint)", savepoint), fmt.Errorf("%w: does not match the block index", errCorrupt))
	}
	next, last := savepoint+1, rec.Hash
	replayed := 0
	err = scanFrames(blocks, rec.Loc.File, rec.Loc.Offset+int64(rec.Loc.Length), func(loc location, payload []byte) error {
		b, err := decodeBlock(payload)
		if err != nil {
			return &frameError{File: loc.File, Offset: loc.Offset, Err: err}
		}
		if b.Header.Number != next || b.Header.PrevHash != last || b.Header.Kind != blockTransactions {
			return &frameError{File: loc.File, Offset: loc.Offset, Err: fmt.Errorf("%w: block %d does not follow block %d", errCorrupt, b.Header.Number, next-1)}
		}
		if err := l.replay(b, loc); errors.Is(err, errPrivateMissing) {
			return &frameError{File: loc.File, Offset: loc.Offset, Torn: true, Err: fmt.Errorf("block %d: %w", b.Header.Number, err)}
		} else if err != nil {
			return err
		}
		next, last = next+1, b.Header.hash()
		replayed++
		return nil
	})
	var fe *frameError
	switch {
	case err == nil:
	case errors.As(err, &fe) && fe.Torn:
		nums, lerr := listBlockFiles(blocks)
		if lerr != nil || (nums[len(nums)-1] != fe.File && !errors.Is(fe.Err, errPrivateMissing)) {
			return corruptErr("block files", err)
		}
		l.log.Warn("cutting off a torn block at the end of the block files (a crash interrupted its write; it was never acknowledged)",
			"file", fe.File, "offset", fe.Offset, "reason", fe.Err)
		if err := truncateAt(blocks, fe.File, fe.Offset); err != nil {
			return fmt.Errorf("embedded: open: cut torn block: %w", err)
		}
	default:
		return corruptErr("block files", err)
	}
	// Private writes saved for a block that never made it to the block files are orphans.
	orphans := new(leveldb.Batch)
	it := l.db.NewIterator(&util.Range{Start: privateTxKey(Version{Block: next}), Limit: []byte{pPrivateTx + 1}}, nil)
	for it.Next() {
		orphans.Delete(bytes.Clone(it.Key()))
	}
	it.Release()
	if orphans.Len() > 0 {
		if err := l.db.Write(orphans, &opt.WriteOptions{Sync: true}); err != nil {
			return fmt.Errorf("embedded: open: %w", err)
		}
	}
	if replayed > 0 {
		l.log.Info("replayed blocks the state database had not absorbed", "from", savepoint+1, "count", replayed)
	}
	l.height, l.lastHash = next, last
	return nil
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func (l *Ledger) blockRecord(n uint64) (blockRecord, error) {
	raw, err := l.db.Get(blockKey(n), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return blockRecord{}, eduledger.Errorf(eduledger.ENOTFOUND, "embedded: block %d not found", n)
	}
	if err != nil {
		return blockRecord{}, err
	}
	return decodeBlockRecord(raw)
}

// replay applies a stored block to the state database, as its commit did.
func (l *Ledger) replay(b *rawBlock, loc location) error {
	txs := make([]*committedTx, len(b.Entries))
	for i, raw := range b.Entries {
		e, err := decodeTxEntry(raw)
		if err != nil {
			return fmt.Errorf("embedded: replay block %d: %w", b.Header.Number, err)
		}
		ct := &committedTx{txID: e.TxID, code: b.Codes[i], rw: e.RWSet, entryLoc: entryLocation(loc, b.Offsets[i], len(raw))}
		if ct.code == byte(validCode) && hasPrivateWrites(e.RWSet) {
			if ct.pvt, err = l.loadPrivateWrites(Version{Block: b.Header.Number, Tx: uint32(i)}); err != nil {
				return err
			}
			if !coversPrivateWrites(e.RWSet, ct.pvt) {
				return errPrivateMissing
			}
		}
		txs[i] = ct
	}
	batch := new(leveldb.Batch)
	if err := applyBlock(batch, l.db, map[string][]byte{}, b.Header.Number, b.Header.hash(), loc, txs); err != nil {
		return err
	}
	return l.db.Write(batch, nil)
}

// errPrivateMissing marks a block after the savepoint whose private writes never became durable:
// the block was never acknowledged, so recovery drops it and what follows.
var errPrivateMissing = errors.New("private writes of the block are missing")

func hasPrivateWrites(rw *RWSet) bool {
	for _, c := range rw.Collections {
		if len(c.Writes) > 0 {
			return true
		}
	}
	return false
}

func (l *Ledger) loadPrivateWrites(v Version) ([]privateWrite, error) {
	raw, err := l.db.Get(privateTxKey(v), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	d := decoder{b: raw}
	pvt := decodePrivateWrites(&d)
	return pvt, d.done()
}

func entryLocation(frame location, offset, length int) location {
	return location{File: frame.File, Offset: frame.Offset + frameHeaderSize + int64(offset), Length: uint32(length)}
}

// Config returns the channel configuration from the genesis block.
func (l *Ledger) Config() ChannelConfig { return l.cfg }

// Close stops the ledger: it refuses new transactions, commits those already queued, ends event
// streams and closes the files. Gateways of the ledger then return UNAVAILABLE.
func (l *Ledger) Close() error {
	l.queueMu.Lock()
	if l.stopping {
		l.queueMu.Unlock()
		return nil
	}
	l.stopping = true
	l.queueMu.Unlock()
	close(l.closing)
	<-l.committerDone
	l.ops.Lock()
	l.closed = true
	l.ops.Unlock()
	err := l.store.close()
	if cerr := l.db.Close(); err == nil {
		err = cerr
	}
	l.log.Info("ledger closed", "height", l.Height())
	return err
}

// begin marks an operation in flight; it fails once the ledger is closed.
func (l *Ledger) begin() error {
	l.ops.RLock()
	if l.closed {
		l.ops.RUnlock()
		return ledger.Unavailable("embedded ledger", errClosed)
	}
	return nil
}

func (l *Ledger) end() { l.ops.RUnlock() }

var errClosed = errors.New("the ledger is closed")

// Height returns the number of committed blocks, the genesis block included.
func (l *Ledger) Height() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.height
}
