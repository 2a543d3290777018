package embedded

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/msp"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func tx(fn string, args ...string) *ledger.Transaction {
	return &ledger.Transaction{Function: fn, Args: args}
}

func mustSubmit(t testing.TB, g *Gateway, fn string, args ...string) *ledger.Receipt {
	t.Helper()
	r, err := g.Submit(context.Background(), tx(fn, args...))
	if err != nil {
		t.Fatalf("submit %s%q: %v", fn, args, err)
	}
	return r
}

func mustEvaluate(t testing.TB, g *Gateway, fn string, args ...string) string {
	t.Helper()
	v, err := g.Evaluate(context.Background(), tx(fn, args...))
	if err != nil {
		t.Fatalf("evaluate %s%q: %v", fn, args, err)
	}
	return string(v)
}

// prepare signs and simulates tx without ordering it, so that a test controls what is ordered
// together.
func prepare(t testing.TB, g *Gateway, t0 *ledger.Transaction) *pendingTx {
	t.Helper()
	p, err := g.NewProposal(t0)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := g.l.prepare(context.Background(), p.signed, p.stored)
	if err != nil {
		t.Fatalf("prepare %s: %v", t0.Function, err)
	}
	return pt
}

func commitTogether(t testing.TB, l *Ledger, ps ...*pendingTx) []error {
	t.Helper()
	if err := l.enqueue(ps...); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, len(ps))
	for i, p := range ps {
		_, errs[i] = p.wait(context.Background())
	}
	return errs
}

func commitCode(err error) peer.TxValidationCode {
	var ce *ledger.CommitError
	if errors.As(err, &ce) {
		return ce.Code
	}
	if err == nil {
		return peer.TxValidationCode_VALID
	}
	return peer.TxValidationCode_INVALID_OTHER_REASON
}

func TestCommittedWritesAreReadByLaterTransactions(t *testing.T) {
	n := newNetwork(t)
	writer := n.ledger.Connect(n.issuer)
	reader := n.ledger.Connect(n.admin)
	r := mustSubmit(t, writer, "Put", "k", "v1")
	if r.BlockNumber != 1 || len(r.TxID) != 64 {
		t.Errorf("receipt = %+v, want block 1 and a hex transaction ID", r)
	}
	if got := mustEvaluate(t, reader, "Get", "k"); got != "v1" {
		t.Errorf("another identity reads %q, want v1", got)
	}
	mustSubmit(t, writer, "Put", "k", "v2")
	if got := mustEvaluate(t, writer, "Get", "k"); got != "v2" {
		t.Errorf("read %q after the second write, want v2", got)
	}
	h := n.ledger.Height()
	mustEvaluate(t, writer, "Get", "k")
	if n.ledger.Height() != h {
		t.Error("Evaluate ordered a block")
	}
	// Reopening keeps everything.
	n.ledger.Close()
	n.open(t)
	if got := mustEvaluate(t, n.ledger.Connect(n.admin), "Get", "k"); got != "v2" {
		t.Errorf("after reopening read %q, want v2", got)
	}
}

func TestExactlyOneOfTwoConflictingTransactionsWins(t *testing.T) {
	n := newNetwork(t)
	a, b := n.ledger.Connect(n.issuer), n.ledger.Connect(n.registry)
	mustSubmit(t, a, "Put", "counter", "10")
	for _, sameBlock := range []bool{true, false} {
		t.Run(fmt.Sprintf("when they are in the same block: %v", sameBlock), func(t *testing.T) {
			p1 := prepare(t, a, tx("Incr", "counter"))
			p2 := prepare(t, b, tx("Incr", "counter"))
			var errs []error
			if sameBlock {
				errs = commitTogether(t, n.ledger, p1, p2)
			} else {
				errs = append(commitTogether(t, n.ledger, p1), commitTogether(t, n.ledger, p2)...)
			}
			if errs[0] != nil || commitCode(errs[1]) != peer.TxValidationCode_MVCC_READ_CONFLICT {
				t.Fatalf("errors = %v, want the first valid and the second MVCC_READ_CONFLICT", errs)
			}
			if eduledger.ErrorCode(errs[1]) != eduledger.ECONFLICT {
				t.Errorf("code = %s, want CONFLICT", eduledger.ErrorCode(errs[1]))
			}
		})
	}
	if got := mustEvaluate(t, a, "Get", "counter"); got != "12" {
		t.Errorf("counter = %s, want 12 (one increment per round)", got)
	}
	// The invalid transactions stay in their blocks with their code.
	conflicts := 0
	for i := uint64(1); i < n.ledger.Height(); i++ {
		b, err := n.ledger.Block(i)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range b.Transactions {
			if tx.ValidationCode == peer.TxValidationCode_MVCC_READ_CONFLICT {
				conflicts++
			}
		}
	}
	if conflicts != 2 {
		t.Errorf("%d MVCC_READ_CONFLICT transactions in the blocks, want 2", conflicts)
	}
}

