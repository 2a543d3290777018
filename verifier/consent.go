package verifier

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/holder"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// A learner's archive and credit statement are on the shared ledger, readable by every channel
// member, but a verifier open to anyone must not show them to anyone: it shows them only to whoever
// holds the learner's consent. A consent is a small JSON document the learner signs with the key on
// their education identity card (the holder key the ledger lists for them), naming what it lets a
// verifier show (its scope: the archive, the statement or both), the one verifier it is for (its
// domain), and a validity window of at most MaxConsentLifetime. Whoever presents it to that
// verifier within the window sees what it names; nobody else, nowhere else, and nothing more.

// ConsentType is the type of a learner's consent document.
const ConsentType = "EduLedgerConsent"

// Scope names what a consent lets a verifier show.
type Scope string

// Scopes.
const (
	// ScopeArchive is the learner's lifelong archive: learning records and credentials, in the
	// order of the outcomes.
	ScopeArchive Scope = "archive"
	// ScopeStatement is the learner's credit statement: balances by field and level.
	ScopeStatement Scope = "statement"
)

// Scopes lists every scope, in a fixed order.
var Scopes = []Scope{ScopeArchive, ScopeStatement}

// Consent limits.
const (
	// MaxConsentBytes bounds a consent document.
	MaxConsentBytes = 16 << 10
	// DefaultConsentLifetime is how long a consent lasts when the learner does not say.
	DefaultConsentLifetime = 7 * 24 * time.Hour
	// MaxConsentLifetime bounds a consent's validity window: there is no way to withdraw a consent
	// early (a learner who changes their mind replaces their holder key), so none lasts long.
	MaxConsentLifetime = 90 * 24 * time.Hour
	// MaxConsentPurpose bounds the purpose, in characters.
	MaxConsentPurpose = 200
)

// consentSkew tolerates a learner's clock slightly ahead of the verifier's.
const consentSkew = 5 * time.Minute

// ConsentRequest is what a learner consents to: a verifier at Domain may show Scopes of their
// records between ValidFrom (zero: now) and ValidUntil (zero: DefaultConsentLifetime later).
// Purpose is free text the verifier shows beside the data ("application for the network engineer
// position"); it is signed, so the verifier cannot change it.
type ConsentRequest struct {
	LearnerID  string
	Scopes     []Scope
	Domain     string
	ValidFrom  time.Time
	ValidUntil time.Time
	Purpose    string
}

// Consent is a consent document's content, as the verifier checked it.
type Consent struct {
	ID         string    `json:"id"`
	LearnerID  string    `json:"learnerId"`
	Scopes     []Scope   `json:"scope"`
	Domain     string    `json:"domain"`
	ValidFrom  time.Time `json:"validFrom"`
	ValidUntil time.Time `json:"validUntil"`
	Purpose    string    `json:"purpose,omitempty"`
	// Signed is when the learner signed it; Key the holder key (Multikey) that did.
	Signed time.Time `json:"signed"`
	Key    string    `json:"key"`
}

// Allows reports whether the consent covers scope.
func (c *Consent) Allows(scope Scope) bool { return slices.Contains(c.Scopes, scope) }

