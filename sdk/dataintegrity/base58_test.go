package dataintegrity

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"

	"github.com/eduledger/eduledger/sdk/multikey"
)

func TestBase58MatchesMultikey(t *testing.T) {
	inputs := [][]byte{nil, {0}, {0, 0}, {0, 0, 1}, {1}, {57}, {58}, {0xff}, {0xff, 0xff, 0xff, 0xff, 0xff},
		bytes.Repeat([]byte{0xff}, 64), append([]byte{0, 0}, bytes.Repeat([]byte{0x80}, 64)...)}
	for i := range 300 {
		b := make([]byte, i%97)
		for j := range b {
			b[j] = byte(i*31 + j*7)
		}
		inputs = append(inputs, b)
	}
	for _, in := range inputs {
		want := multikey.EncodeBase58(in)
		got := string(appendBase58(nil, in))
		if got != want {
			t.Fatalf("appendBase58(%x) = %q, want %q", in, got, want)
		}
		back, err := decodeBase58(got)
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("decodeBase58(%q) = %x, %v; want %x", got, back, err, in)
		}
	}
	if _, err := decodeBase58("abc0"); err == nil {
		t.Fatal("decodeBase58 accepted '0', which is not in the alphabet")
	}
}

func FuzzBase58(f *testing.F) {
	f.Add("z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX")
	f.Add("111")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 512 {
			return
		}
		got, err := decodeBase58(s)
		want, wantErr := multikey.DecodeBase58(s)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("decodeBase58(%q) error %v, multikey %v", s, err, wantErr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("decodeBase58(%q) = %x, multikey %x", s, got, want)
		}
		// Every base58btc string is the encoding of what it decodes to.
		if err == nil && string(appendBase58(nil, got)) != s {
			t.Fatalf("round trip of %q gives %q", s, appendBase58(nil, got))
		}
	})
}

func BenchmarkBase58Signature(b *testing.B) {
	sig := bytes.Repeat([]byte{0xa5}, 64)
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			s := appendBase58(nil, sig)
			if _, err := decodeBase58(string(s)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("multikey", func(b *testing.B) {
		for b.Loop() {
			s := multikey.EncodeBase58(sig)
			if _, err := multikey.DecodeBase58(s); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCryptoBound measures the primitives the credential figures are compared with, on the
// same machine in the same run: Ed25519 sign and verify, ML-DSA-44 sign and verify.
func BenchmarkCryptoBound(b *testing.B) {
	msg := bytes.Repeat([]byte{7}, 64)
	_, edKey, _ := ed25519.GenerateKey(nil)
	edSig := ed25519.Sign(edKey, msg)
	edPub := edKey.Public().(ed25519.PublicKey)
	pqPub, pqKey, _ := mldsa44.GenerateKey(nil)
	pqSig := make([]byte, mldsa44.SignatureSize)
	mldsa44.SignTo(pqKey, msg, nil, true, pqSig)
	b.Run("ed25519-sign", func(b *testing.B) {
		for b.Loop() {
			ed25519.Sign(edKey, msg)
		}
	})
	b.Run("ed25519-verify", func(b *testing.B) {
		for b.Loop() {
			ed25519.Verify(edPub, msg, edSig)
		}
	})
	b.Run("mldsa44-sign", func(b *testing.B) {
		sig := make([]byte, mldsa44.SignatureSize)
		for b.Loop() {
			mldsa44.SignTo(pqKey, msg, nil, true, sig)
		}
	})
	b.Run("mldsa44-verify", func(b *testing.B) {
		for b.Loop() {
			mldsa44.Verify(pqPub, msg, nil, pqSig)
		}
	})
}
