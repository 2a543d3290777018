package credential

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// CheckName names one verification check.
type CheckName string

// The offline checks, in the order a Report lists them.
const (
	// CheckFormat: the input is JSON within the size and depth limits, without duplicate keys,
	// and names one EduLedger credential type.
	CheckFormat CheckName = "format"
	// CheckSchema: the credential matches its type's JSON Schema and is consistent (status names
	// the credential, validUntil after validFrom, …).
	CheckSchema CheckName = "schema"
	// CheckProofSet: the credential carries exactly an eddsa-jcs-2022 proof and one post-quantum
	// proof (mldsa44-jcs-2024, or eduledger-mldsa44-merkle-2026 for a batch), both by keys of its
	// issuer.
	CheckProofSet CheckName = "proofSet"
	// CheckProof: one proof's signature, by a key valid when the proof was created. Listed once
	// per proof.
	CheckProof CheckName = "proof"
	// CheckMerkle: for a batch credential, its digest is included under the batch root its
	// batch proof signs.
	CheckMerkle CheckName = "merkleInclusion"
	// CheckValidity: the verification time is within validFrom and validUntil.
	CheckValidity CheckName = "validityPeriod"
)

// Outcome is the outcome of a check.
type Outcome string

// Check outcomes.
const (
	Passed Outcome = "passed"
	Failed Outcome = "failed"
	// Unknown means the check could not be made (a key could not be resolved because the registry
	// was unreachable); a credential with an unknown check is not verified.
	Unknown Outcome = "unknown"
	// Skipped means an earlier check failed in a way that makes this one meaningless.
	Skipped Outcome = "skipped"
)

// Check is the outcome of one check.
type Check struct {
	Name   CheckName `json:"name"`
	Status Outcome   `json:"status"`
	// Proof identifies the proof a proof or Merkle check concerns.
	Proof *ProofRef `json:"proof,omitempty"`
	// Reason says why the check did not pass.
	Reason string `json:"reason,omitempty"`
}

// ProofRef identifies a proof of the proof set.
type ProofRef struct {
	Index              int    `json:"index"`
	Cryptosuite        string `json:"cryptosuite"`
	VerificationMethod string `json:"verificationMethod,omitempty"`
	// Created is the proof's creation time, zero if it has none.
	Created time.Time `json:"created,omitzero"`
}

// Report is the outcome of verifying a credential offline, check by check, with what the ledger
// checks need.
type Report struct {
	// Verified is true when every check passed.
	Verified bool    `json:"verified"`
	Checks   []Check `json:"checks"`

	// The following are read from the credential once it parsed; they are what it claims, and
	// are trustworthy only when Verified.
	ID         string                   `json:"id,omitempty"`
	Type       eduledger.CredentialType `json:"type,omitempty"`
	IssuerID   string                   `json:"issuerId,omitempty"`
	LearnerID  string                   `json:"learnerId,omitempty"`
	ValidFrom  time.Time                `json:"validFrom,omitzero"`
	ValidUntil time.Time                `json:"validUntil,omitzero"`
	// Digest is the anchor digest (lower-case hex) the ledger should hold for a credential
	// anchored alone, or the Merkle leaf of a batch credential.
	Digest string `json:"digest,omitempty"`
	// BatchRoot is the Merkle root of a batch credential (lower-case hex).
	BatchRoot string `json:"batchRoot,omitempty"`

	doc *jsoncanon.Value
}

// Failed returns the checks that did not pass.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status != Passed {
			out = append(out, c)
		}
	}
	return out
}

// Check returns the first check of the given name (and, for proof checks, any proof).
func (r *Report) Check(name CheckName) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// Document returns the credential as parsed, as plain Go values (nil when it did not parse).
func (r *Report) Document() map[string]any {
	if r.doc == nil {
		return nil
	}
	return r.doc.Any().(map[string]any)
}

// DocumentValue returns the credential as parsed (nil when it did not parse). Callers must not
// modify it.
func (r *Report) DocumentValue() *jsoncanon.Value { return r.doc }

// Credential decodes the verified document into a Credential.
func (r *Report) Credential() (*Credential, error) {
	if r.doc == nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "credential did not parse")
	}
	b, err := jsoncanon.AppendValue(nil, r.doc)
	if err != nil {
		return nil, err
	}
	var c Credential
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "decode credential: %w", err)
	}
	return &c, nil
}

