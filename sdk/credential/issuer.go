package credential

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
	"github.com/eduledger/eduledger/sdk/merkle"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// Issuer issues credentials for one organisation with its Ed25519 key and its ML-DSA-44 key. It is
// safe for concurrent use.
type Issuer struct {
	orgID   string
	profile Profile
	ed, pq  dataintegrity.Signer
	opts    *options
}

// NewIssuer returns an Issuer for the organisation described by profile (profile.ID is its DID,
// did:eduledger:org:<orgID>). ed and pq sign for keys of that organisation
// (did:eduledger:org:<orgID>#<keyID>), of kinds Ed25519 and ML-DSA-44. It fails with INVALID
// otherwise.
func NewIssuer(profile Profile, ed, pq dataintegrity.Signer, opts ...Option) (*Issuer, error) {
	orgID, ok := eduledger.ParseOrgDID(profile.ID)
	if !ok {
		return nil, eduledger.Errorf(eduledger.EINVALID, "issuer id %q must be did:eduledger:org:<orgID>", profile.ID)
	}
	if profile.Name.IsZero() {
		return nil, eduledger.Errorf(eduledger.EINVALID, "issuer name is required")
	}
	for _, s := range []struct {
		signer dataintegrity.Signer
		kind   multikey.Kind
	}{{ed, multikey.Ed25519}, {pq, multikey.MLDSA44}} {
		if s.signer == nil || s.signer.Kind() != s.kind {
			return nil, eduledger.Errorf(eduledger.EINVALID, "an %s signer is required", s.kind)
		}
		if keyOrg, _, ok := eduledger.ParseKeyDID(s.signer.VerificationMethod()); !ok || keyOrg != orgID {
			return nil, eduledger.Errorf(eduledger.EINVALID, "signer %q is not a key of %s", s.signer.VerificationMethod(), profile.ID)
		}
	}
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	if profile.Type == nil {
		profile.Type = []string{"Profile"}
	}
	return &Issuer{orgID: orgID, profile: profile, ed: ed, pq: pq, opts: o}, nil
}

// Issued is a credential issued on its own, with what the ledger needs to anchor it.
type Issued struct {
	// ID is the credential ID.
	ID string
	// JSON is the signed credential.
	JSON []byte
	// Digest is the anchor digest (see Digest), lower-case hex.
	Digest string
	// Anchor is the ledger record to submit (eduledger.CredentialAnchor), status fields empty.
	Anchor eduledger.CredentialAnchor
}

// Issue completes and signs one credential: it assigns an ID when c has none, sets the issuer
// profile, the credential status (anchored alone) and defaults (validFrom now, the Open Badges
// "type" members), checks the result against its type's schema, and signs it with an
// eddsa-jcs-2022 and an mldsa44-jcs-2024 proof. c is not modified. Errors are INVALID, naming the
// offending field (a *SchemaError is in the chain).
func (is *Issuer) Issue(c *Credential) (*Issued, error) {
	now := is.opts.now()
	u, err := is.build(c, AnchorSingle, now)
	if err != nil {
		return nil, err
	}
	defer u.release()
	doc, err := dataintegrity.PrepareValue(u.doc)
	if err != nil {
		return nil, err
	}
	edProof, err := doc.CreateProof(dataintegrity.EdDSAJCS2022, is.ed, dataintegrity.Options{Created: now})
	if err != nil {
		return nil, err
	}
	pqProof, err := doc.CreateProof(dataintegrity.MLDSA44JCS2024, is.pq, dataintegrity.Options{Created: now})
	if err != nil {
		return nil, err
	}
	digest, err := doc.Digest(edProof, pqProof)
	if err != nil {
		return nil, err
	}
	out, err := render(doc.Canonical(), edProof, pqProof)
	if err != nil {
		return nil, err
	}
	anchor := u.anchor(is.orgID, now)
	anchor.Digest = digest.String()
	return &Issued{ID: u.id, JSON: out, Digest: anchor.Digest, Anchor: anchor}, nil
}

