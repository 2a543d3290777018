package msp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	fabmsp "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"

	"github.com/eduledger/eduledger"
)

// creatorStub is the one method cid needs from a chaincode stub.
type creatorStub struct{ creator []byte }

func (s creatorStub) GetCreator() ([]byte, error) { return s.creator, nil }

func mustCA(t testing.TB, mspID string, opts ...CAOption) *CA {
	t.Helper()
	// Backdated a day so that tests can issue certificates that have already expired.
	now := time.Now()
	opts = append([]CAOption{WithCAValidity(now.Add(-24*time.Hour), now.Add(10*365*24*time.Hour))}, opts...)
	ca, err := NewCA(mspID, "ca."+mspID, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func mustIssue(t testing.TB, ca *CA, cn string, attrs map[string]string, opts ...IssueOption) *SigningIdentity {
	t.Helper()
	id, err := ca.Issue(cn, attrs, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCidReadsTheAttributesOfAnIssuedCertificate(t *testing.T) {
	ca := mustCA(t, "SchoolMSP")
	id := mustIssue(t, ca, "issuer@riverside-university", map[string]string{
		eduledger.AttrOrg: "riverside-university", eduledger.AttrRole: "issuer", "note": "包含 UTF-8 \"quotes\"",
	})
	stub := creatorStub{creator: id.Serialize()}
	for name, want := range map[string]string{
		eduledger.AttrOrg: "riverside-university", eduledger.AttrRole: "issuer", "note": "包含 UTF-8 \"quotes\"",
	} {
		got, found, err := cid.GetAttributeValue(stub, name)
		if err != nil || !found || got != want {
			t.Errorf("cid.GetAttributeValue(%q) = %q, %v, %v; want %q", name, got, found, err, want)
		}
	}
	if _, found, _ := cid.GetAttributeValue(stub, "absent"); found {
		t.Error("an attribute that was not issued is found")
	}
	mspID, err := cid.GetMSPID(stub)
	if err != nil || mspID != "SchoolMSP" {
		t.Errorf("cid.GetMSPID = %q, %v", mspID, err)
	}
	if ok, _ := cid.HasOUValue(stub, RoleClient); !ok {
		t.Error("the certificate does not carry the client NodeOU")
	}
	// The extension value is exactly what fabric-ca writes: {"attrs":{...}} with sorted keys.
	for _, ext := range id.Certificate().Extensions {
		if ext.Id.String() == "1.2.3.4.5.6.7.8.1" {
			want := `{"attrs":{"eduledger.org":"riverside-university","eduledger.role":"issuer","note":"包含 UTF-8 \"quotes\""}}`
			if string(ext.Value) != want || ext.Critical {
				t.Errorf("extension = %s (critical %v), want %s", ext.Value, ext.Critical, want)
			}
		}
	}
}

func TestIssueRefusesBadInput(t *testing.T) {
	ca := mustCA(t, "SchoolMSP")
	now := time.Now()
	tests := []struct {
		name  string
		cn    string
		attrs map[string]string
		opts  []IssueOption
	}{
		{"an empty common name is refused", "", nil, nil},
		{"a common name over 64 characters is refused", string(make([]byte, 65)), nil, nil},
		{"an empty attribute name is refused", "x", map[string]string{"": "v"}, nil},
		{"a validity that ends before it starts is refused", "x", nil, []IssueOption{WithValidity(now, now.Add(-time.Hour))}},
		{"a validity entirely before the CA's is refused", "x", nil, []IssueOption{WithValidity(now.Add(-72*time.Hour), now.Add(-71*time.Hour))}},
		{"an unknown role is refused", "x", nil, []IssueOption{WithRole("superuser")}},
		{"a role given as an extra OU is refused", "x", nil, []IssueOption{WithOUs("admin")}},
		{"a key on another curve is refused", "x", nil, []IssueOption{WithKey(mustKey(t, elliptic.P384()))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ca.Issue(tt.cn, tt.attrs, tt.opts...)
			if eduledger.ErrorCode(err) != eduledger.EINVALID {
				t.Fatalf("err = %v, want INVALID", err)
			}
		})
	}
}

func mustKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignaturesAreLowSAndVerify(t *testing.T) {
	ca := mustCA(t, "SchoolMSP")
	id := mustIssue(t, ca, "u", nil)
	v, err := NewVerifier([]Config{ca.Config()})
	if err != nil {
		t.Fatal(err)
	}
	// About half of raw ECDSA signatures are high-S; 64 signatures without one high-S would
	// happen by chance once in 2^64.
	for i := 0; i < 64; i++ {
		msg := []byte{byte(i)}
		sig, err := id.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		if !IsLowS(elliptic.P256(), sig) {
			t.Fatalf("signature %d is high-S", i)
		}
		if _, err := v.Verify(id.Serialize(), msg, sig, time.Now()); err != nil {
			t.Fatalf("signature %d does not verify: %v", i, err)
		}
	}
}

// highS returns the same signature with S replaced by N-S: mathematically valid, but Fabric
// rejects it.
func highS(t testing.TB, sig []byte) []byte {
	t.Helper()
	r, s, err := parseSignature(sig)
	if err != nil {
		t.Fatal(err)
	}
	s.Sub(elliptic.P256().Params().N, s)
	out, err := marshalSignature(r, s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerifierRejects(t *testing.T) {
	gov := mustCA(t, "GovMSP")
	school := mustCA(t, "SchoolMSP")
	v, err := NewVerifier([]Config{gov.Config(), school.Config()})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	good := mustIssue(t, school, "good", nil)
	msg := []byte("a proposal")
	sig, err := good.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(good.Serialize(), msg, sig, now); err != nil {
		t.Fatalf("a good identity and signature are rejected: %v", err)
	}
	tampered := append([]byte{}, sig...)
	tampered[len(tampered)-1] ^= 1

	// A certificate of SchoolMSP's subject and key shape, but issued by the GovMSP CA and
	// presented as SchoolMSP.
	foreign := mustIssue(t, gov, "foreign", nil)
	foreignAsSchool, _ := proto.Marshal(&fabmsp.SerializedIdentity{Mspid: "SchoolMSP", IdBytes: foreign.CertPEM()})
	expired := mustIssue(t, school, "expired", nil, WithValidity(now.Add(-2*time.Hour), now.Add(-time.Hour)))
	notYet := mustIssue(t, school, "future", nil, WithValidity(now.Add(time.Hour), now.Add(2*time.Hour)))
	unknownMSP, _ := proto.Marshal(&fabmsp.SerializedIdentity{Mspid: "EnterpriseMSP", IdBytes: good.CertPEM()})
	caAsIdentity, _ := proto.Marshal(&fabmsp.SerializedIdentity{Mspid: "SchoolMSP", IdBytes: school.CertPEM()})
	noRole := mustIssue(t, school, "norole", nil)
	noRoleSer := withOUs(t, school, noRole, nil)
	twoRoles := withOUs(t, school, noRole, []string{"client", "admin"})

	tests := []struct {
		name     string
		creator  []byte
		sig      []byte
		code     string
		sentinel error
	}{
		{"a certificate from another MSP's CA is rejected", foreignAsSchool, sig, eduledger.EFORBIDDEN, ErrUntrusted},
		{"an expired certificate is rejected", expired.Serialize(), mustSign(t, expired, msg), eduledger.EFORBIDDEN, ErrExpired},
		{"a certificate not yet valid is rejected", notYet.Serialize(), mustSign(t, notYet, msg), eduledger.EFORBIDDEN, ErrExpired},
		{"a tampered signature is rejected", good.Serialize(), tampered, eduledger.EFORBIDDEN, ErrBadSignature},
		{"a high-S signature is rejected", good.Serialize(), highS(t, sig), eduledger.EFORBIDDEN, ErrBadSignature},
		{"a signature by another key is rejected", good.Serialize(), mustSign(t, foreign, msg), eduledger.EFORBIDDEN, ErrBadSignature},
		{"an MSP that is not on the channel is rejected", unknownMSP, sig, eduledger.EFORBIDDEN, ErrUnknownMSP},
		{"a CA certificate cannot act as an identity", caAsIdentity, sig, eduledger.EFORBIDDEN, ErrUntrusted},
		{"a certificate without a NodeOU role is rejected", noRoleSer, sig, eduledger.EFORBIDDEN, ErrRole},
		{"a certificate with two NodeOU roles is rejected", twoRoles, sig, eduledger.EFORBIDDEN, ErrRole},
		{"garbage is malformed", []byte("not a proto"), sig, eduledger.EINVALID, ErrMalformedIdentity},
		{"an empty identity is malformed", nil, sig, eduledger.EINVALID, ErrMalformedIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(tt.creator, msg, tt.sig, now)
			if err == nil {
				t.Fatal("accepted")
			}
			if eduledger.ErrorCode(err) != tt.code || !errors.Is(err, tt.sentinel) {
				t.Fatalf("err = %v (code %s), want %s wrapping %v", err, eduledger.ErrorCode(err), tt.code, tt.sentinel)
			}
		})
	}
}

func mustSign(t testing.TB, id *SigningIdentity, msg []byte) []byte {
	t.Helper()
	sig, err := id.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// withOUs re-issues id's key under ca with exactly the given OUs (bypassing Issue's NodeOU role)
// and returns the serialized identity.
func withOUs(t testing.TB, ca *CA, id *SigningIdentity, ous []string) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(99), Subject: pkix.Name{CommonName: "odd", OrganizationalUnit: ous},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, id.key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := proto.Marshal(&fabmsp.SerializedIdentity{Mspid: ca.MSPID(), IdBytes: encodeCertPEM(der)})
	return b
}

func TestTheCacheNeverExtendsACertificatesValidity(t *testing.T) {
	ca := mustCA(t, "SchoolMSP")
	now := time.Now()
	id := mustIssue(t, ca, "short", nil, WithValidity(now.Add(-time.Minute), now.Add(time.Hour)))
	v, err := NewVerifier([]Config{ca.Config()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(id.Serialize(), now); err != nil {
		t.Fatal(err)
	}
	if v.cachedLen() != 1 {
		t.Fatalf("cache holds %d identities, want 1", v.cachedLen())
	}
	if _, err := v.Validate(id.Serialize(), now.Add(2*time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("a cached identity used after its expiry: err = %v, want ErrExpired", err)
	}
}

func TestTheCacheIsBounded(t *testing.T) {
	ca := mustCA(t, "SchoolMSP")
	v, err := NewVerifier([]Config{ca.Config()}, WithCacheSize(3))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		id := mustIssue(t, ca, "u", nil)
		if _, err := v.Validate(id.Serialize(), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.cachedLen(); n != 3 {
		t.Fatalf("cache holds %d identities, want 3", n)
	}
}

func TestRevokedCertificatesAreRejected(t *testing.T) {
	ca := mustCA(t, "SchoolMSP")
	revoked := mustIssue(t, ca, "revoked", nil)
	kept := mustIssue(t, ca, "kept", nil)
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(1),
		ThisUpdate:                time.Now().Add(-time.Minute),
		NextUpdate:                time.Now().Add(time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: revoked.Certificate().SerialNumber, RevocationTime: time.Now()}},
	}, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := ca.Config()
	cfg.CRLs = [][]byte{pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl})}
	v, err := NewVerifier([]Config{cfg})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(revoked.Serialize(), time.Now()); !errors.Is(err, ErrRevoked) {
		t.Errorf("revoked certificate: err = %v, want ErrRevoked", err)
	}
	if _, err := v.Validate(kept.Serialize(), time.Now()); err != nil {
		t.Errorf("a certificate that is not revoked is rejected: %v", err)
	}
	other := mustCA(t, "SchoolMSP")
	cfg.CRLs = [][]byte{pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl})}
	cfg.RootCerts = [][]byte{other.CertPEM()}
	if _, err := NewVerifier([]Config{cfg}); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Errorf("a CRL signed by a CA outside the MSP: err = %v, want INVALID", err)
	}
}

func TestIdentitiesRoundTripThroughAFabricMSPFolder(t *testing.T) {
	ca := mustCA(t, "GovMSP")
	id := mustIssue(t, ca, "admin@edu-bureau", map[string]string{eduledger.AttrOrg: "edu-bureau"}, WithRole(RoleAdmin), WithOUs("gov"))
	dir := filepath.Join(t.TempDir(), "msp")
	if err := id.Save(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"signcerts/cert.pem", "keystore/priv_sk", "cacerts/ca.pem", "config.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	if info, err := os.Stat(filepath.Join(dir, "keystore/priv_sk")); err == nil && info.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v, want 0600", info.Mode().Perm())
	}
	// A second, unrelated key in the keystore (fabric-ca keeps old keys) must not confuse loading.
	stale, _ := encodeKeyPEM(mustKey(t, elliptic.P256()))
	if err := os.WriteFile(filepath.Join(dir, "keystore", "0000_sk"), stale, 0o600); err != nil {
		t.Fatal(err)
	}
	back, err := LoadSigningIdentity(dir, "GovMSP")
	if err != nil {
		t.Fatal(err)
	}
	if string(back.Serialize()) != string(id.Serialize()) {
		t.Error("the loaded identity serializes differently")
	}
	cfg, err := LoadConfig(dir, "GovMSP")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.NodeOUs || len(cfg.RootCerts) != 1 {
		t.Errorf("config = %+v, want NodeOUs and one root", cfg)
	}
	v, err := NewVerifier([]Config{cfg})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(back.Serialize(), []byte("m"), mustSign(t, back, []byte("m")), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got.Role != RoleAdmin {
		t.Errorf("role = %q, want admin", got.Role)
	}
}

func TestFabricGatewayUsesTheSameIdentityAndSignatures(t *testing.T) {
	ca := mustCA(t, "SchoolMSP")
	id := mustIssue(t, ca, "u", nil)
	gwID, err := identity.NewX509Identity(id.MSPID(), id.Certificate())
	if err != nil {
		t.Fatal(err)
	}
	// The Gateway client sends SerializedIdentity{MspID(), Credentials()}.
	ser, err := proto.Marshal(&fabmsp.SerializedIdentity{Mspid: gwID.MspID(), IdBytes: gwID.Credentials()})
	if err != nil {
		t.Fatal(err)
	}
	if string(ser) != string(id.Serialize()) {
		t.Error("fabric-gateway serializes the identity differently")
	}
	sign, err := identity.NewPrivateKeySign(id.PrivateKey())
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("proposal")
	digest := sha256.Sum256(msg)
	sig, err := sign(digest[:])
	if err != nil {
		t.Fatal(err)
	}
	v, _ := NewVerifier([]Config{ca.Config()})
	if _, err := v.Verify(ser, msg, sig, time.Now()); err != nil {
		t.Fatalf("a fabric-gateway signature does not verify: %v", err)
	}
}

// TestLoadCAReadsACryptogenCA writes a CA the way cryptogen lays it out (ca/priv_sk as PKCS#8,
// ca/ca.<domain>-cert.pem) and issues from it.
func TestLoadCAReadsACryptogenCA(t *testing.T) {
	key := mustKey(t, elliptic.P256())
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{Country: []string{"US"}, Province: []string{"California"}, Locality: []string{"San Francisco"}, Organization: []string{"org1.example.com"}, CommonName: "ca.org1.example.com"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true, SubjectKeyId: subjectKeyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ca")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := encodeKeyPEM(key)
	if err := os.WriteFile(filepath.Join(dir, "priv_sk"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.org1.example.com-cert.pem"), encodeCertPEM(der), 0o644); err != nil {
		t.Fatal(err)
	}
	ca, err := LoadCAFromDir("Org1MSP", dir)
	if err != nil {
		t.Fatal(err)
	}
	id := mustIssue(t, ca, "User1@org1.example.com", map[string]string{"a": "b"})
	v, _ := NewVerifier([]Config{ca.Config()})
	if _, err := v.Validate(id.Serialize(), time.Now()); err != nil {
		t.Fatal(err)
	}
	// Saving and loading the CA keeps it.
	saved := filepath.Join(t.TempDir(), "saved")
	if err := ca.Save(saved); err != nil {
		t.Fatal(err)
	}
	again, err := LoadCAFromDir("Org1MSP", saved)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Certificate().Equal(ca.Certificate()) {
		t.Error("the saved CA loads as a different certificate")
	}
	// A key that does not match the certificate is refused.
	otherKey, _ := encodeKeyPEM(mustKey(t, elliptic.P256()))
	if _, err := LoadCA("Org1MSP", encodeCertPEM(der), otherKey); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Errorf("mismatched key: err = %v, want INVALID", err)
	}
}

func TestNewVerifierRefusesBadConfigs(t *testing.T) {
	ca := mustCA(t, "SchoolMSP")
	leaf := mustIssue(t, ca, "leaf", nil)
	tests := []struct {
		name string
		msps []Config
	}{
		{"an MSP without roots is refused", []Config{{ID: "SchoolMSP"}}},
		{"a bad MSP ID is refused", []Config{{ID: "bad id", RootCerts: [][]byte{ca.CertPEM()}}}},
		{"an MSP listed twice is refused", []Config{ca.Config(), ca.Config()}},
		{"a root that is not a CA is refused", []Config{{ID: "SchoolMSP", RootCerts: [][]byte{leaf.CertPEM()}}}},
		{"a root that is not PEM is refused", []Config{{ID: "SchoolMSP", RootCerts: [][]byte{[]byte("junk")}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewVerifier(tt.msps); eduledger.ErrorCode(err) != eduledger.EINVALID {
				t.Fatalf("err = %v, want INVALID", err)
			}
		})
	}
}

func TestIntermediateCAsAreFollowed(t *testing.T) {
	root := mustCA(t, "SchoolMSP")
	// An intermediate CA issued by the root.
	key := mustKey(t, elliptic.P256())
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(5), Subject: pkix.Name{CommonName: "ica.school"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
		SubjectKeyId: subjectKeyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root.cert, &key.PublicKey, root.key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := encodeKeyPEM(key)
	ica, err := LoadCA("SchoolMSP", encodeCertPEM(der), keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	id := mustIssue(t, ica, "leaf", nil)
	cfg := root.Config()
	if v, _ := NewVerifier([]Config{cfg}); v != nil {
		if _, err := v.Validate(id.Serialize(), time.Now()); !errors.Is(err, ErrUntrusted) {
			t.Errorf("without the intermediate: err = %v, want ErrUntrusted", err)
		}
	}
	cfg.IntermediateCerts = [][]byte{ica.CertPEM()}
	v, err := NewVerifier([]Config{cfg})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Validate(id.Serialize(), time.Now())
	if err != nil {
		t.Fatalf("with the intermediate: %v", err)
	}
	// The leaf's validity is capped by the intermediate's (24h), whatever the leaf says.
	if err := got.ValidAt(time.Now().Add(48 * time.Hour)); !errors.Is(err, ErrExpired) {
		t.Errorf("after the intermediate expires: err = %v, want ErrExpired", err)
	}
}
