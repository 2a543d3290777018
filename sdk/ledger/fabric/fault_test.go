package fabric_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/fabric"
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// staffClient connects as a fresh staff identity of orgID and role, through the shared gateway
// (see conformanceNetwork).
func staffClient(t testing.TB, mspID, orgID string, role eduledger.StaffRole) *ledger.Client {
	t.Helper()
	n := fabricNetwork(t)
	id, err := n.Issue(mspID, orgID, role)
	if err != nil {
		t.Fatal(err)
	}
	l, err := n.Connect(sharedGateway, "", id, fabric.WithTimeouts(fabric.Timeouts{Endorse: 20 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return ledger.NewClient(l)
}

// issuingSchool admits a school on SchoolMSP accredited for diplomas, registers a learner, and
// returns the school's issuer and the learner's ID.
func issuingSchool(t *testing.T) (*ledger.Client, string, string) { return issuingSchoolTB(t) }

func issuingSchoolTB(t testing.TB) (*ledger.Client, string, string) {
	t.Helper()
	ctx := t.Context()
	gov := staffClient(t, "GovMSP", "edu-bureau", eduledger.StaffAdmin)
	orgID := "fault-" + randomHex(3)
	if _, err := gov.AdmitOrganization(ctx, &eduledger.Organization{ID: orgID, MSPID: "SchoolMSP", Kind: eduledger.KindSchool,
		RegionCode: "310104", Name: eduledger.Name{Zh: "容错学校", En: "Fault School"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := gov.GrantAccreditation(ctx, &eduledger.Accreditation{OrgID: orgID, CredentialType: eduledger.TypeDiploma,
		ValidFrom: time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	registrar := staffClient(t, "SchoolMSP", orgID, eduledger.StaffRegistrar)
	p := &eduledger.PersonalData{Name: "容错学生", NationalID: "310104200001011234", DateOfBirth: "2000-01-01", Salt: randomHex(32)}
	learner, err := registrar.RegisterLearner(ctx, &eduledger.Learner{ID: orgID + "-l1", Roles: []eduledger.LearnerRole{eduledger.RoleStudent},
		PersonalDataCommitment: p.Commitment(), PortraitHash: randomHex(32)}, p)
	if err != nil {
		t.Fatal(err)
	}
	return staffClient(t, "SchoolMSP", orgID, eduledger.StaffIssuer), orgID, learner.ID
}

// issueAndVerify anchors a diploma and reads it back through verifier, returning its ID.
func issueAndVerify(t *testing.T, issuer, verifier *ledger.Client, orgID, learnerID string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	a, err := issuer.AnchorCredential(ctx, &eduledger.CredentialAnchor{ID: "urn:uuid:" + uuidV4(), Type: eduledger.TypeDiploma,
		IssuerID: orgID, LearnerID: learnerID, Digest: randomHex(32), IssuedAt: time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)})
	if err != nil {
		t.Fatalf("anchor: %v", err)
	}
	// The verifier's gateway peer commits the block a moment after the issuer's peer reported
	// it: read-your-writes holds per peer, not across peers.
	for {
		got, err := verifier.GetCredential(ctx, a.ID)
		if err == nil && got.Digest == a.Digest && got.Status == eduledger.StatusActive {
			return a.ID
		}
		if eduledger.ErrorCode(err) != eduledger.ENOTFOUND || ctx.Err() != nil {
			t.Fatalf("verify %s: %+v, %v", a.ID, got, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func uuidV4() string {
	b := []byte(randomHex(16))
	return string(b[0:8]) + "-" + string(b[8:12]) + "-4" + string(b[13:16]) + "-a" + string(b[17:20]) + "-" + string(b[20:32])
}

func TestFabricFaultsCredentialsSurviveAStoppedPeerAndAStoppedOrderer(t *testing.T) {
	if testing.Short() {
		t.Skip("stops and restarts Fabric nodes; not in -short")
	}
	n := fabricNetwork(t)
	issuer, orgID, learnerID := issuingSchool(t)
	verifier := staffClient(t, "GovMSP", "edu-bureau", eduledger.StaffRegistrar)
	issueAndVerify(t, issuer, verifier, orgID, learnerID)
	t.Cleanup(func() {
		if err := n.Up(context.Background()); err != nil {
			t.Errorf("restart the network: %v", err)
		}
	})

	var whilePeerDown, whileOrdererDown string
	t.Run("with the enterprise peer stopped, credentials are still issued and verified", func(t *testing.T) {
		if err := n.Stop("peer0.enterprise"); err != nil {
			t.Fatal(err)
		}
		whilePeerDown = issueAndVerify(t, issuer, verifier, orgID, learnerID)
	})
	t.Run("with one orderer of three stopped, transactions still commit", func(t *testing.T) {
		if err := n.Stop("orderer1"); err != nil {
			t.Fatal(err)
		}
		whileOrdererDown = issueAndVerify(t, issuer, verifier, orgID, learnerID)
	})
	t.Run("restarted nodes catch up with what was committed while they were down", func(t *testing.T) {
		if err := n.Up(t.Context()); err != nil {
			t.Fatal(err)
		}
		enterprise := staffClient(t, "EnterpriseMSP", "", "")
		deadline := time.Now().Add(time.Minute)
		for _, id := range []string{whilePeerDown, whileOrdererDown} {
			for {
				// Pinned to the restarted peer: it answers only from its own ledger.
				res, err := enterprise.Ledger().Evaluate(t.Context(), &ledger.Transaction{Function: "GetCredential", Args: []string{id}, Endorsers: []string{"EnterpriseMSP"}})
				if err == nil && len(res) > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the restarted enterprise peer never saw %s: %v", id, err)
				}
				time.Sleep(250 * time.Millisecond)
			}
		}
		// And the restarted orderer takes part again: stop another one; a commit still needs it.
		if err := n.Stop("orderer2"); err != nil {
			t.Fatal(err)
		}
		issueAndVerify(t, issuer, verifier, orgID, learnerID)
	})
}
