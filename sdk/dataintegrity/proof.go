package dataintegrity

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
	"github.com/eduledger/eduledger/sdk/merkle"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// Document is an unsecured document prepared for signing: canonicalised and hashed once, however
// many proofs are then made over it. It is immutable and safe for concurrent use.
type Document struct {
	doc       *jsoncanon.Value
	canonical []byte
	slot      int // where "proof" goes in canonical
	hash      [sha256.Size]byte
}

// Prepare canonicalises an unsecured document given as plain Go values. It fails with INVALID when
// the document already carries a proof (proofs in a set each sign the document without proofs)
// or cannot be canonicalised.
func Prepare(doc map[string]any) (*Document, error) {
	v, err := jsoncanon.FromAny(doc)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "canonicalise document: %w", err)
	}
	return PrepareValue(v)
}

// PrepareValue is Prepare for a parsed document; v must not change afterwards.
func PrepareValue(v *jsoncanon.Value) (*Document, error) {
	if v.Kind() != jsoncanon.Object {
		return nil, eduledger.Errorf(eduledger.EINVALID, "document must be a JSON object")
	}
	if _, ok := v.Get("proof"); ok {
		return nil, eduledger.Errorf(eduledger.EINVALID, "document already has a proof; prepare the unsecured document")
	}
	canon, slot, err := jsoncanon.AppendValueSlot(make([]byte, 0, 2048), v, "proof")
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "canonicalise document: %w", err)
	}
	return &Document{doc: v, canonical: canon, slot: slot, hash: sha256.Sum256(canon)}, nil
}

// Digest returns the anchor digest (see the package function Digest) of the document secured with
// the given proofs, without building and canonicalising the secured document.
func (d *Document) Digest(proofs ...map[string]any) (merkle.Hash, error) {
	kept := make([]jsoncanon.Value, 0, len(proofs))
	for _, p := range proofs {
		if cs, _ := p["cryptosuite"].(string); cs != MLDSA44Merkle2026 {
			v, err := jsoncanon.FromAny(p)
			if err != nil {
				return merkle.Hash{}, eduledger.Errorf(eduledger.EINVALID, "proof: %w", err)
			}
			kept = append(kept, *v)
		}
	}
	if len(kept) == 0 {
		return d.hash, nil
	}
	return digestWith(d.canonical, d.slot, jsoncanon.NewArray(kept...))
}

// Canonical returns the document's JCS form (the transformed data of the JCS cryptosuites).
func (d *Document) Canonical() []byte { return d.canonical }

// Hash returns SHA-256 of the document's JCS form.
func (d *Document) Hash() [sha256.Size]byte { return d.hash }

// CreateProof makes a proof over the document with the given cryptosuite (EdDSAJCS2022 or
// MLDSA44JCS2024), following the Create Proof algorithm of that suite: the proof options,
// with the document's @context copied in, are canonicalised and hashed, and the signer signs
// SHA-256(canonical proof configuration) || SHA-256(canonical document), the proof configuration
// carrying the document's @context. It returns the proof as
// a JSON object; attach it with Secure. Errors are INVALID for a suite that does not match the
// signer's key, or the signer's error.
func (d *Document) CreateProof(suite string, signer Signer, opts Options) (map[string]any, error) {
	if err := checkSuite(suite, signer); err != nil {
		return nil, err
	}
	proof := proofOptions(suite, signer.VerificationMethod(), opts)
	ctx, hasCtx := d.doc.Get("@context")
	if hasCtx {
		// eddsa-jcs-2022 copies the document's @context into the proof (its Create Proof step 2);
		// mldsa44-jcs-2024 takes it from the document when hashing and leaves it out of the proof,
		// as the report's signed example does.
		proof["@context"] = ctx.Any()
	}
	cfg, err := jsoncanon.Append(make([]byte, 0, 512), proof)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "canonicalise proof options: %w", err)
	}
	var hashData [2 * sha256.Size]byte
	cfgHash := sha256.Sum256(cfg)
	copy(hashData[:], cfgHash[:])
	copy(hashData[sha256.Size:], d.hash[:])
	sig, err := signer.Sign(hashData[:])
	if err != nil {
		return nil, fmt.Errorf("sign %s proof: %w", suite, err)
	}
	if suite == MLDSA44JCS2024 {
		delete(proof, "@context")
	}
	proof["proofValue"] = encodeProofValue(suite, sig)
	return proof, nil
}

// checkSuite checks that suite signs single documents with signer's kind of key.
func checkSuite(suite string, signer Signer) error {
	var want multikey.Kind
	switch suite {
	case EdDSAJCS2022:
		want = multikey.Ed25519
	case MLDSA44JCS2024:
		want = multikey.MLDSA44
	default:
		return eduledger.Errorf(eduledger.EINVALID, "cryptosuite %q cannot sign a single document", suite)
	}
	if signer.Kind() != want {
		return eduledger.Errorf(eduledger.EINVALID, "cryptosuite %s needs an %s key, the signer holds %s", suite, want, signer.Kind())
	}
	return nil
}

func proofOptions(suite, vm string, opts Options) map[string]any {
	purpose := opts.Purpose
	if purpose == "" {
		purpose = PurposeAssertion
	}
	proof := map[string]any{
		"type":               ProofType,
		"cryptosuite":        suite,
		"verificationMethod": vm,
		"proofPurpose":       purpose,
	}
	if !opts.Created.IsZero() {
		proof["created"] = FormatTime(opts.Created)
	}
	if !opts.Expires.IsZero() {
		proof["expires"] = FormatTime(opts.Expires)
	}
	if opts.Challenge != "" {
		proof["challenge"] = opts.Challenge
	}
	if opts.Domain != "" {
		proof["domain"] = opts.Domain
	}
	if opts.ID != "" {
		proof["id"] = opts.ID
	}
	return proof
}

