package embedded

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/util"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// simulator is the embedded ledger's shim.ChaincodeStubInterface: it runs one transaction's
// chaincode against a snapshot of the committed state and records what the transaction read and
// wrote. Like Fabric, reads never see the transaction's own writes.
type simulator struct {
	l    *Ledger
	snap *leveldb.Snapshot
	cp   *checkedProposal

	mu        sync.Mutex // a chaincode may call the stub from several goroutines
	finished  bool
	reads     map[string]KeyRead
	ranges    []*rangeIterator
	writes    map[string]*KeyWrite
	meta      map[string][]MetadataEntry
	colls     map[string]*collectionSim
	event     *peer.ChaincodeEvent
	iterators []releaser

	stringArgs []string
	keyBuf     []byte

	paginated    bool // ran a paginated query: the transaction must stay read-only
	privateQuery bool // ran a private data range query: likewise
}

type collectionSim struct {
	reads  map[[32]byte]HashedRead
	writes map[string]*privateWrite
	meta   map[string][]MetadataEntry
}

var _ shim.ChaincodeStubInterface = (*simulator)(nil)

// Fabric's composite key conventions.
const (
	compositeKeyNamespace = "\x00"
	minUnicodeRune        = utf8.RuneSelf - 128 // U+0000
	maxUnicodeRune        = utf8.MaxRune
	emptyKeySubstitute    = "\x01"
)

var errFinished = errors.New("embedded: the transaction has finished: the stub can no longer be used")

func newSimulator(l *Ledger, snap *leveldb.Snapshot, cp *checkedProposal) *simulator {
	return &simulator{l: l, snap: snap, cp: cp, reads: map[string]KeyRead{}, writes: map[string]*KeyWrite{}}
}

func (s *simulator) hasWrites() bool {
	if len(s.writes) > 0 || len(s.meta) > 0 {
		return true
	}
	for _, c := range s.colls {
		if len(c.writes) > 0 || len(c.meta) > 0 {
			return true
		}
	}
	return false
}

// checkWrite enforces Fabric's rule that paginated and private-data range queries happen only in
// read-only transactions, because neither can be re-checked for phantoms at commit.
func (s *simulator) checkWrite() error {
	if s.finished {
		return errFinished
	}
	if s.paginated {
		return errors.New("embedded: a transaction that ran a paginated query must not write (paginated queries are for read-only transactions, as in Fabric)")
	}
	if s.privateQuery {
		return errors.New("embedded: a transaction that ran a range query on private data must not write (such queries are for read-only transactions, as in Fabric)")
	}
	return nil
}

// ---- arguments and proposal ----

func (s *simulator) GetArgs() [][]byte { return s.cp.args }

func (s *simulator) GetStringArgs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stringArgs == nil {
		s.stringArgs = make([]string, len(s.cp.args))
		for i, a := range s.cp.args {
			s.stringArgs[i] = string(a)
		}
	}
	// A copy, so that a chaincode changing the slice does not change what others see.
	return append([]string(nil), s.stringArgs...)
}

func (s *simulator) GetFunctionAndParameters() (string, []string) {
	args := s.GetStringArgs()
	if len(args) == 0 {
		return "", []string{}
	}
	return args[0], args[1:]
}

func (s *simulator) GetArgsSlice() ([]byte, error) {
	var out []byte
	for _, a := range s.cp.args {
		out = append(out, a...)
	}
	return out, nil
}

func (s *simulator) GetTxID() string      { return s.cp.txID }
func (s *simulator) GetChannelID() string { return s.cp.chdr.ChannelId }

func (s *simulator) GetCreator() ([]byte, error) { return s.cp.shdr.Creator, nil }

func (s *simulator) GetTransient() (map[string][]byte, error) { return s.cp.transient, nil }

func (s *simulator) GetBinding() ([]byte, error) { return s.cp.binding, nil }

func (s *simulator) GetDecorations() map[string][]byte { return s.cp.decorations }

