package chaincode_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
	"github.com/eduledger/eduledger/sdk/msp"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// The tests run the real chaincode through the embedded ledger: signed proposals, contractapi,
// simulation, ordering and commit. Nothing is mocked.

const (
	govMSP        = "GovMSP"
	schoolMSP     = "SchoolMSP"
	enterpriseMSP = "EnterpriseMSP"
)

// epoch is the transaction time the tests start at.
var epoch = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

// testNet is an embedded ledger with one CA per member MSP and a clock the test controls: every
// proposal is stamped with the clock's time, which then moves on by a millisecond so that
// transactions have distinct times unless the test sets one.
type testNet struct {
	dir string
	l   *embedded.Ledger
	cas map[string]*msp.CA

	mu      sync.Mutex
	now     time.Time
	clients map[string]*ledger.Client
	n       int
	opts    []chaincode.Option // the chaincode's options, applied on every open
}

func newTestNet(t testing.TB, opts ...chaincode.Option) *testNet {
	t.Helper()
	n := &testNet{dir: t.TempDir(), cas: map[string]*msp.CA{}, now: epoch, clients: map[string]*ledger.Client{}, opts: opts}
	cfg := embedded.ChannelConfig{Channel: "eduledger", Chaincode: "eduledger"}
	for _, id := range []string{govMSP, schoolMSP, enterpriseMSP} {
		ca, err := msp.NewCA(id, "ca."+id)
		if err != nil {
			t.Fatal(err)
		}
		n.cas[id] = ca
		cfg.MSPs = append(cfg.MSPs, ca.Config())
	}
	if err := embedded.Create(n.dir, cfg); err != nil {
		t.Fatal(err)
	}
	n.open(t)
	return n
}

// open opens the ledger in n.dir; the test's clock is far from the node's, so the skew check is
// off.
func (n *testNet) open(t testing.TB) {
	t.Helper()
	cc, err := chaincode.New(n.opts...)
	if err != nil {
		t.Fatal(err)
	}
	l, err := embedded.Open(n.dir, cc, embedded.WithClockSkew(0), embedded.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	n.l = l
	t.Cleanup(func() { _ = l.Close() })
}

// clock returns the current test time and advances it.
func (n *testNet) clock() time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	t := n.now
	n.now = n.now.Add(time.Millisecond)
	return t
}

// setTime makes the next transaction happen at t.
func (n *testNet) setTime(t time.Time) {
	n.mu.Lock()
	n.now = t
	n.mu.Unlock()
}

