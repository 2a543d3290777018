// Package verifiertest sets up what tests and benchmarks of a credential verifier need: a
// development network on the embedded ledger, running the real chaincode, with the demo governance,
// issuing organisations that have published their keys, registered learners with holder keys, and
// credentials issued and anchored — alone or in Merkle batches — exactly as an issuer service would.
//
// Nothing here is mocked: identities are X.509 certificates of the network's CAs, every change is a
// signed, ordered and committed transaction, every credential carries real Ed25519 and ML-DSA-44
// proofs.
package verifiertest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/holder"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
)

// KeysValidFrom is the validFrom every test issuer key is registered with, so that credentials
// may claim dates in the past.
var KeysValidFrom = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Network is a development network on the embedded ledger, bootstrapped with the demo governance.
type Network struct {
	// Dir is the network's directory.
	Dir string
	// Dev is the development network (CAs and staff identities).
	Dev *devnet.Network
	// Ledger is the embedded ledger.
	Ledger *embedded.Ledger
	// Connector acts as any staff member.
	Connector ledger.Connector
	// Reader is a read-only member connection, what a verifier uses.
	Reader ledger.Ledger
	// Gov is the governing education bureau's admin.
	Gov *ledger.Client
	// Schemas are compiled once for every issuer and verifier of the network.
	Schemas *credential.Schemas

	seq atomic.Int64
}

// New creates and bootstraps a network in a temporary directory of tb, closed when tb ends.
func New(tb testing.TB) *Network {
	tb.Helper()
	n, err := Open(context.Background(), tb.TempDir())
	if err != nil {
		tb.Fatalf("verifiertest: %v", err)
	}
	tb.Cleanup(func() { n.Close() })
	return n
}

// Open creates (or reopens) and bootstraps a network in dir. Close it when done.
func Open(ctx context.Context, dir string) (*Network, error) {
	dev, _, err := devnet.Open(dir)
	if err != nil {
		return nil, err
	}
	cc, err := chaincode.New(chaincode.GoverningMSP(devnet.GovMSP))
	if err != nil {
		return nil, err
	}
	l, err := dev.OpenLedger(cc, embedded.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, err
	}
	n := &Network{Dir: dir, Dev: dev, Ledger: l, Connector: dev.Connector(l)}
	fail := func(err error) (*Network, error) {
		l.Close()
		return nil, err
	}
	if _, err := devnet.Bootstrap(ctx, n.Connector); err != nil {
		return fail(err)
	}
	if n.Reader, err = n.Connector.Connect(ctx, devnet.EnterpriseMSP, "", ""); err != nil {
		return fail(err)
	}
	gov, err := n.Connector.Connect(ctx, devnet.GovMSP, devnet.Bureau, eduledger.StaffAdmin)
	if err != nil {
		return fail(err)
	}
	n.Gov = ledger.NewClient(gov)
	if n.Schemas, err = credential.NewSchemas(); err != nil {
		return fail(err)
	}
	return n, nil
}

// Close closes the ledger.
func (n *Network) Close() error { return n.Ledger.Close() }

// Head returns the ledger's height, for verifier.WithHead.
func (n *Network) Head(context.Context) (uint64, error) { return n.Ledger.Height(), nil }

// Issuer is an organisation that has published an Ed25519 and an ML-DSA-44 key and issues with
// them.
type Issuer struct {
	net *Network
	Org eduledger.Organization
	// Ed and PQ sign for the published keys.
	Ed, PQ dataintegrity.Signer
	// Admin, Registrar and Staff act for the organisation on the ledger (Staff has the issuer
	// role).
	Admin, Registrar, Staff *ledger.Client
	// Clock dates what Sign issues (default time.Now); set it to make a credential claim another
	// time than the one the ledger witnesses when it is anchored.
	Clock func() time.Time
}

// Issuer returns an issuer for a demo organisation (devnet.Riverside, …) with a fresh pair of
// keys.
func (n *Network) Issuer(tb testing.TB, orgID string) *Issuer {
	tb.Helper()
	org, ok := devnet.Organization(orgID)
	if !ok {
		tb.Fatalf("verifiertest: %s is not a demo organisation", orgID)
	}
	is, err := n.newIssuer(context.Background(), org)
	if err != nil {
		tb.Fatalf("verifiertest: %v", err)
	}
	return is
}

// NewIssuer admits a fresh organisation of the given kind, hosted by SchoolMSP, accredits it for
// every credential type from KeysValidFrom and publishes a pair of keys: an issuer of its own for
// a test that suspends or revokes things.
func (n *Network) NewIssuer(tb testing.TB, kind eduledger.OrgKind) *Issuer {
	tb.Helper()
	is, err := n.AdmitIssuer(context.Background(), kind)
	if err != nil {
		tb.Fatalf("verifiertest: %v", err)
	}
	return is
}