// SignConsent writes a consent document for req, signed by the learner with signer — the holder's
// signer of req.LearnerID (holder.NewSigner) — at now. The proof is an eddsa-jcs-2022
// authentication proof bound to the domain and expiring with the consent, so that a standard Data
// Integrity verifier reads the same limits. Errors: INVALID for a signer of another learner or
// key kind, a malformed domain, unknown or repeated scopes, a window that is empty or longer than
// MaxConsentLifetime, or a purpose too long.
func SignConsent(signer dataintegrity.Signer, req ConsentRequest, now time.Time) ([]byte, error) {
	if signer == nil || signer.Kind() != multikey.Ed25519 ||
		signer.VerificationMethod() != holder.VerificationMethod(req.LearnerID, signer.PublicKeyMultibase()) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "a consent is signed with the holder key of learner %q (holder.NewSigner)", req.LearnerID)
	}
	if req.ValidFrom.IsZero() {
		req.ValidFrom = now
	}
	if req.ValidUntil.IsZero() {
		req.ValidUntil = req.ValidFrom.Add(DefaultConsentLifetime)
	}
	from, until := req.ValidFrom.UTC().Truncate(time.Second), req.ValidUntil.UTC().Truncate(time.Second)
	if err := checkConsentClaims(req.LearnerID, req.Scopes, req.Domain, from, until, req.Purpose); err != nil {
		return nil, err
	}
	id, err := credential.NewID()
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINTERNAL, "consent id: %w", err)
	}
	scopes := make([]any, len(req.Scopes))
	for i, s := range req.Scopes {
		scopes[i] = string(s)
	}
	doc := map[string]any{
		"@context":   []any{credential.ContextV2},
		"type":       []any{ConsentType},
		"id":         id,
		"learner":    eduledger.LearnerDID(req.LearnerID),
		"scope":      scopes,
		"domain":     req.Domain,
		"validFrom":  dataintegrity.FormatTime(from),
		"validUntil": dataintegrity.FormatTime(until),
	}
	if req.Purpose != "" {
		doc["purpose"] = req.Purpose
	}
	prepared, err := dataintegrity.Prepare(doc)
	if err != nil {
		return nil, err
	}
	proof, err := prepared.CreateProof(dataintegrity.EdDSAJCS2022, signer, dataintegrity.Options{
		Created: now, Expires: until, Purpose: dataintegrity.PurposeAuthentication, Domain: req.Domain})
	if err != nil {
		return nil, err
	}
	return jsoncanon.Append(nil, dataintegrity.Secure(doc, proof))
}

// checkConsentClaims checks what a consent says, signed or about to be.
func checkConsentClaims(learnerID string, scopes []Scope, domain string, from, until time.Time, purpose string) error {
	switch {
	case !eduledger.ValidLocalID(learnerID):
		return eduledger.Errorf(eduledger.EINVALID, "consent: learner %.70q is not a learner ID", learnerID)
	case len(scopes) == 0 || len(scopes) > len(Scopes):
		return eduledger.Errorf(eduledger.EINVALID, "consent: scope must name %s, %s or both", ScopeArchive, ScopeStatement)
	case !validDomain(domain):
		return eduledger.Errorf(eduledger.EINVALID, "consent: domain %.70q must be the verifier's host name (and port), such as verify.example.edu.cn", domain)
	case !until.After(from):
		return eduledger.Errorf(eduledger.EINVALID, "consent: validUntil must be after validFrom")
	case until.Sub(from) > MaxConsentLifetime:
		return eduledger.Errorf(eduledger.EINVALID, "consent: a consent lasts at most %d days", int(MaxConsentLifetime/(24*time.Hour)))
	case !utf8.ValidString(purpose) || utf8.RuneCountInString(purpose) > MaxConsentPurpose || strings.ContainsAny(purpose, "\x00\r\n"):
		return eduledger.Errorf(eduledger.EINVALID, "consent: purpose must be one line of at most %d characters", MaxConsentPurpose)
	}
	for i, s := range scopes {
		if !slices.Contains(Scopes, s) {
			return eduledger.Errorf(eduledger.EINVALID, "consent: scope %.40q is neither %s nor %s", string(s), ScopeArchive, ScopeStatement)
		}
		if slices.Contains(scopes[:i], s) {
			return eduledger.Errorf(eduledger.EINVALID, "consent: scope %s is named twice", s)
		}
	}
	return nil
}

// validDomain accepts a host name or address with an optional port, as a URL's host is written.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}

// consentMembers are the members a consent document may have.
var consentMembers = []string{"@context", "type", "id", "learner", "scope", "domain", "validFrom", "validUntil", "purpose", "proof"}

// ParseConsent reads a consent document and checks its form — members, types, times, scope — but
// not its signature, its domain or whether it is valid now: CheckConsent does. Errors: INVALID,
// naming what is wrong.
func ParseConsent(data []byte) (*Consent, error) {
	c, _, err := parseConsent(data)
	return c, err
}

