// Package keystore keeps private keys on disk, each encrypted under a passphrase, and turns them
// into signers and decryption keys: issuers' Ed25519 and ML-DSA-44 keys, and a learner's Ed25519
// identity key and X25519 encryption key.
//
// Each key is one JSON file in the store's directory (mode 0600, written atomically). Its secret —
// a 32-byte seed from which the key is derived — is sealed with XChaCha20-Poly1305 under a key
// derived from the passphrase with Argon2id (RFC 9106; by default 3 passes over 64 MiB, 4 lanes)
// and a fresh 16-byte salt. The key's identity (ID, controller, kind, public key, creation time,
// KDF parameters) is bound to the ciphertext as associated data, so swapping files or editing
// that metadata makes decryption fail. A key's ID is the fragment of its verification method:
// <controller>#<id>, which for an issuer is the did:eduledger:org:<orgID>#<keyID> registered on
// the ledger.
package keystore

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// KDF holds Argon2id parameters.
type KDF struct {
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memoryKiB"`
	Threads   uint8  `json:"threads"`
}

// DefaultKDF is RFC 9106's second recommended Argon2id setting: 3 passes, 64 MiB, 4 lanes.
func DefaultKDF() KDF { return KDF{Time: 3, MemoryKiB: 64 * 1024, Threads: 4} }

func (k KDF) validate() error {
	if k.Time < 1 || k.MemoryKiB < 8*uint32(max(k.Threads, 1)) || k.Threads < 1 {
		return eduledger.Errorf(eduledger.EINVALID, "argon2id needs time >= 1, threads >= 1 and at least 8 KiB of memory per thread")
	}
	return nil
}

// Key statuses.
const (
	Active  = "active"
	Retired = "retired"
)

// Info is a key's public description.
type Info struct {
	ID                 string        `json:"id"`
	Controller         string        `json:"controller"`
	Kind               multikey.Kind `json:"kind"`
	PublicKeyMultibase string        `json:"publicKeyMultibase"`
	Created            time.Time     `json:"created"`
	Status             string        `json:"status"`
	RetiredAt          time.Time     `json:"retiredAt,omitzero"`
	SupersededBy       string        `json:"supersededBy,omitempty"`
}

// VerificationMethod returns the key's DID URL: <controller>#<id>.
func (i *Info) VerificationMethod() string { return i.Controller + "#" + i.ID }

// IssuerKey returns the ledger registration of an issuer key (controller did:eduledger:org:…),
// valid from its creation. It fails with INVALID for a key of another controller or kind.
func (i *Info) IssuerKey() (*eduledger.IssuerKey, error) {
	orgID, ok := eduledger.ParseOrgDID(i.Controller)
	if !ok {
		return nil, eduledger.Errorf(eduledger.EINVALID, "key %s is not an organisation's key", i.ID)
	}
	t := eduledger.KeyType(i.Kind)
	if !t.Valid() {
		return nil, eduledger.Errorf(eduledger.EINVALID, "a %s key is not an issuer key", i.Kind)
	}
	k := &eduledger.IssuerKey{OrgID: orgID, ID: i.ID, Type: t, PublicKeyMultibase: i.PublicKeyMultibase, ValidFrom: i.Created}
	if i.Status == Retired {
		k.ValidUntil = i.RetiredAt
		k.SupersededBy = i.SupersededBy
	}
	return k, nil
}

// file is the on-disk form of a key.
type file struct {
	Version int `json:"version"`
	Info
	KDF        KDF    `json:"kdf"`
	Salt       string `json:"salt"`
	Cipher     string `json:"cipher"`
	Nonce      string `json:"nonce"`
	Ciphertext string `json:"ciphertext"`
}

const (
	fileVersion = 1
	cipherName  = "xchacha20poly1305"
	seedSize    = 32
	fileSuffix  = ".key.json"
)

