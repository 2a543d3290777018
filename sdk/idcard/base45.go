package idcard

import "strings"

// Base45 (RFC 9285): two bytes become three characters of a 45-character alphabet that QR codes
// encode in their alphanumeric mode, denser than bytes.

const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// EncodeBase45 encodes b as RFC 9285 Base45.
func EncodeBase45(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b)/2*3 + 2)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		sb.WriteByte(base45Alphabet[n%45])
		sb.WriteByte(base45Alphabet[n/45%45])
		sb.WriteByte(base45Alphabet[n/2025])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		sb.WriteByte(base45Alphabet[n%45])
		sb.WriteByte(base45Alphabet[n/45])
	}
	return sb.String()
}

// DecodeBase45 decodes RFC 9285 Base45, refusing characters outside the alphabet, a dangling
// character and groups whose value overflows.
func DecodeBase45(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, ErrBase45
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		n, w := 0, 1
		end := min(i+3, len(s))
		for j := i; j < end; j++ {
			d := strings.IndexByte(base45Alphabet, s[j])
			if d < 0 {
				return nil, ErrBase45
			}
			n += d * w
			w *= 45
		}
		if end-i == 3 {
			if n > 0xFFFF {
				return nil, ErrBase45
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xFF {
				return nil, ErrBase45
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}