func (s *simulator) GetSignedProposal() (*peer.SignedProposal, error) { return s.cp.signed, nil }

func (s *simulator) GetTxTimestamp() (*timestamppb.Timestamp, error) { return s.cp.chdr.Timestamp, nil }

func (s *simulator) InvokeChaincode(chaincodeName string, args [][]byte, channel string) *peer.Response {
	return &peer.Response{Status: shim.ERROR, Message: "embedded: chaincode-to-chaincode invocation is not supported: the channel runs a single chaincode"}
}

func (s *simulator) SetEvent(name string, payload []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return errFinished
	}
	if name == "" {
		return errors.New("event name can not be empty string")
	}
	s.event = &peer.ChaincodeEvent{EventName: name, Payload: bytes.Clone(payload)}
	return nil
}

func (s *simulator) StartWriteBatch() {}

func (s *simulator) FinishWriteBatch() error { return nil }

// ---- public state ----

func (s *simulator) getState(key string) ([]byte, error) {
	if s.finished {
		return nil, errFinished
	}
	s.keyBuf = append(append(s.keyBuf[:0], pState), key...)
	raw, err := s.snap.Get(s.keyBuf, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		if _, seen := s.reads[key]; !seen {
			s.reads[key] = KeyRead{Key: key}
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: read state: %w", err)
	}
	v, value, err := decodeVersioned(raw)
	if err != nil {
		return nil, fmt.Errorf("embedded: state of %q: %w", key, err)
	}
	if _, seen := s.reads[key]; !seen {
		s.reads[key] = KeyRead{Key: key, Version: v, Exists: true}
	}
	return value, nil
}

func (s *simulator) GetState(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getState(key)
}

func (s *simulator) GetMultipleStates(keys ...string) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(keys) == 0 {
		return nil, nil
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		v, err := s.getState(k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (s *simulator) PutState(key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkWrite(); err != nil {
		return err
	}
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	// As in Fabric, writing an empty value deletes the key.
	s.writes[key] = &KeyWrite{Key: key, Value: bytes.Clone(value), IsDelete: len(value) == 0}
	return nil
}

func (s *simulator) DelState(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkWrite(); err != nil {
		return err
	}
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	s.writes[key] = &KeyWrite{Key: key, IsDelete: true}
	return nil
}

func (s *simulator) SetStateValidationParameter(key string, ep []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkWrite(); err != nil {
		return err
	}
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	if s.meta == nil {
		s.meta = map[string][]MetadataEntry{}
	}
	s.meta[key] = []MetadataEntry{{Name: validationParameter, Value: bytes.Clone(ep)}}
	return nil
}

// validationParameter is the metadata entry a key-level endorsement policy is stored under.
var validationParameter = peer.MetaDataKeys_VALIDATION_PARAMETER.String()

func (s *simulator) GetStateValidationParameter(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Reading the parameter is a read of the key: a concurrent change invalidates the transaction.
	if _, err := s.getState(key); err != nil {
		return nil, err
	}
	raw, err := s.snap.Get(metaKey(key), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: read metadata: %w", err)
	}
	entries, err := decodeMetadata(raw)
	if err != nil {
		return nil, fmt.Errorf("embedded: metadata of %q: %w", key, err)
	}
	return metadataValue(entries, validationParameter), nil
}

func metadataValue(entries []MetadataEntry, name string) []byte {
	for _, e := range entries {
		if e.Name == name {
			return e.Value
		}
	}
	return nil
}

// ---- composite keys (the shim's own functions, so keys are byte-for-byte Fabric's) ----

func (s *simulator) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	return shim.CreateCompositeKey(objectType, attributes)
}

func (s *simulator) SplitCompositeKey(compositeKey string) (string, []string, error) {
	if !strings.HasPrefix(compositeKey, compositeKeyNamespace) || !strings.HasSuffix(compositeKey, string(rune(minUnicodeRune))) || len(compositeKey) < 2 {
		return "", nil, fmt.Errorf("%q is not a composite key", compositeKey)
	}
	parts := strings.Split(compositeKey[1:len(compositeKey)-1], string(rune(minUnicodeRune)))
	return parts[0], parts[1:], nil
}

func partialCompositeRange(objectType string, attributes []string) (string, string, error) {
	prefix, err := shim.CreateCompositeKey(objectType, attributes)
	if err != nil {
		return "", "", err
	}
	return prefix, prefix + string(rune(maxUnicodeRune)), nil
}

func validateSimpleKeys(keys ...string) error {
	for _, k := range keys {
		if len(k) > 0 && k[0] == compositeKeyNamespace[0] {
			return fmt.Errorf("first character of the key [%s] contains a null character which is not allowed", k)
		}
	}
	return nil
}

// ---- range queries ----

func (s *simulator) GetStateByRange(startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, err
	}
	return s.rangeQuery(startKey, endKey)
}

func (s *simulator) GetStateByPartialCompositeKey(objectType string, attributes []string) (shim.StateQueryIteratorInterface, error) {
	start, end, err := partialCompositeRange(objectType, attributes)
	if err != nil {
		return nil, err
	}
	return s.rangeQuery(start, end)
}

func (s *simulator) rangeQuery(start, end string) (shim.StateQueryIteratorInterface, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return nil, errFinished
	}
	it := &rangeIterator{
		sim:   s,
		it:    s.snap.NewIterator(stateRange(start, end), nil),
		limit: s.l.opts.queryLimit,
		info:  &RangeQuery{StartKey: start, EndKey: end},
	}
	s.ranges = append(s.ranges, it)
	s.iterators = append(s.iterators, it)
	return it, nil
}