// aad is what the ciphertext is bound to: the key's identity and the KDF parameters, not its
// mutable status.
func (f *file) aad() []byte {
	b, _ := json.Marshal(struct {
		Version    int
		ID         string
		Controller string
		Kind       multikey.Kind
		Public     string
		Created    time.Time
		KDF        KDF
		Salt       string
	}{f.Version, f.ID, f.Controller, f.Kind, f.PublicKeyMultibase, f.Created, f.KDF, f.Salt})
	return b
}

// Store is a directory of encrypted keys opened with one passphrase. It keeps keys it has
// decrypted in memory. It is safe for concurrent use within one process.
type Store struct {
	dir  string
	pass []byte
	kdf  KDF
	now  func() time.Time

	mu       sync.Mutex
	unlocked map[string][]byte // id -> seed
	rotating sync.Mutex        // one rotation at a time
}

// Option configures a Store.
type Option func(*Store) error

// WithKDF sets the Argon2id parameters for keys the store writes (reading uses each file's own).
func WithKDF(k KDF) Option {
	return func(s *Store) error {
		if err := k.validate(); err != nil {
			return err
		}
		s.kdf = k
		return nil
	}
}

// WithClock sets the clock that dates new and retired keys.
func WithClock(now func() time.Time) Option {
	return func(s *Store) error { s.now = now; return nil }
}

// MinPassphrase is the shortest passphrase accepted.
const MinPassphrase = 12

// Open opens (creating it with mode 0700 if needed) the key store in dir. Errors: INVALID for a
// passphrase shorter than MinPassphrase; the file system's error otherwise.
func Open(dir string, passphrase []byte, opts ...Option) (*Store, error) {
	if len(passphrase) < MinPassphrase {
		return nil, eduledger.Errorf(eduledger.EINVALID, "passphrase must be at least %d bytes", MinPassphrase)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	s := &Store{dir: dir, pass: slices.Clone(passphrase), kdf: DefaultKDF(), now: time.Now, unlocked: map[string][]byte{}}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Generate creates a key of the given kind (Ed25519, ML-DSA-44 or X25519) for controller (a DID)
// under id, encrypts it and writes it. Errors: INVALID for a malformed id, controller or kind;
// CONFLICT when id exists.
func (s *Store) Generate(controller string, kind multikey.Kind, id string) (*Info, error) {
	if !eduledger.ValidLocalID(id) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "key id %q must be 1-128 letters, digits, '.', '_' or '-'", id)
	}
	if !strings.HasPrefix(controller, "did:") || strings.ContainsAny(controller, "#?/ ") {
		return nil, eduledger.Errorf(eduledger.EINVALID, "controller %q must be a DID", controller)
	}
	seed := make([]byte, seedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	pub, err := publicKey(kind, seed)
	if err != nil {
		return nil, err
	}
	info := Info{ID: id, Controller: controller, Kind: kind, PublicKeyMultibase: pub,
		Created: s.now().UTC().Truncate(time.Second), Status: Active}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := os.Stat(s.path(id)); err == nil {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "key %s already exists", id)
	}
	f, err := s.seal(info, seed)
	if err != nil {
		return nil, err
	}
	if err := s.write(f, false); err != nil {
		return nil, err
	}
	s.unlocked[id] = seed
	return &info, nil
}

// publicKey derives the public Multikey of a seed.
func publicKey(kind multikey.Kind, seed []byte) (string, error) {
	switch kind {
	case multikey.Ed25519:
		return multikey.Encode(kind, ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey))
	case multikey.MLDSA44:
		pk, _ := mldsa44.NewKeyFromSeed((*[mldsa44.SeedSize]byte)(seed))
		return multikey.Encode(kind, pk.Bytes())
	case multikey.X25519:
		k, err := ecdh.X25519().NewPrivateKey(seed)
		if err != nil {
			return "", err
		}
		return multikey.Encode(kind, k.PublicKey().Bytes())
	}
	return "", eduledger.Errorf(eduledger.EINVALID, "unknown key kind %q", kind)
}

