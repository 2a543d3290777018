package keystore

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// testKDF keeps tests fast; production keys use DefaultKDF.
var testKDF = KDF{Time: 1, MemoryKiB: 64, Threads: 1}

const passphrase = "correct horse battery staple"

var org = eduledger.OrgDID("riverside-university")

func open(t *testing.T, dir string, pass string) *Store {
	t.Helper()
	s, err := Open(dir, []byte(pass), WithKDF(testKDF), WithClock(func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestKeysSurviveReopeningAndSign(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, passphrase)
	for _, k := range []struct {
		kind multikey.Kind
		id   string
	}{{multikey.Ed25519, "ed-2026"}, {multikey.MLDSA44, "pq-2026"}, {multikey.X25519, "enc-2026"}} {
		if _, err := s.Generate(org, k.kind, k.id); err != nil {
			t.Fatalf("Generate %s: %v", k.kind, err)
		}
	}
	// A fresh store decrypts from disk.
	s2 := open(t, dir, passphrase)
	ed, err := s2.Signer("ed-2026")
	if err != nil {
		t.Fatal(err)
	}
	pq, err := s2.Signer("pq-2026")
	if err != nil {
		t.Fatal(err)
	}
	if ed.VerificationMethod() != eduledger.KeyDID("riverside-university", "ed-2026") {
		t.Errorf("verification method %s", ed.VerificationMethod())
	}
	keys, err := s2.Keys()
	if err != nil {
		t.Fatal(err)
	}
	unsecured := map[string]any{"@context": []any{"https://www.w3.org/ns/credentials/v2"}, "type": []any{"VerifiableCredential"}}
	doc, _ := dataintegrity.Prepare(unsecured)
	now := time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)
	p1, _ := doc.CreateProof(dataintegrity.EdDSAJCS2022, ed, dataintegrity.Options{Created: now})
	p2, _ := doc.CreateProof(dataintegrity.MLDSA44JCS2024, pq, dataintegrity.Options{Created: now})
	v, _ := dataintegrity.NewVerifier(keys)
	sec, _ := dataintegrity.NewSecured(dataintegrity.Secure(unsecured, p1, p2))
	for i := range 2 {
		if _, err := v.VerifyProof(context.Background(), sec, i, dataintegrity.Expect{Now: now}); err != nil {
			t.Errorf("proof %d by a stored key: %v", i, err)
		}
	}
	x, err := s2.X25519("enc-2026")
	if err != nil {
		t.Fatal(err)
	}
	info, _ := s2.Info("enc-2026")
	if mk, _ := multikey.Encode(multikey.X25519, x.PublicKey().Bytes()); mk != info.PublicKeyMultibase {
		t.Error("X25519 private key does not match its public key")
	}
	if _, err := s2.Signer("enc-2026"); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Errorf("an X25519 key signing: %v", err)
	}
	list, _ := s2.List()
	if len(list) != 3 {
		t.Errorf("List = %d keys", len(list))
	}
	st, _ := os.Stat(filepath.Join(dir, "ed-2026.key.json"))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
}

func TestTheSecretNeverLeavesTheStoreInClear(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, passphrase)
	if _, err := s.Generate(org, multikey.Ed25519, "ed"); err != nil {
		t.Fatal(err)
	}
	seed := s.unlocked["ed"]
	b, _ := os.ReadFile(filepath.Join(dir, "ed.key.json"))
	for _, enc := range []string{string(seed), b64(seed), strings.ToLower(string(ed25519.NewKeyFromSeed(seed)))} {
		if strings.Contains(string(b), enc) {
			t.Fatal("the key file contains the secret")
		}
	}
}

func TestWrongPassphrasesAndAlteredFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, passphrase)
	s.Generate(org, multikey.Ed25519, "a")
	s.Generate(org, multikey.Ed25519, "b")
	t.Run("a wrong passphrase is unauthorised", func(t *testing.T) {
		if _, err := open(t, dir, "wrong passphrase!").Signer("a"); eduledger.ErrorCode(err) != eduledger.EUNAUTHORIZED {
			t.Fatalf("err = %v", err)
		}
	})
	alter := func(t *testing.T, id string, fn func(f map[string]any)) {
		path := filepath.Join(dir, id+".key.json")
		b, _ := os.ReadFile(path)
		var f map[string]any
		json.Unmarshal(b, &f)
		fn(f)
		b, _ = json.Marshal(f)
		os.WriteFile(path, b, 0o600)
	}
	t.Run("a changed controller is detected", func(t *testing.T) {
		alter(t, "a", func(f map[string]any) { f["controller"] = eduledger.OrgDID("lakeside-college") })
		if _, err := open(t, dir, passphrase).Signer("a"); eduledger.ErrorCode(err) != eduledger.EUNAUTHORIZED {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a ciphertext moved to another key file is detected", func(t *testing.T) {
		var ct, nonce, salt string
		b, _ := os.ReadFile(filepath.Join(dir, "b.key.json"))
		var fb map[string]any
		json.Unmarshal(b, &fb)
		ct, nonce, salt = fb["ciphertext"].(string), fb["nonce"].(string), fb["salt"].(string)
		s.Generate(org, multikey.Ed25519, "c")
		alter(t, "c", func(f map[string]any) { f["ciphertext"], f["nonce"], f["salt"] = ct, nonce, salt })
		if _, err := open(t, dir, passphrase).Signer("c"); eduledger.ErrorCode(err) != eduledger.EUNAUTHORIZED {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a damaged file is invalid", func(t *testing.T) {
		os.WriteFile(filepath.Join(dir, "d.key.json"), []byte(`{"version":1,"id":"d","extra":1}`), 0o600)
		if _, err := open(t, dir, passphrase).Signer("d"); eduledger.ErrorCode(err) != eduledger.EINVALID {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a missing key is not found", func(t *testing.T) {
		if _, err := s.Signer("nope"); eduledger.ErrorCode(err) != eduledger.ENOTFOUND {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestBadInputIsRefused(t *testing.T) {
	if _, err := Open(t.TempDir(), []byte("short")); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Errorf("short passphrase: %v", err)
	}
	if _, err := Open(t.TempDir(), []byte(passphrase), WithKDF(KDF{})); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Errorf("zero KDF: %v", err)
	}
	s := open(t, t.TempDir(), passphrase)
	for name, call := range map[string]func() error{
		"a path as key id":       func() error { _, err := s.Generate(org, multikey.Ed25519, "../x"); return err },
		"a controller not a DID": func() error { _, err := s.Generate("riverside", multikey.Ed25519, "x"); return err },
		"an unknown kind":        func() error { _, err := s.Generate(org, "RSA", "x"); return err },
	} {
		if err := call(); eduledger.ErrorCode(err) != eduledger.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	s.Generate(org, multikey.Ed25519, "x")
	if _, err := s.Generate(org, multikey.Ed25519, "x"); eduledger.ErrorCode(err) != eduledger.ECONFLICT {
		t.Errorf("duplicate id: %v", err)
	}
}

func TestRotationRetiresTheOldKeyAndRegistersTheNew(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, passphrase)
	s.Generate(org, multikey.Ed25519, "ed-2026")
	day := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return day }
	next, err := s.Rotate("ed-2026", "ed-2027")
	if err != nil {
		t.Fatal(err)
	}
	if next.Kind != multikey.Ed25519 || next.Controller != org || next.Status != Active {
		t.Errorf("new key %+v", next)
	}
	old, _ := s.Info("ed-2026")
	if old.Status != Retired || old.SupersededBy != "ed-2027" || !old.RetiredAt.Equal(day) {
		t.Errorf("old key %+v", old)
	}
	reg, err := next.IssuerKey()
	if err != nil {
		t.Fatal(err)
	}
	if reg.OrgID != "riverside-university" || reg.ID != "ed-2027" || reg.Type != eduledger.KeyEd25519 || !reg.ValidFrom.Equal(day) {
		t.Errorf("registration %+v", reg)
	}
	oldReg, _ := old.IssuerKey()
	if !oldReg.ValidAt(day.Add(-time.Hour)) || oldReg.ValidAt(day) {
		t.Error("the retired key must count before its retirement and not after")
	}
	if _, err := s.Rotate("ed-2026", "ed-2028"); eduledger.ErrorCode(err) != eduledger.ECONFLICT {
		t.Errorf("rotating a retired key: %v", err)
	}
	keys, _ := s.Keys()
	if k := keys[eduledger.KeyDID("riverside-university", "ed-2026")]; k == nil || !k.ValidUntil.Equal(day) {
		t.Errorf("resolver entry of the retired key %+v", k)
	}
	if _, err := open(t, dir, "wrong passphrase!").Rotate("ed-2027", "ed-2029"); eduledger.ErrorCode(err) != eduledger.EUNAUTHORIZED {
		t.Errorf("rotation without the passphrase: %v", err)
	}
}

// FuzzKeyFile feeds arbitrary key files to the store: reading must not panic and never hand out
// a signer for a file it did not write.
func FuzzKeyFile(f *testing.F) {
	dir := f.TempDir()
	s, _ := Open(dir, []byte(passphrase), WithKDF(testKDF))
	s.Generate(org, multikey.Ed25519, "seed")
	good, _ := os.ReadFile(filepath.Join(dir, "seed.key.json"))
	f.Add(good)
	f.Add([]byte(`{"version":1,"id":"k","kdf":{"time":1,"memoryKiB":8,"threads":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, "seed.key.json"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		st, _ := Open(d, []byte("another passphrase"), WithKDF(testKDF))
		if _, err := st.Signer("seed"); err == nil {
			t.Fatal("a key file decrypted under a passphrase it was not written with")
		}
	})
}