// stateRange is the leveldb range of public keys in [start, end); end "" means unbounded.
func stateRange(start, end string) *util.Range {
	r := &util.Range{Start: stateKey(start)}
	if end == "" {
		r.Limit = []byte{pState + 1}
	} else {
		r.Limit = stateKey(end)
	}
	return r
}

func (s *simulator) GetStateByRangeWithPagination(startKey, endKey string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, nil, err
	}
	return s.pagedQuery(startKey, endKey, pageSize, bookmark)
}

func (s *simulator) GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	start, end, err := partialCompositeRange(objectType, keys)
	if err != nil {
		return nil, nil, err
	}
	return s.pagedQuery(start, end, pageSize, bookmark)
}

func (s *simulator) GetAllStatesCompositeKeyWithPagination(pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return s.pagedQuery(compositeKeyNamespace, compositeKeyNamespace+string(rune(maxUnicodeRune)), pageSize, bookmark)
}

// pagedQuery runs a paginated range query at once, as Fabric's peer does: up to pageSize results
// (0: up to the query limit) from bookmark (or start), and as the next bookmark the key that
// follows the page, "" when the range is exhausted.
func (s *simulator) pagedQuery(start, end string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return nil, nil, errFinished
	}
	if pageSize < 0 {
		return nil, nil, fmt.Errorf("page size %d must not be negative", pageSize)
	}
	if s.hasWrites() {
		return nil, nil, errors.New("embedded: paginated queries are only allowed in read-only transactions (as in Fabric), and this transaction has written")
	}
	s.paginated = true
	if bookmark != "" {
		if bookmark < start || (end != "" && bookmark >= end) {
			return nil, nil, fmt.Errorf("bookmark %q is outside the queried range", bookmark)
		}
		start = bookmark
	}
	limit := s.l.opts.queryLimit
	if pageSize > 0 && int(pageSize) < limit {
		limit = int(pageSize)
	}
	it := s.snap.NewIterator(stateRange(start, end), nil)
	defer it.Release()
	var kvs []*queryresult.KV
	for len(kvs) < limit && it.Next() {
		_, value, err := decodeVersioned(it.Value())
		if err != nil {
			return nil, nil, fmt.Errorf("embedded: state of %q: %w", it.Key()[1:], err)
		}
		kvs = append(kvs, &queryresult.KV{Namespace: s.l.cfg.Chaincode, Key: string(it.Key()[1:]), Value: bytes.Clone(value)})
	}
	next := ""
	if it.Next() {
		next = string(it.Key()[1:])
	}
	if err := it.Error(); err != nil {
		return nil, nil, fmt.Errorf("embedded: range query: %w", err)
	}
	return &sliceIterator{kvs: kvs}, &peer.QueryResponseMetadata{FetchedRecordsCount: int32(len(kvs)), Bookmark: next}, nil
}

