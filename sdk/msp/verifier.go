package msp

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/proto"

	"github.com/eduledger/eduledger"
)

// Config describes one member MSP of a channel: its ID and the certificates that define who belongs
// to it. Certificates and CRLs are PEM.
type Config struct {
	ID                string   `json:"id"`
	RootCerts         [][]byte `json:"rootCerts"`
	IntermediateCerts [][]byte `json:"intermediateCerts,omitempty"`
	// CRLs are X.509 revocation lists signed by a root or intermediate CA of the MSP.
	CRLs [][]byte `json:"crls,omitempty"`
	// NodeOUs, when true, requires every identity to carry exactly one NodeOU role (client,
	// admin, peer or orderer) as an organizational unit, as Fabric MSPs configured with NodeOUs do.
	NodeOUs bool `json:"nodeOUs"`
}

// LoadConfig reads the MSP configuration of mspID from a Fabric MSP folder (cacerts/,
// intermediatecerts/, crls/ and config.yaml's NodeOUs.Enable), such as cryptogen's
// organizations/<org>/msp.
func LoadConfig(dir, mspID string) (Config, error) {
	cfg := Config{ID: mspID}
	read := func(sub string) ([][]byte, error) {
		files, err := pemFiles(filepath.Join(dir, sub))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("msp: load config: %w", err)
		}
		var out [][]byte
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("msp: load config: %w", err)
			}
			out = append(out, data)
		}
		return out, nil
	}
	var err error
	if cfg.RootCerts, err = read(cacertsDir); err != nil {
		return Config{}, err
	}
	if cfg.IntermediateCerts, err = read(intermediatesDir); err != nil {
		return Config{}, err
	}
	if cfg.CRLs, err = read(crlsDir); err != nil {
		return Config{}, err
	}
	data, err := os.ReadFile(filepath.Join(dir, nodeOUsFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return Config{}, fmt.Errorf("msp: load config: %w", err)
	default:
		var y struct {
			NodeOUs struct {
				Enable bool `yaml:"Enable"`
			} `yaml:"NodeOUs"`
		}
		if err := yaml.Unmarshal(data, &y); err != nil {
			return Config{}, invalidf("load config: %s: %v", nodeOUsFile, err)
		}
		cfg.NodeOUs = y.NodeOUs.Enable
	}
	if _, err := newMSPVerifier(cfg); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Identity is a validated identity: its MSP, certificate and NodeOU role.
type Identity struct {
	MSPID       string
	Certificate *x509.Certificate
	// Role is the NodeOU role (RoleClient, RoleAdmin, RolePeer, RoleOrderer), or RoleMember when
	// the MSP does not use NodeOUs.
	Role string

	pub                 *ecdsa.PublicKey
	notBefore, notAfter time.Time // intersection of the chain's validity periods
}

// ValidAt reports whether the certificate and every certificate above it are within their validity
// periods at t.
func (id *Identity) ValidAt(t time.Time) error {
	if t.Before(id.notBefore) || t.After(id.notAfter) {
		return forbidden(ErrExpired, "%q is valid from %s to %s, not at %s", id.Certificate.Subject.CommonName,
			id.notBefore.UTC().Format(time.RFC3339), id.notAfter.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339))
	}
	return nil
}

// Verify checks an ECDSA signature over SHA-256(message) by the identity's key. High-S signatures
// are rejected.
func (id *Identity) Verify(message, sig []byte) error {
	if err := verifySignature(id.pub, message, sig); err != nil {
		return &eduledger.Error{Code: eduledger.EFORBIDDEN, Message: "msp: " + err.Error(), Err: ErrBadSignature}
	}
	return nil
}

// Attributes returns the Fabric attributes in the identity's certificate.
func (id *Identity) Attributes() (map[string]string, error) { return Attributes(id.Certificate) }

// Verifier validates identities and signatures against a channel's MSPs. It is safe for concurrent
// use.
type Verifier struct {
	msps  map[string]*mspVerifier
	cache *identityCache
}

// VerifierOption configures NewVerifier.
type VerifierOption func(*Verifier) error

// WithCacheSize bounds the cache of validated identities (default 4096 entries; 0 disables it).
func WithCacheSize(n int) VerifierOption {
	return func(v *Verifier) error {
		if n < 0 {
			return invalidf("cache size must not be negative")
		}
		v.cache = newIdentityCache(n)
		return nil
	}
}

// DefaultCacheSize is the default number of validated identities a Verifier remembers.
const DefaultCacheSize = 4096

