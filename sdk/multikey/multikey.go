// Package multikey encodes and decodes public keys in the W3C Multikey form used by Data Integrity
// verification methods and by EduLedger's issuer-key registry: "z" (base58btc multibase) followed by
// the base58btc encoding of a multicodec varint prefix and the raw key bytes.
//
// It knows the key kinds EduLedger uses: Ed25519 (ed25519-pub, 0xed), ML-DSA-44 (mldsa-44-pub,
// 0x1210, FIPS 204) and X25519 (x25519-pub, 0xec, for encryption to a holder). It imports only the
// standard library so that the chaincode can use it.
package multikey

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
)

// Kind is the kind of key a Multikey holds.
type Kind string

// Key kinds.
const (
	Ed25519 Kind = "Ed25519"
	MLDSA44 Kind = "ML-DSA-44"
	X25519  Kind = "X25519"
)

type codec struct {
	kind   Kind
	prefix []byte // multicodec code as an unsigned varint
	size   int    // raw public key length
}

var codecs = []codec{
	{Ed25519, []byte{0xed, 0x01}, 32},
	{MLDSA44, []byte{0x90, 0x24}, 1312},
	{X25519, []byte{0xec, 0x01}, 32},
}

// ErrMalformed is returned (wrapped) for any input that is not a Multikey of a known kind.
var ErrMalformed = errors.New("multikey: malformed")

// Encode returns the Multikey form of a raw public key of the given kind.
func Encode(kind Kind, raw []byte) (string, error) {
	for _, c := range codecs {
		if c.kind == kind {
			if len(raw) != c.size {
				return "", fmt.Errorf("%w: %s key must be %d bytes, got %d", ErrMalformed, kind, c.size, len(raw))
			}
			return "z" + EncodeBase58(append(append([]byte{}, c.prefix...), raw...)), nil
		}
	}
	return "", fmt.Errorf("%w: unknown key kind %q", ErrMalformed, kind)
}

// Decode returns the kind and raw bytes of a Multikey.
func Decode(s string) (Kind, []byte, error) {
	if len(s) < 2 || s[0] != 'z' {
		return "", nil, fmt.Errorf("%w: must start with 'z' (base58btc)", ErrMalformed)
	}
	if len(s) > 4096 {
		return "", nil, fmt.Errorf("%w: too long", ErrMalformed)
	}
	b, err := DecodeBase58(s[1:])
	if err != nil {
		return "", nil, err
	}
	for _, c := range codecs {
		if bytes.HasPrefix(b, c.prefix) {
			raw := b[len(c.prefix):]
			if len(raw) != c.size {
				return "", nil, fmt.Errorf("%w: %s key must be %d bytes, got %d", ErrMalformed, c.kind, c.size, len(raw))
			}
			return c.kind, raw, nil
		}
	}
	return "", nil, fmt.Errorf("%w: unknown multicodec prefix", ErrMalformed)
}

const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var decodeMap = func() (m [256]int8) {
	for i := range m {
		m[i] = -1
	}
	for i := 0; i < len(alphabet); i++ {
		m[alphabet[i]] = int8(i)
	}
	return m
}()

var big58 = big.NewInt(58)

// EncodeBase58 encodes b with the Bitcoin base58 alphabet (base58btc). Leading zero bytes become
// leading '1's.
func EncodeBase58(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	n := new(big.Int).SetBytes(b)
	out := make([]byte, 0, len(b)*138/100+1)
	mod := new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, big58, mod)
		out = append(out, alphabet[mod.Int64()])
	}
	for range zeros {
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// DecodeBase58 decodes a base58btc string.
func DecodeBase58(s string) ([]byte, error) {
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	n := new(big.Int)
	for i := zeros; i < len(s); i++ {
		d := decodeMap[s[i]]
		if d < 0 {
			return nil, fmt.Errorf("%w: invalid base58 character %q at %d", ErrMalformed, s[i], i)
		}
		n.Mul(n, big58)
		n.Add(n, big.NewInt(int64(d)))
	}
	return append(make([]byte, zeros), n.Bytes()...), nil
}
