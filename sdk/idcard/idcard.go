// Package idcard gives the education identity card (教育信息身份证) the forms it takes outside a
// wallet: the data a printed card shows (Card, read from a verified identity-card credential), and
// a compact token signed by the issuer that fits a QR code and a verification link.
//
// A QR code cannot hold the full credential (its ML-DSA-44 proof alone is 2,420 bytes). The token
// carries what a verifier at a desk needs — card ID, issuer and key, learner, roles, the holder's
// Ed25519 key, the portrait's SHA-256, validity, and the anchor digest of the full credential — as
// canonical JSON signed with the issuer's Ed25519 key, encoded in Base45 (RFC 9285) so that a QR
// code can use its dense alphanumeric mode. Offline, a verifier checks the signature; online, it
// looks the card up on the ledger by ID and compares the digest and the status.
package idcard

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// Card is what a printed identity card shows, read from a verified credential.
type Card struct {
	CredentialID string
	Title        credential.Text
	LearnerID    string
	Roles        []eduledger.LearnerRole
	IssuerID     string
	IssuerName   credential.Text
	ValidFrom    time.Time
	ValidUntil   time.Time
	// PortraitHash is the lower-case hex SHA-256 of the portrait's bytes; the renderer checks the
	// photo it prints against it.
	PortraitHash string
	// HolderKey and KeyAgreement are the holder's Ed25519 and X25519 Multikeys.
	HolderKey    string
	KeyAgreement string
	// Digest is the credential's anchor digest.
	Digest string
}

// FromReport reads the card from the report of a verified identity-card credential. Errors:
// INVALID when the credential did not verify or is not an identity card.
func FromReport(rep *credential.Report) (*Card, error) {
	if rep == nil || !rep.Verified {
		return nil, eduledger.Errorf(eduledger.EINVALID, "the identity card did not verify")
	}
	if rep.Type != eduledger.TypeIdentityCard {
		return nil, eduledger.Errorf(eduledger.EINVALID, "a %s is not an identity card", rep.Type)
	}
	c, err := rep.Credential()
	if err != nil {
		return nil, err
	}
	return &Card{CredentialID: c.ID, Title: c.Name, LearnerID: c.Subject.LearnerID, Roles: c.Subject.Roles,
		IssuerID: rep.IssuerID, IssuerName: c.Issuer.Name, ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil,
		PortraitHash: c.Subject.PortraitHash, HolderKey: c.Subject.PublicKeyMultibase,
		KeyAgreement: c.Subject.KeyAgreementMultibase, Digest: rep.Digest}, nil
}

// Token is the compact, signed form of a card.
type Token struct {
	CredentialID string
	IssuerID     string
	KeyID        string
	LearnerID    string
	Roles        []eduledger.LearnerRole
	HolderKey    string
	PortraitHash string // lower-case hex, "" if none
	ValidFrom    time.Time
	ValidUntil   time.Time
	Issued       time.Time
	Digest       string // lower-case hex

	payload   []byte
	signature []byte
}

// Prefix starts every token; its digit is the format version.
const Prefix = "EDU1:"

// signingContext separates token signatures from every other use of the issuer's key.
const signingContext = "eduledger/card-token/v1\x00"

// MaxTokenLength bounds the tokens Parse reads.
const MaxTokenLength = 2048

type claims struct {
	V     int      `json:"v"`
	ID    string   `json:"id"`
	Iss   string   `json:"iss"`
	Kid   string   `json:"kid"`
	Sub   string   `json:"sub"`
	Roles []string `json:"roles"`
	HK    string   `json:"hk"`
	PH    string   `json:"ph,omitempty"`
	NBF   int64    `json:"nbf"`
	Exp   int64    `json:"exp"`
	Iat   int64    `json:"iat"`
	DG    string   `json:"dg"`
}

