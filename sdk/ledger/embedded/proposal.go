package embedded

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/msp"
)

// Proposal is a signed transaction proposal, built and signed by a Gateway (NewProposal) and
// submitted or evaluated later, as Fabric's offline signing flow allows.
type Proposal struct {
	txID   string
	signed *peer.SignedProposal
	// stored is the proposal as the block keeps it: the same proposal without its transient map,
	// signed separately by the client (as a Fabric client signs the transaction envelope), so that
	// private inputs never reach a block yet every stored transaction carries a client signature.
	// It is signed itself when the proposal has no transient data.
	stored *peer.SignedProposal
}

// TxID returns the transaction ID, hex(SHA-256(nonce ‖ creator)).
func (p *Proposal) TxID() string { return p.txID }

// SignedProposal returns the Fabric signed proposal (with the transient map).
func (p *Proposal) SignedProposal() *peer.SignedProposal { return p.signed }

// marshalOpts makes marshalling of the transient map deterministic.
var marshalOpts = proto.MarshalOptions{Deterministic: true}

// proposalBuilder holds what stays the same across one identity's proposals.
type proposalBuilder struct {
	id        *msp.SigningIdentity
	creator   []byte
	channel   string
	chaincode string
	extension []byte
}

func newProposalBuilder(id *msp.SigningIdentity, channel, chaincode string) (*proposalBuilder, error) {
	ext, err := proto.Marshal(&peer.ChaincodeHeaderExtension{ChaincodeId: &peer.ChaincodeID{Name: chaincode}})
	if err != nil {
		return nil, err
	}
	return &proposalBuilder{id: id, creator: id.Serialize(), channel: channel, chaincode: chaincode, extension: ext}, nil
}

