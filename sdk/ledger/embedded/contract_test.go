package embedded

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/msp"
)

// testContract is a small contractapi contract that exercises the stub the way the EduLedger
// chaincode does: plain and composite keys, range queries with and without pagination, private
// data through the transient map, history, events, identity attributes and the tx timestamp.
type testContract struct {
	contractapi.Contract
}

func (c *testContract) Put(ctx contractapi.TransactionContextInterface, key, value string) error {
	return ctx.GetStub().PutState(key, []byte(value))
}

func (c *testContract) Get(ctx contractapi.TransactionContextInterface, key string) (string, error) {
	v, err := ctx.GetStub().GetState(key)
	if err != nil {
		return "", err
	}
	if v == nil {
		return "", fmt.Errorf("NOT_FOUND: %s", key)
	}
	return string(v), nil
}

func (c *testContract) Del(ctx contractapi.TransactionContextInterface, key string) error {
	return ctx.GetStub().DelState(key)
}

// Incr reads a counter and writes it back plus one: two concurrent Incr on one key conflict.
func (c *testContract) Incr(ctx contractapi.TransactionContextInterface, key string) (int, error) {
	v, err := ctx.GetStub().GetState(key)
	if err != nil {
		return 0, err
	}
	n := 0
	if v != nil {
		if n, err = strconv.Atoi(string(v)); err != nil {
			return 0, err
		}
	}
	n++
	return n, ctx.GetStub().PutState(key, []byte(strconv.Itoa(n)))
}

// AddItem puts a composite-key item under owner.
func (c *testContract) AddItem(ctx contractapi.TransactionContextInterface, owner, id, value string) error {
	k, err := ctx.GetStub().CreateCompositeKey("item", []string{owner, id})
	if err != nil {
		return err
	}
	return ctx.GetStub().PutState(k, []byte(value))
}

// CountItems counts owner's items and records the count: a range read in a read-write transaction.
func (c *testContract) CountItems(ctx contractapi.TransactionContextInterface, owner string) (int, error) {
	it, err := ctx.GetStub().GetStateByPartialCompositeKey("item", []string{owner})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	n := 0
	for it.HasNext() {
		if _, err := it.Next(); err != nil {
			return 0, err
		}
		n++
	}
	return n, ctx.GetStub().PutState("count~"+owner, []byte(strconv.Itoa(n)))
}

type page struct {
	Keys     []string `json:"keys"`
	Values   []string `json:"values"`
	Bookmark string   `json:"bookmark"`
}

// ListItems pages through owner's items.
func (c *testContract) ListItems(ctx contractapi.TransactionContextInterface, owner string, size int, bookmark string) (*page, error) {
	it, md, err := ctx.GetStub().GetStateByPartialCompositeKeyWithPagination("item", []string{owner}, int32(size), bookmark)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	p := &page{Keys: []string{}, Values: []string{}, Bookmark: md.Bookmark}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		_, parts, err := ctx.GetStub().SplitCompositeKey(kv.Key)
		if err != nil {
			return nil, err
		}
		p.Keys = append(p.Keys, parts[1])
		p.Values = append(p.Values, string(kv.Value))
	}
	return p, nil
}

// PageThenWrite runs a paginated query and then writes, which Fabric forbids.
func (c *testContract) PageThenWrite(ctx contractapi.TransactionContextInterface) error {
	it, _, err := ctx.GetStub().GetStateByRangeWithPagination("", "", 10, "")
	if err != nil {
		return err
	}
	it.Close()
	return ctx.GetStub().PutState("x", []byte("y"))
}

// Range lists plain keys in [start, end).
func (c *testContract) Range(ctx contractapi.TransactionContextInterface, start, end string) ([]string, error) {
	it, err := ctx.GetStub().GetStateByRange(start, end)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := []string{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		out = append(out, kv.Key)
	}
	return out, nil
}

