package msp

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"

	"github.com/eduledger/eduledger"
)

// SigningIdentity is an X.509 identity of an MSP with its private key: what a Fabric client signs
// transaction proposals with.
type SigningIdentity struct {
	mspID      string
	cert       *x509.Certificate
	certPEM    []byte
	key        *ecdsa.PrivateKey
	caCertsPEM [][]byte
	serialized []byte
}

// NewSigningIdentity builds a signing identity of the MSP mspID from a certificate and its ECDSA
// private key in PEM (PKCS#8 or SEC 1), checking that they belong together. caCertsPEM, optional,
// are the MSP's CA certificates that Save writes into cacerts/.
func NewSigningIdentity(mspID string, certPEM, keyPEM []byte, caCertsPEM ...[]byte) (*SigningIdentity, error) {
	key, err := parseKeyPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	return newSigningIdentity(mspID, certPEM, key, caCertsPEM)
}

func newSigningIdentity(mspID string, certPEM []byte, key *ecdsa.PrivateKey, caCertsPEM [][]byte) (*SigningIdentity, error) {
	if !eduledger.ValidMSPID(mspID) {
		return nil, invalidf("MSP ID %q is not valid", mspID)
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, err
	}
	if key.Curve != elliptic.P256() {
		return nil, invalidf("private key must be ECDSA P-256")
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, invalidf("private key does not match the certificate %q", cert.Subject.CommonName)
	}
	// Serialize the certificate as one canonical PEM block, whatever surrounded it in the input,
	// so that every transaction carries the same creator bytes.
	canonical := encodeCertPEM(cert.Raw)
	serialized, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: canonical})
	if err != nil {
		return nil, fmt.Errorf("msp: serialize identity: %w", err)
	}
	cas := make([][]byte, len(caCertsPEM))
	for i, c := range caCertsPEM {
		cas[i] = bytes.Clone(c)
	}
	return &SigningIdentity{mspID: mspID, cert: cert, certPEM: canonical, key: key, caCertsPEM: cas, serialized: serialized}, nil
}

// MSPID returns the ID of the identity's MSP.
func (id *SigningIdentity) MSPID() string { return id.mspID }

// Certificate returns the parsed certificate. Do not modify it.
func (id *SigningIdentity) Certificate() *x509.Certificate { return id.cert }

// CertPEM returns the certificate in PEM.
func (id *SigningIdentity) CertPEM() []byte { return bytes.Clone(id.certPEM) }

// PrivateKey returns the private key, an *ecdsa.PrivateKey, as fabric-gateway's
// identity.NewPrivateKeySign expects it.
func (id *SigningIdentity) PrivateKey() crypto.Signer { return id.key }

// KeyPEM returns the private key as PKCS#8 PEM. Keep it secret.
func (id *SigningIdentity) KeyPEM() ([]byte, error) { return encodeKeyPEM(id.key) }

// CACertsPEM returns the CA certificates saved with the identity.
func (id *SigningIdentity) CACertsPEM() [][]byte {
	out := make([][]byte, len(id.caCertsPEM))
	for i, c := range id.caCertsPEM {
		out[i] = bytes.Clone(c)
	}
	return out
}

// Serialize returns the identity as Fabric clients send it in a proposal's signature header: a
// marshalled msp.SerializedIdentity holding the MSP ID and the certificate in PEM.
func (id *SigningIdentity) Serialize() []byte { return bytes.Clone(id.serialized) }

// Sign signs message with ECDSA over its SHA-256 digest and returns a DER signature with low S.
func (id *SigningIdentity) Sign(message []byte) ([]byte, error) {
	return signLowS(id.key, message)
}

// Fabric MSP folder layout.
const (
	signcertsDir     = "signcerts"
	keystoreDir      = "keystore"
	cacertsDir       = "cacerts"
	intermediatesDir = "intermediatecerts"
	crlsDir          = "crls"
	nodeOUsFile      = "config.yaml"
	certFileName     = "cert.pem"
	keyFileName      = "priv_sk"
	caFileName       = "ca.pem"
)

