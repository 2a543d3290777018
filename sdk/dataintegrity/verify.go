package dataintegrity

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
	"github.com/eduledger/eduledger/sdk/merkle"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// Secured is a secured document split for verification: the document without its proofs, and the
// proofs. It computes the canonical document hash and the anchor digest at most once. It is not
// safe for concurrent use.
type Secured struct {
	unsecured jsoncanon.Value
	proofs    []*jsoncanon.Value

	canonical []byte // JCS of the unsecured document
	slot      int    // where "proof" goes in canonical
	docHash   [sha256.Size]byte
	hasHash   bool
	digest    merkle.Hash
	hasDigest bool
}

// NewSecured splits a document given as plain Go values (see jsoncanon.Parse). Its "proof" member,
// when present, must be an object or an array of objects (INVALID otherwise); a document without
// proofs has none to verify.
func NewSecured(doc map[string]any) (*Secured, error) {
	v, err := jsoncanon.FromAny(doc)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "document: %w", err)
	}
	return NewSecuredValue(v)
}

// NewSecuredValue splits a parsed document (see jsoncanon.ParseValue); see NewSecured.
func NewSecuredValue(doc *jsoncanon.Value) (*Secured, error) {
	if doc.Kind() != jsoncanon.Object {
		return nil, eduledger.Errorf(eduledger.EINVALID, "document must be a JSON object")
	}
	s := &Secured{unsecured: doc.Without("proof")}
	p, ok := doc.Get("proof")
	if !ok {
		return s, nil
	}
	switch p.Kind() {
	case jsoncanon.Object:
		s.proofs = []*jsoncanon.Value{p}
	case jsoncanon.Array:
		elems := p.Elems()
		if len(elems) == 0 {
			return nil, eduledger.Errorf(eduledger.EINVALID, "proof must not be an empty array")
		}
		for i := range elems {
			if elems[i].Kind() != jsoncanon.Object {
				return nil, eduledger.Errorf(eduledger.EINVALID, "%s must be an object", jsoncanon.FieldPath("proof", i))
			}
			s.proofs = append(s.proofs, &elems[i])
		}
	default:
		return nil, eduledger.Errorf(eduledger.EINVALID, "proof must be an object or an array of objects")
	}
	return s, nil
}

// Unsecured returns the document without its proofs, as plain Go values.
func (s *Secured) Unsecured() map[string]any { return s.unsecured.Any().(map[string]any) }

// UnsecuredValue returns the document without its proofs. Callers must not modify it.
func (s *Secured) UnsecuredValue() *jsoncanon.Value { return &s.unsecured }

// Len returns the number of proofs.
func (s *Secured) Len() int { return len(s.proofs) }

// Proof returns proof i as plain Go values.
func (s *Secured) Proof(i int) map[string]any { return s.proofs[i].Any().(map[string]any) }

// ProofValue returns proof i. Callers must not modify it.
func (s *Secured) ProofValue(i int) *jsoncanon.Value { return s.proofs[i] }

// Cryptosuite returns the cryptosuite named by proof i, or "".
func (s *Secured) Cryptosuite(i int) string { return s.proofs[i].GetStr("cryptosuite") }

// documentHash returns SHA-256 of the canonical unsecured document.
func (s *Secured) documentHash() ([sha256.Size]byte, error) {
	if !s.hasHash {
		var err error
		s.canonical, s.slot, err = jsoncanon.AppendValueSlot(make([]byte, 0, 2048), &s.unsecured, "proof")
		if err != nil {
			return s.docHash, eduledger.Errorf(eduledger.EINVALID, "canonicalise document: %w", err)
		}
		s.docHash = sha256.Sum256(s.canonical)
		s.hasHash = true
	}
	return s.docHash, nil
}

// Digest returns the anchor digest of the document (see the package function Digest).
func (s *Secured) Digest() (merkle.Hash, error) {
	if s.hasDigest {
		return s.digest, nil
	}
	kept := make([]jsoncanon.Value, 0, len(s.proofs))
	for i, p := range s.proofs {
		if s.Cryptosuite(i) != MLDSA44Merkle2026 {
			kept = append(kept, *p)
		}
	}
	docHash, err := s.documentHash()
	if err != nil {
		return merkle.Hash{}, err
	}
	if len(kept) == 0 {
		s.digest = docHash
	} else if s.digest, err = digestWith(s.canonical, s.slot, jsoncanon.NewArray(kept...)); err != nil {
		return merkle.Hash{}, err
	}
	s.hasDigest = true
	return s.digest, nil
}