// render writes a secured credential: the canonical unsecured document with the proof set appended
// as its last member. The result is not in canonical order (verifiers canonicalise), which spares
// a second canonicalisation of the whole document.
func render(canonical []byte, proofs ...map[string]any) ([]byte, error) {
	out := make([]byte, 0, len(canonical)+600+3400*(len(proofs)-1))
	out = append(out, canonical[:len(canonical)-1]...)
	out = append(out, `,"proof":[`...)
	for i, p := range proofs {
		if i > 0 {
			out = append(out, ',')
		}
		var err error
		if out, err = jsoncanon.Append(out, p); err != nil {
			return nil, err
		}
	}
	return append(out, "]}"...), nil
}

// unsigned is a completed credential before signing. Its document may live in a builder's
// scratch memory: release it once the document is signed, and use nothing made from it (a
// dataintegrity.Document) afterwards but byte slices.
type unsigned struct {
	id         string
	typ        eduledger.CredentialType
	learnerID  string
	validUntil time.Time
	doc        *jsoncanon.Value
	scratch    *valueBuilder
}

func (u *unsigned) release() {
	if u.scratch != nil {
		u.scratch.release()
		u.scratch, u.doc = nil, nil
	}
}

func (u *unsigned) anchor(orgID string, now time.Time) eduledger.CredentialAnchor {
	return eduledger.CredentialAnchor{ID: u.id, Type: u.typ, IssuerID: orgID, LearnerID: u.learnerID,
		IssuedAt: now.UTC().Truncate(time.Second), ValidUntil: u.validUntil}
}

// build completes c and returns it as a checked JSON document.
func (is *Issuer) build(c *Credential, anchoring string, now time.Time) (*unsigned, error) {
	if c == nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "credential is required")
	}
	t, ok := c.CredentialType()
	if !ok {
		return nil, eduledger.Errorf(eduledger.EINVALID, "type must name exactly one EduLedger credential type (EduLedgerDiploma, …)")
	}
	if c.Proof != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "credential is already signed")
	}
	if c.Issuer.ID != "" && c.Issuer.ID != is.profile.ID {
		return nil, eduledger.Errorf(eduledger.EINVALID, "issuer %q is not this issuer (%s)", c.Issuer.ID, is.profile.ID)
	}
	learnerID, ok := eduledger.ParseLearnerDID(c.Subject.ID)
	if !ok {
		return nil, eduledger.Errorf(eduledger.EINVALID, "credentialSubject.id %q must be did:eduledger:learner:<learnerID>", c.Subject.ID)
	}
	cc := *c
	if cc.ID == "" {
		id, err := is.opts.newID()
		if err != nil {
			return nil, err
		}
		cc.ID = id
	}
	cc.Issuer = is.profile
	if cc.ValidFrom.IsZero() {
		cc.ValidFrom = now
	}
	cc.ValidFrom = cc.ValidFrom.UTC().Truncate(time.Second)
	if !cc.ValidUntil.IsZero() {
		cc.ValidUntil = cc.ValidUntil.UTC().Truncate(time.Second)
	}
	cc.Status = &Status{Type: StatusType, Channel: is.opts.channel, Chaincode: is.opts.chaincode,
		CredentialID: cc.ID, Anchoring: anchoring}
	cc.Subject = withDefaults(cc.Subject)
	doc, scratch, err := cc.scratchJSONValue(jsoncanon.Limits{MaxBytes: is.opts.limits.MaxBytes, MaxDepth: is.opts.limits.MaxDepth})
	if err != nil {
		if encodeError(err) {
			return nil, eduledger.Errorf(eduledger.EINVALID, "encode credential: %w", err)
		}
		return nil, eduledger.Errorf(eduledger.EINVALID, "credential: %w", err)
	}
	u := &unsigned{id: cc.ID, typ: t, learnerID: learnerID, validUntil: cc.ValidUntil, doc: doc, scratch: scratch}
	if err := is.opts.schemas.Validate(t, doc); err != nil {
		u.release()
		return nil, eduledger.Errorf(eduledger.EINVALID, "%w", err)
	}
	if err := checkConsistency(t, doc); err != nil {
		u.release()
		return nil, eduledger.Errorf(eduledger.EINVALID, "%w", err)
	}
	return u, nil
}

