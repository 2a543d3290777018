package chaincode_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// callers are the columns of the authorisation table: each kind of organisation (the GOVERNMENT
// kind twice: governing and not) with each staff role.
var (
	callerOrgs  = []org{bureau, district, riverside, sunrise, acme}
	callerRoles = []eduledger.StaffRole{eduledger.StaffAdmin, eduledger.StaffRegistrar, eduledger.StaffIssuer}
)

// authCase is one row: a transaction the caller attempts on its own organisation's records where
// it has any (its keys, its learners, its credentials), after prepare set up what it needs.
type authCase struct {
	tx string
	// want has one character per caller, in the order of callerOrgs × callerRoles, grouped by
	// organisation: '+' allowed, 'F' FORBIDDEN.
	want    string
	prepare func(t *testing.T, n *testNet, caller org, id string) string
	call    func(ctx context.Context, c *ledger.Client, caller org, id, prepared string) error
}

// canRegister reports whether an organisation of o's kind may register learners.
func canRegister(o org) bool { return o.kind != eduledger.KindEnterprise }

// ownLearner registers a learner through the caller's organisation where its kind allows,
// otherwise through riverside (and the caller then acts on someone else's learner).
func ownLearner(t *testing.T, n *testNet, caller org, id string) string {
	registrar := caller
	if !canRegister(caller) {
		registrar = riverside
	}
	return n.registerLearner(t, registrar, "l-"+id).ID
}

