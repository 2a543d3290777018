package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/holder"
)

// holderKeys runs `holder init` and returns the keystore flags and the two printed public keys.
func holderKeys(t *testing.T, learner string) (flags []string, signKey, encKey string) {
	t.Helper()
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	os.WriteFile(pass, []byte("correct horse battery staple\n"), 0o600)
	flags = []string{"--keystore", filepath.Join(dir, "keys"), "--passphrase-file", pass}
	out, line, code := run(t, append([]string{"holder", "init", "--learner", learner}, flags...)...)
	if code != 0 {
		t.Fatalf("holder init: %s", line)
	}
	keys := regexp.MustCompile(`z[1-9A-HJ-NP-Za-km-z]{40,}`).FindAllString(out, -1)
	if len(keys) != 2 {
		t.Fatalf("holder init printed %d keys:\n%s", len(keys), out)
	}
	return flags, keys[0], keys[1]
}

func TestHolderDecryptsWhatWasEncryptedToTheirKey(t *testing.T) {
	flags, _, encKey := holderKeys(t, "L2026000123")
	dir := t.TempDir()
	transcript := filepath.Join(dir, "transcript.json")
	os.WriteFile(transcript, []byte(`{"courses":[{"code":"CS101","grade":"A"}]}`), 0o644)
	sealed := filepath.Join(dir, "transcript.enc.json")
	if _, line, code := run(t, "holder", "encrypt", transcript, "--to", encKey, "-o", sealed); code != 0 {
		t.Fatalf("encrypt: %s", line)
	}
	if b, _ := os.ReadFile(sealed); strings.Contains(string(b), "CS101") {
		t.Fatal("the envelope holds the plaintext")
	}
	plain := filepath.Join(dir, "out.json")
	if _, line, code := run(t, append([]string{"holder", "decrypt", sealed, "-o", plain}, flags...)...); code != 0 {
		t.Fatalf("decrypt: %s", line)
	}
	if b, _ := os.ReadFile(plain); string(b) != `{"courses":[{"code":"CS101","grade":"A"}]}` {
		t.Fatalf("decrypted %q", b)
	}

	wrong := filepath.Join(dir, "wrong")
	os.WriteFile(wrong, []byte("not the passphrase at all"), 0o600)
	_, line, code := run(t, "holder", "decrypt", sealed, "--keystore", flags[1], "--passphrase-file", wrong)
	if code == 0 || strings.Contains(line, "\n") || line == "" {
		t.Fatalf("a wrong passphrase: exit %d, %q", code, line)
	}
	otherFlags, _, _ := holderKeys(t, "L2026000999")
	if _, line, code := run(t, append([]string{"holder", "decrypt", sealed}, otherFlags...)...); code == 0 {
		t.Fatalf("another holder decrypted the transcript: %s", line)
	}
}

func TestHolderSignatureChecksAgainstTheCard(t *testing.T) {
	const learner = "L2026000456"
	flags, signKey, encKey := holderKeys(t, learner)

	// The school issues the learner's identity card carrying the two keys.
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	_, pqPriv, _ := mldsa44.GenerateKey(rand.Reader)
	ed, _ := dataintegrity.NewEd25519Signer(eduledger.KeyDID("riverside-university", "k-ed"), edPriv)
	pq, _ := dataintegrity.NewMLDSA44Signer(eduledger.KeyDID("riverside-university", "k-pq"), pqPriv)
	issuer, err := credential.NewIssuer(credential.Profile{ID: eduledger.OrgDID("riverside-university"),
		Name: credential.Text{Zh: "滨江大学", En: "Riverside University"}}, ed, pq)
	if err != nil {
		t.Fatal(err)
	}
	c := credential.New(eduledger.TypeIdentityCard, learner)
	c.Name = credential.Text{Zh: "教育信息身份证", En: "Education Identity Card"}
	c.ValidUntil = time.Now().AddDate(4, 0, 0)
	c.Subject.LearnerID = learner
	c.Subject.Roles = []eduledger.LearnerRole{eduledger.RoleStudent}
	c.Subject.PublicKeyMultibase, c.Subject.KeyAgreementMultibase = signKey, encKey
	card, err := issuer.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cardFile, doc, sig := filepath.Join(dir, "card.json"), filepath.Join(dir, "thesis.txt"), filepath.Join(dir, "thesis.sig.json")
	os.WriteFile(cardFile, card.JSON, 0o644)
	os.WriteFile(doc, []byte("On the verification of diplomas."), 0o644)
	if _, line, code := run(t, append([]string{"holder", "sign", doc, "--card", cardFile, "-o", sig}, flags...)...); code != 0 {
		t.Fatalf("sign: %s", line)
	}

	verifier, _ := credential.NewVerifier(dataintegrity.KeysOf(ed, pq))
	sigBytes, _ := os.ReadFile(sig)
	rep := holder.VerifyDocument(context.Background(), verifier, sigBytes, []byte("On the verification of diplomas."), card.JSON)
	if !rep.Verified || rep.LearnerID != learner {
		t.Fatalf("the signature does not check against the card: %+v", rep.Checks)
	}
	if rep := holder.VerifyDocument(context.Background(), verifier, sigBytes, []byte("On the falsification of diplomas."), card.JSON); rep.Verified {
		t.Fatal("the signature checked for a changed document")
	}
	if _, line, code := run(t, append([]string{"holder", "sign", doc, "--card", cardFile, "--learner", "L999"}, flags...)...); code != 2 {
		t.Fatalf("signing with another learner's card: exit %d %s", code, line)
	}
}
