package msp

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/attrmgr"

	"github.com/eduledger/eduledger"
)

// NodeOU roles, the organizational-unit values Fabric's NodeOUs give client, admin, peer and orderer
// certificates.
const (
	RoleClient  = "client"
	RoleAdmin   = "admin"
	RolePeer    = "peer"
	RoleOrderer = "orderer"
	// RoleMember is reported for identities of MSPs that do not use NodeOUs.
	RoleMember = "member"
)

// Default validity periods.
const (
	DefaultCAValidity   = 15 * 365 * 24 * time.Hour
	DefaultCertValidity = 365 * 24 * time.Hour
	// backdate lets a certificate be used at once by machines whose clocks lag a little.
	backdate = 5 * time.Minute
)

// CA is the certificate authority of one MSP: an ECDSA root certificate and its private key.
type CA struct {
	mspID   string
	cert    *x509.Certificate
	certPEM []byte
	key     *ecdsa.PrivateKey
}

// CAOption configures NewCA.
type CAOption func(*caConfig) error

type caConfig struct {
	notBefore, notAfter time.Time
	subject             pkix.Name
}

// WithCAValidity sets the CA certificate's validity period (default: from 5 minutes ago for 15
// years).
func WithCAValidity(notBefore, notAfter time.Time) CAOption {
	return func(c *caConfig) error {
		if !notAfter.After(notBefore) {
			return invalidf("CA validity must end after it starts")
		}
		c.notBefore, c.notAfter = notBefore, notAfter
		return nil
	}
}

