// Package eduledger holds EduLedger's domain: the organisations, accreditations, issuer keys, learner
// identities and credential anchors kept on the shared ledger, their identifiers, and the error type
// whose stable codes every layer (chaincode, SDK, HTTP services, CLI) speaks.
//
// It imports only the standard library so that the chaincode, the SDK and the services can all depend
// on it without depending on each other. The rules that decide who may change what live in the
// chaincode (package chaincode); this package only describes the shapes and checks that a value is
// well formed.
package eduledger