// Compact signs a card's token with the issuer's Ed25519 signer (a key of the card's issuer) and
// returns it as text for a QR code. Errors: INVALID for a signer of another kind or organisation,
// or an incomplete card.
func Compact(card *Card, signer dataintegrity.Signer, now time.Time) (string, error) {
	org, kid, ok := eduledger.ParseKeyDID(signer.VerificationMethod())
	if !ok || org != card.IssuerID || signer.Kind() != multikey.Ed25519 {
		return "", eduledger.Errorf(eduledger.EINVALID, "the token is signed with an Ed25519 key of the card's issuer")
	}
	if card.CredentialID == "" || card.LearnerID == "" || card.HolderKey == "" || card.ValidUntil.IsZero() || !eduledger.ValidDigest(card.Digest) {
		return "", eduledger.Errorf(eduledger.EINVALID, "the card lacks its id, learner, holder key, expiry or digest")
	}
	c := claims{V: 1, ID: card.CredentialID, Iss: org, Kid: kid, Sub: card.LearnerID, HK: card.HolderKey,
		NBF: card.ValidFrom.Unix(), Exp: card.ValidUntil.Unix(), Iat: now.Unix(), DG: b64hex(card.Digest)}
	for _, r := range card.Roles {
		c.Roles = append(c.Roles, string(r))
	}
	if card.PortraitHash != "" {
		if !eduledger.ValidDigest(card.PortraitHash) {
			return "", eduledger.Errorf(eduledger.EINVALID, "portrait hash must be lower-case hex SHA-256")
		}
		c.PH = b64hex(card.PortraitHash)
	}
	b, _ := json.Marshal(c)
	payload, err := jsoncanon.Canonicalize(b)
	if err != nil {
		return "", err
	}
	sig, err := signer.Sign(append([]byte(signingContext), payload...))
	if err != nil {
		return "", err
	}
	return Prefix + EncodeBase45(append(payload, sig...)), nil
}

func b64hex(h string) string {
	raw, _ := hex.DecodeString(h)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func hexb64(s string) (string, bool) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) != 32 {
		return "", false
	}
	return hex.EncodeToString(raw), true
}

// Parse reads a token (as scanned from a QR code) without checking its signature. Errors: INVALID,
// saying what is wrong.
func Parse(s string) (*Token, error) {
	if len(s) > MaxTokenLength {
		return nil, eduledger.Errorf(eduledger.EINVALID, "token longer than %d characters", MaxTokenLength)
	}
	body, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		return nil, eduledger.Errorf(eduledger.EINVALID, "token must start with %q", Prefix)
	}
	raw, err := DecodeBase45(body)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "token: %w", err)
	}
	return parseRaw(raw)
}

func parseRaw(raw []byte) (*Token, error) {
	if len(raw) <= ed25519.SignatureSize {
		return nil, eduledger.Errorf(eduledger.EINVALID, "token too short")
	}
	payload, sig := raw[:len(raw)-ed25519.SignatureSize], raw[len(raw)-ed25519.SignatureSize:]
	doc, err := jsoncanon.ParseObject(payload, jsoncanon.Limits{MaxBytes: MaxTokenLength, MaxDepth: 3})
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "token: %w", err)
	}
	// One spelling per token: the payload must be canonical.
	if canon, err := jsoncanon.Append(nil, doc); err != nil || string(canon) != string(payload) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "token payload is not canonical JSON")
	}
	var c claims
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "token: %w", err)
	}
	t := &Token{CredentialID: c.ID, IssuerID: c.Iss, KeyID: c.Kid, LearnerID: c.Sub, HolderKey: c.HK,
		ValidFrom: time.Unix(c.NBF, 0).UTC(), ValidUntil: time.Unix(c.Exp, 0).UTC(), Issued: time.Unix(c.Iat, 0).UTC(),
		payload: payload, signature: sig}
	var ok bool
	switch {
	case c.V != 1:
		return nil, eduledger.Errorf(eduledger.EINVALID, "token version %d is not supported", c.V)
	case !eduledger.ValidCredentialID(c.ID):
		return nil, eduledger.Errorf(eduledger.EINVALID, "token: id is malformed")
	case !eduledger.ValidOrgID(c.Iss) || !eduledger.ValidLocalID(c.Kid) || !eduledger.ValidLocalID(c.Sub):
		return nil, eduledger.Errorf(eduledger.EINVALID, "token: iss, kid or sub is malformed")
	case eduledger.ValidateRoles(toRoles(c.Roles)) != nil:
		return nil, eduledger.Errorf(eduledger.EINVALID, "token: roles are malformed")
	case c.Exp <= c.NBF:
		return nil, eduledger.Errorf(eduledger.EINVALID, "token: exp must be after nbf")
	}
	if kind, _, err := multikey.Decode(c.HK); err != nil || kind != multikey.Ed25519 {
		return nil, eduledger.Errorf(eduledger.EINVALID, "token: hk must be an Ed25519 Multikey")
	}
	t.Roles = toRoles(c.Roles)
	if t.Digest, ok = hexb64(c.DG); !ok {
		return nil, eduledger.Errorf(eduledger.EINVALID, "token: dg must be a base64url SHA-256")
	}
	if c.PH != "" {
		if t.PortraitHash, ok = hexb64(c.PH); !ok {
			return nil, eduledger.Errorf(eduledger.EINVALID, "token: ph must be a base64url SHA-256")
		}
	}
	return t, nil
}

