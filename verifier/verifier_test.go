package verifier_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/verifier"
	"github.com/eduledger/eduledger/verifier/verifiertest"
)

// net is one network shared by the package's tests: each test that changes an organisation, a key
// or a status does it to an issuer of its own (NewIssuer).
var net *verifiertest.Network

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "verifier-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	net, err = verifiertest.Open(context.Background(), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	net.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

const domain = "verify.example.edu.cn"

// start returns a verifier over l (default: the network's reader) following the events from the
// head, and waits until its cache is synced.
func start(t testing.TB, l ledger.Ledger, opts ...verifier.Option) *verifier.Verifier {
	t.Helper()
	if l == nil {
		l = net.Reader
	}
	base := []verifier.Option{verifier.WithHead(net.Head), verifier.WithSchemas(net.Schemas), verifier.WithDomain(domain)}
	v, err := verifier.New(l, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	eventually(t, 5*time.Second, "the verifier syncs with the ledger", v.Synced)
	return v
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	began := time.Now()
	for !cond() {
		if time.Since(began) > within {
			t.Fatalf("%s did not happen within %s", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(began)
}

// outcome returns the status of a check.
func outcome(r *verifier.Result, name verifier.CheckName) verifier.Outcome {
	c, ok := r.Check(name)
	if !ok {
		return "absent"
	}
	return c.Status
}

func reason(r *verifier.Result, name verifier.CheckName) verifier.Text {
	c, _ := r.Check(name)
	return c.Reason
}

func dump(r *verifier.Result) string {
	b, _ := json.MarshalIndent(r.Checks, "", "  ")
	return string(b)
}

// edit parses a credential, lets f change it and re-serialises it.
func edit(t testing.TB, vc []byte, f func(doc map[string]any)) []byte {
	t.Helper()
	doc, err := jsoncanon.ParseObject(vc, jsoncanon.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	f(doc)
	out, err := jsoncanon.Append(nil, doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEveryCheckPassesForWhatAnAccreditedIssuerIssued(t *testing.T) {
	ctx := context.Background()
	v := start(t, nil)
	is := net.Issuer(t, devnet.Riverside)
	l := is.Learner(t)
	batch := is.IssueBatch(t, []*credential.Credential{is.Diploma(l.ID), is.Diploma(l.ID), is.Diploma(l.ID)})
	member, err := batch.Credential(2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		vc   []byte
	}{
		{"a diploma anchored alone", is.Issue(t, is.Diploma(l.ID)).JSON},
		{"a diploma from a Merkle batch", member},
		{"an education identity card", is.Issue(t, is.IdentityCard(l)).JSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := v.VerifyCredential(ctx, tc.vc)
			if r.Verdict != verifier.Verified || !r.Verified {
				t.Fatalf("verdict %s:\n%s", r.Verdict, dump(r))
			}
			want := []verifier.CheckName{verifier.CheckFormat, verifier.CheckSchema, verifier.CheckProofs, verifier.CheckIssuerKey,
				verifier.CheckAccreditation, verifier.CheckAnchor, verifier.CheckStatus, verifier.CheckValidity}
			if len(r.Checks) != len(want) {
				t.Fatalf("%d checks, want %d:\n%s", len(r.Checks), len(want), dump(r))
			}
			for i, c := range r.Checks {
				if c.Name != want[i] || c.Status != credential.Passed || c.Reason.En == "" || c.Reason.Zh == "" {
					t.Errorf("check %d = %+v; want %s passed with a reason in both languages", i, c, want[i])
				}
			}
			info := r.Credential
			if info.Issuer == nil || info.Issuer.Name == nil || info.Issuer.Name.Zh != "滨江大学" || info.Ledger == nil || info.Ledger.Status != eduledger.StatusActive {
				t.Fatalf("credential info lacks the ledger's issuer name or record: %+v", info)
			}
			if len(info.Fields) == 0 {
				t.Fatal("no disclosed fields")
			}
		})
	}
}

func TestEachCheckFailsForItsOwnReason(t *testing.T) {
	ctx := context.Background()
	v := start(t, nil)
	riverside := net.Issuer(t, devnet.Riverside)
	learner := riverside.Learner(t)
	now := time.Now()

	type tc struct {
		name    string
		vc      []byte
		verdict verifier.Verdict
		check   verifier.CheckName
		status  verifier.Outcome
		says    string
	}
	var cases []tc
	add := func(c tc) { cases = append(cases, c) }

	good := riverside.Issue(t, riverside.Diploma(learner.ID))

	add(tc{name: "a credential of no EduLedger type is not well-formed",
		vc:    edit(t, good.JSON, func(d map[string]any) { d["type"] = []any{"VerifiableCredential"} }),
		check: verifier.CheckFormat, status: credential.Failed, says: "EduLedger credential type"})

	add(tc{name: "a credential that breaks its type's schema",
		vc: edit(t, good.JSON, func(d map[string]any) {
			delete(d["credentialSubject"].(map[string]any), "achievement")
		}),
		check: verifier.CheckSchema, status: credential.Failed, says: "achievement"})

	add(tc{name: "an altered credential fails its signatures",
		vc: edit(t, good.JSON, func(d map[string]any) {
			d["credentialSubject"].(map[string]any)["creditsEarned"] = json.Number("200")
		}),
		check: verifier.CheckProofs, status: credential.Failed, says: "does not verify"})

	add(tc{name: "an altered credential does not match the digest anchored for its ID",
		vc: edit(t, good.JSON, func(d map[string]any) {
			d["credentialSubject"].(map[string]any)["creditsEarned"] = json.Number("200")
		}),
		check: verifier.CheckAnchor, status: credential.Failed, says: "another digest"})

	// A key the ledger does not know, used by an issuer that still anchors with its own staff.
	rogue := net.NewIssuer(t, eduledger.KindSchool)
	rogueLearner := rogue.Learner(t)
	unregistered := *rogue
	unregistered.Ed = newSigner(t, rogue.Org.ID, "ed-unpublished")
	add(tc{name: "a key the ledger does not list for the issuer",
		vc:    unregistered.Issue(t, unregistered.Diploma(rogueLearner.ID)).JSON,
		check: verifier.CheckIssuerKey, status: credential.Failed, says: "not registered"})

	// A key stolen at T, used to sign a credential that claims an earlier date and is anchored
	// after T: the issuer then revokes the key from T.
	compromised := net.NewIssuer(t, eduledger.KindSchool)
	victim := compromised.Learner(t)
	compromised.Clock = func() time.Time { return now.Add(-time.Hour) }
	forged := compromised.Issue(t, compromised.Diploma(victim.ID))
	stolenAt := now.Add(-30 * time.Minute)
	if _, err := compromised.Admin.RevokeIssuerKey(ctx, compromised.Org.ID, verifiertest.KeyID(compromised.Ed), stolenAt); err != nil {
		t.Fatal(err)
	}
	add(tc{name: "a key revoked for compromise before the ledger anchored the credential, whatever date it claims",
		vc: forged.JSON, check: verifier.CheckIssuerKey, status: credential.Failed, says: "revoked as compromised"})

	// An issuer suspended before it issued: the chaincode refuses to anchor, and the verifier
	// judges the issuer at the time the credential claims.
	suspended := net.NewIssuer(t, eduledger.KindSchool)
	pupil := suspended.Learner(t)
	if _, err := net.Gov.SuspendOrganization(ctx, suspended.Org.ID, "licence under review"); err != nil {
		t.Fatal(err)
	}
	late := suspended.Sign(t, suspended.Diploma(pupil.ID))
	if err := suspended.Anchor(ctx, late); eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
		t.Fatalf("anchoring for a suspended issuer = %v, want FORBIDDEN", err)
	}
	add(tc{name: "an issuer suspended before issuance", vc: late.JSON,
		check: verifier.CheckAccreditation, status: credential.Failed, says: "was suspended"})
	add(tc{name: "a credential the ledger refused to anchor", vc: late.JSON,
		check: verifier.CheckAnchor, status: credential.Failed, says: "not anchored"})

	// The vocational college may not award degrees.
	lakeside := net.Issuer(t, devnet.Lakeside)
	degree := credential.New(eduledger.TypeDegree, learner.ID)
	degree.Name = credential.Text{En: "Bachelor's Degree"}
	degree.Subject.Achievement = &credential.Achievement{ID: "urn:eduledger:program:lakeside-college:x", AchievementType: "BachelorDegree",
		Name: credential.Text{En: "Engineering"}, Criteria: credential.Criteria{Narrative: credential.Text{En: "Graduate."}}, FieldOfStudy: "Engineering"}
	degree.Subject.ActivityEndDate = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	add(tc{name: "an issuer not accredited for the credential's type", vc: lakeside.Sign(t, degree).JSON,
		check: verifier.CheckAccreditation, status: credential.Failed, says: "not accredited to issue Degree"})

	add(tc{name: "a credential that was never anchored", vc: riverside.Sign(t, riverside.Diploma(learner.ID)).JSON,
		check: verifier.CheckAnchor, status: credential.Failed, says: "not anchored"})

	// Two batches: the first's credential carrying the second's batch proof.
	a := riverside.IssueBatch(t, []*credential.Credential{riverside.Diploma(learner.ID), riverside.Diploma(learner.ID)})
	b := riverside.IssueBatch(t, []*credential.Credential{riverside.Diploma(learner.ID), riverside.Diploma(learner.ID)})
	a0, _ := a.Credential(0)
	b0, _ := b.Credential(0)
	otherProof := batchProof(t, b0)
	add(tc{name: "a Merkle proof for another batch",
		vc: edit(t, a0, func(d map[string]any) {
			proofs := d["proof"].([]any)
			for i, p := range proofs {
				if p.(map[string]any)["cryptosuite"] == "eduledger-mldsa44-merkle-2026" {
					proofs[i] = otherProof
				}
			}
		}),
		check: verifier.CheckAnchor, status: credential.Failed, says: "not in the batch"})

	ci, err := riverside.Credentials()
	if err != nil {
		t.Fatal(err)
	}
	unanchored, err := ci.IssueBatch(ctx, []*credential.Credential{riverside.Diploma(learner.ID)})
	if err != nil {
		t.Fatal(err)
	}
	u0, _ := unanchored.Credential(0)
	add(tc{name: "a batch whose root was never anchored", vc: u0,
		check: verifier.CheckAnchor, status: credential.Failed, says: "not on the ledger"})

	suspendedCred := riverside.Issue(t, riverside.Diploma(learner.ID))
	changeStatus(t, riverside, suspendedCred.ID, "", eduledger.StatusSuspended, eduledger.ReasonUnderReview, "")
	add(tc{name: "a suspended credential", vc: suspendedCred.JSON,
		check: verifier.CheckStatus, status: credential.Failed, says: "SUSPENDED"})

	revoked := riverside.Issue(t, riverside.Diploma(learner.ID))
	changeStatus(t, riverside, revoked.ID, "", eduledger.StatusRevoked, eduledger.ReasonFraud, "forged transcript")
	add(tc{name: "a revoked credential", vc: revoked.JSON,
		check: verifier.CheckStatus, status: credential.Failed, says: "REVOKED"})

	rb := riverside.IssueBatch(t, []*credential.Credential{riverside.Diploma(learner.ID), riverside.Diploma(learner.ID)})
	changeStatus(t, riverside, rb.ID(1), rb.Root(), eduledger.StatusRevoked, eduledger.ReasonIssuedInError, "")
	rb1, _ := rb.Credential(1)
	rb0, _ := rb.Credential(0)
	add(tc{name: "a revoked member of a batch", vc: rb1,
		check: verifier.CheckStatus, status: credential.Failed, says: "REVOKED"})
	add(tc{name: "the other members of that batch stay valid", vc: rb0, verdict: verifier.Verified,
		check: verifier.CheckStatus, status: credential.Passed, says: "ACTIVE"})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := v.VerifyCredential(ctx, c.vc)
			want := c.verdict
			if want == "" {
				want = verifier.NotVerified
			}
			if r.Verdict != want || outcome(r, c.check) != c.status {
				t.Fatalf("verdict %s, %s %s; want %s, %s %s:\n%s", r.Verdict, c.check, outcome(r, c.check), want, c.check, c.status, dump(r))
			}
			if got := reason(r, c.check); !strings.Contains(got.En, c.says) || got.Zh == "" {
				t.Fatalf("%s reason = %+v; want it to say %q (and in Chinese)", c.check, got, c.says)
			}
		})
	}

	t.Run("an expired credential", func(t *testing.T) {
		later := start(t, nil, verifier.WithClock(func() time.Time { return time.Now().AddDate(11, 0, 0) }))
		r := later.VerifyCredential(ctx, good.JSON)
		if r.Verdict != verifier.NotVerified || outcome(r, verifier.CheckValidity) != credential.Failed || !strings.Contains(reason(r, verifier.CheckValidity).En, "expired") {
			t.Fatalf("verdict %s:\n%s", r.Verdict, dump(r))
		}
	})
}

func TestWhatHappensAfterIssuanceDoesNotUndoIt(t *testing.T) {
	ctx := context.Background()
	v := start(t, nil)
	is := net.NewIssuer(t, eduledger.KindSchool)
	l := is.Learner(t)
	vc := is.Issue(t, is.Diploma(l.ID)).JSON

	t.Run("a key revoked for compromise from a time after the anchoring", func(t *testing.T) {
		if _, err := is.Admin.RevokeIssuerKey(ctx, is.Org.ID, verifiertest.KeyID(is.PQ), time.Now()); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Second, "the verifier sees the revocation", func() bool {
			return strings.Contains(reason(v.VerifyCredential(ctx, vc), verifier.CheckIssuerKey).En, "revoked as compromised from")
		})
		if r := v.VerifyCredential(ctx, vc); r.Verdict != verifier.Verified {
			t.Fatalf("verdict %s:\n%s", r.Verdict, dump(r))
		}
	})
	t.Run("the issuer suspended after issuance", func(t *testing.T) {
		if _, err := net.Gov.SuspendOrganization(ctx, is.Org.ID, "audit"); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Second, "the verifier sees the suspension", func() bool {
			return strings.Contains(reason(v.VerifyCredential(ctx, vc), verifier.CheckAccreditation).En, "suspended since")
		})
		if r := v.VerifyCredential(ctx, vc); r.Verdict != verifier.Verified || r.Credential.Issuer.Status != eduledger.OrgSuspended {
			t.Fatalf("verdict %s, issuer %+v:\n%s", r.Verdict, r.Credential.Issuer, dump(r))
		}
	})
}