// digestWith hashes the canonical document with "proof": proofs inserted at its slot, which is
// the canonical form of the document with that member, without canonicalising it again.
func digestWith(canonical []byte, slot int, proofs jsoncanon.Value) (merkle.Hash, error) {
	value, err := jsoncanon.AppendValue(make([]byte, 0, 512*len(proofs.Elems())), &proofs)
	if err != nil {
		return merkle.Hash{}, eduledger.Errorf(eduledger.EINVALID, "canonicalise proofs: %w", err)
	}
	h := sha256.New()
	jsoncanon.InsertMember(h, canonical, slot, "proof", value)
	var d merkle.Hash
	h.Sum(d[:0])
	return d, nil
}

// Expect states what a verifier requires of a proof beyond its signature.
type Expect struct {
	// Purpose is the required proofPurpose; empty means PurposeAssertion.
	Purpose string
	// Challenge and Domain, when set, must equal the proof's (a presentation's nonce and the
	// verifier's domain).
	Challenge string
	Domain    string
	// Now is the time against which "expires" is checked; zero means the current time.
	Now time.Time
}

// Verifier checks Data Integrity proofs. It caches decoded public keys and verified batch
// signatures (bounded), and is safe for concurrent use.
type Verifier struct {
	keys       KeyResolver
	maxKeys    int
	maxBatches int

	mu      sync.RWMutex
	decoded map[string]*publicKey
	batches map[batchKey]batchEntry
}

type publicKey struct {
	kind multikey.Kind
	ed   ed25519.PublicKey
	ml   *mldsa44.PublicKey
}

// A verified batch signature: the proof options hash and verification method identify the batch;
// the signature text and the key's Multikey must match exactly for a cache hit.
type batchKey struct {
	vm      string
	cfgHash [sha256.Size]byte
}

type batchEntry struct {
	proofValue string
	multibase  string
}

// VerifierOption configures a Verifier.
type VerifierOption func(*Verifier) error

// WithKeyCache bounds the number of decoded public keys kept (default 1024).
func WithKeyCache(n int) VerifierOption {
	return func(v *Verifier) error {
		if n < 1 {
			return eduledger.Errorf(eduledger.EINVALID, "key cache size must be positive")
		}
		v.maxKeys = n
		return nil
	}
}

// WithBatchCache bounds the number of verified batch signatures kept (default 4096); 0 disables
// the cache, so that every batch proof's ML-DSA signature is verified.
func WithBatchCache(n int) VerifierOption {
	return func(v *Verifier) error {
		if n < 0 {
			return eduledger.Errorf(eduledger.EINVALID, "batch cache size must not be negative")
		}
		v.maxBatches = n
		return nil
	}
}

