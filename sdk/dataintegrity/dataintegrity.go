// Package dataintegrity creates and verifies W3C Data Integrity proofs over JSON documents, the
// proofs that secure EduLedger credentials and presentations.
//
// Three cryptosuites are implemented, all over the JCS (RFC 8785) canonical form:
//
//   - eddsa-jcs-2022, exactly as the W3C Recommendation "Data Integrity EdDSA Cryptosuites v1.0"
//     specifies (checked against the specification's test vectors in testdata/);
//   - mldsa44-jcs-2024, the ML-DSA-44 (FIPS 204) suite of the W3C CCG "Quantum-Safe Cryptosuites"
//     report (checked against its test vectors), used for credentials issued one at a time;
//   - eduledger-mldsa44-merkle-2026, EduLedger's batch suite: one ML-DSA-44 signature over the root
//     of a Merkle tree of credential digests, each credential carrying its inclusion proof. See
//     docs/credentials.md for the construction and its security argument.
//
// A document carries its proofs as a proof set (member "proof"): each proof signs the document
// without any proof, so proofs can be checked independently and in any order.
//
// Keys are found through KeyResolver, which maps a verification method (a DID URL such as
// did:eduledger:org:riverside-university#ed-2026) to its Multikey and validity; the package knows
// nothing of the ledger. Verifier caches decoded keys and verified batch signatures, so that a
// batch's ML-DSA signature is checked once, not once per credential.
package dataintegrity

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// Proof type and cryptosuite names.
const (
	// ProofType is the type of every proof this package makes or accepts.
	ProofType = "DataIntegrityProof"
	// EdDSAJCS2022 is the W3C eddsa-jcs-2022 cryptosuite (Ed25519 over JCS).
	EdDSAJCS2022 = "eddsa-jcs-2022"
	// MLDSA44JCS2024 is the W3C CCG mldsa44-jcs-2024 cryptosuite (ML-DSA-44 over JCS).
	MLDSA44JCS2024 = "mldsa44-jcs-2024"
	// MLDSA44Merkle2026 is EduLedger's batch cryptosuite: an ML-DSA-44 signature over a Merkle root
	// of credential digests plus the credential's inclusion proof.
	MLDSA44Merkle2026 = "eduledger-mldsa44-merkle-2026"
)

// Proof purposes.
const (
	// PurposeAssertion is the purpose of an issuer's proof on a credential.
	PurposeAssertion = "assertionMethod"
	// PurposeAuthentication is the purpose of a holder's proof on a presentation.
	PurposeAuthentication = "authentication"
)

// Options are the proof options a signer chooses.
type Options struct {
	// Created is when the proof was made; written in UTC to the second. Zero leaves it out.
	Created time.Time
	// Expires, when set, ends the proof's validity.
	Expires time.Time
	// Purpose is the proof purpose; empty means PurposeAssertion.
	Purpose string
	// Challenge and Domain bind a proof to one verifier's request (presentations).
	Challenge string
	Domain    string
	// ID optionally names the proof.
	ID string
}

// Signer signs with one private key. Implementations must be safe for concurrent use.
type Signer interface {
	// VerificationMethod is the DID URL verifiers resolve to the public key.
	VerificationMethod() string
	// Kind is the key's algorithm: multikey.Ed25519 or multikey.MLDSA44.
	Kind() multikey.Kind
	// PublicKeyMultibase is the public key as a Multikey.
	PublicKeyMultibase() string
	// Sign signs message as it is (pure Ed25519, ML-DSA-44 with an empty context string).
	Sign(message []byte) ([]byte, error)
}

// KeysOf returns a resolver that knows the public keys of the given signers, each controlled by
// the DID before the '#' of its verification method. It is how a party verifies what it signed
// itself, and a convenience for tests and examples.
func KeysOf(signers ...Signer) StaticKeys {
	keys := StaticKeys{}
	for _, s := range signers {
		vm := s.VerificationMethod()
		controller, _, _ := strings.Cut(vm, "#")
		keys.Add(&Key{ID: vm, Controller: controller, PublicKeyMultibase: s.PublicKeyMultibase()})
	}
	return keys
}

type ed25519Signer struct {
	vm  string
	key ed25519.PrivateKey
	pub string
}

func (s *ed25519Signer) VerificationMethod() string { return s.vm }
func (s *ed25519Signer) Kind() multikey.Kind        { return multikey.Ed25519 }
func (s *ed25519Signer) PublicKeyMultibase() string { return s.pub }
func (s *ed25519Signer) Sign(msg []byte) ([]byte, error) {
	return ed25519.Sign(s.key, msg), nil
}

// NewEd25519Signer returns a Signer for an Ed25519 private key named by the verification method vm.
func NewEd25519Signer(vm string, key ed25519.PrivateKey) (Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, eduledger.Errorf(eduledger.EINVALID, "ed25519 private key must be %d bytes", ed25519.PrivateKeySize)
	}
	if vm == "" {
		return nil, eduledger.Errorf(eduledger.EINVALID, "verification method is required")
	}
	pub, err := multikey.Encode(multikey.Ed25519, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	return &ed25519Signer{vm: vm, key: key, pub: pub}, nil
}