func (r *Report) add(c Check) { r.Checks = append(r.Checks, c) }

func (r *Report) skipRest(names ...CheckName) {
	for _, n := range names {
		r.add(Check{Name: n, Status: Skipped})
	}
}

// Verifier verifies EduLedger credentials offline. It is safe for concurrent use and meant to be
// shared: it caches decoded keys and verified batch signatures.
type Verifier struct {
	di   *dataintegrity.Verifier
	opts *options
}

// NewVerifier returns a Verifier that resolves verification methods through keys (backed by the
// ledger in the verifier service; dataintegrity.StaticKeys offline).
func NewVerifier(keys dataintegrity.KeyResolver, opts ...Option) (*Verifier, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	di, err := dataintegrity.NewVerifier(keys, dataintegrity.WithBatchCache(o.batchCache))
	if err != nil {
		return nil, err
	}
	return &Verifier{di: di, opts: o}, nil
}

// Verify checks a credential given as JSON. It never fails: a credential that does not verify is
// a Report with Verified false and the failed checks, each with its reason.
func (v *Verifier) Verify(ctx context.Context, data []byte) *Report {
	doc, err := jsoncanon.ParseObjectValue(data, v.opts.limits)
	if err != nil {
		r := &Report{}
		r.add(Check{Name: CheckFormat, Status: Failed, Reason: err.Error()})
		r.skipRest(CheckSchema, CheckProofSet, CheckProof, CheckValidity)
		return r
	}
	return v.VerifyValue(ctx, doc)
}

// VerifyDocument checks a credential given as plain Go values (as jsoncanon.Parse returns them;
// for example one embedded in a presentation).
func (v *Verifier) VerifyDocument(ctx context.Context, doc map[string]any) *Report {
	val, err := jsoncanon.FromAny(doc)
	if err != nil {
		r := &Report{}
		r.add(Check{Name: CheckFormat, Status: Failed, Reason: err.Error()})
		r.skipRest(CheckSchema, CheckProofSet, CheckProof, CheckValidity)
		return r
	}
	return v.VerifyValue(ctx, val)
}

// VerifyValue checks a credential parsed with jsoncanon.ParseValue. doc must not be modified
// while and after it is verified.
func (v *Verifier) VerifyValue(ctx context.Context, doc *jsoncanon.Value) *Report {
	r := &Report{doc: doc, Checks: make([]Check, 0, 8)}
	if doc.Kind() != jsoncanon.Object {
		r.add(Check{Name: CheckFormat, Status: Failed, Reason: "a credential must be a JSON object"})
		r.skipRest(CheckSchema, CheckProofSet, CheckProof, CheckValidity)
		return r
	}
	typesV, _ := doc.Get("type")
	types := typesV.Elems()
	names := make([]string, 0, len(types))
	for i := range types {
		if s, ok := types[i].Str(); ok {
			names = append(names, s)
		}
	}
	t, ok := typeFromNames(names)
	r.readEnvelope(doc)
	if !ok {
		// Without a type there is no schema to check; the proofs are still checked, so that the
		// report says whether the document was altered.
		r.add(Check{Name: CheckFormat, Status: Failed, Reason: "type must name exactly one EduLedger credential type"})
		r.skipRest(CheckSchema)
	} else {
		r.add(Check{Name: CheckFormat, Status: Passed})
		r.Type = t
		if err := v.opts.schemas.Validate(t, doc); err != nil {
			r.add(Check{Name: CheckSchema, Status: Failed, Reason: err.Error()})
		} else if err := checkConsistency(t, doc); err != nil {
			r.add(Check{Name: CheckSchema, Status: Failed, Reason: err.Error()})
		} else {
			r.add(Check{Name: CheckSchema, Status: Passed})
		}
	}

	// Proof set and proofs.
	s, err := dataintegrity.NewSecuredValue(doc)
	if err != nil {
		r.add(Check{Name: CheckProofSet, Status: Failed, Reason: eduledger.ErrorMessage(err)})
		r.skipRest(CheckProof)
	} else {
		v.verifyProofs(ctx, r, s)
	}

	// Validity period.
	r.add(v.validity(doc))

	r.Verified = true
	for _, c := range r.Checks {
		if c.Status != Passed {
			r.Verified = false
		}
	}
	return r
}