// NewVerifier returns a Verifier that finds keys through keys.
func NewVerifier(keys KeyResolver, opts ...VerifierOption) (*Verifier, error) {
	if keys == nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "a key resolver is required")
	}
	v := &Verifier{keys: keys, maxKeys: 1024, maxBatches: 4096,
		decoded: map[string]*publicKey{}, batches: map[batchKey]batchEntry{}}
	for _, o := range opts {
		if err := o(v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// VerifyProof checks proof i of s: its form, its purpose and the expectations, that its
// verification method resolves to a key of the right algorithm valid when the proof was created,
// and its signature — for a batch proof, also the credential's inclusion under the signed root.
// It returns the resolved key. A nil error means the proof is valid; an error for which
// Indeterminate is true means its outcome is unknown; any other error says why it is invalid.
func (v *Verifier) VerifyProof(ctx context.Context, s *Secured, i int, exp Expect) (*Key, error) {
	if i < 0 || i >= len(s.proofs) {
		return nil, fmt.Errorf("no proof %d", i)
	}
	proof := s.proofs[i]
	if proof.GetStr("type") != ProofType {
		return nil, fmt.Errorf("type must be %q", ProofType)
	}
	switch suite := proof.GetStr("cryptosuite"); suite {
	case EdDSAJCS2022, MLDSA44JCS2024:
		return v.verifyJCS(ctx, s, proof, suite, exp)
	case MLDSA44Merkle2026:
		key, inclusion, signature := v.verifyBatch(ctx, s, proof, exp)
		if inclusion != nil {
			return nil, inclusion
		}
		return key, signature
	case "":
		return nil, errors.New("cryptosuite is missing")
	default:
		return nil, fmt.Errorf("cryptosuite %q is not supported", suite)
	}
}

// checkOptions checks the members common to every suite and returns the verification method and
// the creation time (zero when absent).
func checkOptions(proof *jsoncanon.Value, exp Expect) (string, time.Time, error) {
	vm := proof.GetStr("verificationMethod")
	if vm == "" {
		return "", time.Time{}, errors.New("verificationMethod must be a non-empty string")
	}
	want := exp.Purpose
	if want == "" {
		want = PurposeAssertion
	}
	if got := proof.GetStr("proofPurpose"); got != want {
		return "", time.Time{}, fmt.Errorf("proofPurpose must be %q, got %q", want, got)
	}
	var created time.Time
	if raw, ok := proof.Get("created"); ok {
		str, _ := raw.Str()
		t, err := ParseTime(str)
		if err != nil {
			return "", time.Time{}, fmt.Errorf("created: %w", err)
		}
		created = t
	}
	now := exp.Now
	if now.IsZero() {
		now = time.Now()
	}
	if raw, ok := proof.Get("expires"); ok {
		str, _ := raw.Str()
		t, err := ParseTime(str)
		if err != nil {
			return "", time.Time{}, fmt.Errorf("expires: %w", err)
		}
		if !now.Before(t) {
			return "", time.Time{}, fmt.Errorf("proof expired at %s", str)
		}
	}
	if !created.IsZero() && created.After(now.Add(maxClockSkew)) {
		return "", time.Time{}, fmt.Errorf("created %s is in the future", FormatTime(created))
	}
	if exp.Challenge != "" && proof.GetStr("challenge") != exp.Challenge {
		return "", time.Time{}, errors.New("challenge does not match the verifier's")
	}
	if exp.Domain != "" {
		d, _ := proof.Get("domain")
		if !domainMatches(d, exp.Domain) {
			return "", time.Time{}, errors.New("domain does not match the verifier's")
		}
	}
	return vm, created, nil
}

// maxClockSkew tolerates signer clocks slightly ahead of the verifier's.
const maxClockSkew = 5 * time.Minute

func domainMatches(v *jsoncanon.Value, want string) bool {
	if d, ok := v.Str(); ok {
		return d == want
	}
	for _, e := range v.Elems() {
		if d, ok := e.Str(); ok && d == want {
			return true
		}
	}
	return false
}

func (v *Verifier) verifyJCS(ctx context.Context, s *Secured, proof *jsoncanon.Value, suite string, exp Expect) (*Key, error) {
	vm, created, err := checkOptions(proof, exp)
	if err != nil {
		return nil, err
	}
	sig, err := decodeProofValue(suite, proof.GetStr("proofValue"))
	if err != nil {
		return nil, err
	}
	docCtx, docHasCtx := s.unsecured.Get("@context")
	proofCtx, proofHasCtx := proof.Get("@context")
	var docHash [sha256.Size]byte
	cfg := make([]byte, 0, 512)
	switch {
	case suite == MLDSA44JCS2024:
		// The quantum-safe suites take the proof configuration's @context from the document. A
		// proof @context is therefore redundant; one that differs would be unsigned, so it is
		// refused.
		if proofHasCtx && (!docHasCtx || !valueEqual(proofCtx, docCtx)) {
			return nil, errors.New("proof @context differs from the document's")
		}
		opts := proof.Without("proofValue", "@context")
		if docHasCtx {
			opts = opts.With("@context", *docCtx)
		}
		if cfg, err = jsoncanon.AppendValue(cfg, &opts); err != nil {
			return nil, fmt.Errorf("canonicalise proof options: %w", err)
		}
		if docHash, err = s.documentHash(); err != nil {
			return nil, err
		}
	default:
		// eddsa-jcs-2022: a proof @context must be a prefix of the document's, and the document
		// is hashed with the proof's @context in place of its own.
		if !proofHasCtx || valueEqual(proofCtx, docCtx) {
			docHash, err = s.documentHash()
		} else {
			docHash, err = s.hashWithContext(proofCtx)
		}
		if err != nil {
			return nil, err
		}
		if cfg, err = jsoncanon.AppendValueExcept(cfg, proof, "proofValue"); err != nil {
			return nil, fmt.Errorf("canonicalise proof options: %w", err)
		}
	}
	cfgHash := sha256.Sum256(cfg)
	var hashData [2 * sha256.Size]byte
	copy(hashData[:], cfgHash[:])
	copy(hashData[sha256.Size:], docHash[:])

	key, pub, err := v.resolve(ctx, vm, created, suiteKind(suite))
	if err != nil {
		return nil, err
	}
	var ok bool
	if pub.kind == multikey.Ed25519 {
		ok = ed25519.Verify(pub.ed, hashData[:], sig)
	} else {
		ok = mldsa44.Verify(pub.ml, hashData[:], nil, sig)
	}
	if !ok {
		return nil, errors.New("signature does not verify")
	}
	return key, nil
}

func suiteKind(suite string) multikey.Kind {
	if suite == EdDSAJCS2022 {
		return multikey.Ed25519
	}
	return multikey.MLDSA44
}

// hashWithContext hashes the unsecured document with its @context replaced by proofCtx, after
// checking that proofCtx is a prefix of the document's @context.
func (s *Secured) hashWithContext(proofCtx *jsoncanon.Value) ([sha256.Size]byte, error) {
	docCtx, _ := s.unsecured.Get("@context")
	pc, dc := contextList(proofCtx), contextList(docCtx)
	if pc == nil || len(pc) > len(dc) {
		return [sha256.Size]byte{}, errors.New("proof @context is not a prefix of the document's @context")
	}
	for i := range pc {
		if !valueEqual(&pc[i], &dc[i]) {
			return [sha256.Size]byte{}, errors.New("proof @context is not a prefix of the document's @context")
		}
	}
	doc := s.unsecured.With("@context", *proofCtx)
	canon, err := jsoncanon.AppendValue(nil, &doc)
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("canonicalise document: %w", err)
	}
	return sha256.Sum256(canon), nil
}

func contextList(v *jsoncanon.Value) []jsoncanon.Value {
	switch v.Kind() {
	case jsoncanon.Array:
		return v.Elems()
	case jsoncanon.String, jsoncanon.Object:
		return []jsoncanon.Value{*v}
	}
	return nil
}

// valueEqual compares two JSON values by their canonical forms.
func valueEqual(a, b *jsoncanon.Value) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case jsoncanon.String:
		x, _ := a.Str()
		y, _ := b.Str()
		return x == y
	case jsoncanon.Array:
		x, y := a.Elems(), b.Elems()
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !valueEqual(&x[i], &y[i]) {
				return false
			}
		}
		return true
	}
	ca, err1 := jsoncanon.AppendValue(nil, a)
	cb, err2 := jsoncanon.AppendValue(nil, b)
	return err1 == nil && err2 == nil && string(ca) == string(cb)
}