func TestAChangeOnTheLedgerStopsACachedCredentialWithinOneSecond(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []struct {
		name string
		opts []verifier.Option
	}{
		{"following the events from the head", nil},
		// Without the head the cache never trusts an answer for long, events or not.
		{"without the ledger's head", []verifier.Option{verifier.WithHead(nil)}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			var v *verifier.Verifier
			if mode.opts == nil {
				v = start(t, nil)
			} else {
				var err error
				v, err = verifier.New(net.Reader, verifier.WithSchemas(net.Schemas))
				if err != nil {
					t.Fatal(err)
				}
				runCtx, cancel := context.WithCancel(ctx)
				go v.Run(runCtx)
				t.Cleanup(cancel)
			}
			is := net.NewIssuer(t, eduledger.KindSchool)
			l := is.Learner(t)
			single := is.Issue(t, is.Diploma(l.ID))
			batch := is.IssueBatch(t, []*credential.Credential{is.Diploma(l.ID), is.Diploma(l.ID)})
			member, _ := batch.Credential(0)
			keyed := is.Issue(t, is.Diploma(l.ID))
			for _, c := range []struct {
				name   string
				vc     []byte
				change func()
				check  verifier.CheckName
			}{
				{"a credential revoked", single.JSON, func() {
					changeStatus(t, is, single.ID, "", eduledger.StatusRevoked, eduledger.ReasonFraud, "")
				}, verifier.CheckStatus},
				{"a batch member revoked", member, func() {
					changeStatus(t, is, batch.ID(0), batch.Root(), eduledger.StatusRevoked, eduledger.ReasonIssuedInError, "")
				}, verifier.CheckStatus},
				{"the signing key revoked for compromise from before the anchoring", keyed.JSON, func() {
					if _, err := is.Admin.RevokeIssuerKey(ctx, is.Org.ID, verifiertest.KeyID(is.Ed), time.Now().Add(-time.Minute)); err != nil {
						t.Fatal(err)
					}
				}, verifier.CheckIssuerKey},
			} {
				t.Run(c.name, func(t *testing.T) {
					for range 3 {
						if r := v.VerifyCredential(ctx, c.vc); r.Verdict != verifier.Verified {
							t.Fatalf("before the change: %s\n%s", r.Verdict, dump(r))
						}
					}
					c.change()
					took := eventually(t, time.Second, "the change reaching the verifier", func() bool {
						r := v.VerifyCredential(ctx, c.vc)
						return r.Verdict == verifier.NotVerified && outcome(r, c.check) == credential.Failed
					})
					t.Logf("stopped verifying %s after the change committed", took)
				})
			}
		})
	}
}