func TestConcurrentIncrementsNeverLoseAnUpdate(t *testing.T) {
	n := newNetwork(t)
	g := n.ledger.Connect(n.issuer)
	const clients, each = 16, 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_, err := g.Submit(context.Background(), tx("Incr", "hot"))
				switch {
				case err == nil:
					mu.Lock()
					won++
					mu.Unlock()
				case commitCode(err) != peer.TxValidationCode_MVCC_READ_CONFLICT:
					t.Errorf("unexpected error: %v", err)
				}
				mustSubmit(t, g, "Put", fmt.Sprintf("own-%d-%d", c, i), "x")
			}
		}()
	}
	wg.Wait()
	if got := mustEvaluate(t, g, "Get", "hot"); got != strconv.Itoa(won) {
		t.Errorf("counter = %s, but %d increments were acknowledged", got, won)
	}
	if won == 0 {
		t.Error("no increment won")
	}
}

func TestPhantomReads(t *testing.T) {
	tests := []struct {
		name  string
		other *ledger.Transaction
		want  peer.TxValidationCode
	}{
		{"an insert into the range is a phantom", tx("AddItem", "alice", "c", "3"), peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"a delete from the range is a phantom", tx("Del", mustCompositeKey(t, "item", "alice", "a")), peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"an update inside the range is a phantom", tx("AddItem", "alice", "b", "changed"), peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"an insert outside the range is harmless", tx("AddItem", "bob", "z", "9"), peer.TxValidationCode_VALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNetwork(t)
			g := n.ledger.Connect(n.issuer)
			mustSubmit(t, g, "AddItem", "alice", "a", "1")
			mustSubmit(t, g, "AddItem", "alice", "b", "2")
			count := prepare(t, g, tx("CountItems", "alice"))
			if _, err := g.Submit(context.Background(), tt.other); err != nil {
				t.Fatal(err)
			}
			errs := commitTogether(t, n.ledger, count)
			if got := commitCode(errs[0]); got != tt.want {
				t.Fatalf("code = %s (%v), want %s", got, errs[0], tt.want)
			}
		})
	}
}

