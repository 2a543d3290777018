// Package verifier answers whether a credential is authentic, check by check: well-formed and
// schema-valid, every proof valid, the verification key registered to the issuer and valid at
// issuance, the issuer accredited for the credential's type at issuance and not suspended then, the
// digest anchored on the ledger (directly or by Merkle inclusion), its status, its expiry, and for a
// holder's presentation the binding to the holder's key. When the ledger cannot be reached the answer
// is "unknown", never "valid".
package verifier
