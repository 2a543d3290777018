// Package msp provides X.509 identities the way Hyperledger Fabric's membership service providers
// (MSPs) issue, store and check them, so that the same certificates and keys work with the embedded
// ledger, with the Fabric Gateway client and with the Fabric peer CLI.
//
// A CA (NewCA, LoadCA) is one MSP's certificate authority: a self-signed ECDSA P-256 root, or a
// cryptogen/fabric-ca root loaded from PEM. CA.Issue makes a client (or admin) certificate with the
// NodeOU in its subject and, optionally, Fabric attributes in the extension with OID 1.2.3.4.5.6.7.8.1
// encoded exactly as fabric-ca encodes it, so that the chaincode's cid package reads them unchanged.
//
// A SigningIdentity is a certificate with its private key. It serializes itself as Fabric's
// msp.SerializedIdentity, signs with ECDSA over SHA-256 with a low-S signature (Fabric rejects high-S
// signatures), and saves to and loads from Fabric's MSP folder layout (signcerts/, keystore/,
// cacerts/, config.yaml).
//
// A Verifier checks serialized identities and signatures against the root certificates of a channel's
// MSPs: well-formed, issued under the MSP's roots, not revoked, within its validity period, carrying a
// NodeOU role when the MSP uses NodeOUs, and signatures that verify and are low-S. Validated identities
// are cached by the SHA-256 of their serialized bytes, because the same staff certificate signs
// transaction after transaction.
//
// Errors are *eduledger.Error values: INVALID for malformed input, FORBIDDEN for an identity or a
// signature that does not pass; they also wrap this package's sentinel errors (ErrUnknownMSP,
// ErrUntrusted, ErrExpired, …) for errors.Is.
package msp