func mustCompositeKey(t testing.TB, objectType string, attrs ...string) string {
	t.Helper()
	k, err := (&simulator{}).CreateCompositeKey(objectType, attrs)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestDuplicateTransactionIDsAreRejected(t *testing.T) {
	n := newNetwork(t)
	g := n.ledger.Connect(n.issuer)
	ctx := context.Background()
	p, err := g.NewProposal(tx("Put", "a", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.SubmitProposal(ctx, p); err != nil {
		t.Fatal(err)
	}
	t.Run("a resubmitted proposal is refused at endorsement", func(t *testing.T) {
		_, err := g.SubmitProposal(ctx, p)
		if eduledger.ErrorCode(err) != eduledger.ECONFLICT {
			t.Fatalf("err = %v, want CONFLICT", err)
		}
	})
	t.Run("the same proposal twice in one block is DUPLICATE_TXID the second time", func(t *testing.T) {
		q, _ := g.NewProposal(tx("Put", "b", "1"))
		p1, err1 := n.ledger.prepare(ctx, q.signed, q.stored)
		p2, err2 := n.ledger.prepare(ctx, q.signed, q.stored)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		errs := commitTogether(t, n.ledger, p1, p2)
		if errs[0] != nil || commitCode(errs[1]) != peer.TxValidationCode_DUPLICATE_TXID {
			t.Fatalf("errors = %v, want valid then DUPLICATE_TXID", errs)
		}
	})
	t.Run("the ID of a transaction invalidated at commit cannot be reused", func(t *testing.T) {
		mustSubmit(t, g, "Put", "c", "0")
		q, _ := g.NewProposal(tx("Incr", "c"))
		stale, err := n.ledger.prepare(ctx, q.signed, q.stored)
		if err != nil {
			t.Fatal(err)
		}
		mustSubmit(t, g, "Put", "c", "5")
		if errs := commitTogether(t, n.ledger, stale); commitCode(errs[0]) != peer.TxValidationCode_MVCC_READ_CONFLICT {
			t.Fatalf("err = %v, want MVCC_READ_CONFLICT", errs[0])
		}
		if _, err := g.SubmitProposal(ctx, q); eduledger.ErrorCode(err) != eduledger.ECONFLICT {
			t.Fatalf("resubmitting it: err = %v, want CONFLICT", err)
		}
	})
}

// signProposal builds a proposal with arbitrary header fields, signed by id.
func signProposal(t testing.TB, id *msp.SigningIdentity, channel, txID string, nonce []byte, ts time.Time, args ...string) *peer.SignedProposal {
	t.Helper()
	creator := id.Serialize()
	if txID == "" {
		txID = computeTxID(nonce, creator)
	}
	ext, _ := proto.Marshal(&peer.ChaincodeHeaderExtension{ChaincodeId: &peer.ChaincodeID{Name: "eduledger"}})
	chdr, _ := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: channel, TxId: txID, Timestamp: timestamppb.New(ts), Extension: ext})
	shdr, _ := proto.Marshal(&common.SignatureHeader{Creator: creator, Nonce: nonce})
	hdr, _ := proto.Marshal(&common.Header{ChannelHeader: chdr, SignatureHeader: shdr})
	bargs := [][]byte{}
	for _, a := range args {
		bargs = append(bargs, []byte(a))
	}
	input, _ := proto.Marshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{ChaincodeId: &peer.ChaincodeID{Name: "eduledger"}, Input: &peer.ChaincodeInput{Args: bargs}}})
	payload, _ := proto.Marshal(&peer.ChaincodeProposalPayload{Input: input})
	prop, _ := proto.Marshal(&peer.Proposal{Header: hdr, Payload: payload})
	sig, err := id.Sign(prop)
	if err != nil {
		t.Fatal(err)
	}
	return &peer.SignedProposal{ProposalBytes: prop, Signature: sig}
}

