package ledger_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
	"github.com/eduledger/eduledger/sdk/msp"
)

// schoolLedger is an embedded ledger governed by a bureau, with one school accredited for diplomas.
type schoolLedger struct {
	l                         *embedded.Ledger
	bureau, registrar, issuer *ledger.Client
	governingCA, schoolCA     *msp.CA
}

func newSchoolLedger(t *testing.T) *schoolLedger {
	t.Helper()
	s := &schoolLedger{}
	var err error
	if s.governingCA, err = msp.NewCA("GovMSP", "ca.gov"); err != nil {
		t.Fatal(err)
	}
	if s.schoolCA, err = msp.NewCA("SchoolMSP", "ca.school"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := embedded.Create(dir, embedded.ChannelConfig{Channel: "eduledger", Chaincode: "eduledger",
		MSPs: []msp.Config{s.governingCA.Config(), s.schoolCA.Config()}}); err != nil {
		t.Fatal(err)
	}
	cc, err := chaincode.New()
	if err != nil {
		t.Fatal(err)
	}
	if s.l, err = embedded.Open(dir, cc, embedded.WithLogger(slog.New(slog.DiscardHandler))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.l.Close() })
	connect := func(ca *msp.CA, orgID string, role eduledger.StaffRole) *ledger.Client {
		id, err := ca.Issue(string(role)+"@"+orgID, map[string]string{eduledger.AttrOrg: orgID, eduledger.AttrRole: string(role)})
		if err != nil {
			t.Fatal(err)
		}
		return ledger.NewClient(s.l.Connect(id))
	}
	s.bureau = connect(s.governingCA, "edu-bureau", eduledger.StaffAdmin)
	s.registrar = connect(s.schoolCA, "riverside-university", eduledger.StaffRegistrar)
	s.issuer = connect(s.schoolCA, "riverside-university", eduledger.StaffIssuer)
	ctx := t.Context()
	for _, err := range []error{
		second(s.bureau.InitLedger(ctx, &eduledger.Organization{ID: "edu-bureau", MSPID: "GovMSP", Kind: eduledger.KindGovernment,
			RegionCode: "310000", Name: eduledger.Name{Zh: "市教育局", En: "Municipal Education Bureau"}})),
		second(s.bureau.AdmitOrganization(ctx, &eduledger.Organization{ID: "riverside-university", MSPID: "SchoolMSP",
			Kind: eduledger.KindSchool, RegionCode: "310000", Name: eduledger.Name{Zh: "滨江大学", En: "Riverside University"}})),
		second(s.bureau.GrantAccreditation(ctx, &eduledger.Accreditation{OrgID: "riverside-university",
			CredentialType: eduledger.TypeDiploma, ValidFrom: time.Now().Add(-time.Hour)})),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func second[T any](_ T, err error) error { return err }

func TestRegisterLearnerSendsPersonalDataOnlyInTheTransientMap(t *testing.T) {
	s := newSchoolLedger(t)
	p := &eduledger.PersonalData{Name: "王小明", NationalID: "310104200402020022", DateOfBirth: "2004-02-02",
		Salt: strings.Repeat("ab", 32)}
	l, err := s.registrar.RegisterLearner(t.Context(), &eduledger.Learner{ID: "s1", Roles: []eduledger.LearnerRole{eduledger.RoleStudent},
		PersonalDataCommitment: p.Commitment()}, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.l.Block(s.l.Height() - 1)
	if err != nil {
		t.Fatal(err)
	}
	tx := b.Transactions[len(b.Transactions)-1]
	if tx.Function != "RegisterLearner" || len(tx.Args) != 1 {
		t.Fatalf("last transaction = %s%q", tx.Function, tx.Args)
	}
	for _, v := range []string{p.Name, p.NationalID, p.Salt} {
		if strings.Contains(tx.Args[0], v) {
			t.Errorf("the learner argument carries personal data %q", v)
		}
	}
	// The chaincode got the data (from the transient map) and stored it for the school.
	got, err := s.registrar.GetPersonalData(t.Context(), l.ID)
	if err != nil || *got != *p {
		t.Fatalf("GetPersonalData = %+v, %v", got, err)
	}
}

func TestClientRefusesMissingDocumentsBeforeSubmitting(t *testing.T) {
	s := newSchoolLedger(t)
	height := s.l.Height()
	for name, call := range map[string]func() error{
		"a nil anchor":        func() error { return second(s.issuer.AnchorCredential(t.Context(), nil)) },
		"a nil organisation":  func() error { return second(s.bureau.AdmitOrganization(t.Context(), nil)) },
		"a nil status change": func() error { return second(s.registrar.ChangeCredentialStatus(t.Context(), nil)) },
	} {
		if err := call(); eduledger.ErrorCode(err) != eduledger.EINVALID {
			t.Errorf("%s: got %v, want INVALID", name, err)
		}
	}
	if s.l.Height() != height {
		t.Errorf("refused calls reached the ledger: height %d → %d", height, s.l.Height())
	}
}

func TestClientPassesTimesInUTCAndTheZeroTimeAsTheLedgersNow(t *testing.T) {
	s := newSchoolLedger(t)
	shanghai := time.FixedZone("CST", 8*3600)
	at := time.Now().In(shanghai)
	c, err := s.issuer.CheckAccreditation(t.Context(), "riverside-university", eduledger.TypeDiploma, at)
	if err != nil {
		t.Fatal(err)
	}
	if !c.At.Equal(at) || c.At.Location() != time.UTC || !c.Accredited {
		t.Errorf("check at %s = %+v", at, c)
	}
	before := time.Now()
	c, err = s.issuer.CheckAccreditation(t.Context(), "riverside-university", eduledger.TypeDiploma, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if c.At.Before(before.Add(-time.Second)) || c.At.After(time.Now().Add(time.Second)) || !c.Accredited {
		t.Errorf("check now = %+v, want the transaction time", c)
	}
}

func TestClientReturnsEmptyListsNotNil(t *testing.T) {
	s := newSchoolLedger(t)
	p, err := s.issuer.ListIssuerKeys(t.Context(), "riverside-university", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Items == nil || len(p.Items) != 0 || p.Bookmark != "" {
		t.Errorf("empty page = %+v", p)
	}
}

// brokenLedger answers every call with fixed bytes or a fixed error: what no real backend does, to
// check how the client handles it.
type brokenLedger struct {
	result []byte
	err    error
}

func (b brokenLedger) Submit(context.Context, *ledger.Transaction) (*ledger.Receipt, error) {
	if b.err != nil {
		return nil, b.err
	}
	return &ledger.Receipt{TxID: "tx", Result: b.result}, nil
}

func (b brokenLedger) Evaluate(context.Context, *ledger.Transaction) ([]byte, error) {
	return b.result, b.err
}

func (brokenLedger) Events(context.Context, *ledger.Checkpoint) (<-chan *ledger.ChaincodeEvent, error) {
	return nil, errors.New("no events")
}

func (brokenLedger) Close() error { return nil }

func TestClientReportsUnreadableResultsAsInternalAndKeepsBackendErrors(t *testing.T) {
	ctx := t.Context()
	c := ledger.NewClient(brokenLedger{result: []byte("<html>oops</html>")})
	_, err := c.GetOrganization(ctx, "edu-bureau")
	if eduledger.ErrorCode(err) != eduledger.EINTERNAL || strings.Contains(eduledger.ErrorMessage(err), "html") {
		t.Errorf("unreadable result: got %v; want INTERNAL that does not echo the bytes", err)
	}
	cause := ledger.Unavailable("peer", context.DeadlineExceeded)
	c = ledger.NewClient(brokenLedger{err: cause})
	_, err = c.AnchorBatch(ctx, &eduledger.BatchAnchor{})
	if eduledger.ErrorCode(err) != eduledger.EUNAVAILABLE || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("backend error: got %v; want it unchanged", err)
	}
}