func (v *Verifier) verifyProofs(ctx context.Context, r *Report, s *dataintegrity.Secured) {
	if err := checkProofSet(s, r.IssuerID); err != nil {
		r.add(Check{Name: CheckProofSet, Status: Failed, Reason: err.Error()})
	} else {
		r.add(Check{Name: CheckProofSet, Status: Passed})
	}
	exp := dataintegrity.Expect{Purpose: dataintegrity.PurposeAssertion, Now: v.opts.now()}
	issuerDID := eduledger.OrgDID(r.IssuerID)
	for i := range s.Len() {
		ref := proofRef(s, i)
		if s.Cryptosuite(i) == dataintegrity.MLDSA44Merkle2026 {
			key, inclusion, signature := v.di.VerifyBatchProof(ctx, s, i, exp)
			r.add(outcome(CheckMerkle, ref, inclusion))
			if signature == nil {
				signature = checkController(key, issuerDID)
			}
			r.add(outcome(CheckProof, ref, signature))
			if root := s.ProofValue(i).GetStr("merkleRoot"); root != "" && r.BatchRoot == "" {
				r.BatchRoot = root
			}
			continue
		}
		key, err := v.di.VerifyProof(ctx, s, i, exp)
		if err == nil {
			err = checkController(key, issuerDID)
		}
		r.add(outcome(CheckProof, ref, err))
	}
	if d, err := s.Digest(); err == nil {
		r.Digest = d.String()
	}
}

func outcome(name CheckName, ref *ProofRef, err error) Check {
	switch {
	case err == nil:
		return Check{Name: name, Status: Passed, Proof: ref}
	case dataintegrity.Indeterminate(err):
		return Check{Name: name, Status: Unknown, Proof: ref, Reason: err.Error()}
	}
	return Check{Name: name, Status: Failed, Proof: ref, Reason: err.Error()}
}

// checkController makes sure a resolved key is controlled by the issuer (when the resolver says
// who controls it).
func checkController(key *dataintegrity.Key, issuerDID string) error {
	if key != nil && key.Controller != "" && key.Controller != issuerDID {
		return fmt.Errorf("key %s is controlled by %s, not the issuer %s", key.ID, key.Controller, issuerDID)
	}
	return nil
}

func proofRef(s *dataintegrity.Secured, i int) *ProofRef {
	p := s.ProofValue(i)
	ref := &ProofRef{Index: i, Cryptosuite: s.Cryptosuite(i), VerificationMethod: p.GetStr("verificationMethod")}
	if c := p.GetStr("created"); c != "" {
		ref.Created, _ = dataintegrity.ParseTime(c)
	}
	return ref
}

// checkProofSet enforces EduLedger's proof policy: exactly one eddsa-jcs-2022 proof and one
// post-quantum proof, both by keys of the issuer.
func checkProofSet(s *dataintegrity.Secured, issuerID string) error {
	if s.Len() != 2 {
		return fmt.Errorf("the proof set must hold 2 proofs (Ed25519 and ML-DSA-44), it holds %d", s.Len())
	}
	var ed, pq int
	for i := range s.Len() {
		switch s.Cryptosuite(i) {
		case dataintegrity.EdDSAJCS2022:
			ed++
		case dataintegrity.MLDSA44JCS2024, dataintegrity.MLDSA44Merkle2026:
			pq++
		default:
			return fmt.Errorf("proof[%d]: cryptosuite %q is not one EduLedger issues", i, s.Cryptosuite(i))
		}
		vm := s.ProofValue(i).GetStr("verificationMethod")
		org, _, ok := eduledger.ParseKeyDID(vm)
		if !ok || issuerID == "" || org != issuerID {
			return fmt.Errorf("proof[%d]: verification method %q is not a key of the issuer", i, vm)
		}
	}
	if ed != 1 || pq != 1 {
		return errors.New("the proof set must hold one eddsa-jcs-2022 proof and one ML-DSA-44 proof")
	}
	return nil
}