func parseConsent(data []byte) (*Consent, map[string]any, error) {
	bad := func(format string, args ...any) error {
		return eduledger.Errorf(eduledger.EINVALID, "consent: "+format, args...)
	}
	if len(data) > MaxConsentBytes {
		return nil, nil, bad("a consent is at most %d bytes; this one has %d", MaxConsentBytes, len(data))
	}
	doc, err := jsoncanon.ParseObject(data, jsoncanon.Limits{MaxBytes: MaxConsentBytes, MaxDepth: 6})
	if err != nil {
		return nil, nil, bad("not acceptable JSON: %v", err)
	}
	for k := range doc {
		if !slices.Contains(consentMembers, k) {
			return nil, nil, bad("unknown member %.40q", k)
		}
	}
	str := func(k string) string { s, _ := doc[k].(string); return s }
	if ctx, _ := doc["@context"].([]any); len(ctx) != 1 || ctx[0] != credential.ContextV2 {
		return nil, nil, bad("@context must be [%q]", credential.ContextV2)
	}
	if t, _ := doc["type"].([]any); len(t) != 1 || t[0] != ConsentType {
		return nil, nil, bad("type must be [%q]; this is not a learner's consent", ConsentType)
	}
	c := &Consent{ID: str("id"), Domain: str("domain"), Purpose: str("purpose")}
	if !eduledger.ValidCredentialID(c.ID) {
		return nil, nil, bad("id must be a URN such as urn:uuid:…")
	}
	var ok bool
	if c.LearnerID, ok = eduledger.ParseLearnerDID(str("learner")); !ok {
		return nil, nil, bad("learner must be did:eduledger:learner:<learnerID>")
	}
	list, isList := doc["scope"].([]any)
	if !isList {
		return nil, nil, bad("scope must be a list of %s and/or %s", ScopeArchive, ScopeStatement)
	}
	for _, s := range list {
		name, _ := s.(string)
		c.Scopes = append(c.Scopes, Scope(name))
	}
	for _, k := range []string{"validFrom", "validUntil"} {
		t, err := time.Parse(time.RFC3339, str(k))
		if err != nil {
			return nil, nil, bad("%s must be an RFC 3339 time with a time zone", k)
		}
		if k == "validFrom" {
			c.ValidFrom = t.UTC()
		} else {
			c.ValidUntil = t.UTC()
		}
	}
	if p, has := doc["purpose"]; has {
		if _, isStr := p.(string); !isStr || c.Purpose == "" {
			return nil, nil, bad("purpose must be a non-empty string when present")
		}
	}
	if err := checkConsentClaims(c.LearnerID, c.Scopes, c.Domain, c.ValidFrom, c.ValidUntil, c.Purpose); err != nil {
		return nil, nil, err
	}
	return c, doc, nil
}