// withDefaults fills the Open Badges "type" members a caller may leave out. It copies what it
// changes.
func withDefaults(s Subject) Subject {
	if s.Achievement != nil {
		a := *s.Achievement
		if a.Type == nil {
			a.Type = []string{"Achievement"}
		}
		if len(a.Alignment) > 0 {
			a.Alignment = append([]Alignment(nil), a.Alignment...)
			for i := range a.Alignment {
				if a.Alignment[i].Type == nil {
					a.Alignment[i].Type = []string{"Alignment"}
				}
			}
		}
		s.Achievement = &a
	}
	if len(s.Result) > 0 {
		s.Result = append([]Result(nil), s.Result...)
		for i := range s.Result {
			if s.Result[i].Type == nil {
				s.Result[i].Type = []string{"Result"}
			}
		}
	}
	if len(s.Records) > 0 {
		s.Records = append([]Record(nil), s.Records...)
		for i := range s.Records {
			if s.Records[i].Type == nil {
				s.Records[i].Type = []string{TypeVerifiableCredential, TypeAchievementCredential}
			}
			if s.Records[i].Subject.Type == nil {
				s.Records[i].Subject.Type = []string{"AchievementSubject"}
			}
			s.Records[i].Subject = withDefaults(s.Records[i].Subject)
		}
	}
	return s
}

// Batch is a batch of credentials of one type signed under one Merkle root: each credential has
// its own Ed25519 proof; one ML-DSA-44 signature covers the root. It holds about 2 KB per
// credential and renders each on demand. It is safe for concurrent use.
type Batch struct {
	items  []batchItem
	signed *dataintegrity.Batch
	anchor eduledger.BatchAnchor
	// proofSize is about the length of a batch proof, to size rendered credentials.
	proofSize int
}

type batchItem struct {
	id        string
	learnerID string
	canonical []byte
	edProof   []byte // canonical
	digest    merkle.Hash
}

// IssueBatch completes and signs credentials of one type as a batch (see Issue for the
// completion): each gets an eddsa-jcs-2022 proof; the Merkle tree over their digests is signed
// once with ML-DSA-44; each then carries an eduledger-mldsa44-merkle-2026 proof with its inclusion
// path. Work is spread over the configured workers. It fails with INVALID (naming the credential
// by index) if any credential is invalid, or with ctx's error.
func (is *Issuer) IssueBatch(ctx context.Context, cs []*Credential) (*Batch, error) {
	if len(cs) == 0 || len(cs) > eduledger.MaxBatchSize {
		return nil, eduledger.Errorf(eduledger.EINVALID, "a batch holds 1 to %d credentials, got %d", eduledger.MaxBatchSize, len(cs))
	}
	now := is.opts.now()
	if cs[0] == nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "credentials[0] is missing")
	}
	first, ok := cs[0].CredentialType()
	if !ok {
		return nil, eduledger.Errorf(eduledger.EINVALID, "credentials[0]: type must name exactly one EduLedger credential type")
	}
	items := make([]batchItem, len(cs))
	validUntil := make([]time.Time, len(cs))
	// The Ed25519 proofs of a batch share their options (and their @context, the type's), so the
	// prover canonicalises and hashes them once; it makes what CreateProof makes, in canonical form.
	prover, err := dataintegrity.NewProver(dataintegrity.EdDSAJCS2022, is.ed, dataintegrity.Options{Created: now})
	if err != nil {
		return nil, err
	}
	err = parallel(ctx, len(cs), is.opts.workers, func(i int) error {
		if cs[i] == nil {
			return eduledger.Errorf(eduledger.EINVALID, "credentials[%d] is missing", i)
		}
		if t, _ := cs[i].CredentialType(); t != first {
			return eduledger.Errorf(eduledger.EINVALID, "credentials[%d]: a batch holds one type (%s), got %q", i, first, t)
		}
		u, err := is.build(cs[i], AnchorBatch, now)
		if err != nil {
			return fmt.Errorf("credentials[%d]: %w", i, err)
		}
		defer u.release()
		doc, err := dataintegrity.PrepareValue(u.doc)
		if err != nil {
			return fmt.Errorf("credentials[%d]: %w", i, err)
		}
		proof, err := prover.CreateProof(doc)
		if err != nil {
			return fmt.Errorf("credentials[%d]: %w", i, err)
		}
		items[i] = batchItem{id: u.id, learnerID: u.learnerID, canonical: doc.Canonical(), edProof: proof, digest: doc.DigestCanonical(proof)}
		validUntil[i] = u.validUntil
		return nil
	})
	if err != nil {
		return nil, err
	}
	seen := make(map[string]int, len(items))
	digests := make([]merkle.Hash, len(items))
	for i, it := range items {
		if j, dup := seen[it.id]; dup {
			return nil, eduledger.Errorf(eduledger.EINVALID, "credentials[%d]: id %s repeats credentials[%d]", i, it.id, j)
		}
		seen[it.id] = i
		digests[i] = it.digest
	}
	signed, err := dataintegrity.SignBatch(digests, is.pq, dataintegrity.Options{Created: now})
	if err != nil {
		return nil, err
	}
	anchor := eduledger.BatchAnchor{Root: signed.Root().String(), Count: len(items), Type: first,
		IssuerID: is.orgID, IssuedAt: now.UTC().Truncate(time.Second), ValidUntil: validUntil[0]}
	for _, vu := range validUntil[1:] {
		if !vu.Equal(anchor.ValidUntil) {
			anchor.ValidUntil = time.Time{} // the batch has no single expiry
			break
		}
	}
	// The rendered size: the longest Merkle path, and room for the index's digits.
	sample, err := signed.AppendProof(nil, 0) // the first leaf has the longest path
	if err != nil {
		return nil, err
	}
	return &Batch{items: items, signed: signed, anchor: anchor, proofSize: len(sample) + 96}, nil
}