// PutPrivate stores the transient "personal" value in collection under key.
func (c *testContract) PutPrivate(ctx contractapi.TransactionContextInterface, collection, key string) error {
	t, err := ctx.GetStub().GetTransient()
	if err != nil {
		return err
	}
	v, ok := t[eduledger.TransientPersonalData]
	if !ok {
		return errors.New("INVALID: no personal data in the transient map")
	}
	return ctx.GetStub().PutPrivateData(collection, key, v)
}

func (c *testContract) GetPrivate(ctx contractapi.TransactionContextInterface, collection, key string) (string, error) {
	v, err := ctx.GetStub().GetPrivateData(collection, key)
	if err != nil {
		return "", err
	}
	return string(v), nil
}

func (c *testContract) PrivateHash(ctx contractapi.TransactionContextInterface, collection, key string) (string, error) {
	v, err := ctx.GetStub().GetPrivateDataHash(collection, key)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", v), nil
}

type historyItem struct {
	TxID     string    `json:"txId"`
	Value    string    `json:"value"`
	IsDelete bool      `json:"isDelete"`
	Time     time.Time `json:"time"`
}

func (c *testContract) History(ctx contractapi.TransactionContextInterface, key string) ([]historyItem, error) {
	it, err := ctx.GetStub().GetHistoryForKey(key)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := []historyItem{}
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return nil, err
		}
		out = append(out, historyItem{TxID: m.TxId, Value: string(m.Value), IsDelete: m.IsDelete, Time: m.Timestamp.AsTime()})
	}
	return out, nil
}

// Emit writes a key and emits an event.
func (c *testContract) Emit(ctx contractapi.TransactionContextInterface, name, payload string) error {
	if err := ctx.GetStub().PutState("event~"+ctx.GetStub().GetTxID(), []byte(payload)); err != nil {
		return err
	}
	return ctx.GetStub().SetEvent(name, []byte(payload))
}

// Fail returns an error with the given message.
func (c *testContract) Fail(ctx contractapi.TransactionContextInterface, msg string) error {
	_ = ctx.GetStub().PutState("never", []byte("written"))
	return errors.New(msg)
}

// Panic panics.
func (c *testContract) Panic(ctx contractapi.TransactionContextInterface) error {
	panic("boom")
}

type whoami struct {
	MSPID string `json:"mspId"`
	Org   string `json:"org"`
	Role  string `json:"role"`
	Time  string `json:"time"`
	TxID  string `json:"txId"`
}

func (c *testContract) Whoami(ctx contractapi.TransactionContextInterface) (*whoami, error) {
	ci := ctx.GetClientIdentity()
	mspID, err := ci.GetMSPID()
	if err != nil {
		return nil, err
	}
	org, _, err := ci.GetAttributeValue(eduledger.AttrOrg)
	if err != nil {
		return nil, err
	}
	role, _, err := ci.GetAttributeValue(eduledger.AttrRole)
	if err != nil {
		return nil, err
	}
	ts, err := ctx.GetStub().GetTxTimestamp()
	if err != nil {
		return nil, err
	}
	return &whoami{MSPID: mspID, Org: org, Role: role, Time: ts.AsTime().UTC().Format(time.RFC3339Nano), TxID: ctx.GetStub().GetTxID()}, nil
}

func (c *testContract) SetEP(ctx contractapi.TransactionContextInterface, key, ep string) error {
	return ctx.GetStub().SetStateValidationParameter(key, []byte(ep))
}

// CopyEP reads key's validation parameter and writes it to out.
func (c *testContract) CopyEP(ctx contractapi.TransactionContextInterface, key, out string) error {
	v, err := ctx.GetStub().GetStateValidationParameter(key)
	if err != nil {
		return err
	}
	return ctx.GetStub().PutState(out, append([]byte("ep:"), v...))
}

func (c *testContract) GetEP(ctx contractapi.TransactionContextInterface, key string) (string, error) {
	v, err := ctx.GetStub().GetStateValidationParameter(key)
	return string(v), err
}

