package dataintegrity

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
	"github.com/eduledger/eduledger/sdk/merkle"
)

// Prover makes the proofs Document.CreateProof makes — one cryptosuite, one signer, one set of
// options — over many documents, and returns each in canonical (JCS) form, the form a secured
// document and its digest need. The proof options, which differ between documents only by the
// @context copied from each, are canonicalised and hashed once per distinct @context instead of
// once per document, and no map is built. It is safe for concurrent use.
type Prover struct {
	suite  string
	signer Signer
	opts   Options
	last   atomic.Pointer[proverConfig]
}

// proverConfig is the proof configuration for documents with one @context.
type proverConfig struct {
	context   []byte // canonical @context of the documents it serves; nil for none
	hasCtx    bool
	hash      [sha256.Size]byte // SHA-256 of the canonical proof configuration
	canonical []byte            // canonical proof as returned, without proofValue
	slot      int               // where proofValue goes in canonical
}

// NewProver returns a Prover for suite (EdDSAJCS2022 or MLDSA44JCS2024) with signer and opts. It
// fails with INVALID as CreateProof does for a suite that cannot sign a single document or does
// not match the signer's key.
func NewProver(suite string, signer Signer, opts Options) (*Prover, error) {
	if err := checkSuite(suite, signer); err != nil {
		return nil, err
	}
	return &Prover{suite: suite, signer: signer, opts: opts}, nil
}

// CreateProof makes the proof Document.CreateProof(suite, signer, opts) makes over d and returns
// exactly what jsoncanon.Append writes for it. Errors are the signer's.
func (p *Prover) CreateProof(d *Document) ([]byte, error) {
	cfg, err := p.config(d)
	if err != nil {
		return nil, err
	}
	var hashData [2 * sha256.Size]byte
	copy(hashData[:], cfg.hash[:])
	copy(hashData[sha256.Size:], d.hash[:])
	sig, err := p.signer.Sign(hashData[:])
	if err != nil {
		return nil, fmt.Errorf("sign %s proof: %w", p.suite, err)
	}
	pv, err := jsoncanon.Append(nil, encodeProofValue(p.suite, sig))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(cfg.canonical) + len(pv) + 16)
	jsoncanon.InsertMember(&buf, cfg.canonical, cfg.slot, "proofValue", pv)
	return buf.Bytes(), nil
}

// config returns the proof configuration for d's @context, reusing the last one when it matches.
func (p *Prover) config(d *Document) (*proverConfig, error) {
	ctx, hasCtx := d.doc.Get("@context")
	var ctxCanon []byte
	if hasCtx {
		var err error
		if ctxCanon, err = jsoncanon.AppendValue(make([]byte, 0, 128), ctx); err != nil {
			return nil, eduledger.Errorf(eduledger.EINVALID, "canonicalise proof options: %w", err)
		}
	}
	if c := p.last.Load(); c != nil && c.hasCtx == hasCtx && bytes.Equal(c.context, ctxCanon) {
		return c, nil
	}
	proof := proofOptions(p.suite, p.signer.VerificationMethod(), p.opts)
	if hasCtx {
		proof["@context"] = ctx.Any()
	}
	cfgCanon, err := jsoncanon.Append(make([]byte, 0, 512), proof)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "canonicalise proof options: %w", err)
	}
	if p.suite == MLDSA44JCS2024 {
		delete(proof, "@context") // see CreateProof
	}
	canon, slot, err := jsoncanon.AppendObjectSlot(nil, proof, "proofValue")
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "canonicalise proof options: %w", err)
	}
	c := &proverConfig{context: ctxCanon, hasCtx: hasCtx, hash: sha256.Sum256(cfgCanon), canonical: canon, slot: slot}
	p.last.Store(c)
	return c, nil
}

// DigestCanonical is Digest for proofs in canonical form (as Prover makes them), in order. Give it
// the proofs Digest covers — every proof but a Merkle batch proof, which it cannot tell apart.
func (d *Document) DigestCanonical(proofs ...[]byte) merkle.Hash {
	if len(proofs) == 0 {
		return d.hash
	}
	n := 2 + len(proofs) - 1
	for _, p := range proofs {
		n += len(p)
	}
	value := make([]byte, 0, n)
	value = append(value, '[')
	for i, p := range proofs {
		if i > 0 {
			value = append(value, ',')
		}
		value = append(value, p...)
	}
	value = append(value, ']')
	h := sha256.New()
	jsoncanon.InsertMember(h, d.canonical, d.slot, "proof", value)
	var out merkle.Hash
	h.Sum(out[:0])
	return out
}

// AppendProof appends the canonical (JCS) form of Proof(i) to dst — what jsoncanon.Append writes
// for it — without building the proof as a map. It fails with INVALID for an index outside the
// batch.
func (b *Batch) AppendProof(dst []byte, i int) ([]byte, error) {
	if b.canonical == nil {
		p, err := b.Proof(i)
		if err != nil {
			return dst, err
		}
		return jsoncanon.Append(dst, p)
	}
	p, err := b.tree.Proof(i)
	if err != nil {
		return dst, eduledger.Errorf(eduledger.EINVALID, "%w", err)
	}
	canon, slot := b.canonical, b.slot
	dst = append(dst, canon[:slot]...)
	if canon[slot] == '}' && slot > 1 {
		dst = append(dst, ',')
	}
	dst = append(dst, `"merkleIndex":`...)
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, `,"merklePath":[`...)
	for j, h := range p.Path {
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = appendHex(dst, h[:])
		dst = append(dst, '"')
	}
	dst = append(dst, ']')
	if canon[slot] != '}' {
		dst = append(dst, ',')
	}
	return append(dst, canon[slot:]...), nil
}

// canonicalBatchProof prepares AppendProof: the canonical batch proof without its merkleIndex and
// merklePath, and where they go. It returns nil when another member would sort between the two
// (impossible with the members SignBatch writes), which leaves AppendProof to the general path.
func canonicalBatchProof(cfg map[string]any, proofValue string) ([]byte, int) {
	m := make(map[string]any, len(cfg)+1)
	for k, v := range cfg {
		if jsoncanon.CompareKeys(k, "merkleIndex") > 0 && jsoncanon.CompareKeys(k, "merklePath") <= 0 {
			return nil, 0
		}
		m[k] = v
	}
	m["proofValue"] = proofValue
	canon, slot, err := jsoncanon.AppendObjectSlot(nil, m, "merkleIndex")
	if err != nil {
		return nil, 0
	}
	return canon, slot
}

func appendHex(dst, b []byte) []byte {
	const digits = "0123456789abcdef"
	for _, c := range b {
		dst = append(dst, digits[c>>4], digits[c&0xF])
	}
	return dst
}
