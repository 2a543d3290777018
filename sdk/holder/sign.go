package holder

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// SignatureType is the type of a holder's detached document signature.
const SignatureType = "EduLedgerHolderSignature"

// Document describes the signed document: its name, media type, size and VC 2.0 digestSRI
// ("sha256-" and the standard base64 of its SHA-256).
type Document struct {
	Name      string `json:"name"`
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"`
	DigestSRI string `json:"digestSRI"`
}

// DigestSRI returns the VC 2.0 digestSRI of content.
func DigestSRI(content []byte) string {
	h := sha256.Sum256(content)
	return "sha256-" + base64.StdEncoding.EncodeToString(h[:])
}

// SignDocument signs content as the holder: a detached signature (JSON) naming the signer, the
// identity card it relies on, and the document by digest, secured with an eddsa-jcs-2022 proof
// by the holder's key. Errors: INVALID for a malformed card ID, name or media type.
func SignDocument(signer dataintegrity.Signer, cardID, name, mediaType string, content []byte, now time.Time) ([]byte, error) {
	if !eduledger.ValidCredentialID(cardID) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "card id %q is malformed", cardID)
	}
	if name == "" || !utf8.ValidString(name) || len(name) > 256 || mediaType == "" || len(mediaType) > 128 {
		return nil, eduledger.Errorf(eduledger.EINVALID, "document name (at most 256 bytes) and media type (at most 128) are required")
	}
	holderDID, _, _ := cutFragment(signer.VerificationMethod())
	doc := map[string]any{
		"@context": []any{credential.ContextV2},
		"type":     []any{SignatureType},
		"signer":   holderDID,
		"card":     cardID,
		"document": map[string]any{"name": name, "mediaType": mediaType, "size": int64(len(content)), "digestSRI": DigestSRI(content)},
	}
	prepared, err := dataintegrity.Prepare(doc)
	if err != nil {
		return nil, err
	}
	proof, err := prepared.CreateProof(dataintegrity.EdDSAJCS2022, signer, dataintegrity.Options{Created: now})
	if err != nil {
		return nil, err
	}
	return jsoncanon.Append(nil, dataintegrity.Secure(doc, proof))
}

// Signature check names.
const (
	// CheckSignatureFormat: the signature parses and describes a document.
	CheckSignatureFormat credential.CheckName = "signatureFormat"
	// CheckDocumentDigest: the document is the one signed.
	CheckDocumentDigest credential.CheckName = "documentDigest"
	// CheckSigner: the signature is by the key on the signer's identity card (CheckIdentityCard).
	CheckSigner credential.CheckName = "signer"
)

// SignatureReport is the outcome of checking a holder's document signature.
type SignatureReport struct {
	Verified  bool               `json:"verified"`
	Checks    []credential.Check `json:"checks"`
	LearnerID string             `json:"learnerId,omitempty"`
	Document  Document           `json:"document"`
	Signed    time.Time          `json:"signed,omitzero"`
	Card      *credential.Report `json:"card,omitempty"`
}

// VerifyDocument checks a holder's signature over content against the signer's identity card
// (JSON), verifying the card with creds. It never fails; the report says what did not pass.
func VerifyDocument(ctx context.Context, creds *credential.Verifier, signature, content, card []byte) *SignatureReport {
	r := &SignatureReport{}
	pr := &PresentationReport{} // reuse its check bookkeeping
	doc, err := jsoncanon.ParseObject(signature, jsoncanon.Limits{MaxBytes: 64 << 10, MaxDepth: 8})
	var signer, cardID string
	if err == nil {
		signer, cardID, err = readSignature(doc, &r.Document)
	}
	if err != nil {
		pr.add(CheckSignatureFormat, err)
		pr.skip(CheckDocumentDigest, CheckIdentityCard, CheckSigner)
		r.Checks = pr.Checks
		return r
	}
	r.LearnerID, _ = eduledger.ParseLearnerDID(signer)
	pr.add(CheckSignatureFormat, nil)

	var digestErr error
	if int64(len(content)) != r.Document.Size || DigestSRI(content) != r.Document.DigestSRI {
		digestErr = fmt.Errorf("the document is not the one signed (digest or size differs)")
	}
	pr.add(CheckDocumentDigest, digestErr)

	r.Card = creds.Verify(ctx, card)
	cardErr := cardOutcome(r.Card, signer)
	if cardErr == nil && r.Card.Type != eduledger.TypeIdentityCard {
		cardErr = fmt.Errorf("the card is not an identity card")
	}
	if cardErr == nil && r.Card.ID != cardID {
		cardErr = fmt.Errorf("the signature relies on card %s, not %s", cardID, r.Card.ID)
	}
	pr.add(CheckIdentityCard, cardErr)

	var cardKey string
	if d := r.Card.Document(); d != nil {
		cardKey = subjectString(d, "publicKeyMultibase")
	}
	pr.add(CheckSigner, verifySigner(ctx, doc, signer, cardKey, &r.Signed))

	r.Checks = pr.Checks
	r.Verified = true
	for _, c := range r.Checks {
		if c.Status != credential.Passed {
			r.Verified = false
		}
	}
	return r
}

func readSignature(doc map[string]any, d *Document) (signer, cardID string, err error) {
	types, _ := doc["type"].([]any)
	if len(types) != 1 || types[0] != SignatureType {
		return "", "", fmt.Errorf("type must be [%q]", SignatureType)
	}
	signer, _ = doc["signer"].(string)
	if _, ok := eduledger.ParseLearnerDID(signer); !ok {
		return "", "", fmt.Errorf("signer must be did:eduledger:learner:<learnerID>")
	}
	cardID, _ = doc["card"].(string)
	m, _ := doc["document"].(map[string]any)
	d.Name, _ = m["name"].(string)
	d.MediaType, _ = m["mediaType"].(string)
	d.DigestSRI, _ = m["digestSRI"].(string)
	size, ok := m["size"].(interface{ Int64() (int64, error) })
	if m == nil || d.Name == "" || d.DigestSRI == "" || !ok {
		return "", "", fmt.Errorf("document must have a name, a size and a digestSRI")
	}
	if d.Size, err = size.Int64(); err != nil || d.Size < 0 {
		return "", "", fmt.Errorf("document.size must be a non-negative integer")
	}
	return signer, cardID, nil
}

func verifySigner(ctx context.Context, doc map[string]any, signer, cardKey string, signed *time.Time) error {
	s, err := dataintegrity.NewSecured(doc)
	if err != nil {
		return err
	}
	if s.Len() != 1 || s.Cryptosuite(0) != dataintegrity.EdDSAJCS2022 {
		return fmt.Errorf("the signature must carry one eddsa-jcs-2022 proof")
	}
	vm, _ := s.Proof(0)["verificationMethod"].(string)
	keys, ok := holderKey(vm, signer, cardKey)
	if !ok {
		return fmt.Errorf("the signing key %q is not the key on the signer's identity card", vm)
	}
	dv, err := dataintegrity.NewVerifier(keys)
	if err != nil {
		return err
	}
	if _, err := dv.VerifyProof(ctx, s, 0, dataintegrity.Expect{}); err != nil {
		return err
	}
	if c, ok := s.Proof(0)["created"].(string); ok {
		*signed, _ = dataintegrity.ParseTime(c)
	}
	return nil
}