// Len returns the number of credentials.
func (b *Batch) Len() int { return len(b.items) }

// Root returns the Merkle root (lower-case hex), the batch's key on the ledger.
func (b *Batch) Root() string { return b.anchor.Root }

// Anchor returns the ledger record of the batch (eduledger.BatchAnchor), status fields empty.
func (b *Batch) Anchor() eduledger.BatchAnchor { return b.anchor }

// ID returns the ID of credential i.
func (b *Batch) ID(i int) string { return b.items[i].id }

// LearnerID returns the learner of credential i.
func (b *Batch) LearnerID(i int) string { return b.items[i].learnerID }

// Digest returns the anchor digest of credential i (lower-case hex), its leaf in the Merkle tree.
func (b *Batch) Digest(i int) string { return b.items[i].digest.String() }

// Credential renders signed credential i.
func (b *Batch) Credential(i int) ([]byte, error) {
	if i < 0 || i >= len(b.items) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "no credential %d in a batch of %d", i, len(b.items))
	}
	it := &b.items[i]
	return b.AppendCredential(make([]byte, 0, len(it.canonical)+len(it.edProof)+b.proofSize+16), i)
}

// AppendCredential appends signed credential i, as Credential renders it, to dst.
func (b *Batch) AppendCredential(dst []byte, i int) ([]byte, error) {
	if i < 0 || i >= len(b.items) {
		return dst, eduledger.Errorf(eduledger.EINVALID, "no credential %d in a batch of %d", i, len(b.items))
	}
	// As render writes it: the canonical unsecured document, then the proof set, each proof in
	// canonical form.
	it := &b.items[i]
	dst = append(dst, it.canonical[:len(it.canonical)-1]...)
	dst = append(dst, `,"proof":[`...)
	dst = append(dst, it.edProof...)
	dst = append(dst, ',')
	dst, err := b.signed.AppendProof(dst, i)
	if err != nil {
		return dst, err
	}
	return append(dst, "]}"...), nil
}

// parallel runs fn(0..n-1) on up to workers goroutines and returns the first error (by index
// order of discovery) or ctx's error.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	workers = max(1, min(workers, n))
	var (
		mu       sync.Mutex
		firstErr error
		next     int
		wg       sync.WaitGroup
	)
	const chunk = 64
	take := func() (int, int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr != nil || next >= n {
			return 0, 0, false
		}
		if err := ctx.Err(); err != nil {
			firstErr = err
			return 0, 0, false
		}
		lo := next
		next = min(n, next+chunk)
		return lo, next, true
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo, hi, ok := take()
				if !ok {
					return
				}
				for i := lo; i < hi; i++ {
					if err := fn(i); err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}