type mldsa44Signer struct {
	vm  string
	key *mldsa44.PrivateKey
	pub string
}

func (s *mldsa44Signer) VerificationMethod() string { return s.vm }
func (s *mldsa44Signer) Kind() multikey.Kind        { return multikey.MLDSA44 }
func (s *mldsa44Signer) PublicKeyMultibase() string { return s.pub }
func (s *mldsa44Signer) Sign(msg []byte) ([]byte, error) {
	sig := make([]byte, mldsa44.SignatureSize)
	// Hedged (randomised) signing, as FIPS 204 recommends.
	if err := mldsa44.SignTo(s.key, msg, nil, true, sig); err != nil {
		return nil, fmt.Errorf("ml-dsa-44 sign: %w", err)
	}
	return sig, nil
}

// NewMLDSA44Signer returns a Signer for an ML-DSA-44 private key named by the verification method vm.
func NewMLDSA44Signer(vm string, key *mldsa44.PrivateKey) (Signer, error) {
	if key == nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "ml-dsa-44 private key is required")
	}
	if vm == "" {
		return nil, eduledger.Errorf(eduledger.EINVALID, "verification method is required")
	}
	pub, err := multikey.Encode(multikey.MLDSA44, key.Public().(*mldsa44.PublicKey).Bytes())
	if err != nil {
		return nil, err
	}
	return &mldsa44Signer{vm: vm, key: key, pub: pub}, nil
}

// Key is a public key a KeyResolver found for a verification method.
type Key struct {
	// ID is the verification method (DID URL) the key was resolved for.
	ID string
	// Controller is the DID that controls the key (for issuer keys, the organisation's DID).
	Controller string
	// PublicKeyMultibase is the key as a Multikey ("z…" base58btc, or "u…" base64url as the
	// quantum-safe cryptosuites report writes ML-DSA keys).
	PublicKeyMultibase string
	// ValidFrom, ValidUntil and RevokedAt bound when signatures by the key count; zero values do
	// not bound.
	ValidFrom  time.Time
	ValidUntil time.Time
	RevokedAt  time.Time
}

// ValidAt reports whether a signature made at t counts: t within [ValidFrom, ValidUntil) and
// before RevokedAt.
func (k *Key) ValidAt(t time.Time) bool {
	ik := eduledger.IssuerKey{ValidFrom: k.ValidFrom, ValidUntil: k.ValidUntil, RevokedAt: k.RevokedAt}
	return ik.ValidAt(t)
}

// KeyFromIssuerKey returns the Key of an issuer key registered on the ledger.
func KeyFromIssuerKey(k *eduledger.IssuerKey) *Key {
	return &Key{
		ID:                 eduledger.KeyDID(k.OrgID, k.ID),
		Controller:         eduledger.OrgDID(k.OrgID),
		PublicKeyMultibase: k.PublicKeyMultibase,
		ValidFrom:          k.ValidFrom,
		ValidUntil:         k.ValidUntil,
		RevokedAt:          k.RevokedAt,
	}
}

// KeyResolver finds the public key of a verification method.
//
// ResolveKey returns an error with code NOT_FOUND when no such key exists (the proof is then
// invalid); any other error (UNAVAILABLE when the registry cannot be reached) makes the proof's
// outcome unknown rather than invalid.
type KeyResolver interface {
	ResolveKey(ctx context.Context, verificationMethod string) (*Key, error)
}

// StaticKeys is an in-memory KeyResolver keyed by verification method, for offline verification
// and tests.
type StaticKeys map[string]*Key

// ResolveKey returns the key registered under verificationMethod, or a NOT_FOUND error.
func (s StaticKeys) ResolveKey(_ context.Context, verificationMethod string) (*Key, error) {
	k, ok := s[verificationMethod]
	if !ok {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "verification method %q is not known", verificationMethod)
	}
	return k, nil
}

// Add registers k under k.ID.
func (s StaticKeys) Add(k *Key) { s[k.ID] = k }

// ResolverFunc adapts a function to KeyResolver.
type ResolverFunc func(ctx context.Context, verificationMethod string) (*Key, error)

// ResolveKey calls f.
func (f ResolverFunc) ResolveKey(ctx context.Context, vm string) (*Key, error) { return f(ctx, vm) }

// indeterminate marks an error that leaves a proof's outcome unknown.
type indeterminate struct{ err error }

func (e *indeterminate) Error() string { return e.err.Error() }
func (e *indeterminate) Unwrap() error { return e.err }

// Indeterminate reports whether err means that a proof could not be checked — its key could not be
// resolved for a reason other than not existing, or the context ended — rather than that it is
// invalid. A verifier reports such a proof as unknown, never as valid.
func Indeterminate(err error) bool {
	var e *indeterminate
	return errors.As(err, &e)
}

// timeFormat is how proofs write times: XML Schema dateTime in UTC, to the second.
const timeFormat = "2006-01-02T15:04:05Z"

// FormatTime writes t as proofs and credentials do: UTC, to the second ("2026-06-30T08:00:00Z").
func FormatTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(timeFormat) }

// ParseTime reads an XML Schema dateTime with a time zone (RFC 3339), as "created" and "expires"
// must be.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an XML Schema dateTime with a time zone", s)
	}
	return t, nil
}