func TestANewlyAnchoredCredentialIsVerifiedWithoutAskingTheLedger(t *testing.T) {
	ctx := context.Background()
	flaky := verifiertest.NewFlaky(net.Reader)
	v := start(t, flaky)
	is := net.NewIssuer(t, eduledger.KindSchool)
	l := is.Learner(t)
	warm := is.Issue(t, is.Diploma(l.ID))
	if r := v.VerifyCredential(ctx, warm.JSON); r.Verdict != verifier.Verified {
		t.Fatalf("%s\n%s", r.Verdict, dump(r))
	}

	single := is.Sign(t, is.Diploma(l.ID))
	anchored, err := is.Staff.AnchorCredential(ctx, &single.Anchor)
	if err != nil {
		t.Fatal(err)
	}
	ci, _ := is.Credentials()
	batch, err := ci.IssueBatch(ctx, []*credential.Credential{is.Diploma(l.ID), is.Diploma(l.ID), is.Diploma(l.ID)})
	if err != nil {
		t.Fatal(err)
	}
	ba := batch.Anchor()
	banchored, err := is.Staff.AnchorBatch(ctx, &ba)
	if err != nil {
		t.Fatal(err)
	}
	_ = anchored
	eventually(t, time.Second, "the batch's event reaching the verifier", func() bool {
		cp := v.Checkpoint()
		return cp != nil && cp.TxID == banchored.TxID
	})
	before := flaky.Evaluations()
	vcs := [][]byte{single.JSON}
	for i := range batch.Len() {
		m, _ := batch.Credential(i)
		vcs = append(vcs, m)
	}
	for i, vc := range vcs {
		if r := v.VerifyCredential(ctx, vc); r.Verdict != verifier.Verified {
			t.Fatalf("credential %d: %s\n%s", i, r.Verdict, dump(r))
		}
	}
	if n := flaky.Evaluations() - before; n != 0 {
		t.Fatalf("verifying %d credentials anchored while the verifier followed the ledger made %d ledger calls; want 0", len(vcs), n)
	}
}