// WithCASubject sets the country, locality and organisation of the CA's subject (default: CN,
// Shanghai, the MSP ID). The common name always comes from NewCA's argument.
func WithCASubject(country, locality, organization string) CAOption {
	return func(c *caConfig) error {
		c.subject.Country = nonEmpty(country)
		c.subject.Locality = nonEmpty(locality)
		c.subject.Organization = nonEmpty(organization)
		return nil
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// NewCA creates a self-signed ECDSA P-256 root CA for the MSP mspID, shaped like the CAs cryptogen
// and fabric-ca make: CA basic constraints, key usages digital signature, certificate sign and CRL
// sign, and a subject key identifier that issued certificates name as their authority key.
func NewCA(mspID, commonName string, opts ...CAOption) (*CA, error) {
	if !eduledger.ValidMSPID(mspID) {
		return nil, invalidf("MSP ID %q is not valid", mspID)
	}
	if err := checkCommonName(commonName); err != nil {
		return nil, err
	}
	now := time.Now()
	cfg := caConfig{
		notBefore: now.Add(-backdate),
		notAfter:  now.Add(DefaultCAValidity),
		subject:   pkix.Name{Country: []string{"CN"}, Locality: []string{"Shanghai"}, Organization: []string{mspID}},
	}
	for _, opt := range opts {
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("msp: generate CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	subject := cfg.subject
	subject.CommonName = commonName
	ski := subjectKeyID(&key.PublicKey)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             cfg.notBefore.UTC(),
		NotAfter:              cfg.notAfter.UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          ski,
		AuthorityKeyId:        ski,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("msp: create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("msp: parse CA certificate: %w", err)
	}
	return &CA{mspID: mspID, cert: cert, certPEM: encodeCertPEM(der), key: key}, nil
}

// LoadCA loads the CA of the MSP mspID from its certificate and private key in PEM, for example a
// cryptogen-made CA (ca/priv_sk, a PKCS#8 EC key, and ca/ca.<domain>-cert.pem) or a fabric-ca root.
// The key must match the certificate, and the certificate must be a CA certificate.
func LoadCA(mspID string, certPEM, keyPEM []byte) (*CA, error) {
	if !eduledger.ValidMSPID(mspID) {
		return nil, invalidf("MSP ID %q is not valid", mspID)
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, err
	}
	if !cert.IsCA || !cert.BasicConstraintsValid {
		return nil, invalidf("certificate %q is not a CA certificate", cert.Subject.CommonName)
	}
	key, err := parseKeyPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, invalidf("CA private key does not match the certificate %q", cert.Subject.CommonName)
	}
	return &CA{mspID: mspID, cert: cert, certPEM: encodeCertPEM(cert.Raw), key: key}, nil
}

// Files a CA is saved as by Save and read from by LoadCAFromDir, the names cryptogen uses for the
// key.
const (
	caCertFile = "ca-cert.pem"
	caKeyFile  = "priv_sk"
)

// Save writes the CA's certificate (ca-cert.pem) and private key (priv_sk, PKCS#8, mode 0600) into
// dir, creating it if needed.
func (ca *CA) Save(dir string) error {
	keyPEM, err := encodeKeyPEM(ca.key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("msp: save CA: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, caCertFile), ca.certPEM, 0o644); err != nil {
		return fmt.Errorf("msp: save CA: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, caKeyFile), keyPEM, 0o600); err != nil {
		return fmt.Errorf("msp: save CA: %w", err)
	}
	return nil
}

// LoadCAFromDir loads a CA from a folder holding priv_sk and one certificate file: ca-cert.pem as
// Save writes it, or the single *-cert.pem or *.pem that cryptogen and fabric-ca write.
func LoadCAFromDir(mspID, dir string) (*CA, error) {
	keyPEM, err := os.ReadFile(filepath.Join(dir, caKeyFile))
	if err != nil {
		return nil, fmt.Errorf("msp: load CA: %w", err)
	}
	certPath := filepath.Join(dir, caCertFile)
	if _, err := os.Stat(certPath); err != nil {
		matches, _ := filepath.Glob(filepath.Join(dir, "*.pem"))
		if len(matches) != 1 {
			return nil, invalidf("load CA: %s holds %d certificate files, want exactly one", dir, len(matches))
		}
		certPath = matches[0]
	}
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("msp: load CA: %w", err)
	}
	return LoadCA(mspID, certPEM, keyPEM)
}

// MSPID returns the ID of the MSP this CA issues for.
func (ca *CA) MSPID() string { return ca.mspID }

// Certificate returns the CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// CertPEM returns the CA certificate in PEM.
func (ca *CA) CertPEM() []byte { return bytes.Clone(ca.certPEM) }

// KeyPEM returns the CA's private key as PKCS#8 PEM. Keep it secret.
func (ca *CA) KeyPEM() ([]byte, error) { return encodeKeyPEM(ca.key) }

// Config returns the MSP configuration that trusts this CA, with NodeOUs enabled, as a channel
// lists its member MSPs.
func (ca *CA) Config() Config {
	return Config{ID: ca.mspID, RootCerts: [][]byte{ca.CertPEM()}, NodeOUs: true}
}

// IssueOption configures CA.Issue.
type IssueOption func(*issueConfig) error

type issueConfig struct {
	notBefore, notAfter time.Time
	role                string
	ous                 []string
	key                 *ecdsa.PrivateKey
}

// WithValidity sets the certificate's validity period (default: from 5 minutes ago for one year).
// It must lie within the CA certificate's own validity period.
func WithValidity(notBefore, notAfter time.Time) IssueOption {
	return func(c *issueConfig) error {
		if !notAfter.After(notBefore) {
			return invalidf("validity must end after it starts")
		}
		c.notBefore, c.notAfter = notBefore, notAfter
		return nil
	}
}

// WithRole sets the NodeOU role the certificate carries as its first OU: RoleClient (the default),
// RoleAdmin, RolePeer or RoleOrderer.
func WithRole(role string) IssueOption {
	return func(c *issueConfig) error {
		switch role {
		case RoleClient, RoleAdmin, RolePeer, RoleOrderer:
			c.role = role
			return nil
		}
		return invalidf("role %q must be client, admin, peer or orderer", role)
	}
}

// WithOUs adds organizational units after the NodeOU role (fabric-ca adds the affiliation, e.g.
// "school", "riverside-university"). They must not be NodeOU role names.
func WithOUs(ous ...string) IssueOption {
	return func(c *issueConfig) error {
		for _, ou := range ous {
			if ou == "" || utf8.RuneCountInString(ou) > 64 || !utf8.ValidString(ou) {
				return invalidf("OU %q must be 1-64 characters of valid UTF-8", ou)
			}
			if isRoleOU(ou) {
				return invalidf("OU %q is a NodeOU role: use WithRole", ou)
			}
		}
		c.ous = append(c.ous, ous...)
		return nil
	}
}

// WithKey issues the certificate for an existing ECDSA P-256 private key instead of a new one, as an
// enrolment with a key generated elsewhere does.
func WithKey(key *ecdsa.PrivateKey) IssueOption {
	return func(c *issueConfig) error {
		if key == nil || key.Curve != elliptic.P256() {
			return invalidf("key must be an ECDSA P-256 private key")
		}
		c.key = key
		return nil
	}
}

func isRoleOU(ou string) bool {
	return ou == RoleClient || ou == RoleAdmin || ou == RolePeer || ou == RoleOrderer
}

// Issue creates a new ECDSA P-256 key and a certificate for it signed by the CA, with the NodeOU
// role (client unless WithRole says otherwise) as an OU and attrs, if any, in the Fabric attribute
// extension (OID 1.2.3.4.5.6.7.8.1, value {"attrs":{…}} exactly as fabric-ca writes it, so that
// cid.GetAttributeValue reads each attribute unchanged).
func (ca *CA) Issue(commonName string, attrs map[string]string, opts ...IssueOption) (*SigningIdentity, error) {
	if err := checkCommonName(commonName); err != nil {
		return nil, err
	}
	for name, value := range attrs {
		if name == "" || !utf8.ValidString(name) || !utf8.ValidString(value) {
			return nil, invalidf("attribute names must be non-empty and names and values valid UTF-8")
		}
	}
	now := time.Now()
	cfg := issueConfig{notBefore: now.Add(-backdate), notAfter: now.Add(DefaultCertValidity), role: RoleClient}
	for _, opt := range opts {
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.notAfter.After(ca.cert.NotAfter) {
		// A certificate that outlives its issuer cannot be validated past the issuer's end;
		// shorten it like fabric-ca does rather than issue something unusable.
		cfg.notAfter = ca.cert.NotAfter
	}
	if cfg.notBefore.Before(ca.cert.NotBefore) {
		cfg.notBefore = ca.cert.NotBefore
	}
	if !cfg.notAfter.After(cfg.notBefore) {
		return nil, invalidf("validity period lies outside the CA's (%s to %s)", ca.cert.NotBefore, ca.cert.NotAfter)
	}
	key := cfg.key
	if key == nil {
		var err error
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, fmt.Errorf("msp: generate key: %w", err)
		}
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	subject := pkix.Name{
		Country:            ca.cert.Subject.Country,
		Locality:           ca.cert.Subject.Locality,
		Organization:       ca.cert.Subject.Organization,
		OrganizationalUnit: append([]string{cfg.role}, cfg.ous...),
		CommonName:         commonName,
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             cfg.notBefore.UTC(),
		NotAfter:              cfg.notAfter.UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  false,
		SubjectKeyId:          subjectKeyID(&key.PublicKey),
		AuthorityKeyId:        ca.cert.SubjectKeyId,
	}
	if len(attrs) > 0 {
		// attrmgr marshals the map with encoding/json, which sorts the keys: the extension is
		// the same bytes for the same attributes.
		if err := attrmgr.New().AddAttributesToCert(&attrmgr.Attributes{Attrs: attrs}, tmpl); err != nil {
			return nil, fmt.Errorf("msp: attributes: %w", err)
		}
		// x509.CreateCertificate writes ExtraExtensions, not Extensions.
		tmpl.ExtraExtensions, tmpl.Extensions = tmpl.Extensions, nil
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("msp: create certificate: %w", err)
	}
	return newSigningIdentity(ca.mspID, encodeCertPEM(der), key, [][]byte{ca.CertPEM()})
}

// Attributes returns the Fabric attributes in a certificate's attribute extension, nil if it has
// none.
func Attributes(cert *x509.Certificate) (map[string]string, error) {
	attrs, err := attrmgr.New().GetAttributesFromCert(cert)
	if err != nil {
		return nil, invalidf("attributes: %v", err)
	}
	return attrs.Attrs, nil
}

func checkCommonName(cn string) error {
	if strings.TrimSpace(cn) == "" || utf8.RuneCountInString(cn) > 64 || !utf8.ValidString(cn) {
		return invalidf("common name %q must be 1-64 characters of valid UTF-8", cn)
	}
	return nil
}

func randomSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("msp: serial number: %w", err)
	}
	return serial.Add(serial, big.NewInt(1)), nil
}

// subjectKeyID is the SHA-256 of the uncompressed public point, as cryptogen computes it.
func subjectKeyID(pub *ecdsa.PublicKey) []byte {
	raw, err := pub.Bytes()
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(raw)
	return sum[:]
}

// roleOf returns the single NodeOU role among ous, or "" if there is none or more than one.
func roleOf(ous []string) string {
	role := ""
	for _, ou := range ous {
		if isRoleOU(ou) {
			if role != "" && role != ou {
				return ""
			}
			role = ou
		}
	}
	return role
}