func (s *simulator) GetQueryResult(query string) (shim.StateQueryIteratorInterface, error) {
	return nil, errors.New("embedded: rich queries are not supported: the state database is LevelDB (use composite-key range queries)")
}

func (s *simulator) GetQueryResultWithPagination(query string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, errors.New("embedded: rich queries are not supported: the state database is LevelDB (use composite-key range queries)")
}

// ---- history ----

func (s *simulator) GetHistoryForKey(key string) (shim.HistoryQueryIteratorInterface, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return nil, errFinished
	}
	if key == "" {
		return nil, errors.New("key must not be an empty string")
	}
	it := &historyIterator{sim: s, it: s.snap.NewIterator(util.BytesPrefix(historyPrefix(key)), nil), key: key}
	s.iterators = append(s.iterators, it)
	return it, nil
}

// ---- private data ----

// collection checks that coll is the implicit collection of a channel MSP and, for access to the
// values themselves, that the client belongs to that MSP. The embedded ledger is one node acting
// for every organisation; it answers as the client's own organisation's peer would, and in Fabric
// only that peer holds the organisation's implicit collection. Hashes are public.
func (s *simulator) collection(coll string, values bool) (*collectionSim, error) {
	if coll == "" {
		return nil, errors.New("collection must not be an empty string")
	}
	owner, ok := strings.CutPrefix(coll, implicitPrefix)
	if !ok || !s.l.verifier.HasMSP(owner) {
		return nil, fmt.Errorf("collection %s is not defined: the embedded ledger supports the implicit collections %s<MSPID> of the channel's MSPs", coll, implicitPrefix)
	}
	if values && owner != s.cp.identity.MSPID {
		return nil, fmt.Errorf("FORBIDDEN: collection %s belongs to %s and is not accessible to a client of %s", coll, owner, s.cp.identity.MSPID)
	}
	if s.colls == nil {
		s.colls = map[string]*collectionSim{}
	}
	c := s.colls[coll]
	if c == nil {
		c = &collectionSim{reads: map[[32]byte]HashedRead{}}
		s.colls[coll] = c
	}
	return c, nil
}

// readHashed reads the hashed state of a private key and records the read.
func (s *simulator) readHashed(c *collectionSim, coll, key string) (Version, []byte, bool, error) {
	kh := hashKey(key)
	raw, err := s.snap.Get(hashedKey(coll, kh), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		if _, seen := c.reads[kh]; !seen {
			c.reads[kh] = HashedRead{KeyHash: kh}
		}
		return Version{}, nil, false, nil
	}
	if err != nil {
		return Version{}, nil, false, fmt.Errorf("embedded: read private data hash: %w", err)
	}
	v, valueHash, err := decodeVersioned(raw)
	if err != nil {
		return Version{}, nil, false, fmt.Errorf("embedded: hashed state: %w", err)
	}
	if _, seen := c.reads[kh]; !seen {
		c.reads[kh] = HashedRead{KeyHash: kh, Version: v, Exists: true}
	}
	return v, valueHash, true, nil
}

