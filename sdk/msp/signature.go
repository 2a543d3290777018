package msp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// signLowS signs SHA-256(message) with key and returns a DER ECDSA signature whose S is in the lower
// half of the curve order, the only form Fabric accepts.
func signLowS(key *ecdsa.PrivateKey, message []byte) ([]byte, error) {
	digest := sha256.Sum256(message)
	der, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		return nil, fmt.Errorf("msp: sign: %w", err)
	}
	r, s, err := parseSignature(der)
	if err != nil {
		return nil, fmt.Errorf("msp: sign: %w", err)
	}
	n := key.Curve.Params().N
	if !isLowS(s, n) {
		s.Sub(n, s)
		return marshalSignature(r, s)
	}
	return der, nil
}

// verifySignature checks a DER ECDSA signature over SHA-256(message). It rejects high-S signatures
// as Fabric does, because an attacker can turn any valid signature into a second valid one by
// negating S, and Fabric identifies transactions partly by their signed bytes.
func verifySignature(pub *ecdsa.PublicKey, message, sig []byte) error {
	r, s, err := parseSignature(sig)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	n := pub.Curve.Params().N
	if r.Sign() <= 0 || s.Sign() <= 0 || r.Cmp(n) >= 0 || s.Cmp(n) >= 0 {
		return fmt.Errorf("%w: r or s out of range", ErrBadSignature)
	}
	if !isLowS(s, n) {
		return fmt.Errorf("%w: signature is not low-S", ErrBadSignature)
	}
	digest := sha256.Sum256(message)
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		return fmt.Errorf("%w: signature does not verify", ErrBadSignature)
	}
	return nil
}

// IsLowS reports whether a DER ECDSA signature made with a key on curve has S in the lower half of
// the curve order. It returns false for a signature it cannot parse.
func IsLowS(curve elliptic.Curve, sig []byte) bool {
	_, s, err := parseSignature(sig)
	return err == nil && isLowS(s, curve.Params().N)
}

func isLowS(s, n *big.Int) bool {
	half := new(big.Int).Rsh(n, 1)
	return s.Cmp(half) <= 0
}

// parseSignature reads a DER SEQUENCE { r INTEGER, s INTEGER } and nothing after it.
func parseSignature(sig []byte) (r, s *big.Int, err error) {
	r, s = new(big.Int), new(big.Int)
	var inner cryptobyte.String
	input := cryptobyte.String(sig)
	if !input.ReadASN1(&inner, asn1.SEQUENCE) || !input.Empty() ||
		!inner.ReadASN1Integer(r) || !inner.ReadASN1Integer(s) || !inner.Empty() {
		return nil, nil, fmt.Errorf("malformed DER ECDSA signature")
	}
	return r, s, nil
}

func marshalSignature(r, s *big.Int) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(s)
	})
	der, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("msp: encode signature: %w", err)
	}
	return der, nil
}