// CheckConsent decides whether a consent document lets this verifier show scope now. It checks, in
// order: the document's form; that its one proof is an eddsa-jcs-2022 authentication proof by a
// key of the learner it names, bound to its domain and expiring with it, and that the signature
// holds (so nothing in it was changed); that it is for this verifier's domain, valid now and
// covers scope; and that the ledger lists the signing key among the holder keys of the learner,
// whose education identity is ACTIVE. Errors: INVALID for a malformed document; FORBIDDEN for a
// consent that does not verify, is another verifier's, not valid now, of another scope or signed
// by a key the ledger does not list for the learner; NOT_FOUND for a learner the ledger does not
// know; UNAVAILABLE when the ledger cannot be asked.
func (v *Verifier) CheckConsent(ctx context.Context, data []byte, scope Scope) (*Consent, error) {
	c, doc, err := parseConsent(data)
	if err != nil {
		return nil, err
	}
	forbidden := func(format string, args ...any) (*Consent, error) {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "consent: "+format, args...)
	}
	if err := verifyConsentProof(ctx, doc, c); err != nil {
		return forbidden("the learner's signature does not verify: %v", err)
	}
	now := v.o.now()
	switch {
	case v.o.domain == "":
		return forbidden("this verifier has no domain configured, so it accepts no consents")
	case c.Domain != v.o.domain:
		return forbidden("the learner consented to show their records at %s, not at this verifier (%s)", c.Domain, v.o.domain)
	case now.Before(c.ValidFrom.Add(-consentSkew)):
		return forbidden("the consent is valid only from %s", instant(c.ValidFrom))
	case !now.Before(c.ValidUntil):
		return forbidden("the consent expired at %s; ask the learner for a new one", instant(c.ValidUntil))
	case !c.Allows(scope):
		return forbidden("the learner consented to show their %s, not their %s", scopeList(c.Scopes), scope)
	}
	l, err := v.view.learner(ctx, c.LearnerID)
	switch {
	case eduledger.ErrorCode(err) == eduledger.ENOTFOUND:
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "consent: learner %s is not registered on the ledger", c.LearnerID)
	case err != nil:
		return nil, err
	case l.Status != eduledger.LearnerActive:
		return forbidden("learner %s's education identity is %s on the ledger", c.LearnerID, strings.ToLower(string(l.Status)))
	case !slices.Contains(l.HolderKeys, c.Key):
		return forbidden("the key that signed is not a holder key the ledger lists for learner %s", c.LearnerID)
	}
	return c, nil
}

// verifyConsentProof checks the consent's one proof and fills in who signed it and when.
func verifyConsentProof(ctx context.Context, doc map[string]any, c *Consent) error {
	s, err := dataintegrity.NewSecured(doc)
	if err != nil {
		return err
	}
	if s.Len() != 1 || s.Cryptosuite(0) != dataintegrity.EdDSAJCS2022 {
		return fmt.Errorf("a consent carries one eddsa-jcs-2022 proof")
	}
	p := s.Proof(0)
	vm, _ := p["verificationMethod"].(string)
	did, key, _ := strings.Cut(vm, "#")
	if did != eduledger.LearnerDID(c.LearnerID) || key == "" {
		return fmt.Errorf("it is signed by %.120q, not by a key of learner %s", vm, c.LearnerID)
	}
	if kind, _, err := multikey.Decode(key); err != nil || kind != multikey.Ed25519 {
		return fmt.Errorf("the signing key %.80q is not an Ed25519 Multikey", key)
	}
	// The proof's own limits must be the document's, so that a Data Integrity verifier that reads
	// only the proof sees the same domain and end.
	if d, _ := p["domain"].(string); d != c.Domain {
		return fmt.Errorf("the proof is bound to domain %.70q, the document to %s", d, c.Domain)
	}
	exp, _ := p["expires"].(string)
	if t, err := dataintegrity.ParseTime(exp); err != nil || !t.Equal(c.ValidUntil) {
		return fmt.Errorf("the proof must expire when the consent does")
	}
	created, _ := p["created"].(string)
	if c.Signed, err = dataintegrity.ParseTime(created); err != nil {
		return fmt.Errorf("the proof must say when it was signed")
	}
	c.Signed = c.Signed.UTC()
	dv, err := dataintegrity.NewVerifier(dataintegrity.StaticKeys{vm: {ID: vm, Controller: did, PublicKeyMultibase: key}})
	if err != nil {
		return err
	}
	// Validity against the verifier's clock is decided from the document's own times (with
	// specific reasons); here the proof is checked as of the last second of the consent, which
	// also requires it to have been made before the consent ends.
	if _, err := dv.VerifyProof(ctx, s, 0, dataintegrity.Expect{Purpose: dataintegrity.PurposeAuthentication,
		Domain: c.Domain, Now: c.ValidUntil.Add(-time.Second)}); err != nil {
		return err
	}
	c.Key = key
	return nil
}

func scopeList(scopes []Scope) string {
	s := make([]string, len(scopes))
	for i, x := range scopes {
		s[i] = string(x)
	}
	return strings.Join(s, " and ")
}
