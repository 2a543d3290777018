package ledgertest

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/multikey"
)

var zeroTime time.Time

// hoursFromNow returns the wall-clock time h hours from now, truncated to the millisecond. The
// transaction timestamps of both backends come from the submitting client's clock, so windows
// placed hours away from now are on the intended side of every transaction.
func hoursFromNow(h float64) time.Time {
	return time.Now().Add(time.Duration(h * float64(time.Hour))).UTC().Truncate(time.Millisecond)
}

// admit admits an organisation of the given kind hosted by mspID and connects its staff.
func (s *suite) admit(t testing.TB, name string, kind eduledger.OrgKind, mspID string) *orgFixture {
	t.Helper()
	org := &eduledger.Organization{
		ID: s.id(name), MSPID: mspID, Kind: kind, RegionCode: "310104",
		Name: eduledger.Name{Zh: "测试机构 " + name, En: "Conformance " + name},
	}
	got := must(s.govAdmin.AdmitOrganization(t.Context(), org))(t)
	return &orgFixture{
		org:       got,
		admin:     s.client(t, mspID, got.ID, eduledger.StaffAdmin),
		registrar: s.client(t, mspID, got.ID, eduledger.StaffRegistrar),
		issuer:    s.client(t, mspID, got.ID, eduledger.StaffIssuer),
	}
}

func (s *suite) accredit(t testing.TB, orgID string, ct eduledger.CredentialType, from, until time.Time) *eduledger.Accreditation {
	t.Helper()
	return must(s.govAdmin.GrantAccreditation(t.Context(), &eduledger.Accreditation{
		OrgID: orgID, CredentialType: ct, ValidFrom: from, ValidUntil: until,
	}))(t)
}

// newPersonal returns made-up personal data, distinct per call, that no ledger value may contain.
func newPersonal() *eduledger.PersonalData {
	n := randomHex(4)
	return &eduledger.PersonalData{
		Name:        "测试学生" + n,
		NationalID:  "31010420000101" + n,
		DateOfBirth: "2000-01-01",
		PhotoRef:    "photos/" + n + ".jpg",
		Salt:        randomHex(32),
	}
}

// learnerFor returns a learner document committing to p.
func (s *suite) learnerFor(name string, p *eduledger.PersonalData) *eduledger.Learner {
	return &eduledger.Learner{
		ID:                     s.id(name),
		Roles:                  []eduledger.LearnerRole{eduledger.RoleStudent},
		HolderKeys:             []string{ed25519Multikey()},
		PersonalDataCommitment: p.Commitment(),
		PortraitHash:           randomHex(32),
	}
}

// register registers a learner through f's registrar and returns it.
func (s *suite) register(t testing.TB, f *orgFixture, name string) *eduledger.Learner {
	t.Helper()
	p := newPersonal()
	return must(f.registrar.RegisterLearner(t.Context(), s.learnerFor(name, p), p))(t)
}

// newAnchor returns a credential anchor of type ct from issuer to learner, with a fresh ID and
// digest.
func newAnchor(issuer *orgFixture, learnerID string, ct eduledger.CredentialType) *eduledger.CredentialAnchor {
	return &eduledger.CredentialAnchor{
		ID:        "urn:uuid:" + uuid(),
		Type:      ct,
		IssuerID:  issuer.org.ID,
		LearnerID: learnerID,
		Digest:    randomHex(32),
		IssuedAt:  time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond),
	}
}

func (s *suite) anchor(t testing.TB, issuer *orgFixture, learnerID string, ct eduledger.CredentialType) *eduledger.CredentialAnchor {
	t.Helper()
	return must(issuer.issuer.AnchorCredential(t.Context(), newAnchor(issuer, learnerID, ct)))(t)
}

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func ed25519Multikey() string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	mk, err := multikey.Encode(multikey.Ed25519, pub)
	if err != nil {
		panic(err) // a 32-byte key always encodes
	}
	return mk
}

// must takes a call's results and returns a function that fails t on a non-nil error and
// otherwise returns the value: must(c.GetLearner(ctx, id))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// wantCode fails t unless err carries code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := eduledger.ErrorCode(err); got != code {
		if err == nil {
			t.Fatalf("succeeded; want an error with code %s", code)
		}
		t.Fatalf("got error %q (code %s); want code %s", err, got, code)
	}
}