func (s *Store) seal(info Info, seed []byte) (*file, error) {
	salt := make([]byte, 16)
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	f := &file{Version: fileVersion, Info: info, KDF: s.kdf, Salt: b64(salt), Cipher: cipherName, Nonce: b64(nonce)}
	aead, err := chacha20poly1305.NewX(deriveKey(s.pass, salt, s.kdf))
	if err != nil {
		return nil, err
	}
	f.Ciphertext = b64(aead.Seal(nil, nonce, seed, f.aad()))
	return f, nil
}

func deriveKey(pass, salt []byte, k KDF) []byte {
	return argon2.IDKey(pass, salt, k.Time, k.MemoryKiB, k.Threads, chacha20poly1305.KeySize)
}

func b64(b []byte) string { return base64.RawStdEncoding.EncodeToString(b) }

func (s *Store) path(id string) string { return filepath.Join(s.dir, id+fileSuffix) }

// write stores f atomically: a temporary file, synced, renamed over the target, directory synced.
func (s *Store) write(f *file, replace bool) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("keystore: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("keystore: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("keystore: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	target := s.path(f.ID)
	if !replace {
		// Link fails if the target exists, so a concurrent writer cannot be overwritten.
		if err := os.Link(tmp.Name(), target); err != nil {
			if errors.Is(err, os.ErrExist) {
				return eduledger.Errorf(eduledger.ECONFLICT, "key %s already exists", f.ID)
			}
			return fmt.Errorf("keystore: %w", err)
		}
	} else if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	if d, err := os.Open(s.dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func (s *Store) read(id string) (*file, error) {
	if !eduledger.ValidLocalID(id) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "key id %q is malformed", id)
	}
	b, err := os.ReadFile(s.path(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "no key %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	var f file
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "key file %s is malformed: %w", id, err)
	}
	if f.Version != fileVersion || f.Cipher != cipherName || f.ID != id {
		return nil, eduledger.Errorf(eduledger.EINVALID, "key file %s: unsupported version, cipher or id", id)
	}
	if err := f.KDF.validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// Info returns the public description of key id. Errors: NOT_FOUND, INVALID for a damaged file.
func (s *Store) Info(id string) (*Info, error) {
	f, err := s.read(id)
	if err != nil {
		return nil, err
	}
	return &f.Info, nil
}

// List returns every key in the store, ordered by creation then ID.
func (s *Store) List() ([]*Info, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	var out []*Info
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), fileSuffix)
		if !ok || e.IsDir() {
			continue
		}
		info, err := s.Info(id)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b *Info) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// seed decrypts key id. Errors: NOT_FOUND, UNAUTHORIZED for a wrong passphrase (or a file whose