// Anchor is shaped like the EduLedger anchor transaction: it reads the issuer, its accreditation,
// its key and the learner (4 GetState), checks the anchor does not exist (a 5th), writes the anchor,
// two index entries, a per-issuer counter and an audit record (5 PutState on composite keys, JSON
// values of about 300 bytes) and emits an event.
func (c *testContract) Anchor(ctx contractapi.TransactionContextInterface, issuer, learner, id, digest string) error {
	stub := ctx.GetStub()
	key := func(kind string, parts ...string) string {
		k, _ := stub.CreateCompositeKey(kind, parts)
		return k
	}
	for _, k := range []string{key("org", issuer), key("accr", issuer, "Diploma"), key("key", issuer, "k1"), key("learner", learner)} {
		if _, err := stub.GetState(k); err != nil {
			return err
		}
	}
	ak := key("anchor", id)
	if v, err := stub.GetState(ak); err != nil {
		return err
	} else if v != nil {
		return fmt.Errorf("CONFLICT: credential %s is already anchored", id)
	}
	ts, _ := stub.GetTxTimestamp()
	rec := map[string]any{
		"id": id, "type": "Diploma", "issuerId": issuer, "learnerId": learner, "digest": digest,
		"issuedAt": ts.AsTime().UTC(), "status": "ACTIVE", "txId": stub.GetTxID(),
		"validUntil": ts.AsTime().UTC().AddDate(50, 0, 0),
	}
	value, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	for _, k := range []string{ak, key("byLearner", learner, id), key("byIssuer", issuer, id), key("audit", id, stub.GetTxID()), key("digest", digest)} {
		if err := stub.PutState(k, value); err != nil {
			return err
		}
	}
	return stub.SetEvent("CredentialAnchored", value)
}

func newTestChaincode(t testing.TB) *contractapi.ContractChaincode {
	t.Helper()
	cc, err := contractapi.NewChaincode(&testContract{})
	if err != nil {
		t.Fatalf("new chaincode: %v", err)
	}
	return cc
}

// network is a ledger with two MSPs and a few identities.
type network struct {
	dir      string
	gov      *msp.CA
	school   *msp.CA
	ledger   *Ledger
	admin    *msp.SigningIdentity // GovMSP, edu-bureau admin
	issuer   *msp.SigningIdentity // SchoolMSP, riverside-university issuer
	registry *msp.SigningIdentity // SchoolMSP, lakeside-college registrar
}

func newNetwork(t testing.TB, opts ...Option) *network {
	t.Helper()
	n := &network{dir: t.TempDir()}
	var err error
	if n.gov, err = msp.NewCA("GovMSP", "ca.gov.eduledger.test"); err != nil {
		t.Fatal(err)
	}
	if n.school, err = msp.NewCA("SchoolMSP", "ca.school.eduledger.test"); err != nil {
		t.Fatal(err)
	}
	cfg := ChannelConfig{Channel: "eduledger", Chaincode: "eduledger", MSPs: []msp.Config{n.gov.Config(), n.school.Config()}}
	if err := Create(n.dir, cfg); err != nil {
		t.Fatal(err)
	}
	n.admin = issue(t, n.gov, "admin@edu-bureau", "edu-bureau", "admin")
	n.issuer = issue(t, n.school, "issuer@riverside-university", "riverside-university", "issuer")
	n.registry = issue(t, n.school, "registrar@lakeside-college", "lakeside-college", "registrar")
	n.open(t, opts...)
	return n
}

func issue(t testing.TB, ca *msp.CA, cn, org, role string, opts ...msp.IssueOption) *msp.SigningIdentity {
	t.Helper()
	id, err := ca.Issue(cn, map[string]string{eduledger.AttrOrg: org, eduledger.AttrRole: role}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (n *network) open(t testing.TB, opts ...Option) {
	t.Helper()
	opts = append([]Option{WithLogger(discardLogger())}, opts...)
	l, err := Open(n.dir, newTestChaincode(t), opts...)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	n.ledger = l
	t.Cleanup(func() { l.Close() })
}