// readEnvelope copies the identifiers and dates a ledger check needs out of the document,
// tolerating whatever shape it has (the schema check reports a bad shape).
func (r *Report) readEnvelope(doc *jsoncanon.Value) {
	r.ID = doc.GetStr("id")
	if iss, ok := doc.Get("issuer"); ok {
		r.IssuerID, _ = eduledger.ParseOrgDID(iss.GetStr("id"))
	}
	if subj, ok := doc.Get("credentialSubject"); ok {
		r.LearnerID, _ = eduledger.ParseLearnerDID(subj.GetStr("id"))
	}
	r.ValidFrom, _ = timeMember(doc, "validFrom")
	r.ValidUntil, _ = timeMember(doc, "validUntil")
}

func (v *Verifier) validity(doc *jsoncanon.Value) Check {
	now := v.opts.now()
	from, err := timeMember(doc, "validFrom")
	if err != nil || from.IsZero() {
		return Check{Name: CheckValidity, Status: Failed, Reason: "validFrom is missing or malformed"}
	}
	until, err := timeMember(doc, "validUntil")
	if err != nil {
		return Check{Name: CheckValidity, Status: Failed, Reason: "validUntil is malformed"}
	}
	if now.Before(from) {
		return Check{Name: CheckValidity, Status: Failed, Reason: "not valid before " + from.UTC().Format(time.RFC3339)}
	}
	if !until.IsZero() && !now.Before(until) {
		return Check{Name: CheckValidity, Status: Failed, Reason: "expired at " + until.UTC().Format(time.RFC3339)}
	}
	return Check{Name: CheckValidity, Status: Passed}
}

// timeMember reads a dateTime member; zero when absent.
func timeMember(doc *jsoncanon.Value, key string) (time.Time, error) {
	raw, ok := doc.Get(key)
	if !ok {
		return time.Time{}, nil
	}
	s, _ := raw.Str()
	return time.Parse(time.RFC3339Nano, s)
}

// checkConsistency checks what a JSON Schema cannot express.
func checkConsistency(t eduledger.CredentialType, doc *jsoncanon.Value) error {
	id := doc.GetStr("id")
	if st, ok := doc.Get("credentialStatus"); ok {
		if cid := st.GetStr("credentialId"); cid != id {
			return fmt.Errorf("credentialStatus.credentialId %q must be the credential's id %q", cid, id)
		}
	}
	from, err1 := timeMember(doc, "validFrom")
	until, err2 := timeMember(doc, "validUntil")
	if err1 == nil && err2 == nil && !until.IsZero() && !until.After(from) {
		return errors.New("validUntil: must be after validFrom")
	}
	subj, _ := doc.Get("credentialSubject")
	start, err1 := timeMember(subj, "activityStartDate")
	end, err2 := timeMember(subj, "activityEndDate")
	if err1 == nil && err2 == nil && !start.IsZero() && !end.IsZero() && end.Before(start) {
		return errors.New("credentialSubject.activityEndDate: must not be before activityStartDate")
	}
	if t == eduledger.TypeIdentityCard {
		lid := subj.GetStr("learnerId")
		if parsed, ok := eduledger.ParseLearnerDID(subj.GetStr("id")); !ok || parsed != lid {
			return fmt.Errorf("credentialSubject.learnerId %q must be the learner named by credentialSubject.id", lid)
		}
	}
	return nil
}

// Digest returns the anchor digest of a signed credential given as JSON: lower-case hex SHA-256 of
// the JCS form of the credential whose "proof" is the array of its proofs without any Merkle batch
// proof (see dataintegrity.Digest, which defines it). It is what the ledger stores for a credential
// anchored alone and the Merkle leaf of one issued in a batch.
func Digest(data []byte) (string, error) {
	doc, err := jsoncanon.ParseObjectValue(data, jsoncanon.Limits{MaxBytes: DefaultMaxBytes, MaxDepth: DefaultMaxDepth})
	if err != nil {
		return "", eduledger.Errorf(eduledger.EINVALID, "credential: %w", err)
	}
	s, err := dataintegrity.NewSecuredValue(doc)
	if err != nil {
		return "", err
	}
	d, err := s.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// Parse reads a credential strictly (size and depth limits, no duplicate keys) and decodes it. It
// checks form only; use a Verifier to check a credential.
func Parse(data []byte) (*Credential, error) {
	if _, err := jsoncanon.ParseObjectValue(data, jsoncanon.Limits{MaxBytes: DefaultMaxBytes, MaxDepth: DefaultMaxDepth}); err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "credential: %w", err)
	}
	var c Credential
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "credential: %w", err)
	}
	return &c, nil
}