func authCases() []authCase {
	gov := func(t *testing.T, n *testNet) *ledger.Client { return n.staff(t, bureau, eduledger.StaffAdmin) }
	newOrg := func(id string) *eduledger.Organization {
		return org{"org-" + id, schoolMSP, eduledger.KindSchool}.document()
	}
	key := func(caller org, id string) *eduledger.IssuerKey {
		return &eduledger.IssuerKey{OrgID: caller.id, ID: "k-" + id, Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Key()}
	}
	registerKey := func(t *testing.T, n *testNet, caller org, id string) string {
		k, err := n.staff(t, caller, eduledger.StaffAdmin).RegisterIssuerKey(t.Context(), key(caller, "old-"+id))
		if err != nil {
			t.Fatal(err)
		}
		return k.ID
	}
	return []authCase{
		{"AdmitOrganization", "+FF FFF FFF FFF FFF", nil,
			func(ctx context.Context, c *ledger.Client, _ org, id, _ string) error {
				_, err := c.AdmitOrganization(ctx, newOrg(id))
				return err
			}},
		{"UpdateOrganization", "+FF FFF FFF FFF FFF", nil,
			func(ctx context.Context, c *ledger.Client, _ org, id, _ string) error {
				_, err := c.UpdateOrganization(ctx, &eduledger.OrganizationUpdate{ID: lakeside.id, RegionCode: "310104",
					Name: eduledger.Name{Zh: "湖畔职业学院", En: "Lakeside Vocational College " + id}})
				return err
			}},
		{"SuspendOrganization", "+FF FFF FFF FFF FFF",
			func(t *testing.T, n *testNet, _ org, id string) string {
				o, err := gov(t, n).AdmitOrganization(t.Context(), newOrg(id))
				if err != nil {
					t.Fatal(err)
				}
				return o.ID
			},
			func(ctx context.Context, c *ledger.Client, _ org, _, target string) error {
				_, err := c.SuspendOrganization(ctx, target, "audit")
				return err
			}},
		{"ReinstateOrganization", "+FF FFF FFF FFF FFF",
			func(t *testing.T, n *testNet, _ org, id string) string {
				o, err := gov(t, n).AdmitOrganization(t.Context(), newOrg(id))
				if err == nil {
					_, err = gov(t, n).SuspendOrganization(t.Context(), o.ID, "audit")
				}
				if err != nil {
					t.Fatal(err)
				}
				return o.ID
			},
			func(ctx context.Context, c *ledger.Client, _ org, _, target string) error {
				_, err := c.ReinstateOrganization(ctx, target)
				return err
			}},
		{"GrantAccreditation", "+FF FFF FFF FFF FFF", nil,
			func(ctx context.Context, c *ledger.Client, _ org, _, _ string) error {
				_, err := c.GrantAccreditation(ctx, &eduledger.Accreditation{OrgID: lakeside.id, CredentialType: eduledger.TypeTranscript, ValidFrom: epoch})
				return err
			}},
		{"WithdrawAccreditation", "+FF FFF FFF FFF FFF",
			func(t *testing.T, n *testNet, _ org, _ string) string {
				a, err := gov(t, n).GrantAccreditation(t.Context(), &eduledger.Accreditation{OrgID: lakeside.id, CredentialType: eduledger.TypeTranscript, ValidFrom: epoch})
				if err != nil {
					t.Fatal(err)
				}
				return a.ID
			},
			func(ctx context.Context, c *ledger.Client, _ org, _, accID string) error {
				_, err := c.WithdrawAccreditation(ctx, lakeside.id, accID, "review")
				return err
			}},
		{"RegisterIssuerKey", "+FF +FF +FF +FF +FF", nil,
			func(ctx context.Context, c *ledger.Client, caller org, id, _ string) error {
				_, err := c.RegisterIssuerKey(ctx, key(caller, id))
				return err
			}},
		{"RotateIssuerKey", "+FF +FF +FF +FF +FF", registerKey,
			func(ctx context.Context, c *ledger.Client, caller org, id, old string) error {
				_, err := c.RotateIssuerKey(ctx, old, key(caller, id))
				return err
			}},
		{"RevokeIssuerKey", "+FF +FF +FF +FF +FF", registerKey,
			func(ctx context.Context, c *ledger.Client, caller org, _, old string) error {
				_, err := c.RevokeIssuerKey(ctx, caller.id, old, epoch)
				return err
			}},
		{"RegisterLearner", "++F ++F ++F ++F FFF", nil,
			func(ctx context.Context, c *ledger.Client, _ org, id, _ string) error {
				p := personalData("某人", id)
				_, err := c.RegisterLearner(ctx, learnerDoc("l-"+id, p), p)
				return err
			}},
		{"UpdateLearnerRoles", "++F ++F ++F ++F FFF", ownLearner,
			func(ctx context.Context, c *ledger.Client, _ org, _, learner string) error {
				_, err := c.UpdateLearnerRoles(ctx, learner, []eduledger.LearnerRole{eduledger.RoleGraduate})
				return err
			}},
		{"UpdateLearnerHolderKeys", "++F ++F ++F ++F FFF", ownLearner,
			func(ctx context.Context, c *ledger.Client, _ org, _, learner string) error {
				_, err := c.UpdateLearnerHolderKeys(ctx, learner, []string{ed25519Key()})
				return err
			}},
		{"SuspendLearner", "++F ++F ++F ++F FFF", ownLearner,
			func(ctx context.Context, c *ledger.Client, _ org, _, learner string) error {
				_, err := c.SuspendLearner(ctx, learner, "review")
				return err
			}},
		{"ReinstateLearner", "++F ++F ++F ++F FFF",
			func(t *testing.T, n *testNet, caller org, id string) string {
				l := ownLearner(t, n, caller, id)
				registrar := caller
				if !canRegister(caller) {
					registrar = riverside
				}
				if _, err := n.staff(t, registrar, eduledger.StaffRegistrar).SuspendLearner(t.Context(), l, "review"); err != nil {
					t.Fatal(err)
				}
				return l
			},
			func(ctx context.Context, c *ledger.Client, _ org, _, learner string) error {
				_, err := c.ReinstateLearner(ctx, learner)
				return err
			}},
		{"GetPersonalData", "++F ++F ++F ++F FFF", ownLearner,
			func(ctx context.Context, c *ledger.Client, _ org, _, learner string) error {
				_, err := c.GetPersonalData(ctx, learner)
				return err
			}},
		{"AnchorCredential", "F++ F++ F++ F++ F++",
			func(t *testing.T, n *testNet, _ org, id string) string {
				return n.registerLearner(t, riverside, "l-"+id).ID
			},
			func(ctx context.Context, c *ledger.Client, caller org, _, learner string) error {
				_, err := c.AnchorCredential(ctx, anchorDoc(caller, learner, eduledger.TypeCertificate, epoch))
				return err
			}},
		{"AnchorBatch", "F++ F++ F++ F++ F++", nil,
			func(ctx context.Context, c *ledger.Client, caller org, _, _ string) error {
				_, err := c.AnchorBatch(ctx, &eduledger.BatchAnchor{Root: randomHex(32), Count: 100, Type: eduledger.TypeCertificate,
					IssuerID: caller.id, IssuedAt: epoch})
				return err
			}},
		{"ChangeCredentialStatus to SUSPENDED on its own credential", "++F ++F ++F ++F ++F",
			func(t *testing.T, n *testNet, caller org, id string) string {
				l := n.registerLearner(t, riverside, "l-"+id)
				a, err := n.staff(t, caller, eduledger.StaffIssuer).AnchorCredential(t.Context(), anchorDoc(caller, l.ID, eduledger.TypeCertificate, epoch))
				if err != nil {
					t.Fatal(err)
				}
				return a.ID
			},
			func(ctx context.Context, c *ledger.Client, _ org, _, cred string) error {
				_, err := c.ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: cred, Status: eduledger.StatusSuspended, Reason: eduledger.ReasonUnderReview})
				return err
			}},
		{"RecordLearningOutcome for its own organisation", "FFF FFF F++ F++ F++",
			func(t *testing.T, n *testNet, _ org, id string) string {
				return n.registerLearner(t, riverside, "l-"+id).ID
			},
			func(ctx context.Context, c *ledger.Client, caller org, _, learner string) error {
				r, d := recordDoc(caller, learner, eduledger.RecordAward, epoch)
				_, err := c.RecordLearningOutcome(ctx, r, d)
				return err
			}},
		{"GetLearningRecordDetail of riverside's record", "FFF FFF +++ FFF FFF",
			func(t *testing.T, n *testNet, _ org, id string) string {
				return n.record(t, riverside, n.registerLearner(t, riverside, "l-"+id).ID, eduledger.RecordAward, epoch).ID
			},
			func(ctx context.Context, c *ledger.Client, _ org, _, record string) error {
				_, err := c.GetLearningRecordDetail(ctx, record)
				return err
			}},
		{"RevokeLearningRecord of riverside's record", "+FF FFF ++F FFF FFF",
			func(t *testing.T, n *testNet, _ org, id string) string {
				return n.record(t, riverside, n.registerLearner(t, riverside, "l-"+id).ID, eduledger.RecordAward, epoch).ID
			},
			func(ctx context.Context, c *ledger.Client, _ org, _, record string) error {
				_, err := c.RevokeLearningRecord(ctx, record, eduledger.ReasonIssuedInError)
				return err
			}},
		{"PublishCreditRule", "+FF FFF FFF FFF FFF", nil,
			func(ctx context.Context, c *ledger.Client, _ org, id, _ string) error {
				_, err := c.PublishCreditRule(ctx, awardRule("rule-"+id, 1000))
				return err
			}},
		{"PublishRecognitionRule", "+FF FFF FFF FFF FFF", nil,
			func(ctx context.Context, c *ledger.Client, _ org, id, _ string) error {
				_, err := c.PublishRecognitionRule(ctx, recognitionRule("recognition-"+id, westlake, 1000))
				return err
			}},
		{"OpenCreditAccount for its own learner", "++F ++F ++F ++F FFF", ownLearner,
			func(ctx context.Context, c *ledger.Client, _ org, _, learner string) error {
				_, err := c.OpenCreditAccount(ctx, learner)
				return err
			}},
		{"DepositCredits of its own organisation's credential", "F++ F++ F++ F++ F++",
			func(t *testing.T, n *testNet, caller org, id string) string {
				l := n.registerLearner(t, lakeside, "l-"+id).ID
				n.openAccount(t, lakeside, l)
				return l + " " + n.anchorCertificate(t, caller, l)
			},
			func(ctx context.Context, c *ledger.Client, _ org, _, prepared string) error {
				learner, cred, _ := strings.Cut(prepared, " ")
				_, err := c.DepositCredits(ctx, &eduledger.DepositRequest{LearnerID: learner, Source: eduledger.SourceCredential, OutcomeID: cred, RuleID: certificateRule})
				return err
			}},
		{"DepositCredits for its own learner, of another organisation's credential", "++F ++F ++F ++F FFF",
			func(t *testing.T, n *testNet, caller org, id string) string {
				registrar := caller
				if !canRegister(caller) {
					registrar = riverside
				}
				l := n.registerLearner(t, registrar, "l-"+id).ID
				n.openAccount(t, registrar, l)
				return l + " " + n.anchorCertificate(t, lakeside, l)
			},
			func(ctx context.Context, c *ledger.Client, _ org, _, prepared string) error {
				learner, cred, _ := strings.Cut(prepared, " ")
				_, err := c.DepositCredits(ctx, &eduledger.DepositRequest{LearnerID: learner, Source: eduledger.SourceCredential, OutcomeID: cred, RuleID: certificateRule})
				return err
			}},
		{"RecognizeCredits under a rule naming riverside", "FFF FFF ++F FFF FFF",
			func(t *testing.T, n *testNet, _ org, id string) string {
				l := n.registerLearner(t, lakeside, "l-"+id).ID
				n.openAccount(t, lakeside, l)
				// acme, in Shanghai (lakeside moves district in the UpdateOrganization row).
				e := n.deposit(t, acme, eduledger.StaffIssuer, l, eduledger.SourceCredential, n.anchorCertificate(t, acme, l), certificateRule)
				return l + " " + e.ID
			},
			func(ctx context.Context, c *ledger.Client, _ org, _, prepared string) error {
				learner, entry, _ := strings.Cut(prepared, " ")
				_, err := c.RecognizeCredits(ctx, &eduledger.RecognitionRequest{LearnerID: learner, EntryID: entry, RuleID: riversideRecognizes})
				return err
			}},
		{"RedeemCredits of credits it holds", "FFF FFF ++F ++F FFF",
			func(t *testing.T, n *testNet, caller org, id string) string {
				l := n.registerLearner(t, lakeside, "l-"+id).ID
				n.openAccount(t, lakeside, l)
				e := n.deposit(t, caller, eduledger.StaffIssuer, l, eduledger.SourceCredential, n.anchorCertificate(t, caller, l), certificateRule)
				return l + " " + e.ID
			},
			func(ctx context.Context, c *ledger.Client, caller org, id, prepared string) error {
				learner, entry, _ := strings.Cut(prepared, " ")
				_, err := c.RedeemCredits(ctx, redemption("r-"+id, caller, learner, eduledger.RedemptionPart{EntryID: entry, Amount: 1000}))
				return err
			}},
		{"ChangeCredentialStatus to REVOKED on another school's credential", "+FF FFF FFF FFF FFF",
			func(t *testing.T, n *testNet, _ org, id string) string {
				l := n.registerLearner(t, lakeside, "l-"+id)
				a, err := n.staff(t, lakeside, eduledger.StaffIssuer).AnchorCredential(t.Context(), anchorDoc(lakeside, l.ID, eduledger.TypeDiploma, epoch))
				if err != nil {
					t.Fatal(err)
				}
				return a.ID
			},
			func(ctx context.Context, c *ledger.Client, _ org, _, cred string) error {
				_, err := c.ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: cred, Status: eduledger.StatusRevoked, Reason: eduledger.ReasonFraud})
				return err
			}},
	}
}