func TestAnUnreachableLedgerGivesUnknownNeverVerified(t *testing.T) {
	ctx := context.Background()
	is := net.Issuer(t, devnet.Riverside)
	l := is.Learner(t)
	vc := is.Issue(t, is.Diploma(l.ID)).JSON

	t.Run("a verifier that never reached the ledger", func(t *testing.T) {
		flaky := verifiertest.NewFlaky(net.Reader)
		flaky.SetDown(true)
		v, err := verifier.New(flaky, verifier.WithSchemas(net.Schemas), verifier.WithHead(net.Head))
		if err != nil {
			t.Fatal(err)
		}
		r := v.VerifyCredential(ctx, vc)
		if r.Verdict != verifier.Unknown || r.Verified {
			t.Fatalf("verdict %s:\n%s", r.Verdict, dump(r))
		}
		for _, name := range []verifier.CheckName{verifier.CheckIssuerKey, verifier.CheckAccreditation, verifier.CheckAnchor, verifier.CheckStatus} {
			if outcome(r, name) != credential.Unknown || !strings.Contains(reason(r, name).En, "could not reach the ledger") {
				t.Errorf("%s = %s (%s); want unknown because the ledger is unreachable", name, outcome(r, name), reason(r, name).En)
			}
		}
		if v.Ready(ctx) == nil {
			t.Error("Ready = nil with the ledger cut")
		}
	})

	t.Run("a verifier whose ledger goes away after it cached everything", func(t *testing.T) {
		flaky := verifiertest.NewFlaky(net.Reader)
		v := start(t, flaky)
		if r := v.VerifyCredential(ctx, vc); r.Verdict != verifier.Verified {
			t.Fatalf("%s\n%s", r.Verdict, dump(r))
		}
		flaky.SetDown(true)
		eventually(t, time.Second, "the verdict turning unknown", func() bool {
			return v.VerifyCredential(ctx, vc).Verdict == verifier.Unknown
		})
		if v.Synced() {
			t.Fatal("still synced with the event stream cut")
		}
		flaky.SetDown(false)
		eventually(t, 10*time.Second, "the verifier reconnecting", v.Synced)
		if r := v.VerifyCredential(ctx, vc); r.Verdict != verifier.Verified {
			t.Fatalf("after reconnecting: %s\n%s", r.Verdict, dump(r))
		}
	})
}

