package msp

import (
	"errors"
	"fmt"

	"github.com/eduledger/eduledger"
)

// Sentinel errors, wrapped in the *eduledger.Error values this package returns.
var (
	// ErrMalformedIdentity: the serialized identity, its PEM or its certificate cannot be parsed.
	ErrMalformedIdentity = errors.New("malformed identity")
	// ErrUnknownMSP: the identity names an MSP that is not one of the verifier's.
	ErrUnknownMSP = errors.New("unknown MSP")
	// ErrUntrusted: the certificate does not chain to the MSP's root certificates, or is a CA.
	ErrUntrusted = errors.New("certificate not issued by the MSP")
	// ErrExpired: the certificate (or one in its chain) is not valid at the time of use.
	ErrExpired = errors.New("certificate outside its validity period")
	// ErrRevoked: the certificate is listed in one of the MSP's revocation lists.
	ErrRevoked = errors.New("certificate revoked")
	// ErrRole: the MSP uses NodeOUs and the certificate carries no single NodeOU role.
	ErrRole = errors.New("certificate has no NodeOU role")
	// ErrBadSignature: the signature is malformed, high-S, or does not verify.
	ErrBadSignature = errors.New("bad signature")
)

func invalidf(format string, args ...any) error {
	return eduledger.Errorf(eduledger.EINVALID, "msp: "+format, args...)
}

// forbidden wraps a sentinel (and optional detail) in a FORBIDDEN *eduledger.Error.
func forbidden(sentinel error, format string, args ...any) error {
	return &eduledger.Error{
		Code:    eduledger.EFORBIDDEN,
		Message: "msp: " + sentinel.Error() + ": " + fmt.Sprintf(format, args...),
		Err:     sentinel,
	}
}