// encodeProofValue writes a signature as the suite's multibase: base58btc ("z") for EdDSA as the
// EdDSA cryptosuites require, base64url without padding ("u") for ML-DSA as the quantum-safe
// report requires.
func encodeProofValue(suite string, sig []byte) string {
	if suite == EdDSAJCS2022 {
		return string(appendBase58([]byte{'z'}, sig))
	}
	return "u" + base64.RawURLEncoding.EncodeToString(sig)
}

// Secure returns a copy of the unsecured document with the proofs attached as its proof set: a
// single proof as an object, several as an array.
func Secure(unsecured map[string]any, proofs ...map[string]any) map[string]any {
	out := make(map[string]any, len(unsecured)+1)
	for k, v := range unsecured {
		out[k] = v
	}
	switch len(proofs) {
	case 0:
	case 1:
		out["proof"] = proofs[0]
	default:
		set := make([]any, len(proofs))
		for i, p := range proofs {
			set[i] = p
		}
		out["proof"] = set
	}
	return out
}

// Digest returns the digest by which the ledger anchors a secured document and under which a batch
// includes it: SHA-256 of the JCS form of the document whose "proof" member is replaced by the array
// of its proofs, in their original order, leaving out Merkle batch proofs (cryptosuite
// MLDSA44Merkle2026), which are derived from this digest; when no proof remains the member is left
// out. Every other proof — for a credential issued alone, the Ed25519 and the ML-DSA proof; for one
// issued in a batch, the Ed25519 proof — is covered, so the digest pins the signed credential.
func Digest(doc map[string]any) (merkle.Hash, error) {
	s, err := NewSecured(doc)
	if err != nil {
		return merkle.Hash{}, err
	}
	return s.Digest()
}

// Batch is a signed Merkle batch: a tree over credential digests whose root, size and proof options
// are signed once with ML-DSA-44. Proof(i) gives leaf i's batch proof. It is immutable and safe for
// concurrent use.
type Batch struct {
	tree       *merkle.Tree
	config     map[string]any
	proofValue string
	// canonical is the canonical batch proof without merkleIndex and merklePath, which go at
	// slot (see AppendProof).
	canonical []byte
	slot      int
}

// SignBatch builds the Merkle tree over the digests (as Digest computes them, in order) and signs
// its batch configuration — type, cryptosuite, created, verificationMethod, proofPurpose,
// merkleRoot and batchSize, canonicalised with JCS and hashed with SHA-256 — with an ML-DSA-44
// signer. It fails with INVALID for an empty or oversized batch or a signer of another kind.
func SignBatch(digests []merkle.Hash, signer Signer, opts Options) (*Batch, error) {
	if len(digests) == 0 || len(digests) > eduledger.MaxBatchSize {
		return nil, eduledger.Errorf(eduledger.EINVALID, "a batch holds 1 to %d credentials, got %d", eduledger.MaxBatchSize, len(digests))
	}
	if signer.Kind() != multikey.MLDSA44 {
		return nil, eduledger.Errorf(eduledger.EINVALID, "cryptosuite %s needs an %s key, the signer holds %s", MLDSA44Merkle2026, multikey.MLDSA44, signer.Kind())
	}
	if opts.Challenge != "" || opts.Domain != "" || !opts.Expires.IsZero() || opts.ID != "" {
		return nil, eduledger.Errorf(eduledger.EINVALID, "a batch proof takes no challenge, domain, expiry or id")
	}
	tree, err := merkle.FromDigests(digests)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "%w", err)
	}
	cfg := proofOptions(MLDSA44Merkle2026, signer.VerificationMethod(), opts)
	cfg["merkleRoot"] = tree.Root().String()
	cfg["batchSize"] = json.Number(strconv.Itoa(tree.Size()))
	canon, err := jsoncanon.Append(nil, cfg)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "canonicalise batch options: %w", err)
	}
	hash := sha256.Sum256(canon)
	sig, err := signer.Sign(hash[:])
	if err != nil {
		return nil, fmt.Errorf("sign batch: %w", err)
	}
	b := &Batch{tree: tree, config: cfg, proofValue: encodeProofValue(MLDSA44Merkle2026, sig)}
	b.canonical, b.slot = canonicalBatchProof(cfg, b.proofValue)
	return b, nil
}

// Root returns the batch's Merkle root.
func (b *Batch) Root() merkle.Hash { return b.tree.Root() }

// Size returns the number of credentials in the batch.
func (b *Batch) Size() int { return b.tree.Size() }

// Proof returns the batch proof of credential i: the signed batch configuration, the credential's
// merkleIndex and merklePath, and the batch signature as proofValue.
func (b *Batch) Proof(i int) (map[string]any, error) {
	p, err := b.tree.Proof(i)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "%w", err)
	}
	proof := make(map[string]any, len(b.config)+3)
	for k, v := range b.config {
		proof[k] = v
	}
	path := make([]any, len(p.Path))
	for j, h := range p.Path {
		path[j] = h.String()
	}
	proof["merkleIndex"] = json.Number(strconv.Itoa(i))
	proof["merklePath"] = path
	proof["proofValue"] = b.proofValue
	return proof, nil
}
