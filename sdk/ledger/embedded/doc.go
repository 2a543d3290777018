// Package embedded is EduLedger's single-process ledger: one channel running the real chaincode
// (any shim.Chaincode, usually a *contractapi.ContractChaincode) in this process, through its own
// implementation of shim.ChaincodeStubInterface, with Fabric's transaction model:
//
//   - Proposals are Fabric-shaped (common.Header, ChannelHeader, SignatureHeader,
//     ChaincodeProposalPayload with the transient map) and signed by an msp.SigningIdentity. The
//     node checks the creator against the channel's MSPs, the signature (low-S), the binding of the
//     transaction ID to nonce and creator, the timestamp against its clock (WithClockSkew) and
//     duplicate transaction IDs. cid and contractapi work unchanged.
//   - Simulation runs against a snapshot of the committed state and records a read set with
//     versions, range queries for phantom detection, a write set, hashed private writes, one
//     chaincode event and the response. A chaincode error is returned and never ordered.
//   - One committer goroutine orders endorsed transactions into blocks (group commit: whatever
//     arrived while the previous block was written, up to MaxBlockTxs/MaxBlockBytes), validates
//     them in order (MVCC_READ_CONFLICT, PHANTOM_READ_CONFLICT, DUPLICATE_TXID; invalid
//     transactions stay in the block with their code), appends the hash-chained block to an
//     append-only block file, fsyncs it, and only then applies it to the state database
//     (goleveldb) and answers the submitters.
//   - Open recovers from a crash: it cuts off a torn tail block and replays blocks the state
//     database had not absorbed. Verify checks a closed ledger end to end.
//
// Differences from Fabric, and the reasons, are in docs/embedded-ledger.md.
package embedded