func decodeProofValue(suite, pv string) ([]byte, error) {
	if suite == EdDSAJCS2022 {
		if len(pv) < 2 || pv[0] != 'z' {
			return nil, errors.New("proofValue must be a base58btc multibase value ('z')")
		}
		sig, err := decodeBase58(pv[1:])
		if err != nil || len(sig) != ed25519.SignatureSize {
			return nil, fmt.Errorf("proofValue must encode a %d-byte Ed25519 signature", ed25519.SignatureSize)
		}
		return sig, nil
	}
	if len(pv) < 2 || pv[0] != 'u' {
		return nil, errors.New("proofValue must be a base64url multibase value ('u')")
	}
	// Strict: padding bits must be zero, so that each signature has exactly one spelling.
	sig, err := base64.RawURLEncoding.Strict().DecodeString(pv[1:])
	if err != nil || len(sig) != mldsa44.SignatureSize {
		return nil, fmt.Errorf("proofValue must encode a %d-byte ML-DSA-44 signature", mldsa44.SignatureSize)
	}
	return sig, nil
}

// resolve finds and decodes the key of a verification method and checks its algorithm and that it
// was valid at created (or now, for a proof without a creation time).
func (v *Verifier) resolve(ctx context.Context, vm string, created time.Time, want multikey.Kind) (*Key, *publicKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, &indeterminate{err}
	}
	key, err := v.keys.ResolveKey(ctx, vm)
	if err != nil {
		if eduledger.ErrorCode(err) == eduledger.ENOTFOUND {
			return nil, nil, fmt.Errorf("verification method %s: %w", vm, err)
		}
		return nil, nil, &indeterminate{fmt.Errorf("resolve verification method %s: %w", vm, err)}
	}
	if key == nil {
		return nil, nil, fmt.Errorf("verification method %s is not known", vm)
	}
	pub, err := v.decode(key.PublicKeyMultibase)
	if err != nil {
		return nil, nil, fmt.Errorf("verification method %s: %w", vm, err)
	}
	if pub.kind != want {
		return nil, nil, fmt.Errorf("verification method %s is an %s key, the cryptosuite needs %s", vm, pub.kind, want)
	}
	at := created
	if at.IsZero() {
		at = time.Now()
	}
	if !key.ValidAt(at) {
		return nil, nil, fmt.Errorf("key %s was not valid at %s", vm, FormatTime(at))
	}
	return key, pub, nil
}