func (s *simulator) getPrivateData(coll, key string) ([]byte, error) {
	if s.finished {
		return nil, errFinished
	}
	c, err := s.collection(coll, true)
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, errors.New("key must not be an empty string")
	}
	_, _, exists, err := s.readHashed(c, coll, key)
	if err != nil || !exists {
		return nil, err
	}
	raw, err := s.snap.Get(privateKey(coll, key), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, fmt.Errorf("embedded: private data of %s for key %q is missing although its hash is committed", coll, key)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: read private data: %w", err)
	}
	_, value, err := decodeVersioned(raw)
	if err != nil {
		return nil, fmt.Errorf("embedded: private state: %w", err)
	}
	return value, nil
}

func (s *simulator) GetPrivateData(collection, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getPrivateData(collection, key)
}

func (s *simulator) GetMultiplePrivateData(collection string, keys ...string) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(keys) == 0 {
		return nil, nil
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		v, err := s.getPrivateData(collection, k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (s *simulator) GetPrivateDataHash(collection, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return nil, errFinished
	}
	c, err := s.collection(collection, false)
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, errors.New("key must not be an empty string")
	}
	_, valueHash, exists, err := s.readHashed(c, collection, key)
	if err != nil || !exists {
		return nil, err
	}
	return bytes.Clone(valueHash), nil
}

func (s *simulator) putPrivate(collection, key string, value []byte, del bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkWrite(); err != nil {
		return err
	}
	c, err := s.collection(collection, true)
	if err != nil {
		return err
	}
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	if c.writes == nil {
		c.writes = map[string]*privateWrite{}
	}
	if len(value) == 0 {
		del = true
	}
	c.writes[key] = &privateWrite{Collection: collection, Key: key, Value: bytes.Clone(value), IsDelete: del}
	return nil
}

func (s *simulator) PutPrivateData(collection, key string, value []byte) error {
	return s.putPrivate(collection, key, value, false)
}

func (s *simulator) DelPrivateData(collection, key string) error {
	return s.putPrivate(collection, key, nil, true)
}

// PurgePrivateData deletes the key from the collection. The embedded ledger keeps no private
// history beyond what recovery needs, so a purge is a delete.
func (s *simulator) PurgePrivateData(collection, key string) error {
	return s.putPrivate(collection, key, nil, true)
}

func (s *simulator) SetPrivateDataValidationParameter(collection, key string, ep []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkWrite(); err != nil {
		return err
	}
	c, err := s.collection(collection, true)
	if err != nil {
		return err
	}
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	if c.meta == nil {
		c.meta = map[string][]MetadataEntry{}
	}
	c.meta[key] = []MetadataEntry{{Name: validationParameter, Value: bytes.Clone(ep)}}
	return nil
}

func (s *simulator) GetPrivateDataValidationParameter(collection, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return nil, errFinished
	}
	c, err := s.collection(collection, false)
	if err != nil {
		return nil, err
	}
	if _, _, _, err := s.readHashed(c, collection, key); err != nil {
		return nil, err
	}
	raw, err := s.snap.Get(hashedMetaKey(collection, hashKey(key)), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: read metadata: %w", err)
	}
	entries, err := decodeMetadata(raw)
	if err != nil {
		return nil, err
	}
	return metadataValue(entries, validationParameter), nil
}

func (s *simulator) privateRange(collection, start, end string) (shim.StateQueryIteratorInterface, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return nil, errFinished
	}
	if _, err := s.collection(collection, true); err != nil {
		return nil, err
	}
	if s.hasWrites() {
		return nil, errors.New("embedded: range queries on private data are only allowed in read-only transactions (as in Fabric), and this transaction has written")
	}
	s.privateQuery = true
	r := &util.Range{Start: privateKey(collection, start)}
	if end == "" {
		r.Limit = append(append([]byte{pPrivate}, collection...), 1)
	} else {
		r.Limit = privateKey(collection, end)
	}
	it := &rangeIterator{sim: s, it: s.snap.NewIterator(r, nil), limit: s.l.opts.queryLimit, prefixLen: len(collection) + 2}
	s.iterators = append(s.iterators, it)
	return it, nil
}

func (s *simulator) GetPrivateDataByRange(collection, startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, err
	}
	return s.privateRange(collection, startKey, endKey)
}

