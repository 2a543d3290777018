package fabric

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
)

// Profile says how one client reaches the channel: the gateway peers to dial, in order of
// preference, and the channel and chaincode names. network/up.sh writes one per organisation.
type Profile struct {
	// Channel is the channel name (EduLedger: "eduledger").
	Channel string `json:"channel"`
	// Chaincode is the chaincode name (EduLedger: "eduledger").
	Chaincode string `json:"chaincode"`
	// MSPID is the organisation whose clients use this profile. Informational: the identity
	// passed to Connect decides who signs.
	MSPID string `json:"mspId,omitempty"`
	// Gateways are the peers whose Gateway service the client uses, the first reachable one
	// first. Listing another organisation's peer after the own one gives fail-over: any peer of
	// the channel can run the gateway for any member's client.
	Gateways []Gateway `json:"gateways"`
	// TransientEndorsers are the organisations (besides the client's own) trusted to endorse
	// transactions that carry private data; see WithTransientEndorsers.
	TransientEndorsers []string `json:"transientEndorsers,omitempty"`
}

// Gateway is one peer's Gateway endpoint.
type Gateway struct {
	// Address is host:port of the peer.
	Address string `json:"address"`
	// TLSRootCert is the path of the PEM file of the CA that issued the peer's TLS certificate.
	// A relative path is relative to the profile file.
	TLSRootCert string `json:"tlsRootCert"`
	// ServerName overrides the name checked against the peer's TLS certificate (default: the
	// host part of Address).
	ServerName string `json:"serverName,omitempty"`
}

// LoadProfile reads a JSON profile and resolves its relative paths against the file's folder.
func LoadProfile(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fabric: profile: %w", err)
	}
	p, err := ParseProfile(data)
	if err != nil {
		return nil, fmt.Errorf("fabric: profile %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	for i := range p.Gateways {
		if !filepath.IsAbs(p.Gateways[i].TLSRootCert) {
			p.Gateways[i].TLSRootCert = filepath.Join(dir, p.Gateways[i].TLSRootCert)
		}
	}
	return p, nil
}

// ParseProfile decodes a JSON profile strictly (unknown fields are an error) and validates it.
func ParseProfile(data []byte) (*Profile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode: trailing data after the profile")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Validate checks that p names a channel, a chaincode and at least one well-formed gateway.
func (p *Profile) Validate() error {
	switch {
	case p.Channel == "":
		return errors.New("channel is required")
	case p.Chaincode == "":
		return errors.New("chaincode is required")
	case len(p.Gateways) == 0:
		return errors.New("at least one gateway is required")
	}
	for i, g := range p.Gateways {
		host, port, ok := strings.Cut(g.Address, ":")
		if !ok || host == "" || port == "" || strings.ContainsAny(g.Address, "/ ") {
			return fmt.Errorf("gateways[%d]: address %q is not host:port", i, g.Address)
		}
		if g.TLSRootCert == "" {
			return fmt.Errorf("gateways[%d]: tlsRootCert is required (the network uses TLS everywhere)", i)
		}
	}
	for i, m := range p.TransientEndorsers {
		if m == "" {
			return fmt.Errorf("transientEndorsers[%d] is empty", i)
		}
	}
	return nil
}

// Identity is the X.509 identity a connection acts as.
type Identity struct {
	// MSPID is the identity's organisation, e.g. "SchoolMSP".
	MSPID string
	// Certificate is the PEM of the identity's certificate.
	Certificate []byte
	// Sign signs a message as Fabric expects: ECDSA over the message's SHA-256 digest, DER
	// encoded, low-S. It hashes the message itself (sdk/msp's SigningIdentity.Sign does).
	Sign func(message []byte) ([]byte, error)
}

func (id *Identity) validate() error {
	switch {
	case id == nil:
		return errors.New("fabric: no identity")
	case id.MSPID == "":
		return errors.New("fabric: identity has no MSP ID")
	case id.Sign == nil:
		return errors.New("fabric: identity has no signer")
	}
	if _, err := identity.CertificateFromPEM(id.Certificate); err != nil {
		return fmt.Errorf("fabric: identity certificate: %w", err)
	}
	return nil
}

// LoadIdentity reads an identity from a Fabric MSP folder: the certificate in signcerts/ and its
// private key (PKCS#8 PEM) in keystore/. It is the layout cryptogen, fabric-ca-client and sdk/msp
// write, so the peer CLI and this SDK can share one folder.
func LoadIdentity(mspID, mspDir string) (*Identity, error) {
	certPEM, err := onlyFile(filepath.Join(mspDir, "signcerts"))
	if err != nil {
		return nil, fmt.Errorf("fabric: identity %s: %w", mspDir, err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("fabric: identity %s: certificate: %w", mspDir, err)
	}
	key, err := matchingKey(filepath.Join(mspDir, "keystore"), cert)
	if err != nil {
		return nil, fmt.Errorf("fabric: identity %s: %w", mspDir, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, fmt.Errorf("fabric: identity %s: %w", mspDir, err)
	}
	return &Identity{
		MSPID:       mspID,
		Certificate: certPEM,
		Sign: func(message []byte) ([]byte, error) {
			digest := sha256.Sum256(message)
			return sign(digest[:])
		},
	}, nil
}

func onlyFile(dir string) ([]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var found []string
	for _, e := range entries {
		if !e.IsDir() {
			found = append(found, e.Name())
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("%s must hold exactly one certificate, found %d files", dir, len(found))
	}
	return os.ReadFile(filepath.Join(dir, found[0]))
}

// matchingKey returns the private key in dir whose public key is cert's: a keystore may hold
// stale keys next to the current one.
func matchingKey(dir string, cert *x509.Certificate) (crypto.PrivateKey, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		block, _ := pem.Decode(data)
		if block == nil {
			continue
		}
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			continue
		}
		pub, ok := key.(interface{ Public() crypto.PublicKey })
		if !ok {
			continue
		}
		if eq, ok := pub.Public().(interface{ Equal(crypto.PublicKey) bool }); ok && eq.Equal(cert.PublicKey) {
			return key, nil
		}
	}
	return nil, fmt.Errorf("%s holds no PKCS#8 private key for the certificate", dir)
}