func (v *Verifier) decode(mb string) (*publicKey, error) {
	v.mu.RLock()
	pub, ok := v.decoded[mb]
	v.mu.RUnlock()
	if ok {
		return pub, nil
	}
	pub, err := decodePublicKey(mb)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if len(v.decoded) >= v.maxKeys {
		clear(v.decoded)
	}
	v.decoded[mb] = pub
	v.mu.Unlock()
	return pub, nil
}

// decodePublicKey decodes an Ed25519 or ML-DSA-44 Multikey, base58btc ("z") or base64url ("u").
func decodePublicKey(mb string) (*publicKey, error) {
	if len(mb) > 0 && mb[0] == 'u' {
		raw, err := base64.RawURLEncoding.Strict().DecodeString(mb[1:])
		if err != nil {
			return nil, fmt.Errorf("%w: invalid base64url", multikey.ErrMalformed)
		}
		mb = string(appendBase58([]byte{'z'}, raw))
	}
	kind, raw, err := multikey.Decode(mb)
	if err != nil {
		return nil, err
	}
	switch kind {
	case multikey.Ed25519:
		return &publicKey{kind: kind, ed: ed25519.PublicKey(raw)}, nil
	case multikey.MLDSA44:
		pk := new(mldsa44.PublicKey)
		if err := pk.UnmarshalBinary(raw); err != nil {
			return nil, fmt.Errorf("%w: %v", multikey.ErrMalformed, err)
		}
		return &publicKey{kind: kind, ml: pk}, nil
	}
	return nil, fmt.Errorf("a %s key cannot verify signatures", kind)
}

// batchMembers are the only members a batch proof may have: every one is either signed or checked
// against the signed root, so nothing in the proof can change unnoticed.
var batchMembers = map[string]bool{
	"type": true, "cryptosuite": true, "created": true, "verificationMethod": true,
	"proofPurpose": true, "merkleRoot": true, "batchSize": true, "merkleIndex": true,
	"merklePath": true, "proofValue": true,
}

// VerifyBatchProof checks a batch proof (cryptosuite MLDSA44Merkle2026) in its two parts and
// reports each: inclusion, that the document's digest leads through the proof's Merkle path to its
// root; and signature, that the batch configuration (root and size among it) carries a valid
// ML-DSA-44 signature by a key valid when the batch was created. A malformed proof fails both.
// VerifyProof reports the first failure of the two.
func (v *Verifier) VerifyBatchProof(ctx context.Context, s *Secured, i int, exp Expect) (key *Key, inclusion, signature error) {
	if i < 0 || i >= len(s.proofs) || s.Cryptosuite(i) != MLDSA44Merkle2026 {
		err := fmt.Errorf("proof %d is not a %s proof", i, MLDSA44Merkle2026)
		return nil, err, err
	}
	if s.proofs[i].GetStr("type") != ProofType {
		err := fmt.Errorf("type must be %q", ProofType)
		return nil, err, err
	}
	return v.verifyBatch(ctx, s, s.proofs[i], exp)
}