// NewVerifier returns a verifier for the given MSPs. Each must have a valid, unique ID and at least
// one root certificate.
func NewVerifier(msps []Config, opts ...VerifierOption) (*Verifier, error) {
	v := &Verifier{msps: make(map[string]*mspVerifier, len(msps)), cache: newIdentityCache(DefaultCacheSize)}
	for _, c := range msps {
		if _, dup := v.msps[c.ID]; dup {
			return nil, invalidf("MSP %q is listed twice", c.ID)
		}
		mv, err := newMSPVerifier(c)
		if err != nil {
			return nil, err
		}
		v.msps[c.ID] = mv
	}
	for _, opt := range opts {
		if err := opt(v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// HasMSP reports whether mspID is one of the verifier's MSPs.
func (v *Verifier) HasMSP(mspID string) bool {
	_, ok := v.msps[mspID]
	return ok
}

// Validate checks a serialized identity (a marshalled msp.SerializedIdentity) at time at: it
// parses, belongs to a known MSP, chains to that MSP's roots through its intermediates, is not a
// CA, is not revoked, carries a NodeOU role when the MSP uses NodeOUs, and it and its chain are
// valid at at. The outcome of everything but the time check is cached.
//
// Errors: INVALID (ErrMalformedIdentity), FORBIDDEN (ErrUnknownMSP, ErrUntrusted, ErrRevoked,
// ErrRole, ErrExpired).
func (v *Verifier) Validate(serialized []byte, at time.Time) (*Identity, error) {
	key := sha256.Sum256(serialized)
	id := v.cache.get(key)
	if id == nil {
		var err error
		if id, err = v.validate(serialized, at); err != nil {
			return nil, err
		}
		v.cache.put(key, id)
	}
	if err := id.ValidAt(at); err != nil {
		return nil, err
	}
	return id, nil
}

// Verify validates the serialized identity at time at and checks its signature over message.
func (v *Verifier) Verify(serialized, message, sig []byte, at time.Time) (*Identity, error) {
	id, err := v.Validate(serialized, at)
	if err != nil {
		return nil, err
	}
	if err := id.Verify(message, sig); err != nil {
		return nil, err
	}
	return id, nil
}

func (v *Verifier) validate(serialized []byte, at time.Time) (*Identity, error) {
	mspID, cert, err := ParseSerializedIdentity(serialized)
	if err != nil {
		return nil, err
	}
	mv, ok := v.msps[mspID]
	if !ok {
		return nil, forbidden(ErrUnknownMSP, "%q is not a member of the channel", mspID)
	}
	return mv.validate(cert, at)
}

// maxSerializedIdentity bounds what ParseSerializedIdentity accepts; real ones are about 1 KB.
const maxSerializedIdentity = 64 << 10

// ParseSerializedIdentity reads a marshalled msp.SerializedIdentity holding an X.509 certificate in
// PEM, as Fabric clients send it, and returns the MSP ID and the certificate. It checks the shape
// only, not trust: use a Verifier for that.
func ParseSerializedIdentity(serialized []byte) (mspID string, cert *x509.Certificate, err error) {
	if len(serialized) == 0 || len(serialized) > maxSerializedIdentity {
		return "", nil, malformed("serialized identity must be 1 to %d bytes", maxSerializedIdentity)
	}
	var sid msp.SerializedIdentity
	if err := proto.Unmarshal(serialized, &sid); err != nil {
		return "", nil, malformed("not a serialized identity: %v", err)
	}
	if !eduledger.ValidMSPID(sid.Mspid) {
		return "", nil, malformed("MSP ID %q is not valid", sid.Mspid)
	}
	block, rest := pem.Decode(sid.IdBytes)
	if block == nil || block.Type != "CERTIFICATE" {
		return "", nil, malformed("identity bytes are not a PEM certificate")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return "", nil, malformed("identity bytes hold more than one PEM block")
	}
	cert, err = x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", nil, malformed("parse certificate: %v", err)
	}
	return sid.Mspid, cert, nil
}

func malformed(format string, args ...any) error {
	return &eduledger.Error{Code: eduledger.EINVALID, Message: "msp: " + ErrMalformedIdentity.Error() + ": " + fmt.Sprintf(format, args...), Err: ErrMalformedIdentity}
}

// mspVerifier checks identities of one MSP.
type mspVerifier struct {
	cfg           Config
	roots         *x509.CertPool
	intermediates *x509.CertPool
	caCerts       []*x509.Certificate
	revoked       map[string]bool // issuer raw subject + serial
}

func newMSPVerifier(c Config) (*mspVerifier, error) {
	if !eduledger.ValidMSPID(c.ID) {
		return nil, invalidf("MSP ID %q is not valid", c.ID)
	}
	if len(c.RootCerts) == 0 {
		return nil, invalidf("MSP %q has no root certificate", c.ID)
	}
	mv := &mspVerifier{cfg: c, roots: x509.NewCertPool(), intermediates: x509.NewCertPool(), revoked: map[string]bool{}}
	for _, p := range c.RootCerts {
		certs, err := parseCertsPEM(p)
		if err != nil {
			return nil, invalidf("MSP %q root certificate: %v", c.ID, err)
		}
		for _, cert := range certs {
			if !cert.IsCA {
				return nil, invalidf("MSP %q root certificate %q is not a CA", c.ID, cert.Subject.CommonName)
			}
			mv.roots.AddCert(cert)
			mv.caCerts = append(mv.caCerts, cert)
		}
	}
	for _, p := range c.IntermediateCerts {
		certs, err := parseCertsPEM(p)
		if err != nil {
			return nil, invalidf("MSP %q intermediate certificate: %v", c.ID, err)
		}
		for _, cert := range certs {
			if !cert.IsCA {
				return nil, invalidf("MSP %q intermediate certificate %q is not a CA", c.ID, cert.Subject.CommonName)
			}
			mv.intermediates.AddCert(cert)
			mv.caCerts = append(mv.caCerts, cert)
		}
	}
	for _, p := range c.CRLs {
		block, _ := pem.Decode(p)
		if block == nil || block.Type != "X509 CRL" {
			return nil, invalidf("MSP %q: CRL is not a PEM X509 CRL", c.ID)
		}
		crl, err := x509.ParseRevocationList(block.Bytes)
		if err != nil {
			return nil, invalidf("MSP %q: parse CRL: %v", c.ID, err)
		}
		signed := false
		for _, ca := range mv.caCerts {
			if bytes.Equal(ca.RawSubject, crl.RawIssuer) && crl.CheckSignatureFrom(ca) == nil {
				signed = true
				break
			}
		}
		if !signed {
			return nil, invalidf("MSP %q: CRL is not signed by one of its CAs", c.ID)
		}
		for _, e := range crl.RevokedCertificateEntries {
			mv.revoked[string(crl.RawIssuer)+"/"+e.SerialNumber.String()] = true
		}
	}
	return mv, nil
}

func (mv *mspVerifier) validate(cert *x509.Certificate, at time.Time) (*Identity, error) {
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || (pub.Curve != elliptic.P256() && pub.Curve != elliptic.P384()) {
		return nil, forbidden(ErrUntrusted, "%q: only ECDSA P-256 and P-384 keys are supported", cert.Subject.CommonName)
	}
	if cert.IsCA {
		return nil, forbidden(ErrUntrusted, "%q is a CA certificate and cannot act as an identity", cert.Subject.CommonName)
	}
	chains, err := cert.Verify(x509.VerifyOptions{
		Roots:         mv.roots,
		Intermediates: mv.intermediates,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			return nil, forbidden(ErrExpired, "%q: %v", cert.Subject.CommonName, err)
		}
		return nil, forbidden(ErrUntrusted, "%q does not chain to MSP %s: %v", cert.Subject.CommonName, mv.cfg.ID, err)
	}
	chain := chains[0]
	id := &Identity{MSPID: mv.cfg.ID, Certificate: cert, Role: RoleMember, pub: pub, notBefore: cert.NotBefore, notAfter: cert.NotAfter}
	for _, c := range chain {
		if c.NotBefore.After(id.notBefore) {
			id.notBefore = c.NotBefore
		}
		if c.NotAfter.Before(id.notAfter) {
			id.notAfter = c.NotAfter
		}
	}
	for _, c := range chain[:len(chain)-1] {
		if mv.revoked[string(c.RawIssuer)+"/"+c.SerialNumber.String()] {
			return nil, forbidden(ErrRevoked, "%q (serial %s)", c.Subject.CommonName, c.SerialNumber)
		}
	}
	if mv.cfg.NodeOUs {
		role := roleOf(cert.Subject.OrganizationalUnit)
		if role == "" {
			return nil, forbidden(ErrRole, "%q has OUs %q", cert.Subject.CommonName, cert.Subject.OrganizationalUnit)
		}
		id.Role = role
	}
	return id, nil
}

// identityCache remembers validated identities by the SHA-256 of their serialized bytes, evicting
// the oldest entry when full.
type identityCache struct {
	mu    sync.Mutex
	m     map[[32]byte]*Identity
	order [][32]byte
	next  int
}

func newIdentityCache(size int) *identityCache {
	return &identityCache{m: make(map[[32]byte]*Identity, size), order: make([][32]byte, 0, size)}
}

func (c *identityCache) get(k [32]byte) *Identity {
	c.mu.Lock()
	id := c.m[k]
	c.mu.Unlock()
	return id
}

func (c *identityCache) put(k [32]byte, id *Identity) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cap(c.order) == 0 {
		return
	}
	if _, ok := c.m[k]; ok {
		return
	}
	if len(c.order) < cap(c.order) {
		c.order = append(c.order, k)
	} else {
		delete(c.m, c.order[c.next])
		c.order[c.next] = k
		c.next = (c.next + 1) % len(c.order)
	}
	c.m[k] = id
}

// cachedLen returns the number of cached identities.
func (v *Verifier) cachedLen() int {
	v.cache.mu.Lock()
	defer v.cache.mu.Unlock()
	return len(v.cache.m)
}