// AdmitIssuer is NewIssuer for callers without a testing.TB.
func (n *Network) AdmitIssuer(ctx context.Context, kind eduledger.OrgKind) (*Issuer, error) {
	id := fmt.Sprintf("test-issuer-%d-%s", n.seq.Add(1), randomHex(3))
	org := eduledger.Organization{ID: id, MSPID: devnet.SchoolMSP, Kind: kind, RegionCode: "310104",
		Name: eduledger.Name{Zh: "测试学院 " + id[len(id)-6:], En: "Test College " + id[len(id)-6:]}}
	if _, err := n.Gov.AdmitOrganization(ctx, &org); err != nil {
		return nil, err
	}
	for _, t := range eduledger.CredentialTypes {
		if _, err := n.Gov.GrantAccreditation(ctx, &eduledger.Accreditation{OrgID: id, CredentialType: t, ValidFrom: KeysValidFrom}); err != nil {
			return nil, err
		}
	}
	return n.newIssuer(ctx, org)
}

func (n *Network) newIssuer(ctx context.Context, org eduledger.Organization) (*Issuer, error) {
	is := &Issuer{net: n, Org: org, Clock: time.Now}
	var err error
	for _, c := range []struct {
		dst  **ledger.Client
		role eduledger.StaffRole
	}{{&is.Admin, eduledger.StaffAdmin}, {&is.Registrar, eduledger.StaffRegistrar}, {&is.Staff, eduledger.StaffIssuer}} {
		l, err := n.Connector.Connect(ctx, org.MSPID, org.ID, c.role)
		if err != nil {
			return nil, err
		}
		*c.dst = ledger.NewClient(l)
	}
	suffix := randomHex(4)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	if is.Ed, err = dataintegrity.NewEd25519Signer(eduledger.KeyDID(org.ID, "ed-"+suffix), edKey); err != nil {
		return nil, err
	}
	_, pqKey, err := mldsa44.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	if is.PQ, err = dataintegrity.NewMLDSA44Signer(eduledger.KeyDID(org.ID, "pq-"+suffix), pqKey); err != nil {
		return nil, err
	}
	for _, s := range []dataintegrity.Signer{is.Ed, is.PQ} {
		if _, err := is.RegisterKey(ctx, s); err != nil {
			return nil, err
		}
	}
	return is, nil
}

// RegisterKey publishes a signer's key for the issuer, valid from KeysValidFrom.
func (is *Issuer) RegisterKey(ctx context.Context, s dataintegrity.Signer) (*eduledger.IssuerKey, error) {
	_, keyID, ok := eduledger.ParseKeyDID(s.VerificationMethod())
	if !ok {
		return nil, eduledger.Errorf(eduledger.EINVALID, "%s is not an issuer key DID", s.VerificationMethod())
	}
	return is.Admin.RegisterIssuerKey(ctx, &eduledger.IssuerKey{OrgID: is.Org.ID, ID: keyID, Type: eduledger.KeyType(s.Kind()),
		PublicKeyMultibase: s.PublicKeyMultibase(), ValidFrom: KeysValidFrom})
}

// KeyID returns the ID of the key a signer signs for.
func KeyID(s dataintegrity.Signer) string {
	_, id, _ := eduledger.ParseKeyDID(s.VerificationMethod())
	return id
}

// Credentials returns a credential.Issuer signing with the issuer's keys at its Clock.
func (is *Issuer) Credentials() (*credential.Issuer, error) {
	return credential.NewIssuer(credential.Profile{ID: eduledger.OrgDID(is.Org.ID), Name: credential.Text{Zh: is.Org.Name.Zh, En: is.Org.Name.En}},
		is.Ed, is.PQ, credential.WithSchemas(is.net.Schemas), credential.WithClock(is.Clock))
}

// Learner is a registered learner and the holder key on their identity card.
type Learner struct {
	ID string
	// Holder signs presentations (holder.NewSigner over Key).
	Holder dataintegrity.Signer
	// Key is the holder's Ed25519 Multikey, as registered on the ledger.
	Key string
}

// Learner registers a fresh learner through the issuer's registrar, with a holder key.
func (is *Issuer) Learner(tb testing.TB) *Learner {
	tb.Helper()
	l, err := is.RegisterLearner(context.Background())
	if err != nil {
		tb.Fatalf("verifiertest: %v", err)
	}
	return l
}

