// Package ledgertest is the conformance suite every EduLedger ledger backend must pass: the same
// scenarios, run through the typed ledger.Client against the real chaincode, whether the backend is
// the embedded ledger or a Hyperledger Fabric network.
//
// The scenarios create their own organisations, learners and credentials under IDs unique to the
// run, so they also pass on a channel that already holds data, such as a long-lived Fabric network.
// When the channel is not initialised yet, the suite initialises it with the demo governing
// organisation (edu-bureau, GovMSP); otherwise it acts as whichever organisation governs it.
//
// A backend's test calls Run with a Network that can mint connections for staff of any
// organisation:
//
//	func TestConformance(t *testing.T) {
//		ledgertest.Run(t, myNetwork{…})
//	}
package ledgertest

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// MSP IDs of the channel's member organisations, as every EduLedger network defines them.
const (
	GovMSP        = "GovMSP"
	SchoolMSP     = "SchoolMSP"
	EnterpriseMSP = "EnterpriseMSP"
)

// Network is a ledger backend under test.
type Network interface {
	// Connect returns a connection acting as a staff member of organisation orgID with the given
	// role: a client certificate issued by the CA of mspID carrying the eduledger.org and
	// eduledger.role attributes. An empty orgID or role leaves that attribute out, and values
	// need not be valid (the suite checks that the chaincode refuses such identities). The
	// network closes the connection when t ends, or the connection is closed through t.Cleanup.
	Connect(t testing.TB, mspID, orgID string, role eduledger.StaffRole) ledger.Ledger
}

// Run runs every scenario against n as subtests of t.
func Run(t *testing.T, n Network) {
	s := newSuite(t, n)
	t.Run("the ledger is initialised exactly once", s.testInitialisedOnce)
	t.Run("organisations are admitted, updated, suspended and reinstated", s.testOrganizationLifecycle)
	t.Run("accreditation windows decide who may issue what and when", s.testAccreditationWindows)
	t.Run("issuer keys are registered, rotated and revoked", s.testIssuerKeys)
	t.Run("learners are registered with their personal data kept private", s.testLearners)
	t.Run("a credential is anchored on its own and found by ID and digest", s.testAnchorCredential)
	t.Run("a batch is anchored by its Merkle root and its members get status records", s.testAnchorBatch)
	t.Run("credential status changes follow the rules and REVOKED is final", s.testStatusChanges)
	t.Run("lists page through every record exactly once", s.testPagination)
	t.Run("history keeps every version newest first", s.testHistory)
	t.Run("state changes arrive as chaincode events", s.testEvents)
	t.Run("identities the chaincode cannot trust are refused", s.testRefusedIdentities)
	t.Run("malformed calls are refused as INVALID", s.testMalformedCalls)
	t.Run("the lifelong archive lists records and credentials in outcome order, full records private", s.testArchive)
	t.Run("credit rules are versioned and never change the past", s.testCreditRules)
	t.Run("credits are deposited under rules, recognised across regions and redeemed once", s.testCreditBank)
}

// suite holds what the scenarios share: the governing organisation and a few organisations
// admitted for this run.
type suite struct {
	n   Network
	run string // unique to this run, part of every ID the suite creates

	gov      *eduledger.Organization
	govAdmin *ledger.Client

	school     *orgFixture // SCHOOL on SchoolMSP, accredited for Diploma, Degree and Transcript
	school2    *orgFixture // another SCHOOL on SchoolMSP, accredited for Diploma
	enterprise *orgFixture // ENTERPRISE on EnterpriseMSP, accredited for InternshipRecord
}

// orgFixture is an organisation admitted for the run and a connection for each of its staff roles.
type orgFixture struct {
	org                      *eduledger.Organization
	admin, registrar, issuer *ledger.Client
}

func newSuite(t *testing.T, n Network) *suite {
	s := &suite{n: n, run: randomHex(3)}
	ctx := t.Context()
	probe := ledger.NewClient(n.Connect(t, GovMSP, demoGoverning().ID, eduledger.StaffAdmin))
	gov, err := probe.GetGoverningOrganization(ctx)
	if eduledger.ErrorCode(err) == eduledger.ENOTFOUND {
		gov, err = probe.InitLedger(ctx, demoGoverning())
		if eduledger.ErrorCode(err) == eduledger.ECONFLICT { // initialised meanwhile by someone else
			gov, err = probe.GetGoverningOrganization(ctx)
		}
	}
	if err != nil {
		t.Fatalf("find or initialise the governing organisation: %v", err)
	}
	s.gov = gov
	s.govAdmin = s.client(t, gov.MSPID, gov.ID, eduledger.StaffAdmin)

	s.school = s.admit(t, "school", eduledger.KindSchool, SchoolMSP)
	s.school2 = s.admit(t, "school2", eduledger.KindSchool, SchoolMSP)
	s.enterprise = s.admit(t, "acme", eduledger.KindEnterprise, EnterpriseMSP)
	for _, ct := range []eduledger.CredentialType{eduledger.TypeDiploma, eduledger.TypeDegree, eduledger.TypeTranscript} {
		s.accredit(t, s.school.org.ID, ct, hoursFromNow(-1), zeroTime)
	}
	s.accredit(t, s.school2.org.ID, eduledger.TypeDiploma, hoursFromNow(-1), zeroTime)
	s.accredit(t, s.enterprise.org.ID, eduledger.TypeInternshipRecord, hoursFromNow(-1), zeroTime)
	return s
}

// demoGoverning is the governing organisation of the demo network.
func demoGoverning() *eduledger.Organization {
	return &eduledger.Organization{
		ID: "edu-bureau", MSPID: GovMSP, Kind: eduledger.KindGovernment, RegionCode: "310000",
		Name: eduledger.Name{Zh: "市教育局", En: "Municipal Education Bureau"},
	}
}

func (s *suite) client(t testing.TB, mspID, orgID string, role eduledger.StaffRole) *ledger.Client {
	return ledger.NewClient(s.n.Connect(t, mspID, orgID, role))
}

// id returns an identifier unique to this run.
func (s *suite) id(name string) string { return "lt" + s.run + "-" + name }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