// bound metadata was altered), INVALID for a damaged file.
func (s *Store) seed(id string) ([]byte, *Info, error) {
	f, err := s.read(id)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	seed, ok := s.unlocked[id]
	s.mu.Unlock()
	if ok {
		return seed, &f.Info, nil
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(f.Salt)
	nonce, err2 := base64.RawStdEncoding.DecodeString(f.Nonce)
	ct, err3 := base64.RawStdEncoding.DecodeString(f.Ciphertext)
	if err := errors.Join(err1, err2, err3); err != nil || len(nonce) != chacha20poly1305.NonceSizeX || len(salt) < 16 {
		return nil, nil, eduledger.Errorf(eduledger.EINVALID, "key file %s is damaged", id)
	}
	aead, err := chacha20poly1305.NewX(deriveKey(s.pass, salt, f.KDF))
	if err != nil {
		return nil, nil, err
	}
	seed, err = aead.Open(nil, nonce, ct, f.aad())
	if err != nil {
		return nil, nil, eduledger.Errorf(eduledger.EUNAUTHORIZED, "cannot decrypt key %s: wrong passphrase or altered key file", id)
	}
	if pub, err := publicKey(f.Kind, seed); err != nil || pub != f.PublicKeyMultibase {
		return nil, nil, eduledger.Errorf(eduledger.EINVALID, "key file %s: the secret does not match the public key", id)
	}
	s.mu.Lock()
	s.unlocked[id] = seed
	s.mu.Unlock()
	return seed, &f.Info, nil
}

// Signer returns a signer for an Ed25519 or ML-DSA-44 key, named by its verification method
// (<controller>#<id>). A retired key still signs (to re-sign an archive, say); Rotate is what
// takes it out of use. Errors: as seed, and INVALID for an X25519 key.
func (s *Store) Signer(id string) (dataintegrity.Signer, error) {
	seed, info, err := s.seed(id)
	if err != nil {
		return nil, err
	}
	switch info.Kind {
	case multikey.Ed25519:
		return dataintegrity.NewEd25519Signer(info.VerificationMethod(), ed25519.NewKeyFromSeed(seed))
	case multikey.MLDSA44:
		_, sk := mldsa44.NewKeyFromSeed((*[mldsa44.SeedSize]byte)(seed))
		return dataintegrity.NewMLDSA44Signer(info.VerificationMethod(), sk)
	}
	return nil, eduledger.Errorf(eduledger.EINVALID, "key %s is an %s key, which cannot sign", id, info.Kind)
}

// X25519 returns the private key of an X25519 key, for decrypting what was encrypted to the
// holder. Errors: as seed, and INVALID for a key of another kind.
func (s *Store) X25519(id string) (*ecdh.PrivateKey, error) {
	seed, info, err := s.seed(id)
	if err != nil {
		return nil, err
	}
	if info.Kind != multikey.X25519 {
		return nil, eduledger.Errorf(eduledger.EINVALID, "key %s is an %s key, not X25519", id, info.Kind)
	}
	return ecdh.X25519().NewPrivateKey(seed)
}

// Rotate replaces key id by a new key newID of the same kind and controller, and marks id retired
// (superseded by newID). The new key must then be registered on the ledger and the old one revoked
// there as superseded, which keeps what it signed valid. Errors: NOT_FOUND, CONFLICT when id is
// already retired or newID exists, UNAUTHORIZED for a wrong passphrase (rotation proves
// possession of the old key).
func (s *Store) Rotate(id, newID string) (*Info, error) {
	s.rotating.Lock()
	defer s.rotating.Unlock()
	_, old, err := s.seed(id)
	if err != nil {
		return nil, err
	}
	if old.Status == Retired {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "key %s is already retired (superseded by %s)", id, old.SupersededBy)
	}
	next, err := s.Generate(old.Controller, old.Kind, newID)
	if err != nil {
		return nil, err
	}
	f, err := s.read(id)
	if err != nil {
		return nil, err
	}
	f.Status, f.RetiredAt, f.SupersededBy = Retired, next.Created, newID
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.write(f, true); err != nil {
		return nil, err
	}
	return next, nil
}

// Keys returns a resolver of the store's Ed25519 and ML-DSA-44 public keys, each valid from its
// creation and, once retired, until its retirement — enough to verify offline what the store's
// keys signed.
func (s *Store) Keys() (dataintegrity.StaticKeys, error) {
	infos, err := s.List()
	if err != nil {
		return nil, err
	}
	keys := dataintegrity.StaticKeys{}
	for _, i := range infos {
		if i.Kind == multikey.X25519 {
			continue
		}
		k := &dataintegrity.Key{ID: i.VerificationMethod(), Controller: i.Controller,
			PublicKeyMultibase: i.PublicKeyMultibase, ValidFrom: i.Created}
		if i.Status == Retired {
			k.ValidUntil = i.RetiredAt
		}
		keys.Add(k)
	}
	return keys, nil
}
