package verifier

import (
	"net/url"
	"strings"

	"github.com/eduledger/eduledger"
)

// Link returns the verification link printed (as a QR code) on a paper or screen credential:
// base + "/v?id=<credential ID>&d=<digest>". Opening it shows the credential's ledger record —
// issuer, type, issue date, status — and whether the ledger holds the same digest the paper names,
// which binds the paper to the record; checking the full contents still needs the credential file.
// For a batch credential the digest is its Merkle leaf and "r" carries the batch root.
func Link(base, credentialID, digest, batchRoot string) string {
	q := url.Values{}
	q.Set("id", credentialID)
	if digest != "" {
		q.Set("d", digest)
	}
	if batchRoot != "" {
		q.Set("r", batchRoot)
	}
	return strings.TrimRight(base, "/") + "/v?" + q.Encode()
}

// LinkTarget is what a verification link names.
type LinkTarget struct {
	CredentialID string `json:"credentialId"`
	Digest       string `json:"digest,omitempty"`
	BatchRoot    string `json:"batchRoot,omitempty"`
}

// ParseLink reads a verification link, or just its query, as Link writes it. It fails with INVALID
// when the link does not name a well-formed credential ID, digest and root.
func ParseLink(raw string) (*LinkTarget, error) {
	query := raw
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		query = raw[i+1:]
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "the verification link is not readable: %v", err)
	}
	t := &LinkTarget{CredentialID: q.Get("id"), Digest: q.Get("d"), BatchRoot: q.Get("r")}
	switch {
	case !eduledger.ValidCredentialID(t.CredentialID):
		return nil, eduledger.Errorf(eduledger.EINVALID, "the verification link does not name a credential")
	case t.Digest != "" && !eduledger.ValidDigest(t.Digest):
		return nil, eduledger.Errorf(eduledger.EINVALID, "the verification link's digest is malformed")
	case t.BatchRoot != "" && !eduledger.ValidDigest(t.BatchRoot):
		return nil, eduledger.Errorf(eduledger.EINVALID, "the verification link's batch root is malformed")
	}
	return t, nil
}