func (v *Verifier) verifyBatch(ctx context.Context, s *Secured, proof *jsoncanon.Value, exp Expect) (*Key, error, error) {
	fail := func(err error) (*Key, error, error) { return nil, err, err }
	for _, m := range proof.Members() {
		if !batchMembers[m.Key] {
			return fail(fmt.Errorf("a batch proof must not have member %q", m.Key))
		}
	}
	vm, created, err := checkOptions(proof, exp)
	if err != nil {
		return fail(err)
	}
	root, err := merkle.ParseHash(proof.GetStr("merkleRoot"))
	if err != nil {
		return fail(fmt.Errorf("merkleRoot: %w", err))
	}
	sizeV, _ := proof.Get("batchSize")
	size, ok := sizeV.Int()
	if !ok || size < 1 || size > eduledger.MaxBatchSize {
		return fail(fmt.Errorf("batchSize must be an integer from 1 to %d", eduledger.MaxBatchSize))
	}
	indexV, _ := proof.Get("merkleIndex")
	index, ok := indexV.Int()
	if !ok {
		return fail(errors.New("merkleIndex must be a non-negative integer"))
	}
	pathV, _ := proof.Get("merklePath")
	rawPath := pathV.Elems()
	if pathV.Kind() != jsoncanon.Array || len(rawPath) > merkle.MaxPathLength {
		return fail(errors.New("merklePath must be an array of hashes"))
	}
	mp := merkle.Proof{Index: index, Size: size, Path: make([]merkle.Hash, len(rawPath))}
	for j := range rawPath {
		str, _ := rawPath[j].Str()
		if mp.Path[j], err = merkle.ParseHash(str); err != nil {
			return fail(fmt.Errorf("merklePath[%d]: %w", j, err))
		}
	}
	pv := proof.GetStr("proofValue")
	if len(pv) < 2 || pv[0] != 'u' {
		return fail(errors.New("proofValue must be a base64url multibase value ('u')"))
	}

	// Inclusion: the credential's digest must lead to the signed root.
	var inclusion error
	digest, err := s.Digest()
	if err != nil {
		return fail(err)
	}
	if err := mp.Verify(digest[:], root); err != nil {
		inclusion = fmt.Errorf("credential is not in the batch: %w", err)
	}
	key, err := v.verifyBatchSignature(ctx, proof, vm, created, pv)
	return key, inclusion, err
}

func (v *Verifier) verifyBatchSignature(ctx context.Context, proof *jsoncanon.Value, vm string, created time.Time, pv string) (*Key, error) {
	canon, err := jsoncanon.AppendValueExcept(make([]byte, 0, 512), proof, "merkleIndex", "merklePath", "proofValue")
	if err != nil {
		return nil, fmt.Errorf("canonicalise batch options: %w", err)
	}
	bk := batchKey{vm: vm, cfgHash: sha256.Sum256(canon)}

	key, pub, err := v.resolve(ctx, vm, created, multikey.MLDSA44)
	if err != nil {
		return nil, err
	}
	v.mu.RLock()
	hit, cached := v.batches[bk]
	v.mu.RUnlock()
	if cached && hit.proofValue == pv && hit.multibase == key.PublicKeyMultibase {
		return key, nil
	}
	sig, err := decodeProofValue(MLDSA44Merkle2026, pv)
	if err != nil {
		return nil, err
	}
	if !mldsa44.Verify(pub.ml, bk.cfgHash[:], nil, sig) {
		return nil, errors.New("batch signature does not verify")
	}
	if v.maxBatches > 0 {
		v.mu.Lock()
		if len(v.batches) >= v.maxBatches {
			clear(v.batches)
		}
		v.batches[bk] = batchEntry{proofValue: pv, multibase: key.PublicKeyMultibase}
		v.mu.Unlock()
	}
	return key, nil
}