// RegisterLearner is Learner for callers without a testing.TB.
func (is *Issuer) RegisterLearner(ctx context.Context) (*Learner, error) {
	id := fmt.Sprintf("L%d%s", is.net.seq.Add(1), randomHex(4))
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	raw, err := dataintegrity.NewEd25519Signer("key#0", key)
	if err != nil {
		return nil, err
	}
	signer, err := holder.NewSigner(id, raw)
	if err != nil {
		return nil, err
	}
	personal := &eduledger.PersonalData{Name: "测试学生 " + id, NationalID: "3101042000" + randomHex(4), Salt: randomHex(32)}
	if _, err := is.Registrar.RegisterLearner(ctx, &eduledger.Learner{ID: id, Roles: []eduledger.LearnerRole{eduledger.RoleStudent},
		HolderKeys: []string{signer.PublicKeyMultibase()}, PersonalDataCommitment: personal.Commitment()}, personal); err != nil {
		return nil, err
	}
	return &Learner{ID: id, Holder: signer, Key: signer.PublicKeyMultibase()}, nil
}

// Diploma returns a bachelor's diploma in computer science for a learner, valid from the issuer's
// clock for ten years.
func (is *Issuer) Diploma(learnerID string) *credential.Credential {
	c := credential.New(eduledger.TypeDiploma, learnerID)
	c.Name = credential.Text{Zh: "毕业证书", En: "Diploma"}
	c.ValidFrom = is.Clock().UTC().Truncate(time.Second)
	c.ValidUntil = c.ValidFrom.AddDate(10, 0, 0)
	c.Subject.Achievement = &credential.Achievement{
		ID: "urn:eduledger:program:" + is.Org.ID + ":cs-bsc", AchievementType: "Diploma",
		Name:         credential.Text{Zh: "计算机科学与技术", En: "Computer Science and Technology"},
		Criteria:     credential.Criteria{Narrative: credential.Text{Zh: "修满 160 学分并通过毕业论文答辩。", En: "Complete 160 credits including the thesis."}},
		FieldOfStudy: "Computer Science", CreditsAvailable: 160,
	}
	c.Subject.ActivityStartDate = time.Date(2022, 9, 1, 0, 0, 0, 0, time.UTC)
	c.Subject.ActivityEndDate = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	c.Subject.CreditsEarned = 162.5
	c.Subject.CertificateNumber = "1028" + randomDigits(8)
	return c
}

// IdentityCard returns an education identity card for a learner, carrying their holder key.
func (is *Issuer) IdentityCard(l *Learner) *credential.Credential {
	c := credential.New(eduledger.TypeIdentityCard, l.ID)
	c.Name = credential.Text{Zh: "教育信息身份证", En: "Education Identity Card"}
	c.ValidFrom = is.Clock().UTC().Truncate(time.Second)
	c.ValidUntil = c.ValidFrom.AddDate(4, 0, 0)
	c.Subject.LearnerID = l.ID
	c.Subject.Roles = []eduledger.LearnerRole{eduledger.RoleStudent}
	c.Subject.PublicKeyMultibase = l.Key
	return c
}

// Sign issues a credential without anchoring it.
func (is *Issuer) Sign(tb testing.TB, c *credential.Credential) *credential.Issued {
	tb.Helper()
	ci, err := is.Credentials()
	if err != nil {
		tb.Fatalf("verifiertest: %v", err)
	}
	issued, err := ci.Issue(c)
	if err != nil {
		tb.Fatalf("verifiertest: issue: %v", err)
	}
	return issued
}

// Issue issues a credential and anchors it on the ledger.
func (is *Issuer) Issue(tb testing.TB, c *credential.Credential) *credential.Issued {
	tb.Helper()
	issued := is.Sign(tb, c)
	if err := is.Anchor(context.Background(), issued); err != nil {
		tb.Fatalf("verifiertest: anchor: %v", err)
	}
	return issued
}

// Anchor anchors an issued credential.
func (is *Issuer) Anchor(ctx context.Context, issued *credential.Issued) error {
	_, err := is.Staff.AnchorCredential(ctx, &issued.Anchor)
	return err
}

// IssueBatch issues credentials as one Merkle batch and anchors its root.
func (is *Issuer) IssueBatch(tb testing.TB, cs []*credential.Credential) *credential.Batch {
	tb.Helper()
	b, err := is.Batch(context.Background(), cs)
	if err != nil {
		tb.Fatalf("verifiertest: %v", err)
	}
	return b
}

// Batch is IssueBatch for callers without a testing.TB.
func (is *Issuer) Batch(ctx context.Context, cs []*credential.Credential) (*credential.Batch, error) {
	ci, err := is.Credentials()
	if err != nil {
		return nil, err
	}
	b, err := ci.IssueBatch(ctx, cs)
	if err != nil {
		return nil, err
	}
	anchor := b.Anchor()
	if _, err := is.Staff.AnchorBatch(ctx, &anchor); err != nil {
		return nil, err
	}
	return b, nil
}

// Present builds a presentation of credentials by a learner, answering a challenge for a domain.
func Present(tb testing.TB, l *Learner, challenge, domain string, credentials ...[]byte) []byte {
	tb.Helper()
	p, err := holder.Present(l.Holder, credentials, challenge, domain, time.Now())
	if err != nil {
		tb.Fatalf("verifiertest: present: %v", err)
	}
	return p
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}
