package issuance

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/eduledger/eduledger"
)

// Token is an API token's public description. Its secret is shown once, when it is created; the
// store keeps only its SHA-256.
type Token struct {
	ID        string              `json:"id"`
	Name      string              `json:"name"`
	OrgID     string              `json:"orgId"`
	Role      eduledger.StaffRole `json:"role"`
	CreatedAt time.Time           `json:"createdAt"`
	CreatedBy string              `json:"createdBy,omitempty"`
	ExpiresAt time.Time           `json:"expiresAt,omitzero"`
	RevokedAt time.Time           `json:"revokedAt,omitzero"`
	RevokedBy string              `json:"revokedBy,omitempty"`
}

// Active reports whether the token authenticates at t.
func (t *Token) Active(at time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || at.Before(t.ExpiresAt))
}

// TokenSpec asks for a new token.
type TokenSpec struct {
	// Name says whose token it is or what it is for ("registrar-wang", "sis-nightly-export").
	Name  string              `json:"name"`
	OrgID string              `json:"orgId"`
	Role  eduledger.StaffRole `json:"role"`
	// ExpiresAt optionally ends the token's validity.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

// NewToken is a freshly created token with its secret, which is never shown again.
type NewToken struct {
	Token
	Secret string `json:"secret"`
}

type tokenRecord struct {
	Token
	Hash string `json:"hash"`
}

// TokenPrefix starts every token secret, so that scanners can recognise leaked ones.
const TokenPrefix = "edl_"

// Tokens manages the service's API tokens: each bound to one organisation and one staff role,
// stored as the SHA-256 of a 256-bit random secret. It is safe for concurrent use.
type Tokens struct {
	s     *store
	now   func() time.Time
	audit *auditLog
	own   bool

	mu    sync.Mutex
	cache map[string]*tokenRecord
}

// OpenTokens opens the token store of a stopped issuer service whose data directory is dataDir,
// for managing tokens from the command line. It fails with CONFLICT while the service runs (the
// store is locked); use the service's admin API then.
func OpenTokens(dataDir string) (*Tokens, error) {
	st, err := openStore(filepath.Join(dataDir, "store"))
	if err != nil {
		return nil, err
	}
	return &Tokens{s: st, now: time.Now, audit: &auditLog{s: st}, own: true}, nil
}

// Close closes a store opened by OpenTokens.
func (t *Tokens) Close() error {
	if t.own {
		return t.s.close()
	}
	return nil
}

func validateSpec(spec *TokenSpec, now time.Time) error {
	name := strings.TrimSpace(spec.Name)
	switch {
	case name == "" || len(name) > 100:
		return eduledger.Errorf(eduledger.EINVALID, "name is required (at most 100 characters)")
	case !eduledger.ValidOrgID(spec.OrgID):
		return eduledger.Errorf(eduledger.EINVALID, "orgId %q is not an organisation ID", spec.OrgID)
	case !spec.Role.Valid():
		return eduledger.Errorf(eduledger.EINVALID, "role %q must be admin, registrar or issuer", spec.Role)
	case !spec.ExpiresAt.IsZero() && !spec.ExpiresAt.After(now):
		return eduledger.Errorf(eduledger.EINVALID, "expiresAt must be in the future")
	}
	spec.Name = name
	return nil
}

// Create makes a token; by names who asked (a token ID, or a note such as "cli:offline"). Errors:
// INVALID.
func (t *Tokens) Create(spec TokenSpec, by string) (*NewToken, error) {
	now := t.now().UTC().Truncate(time.Second)
	if err := validateSpec(&spec, now); err != nil {
		return nil, err
	}
	var id [8]byte
	var secret [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("issuance: token: %w", err)
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, fmt.Errorf("issuance: token: %w", err)
	}
	rec := &tokenRecord{Token: Token{ID: hex.EncodeToString(id[:]), Name: spec.Name, OrgID: spec.OrgID, Role: spec.Role,
		CreatedAt: now, CreatedBy: by, ExpiresAt: spec.ExpiresAt.UTC()}}
	s := base64.RawURLEncoding.EncodeToString(secret[:])
	rec.Hash = hashSecret(s)
	if err := t.s.put(keyToken(rec.ID), rec, true); err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.cache = nil
	t.mu.Unlock()
	return &NewToken{Token: rec.Token, Secret: TokenPrefix + rec.ID + "_" + s}, nil
}

func hashSecret(s string) string {
	h := sha256.Sum256([]byte("eduledger/api-token/v1\x00" + s))
	return hex.EncodeToString(h[:])
}

// List returns the tokens of an organisation ("" for every organisation), newest first, revoked
// ones included.
func (t *Tokens) List(orgID string) ([]Token, error) {
	var out []Token
	_, err := t.s.scan("t/", "", 0, func(_ string, v []byte) (bool, error) {
		var rec tokenRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return false, fmt.Errorf("issuance: decode token: %w", err)
		}
		if orgID == "" || rec.OrgID == orgID {
			out = append(out, rec.Token)
		}
		return true, nil
	})
	slices.SortFunc(out, func(a, b Token) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// Get returns one token. Errors: NOT_FOUND.
func (t *Tokens) Get(id string) (*Token, error) {
	var rec tokenRecord
	ok, err := t.s.get(keyToken(id), &rec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "no token %s", id)
	}
	return &rec.Token, nil
}

// Revoke ends a token now; by names who asked. Errors: NOT_FOUND, CONFLICT when already revoked.
func (t *Tokens) Revoke(id, by string) (*Token, error) {
	var rec tokenRecord
	ok, err := t.s.get(keyToken(id), &rec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "no token %s", id)
	}
	if !rec.RevokedAt.IsZero() {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "token %s was already revoked at %s", id, rec.RevokedAt.Format(time.RFC3339))
	}
	rec.RevokedAt, rec.RevokedBy = t.now().UTC().Truncate(time.Second), by
	if err := t.s.put(keyToken(id), &rec, true); err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.cache = nil
	t.mu.Unlock()
	return &rec.Token, nil
}

