package dataintegrity

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"

	"github.com/eduledger/eduledger/sdk/jsoncanon"
	"github.com/eduledger/eduledger/sdk/multikey"
)

func readVector(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseVector(t *testing.T, path string) map[string]any {
	t.Helper()
	m, err := jsoncanon.ParseObject(readVector(t, path), jsoncanon.Limits{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// TestEdDSAJCS2022MatchesTheSpecificationVectors walks the eddsa-jcs-2022 example of the W3C
// Recommendation step by step and asserts byte equality at each step.
func TestEdDSAJCS2022MatchesTheSpecificationVectors(t *testing.T) {
	const dir = "eddsa-jcs-2022/"
	var kp struct{ PublicKeyMultibase, PrivateKeyMultibase string }
	if err := json.Unmarshal(readVector(t, dir+"keyPair.json"), &kp); err != nil {
		t.Fatal(err)
	}
	// The private key is a multibase Multikey: ed25519-priv (0x1300, varint 0x80 0x26) + seed.
	priv, err := multikey.DecodeBase58(strings.TrimPrefix(kp.PrivateKeyMultibase, "z"))
	if err != nil || len(priv) != 34 || priv[0] != 0x80 || priv[1] != 0x26 {
		t.Fatalf("private key multikey: %x %v", priv, err)
	}
	key := ed25519.NewKeyFromSeed(priv[2:])
	if mk, _ := multikey.Encode(multikey.Ed25519, key.Public().(ed25519.PublicKey)); mk != kp.PublicKeyMultibase {
		t.Fatalf("public key %s does not match the vector's %s", mk, kp.PublicKeyMultibase)
	}

	doc, err := Prepare(parseVector(t, dir+"unsigned.json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the canonical document equals canonDocJCS.txt", func(t *testing.T) {
		if want := readVector(t, dir+"canonDocJCS.txt"); !bytes.Equal(doc.Canonical(), want) {
			t.Errorf("got  %s\nwant %s", doc.Canonical(), want)
		}
	})
	t.Run("the document hash equals docHashJCS.txt", func(t *testing.T) {
		h := doc.Hash()
		if got, want := hexOf(h[:]), string(readVector(t, dir+"docHashJCS.txt")); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	proofConfig := parseVector(t, dir+"proofConfigJCS.json")
	proofCanon, err := jsoncanon.Append(nil, proofConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the canonical proof configuration equals proofCanonJCS.txt", func(t *testing.T) {
		if want := readVector(t, dir+"proofCanonJCS.txt"); !bytes.Equal(proofCanon, want) {
			t.Errorf("got  %s\nwant %s", proofCanon, want)
		}
	})
	proofHash := sha256.Sum256(proofCanon)
	t.Run("the proof configuration hash equals proofHashJCS.txt", func(t *testing.T) {
		if got, want := hexOf(proofHash[:]), string(readVector(t, dir+"proofHashJCS.txt")); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	docHash := doc.Hash()
	combined := append(proofHash[:], docHash[:]...)
	t.Run("the combined hash equals combinedHashJCS.txt", func(t *testing.T) {
		if got, want := hexOf(combined), string(readVector(t, dir+"combinedHashJCS.txt")); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})

	vm := proofConfig["verificationMethod"].(string)
	signer, err := NewEd25519Signer(vm, key)
	if err != nil {
		t.Fatal(err)
	}
	created, _ := time.Parse(time.RFC3339, proofConfig["created"].(string))
	proof, err := doc.CreateProof(EdDSAJCS2022, signer, Options{Created: created})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the signature equals sigHexJCS.txt and the proofValue sigBTC58JCS.txt", func(t *testing.T) {
		pv := proof["proofValue"].(string)
		if want := string(readVector(t, dir+"sigBTC58JCS.txt")); pv != want {
			t.Errorf("proofValue %s, want %s", pv, want)
		}
		sig, _ := decodeBase58(pv[1:])
		if got, want := hexOf(sig), string(readVector(t, dir+"sigHexJCS.txt")); got != want {
			t.Errorf("signature %s, want %s", got, want)
		}
	})
	signed := parseVector(t, dir+"signedJCS.json")
	t.Run("the secured document equals signedJCS.json", func(t *testing.T) {
		got, _ := jsoncanon.Append(nil, Secure(doc.doc.Any().(map[string]any), proof))
		want, _ := jsoncanon.Append(nil, signed)
		if !bytes.Equal(got, want) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
	t.Run("signedJCS.json verifies against the published key", func(t *testing.T) {
		v, _ := NewVerifier(StaticKeys{vm: {ID: vm, PublicKeyMultibase: kp.PublicKeyMultibase}})
		s, err := NewSecured(signed)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.VerifyProof(context.Background(), s, 0, Expect{}); err != nil {
			t.Fatalf("VerifyProof: %v", err)
		}
	})
}

// TestMLDSA44JCS2024MatchesTheReportVectors checks mldsa44-jcs-2024 against the W3C CCG
// quantum-safe cryptosuites report.
func TestMLDSA44JCS2024MatchesTheReportVectors(t *testing.T) {
	const dir = "mldsa44-jcs-2024/"
	var keys struct {
		MLDSA44 struct{ PublicKeyHex, SecretKeyHex, PublicKeyMultibase string } `json:"mldsa44"`
	}
	if err := json.Unmarshal(readVector(t, dir+"keys.json"), &keys); err != nil {
		t.Fatal(err)
	}
	pkRaw, _ := hex.DecodeString(keys.MLDSA44.PublicKeyHex)
	skRaw, _ := hex.DecodeString(keys.MLDSA44.SecretKeyHex)
	var sk mldsa44.PrivateKey
	if err := sk.UnmarshalBinary(skRaw); err != nil {
		t.Fatal(err)
	}
	pub, err := decodePublicKey(keys.MLDSA44.PublicKeyMultibase)
	if err != nil {
		t.Fatalf("the report's base64url Multikey does not decode: %v", err)
	}
	if !bytes.Equal(pub.ml.Bytes(), pkRaw) {
		t.Fatal("publicKeyMultibase and publicKeyHex disagree")
	}

	signed := parseVector(t, dir+"signed.json")
	vm := signed["proof"].(map[string]any)["verificationMethod"].(string)
	if vm != "did:key:"+keys.MLDSA44.PublicKeyMultibase {
		t.Fatalf("unexpected verification method %s", vm)
	}
	doc, err := Prepare(parseVector(t, dir+"unsigned.json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the canonical document equals transform-jcs-sha256.txt", func(t *testing.T) {
		if want := readVector(t, dir+"canonDoc.txt"); !bytes.Equal(doc.Canonical(), want) {
			t.Errorf("got  %s\nwant %s", doc.Canonical(), want)
		}
	})
	// The proof configuration is the signed proof without proofValue, with the document's @context.
	opts := map[string]any{}
	for k, v := range signed["proof"].(map[string]any) {
		if k != "proofValue" {
			opts[k] = v
		}
	}
	docCtx, _ := doc.doc.Get("@context")
	opts["@context"] = docCtx.Any()
	cfgCanon, _ := jsoncanon.Append(nil, opts)
	t.Run("the canonical proof configuration equals proofConfig-mldsa44-jcs-2024.txt", func(t *testing.T) {
		if want := readVector(t, dir+"proofCanon.txt"); !bytes.Equal(cfgCanon, want) {
			t.Errorf("got  %s\nwant %s", cfgCanon, want)
		}
	})
	t.Run("the combined hash equals hashing-combined.json", func(t *testing.T) {
		var combined map[string]string
		json.Unmarshal(readVector(t, dir+"hashing-combined.json"), &combined)
		ch := sha256.Sum256(cfgCanon)
		dh := doc.Hash()
		if got := hexOf(ch[:]) + hexOf(dh[:]); got != combined[MLDSA44JCS2024] {
			t.Errorf("got %s, want %s", got, combined[MLDSA44JCS2024])
		}
	})
	resolver := StaticKeys{vm: {ID: vm, PublicKeyMultibase: keys.MLDSA44.PublicKeyMultibase}}
	v, _ := NewVerifier(resolver)
	t.Run("the report's signed credential verifies", func(t *testing.T) {
		s, _ := NewSecured(signed)
		if _, err := v.VerifyProof(context.Background(), s, 0, Expect{}); err != nil {
			t.Fatalf("VerifyProof: %v", err)
		}
	})
	t.Run("a proof we make with the report's secret key verifies", func(t *testing.T) {
		signer, _ := NewMLDSA44Signer(vm, &sk)
		proof, err := doc.CreateProof(MLDSA44JCS2024, signer, Options{Created: time.Date(2023, 2, 24, 23, 36, 38, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := NewSecured(Secure(doc.doc.Any().(map[string]any), proof))
		if _, err := v.VerifyProof(context.Background(), s, 0, Expect{}); err != nil {
			t.Fatalf("VerifyProof: %v", err)
		}
		// Everything but the (randomised) signature equals the report's proof.
		delete(proof, "proofValue")
		want := map[string]any{}
		for k, v := range signed["proof"].(map[string]any) {
			if k != "proofValue" {
				want[k] = v
			}
		}
		a, _ := jsoncanon.Append(nil, proof)
		b, _ := jsoncanon.Append(nil, want)
		if !bytes.Equal(a, b) {
			t.Errorf("proof options\n got %s\nwant %s", a, b)
		}
	})
}