func TestRunRefusesToRunTwice(t *testing.T) {
	v := start(t, nil)
	if err := v.Run(context.Background()); err == nil {
		t.Fatal("a second Run started")
	}
}

func TestVerifyTellsCredentialsFromPresentationsAndRefusesTheRest(t *testing.T) {
	ctx := context.Background()
	v := start(t, nil)
	for _, tc := range []struct {
		name, body string
	}{
		{"not JSON", "\x00\x01binary"},
		{"a JSON array", `[1,2]`},
		{"duplicate keys", `{"type":["VerifiableCredential"],"type":["x"]}`},
		{"an object of another type", `{"type":["Invoice"]}`},
		{"a type of the wrong kind", `{"type":5}`},
		{"trailing data", `{"type":["VerifiableCredential"]} {}`},
	} {
		t.Run(tc.name+" is refused as INVALID", func(t *testing.T) {
			if _, err := v.Verify(ctx, []byte(tc.body)); eduledger.ErrorCode(err) != eduledger.EINVALID {
				t.Fatalf("Verify = %v, want INVALID", err)
			}
		})
	}
	t.Run("a credential-typed object that is no credential is answered, not refused", func(t *testing.T) {
		r, err := v.Verify(ctx, []byte(`{"type":["VerifiableCredential"]}`))
		if err != nil || r.Kind != verifier.KindCredential || r.Verdict != verifier.NotVerified {
			t.Fatalf("Verify = %+v, %v", r, err)
		}
	})
}

func changeStatus(t testing.TB, is *verifiertest.Issuer, id, root string, s eduledger.CredentialStatus, why, note string) {
	t.Helper()
	if _, err := is.Registrar.ChangeCredentialStatus(context.Background(), &eduledger.StatusChange{
		CredentialID: id, BatchRoot: root, Status: s, Reason: why, Note: note}); err != nil {
		t.Fatal(err)
	}
}

func batchProof(t testing.TB, vc []byte) map[string]any {
	t.Helper()
	doc, err := jsoncanon.ParseObject(vc, jsoncanon.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range doc["proof"].([]any) {
		if m := p.(map[string]any); m["cryptosuite"] == "eduledger-mldsa44-merkle-2026" {
			return m
		}
	}
	t.Fatal("no batch proof")
	return nil
}

func newSigner(t testing.TB, orgID, keyID string) dataintegrity.Signer {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	s, err := dataintegrity.NewEd25519Signer(eduledger.KeyDID(orgID, keyID), key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