// identity mints a staff certificate; an empty orgID or role leaves that attribute out.
func (n *testNet) identity(t testing.TB, mspID, orgID string, role eduledger.StaffRole) *msp.SigningIdentity {
	t.Helper()
	attrs := map[string]string{}
	if orgID != "" {
		attrs[eduledger.AttrOrg] = orgID
	}
	if role != "" {
		attrs[eduledger.AttrRole] = string(role)
	}
	n.mu.Lock()
	n.n++
	cn := fmt.Sprintf("staff-%d", n.n)
	n.mu.Unlock()
	id, err := n.cas[mspID].Issue(cn, attrs)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (n *testNet) gateway(t testing.TB, mspID, orgID string, role eduledger.StaffRole) *embedded.Gateway {
	return n.l.Connect(n.identity(t, mspID, orgID, role), embedded.WithClock(n.clock))
}

// as returns a client acting as a staff member; clients are reused per (MSP, org, role).
func (n *testNet) as(t testing.TB, mspID, orgID string, role eduledger.StaffRole) *ledger.Client {
	t.Helper()
	k := mspID + "/" + orgID + "/" + string(role)
	n.mu.Lock()
	c, ok := n.clients[k]
	n.mu.Unlock()
	if ok {
		return c
	}
	c = ledger.NewClient(n.gateway(t, mspID, orgID, role))
	n.mu.Lock()
	n.clients[k] = c
	n.mu.Unlock()
	return c
}

// org is an organisation of the test world.
type org struct {
	id, msp string
	kind    eduledger.OrgKind
}

// The test world: the governing bureau, a district bureau that does not govern, two schools on one
// MSP, a training provider and an enterprise.
var (
	bureau    = org{"edu-bureau", govMSP, eduledger.KindGovernment}
	district  = org{"district-bureau", govMSP, eduledger.KindGovernment}
	riverside = org{"riverside-university", schoolMSP, eduledger.KindSchool}
	lakeside  = org{"lakeside-college", schoolMSP, eduledger.KindSchool}
	sunrise   = org{"sunrise-training", schoolMSP, eduledger.KindTraining}
	acme      = org{"acme-networks", enterpriseMSP, eduledger.KindEnterprise}
)

func (o org) document() *eduledger.Organization {
	return &eduledger.Organization{ID: o.id, MSPID: o.msp, Kind: o.kind, RegionCode: "310000",
		Name: eduledger.Name{Zh: "机构 " + o.id, En: "Organisation " + o.id}}
}

func (n *testNet) staff(t testing.TB, o org, role eduledger.StaffRole) *ledger.Client {
	return n.as(t, o.msp, o.id, role)
}

// newWorld returns a ledger initialised by the bureau, with the other organisations admitted and
// every organisation accredited for Certificate from a year before the epoch, the schools also for
// Diploma, the enterprise for InternshipRecord.
func newWorld(t testing.TB) *testNet {
	t.Helper()
	n := newTestNet(t)
	ctx := t.Context()
	gov := n.staff(t, bureau, eduledger.StaffAdmin)
	if _, err := gov.InitLedger(ctx, bureau.document()); err != nil {
		t.Fatalf("init: %v", err)
	}
	for _, o := range []org{district, riverside, lakeside, sunrise, acme} {
		if _, err := gov.AdmitOrganization(ctx, o.document()); err != nil {
			t.Fatalf("admit %s: %v", o.id, err)
		}
	}
	grants := []struct {
		o  org
		ct eduledger.CredentialType
	}{
		{bureau, eduledger.TypeCertificate}, {district, eduledger.TypeCertificate}, {riverside, eduledger.TypeCertificate},
		{lakeside, eduledger.TypeCertificate}, {sunrise, eduledger.TypeCertificate}, {acme, eduledger.TypeCertificate},
		{riverside, eduledger.TypeDiploma}, {lakeside, eduledger.TypeDiploma}, {acme, eduledger.TypeInternshipRecord},
	}
	for _, g := range grants {
		if _, err := gov.GrantAccreditation(ctx, &eduledger.Accreditation{OrgID: g.o.id, CredentialType: g.ct,
			ValidFrom: epoch.AddDate(-1, 0, 0)}); err != nil {
			t.Fatalf("accredit %s for %s: %v", g.o.id, g.ct, err)
		}
	}
	return n
}

// personalData returns made-up personal data for a learner.
func personalData(name, nationalID string) *eduledger.PersonalData {
	return &eduledger.PersonalData{Name: name, NationalID: nationalID, DateOfBirth: "2004-05-06",
		PhotoRef: "photos/" + nationalID + ".jpg", Salt: randomHex(32)}
}

func learnerDoc(id string, p *eduledger.PersonalData) *eduledger.Learner {
	return &eduledger.Learner{ID: id, Roles: []eduledger.LearnerRole{eduledger.RoleStudent},
		HolderKeys: []string{ed25519Key()}, PersonalDataCommitment: p.Commitment(), PortraitHash: randomHex(32)}
}

// registerLearner registers a learner through o's registrar.
func (n *testNet) registerLearner(t testing.TB, o org, id string) *eduledger.Learner {
	t.Helper()
	p := personalData("学生 "+id, "3101"+id)
	l, err := n.staff(t, o, eduledger.StaffRegistrar).RegisterLearner(t.Context(), learnerDoc(id, p), p)
	if err != nil {
		t.Fatalf("register learner %s: %v", id, err)
	}
	return l
}

func anchorDoc(o org, learnerID string, ct eduledger.CredentialType, issuedAt time.Time) *eduledger.CredentialAnchor {
	return &eduledger.CredentialAnchor{ID: "urn:uuid:" + randomHex(16), Type: ct, IssuerID: o.id, LearnerID: learnerID,
		Digest: randomHex(32), IssuedAt: issuedAt}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func ed25519Key() string {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	mk, err := multikey.Encode(multikey.Ed25519, pub)
	if err != nil {
		panic(err)
	}
	return mk
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := eduledger.ErrorCode(err); got != code {
		t.Fatalf("got %v (code %q), want code %q", err, got, code)
	}
}
