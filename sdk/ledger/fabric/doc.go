// Package fabric is the SDK's Hyperledger Fabric backend: a ledger.Ledger over the Fabric Gateway
// client API (github.com/hyperledger/fabric-gateway), for a real network such as the one network/
// brings up.
//
// Connect takes a Profile (which gateway peers to dial, channel, chaincode; see LoadProfile) and an
// Identity (an X.509 identity of a member organisation, for example a staff identity from sdk/msp or
// an MSP folder read by LoadIdentity). The returned *Ledger then:
//
//   - submits with per-phase timeouts (endorse, submit, commit status), each also bounded by the
//     caller's ctx, re-sending the same signed transaction when the orderer could not be reached and
//     re-querying the commit status of the same transaction ID, so an unknown outcome never turns
//     into a second commit;
//   - re-runs a transaction that was invalidated with MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT
//     (an invalidated transaction had no effect and the chaincode re-checks every rule, so this is
//     safe), a bounded number of times with jittered back-off;
//   - sends private inputs as transient data, pinning the endorsing organisations when it does (see
//     WithTransientEndorsers: the gateway refuses to choose endorsers for transient data itself);
//   - streams chaincode events from a ledger.Checkpoint and, when the stream breaks, resumes after the
//     last delivered event, so no event is missed or repeated across reconnects;
//   - maps every failure to an EduLedger error code: the chaincode's "CODE: message" errors keep
//     their code, commit-time invalidation becomes a *ledger.CommitError (CONFLICT or FORBIDDEN),
//     unreachable peers and expired contexts become UNAVAILABLE.
//
// Why fabric-gateway and not fabric-sdk-go: fabric-sdk-go, the old Go client, was deprecated in 2024
// and archived in 2025; since Fabric 2.4 the Gateway service in every peer does endorser selection,
// ordering and commit-status tracking, and fabric-gateway is the supported thin client for it. See
// docs/operations.md.
package fabric
