package dataintegrity

import (
	"errors"
	"slices"
)

// base58btc with 32-bit limbs, five digits at a time (58^5 < 2^32). It is byte-for-byte the
// encoding of multikey.EncodeBase58 (differentially tested) but avoids math/big, which made a
// 64-byte Ed25519 signature cost several microseconds to encode or decode.

const (
	b58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	b58Pow5     = 58 * 58 * 58 * 58 * 58
)

var b58Digits = func() (m [256]int8) {
	for i := range m {
		m[i] = -1
	}
	for i := 0; i < len(b58Alphabet); i++ {
		m[b58Alphabet[i]] = int8(i)
	}
	return m
}()

var errBase58 = errors.New("invalid base58btc character")

// appendBase58 appends the base58btc encoding of b to dst.
func appendBase58(dst, b []byte) []byte {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	// Big-endian bytes to little-endian 32-bit limbs.
	rest := b[zeros:]
	limbs := make([]uint32, (len(rest)+3)/4)
	for i := range rest {
		pos := len(rest) - 1 - i // byte significance
		limbs[pos/4] |= uint32(rest[i]) << (8 * (pos % 4))
	}
	digits := make([]byte, 0, len(b)*138/100+6)
	n := len(limbs)
	for n > 0 {
		var rem uint64
		for j := n - 1; j >= 0; j-- {
			cur := rem<<32 | uint64(limbs[j])
			limbs[j] = uint32(cur / b58Pow5)
			rem = cur % b58Pow5
		}
		for n > 0 && limbs[n-1] == 0 {
			n--
		}
		for k := 0; k < 5; k++ {
			digits = append(digits, byte(rem%58))
			rem /= 58
		}
	}
	for len(digits) > 0 && digits[len(digits)-1] == 0 {
		digits = digits[:len(digits)-1]
	}
	for range zeros {
		dst = append(dst, '1')
	}
	for i := len(digits) - 1; i >= 0; i-- {
		dst = append(dst, b58Alphabet[digits[i]])
	}
	return dst
}

// decodeBase58 decodes a base58btc string (without the multibase prefix).
func decodeBase58(s string) ([]byte, error) {
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	limbs := make([]uint32, 0, (len(s)*733/1000+4)/4+1)
	for i := zeros; i < len(s); {
		// Take up to five digits as one multiplier and addend.
		mul, add := uint64(1), uint64(0)
		for k := 0; k < 5 && i < len(s); k++ {
			d := b58Digits[s[i]]
			if d < 0 {
				return nil, errBase58
			}
			mul *= 58
			add = add*58 + uint64(d)
			i++
		}
		carry := add
		for j := range limbs {
			t := uint64(limbs[j])*mul + carry
			limbs[j] = uint32(t)
			carry = t >> 32
		}
		for carry != 0 {
			limbs = append(limbs, uint32(carry))
			carry >>= 32
		}
	}
	out := make([]byte, 0, zeros+4*len(limbs))
	out = append(out, make([]byte, zeros)...)
	started := false
	for j := len(limbs) - 1; j >= 0; j-- {
		for k := 3; k >= 0; k-- {
			c := byte(limbs[j] >> (8 * k))
			if !started && c == 0 {
				continue
			}
			started = true
			out = append(out, c)
		}
	}
	return slices.Clip(out), nil
}