func toRoles(rs []string) []eduledger.LearnerRole {
	out := make([]eduledger.LearnerRole, len(rs))
	for i, r := range rs {
		out[i] = eduledger.LearnerRole(r)
	}
	return out
}

// Verify checks the token's signature with the issuer key it names, which must have been valid
// when the token was issued, and that the card is within its validity at now. It does not consult
// the ledger: the verifier service then looks up the card's status and anchored digest by
// CredentialID. Errors: FORBIDDEN for a bad signature, an invalid key or an expired card;
// UNAVAILABLE when the key cannot be resolved for a reason other than not existing (NOT_FOUND).
func (t *Token) Verify(ctx context.Context, keys dataintegrity.KeyResolver, now time.Time) error {
	vm := eduledger.KeyDID(t.IssuerID, t.KeyID)
	key, err := keys.ResolveKey(ctx, vm)
	if err != nil {
		if eduledger.ErrorCode(err) == eduledger.ENOTFOUND {
			return err
		}
		return eduledger.Errorf(eduledger.EUNAVAILABLE, "resolve %s: %w", vm, err)
	}
	kind, raw, err := multikey.Decode(key.PublicKeyMultibase)
	if err != nil || kind != multikey.Ed25519 {
		return eduledger.Errorf(eduledger.EFORBIDDEN, "%s is not an Ed25519 key", vm)
	}
	if !key.ValidAt(t.Issued) {
		return eduledger.Errorf(eduledger.EFORBIDDEN, "key %s was not valid when the token was issued", vm)
	}
	if !ed25519.Verify(ed25519.PublicKey(raw), append([]byte(signingContext), t.payload...), t.signature) {
		return eduledger.Errorf(eduledger.EFORBIDDEN, "token signature does not verify")
	}
	if now.Before(t.ValidFrom) || !now.Before(t.ValidUntil) {
		return eduledger.Errorf(eduledger.EFORBIDDEN, "the card is valid from %s until %s", t.ValidFrom.Format(time.DateOnly), t.ValidUntil.Format(time.DateOnly))
	}
	return nil
}

// LinkParam is the query parameter of a verification link that carries the token.
const LinkParam = "card"

// Link returns the card's verification link in the verifier service's format (see
// verifier.Link): base + "/v?id=<credential ID>&d=<digest>", plus the token itself, base64url, in
// the parameter "card", so that the page can show the signed card data even before it reaches the
// ledger. Errors: INVALID for a base that is not an absolute http(s) URL.
func (t *Token) Link(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return "", eduledger.Errorf(eduledger.EINVALID, "link base %q must be an absolute http(s) URL without a query", base)
	}
	q := url.Values{}
	q.Set("id", t.CredentialID)
	q.Set("d", t.Digest)
	q.Set(LinkParam, base64.RawURLEncoding.EncodeToString(append(append([]byte{}, t.payload...), t.signature...)))
	return strings.TrimRight(base, "/") + "/v?" + q.Encode(), nil
}

// ParseLink reads the token from a verification link. Errors: INVALID.
func ParseLink(link string) (*Token, error) {
	u, err := url.Parse(link)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "link is not a URL")
	}
	v := u.Query().Get(LinkParam)
	if v == "" || len(v) > MaxTokenLength*2 {
		return nil, eduledger.Errorf(eduledger.EINVALID, "link has no %q parameter", LinkParam)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(v)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "link: %q is not base64url", LinkParam)
	}
	t, err := parseRaw(raw)
	if err != nil {
		return nil, err
	}
	if id := u.Query().Get("id"); id != "" && id != t.CredentialID {
		return nil, eduledger.Errorf(eduledger.EINVALID, "link: id %q is not the card's %q", id, t.CredentialID)
	}
	return t, nil
}

// String returns the token as text for a QR code.
func (t *Token) String() string {
	return Prefix + EncodeBase45(append(append([]byte{}, t.payload...), t.signature...))
}

// ErrBase45 reports malformed Base45.
var ErrBase45 = fmt.Errorf("malformed base45")