func (s *simulator) GetPrivateDataByPartialCompositeKey(collection, objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	start, end, err := partialCompositeRange(objectType, keys)
	if err != nil {
		return nil, err
	}
	return s.privateRange(collection, start, end)
}

func (s *simulator) GetPrivateDataQueryResult(collection, query string) (shim.StateQueryIteratorInterface, error) {
	return nil, errors.New("embedded: rich queries are not supported: the state database is LevelDB (use composite-key range queries)")
}

// ---- results ----

// finish closes the simulation and returns its read/write set and private writes, sorted so that
// the same simulation always gives the same bytes.
func (s *simulator) finish() (*RWSet, []privateWrite) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finished = true
	for _, it := range s.iterators {
		it.release()
	}
	rw := &RWSet{}
	if len(s.reads) > 0 {
		rw.Reads = make([]KeyRead, 0, len(s.reads))
		for _, r := range s.reads {
			rw.Reads = append(rw.Reads, r)
		}
		sortReads(rw.Reads)
	}
	for _, it := range s.ranges {
		rw.RangeQueries = append(rw.RangeQueries, *it.info)
	}
	if len(s.writes) > 0 {
		rw.Writes = make([]KeyWrite, 0, len(s.writes))
		for _, w := range s.writes {
			rw.Writes = append(rw.Writes, *w)
		}
		sort.Slice(rw.Writes, func(i, j int) bool { return rw.Writes[i].Key < rw.Writes[j].Key })
	}
	for k, entries := range s.meta {
		rw.MetadataWrites = append(rw.MetadataWrites, MetadataWrite{Key: k, Entries: entries})
	}
	sort.Slice(rw.MetadataWrites, func(i, j int) bool { return rw.MetadataWrites[i].Key < rw.MetadataWrites[j].Key })
	var pvt []privateWrite
	names := make([]string, 0, len(s.colls))
	for name := range s.colls {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := s.colls[name]
		crw := CollectionRWSet{Collection: name}
		for _, r := range c.reads {
			crw.Reads = append(crw.Reads, r)
		}
		sort.Slice(crw.Reads, func(i, j int) bool { return bytes.Compare(crw.Reads[i].KeyHash[:], crw.Reads[j].KeyHash[:]) < 0 })
		keys := make([]string, 0, len(c.writes))
		for k := range c.writes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			w := c.writes[k]
			hw := HashedWrite{KeyHash: hashKey(k), IsDelete: w.IsDelete}
			if !w.IsDelete {
				hw.ValueHash = sha256.Sum256(w.Value)
			}
			crw.Writes = append(crw.Writes, hw)
			pvt = append(pvt, *w)
		}
		sort.Slice(crw.Writes, func(i, j int) bool { return bytes.Compare(crw.Writes[i].KeyHash[:], crw.Writes[j].KeyHash[:]) < 0 })
		for k, entries := range c.meta {
			crw.MetadataWrites = append(crw.MetadataWrites, HashedMetadataWrite{KeyHash: hashKey(k), Entries: entries})
		}
		sort.Slice(crw.MetadataWrites, func(i, j int) bool {
			return bytes.Compare(crw.MetadataWrites[i].KeyHash[:], crw.MetadataWrites[j].KeyHash[:]) < 0
		})
		if len(crw.Reads)+len(crw.Writes)+len(crw.MetadataWrites) > 0 {
			rw.Collections = append(rw.Collections, crw)
		}
	}
	return rw, pvt
}

// ---- iterators ----

// rangeIterator iterates over public (or, with prefixLen, private) state in key order and records
// what it returned for phantom detection.
type rangeIterator struct {
	sim       *simulator
	it        iterator.Iterator
	prefixLen int // bytes of leveldb key before the chaincode key; 0 means 1 (public state)
	limit     int
	count     int
	info      *RangeQuery // nil for private ranges (never re-checked: read-only)

	peeked  bool
	has     bool
	closed  bool
	lastErr error
}

