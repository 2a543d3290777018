package issuance

import (
	"context"
	"strings"
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/ledger"
)

func diploma(learner string) CredentialRequest {
	return CredentialRequest{Type: eduledger.TypeDiploma, LearnerID: learner,
		Subject: credential.Subject{Achievement: &credential.Achievement{Name: credential.Text{Zh: "法学", En: "Law"}},
			ActivityEndDate: mustDate("2026-06-30")}}
}

func anchoredFor(t *testing.T, w *world, learner string) int {
	t.Helper()
	page, err := ledger.NewClient(w.reader).ListCredentialsByLearner(context.Background(), learner, eduledger.MaxPageSize, "")
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Items)
}

func TestAnIdempotencyKeyIssuesOnceAndRefusesAnotherRequest(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	learners := w.register(t, "I", 2)
	first, err := w.eng.IssueCredential(ctx, issuer, diploma(learners[0]), "graduation-2026-L0")
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.eng.IssueCredential(ctx, issuer, diploma(learners[0]), "graduation-2026-L0")
	if err != nil || again.ID != first.ID || again.Digest != first.Digest {
		t.Fatalf("the retry issued %+v, %v; want %s again", again, err, first.ID)
	}
	if n := anchoredFor(t, w, learners[0]); n != 1 {
		t.Fatalf("the ledger holds %d anchors for the learner, want 1", n)
	}
	if _, err := w.eng.IssueCredential(ctx, issuer, diploma(learners[1]), "graduation-2026-L0"); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Fatalf("a key reused for another request: %v", err)
	}
	if _, err := w.eng.IssueCredential(ctx, issuer, diploma(learners[0]), "bad key with spaces"); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Fatalf("a malformed key: %v", err)
	}
	// A refused request releases its key: fixing the request and retrying with it works.
	bad := diploma(learners[1])
	bad.Subject.ActivityEndDate = mustDate("0001-01-01")
	if _, err := w.eng.IssueCredential(ctx, issuer, bad, "L1-diploma"); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Fatalf("a diploma without an end date: %v", err)
	}
	if _, err := w.eng.IssueCredential(ctx, issuer, diploma(learners[1]), "L1-diploma"); err != nil {
		t.Fatalf("the fixed request with the released key: %v", err)
	}
}