// Rules the credit-bank rows use: certificates of any issuer are worth a credit, and riverside
// recognises credits from Shanghai.
const (
	certificateRule     = "auth-certificates"
	riversideRecognizes = "auth-riverside-recognizes"
)

func TestAuthorisationTable(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	n.admitWestlake(t)
	gov := n.staff(t, bureau, eduledger.StaffAdmin)
	if _, err := gov.PublishCreditRule(ctx, &eduledger.CreditRule{ID: certificateRule, Name: eduledger.Name{Zh: "证书", En: "Certificates"},
		Source: eduledger.SourceCredential, CredentialType: eduledger.TypeCertificate, Field: "general-studies", Level: 4, Credits: 1000,
		EffectiveFrom: epoch.AddDate(-1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := gov.PublishRecognitionRule(ctx, recognitionRule(riversideRecognizes, riverside, 1000)); err != nil {
		t.Fatal(err)
	}
	cell := 0
	for _, row := range authCases() {
		want := strings.ReplaceAll(row.want, " ", "")
		if len(want) != len(callerOrgs)*len(callerRoles) {
			t.Fatalf("%s: the row has %d cells", row.tx, len(want))
		}
		t.Run(row.tx, func(t *testing.T) {
			for i, o := range callerOrgs {
				for j, role := range callerRoles {
					cell++
					id := fmt.Sprintf("c%d", cell)
					allowed := want[i*len(callerRoles)+j] == '+'
					name := fmt.Sprintf("%s %s of %s (%s)", verdict(allowed), role, o.id, o.kind)
					t.Run(name, func(t *testing.T) {
						prepared := ""
						if row.prepare != nil {
							prepared = row.prepare(t, n, o, id)
						}
						err := row.call(ctx, n.staff(t, o, role), o, id, prepared)
						if allowed {
							if err != nil {
								t.Fatalf("refused: %v", err)
							}
							return
						}
						wantCode(t, err, eduledger.EFORBIDDEN)
					})
				}
			}
		})
	}
}

func verdict(allowed bool) string {
	if allowed {
		return "allowed for"
	}
	return "forbidden for"
}

// TestUntrustedIdentitiesAreRefused covers identities the chaincode must not trust however their
// certificate reads: each is refused with FORBIDDEN and a message that says why.
func TestUntrustedIdentitiesAreRefused(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	suspended := org{"suspended-school", schoolMSP, eduledger.KindSchool}
	gov := n.staff(t, bureau, eduledger.StaffAdmin)
	if _, err := gov.AdmitOrganization(ctx, suspended.document()); err != nil {
		t.Fatal(err)
	}
	if _, err := gov.GrantAccreditation(ctx, &eduledger.Accreditation{OrgID: suspended.id, CredentialType: eduledger.TypeCertificate, ValidFrom: epoch.AddDate(-1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	learner := n.registerLearner(t, riverside, "untrusted-learner")
	if _, err := gov.SuspendOrganization(ctx, suspended.id, "audit"); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name             string
		mspID, orgID     string
		role             eduledger.StaffRole
		issuer           org // the organisation the transactions act for
		wantMessagePiece string
	}{
		{"a certificate from the wrong MSP for its organisation", enterpriseMSP, riverside.id, eduledger.StaffAdmin, riverside, "is hosted by SchoolMSP"},
		{"a certificate of a suspended organisation", schoolMSP, suspended.id, eduledger.StaffAdmin, suspended, "is suspended"},
		{"a certificate naming an unregistered organisation", schoolMSP, "ghost-school", eduledger.StaffAdmin, org{"ghost-school", schoolMSP, eduledger.KindSchool}, "is not registered"},
		{"a certificate naming no organisation", schoolMSP, "", eduledger.StaffAdmin, riverside, "names no organisation"},
		{"a certificate without a role", schoolMSP, riverside.id, "", riverside, "carries no staff role"},
		{"a certificate with an unknown role", schoolMSP, riverside.id, "dean", riverside, "is none of admin, registrar, issuer"},
		{"a certificate naming a malformed organisation ID", schoolMSP, "Riverside University", eduledger.StaffAdmin, riverside, "not a valid organisation ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Each identity tries every kind of change its claim could justify.
			for _, role := range []eduledger.StaffRole{tc.role, eduledger.StaffIssuer, eduledger.StaffRegistrar} {
				if tc.role == "" || tc.role == "dean" {
					role = tc.role
				}
				c := n.as(t, tc.mspID, tc.orgID, role)
				calls := map[string]error{}
				_, calls["RegisterIssuerKey"] = c.RegisterIssuerKey(ctx, &eduledger.IssuerKey{OrgID: tc.issuer.id, ID: "k-" + randomHex(4), Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Key()})
				p := personalData("某人", randomHex(4))
				_, calls["RegisterLearner"] = c.RegisterLearner(ctx, learnerDoc("l-"+randomHex(4), p), p)
				_, calls["AnchorCredential"] = c.AnchorCredential(ctx, anchorDoc(tc.issuer, learner.ID, eduledger.TypeCertificate, epoch))
				_, calls["AdmitOrganization"] = c.AdmitOrganization(ctx, org{"org-" + randomHex(4), schoolMSP, eduledger.KindSchool}.document())
				for tx, err := range calls {
					if eduledger.ErrorCode(err) != eduledger.EFORBIDDEN || !strings.Contains(err.Error(), tc.wantMessagePiece) {
						t.Errorf("%s as %q: got %v, want FORBIDDEN saying %q", tx, role, err, tc.wantMessagePiece)
					}
				}
			}
		})
	}
}