// Replace revokes every active token of the organisation with the given name and creates a new
// one: how a development service hands out a fresh demo token at every start, since secrets are
// stored hashed and cannot be shown again.
func (t *Tokens) Replace(spec TokenSpec, by string) (*NewToken, error) {
	list, err := t.List(spec.OrgID)
	if err != nil {
		return nil, err
	}
	now := t.now()
	for _, old := range list {
		if old.Name == strings.TrimSpace(spec.Name) && old.Active(now) {
			if _, err := t.Revoke(old.ID, by); err != nil {
				return nil, err
			}
		}
	}
	return t.Create(spec, by)
}

// Authenticate returns the principal a token secret stands for. Errors: UNAUTHORIZED for a
// malformed, unknown, revoked or expired token (without saying which, to a guesser).
func (t *Tokens) Authenticate(secret string) (*Principal, error) {
	deny := eduledger.Errorf(eduledger.EUNAUTHORIZED, "the API token is not valid (unknown, revoked or expired)")
	rest, ok := strings.CutPrefix(secret, TokenPrefix)
	if !ok {
		return nil, deny
	}
	id, s, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 16 || len(s) != 43 {
		return nil, deny
	}
	rec, err := t.lookup(id)
	if err != nil {
		return nil, err
	}
	if rec == nil || subtle.ConstantTimeCompare([]byte(rec.Hash), []byte(hashSecret(s))) != 1 || !rec.Active(t.now()) {
		return nil, deny
	}
	return &Principal{TokenID: rec.ID, TokenName: rec.Name, OrgID: rec.OrgID, Role: rec.Role}, nil
}

// lookup reads a token through an in-memory cache that every change clears.
func (t *Tokens) lookup(id string) (*tokenRecord, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cache == nil {
		t.cache = map[string]*tokenRecord{}
	}
	if rec, ok := t.cache[id]; ok {
		return rec, nil
	}
	var rec tokenRecord
	ok, err := t.s.get(keyToken(id), &rec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, nil
	}
	t.cache[id] = &rec
	return &rec, nil
}

// Record appends an entry to the audit log of the token store's service (for command-line token
// management, which has no engine).
func (t *Tokens) Record(e AuditEntry) error { return t.audit.record(e, t.now()) }