// build makes and signs a proposal for tx with timestamp ts.
func (b *proposalBuilder) build(tx *ledger.Transaction, ts time.Time) (*Proposal, error) {
	if tx == nil || tx.Function == "" {
		return nil, eduledger.Errorf(eduledger.EINVALID, "embedded: a transaction needs a function name")
	}
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("embedded: nonce: %w", err)
	}
	txID := computeTxID(nonce, b.creator)
	chdr, err := proto.Marshal(&common.ChannelHeader{
		Type:      int32(common.HeaderType_ENDORSER_TRANSACTION),
		Timestamp: timestamppb.New(ts),
		ChannelId: b.channel,
		TxId:      txID,
		Epoch:     0,
		Extension: b.extension,
	})
	if err != nil {
		return nil, err
	}
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: b.creator, Nonce: nonce})
	if err != nil {
		return nil, err
	}
	header, err := proto.Marshal(&common.Header{ChannelHeader: chdr, SignatureHeader: shdr})
	if err != nil {
		return nil, err
	}
	args := make([][]byte, 1+len(tx.Args))
	args[0] = []byte(tx.Function)
	for i, a := range tx.Args {
		args[i+1] = []byte(a)
	}
	input, err := proto.Marshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		Type:        peer.ChaincodeSpec_GOLANG,
		ChaincodeId: &peer.ChaincodeID{Name: b.chaincode},
		Input:       &peer.ChaincodeInput{Args: args},
	}})
	if err != nil {
		return nil, err
	}
	signed, err := b.sign(header, input, tx.Transient)
	if err != nil {
		return nil, err
	}
	p := &Proposal{txID: txID, signed: signed, stored: signed}
	if len(tx.Transient) > 0 {
		if p.stored, err = b.sign(header, input, nil); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (b *proposalBuilder) sign(header, input []byte, transient map[string][]byte) (*peer.SignedProposal, error) {
	payload, err := marshalOpts.Marshal(&peer.ChaincodeProposalPayload{Input: input, TransientMap: transient})
	if err != nil {
		return nil, err
	}
	prop, err := proto.Marshal(&peer.Proposal{Header: header, Payload: payload})
	if err != nil {
		return nil, err
	}
	sig, err := b.id.Sign(prop)
	if err != nil {
		return nil, err
	}
	return &peer.SignedProposal{ProposalBytes: prop, Signature: sig}, nil
}

// computeTxID is Fabric's transaction ID: hex(SHA-256(nonce ‖ creator)).
func computeTxID(nonce, creator []byte) string {
	h := sha256.New()
	h.Write(nonce)
	h.Write(creator)
	return hex.EncodeToString(h.Sum(nil))
}

// checkedProposal is a proposal the node has parsed and authenticated.
type checkedProposal struct {
	signed      *peer.SignedProposal
	stored      *peer.SignedProposal
	header      *common.Header
	chdr        *common.ChannelHeader
	shdr        *common.SignatureHeader
	args        [][]byte
	decorations map[string][]byte
	transient   map[string][]byte
	txID        string
	timestamp   time.Time
	binding     []byte
	identity    *msp.Identity
}

func invalidProposal(format string, args ...any) error {
	return eduledger.Errorf(eduledger.EINVALID, "embedded: proposal: "+format, args...)
}

// parseSignedProposal unmarshals and checks the shape of a signed proposal without checking trust.
func parseSignedProposal(sp *peer.SignedProposal, channel, chaincode string) (*checkedProposal, error) {
	if sp == nil || len(sp.ProposalBytes) == 0 || len(sp.Signature) == 0 {
		return nil, invalidProposal("missing proposal bytes or signature")
	}
	var prop peer.Proposal
	if err := proto.Unmarshal(sp.ProposalBytes, &prop); err != nil {
		return nil, invalidProposal("%v", err)
	}
	cp := &checkedProposal{signed: sp, header: &common.Header{}, chdr: &common.ChannelHeader{}, shdr: &common.SignatureHeader{}}
	if err := proto.Unmarshal(prop.Header, cp.header); err != nil {
		return nil, invalidProposal("header: %v", err)
	}
	if err := proto.Unmarshal(cp.header.ChannelHeader, cp.chdr); err != nil {
		return nil, invalidProposal("channel header: %v", err)
	}
	if err := proto.Unmarshal(cp.header.SignatureHeader, cp.shdr); err != nil {
		return nil, invalidProposal("signature header: %v", err)
	}
	if common.HeaderType(cp.chdr.Type) != common.HeaderType_ENDORSER_TRANSACTION {
		return nil, invalidProposal("header type %s, want ENDORSER_TRANSACTION", common.HeaderType(cp.chdr.Type))
	}
	if cp.chdr.ChannelId != channel {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "embedded: channel %q not found (this ledger is %q)", cp.chdr.ChannelId, channel)
	}
	if cp.chdr.Epoch != 0 {
		return nil, invalidProposal("epoch must be 0")
	}
	if cp.chdr.Timestamp == nil || cp.chdr.Timestamp.CheckValid() != nil {
		return nil, invalidProposal("missing or invalid timestamp")
	}
	cp.timestamp = cp.chdr.Timestamp.AsTime()
	var ext peer.ChaincodeHeaderExtension
	if err := proto.Unmarshal(cp.chdr.Extension, &ext); err != nil {
		return nil, invalidProposal("header extension: %v", err)
	}
	if ext.GetChaincodeId().GetName() != chaincode {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "embedded: chaincode %q not found (this channel runs %q)", ext.GetChaincodeId().GetName(), chaincode)
	}
	if len(cp.shdr.Nonce) == 0 || len(cp.shdr.Creator) == 0 {
		return nil, invalidProposal("missing nonce or creator")
	}
	cp.txID = cp.chdr.TxId
	if want := computeTxID(cp.shdr.Nonce, cp.shdr.Creator); cp.txID != want {
		return nil, invalidProposal("transaction ID %q is not bound to the nonce and creator", cp.txID)
	}
	var payload peer.ChaincodeProposalPayload
	if err := proto.Unmarshal(prop.Payload, &payload); err != nil {
		return nil, invalidProposal("payload: %v", err)
	}
	var spec peer.ChaincodeInvocationSpec
	if err := proto.Unmarshal(payload.Input, &spec); err != nil {
		return nil, invalidProposal("invocation spec: %v", err)
	}
	if n := spec.GetChaincodeSpec().GetChaincodeId().GetName(); n != chaincode {
		return nil, invalidProposal("invocation names chaincode %q, header names %q", n, chaincode)
	}
	cp.args = spec.GetChaincodeSpec().GetInput().GetArgs()
	cp.decorations = spec.GetChaincodeSpec().GetInput().GetDecorations()
	if len(cp.args) == 0 || len(cp.args[0]) == 0 {
		return nil, invalidProposal("no function name")
	}
	cp.transient = payload.TransientMap
	epoch := make([]byte, 8)
	binary.LittleEndian.PutUint64(epoch, cp.chdr.Epoch)
	h := sha256.New()
	h.Write(cp.shdr.Nonce)
	h.Write(cp.shdr.Creator)
	h.Write(epoch)
	cp.binding = h.Sum(nil)
	return cp, nil
}

// checkStored checks that stored is the endorsed proposal without its transient map, so that the
// block keeps exactly what the client proposed minus the private inputs.
func (cp *checkedProposal) checkStored(stored *peer.SignedProposal) error {
	if len(cp.transient) == 0 {
		if stored != nil && stored != cp.signed &&
			(!bytes.Equal(stored.ProposalBytes, cp.signed.ProposalBytes) || !bytes.Equal(stored.Signature, cp.signed.Signature)) {
			return invalidProposal("a proposal without transient data is stored as it is")
		}
		cp.stored = cp.signed
		return nil
	}
	if stored == nil || stored == cp.signed || len(stored.Signature) == 0 {
		return invalidProposal("a proposal with transient data needs a signed copy without it")
	}
	var prop, sprop peer.Proposal
	if err := proto.Unmarshal(cp.signed.ProposalBytes, &prop); err != nil {
		return invalidProposal("%v", err)
	}
	if err := proto.Unmarshal(stored.ProposalBytes, &sprop); err != nil {
		return invalidProposal("stored copy: %v", err)
	}
	var payload peer.ChaincodeProposalPayload
	if err := proto.Unmarshal(prop.Payload, &payload); err != nil {
		return invalidProposal("payload: %v", err)
	}
	want, err := marshalOpts.Marshal(&peer.ChaincodeProposalPayload{Input: payload.Input})
	if err != nil {
		return err
	}
	if !bytes.Equal(sprop.Header, prop.Header) || !bytes.Equal(sprop.Payload, want) {
		return invalidProposal("the stored copy differs from the proposal by more than its transient map")
	}
	cp.stored = stored
	return nil
}