func (r *rangeIterator) advance() {
	if r.peeked || r.closed {
		return
	}
	r.peeked = true
	if r.count >= r.limit {
		r.has = false
		return
	}
	r.has = r.it.Next()
	if !r.has {
		r.lastErr = r.it.Error()
		if r.info != nil && r.lastErr == nil {
			r.info.Exhausted = true
		}
	}
}

func (r *rangeIterator) HasNext() bool {
	r.sim.mu.Lock()
	defer r.sim.mu.Unlock()
	r.advance()
	return r.has && !r.closed
}

func (r *rangeIterator) Next() (*queryresult.KV, error) {
	r.sim.mu.Lock()
	defer r.sim.mu.Unlock()
	if r.closed {
		return nil, errors.New("iterator is closed")
	}
	r.advance()
	if !r.has {
		if r.lastErr != nil {
			return nil, fmt.Errorf("embedded: range query: %w", r.lastErr)
		}
		return nil, errors.New("no more results")
	}
	r.peeked = false
	n := r.prefixLen
	if n == 0 {
		n = 1
	}
	key := string(r.it.Key()[n:])
	v, value, err := decodeVersioned(r.it.Value())
	if err != nil {
		return nil, fmt.Errorf("embedded: state of %q: %w", key, err)
	}
	r.count++
	if r.info != nil {
		r.info.Reads = append(r.info.Reads, KeyRead{Key: key, Version: v, Exists: true})
	}
	return &queryresult.KV{Namespace: r.sim.l.cfg.Chaincode, Key: key, Value: bytes.Clone(value)}, nil
}

func (r *rangeIterator) Close() error {
	r.sim.mu.Lock()
	defer r.sim.mu.Unlock()
	r.release()
	return nil
}

func (r *rangeIterator) release() {
	if !r.closed {
		r.closed = true
		r.it.Release()
	}
}

// releaser is an iterator the simulator closes when the transaction finishes, in case the
// chaincode did not.
type releaser interface{ release() }

// historyIterator returns a key's committed versions newest first, as Fabric does since v2.0.
type historyIterator struct {
	sim     *simulator
	it      iterator.Iterator
	key     string
	started bool
	peeked  bool
	has     bool
	closed  bool
}

func (h *historyIterator) advance() {
	if h.peeked || h.closed {
		return
	}
	h.peeked = true
	if !h.started {
		h.started = true
		h.has = h.it.Last()
	} else {
		h.has = h.it.Prev()
	}
}

func (h *historyIterator) HasNext() bool {
	h.sim.mu.Lock()
	defer h.sim.mu.Unlock()
	h.advance()
	return h.has && !h.closed
}

func (h *historyIterator) Next() (*queryresult.KeyModification, error) {
	h.sim.mu.Lock()
	defer h.sim.mu.Unlock()
	if h.closed {
		return nil, errors.New("iterator is closed")
	}
	h.advance()
	if !h.has {
		if err := h.it.Error(); err != nil {
			return nil, fmt.Errorf("embedded: history: %w", err)
		}
		return nil, errors.New("no more results")
	}
	h.peeked = false
	return h.sim.l.historyEntry(h.key, h.it.Value())
}

func (h *historyIterator) Close() error {
	h.sim.mu.Lock()
	defer h.sim.mu.Unlock()
	h.release()
	return nil
}

func (h *historyIterator) release() {
	if !h.closed {
		h.closed = true
		h.it.Release()
	}
}

// sliceIterator serves a page that was read at once.
type sliceIterator struct {
	kvs []*queryresult.KV
	i   int
}

func (s *sliceIterator) HasNext() bool { return s.i < len(s.kvs) }

func (s *sliceIterator) Next() (*queryresult.KV, error) {
	if s.i >= len(s.kvs) {
		return nil, errors.New("no more results")
	}
	s.i++
	return s.kvs[s.i-1], nil
}

func (s *sliceIterator) Close() error { return nil }
