// Package holder is what a learner does with an education identity card: prove to a verifier that
// they hold it (a presentation signed over the verifier's challenge and domain), receive data
// encrypted to their key (HPKE), and sign documents with their identity key so that anyone can
// check the signature against the card.
//
// The identity card (an EduLedgerIdentityCard credential) carries the holder's Ed25519 key
// (publicKeyMultibase) and X25519 key (keyAgreementMultibase). A holder's verification method is
// did:eduledger:learner:<learnerID>#<Ed25519 Multikey>, so that it names the very key on the card.
// Everything here verifies offline, given the card issuer's public keys.
package holder

import (
	"strings"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// VerificationMethod returns a holder's verification method: the learner's DID with the Ed25519
// Multikey as fragment.
func VerificationMethod(learnerID, publicKeyMultibase string) string {
	return eduledger.LearnerDID(learnerID) + "#" + publicKeyMultibase
}

// holderSigner relabels an Ed25519 signer with the holder's verification method.
type holderSigner struct {
	dataintegrity.Signer
	vm string
}

func (s *holderSigner) VerificationMethod() string { return s.vm }

// NewSigner turns an Ed25519 signer (from a keystore, say) into the holder's signer for
// learnerID. Errors: INVALID for a malformed learner ID or a key of another kind.
func NewSigner(learnerID string, key dataintegrity.Signer) (dataintegrity.Signer, error) {
	if !eduledger.ValidLocalID(learnerID) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "learner id %q is malformed", learnerID)
	}
	if key == nil || key.Kind() != multikey.Ed25519 {
		return nil, eduledger.Errorf(eduledger.EINVALID, "a holder signs with an Ed25519 key")
	}
	return &holderSigner{Signer: key, vm: VerificationMethod(learnerID, key.PublicKeyMultibase())}, nil
}

// holderKey checks that vm names the card's key for the card's subject and returns a resolver for it.
func holderKey(vm, holderDID, cardKey string) (dataintegrity.StaticKeys, bool) {
	did, frag, ok := strings.Cut(vm, "#")
	if !ok || did != holderDID || frag != cardKey || cardKey == "" {
		return nil, false
	}
	return dataintegrity.StaticKeys{vm: {ID: vm, Controller: holderDID, PublicKeyMultibase: cardKey}}, true
}
