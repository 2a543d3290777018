package holder

import (
	"time"

	"github.com/eduledger/eduledger/sdk/keystore"
)

// The functions below are what the holder's CLI commands do, given the learner's key store.

// DecryptWith opens an envelope with the X25519 key keyID of a key store and returns the plaintext
// and its content type. Errors: those of keystore.Store.X25519 and Open.
func DecryptWith(store *keystore.Store, keyID string, envelope []byte) ([]byte, string, error) {
	key, err := store.X25519(keyID)
	if err != nil {
		return nil, "", err
	}
	return Open(key, envelope)
}

// SignWith signs a document as learnerID with the Ed25519 key keyID of a key store (the key on the
// learner's identity card cardID). Errors: those of keystore.Store.Signer, NewSigner and
// SignDocument.
func SignWith(store *keystore.Store, keyID, learnerID, cardID, name, mediaType string, content []byte, now time.Time) ([]byte, error) {
	key, err := store.Signer(keyID)
	if err != nil {
		return nil, err
	}
	signer, err := NewSigner(learnerID, key)
	if err != nil {
		return nil, err
	}
	return SignDocument(signer, cardID, name, mediaType, content, now)
}

// PresentWith answers a verifier's challenge for domain with the given credentials as learnerID,
// signing with the Ed25519 key keyID of a key store.
func PresentWith(store *keystore.Store, keyID, learnerID string, credentials [][]byte, challenge, domain string, now time.Time) ([]byte, error) {
	key, err := store.Signer(keyID)
	if err != nil {
		return nil, err
	}
	signer, err := NewSigner(learnerID, key)
	if err != nil {
		return nil, err
	}
	return Present(signer, credentials, challenge, domain, now)
}
