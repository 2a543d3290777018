package multikey

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
)

func TestEd25519MultikeyMatchesTheEdDSACryptosuiteExample(t *testing.T) {
	// The public key of the W3C Data Integrity EdDSA Cryptosuites v1.0 test vectors, in the Multikey
	// form the specification prints.
	const want = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
	kind, got, err := Decode(want)
	if err != nil || kind != Ed25519 || len(got) != ed25519.PublicKeySize {
		t.Fatalf("Decode(%s) = %v, %x, %v", want, kind, got, err)
	}
	again, err := Encode(Ed25519, got)
	if err != nil || again != want {
		t.Fatalf("Encode round trip = %q, %v; want %q", again, err, want)
	}
}

func TestRoundTripsEveryKind(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		size int
	}{{Ed25519, 32}, {MLDSA44, 1312}, {X25519, 32}} {
		t.Run(string(tc.kind), func(t *testing.T) {
			raw := bytes.Repeat([]byte{7}, tc.size)
			raw[0] = 0 // a leading zero byte must survive
			s, err := Encode(tc.kind, raw)
			if err != nil {
				t.Fatal(err)
			}
			kind, got, err := Decode(s)
			if err != nil || kind != tc.kind || !bytes.Equal(got, raw) {
				t.Fatalf("Decode = %v, %v; want %v", kind, err, tc.kind)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	ed, _ := Encode(Ed25519, make([]byte, 32))
	for name, in := range map[string]string{
		"empty":                 "",
		"base64 multibase":      "m" + ed[1:],
		"characters outside 58": "z0OIl",
		"truncated key":         ed[:len(ed)-3],
		"unknown codec":         "z" + EncodeBase58([]byte{0x12, 0x00, 1, 2, 3}),
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := Decode(in); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode(%q) err = %v, want ErrMalformed", in, err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	ed, _ := Encode(Ed25519, make([]byte, 32))
	f.Add(ed)
	f.Add("z")
	f.Add("z111")
	f.Fuzz(func(t *testing.T, s string) {
		kind, raw, err := Decode(s)
		if err != nil {
			return
		}
		again, err := Encode(kind, raw)
		if err != nil {
			t.Fatalf("decoded key does not re-encode: %v", err)
		}
		if _, raw2, _ := Decode(again); !bytes.Equal(raw, raw2) {
			t.Fatal("round trip changed the key")
		}
	})
}
