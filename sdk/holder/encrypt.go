package holder

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/cloudflare/circl/hpke"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// The HPKE suite (RFC 9180, base mode) used to encrypt to a holder.
const (
	hpkeKEM  = hpke.KEM_X25519_HKDF_SHA256
	hpkeKDF  = hpke.KDF_HKDF_SHA256
	hpkeAEAD = hpke.AEAD_ChaCha20Poly1305
	// EnvelopeType is the type of an encrypted envelope.
	EnvelopeType = "EduLedgerEncrypted"
	// Suite names the HPKE ciphersuite in an envelope.
	Suite = "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305"
	// MaxPlaintext bounds what one envelope carries.
	MaxPlaintext = 16 << 20
	// hpkeInfo binds every envelope to this protocol and version.
	hpkeInfo = "eduledger/holder-encryption/v1"
)

// Envelope is data encrypted to a holder, as JSON: the recipient's X25519 Multikey, the HPKE
// encapsulated key, the ciphertext, and a content type. The content type and recipient are
// authenticated (HPKE associated data), so they cannot be swapped.
type Envelope struct {
	Type        string `json:"type"`
	Suite       string `json:"suite"`
	Recipient   string `json:"recipient"`
	ContentType string `json:"contentType"`
	Enc         string `json:"enc"`
	Ciphertext  string `json:"ciphertext"`
}

func (e *Envelope) aad() []byte {
	b, _ := jsoncanon.Append(nil, map[string]any{"type": e.Type, "suite": e.Suite, "recipient": e.Recipient, "contentType": e.ContentType})
	return b
}

func suite() hpke.Suite { return hpke.NewSuite(hpkeKEM, hpkeKDF, hpkeAEAD) }

// Seal encrypts plaintext to the holder whose X25519 key is recipient (a Multikey, the card's
// keyAgreementMultibase) and returns the envelope as JSON. contentType (e.g.
// "application/vc+json" for a transcript) tells the holder what it is. Errors: INVALID for a
// recipient that is not an X25519 Multikey, an empty content type or a plaintext over
// MaxPlaintext.
func Seal(recipient, contentType string, plaintext []byte) ([]byte, error) {
	kind, raw, err := multikey.Decode(recipient)
	if err != nil || kind != multikey.X25519 {
		return nil, eduledger.Errorf(eduledger.EINVALID, "recipient must be an X25519 Multikey")
	}
	if contentType == "" || len(contentType) > 128 {
		return nil, eduledger.Errorf(eduledger.EINVALID, "contentType is required (at most 128 characters)")
	}
	if len(plaintext) > MaxPlaintext {
		return nil, eduledger.Errorf(eduledger.EINVALID, "plaintext exceeds %d bytes", MaxPlaintext)
	}
	pk, err := hpkeKEM.Scheme().UnmarshalBinaryPublicKey(raw)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "recipient key: %w", err)
	}
	sender, err := suite().NewSender(pk, []byte(hpkeInfo))
	if err != nil {
		return nil, err
	}
	enc, sealer, err := sender.Setup(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("hpke setup: %w", err)
	}
	env := &Envelope{Type: EnvelopeType, Suite: Suite, Recipient: recipient, ContentType: contentType,
		Enc: base64.RawURLEncoding.EncodeToString(enc)}
	ct, err := sealer.Seal(plaintext, env.aad())
	if err != nil {
		return nil, fmt.Errorf("hpke seal: %w", err)
	}
	env.Ciphertext = base64.RawURLEncoding.EncodeToString(ct)
	return jsoncanon.Append(nil, map[string]any{"type": env.Type, "suite": env.Suite, "recipient": env.Recipient,
		"contentType": env.ContentType, "enc": env.Enc, "ciphertext": env.Ciphertext})
}

// ParseEnvelope reads an envelope strictly. Errors: INVALID, naming the field.
func ParseEnvelope(data []byte) (*Envelope, error) {
	doc, err := jsoncanon.ParseObject(data, jsoncanon.Limits{MaxBytes: MaxPlaintext*4/3 + 4096, MaxDepth: 2})
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "envelope: %w", err)
	}
	env := &Envelope{}
	fields := map[string]*string{"type": &env.Type, "suite": &env.Suite, "recipient": &env.Recipient,
		"contentType": &env.ContentType, "enc": &env.Enc, "ciphertext": &env.Ciphertext}
	for k, v := range doc {
		dst, ok := fields[k]
		if !ok {
			return nil, eduledger.Errorf(eduledger.EINVALID, "envelope: unknown member %q", k)
		}
		s, ok := v.(string)
		if !ok {
			return nil, eduledger.Errorf(eduledger.EINVALID, "envelope: %s must be a string", k)
		}
		*dst = s
	}
	switch {
	case env.Type != EnvelopeType:
		return nil, eduledger.Errorf(eduledger.EINVALID, "envelope: type must be %q", EnvelopeType)
	case env.Suite != Suite:
		return nil, eduledger.Errorf(eduledger.EINVALID, "envelope: suite %q is not supported", env.Suite)
	case env.ContentType == "":
		return nil, eduledger.Errorf(eduledger.EINVALID, "envelope: contentType is required")
	case env.Enc == "" || env.Ciphertext == "":
		return nil, eduledger.Errorf(eduledger.EINVALID, "envelope: enc and ciphertext are required")
	}
	return env, nil
}

// Open decrypts an envelope with the holder's X25519 private key and returns the plaintext and
// its content type. Errors: INVALID for a malformed envelope or one addressed to another key;
// FORBIDDEN when decryption fails (wrong key or altered envelope).
func Open(key *ecdh.PrivateKey, data []byte) ([]byte, string, error) {
	env, err := ParseEnvelope(data)
	if err != nil {
		return nil, "", err
	}
	if key == nil || key.Curve() != ecdh.X25519() {
		return nil, "", eduledger.Errorf(eduledger.EINVALID, "an X25519 private key is required")
	}
	own, _ := multikey.Encode(multikey.X25519, key.PublicKey().Bytes())
	if env.Recipient != own {
		return nil, "", eduledger.Errorf(eduledger.EINVALID, "envelope is addressed to %s, not this key (%s)", env.Recipient, own)
	}
	enc, err1 := base64.RawURLEncoding.Strict().DecodeString(env.Enc)
	ct, err2 := base64.RawURLEncoding.Strict().DecodeString(env.Ciphertext)
	if err1 != nil || err2 != nil {
		return nil, "", eduledger.Errorf(eduledger.EINVALID, "envelope: enc and ciphertext must be base64url")
	}
	sk, err := hpkeKEM.Scheme().UnmarshalBinaryPrivateKey(key.Bytes())
	if err != nil {
		return nil, "", err
	}
	receiver, err := suite().NewReceiver(sk, []byte(hpkeInfo))
	if err != nil {
		return nil, "", err
	}
	opener, err := receiver.Setup(enc)
	if err != nil {
		return nil, "", eduledger.Errorf(eduledger.EFORBIDDEN, "cannot decrypt: %w", err)
	}
	pt, err := opener.Open(ct, env.aad())
	if err != nil {
		return nil, "", eduledger.Errorf(eduledger.EFORBIDDEN, "cannot decrypt: wrong key or altered envelope")
	}
	return pt, env.ContentType, nil
}