// Save writes the identity into dir in Fabric's MSP folder layout: signcerts/cert.pem,
// keystore/priv_sk (PKCS#8, mode 0600), cacerts/ca.pem (and ca-1.pem, … for further CA
// certificates) and a config.yaml enabling NodeOUs, so that fabric-gateway and the peer CLI
// (CORE_PEER_MSPCONFIGPATH) can use the folder as it is.
func (id *SigningIdentity) Save(dir string) error {
	keyPEM, err := encodeKeyPEM(id.key)
	if err != nil {
		return err
	}
	for _, sub := range []string{signcertsDir, keystoreDir, cacertsDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("msp: save identity: %w", err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, keystoreDir), 0o700); err != nil {
		return fmt.Errorf("msp: save identity: %w", err)
	}
	files := []struct {
		path string
		data []byte
		perm os.FileMode
	}{
		{filepath.Join(dir, signcertsDir, certFileName), id.certPEM, 0o644},
		{filepath.Join(dir, keystoreDir, keyFileName), keyPEM, 0o600},
	}
	for i, ca := range id.caCertsPEM {
		name := caFileName
		if i > 0 {
			name = fmt.Sprintf("ca-%d.pem", i)
		}
		files = append(files, struct {
			path string
			data []byte
			perm os.FileMode
		}{filepath.Join(dir, cacertsDir, name), ca, 0o644})
	}
	if len(id.caCertsPEM) > 0 {
		files = append(files, struct {
			path string
			data []byte
			perm os.FileMode
		}{filepath.Join(dir, nodeOUsFile), nodeOUsConfig(cacertsDir + "/" + caFileName), 0o644})
	}
	for _, f := range files {
		if err := writeFileAtomic(f.path, f.data, f.perm); err != nil {
			return fmt.Errorf("msp: save identity: %w", err)
		}
	}
	return nil
}

// LoadSigningIdentity reads a signing identity of the MSP mspID from a Fabric MSP folder: the first
// certificate in signcerts/ and the key in keystore/ that matches it (fabric-ca names keys
// <SKI>_sk, cryptogen priv_sk; a keystore may hold older keys too). CA certificates in cacerts/
// are kept for Save.
func LoadSigningIdentity(dir, mspID string) (*SigningIdentity, error) {
	certFiles, err := pemFiles(filepath.Join(dir, signcertsDir))
	if err != nil || len(certFiles) == 0 {
		return nil, invalidf("load identity: no certificate in %s", filepath.Join(dir, signcertsDir))
	}
	certPEM, err := os.ReadFile(certFiles[0])
	if err != nil {
		return nil, fmt.Errorf("msp: load identity: %w", err)
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(dir, keystoreDir))
	if err != nil {
		return nil, fmt.Errorf("msp: load identity: %w", err)
	}
	var key *ecdsa.PrivateKey
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, keystoreDir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("msp: load identity: %w", err)
		}
		k, err := parseKeyPEM(data)
		if err == nil && k.PublicKey.Equal(cert.PublicKey) {
			key = k
			break
		}
	}
	if key == nil {
		return nil, invalidf("load identity: no key in %s matches the certificate", filepath.Join(dir, keystoreDir))
	}
	var cas [][]byte
	caFiles, _ := pemFiles(filepath.Join(dir, cacertsDir))
	for _, f := range caFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("msp: load identity: %w", err)
		}
		cas = append(cas, data)
	}
	return newSigningIdentity(mspID, certPEM, key, cas)
}

// pemFiles lists the regular files of dir in name order.
func pemFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name()[0] != '.' {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

// nodeOUsConfig is the config.yaml that cryptogen writes for an MSP with NodeOUs enabled.
func nodeOUsConfig(caPath string) []byte {
	var b bytes.Buffer
	b.WriteString("NodeOUs:\n  Enable: true\n")
	for _, ou := range []struct{ key, value string }{
		{"ClientOUIdentifier", RoleClient}, {"PeerOUIdentifier", RolePeer},
		{"AdminOUIdentifier", RoleAdmin}, {"OrdererOUIdentifier", RoleOrderer},
	} {
		fmt.Fprintf(&b, "  %s:\n    Certificate: %s\n    OrganizationalUnitIdentifier: %s\n", ou.key, caPath, ou.value)
	}
	return b.Bytes()
}
