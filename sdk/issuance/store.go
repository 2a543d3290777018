package issuance

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"syscall"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/eduledger/eduledger"
)

// store is the service's durable state in one goleveldb database. goleveldb locks its directory,
// so one process at a time opens a store: a second one gets CONFLICT.
//
// Keys (all strings, '/'-separated; IDs never contain '/'):
//
//	m/checkpoint                      last chaincode event the follower applied
//	t/<tokenID>                       API token (hash of its secret, organisation, role)
//	a/<orgID>/<time><seq>             audit entry
//	i/<orgID>/<key>                   idempotency record
//	l/<learnerID>                     learner status mirrored from chaincode events
//	p/<sha256>                        portrait photo
//	c/<credentialID>                  issued credential
//	x/o/<orgID>/<newest-first>/<id>   credentials of an organisation, newest first
//	x/l/<orgID>/<learnerID>/<…>/<id>  credentials of a learner issued by an organisation
//	x/j/<orgID>/<newest-first>/<id>   jobs of an organisation, newest first
//	k/<orgID>/<learnerID>             current identity card of a learner from an organisation
//	j/<jobID>                         bulk job
//	r/<jobID>/<row>                   one row of a job
//	b/<jobID>/<batch>                 one Merkle batch of a job
type store struct {
	db  *leveldb.DB
	dir string
}

func openStore(dir string) (*store, error) {
	db, err := leveldb.OpenFile(dir, &opt.Options{
		// A graduation-sized bulk job (100,000 credentials) writes ~110 MB of row, credential and
		// index records within seconds. A 64 MiB memtable flushes that twice instead of seven
		// times and leaves level-0 compaction until after the burst: 6-9% less CPU per credential
		// in BenchmarkBulkIssuanceCSV, for up to two memtables' worth of memory.
		WriteBuffer:        64 << 20,
		BlockCacheCapacity: 32 << 20,
	})
	if err != nil {
		if errors.Is(err, syscall.EAGAIN) || strings.Contains(err.Error(), "resource temporarily unavailable") {
			return nil, eduledger.Errorf(eduledger.ECONFLICT, "the issuer store %s is in use by another process (is the issuer service running?)", dir)
		}
		return nil, fmt.Errorf("issuance: open store %s: %w", dir, err)
	}
	return &store{db: db, dir: dir}, nil
}

func (s *store) close() error { return s.db.Close() }

// get reads key into v; it reports false when the key is absent.
func (s *store) get(key string, v any) (bool, error) {
	b, err := s.db.Get([]byte(key), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("issuance: read %s: %w", key, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("issuance: decode %s: %w", key, err)
	}
	return true, nil
}

func (s *store) getRaw(key string) ([]byte, error) {
	b, err := s.db.Get([]byte(key), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("issuance: read %s: %w", key, err)
	}
	return b, nil
}

// put writes one value; sync makes it durable before returning.
func (s *store) put(key string, v any, sync bool) error {
	b := new(leveldb.Batch)
	if err := putJSON(b, key, v); err != nil {
		return err
	}
	return s.write(b, sync)
}

func (s *store) write(b *leveldb.Batch, sync bool) error {
	if err := s.db.Write(b, &opt.WriteOptions{Sync: sync}); err != nil {
		return fmt.Errorf("issuance: write store: %w", err)
	}
	return nil
}

func putJSON(b *leveldb.Batch, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("issuance: encode %s: %w", key, err)
	}
	b.Put([]byte(key), data)
	return nil
}

// scan calls fn for the keys under prefix in order, starting after the key named by pageToken,
// for at most limit keys (0: no limit). It returns the page token of the next key, "" at the end.
// fn returns false to skip a key without counting it.
func (s *store) scan(prefix, pageToken string, limit int, fn func(key string, value []byte) (bool, error)) (string, error) {
	r := util.BytesPrefix([]byte(prefix))
	if pageToken != "" {
		after, err := decodePageToken(pageToken, prefix)
		if err != nil {
			return "", err
		}
		r.Start = append([]byte(after), 0)
	}
	it := s.db.NewIterator(r, nil)
	defer it.Release()
	n := 0
	var last string
	for it.Next() {
		if limit > 0 && n == limit {
			return encodePageToken(last), nil
		}
		key := string(it.Key())
		counted, err := fn(key, it.Value())
		if err != nil {
			return "", err
		}
		last = key
		if counted {
			n++
		}
	}
	if err := it.Error(); err != nil {
		return "", fmt.Errorf("issuance: scan %s: %w", prefix, err)
	}
	return "", nil
}

func encodePageToken(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func decodePageToken(token, prefix string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || !strings.HasPrefix(string(b), prefix) {
		return "", eduledger.Errorf(eduledger.EINVALID, "pageToken is not one this list returned")
	}
	return string(b), nil
}

// deletePrefix removes every key under prefix, in batches.
func (s *store) deletePrefix(prefix string) error {
	it := s.db.NewIterator(util.BytesPrefix([]byte(prefix)), nil)
	defer it.Release()
	b := new(leveldb.Batch)
	for it.Next() {
		b.Delete(append([]byte(nil), it.Key()...))
		if b.Len() >= 10_000 {
			if err := s.write(b, false); err != nil {
				return err
			}
			b.Reset()
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	return s.write(b, true)
}

// newestFirst renders t so that later times sort first.
func newestFirst(t time.Time) string {
	return fmt.Sprintf("%019d", math.MaxInt64-t.UnixNano())
}

// Key builders.
func keyToken(id string) string               { return "t/" + id }
func keyIdem(org, k string) string            { return "i/" + org + "/" + k }
func keyLearner(id string) string             { return "l/" + id }
func keyPortrait(hash string) string          { return "p/" + hash }
func keyCred(id string) string                { return "c/" + id }
func keyCard(org, learner string) string      { return "k/" + org + "/" + learner }
func keyJob(id string) string                 { return "j/" + id }
func keyRow(job string, row int) string       { return fmt.Sprintf("r/%s/%010d", job, row) }
func prefixRows(job string) string            { return "r/" + job + "/" }
func keyBatch(job string, n int) string       { return fmt.Sprintf("b/%s/%06d", job, n) }
func prefixBatches(job string) string         { return "b/" + job + "/" }
func prefixOrgCreds(org string) string        { return "x/o/" + org + "/" }
func prefixLearnerCreds(org, l string) string { return "x/l/" + org + "/" + l + "/" }
func prefixOrgJobs(org string) string         { return "x/j/" + org + "/" }
func prefixAudit(org string) string           { return "a/" + org + "/" }

const keyCheckpoint = "m/checkpoint"

// indexCredential adds a credential to the lists of its organisation and learner.
func indexCredential(b *leveldb.Batch, org, learner, id string, issuedAt time.Time) {
	indexCredentialAt(b, org, learner, id, newestFirst(issuedAt))
}

// indexCredentialAt is indexCredential with the issuance time already rendered by newestFirst
// (a batch's credentials share it).
func indexCredentialAt(b *leveldb.Batch, org, learner, id, nf string) {
	b.Put([]byte(prefixOrgCreds(org)+nf+"/"+id), nil)
	b.Put([]byte(prefixLearnerCreds(org, learner)+nf+"/"+id), nil)
}

// idFromIndexKey returns the credential or job ID at the end of an index key.
func idFromIndexKey(key string) string { return key[strings.LastIndexByte(key, '/')+1:] }
