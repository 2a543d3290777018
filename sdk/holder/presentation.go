package holder

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// Presentation limits.
const (
	// MaxPresentationBytes bounds a presentation a verifier parses.
	MaxPresentationBytes = 4 << 20
	// MaxCredentials bounds the credentials in one presentation.
	MaxCredentials = 32
	// DefaultProofLifetime is how long a presentation proof is valid after it is made.
	DefaultProofLifetime = 5 * time.Minute
)

// NewChallenge returns a fresh random challenge (nonce) for a presentation request.
func NewChallenge() (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Present builds a verifiable presentation of the given credentials (the identity card among
// them) by the holder, signed with an eddsa-jcs-2022 authentication proof over the verifier's
// challenge and domain, valid for DefaultProofLifetime from now. signer is the holder's signer
// (NewSigner). Errors: INVALID for a missing challenge or domain, unparsable credentials or too
// many of them.
func Present(signer dataintegrity.Signer, credentials [][]byte, challenge, domain string, now time.Time) ([]byte, error) {
	if challenge == "" || domain == "" {
		return nil, eduledger.Errorf(eduledger.EINVALID, "a presentation needs the verifier's challenge and domain")
	}
	if len(credentials) == 0 || len(credentials) > MaxCredentials {
		return nil, eduledger.Errorf(eduledger.EINVALID, "a presentation holds 1 to %d credentials", MaxCredentials)
	}
	holderDID, _, _ := cutFragment(signer.VerificationMethod())
	vcs := make([]any, len(credentials))
	for i, c := range credentials {
		doc, err := jsoncanon.ParseObject(c, jsoncanon.Limits{})
		if err != nil {
			return nil, eduledger.Errorf(eduledger.EINVALID, "credentials[%d]: %w", i, err)
		}
		vcs[i] = doc
	}
	vp := map[string]any{
		"@context":             []any{credential.ContextV2},
		"type":                 []any{"VerifiablePresentation"},
		"holder":               holderDID,
		"verifiableCredential": vcs,
	}
	doc, err := dataintegrity.Prepare(vp)
	if err != nil {
		return nil, err
	}
	proof, err := doc.CreateProof(dataintegrity.EdDSAJCS2022, signer, dataintegrity.Options{
		Created: now, Expires: now.Add(DefaultProofLifetime), Purpose: dataintegrity.PurposeAuthentication,
		Challenge: challenge, Domain: domain})
	if err != nil {
		return nil, err
	}
	return jsoncanon.Append(nil, dataintegrity.Secure(vp, proof))
}

func cutFragment(vm string) (string, string, bool) {
	for i := len(vm) - 1; i >= 0; i-- {
		if vm[i] == '#' {
			return vm[:i], vm[i+1:], true
		}
	}
	return vm, "", false
}

// Presentation check names.
const (
	// CheckPresentation: the presentation parses, within limits, with a holder and credentials.
	CheckPresentation credential.CheckName = "presentation"
	// CheckIdentityCard: exactly one identity card, which verifies, whose subject is the holder.
	CheckIdentityCard credential.CheckName = "identityCard"
	// CheckHolderProof: the presentation proof is by the card's key, over this verifier's
	// challenge and domain, fresh and not expired.
	CheckHolderProof credential.CheckName = "holderProof"
	// CheckCredentials: every other credential verifies and is about the holder.
	CheckCredentials credential.CheckName = "credentials"
)

// PresentationReport is the outcome of verifying a presentation.
type PresentationReport struct {
	Verified bool               `json:"verified"`
	Checks   []credential.Check `json:"checks"`
	// LearnerID is the holder the presentation claims.
	LearnerID string `json:"learnerId,omitempty"`
	// Card is the identity card's report; Credentials the reports of the others, in order.
	Card        *credential.Report   `json:"card,omitempty"`
	Credentials []*credential.Report `json:"credentials,omitempty"`
}

func (r *PresentationReport) add(name credential.CheckName, err error) {
	c := credential.Check{Name: name, Status: credential.Passed}
	var unknown *unknownErr
	switch {
	case err == nil:
	case dataintegrity.Indeterminate(err) || errors.As(err, &unknown):
		c.Status, c.Reason = credential.Unknown, err.Error()
	default:
		c.Status, c.Reason = credential.Failed, err.Error()
	}
	r.Checks = append(r.Checks, c)
}

// Verifier verifies presentations offline: the credentials with a credential.Verifier, the holder
// proof against the key on the identity card. It is safe for concurrent use.
type Verifier struct {
	creds *credential.Verifier
	now   func() time.Time
}

// NewVerifier returns a presentation verifier checking credentials with creds. now (nil: the
// system clock) dates the verification.
func NewVerifier(creds *credential.Verifier, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{creds: creds, now: now}
}

// Verify checks a presentation answering this verifier's challenge for domain. It never fails;
// the report says which checks did not pass and why.
func (v *Verifier) Verify(ctx context.Context, data []byte, challenge, domain string) *PresentationReport {
	r := &PresentationReport{}
	doc, err := jsoncanon.ParseObject(data, jsoncanon.Limits{MaxBytes: MaxPresentationBytes, MaxDepth: credential.DefaultMaxDepth + 2})
	var vcs []any
	var holderDID string
	if err == nil {
		holderDID, vcs, err = readPresentation(doc)
	}
	if err != nil {
		r.add(CheckPresentation, err)
		r.skip(CheckIdentityCard, CheckHolderProof, CheckCredentials)
		return r
	}
	r.LearnerID, _ = eduledger.ParseLearnerDID(holderDID)
	r.add(CheckPresentation, nil)

	// The identity card, and the key it vouches for.
	var cardKey string
	cardIndex := -1
	for i, vc := range vcs {
		m, _ := vc.(map[string]any)
		if isCard(m) {
			if cardIndex >= 0 {
				cardIndex = -2
				break
			}
			cardIndex = i
		}
	}
	switch {
	case cardIndex == -1:
		r.add(CheckIdentityCard, fmt.Errorf("the presentation holds no identity card"))
	case cardIndex == -2:
		r.add(CheckIdentityCard, fmt.Errorf("the presentation holds more than one identity card"))
	default:
		card := vcs[cardIndex].(map[string]any)
		r.Card = v.creds.VerifyDocument(ctx, card)
		cardKey = subjectString(card, "publicKeyMultibase")
		r.add(CheckIdentityCard, cardOutcome(r.Card, holderDID))
	}

	// The holder's proof.
	r.add(CheckHolderProof, v.verifyHolderProof(ctx, doc, holderDID, cardKey, challenge, domain))

	// The other credentials.
	var credErr error
	for i, vc := range vcs {
		if i == cardIndex {
			continue
		}
		m, _ := vc.(map[string]any)
		rep := v.creds.VerifyDocument(ctx, m)
		r.Credentials = append(r.Credentials, rep)
		if credErr != nil {
			continue
		}
		switch {
		case !rep.Verified:
			failed := rep.Failed()
			credErr = fmt.Errorf("verifiableCredential[%d] does not verify: %s %s", i, failed[0].Name, failed[0].Reason)
			if failed[0].Status == credential.Unknown {
				credErr = &unknownErr{credErr}
			}
		case eduledger.LearnerDID(rep.LearnerID) != holderDID:
			credErr = fmt.Errorf("verifiableCredential[%d] is about another learner", i)
		}
	}
	r.add(CheckCredentials, credErr)

	r.Verified = true
	for _, c := range r.Checks {
		if c.Status != credential.Passed {
			r.Verified = false
		}
	}
	return r
}

type unknownErr struct{ error }

func (r *PresentationReport) skip(names ...credential.CheckName) {
	for _, n := range names {
		r.Checks = append(r.Checks, credential.Check{Name: n, Status: credential.Skipped})
	}
}

func readPresentation(doc map[string]any) (string, []any, error) {
	types, _ := doc["type"].([]any)
	if len(types) != 1 || types[0] != "VerifiablePresentation" {
		return "", nil, fmt.Errorf("type must be [\"VerifiablePresentation\"]")
	}
	holder, _ := doc["holder"].(string)
	if _, ok := eduledger.ParseLearnerDID(holder); !ok {
		return "", nil, fmt.Errorf("holder must be did:eduledger:learner:<learnerID>")
	}
	vcs, _ := doc["verifiableCredential"].([]any)
	if len(vcs) == 0 || len(vcs) > MaxCredentials {
		return "", nil, fmt.Errorf("verifiableCredential must hold 1 to %d credentials", MaxCredentials)
	}
	for i, vc := range vcs {
		if _, ok := vc.(map[string]any); !ok {
			return "", nil, fmt.Errorf("verifiableCredential[%d] must be an object", i)
		}
	}
	return holder, vcs, nil
}

func isCard(m map[string]any) bool {
	types, _ := m["type"].([]any)
	for _, t := range types {
		if t == credential.TypeName(eduledger.TypeIdentityCard) {
			return true
		}
	}
	return false
}

func subjectString(doc map[string]any, key string) string {
	subj, _ := doc["credentialSubject"].(map[string]any)
	s, _ := subj[key].(string)
	return s
}

// cardOutcome says whether a verified card vouches for the holder.
func cardOutcome(rep *credential.Report, holderDID string) error {
	if !rep.Verified {
		failed := rep.Failed()
		err := fmt.Errorf("the identity card does not verify: %s: %s", failed[0].Name, failed[0].Reason)
		if failed[0].Status == credential.Unknown {
			return &unknownErr{err}
		}
		return err
	}
	if eduledger.LearnerDID(rep.LearnerID) != holderDID {
		return fmt.Errorf("the identity card belongs to another learner")
	}
	return nil
}

func (v *Verifier) verifyHolderProof(ctx context.Context, doc map[string]any, holderDID, cardKey, challenge, domain string) error {
	if challenge == "" || domain == "" {
		return fmt.Errorf("the verifier must give its challenge and domain")
	}
	s, err := dataintegrity.NewSecured(doc)
	if err != nil {
		return err
	}
	if s.Len() != 1 || s.Cryptosuite(0) != dataintegrity.EdDSAJCS2022 {
		return fmt.Errorf("the presentation must carry one eddsa-jcs-2022 proof")
	}
	vm, _ := s.Proof(0)["verificationMethod"].(string)
	keys, ok := holderKey(vm, holderDID, cardKey)
	if !ok {
		return fmt.Errorf("the proof's verification method %q is not the key on the holder's identity card", vm)
	}
	dv, err := dataintegrity.NewVerifier(keys)
	if err != nil {
		return err
	}
	now := v.now()
	if _, err := dv.VerifyProof(ctx, s, 0, dataintegrity.Expect{Purpose: dataintegrity.PurposeAuthentication,
		Challenge: challenge, Domain: domain, Now: now}); err != nil {
		return err
	}
	// The holder chooses "expires"; the verifier still refuses an old proof, so that a captured
	// presentation cannot be replayed for long even against a reused challenge.
	p := s.Proof(0)
	if _, ok := p["expires"]; !ok {
		return fmt.Errorf("the presentation proof must expire")
	}
	c, _ := p["created"].(string)
	t, err := dataintegrity.ParseTime(c)
	if err != nil {
		return fmt.Errorf("the presentation proof must say when it was created")
	}
	if now.Sub(t) > DefaultProofLifetime+time.Minute {
		return fmt.Errorf("the presentation proof is older than %s", DefaultProofLifetime)
	}
	return nil
}