func TestBadProposalsAreRejected(t *testing.T) {
	n := newNetwork(t)
	now := time.Now()
	stranger, err := msp.NewCA("SchoolMSP", "impostor")
	if err != nil {
		t.Fatal(err)
	}
	unknownCA, err := msp.NewCA("EnterpriseMSP", "ca.enterprise")
	if err != nil {
		t.Fatal(err)
	}
	// A certificate valid only in the past, issued by the channel's own SchoolMSP CA.
	expiredPast, err := n.school.Issue("expired", nil, msp.WithValidity(now.Add(-2*time.Minute), now.Add(-time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	peerID := issue(t, n.school, "peer0", "", "", msp.WithRole(msp.RolePeer))
	nonce := []byte("0123456789abcdefghijklmn")

	good := signProposal(t, n.issuer, "eduledger", "", nonce, now, "Put", "k", "v")
	tampered := proto.Clone(good).(*peer.SignedProposal)
	tampered.Signature[len(tampered.Signature)-1] ^= 0xff
	tamperedBody := proto.Clone(good).(*peer.SignedProposal)
	tamperedBody.ProposalBytes = bytes.Replace(tamperedBody.ProposalBytes, []byte("Put"), []byte("Del"), 1)

	tests := []struct {
		name string
		sp   *peer.SignedProposal
		code string
	}{
		{"a tampered signature is rejected", tampered, eduledger.EFORBIDDEN},
		{"a tampered proposal is rejected", tamperedBody, eduledger.EFORBIDDEN},
		{"a certificate from a CA outside the channel is rejected", signProposal(t, issue(t, stranger, "x", "", ""), "eduledger", "", nonce, now, "Put", "k", "v"), eduledger.EFORBIDDEN},
		{"an unknown MSP is rejected", signProposal(t, issue(t, unknownCA, "x", "", ""), "eduledger", "", nonce, now, "Put", "k", "v"), eduledger.EFORBIDDEN},
		{"an expired certificate is rejected", signProposal(t, expiredPast, "eduledger", "", nonce, now, "Put", "k", "v"), eduledger.EFORBIDDEN},
		{"a peer identity may not submit", signProposal(t, peerID, "eduledger", "", nonce, now, "Put", "k", "v"), eduledger.EFORBIDDEN},
		{"a transaction ID not bound to nonce and creator is rejected", signProposal(t, n.issuer, "eduledger", "ab12", nonce, now, "Put", "k", "v"), eduledger.EINVALID},
		{"a proposal for another channel is rejected", signProposal(t, n.issuer, "otherchannel", "", nonce, now, "Put", "k", "v"), eduledger.ENOTFOUND},
		{"a timestamp beyond the clock skew is rejected", signProposal(t, n.issuer, "eduledger", "", nonce, now.Add(-10*time.Minute), "Put", "k", "v"), eduledger.EINVALID},
		{"a proposal without a function is rejected", signProposal(t, n.issuer, "eduledger", "", nonce, now), eduledger.EINVALID},
		{"an empty proposal is rejected", &peer.SignedProposal{}, eduledger.EINVALID},
		{"garbage is rejected", &peer.SignedProposal{ProposalBytes: []byte("junk"), Signature: []byte("sig")}, eduledger.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := n.ledger.SubmitSigned(context.Background(), tt.sp, nil)
			if eduledger.ErrorCode(err) != tt.code {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
		})
	}
	if h := n.ledger.Height(); h != 1 {
		t.Errorf("height %d after only rejected proposals, want 1", h)
	}
	if _, err := n.ledger.SubmitSigned(context.Background(), good, nil); err != nil {
		t.Errorf("the untampered proposal is rejected: %v", err)
	}
	if _, err := n.ledger.EvaluateSigned(context.Background(), signProposal(t, peerID, "eduledger", "", nonce, now, "Get", "k")); err != nil {
		t.Errorf("a peer identity may evaluate: %v", err)
	}
}

func TestTheClockSkewCheckCanBeTurnedOff(t *testing.T) {
	n := newNetwork(t, WithClockSkew(0))
	past := time.Date(2020, 9, 1, 8, 0, 0, 0, time.UTC)
	g := n.ledger.Connect(n.issuer, WithClock(func() time.Time { return past }))
	var w whoami
	if err := json.Unmarshal([]byte(mustEvaluate(t, g, "Whoami")), &w); err != nil {
		t.Fatal(err)
	}
	if w.Time != past.Format(time.RFC3339Nano) {
		t.Errorf("the chaincode sees time %s, want %s", w.Time, past.Format(time.RFC3339Nano))
	}
	if w.MSPID != "SchoolMSP" || w.Org != "riverside-university" || w.Role != "issuer" {
		t.Errorf("the chaincode sees identity %+v", w)
	}
}

func TestChaincodeErrorsAreReturnedAndNeverOrdered(t *testing.T) {
	n := newNetwork(t)
	g := n.ledger.Connect(n.issuer)
	tests := []struct {
		name string
		tx   *ledger.Transaction
		code string
	}{
		{"a coded chaincode error keeps its code", tx("Fail", "FORBIDDEN: not your credential"), eduledger.EFORBIDDEN},
		{"an uncoded chaincode error is INTERNAL", tx("Fail", "something broke"), eduledger.EINTERNAL},
		{"an unknown function is INTERNAL", tx("NoSuchFunction"), eduledger.EINTERNAL},
		{"a panic is INTERNAL and the ledger survives", tx("Panic"), eduledger.EINTERNAL},
		{"a paginated query followed by a write is refused", tx("PageThenWrite"), eduledger.EINTERNAL},
		{"a private write to another MSP's collection is refused", &ledger.Transaction{Function: "PutPrivate", Args: []string{ImplicitCollection("GovMSP"), "k"}, Transient: map[string][]byte{eduledger.TransientPersonalData: []byte("x")}}, eduledger.EFORBIDDEN},
		{"a private write to an undefined collection is refused", &ledger.Transaction{Function: "PutPrivate", Args: []string{"secrets", "k"}, Transient: map[string][]byte{eduledger.TransientPersonalData: []byte("x")}}, eduledger.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := n.ledger.Height()
			_, err := g.Submit(context.Background(), tt.tx)
			if eduledger.ErrorCode(err) != tt.code {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
			if n.ledger.Height() != before {
				t.Error("a failed transaction was ordered")
			}
		})
	}
	if _, _, err := n.ledger.State("never"); eduledger.ErrorCode(err) != eduledger.ENOTFOUND {
		t.Errorf("a failed transaction's write is visible: %v", err)
	}
	mustSubmit(t, g, "Put", "still", "works")
}

func TestPrivateDataStaysOutOfBlocksButItsHashIsIn(t *testing.T) {
	n := newNetwork(t)
	school := n.ledger.Connect(n.issuer)
	gov := n.ledger.Connect(n.admin)
	coll := ImplicitCollection("SchoolMSP")
	secret := []byte("张三 310101199001011234 personal-data-marker")
	_, err := school.Submit(context.Background(), &ledger.Transaction{
		Function: "PutPrivate", Args: []string{coll, "learner-1"},
		Transient: map[string][]byte{eduledger.TransientPersonalData: secret},
	})
	if err != nil {
		t.Fatal(err)
	}
	blocks := readAllBlockFiles(t, n.dir)
	if bytes.Contains(blocks, secret) || bytes.Contains(blocks, []byte("personal-data-marker")) {
		t.Fatal("private data was written into a block file")
	}
	sum := sha256.Sum256(secret)
	if !bytes.Contains(blocks, sum[:]) {
		t.Fatal("the hash of the private data is not in the block file")
	}
	if got := mustEvaluate(t, school, "GetPrivate", coll, "learner-1"); got != string(secret) {
		t.Errorf("the owner reads %q", got)
	}
	if _, err := gov.Evaluate(context.Background(), tx("GetPrivate", coll, "learner-1")); eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
		t.Errorf("another MSP reads the private data: err = %v, want FORBIDDEN", err)
	}
	if got := mustEvaluate(t, gov, "PrivateHash", coll, "learner-1"); got != fmt.Sprintf("%x", sum) {
		t.Errorf("another MSP reads hash %s, want %x", got, sum)
	}
	// The stored proposal is signed without the transient map, and the signature verifies.
	b, err := n.ledger.Block(n.ledger.Height() - 1)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := n.ledger.Verify(context.Background(), WithSignatureCheck()); err != nil || rep.Signatures != len(b.Transactions) {
		t.Fatalf("verify = %+v, %v", rep, err)
	}
}

func readAllBlockFiles(t testing.TB, dir string) []byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, blocksDir, blockFilePrefix+"*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no block files: %v", err)
	}
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func TestHistoryIsNewestFirst(t *testing.T) {
	n := newNetwork(t, WithClockSkew(0))
	base := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	steps := []struct {
		fn, value string
		del       bool
	}{{"Put", "v1", false}, {"Put", "v2", false}, {"Del", "", true}, {"Put", "v3", false}}
	var txIDs []string
	for i, s := range steps {
		at := base.Add(time.Duration(i) * time.Hour)
		g := n.ledger.Connect(n.issuer, WithClock(func() time.Time { return at }))
		args := []string{"k"}
		if !s.del {
			args = append(args, s.value)
		}
		txIDs = append(txIDs, mustSubmit(t, g, s.fn, args...).TxID)
		mustSubmit(t, g, "Put", "other", s.value+"x")
	}
	var got []historyItem
	if err := json.Unmarshal([]byte(mustEvaluate(t, n.ledger.Connect(n.admin), "History", "k")), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(steps) {
		t.Fatalf("history has %d entries, want %d: %+v", len(got), len(steps), got)
	}
	for i := range got {
		j := len(steps) - 1 - i
		want := steps[j]
		if got[i].TxID != txIDs[j] || got[i].Value != want.value || got[i].IsDelete != want.del || !got[i].Time.Equal(base.Add(time.Duration(j)*time.Hour)) {
			t.Errorf("entry %d = %+v, want tx %s value %q delete %v", i, got[i], txIDs[j], want.value, want.del)
		}
	}
	hist, err := n.ledger.History(context.Background(), "k")
	if err != nil || len(hist) != len(steps) || hist[0].TxID != txIDs[len(txIDs)-1] {
		t.Errorf("Ledger.History = %v, %v", hist, err)
	}
}

func TestPaginationPagesThroughARange(t *testing.T) {
	n := newNetwork(t)
	g := n.ledger.Connect(n.issuer)
	for i := 0; i < 5; i++ {
		mustSubmit(t, g, "AddItem", "alice", fmt.Sprintf("i%d", i), strconv.Itoa(i))
	}
	mustSubmit(t, g, "AddItem", "bob", "b0", "x")
	var keys []string
	bookmark := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		var p page
		if err := json.Unmarshal([]byte(mustEvaluate(t, g, "ListItems", "alice", "2", bookmark)), &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Keys) > 2 {
			t.Fatalf("page of %d items, want at most 2", len(p.Keys))
		}
		keys = append(keys, p.Keys...)
		if p.Bookmark == "" {
			break
		}
		bookmark = p.Bookmark
	}
	if fmt.Sprint(keys) != "[i0 i1 i2 i3 i4]" {
		t.Errorf("pages gave %v", keys)
	}
	// A paginated query in a submitted read-only transaction is fine.
	if _, err := g.Submit(context.Background(), tx("ListItems", "alice", "2", "")); err != nil {
		t.Errorf("read-only paginated submit: %v", err)
	}
}

