package issuerapi

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/issuance"
)

// DevPassphrase returns the development key passphrase kept in dataDir/dev-passphrase (mode 0600),
// creating a random one on first use. It is for development networks only: like the development
// CA keys, it sits beside what it protects. Production services set their passphrase in their
// configuration or environment.
func DevPassphrase(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "dev-passphrase")
	b, err := os.ReadFile(path)
	if err == nil {
		if p := strings.TrimSpace(string(b)); len(p) >= 12 {
			return p, nil
		}
		return "", fmt.Errorf("issuerapi: %s holds no usable passphrase", path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("issuerapi: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("issuerapi: %w", err)
	}
	var r [24]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("issuerapi: %w", err)
	}
	p := base64.RawURLEncoding.EncodeToString(r[:])
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("issuerapi: %w", err)
	}
	if _, err := f.WriteString(p + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("issuerapi: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("issuerapi: %w", err)
	}
	return p, f.Close()
}

// DevToken returns a fresh token of orgID in role named "dev-<role>", revoking the previous one of
// that name: API tokens are stored hashed, so a development service hands out a new one at every
// start (what `eduledger run` prints).
func (s *Server) DevToken(orgID string, role eduledger.StaffRole) (string, error) {
	if _, err := s.hosts(orgID); err != nil {
		return "", err
	}
	t, err := s.eng.Tokens().Replace(issuance.TokenSpec{Name: "dev-" + string(role), OrgID: orgID, Role: role}, "dev")
	if err != nil {
		return "", err
	}
	return t.Secret, nil
}