func TestACutOffIssuanceIsFinishedByTheRetryNotDuplicated(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	learners := w.register(t, "K", 1)
	// The first attempt signs and stores the credential, then the ledger cannot be reached.
	cut, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := w.eng.IssueCredential(cut, issuer, diploma(learners[0]), "k-1"); eduledger.ErrorCode(err) != eduledger.EUNAVAILABLE {
		t.Fatalf("first attempt: %v, want UNAVAILABLE", err)
	}
	if n := anchoredFor(t, w, learners[0]); n != 0 {
		t.Fatalf("the cut-off attempt anchored %d credentials", n)
	}
	got, err := w.eng.IssueCredential(ctx, issuer, diploma(learners[0]), "k-1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.eng.IssueCredential(ctx, issuer, diploma(learners[0]), "k-1")
	if err != nil || again.ID != got.ID {
		t.Fatalf("retry = %+v, %v", again, err)
	}
	if n := anchoredFor(t, w, learners[0]); n != 1 {
		t.Fatalf("the ledger holds %d anchors, want 1", n)
	}
}

func TestSkipInvalidIssuesTheValidRowsAndReportsTheOthers(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	learners := w.register(t, "V", 3)
	csv := "learnerId,achievement.name.en,activityEndDate\n" + learners[0] + ",Law,2026-06-30\nL9999,Law,2026-06-30\n" +
		learners[1] + ",Law,someday\n" + learners[2] + ",Law,2026-06-30\n"
	if _, err := w.eng.CreateJob(ctx, issuer, JobSpec{Format: FormatCSV, Type: eduledger.TypeDiploma, Body: strings.NewReader(csv)}); eduledger.ErrorCode(err) != eduledger.EINVALID ||
		!strings.Contains(err.Error(), "2 of 4 rows are invalid; nothing was issued: row 3, column learnerId") {
		t.Fatalf("without skipInvalid: %v", err)
	}
	job, err := w.eng.CreateJob(ctx, issuer, JobSpec{Format: FormatCSV, Type: eduledger.TypeDiploma, SkipInvalid: true, Body: strings.NewReader(csv)})
	if err != nil {
		t.Fatal(err)
	}
	j := w.waitJob(t, issuer, job.ID)
	if j.State != JobCompleted || j.Rows != 4 || j.Invalid != 2 || j.Issued != 2 {
		t.Fatalf("job = %+v", j)
	}
	rows, err := w.eng.JobRows(ctx, issuer, job.ID, RowQuery{State: RowInvalid})
	if err != nil || len(rows.Items) != 2 || rows.Items[0].Row != 3 || rows.Items[1].Errors[0].Field != "row 4, column activityEndDate" {
		t.Fatalf("invalid rows = %+v, %v", rows, err)
	}
}

func TestARevokedKeyIsReplacedAndNeverSignsAgain(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	learners := w.register(t, "Q", 1)
	if _, err := w.eng.RevokeKey(ctx, issuer, w.eng.orgs[devnet.Riverside].cur.ed, w.eng.now()); eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
		t.Fatalf("an issuer revoked a key: %v", err)
	}
	old := w.eng.orgs[devnet.Riverside].cur.ed
	rev, err := w.eng.RevokeKey(ctx, admin, old, w.eng.now())
	if err != nil || rev.Replacement == nil || rev.Warning != "" || rev.Revoked.RevokedAt.IsZero() {
		t.Fatalf("revoke = %+v, %v", rev, err)
	}
	c, err := w.eng.IssueCredential(ctx, issuer, diploma(learners[0]), "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(c.Credential), old) || !strings.Contains(string(c.Credential), rev.Replacement.ID) {
		t.Fatal("the credential is not signed with the replacement key")
	}
	keys, err := w.eng.ListKeys(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	current := 0
	for _, k := range keys {
		if k.Current {
			current++
			if k.ID == old {
				t.Fatal("the revoked key is still current")
			}
		}
	}
	if current != 2 {
		t.Fatalf("%d current keys, want 2", current)
	}
	// A restarted engine finds the same keys on the ledger and in its key store.
	w.stop()
	w.start(t)
	if w.eng.orgs[devnet.Riverside].cur.ed != rev.Replacement.ID {
		t.Fatalf("after a restart the engine signs with %s, want %s", w.eng.orgs[devnet.Riverside].cur.ed, rev.Replacement.ID)
	}
}

func TestTokensAuthenticateUntilRevokedOrExpired(t *testing.T) {
	w := newWorld(t)
	tok, err := w.eng.Tokens().Create(TokenSpec{Name: "registrar-wang", OrgID: devnet.Riverside, Role: eduledger.StaffRegistrar}, "test")
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.eng.Tokens().Authenticate(tok.Secret)
	if err != nil || p.OrgID != devnet.Riverside || p.Role != eduledger.StaffRegistrar || p.TokenID != tok.ID {
		t.Fatalf("authenticate = %+v, %v", p, err)
	}
	// The last character changed to another one (a fixed replacement would equal it one time in 64).
	last := "A"
	if strings.HasSuffix(tok.Secret, last) {
		last = "B"
	}
	for _, bad := range []string{"", tok.Secret + "x", strings.Replace(tok.Secret, "_", "-", 1), tok.Secret[:len(tok.Secret)-1] + last} {
		if _, err := w.eng.Tokens().Authenticate(bad); eduledger.ErrorCode(err) != eduledger.EUNAUTHORIZED {
			t.Errorf("%q authenticated: %v", bad, err)
		}
	}
	if _, err := w.eng.Tokens().Create(TokenSpec{Name: "x", OrgID: devnet.Riverside, Role: "dean"}, "test"); eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Fatalf("a token with an unknown role: %v", err)
	}
	if _, err := w.eng.Tokens().Revoke(tok.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.eng.Tokens().Authenticate(tok.Secret); eduledger.ErrorCode(err) != eduledger.EUNAUTHORIZED {
		t.Fatalf("a revoked token authenticated: %v", err)
	}
	list, err := w.eng.Tokens().List(devnet.Riverside)
	if err != nil || len(list) != 1 || list[0].RevokedAt.IsZero() {
		t.Fatalf("list = %+v, %v", list, err)
	}
}