func TestRangeQueriesSeeCommittedKeysInOrder(t *testing.T) {
	n := newNetwork(t)
	g := n.ledger.Connect(n.issuer)
	for _, k := range []string{"b", "a", "d", "c"} {
		mustSubmit(t, g, "Put", k, "v")
	}
	mustSubmit(t, g, "AddItem", "alice", "x", "v")
	tests := []struct{ start, end, want string }{
		{"", "", `["a","b","c","d"]`},
		{"b", "d", `["b","c"]`},
		{"c", "", `["c","d"]`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("range [%q, %q) excludes composite keys", tt.start, tt.end), func(t *testing.T) {
			if got := mustEvaluate(t, g, "Range", tt.start, tt.end); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestValidationParametersAreStoredAsKeyMetadata(t *testing.T) {
	n := newNetwork(t)
	g := n.ledger.Connect(n.admin)
	mustSubmit(t, g, "Put", "k", "v")
	mustSubmit(t, g, "SetEP", "k", "policy-bytes")
	if got := mustEvaluate(t, g, "GetEP", "k"); got != "policy-bytes" {
		t.Errorf("validation parameter = %q", got)
	}
	if got := mustEvaluate(t, g, "Get", "k"); got != "v" {
		t.Errorf("the value changed to %q", got)
	}
	// As in Fabric, metadata for a key that does not exist is dropped.
	mustSubmit(t, g, "SetEP", "absent", "p")
	if got := mustEvaluate(t, g, "GetEP", "absent"); got != "" {
		t.Errorf("metadata of an absent key = %q", got)
	}
	// A transaction that read the parameter conflicts with a concurrent change of it.
	reader := prepare(t, g, tx("CopyEP", "k", "copy"))
	mustSubmit(t, g, "SetEP", "k", "new-policy")
	if errs := commitTogether(t, n.ledger, reader); commitCode(errs[0]) != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Errorf("reader of a changed validation parameter: err = %v, want MVCC_READ_CONFLICT", errs[0])
	}
	mustSubmit(t, g, "Del", "k")
	if got := mustEvaluate(t, g, "GetEP", "k"); got != "" {
		t.Errorf("metadata survived the key's deletion: %q", got)
	}
}

func TestEventsResumeFromACheckpointWithoutGapsOrRepeats(t *testing.T) {
	n := newNetwork(t)
	g := n.ledger.Connect(n.issuer)
	// Ten events, some several to a block.
	var want []string
	for i := 0; i < 4; i++ {
		mustSubmit(t, g, "Emit", "E", fmt.Sprint(len(want)))
		want = append(want, fmt.Sprint(len(want)))
	}
	var ps []*pendingTx
	for i := 0; i < 3; i++ {
		ps = append(ps, prepare(t, g, tx("Emit", "E", fmt.Sprint(len(want)))))
		want = append(want, fmt.Sprint(len(want)))
	}
	ps = append(ps, prepare(t, g, tx("Put", "no", "event")))
	commitTogether(t, n.ledger, ps...)
	for i := 0; i < 3; i++ {
		mustSubmit(t, g, "Emit", "E", fmt.Sprint(len(want)))
		want = append(want, fmt.Sprint(len(want)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	all := collect(t, ctx, g, nil, len(want))
	for i, ev := range all {
		if string(ev.Payload) != want[i] || ev.Name != "E" {
			t.Fatalf("event %d = %s %q, want %q", i, ev.Name, ev.Payload, want[i])
		}
	}
	for cut := 0; cut < len(all); cut++ {
		cp := &ledger.Checkpoint{BlockNumber: all[cut].BlockNumber, TxID: all[cut].TxID}
		rest := collect(t, ctx, g, cp, len(all)-cut-1)
		for i, ev := range rest {
			if ev.TxID != all[cut+1+i].TxID {
				t.Fatalf("resuming after event %d: event %d is %s, want %s", cut, i, ev.TxID, all[cut+1+i].TxID)
			}
		}
	}
	// A live stream picks up new events after the stored ones.
	last := all[len(all)-1]
	stream, err := g.Events(ctx, &ledger.Checkpoint{BlockNumber: last.BlockNumber, TxID: last.TxID})
	if err != nil {
		t.Fatal(err)
	}
	mustSubmit(t, g, "Emit", "Live", "new")
	select {
	case ev := <-stream:
		if ev.Name != "Live" {
			t.Fatalf("live event %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no live event")
	}
	if _, err := g.Events(ctx, &ledger.Checkpoint{BlockNumber: 1, TxID: "not-in-block"}); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Errorf("bad checkpoint: err = %v, want INVALID", err)
	}
}

// collect reads n events from a stream started at after, and checks that no more arrive at once.
func collect(t testing.TB, ctx context.Context, g *Gateway, after *ledger.Checkpoint, n int) []*ledger.ChaincodeEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := g.Events(ctx, after)
	if err != nil {
		t.Fatal(err)
	}
	var out []*ledger.ChaincodeEvent
	for len(out) < n {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("stream closed early")
			}
			out = append(out, ev)
		case <-time.After(10 * time.Second):
			t.Fatalf("got %d events, want %d", len(out), n)
		}
	}
	select {
	case ev := <-ch:
		t.Fatalf("unexpected extra event %+v", ev)
	case <-time.After(20 * time.Millisecond):
	}
	return out
}

func TestClosingStopsGatewaysAndStreams(t *testing.T) {
	n := newNetwork(t)
	g := n.ledger.Connect(n.issuer)
	mustSubmit(t, g, "Put", "k", "v")
	stream, err := g.Events(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Submit(context.Background(), tx("Put", "k", "w")); eduledger.ErrorCode(err) != eduledger.EUNAVAILABLE {
		t.Errorf("submit after close: err = %v, want UNAVAILABLE", err)
	}
	if _, err := g.Evaluate(context.Background(), tx("Get", "k")); eduledger.ErrorCode(err) != eduledger.EUNAVAILABLE {
		t.Errorf("evaluate after close: err = %v, want UNAVAILABLE", err)
	}
	timeout := time.After(5 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-stream:
		case <-timeout:
			t.Fatal("the event stream stays open after Close")
		}
	}
	if err := n.ledger.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

func TestCreateAndOpenRefuseMisuse(t *testing.T) {
	ca, err := msp.NewCA("SchoolMSP", "ca")
	if err != nil {
		t.Fatal(err)
	}
	good := ChannelConfig{Channel: "eduledger", Chaincode: "eduledger", MSPs: []msp.Config{ca.Config()}}
	dir := t.TempDir()
	if err := Create(dir, good); err != nil {
		t.Fatal(err)
	}
	notEmpty := t.TempDir()
	os.WriteFile(filepath.Join(notEmpty, "precious.txt"), []byte("x"), 0o644)
	tests := []struct {
		name string
		err  error
		code string
	}{
		{"creating over an existing ledger is a conflict", Create(dir, good), eduledger.ECONFLICT},
		{"creating in a folder with other files is a conflict", Create(notEmpty, good), eduledger.ECONFLICT},
		{"a bad channel name is invalid", Create(t.TempDir(), ChannelConfig{Channel: "Bad Name", Chaincode: "cc", MSPs: good.MSPs}), eduledger.EINVALID},
		{"a channel without MSPs is invalid", Create(t.TempDir(), ChannelConfig{Channel: "c", Chaincode: "cc"}), eduledger.EINVALID},
		{"opening a folder without a ledger is not found", second(Open(t.TempDir(), newTestChaincode(t))), eduledger.ENOTFOUND},
		{"opening without a chaincode is invalid", second(Open(dir, nil)), eduledger.EINVALID},
		{"opening a ledger that is already open is a conflict", second(openTwice(t, dir)), eduledger.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if eduledger.ErrorCode(tt.err) != tt.code {
				t.Fatalf("err = %v, want %s", tt.err, tt.code)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(notEmpty, "precious.txt")); err != nil {
		t.Error("Create touched a file it does not own")
	}
}

func second[T any](_ T, err error) error { return err }

func openTwice(t *testing.T, dir string) (*Ledger, error) {
	l, err := Open(dir, newTestChaincode(t), WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return Open(dir, newTestChaincode(t), WithLogger(discardLogger()))
}

func TestOversizedTransactionsAreRefused(t *testing.T) {
	ca, _ := msp.NewCA("SchoolMSP", "ca")
	dir := t.TempDir()
	if err := Create(dir, ChannelConfig{Channel: "c", Chaincode: "eduledger", MSPs: []msp.Config{ca.Config()}, MaxBlockBytes: 4096}); err != nil {
		t.Fatal(err)
	}
	l, err := Open(dir, newTestChaincode(t), WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	g := l.Connect(issue(t, ca, "u", "riverside-university", "issuer"))
	_, err = g.Submit(context.Background(), tx("Put", "k", string(bytes.Repeat([]byte("x"), 5000))))
	if eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Fatalf("err = %v, want INVALID", err)
	}
}

func TestRecoveryReplaysABlockTheStateDidNotAbsorb(t *testing.T) {
	n := newNetwork(t)
	g := n.ledger.Connect(n.issuer)
	mustSubmit(t, g, "Put", "before", "1")
	crashAt := n.ledger.Height()
	n.ledger.crashAfterSync = func(b uint64) bool { return b == crashAt }
	coll := ImplicitCollection("SchoolMSP")
	_, err := g.Submit(context.Background(), &ledger.Transaction{
		Function: "PutPrivate", Args: []string{coll, "p"}, Transient: map[string][]byte{eduledger.TransientPersonalData: []byte("secret")},
	})
	if eduledger.ErrorCode(err) != eduledger.EUNAVAILABLE {
		t.Fatalf("err = %v, want UNAVAILABLE (outcome unknown)", err)
	}
	if _, err := g.Submit(context.Background(), tx("Put", "after", "1")); eduledger.ErrorCode(err) != eduledger.EUNAVAILABLE {
		t.Fatalf("a ledger that lost its storage kept committing: %v", err)
	}
	n.ledger.Close()
	if rep, err := Verify(context.Background(), n.dir); err == nil {
		t.Fatalf("verify before recovery = %+v, want a report of the unabsorbed block", rep)
	}
	n.open(t)
	g = n.ledger.Connect(n.issuer)
	if got := mustEvaluate(t, g, "GetPrivate", coll, "p"); got != "secret" {
		t.Errorf("after recovery the private value is %q", got)
	}
	if h := n.ledger.Height(); h != crashAt+1 {
		t.Errorf("height %d, want %d", h, crashAt+1)
	}
	n.ledger.Close()
	if rep, err := Verify(context.Background(), n.dir, WithSignatureCheck()); err != nil {
		t.Fatalf("verify after recovery: %+v %v", rep, err)
	}
}

func TestTheInspectionAPIShowsBlocksAndTransactions(t *testing.T) {
	n := newNetwork(t)
	g := n.ledger.Connect(n.issuer)
	r := mustSubmit(t, g, "Emit", "Anchored", "payload")
	b0, err := n.ledger.Block(0)
	if err != nil || b0.Config == nil || b0.Config.Channel != "eduledger" {
		t.Fatalf("genesis = %+v, %v", b0, err)
	}
	b1, err := n.ledger.Block(1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b1.PreviousHash, b0.Hash) {
		t.Error("block 1 does not chain to block 0")
	}
	tx1 := b1.Transactions[0]
	if tx1.TxID != r.TxID || tx1.Function != "Emit" || tx1.CreatorMSP != "SchoolMSP" || tx1.Event == nil || tx1.Event.Name != "Anchored" {
		t.Errorf("transaction = %+v", tx1)
	}
	byID, err := n.ledger.Transaction(r.TxID)
	if err != nil || byID.BlockNumber != 1 || byID.ValidationCode != peer.TxValidationCode_VALID {
		t.Errorf("Transaction(%s) = %+v, %v", r.TxID, byID, err)
	}
	if _, err := n.ledger.Block(99); eduledger.ErrorCode(err) != eduledger.ENOTFOUND {
		t.Errorf("block 99: err = %v, want NOT_FOUND", err)
	}
	if _, err := n.ledger.Transaction("nope"); eduledger.ErrorCode(err) != eduledger.ENOTFOUND {
		t.Errorf("unknown transaction: err = %v, want NOT_FOUND", err)
	}
}
