package issuerapi

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/holder"
	"github.com/eduledger/eduledger/sdk/issuance"
	"github.com/eduledger/eduledger/sdk/issuance/client"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/verifier"
	verifierapi "github.com/eduledger/eduledger/verifier/api"
)

// creditConfig hosts, besides the test organisations, westlake-university: a school of another
// region (330100) that recognises Shanghai's credits.
func creditConfig(t *testing.T) Config {
	cfg := testConfig(t.TempDir())
	cfg.Engine.Orgs = append(cfg.Engine.Orgs, devnet.Westlake)
	return cfg
}

// wantStatus requires err to be a problem with the HTTP status and code.
func wantStatus(t *testing.T, err error, status int, code string) {
	t.Helper()
	p, ok := client.ProblemOf(err)
	if !ok || p.Status != status || p.Code != code {
		t.Fatalf("got %v, want a %d %s problem", err, status, code)
	}
}

// holderSigner is the signer behind holderKey(n), as learner learnerID.
func holderSigner(t *testing.T, n int, learnerID string) dataintegrity.Signer {
	t.Helper()
	var seed [32]byte
	copy(seed[:], fmt.Sprintf("holder key %d", n))
	key, err := dataintegrity.NewEd25519Signer("did:example:h#k", ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	s, err := holder.NewSigner(learnerID, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTheCreditBankThroughTheIssuerService drives the credit bank through the real client against
// the service on loopback: the bureau publishes rules, a school records outcomes and deposits them,
// a university of another region recognises and redeems the credits, and a second redemption is
// refused — with every refusal checked for its status and code, and the audit log for the actions.
func TestTheCreditBankThroughTheIssuerService(t *testing.T) {
	s := startService(t, creditConfig(t))
	ctx := context.Background()
	bureau := s.client(devnet.Bureau, eduledger.StaffAdmin)
	registrar := s.client(devnet.Riverside, eduledger.StaffRegistrar)
	issuer := s.client(devnet.Riverside, eduledger.StaffIssuer)
	riversideAdmin := s.client(devnet.Riverside, eduledger.StaffAdmin)
	lakeside := s.client(devnet.Lakeside, eduledger.StaffRegistrar)
	westlake := s.client(devnet.Westlake, eduledger.StaffRegistrar)
	const learner = "C20260001"
	since := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

	if _, err := registrar.RegisterLearner(ctx, issuance.LearnerRegistration{ID: learner, Roles: []eduledger.LearnerRole{eduledger.RoleStudent},
		HolderKeys: []string{holderKey(7)}, Personal: issuance.PersonalDetails{Name: "李明", NationalID: "310110200207150035"}}, ""); err != nil {
		t.Fatal(err)
	}

	courseRule := eduledger.CreditRule{ID: "riverside-cn201", Name: eduledger.Name{Zh: "计算机网络课程", En: "Computer Networks course"},
		Source: eduledger.SourceRecord, RecordKind: eduledger.RecordCourse, IssuerID: devnet.Riverside, Code: "CN201",
		Field: "computer-networks", Level: 6, Credits: 3000, EffectiveFrom: since}
	examRule := eduledger.CreditRule{ID: "riverside-exam", Name: eduledger.Name{Zh: "滨江大学考试", En: "Riverside exams"},
		Source: eduledger.SourceRecord, RecordKind: eduledger.RecordExam, IssuerID: devnet.Riverside,
		Field: "computer-networks", Level: 6, Credits: 1500, EffectiveFrom: since}
	t.Run("the bureau publishes conversion rules and the ledger numbers their versions", func(t *testing.T) {
		for _, r := range []eduledger.CreditRule{courseRule, examRule} {
			got, err := bureau.PublishCreditRule(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != 1 || got.PublishedBy != devnet.Bureau || got.Credits != r.Credits || got.TxID == "" {
				t.Fatalf("published %+v", got)
			}
		}
		got, err := registrar.GetCreditRule(ctx, courseRule.ID, 0, time.Time{})
		if err != nil || got.Version != 1 || got.Code != "CN201" {
			t.Fatalf("the rule read back: %+v, %v", got, err)
		}
		list, err := registrar.ListCreditRules(ctx, 1, "")
		if err != nil || len(list.Items) != 1 || list.NextPageToken == "" {
			t.Fatalf("first page of rules: %+v, %v", list, err)
		}
		next, err := registrar.ListCreditRules(ctx, 10, list.NextPageToken)
		if err != nil || len(next.Items) != 1 || next.Items[0].ID == list.Items[0].ID {
			t.Fatalf("second page of rules: %+v, %v", next, err)
		}
	})
	t.Run("publishing a rule is refused to anyone but the bureau's admin, and ledger fields to everyone", func(t *testing.T) {
		r := courseRule
		r.ID = "riverside-own-rule"
		_, err := riversideAdmin.PublishCreditRule(ctx, r)
		wantStatus(t, err, http.StatusForbidden, eduledger.EFORBIDDEN)
		r.Version = 3
		_, err = bureau.PublishCreditRule(ctx, r)
		wantStatus(t, err, http.StatusBadRequest, eduledger.EINVALID)
		if p, _ := client.ProblemOf(err); len(p.Errors) != 1 || p.Errors[0].Field != "/version" {
			t.Fatalf("the problem does not name /version: %+v", p)
		}
		r.Version, r.Level = 0, 9
		_, err = bureau.PublishCreditRule(ctx, r)
		if p, _ := client.ProblemOf(err); p == nil || p.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != "/level" {
			t.Fatalf("a level of 9: %v", err)
		}
		back := courseRule
		back.Credits, back.EffectiveFrom = 4000, time.Now().Add(-24*time.Hour).UTC()
		_, err = bureau.PublishCreditRule(ctx, back)
		wantStatus(t, err, http.StatusConflict, eduledger.ECONFLICT)
	})

	t.Run("an account opens once, by the registering school", func(t *testing.T) {
		_, err := lakeside.OpenCreditAccount(ctx, learner)
		wantStatus(t, err, http.StatusForbidden, eduledger.EFORBIDDEN)
		acc, err := registrar.OpenCreditAccount(ctx, learner)
		if err != nil || acc.OpenedBy != devnet.Riverside {
			t.Fatalf("open: %+v, %v", acc, err)
		}
		_, err = registrar.OpenCreditAccount(ctx, learner)
		wantStatus(t, err, http.StatusConflict, eduledger.ECONFLICT)
		_, err = registrar.OpenCreditAccount(ctx, "NOBODY-1")
		wantStatus(t, err, http.StatusNotFound, eduledger.ENOTFOUND)
	})

	var course, exam *issuance.LearningRecord
	t.Run("the school records a course and an exam; the grade stays private", func(t *testing.T) {
		var err error
		course, err = issuer.RecordOutcome(ctx, issuance.RecordRequest{LearnerID: learner, Kind: eduledger.RecordCourse,
			Title: eduledger.Name{Zh: "计算机网络", En: "Computer Networks"}, Code: "CN201", Field: "computer-networks", Level: 6,
			Hours: 48, CreditsClaimed: 3000, Date: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC),
			Detail: issuance.RecordDetail{Result: "A (91/100)", Assessment: "coursework and a final exam"}}, "")
		if err != nil {
			t.Fatal(err)
		}
		if course.IssuerID != devnet.Riverside || !strings.HasPrefix(course.ID, "urn:uuid:") || course.Detail == nil ||
			course.Detail.Digest() != course.Digest || course.Status != eduledger.RecordActive {
			t.Fatalf("recorded %+v", course)
		}
		exam, err = issuer.RecordOutcome(ctx, issuance.RecordRequest{ID: "urn:riverside:exam:2025:cn-final", LearnerID: learner,
			Kind: eduledger.RecordExam, Title: eduledger.Name{Zh: "网络工程期末考试", En: "Network engineering final"},
			Field: "computer-networks", Level: 6, Date: time.Date(2025, 7, 5, 0, 0, 0, 0, time.UTC),
			Detail: issuance.RecordDetail{Result: "pass"}}, "exam-1")
		if err != nil {
			t.Fatal(err)
		}
		again, err := issuer.RecordOutcome(ctx, issuance.RecordRequest{ID: "urn:riverside:exam:2025:cn-final", LearnerID: learner,
			Kind: eduledger.RecordExam, Title: eduledger.Name{Zh: "网络工程期末考试", En: "Network engineering final"},
			Field: "computer-networks", Level: 6, Date: time.Date(2025, 7, 5, 0, 0, 0, 0, time.UTC),
			Detail: issuance.RecordDetail{Result: "pass"}}, "exam-1")
		if err != nil || again.TxID != exam.TxID {
			t.Fatalf("a retry with the idempotency key recorded again: %+v, %v", again, err)
		}
		pub, err := lakeside.GetRecord(ctx, course.ID, false)
		if err != nil || pub.Digest != course.Digest || pub.Detail != nil {
			t.Fatalf("another school reads the public summary: %+v, %v", pub, err)
		}
		_, err = lakeside.GetRecord(ctx, course.ID, true)
		wantStatus(t, err, http.StatusForbidden, eduledger.EFORBIDDEN)
		own, err := registrar.GetRecord(ctx, course.ID, true)
		if err != nil || own.Detail == nil || own.Detail.Result != "A (91/100)" {
			t.Fatalf("the recording school reads the full record: %+v, %v", own, err)
		}
		raw, _ := json.Marshal(pub)
		if bytes.Contains(raw, []byte("91/100")) {
			t.Fatal("the public summary carries the grade")
		}
		mine, err := registrar.ListRecords(ctx, 0, "")
		if err != nil || len(mine.Items) != 2 {
			t.Fatalf("riverside's records: %+v, %v", mine, err)
		}
	})
	t.Run("a malformed record names the field; a learner from nowhere is not found", func(t *testing.T) {
		_, err := issuer.RecordOutcome(ctx, issuance.RecordRequest{LearnerID: learner, Kind: "SEMINAR",
			Title: eduledger.Name{Zh: "研讨", En: "Seminar"}, Field: "x", Level: 3, Date: time.Now().UTC()}, "")
		if p, _ := client.ProblemOf(err); p == nil || p.Status != 400 || p.Errors[0].Field != "/kind" {
			t.Fatalf("an unknown kind: %v", err)
		}
		_, err = issuer.RecordOutcome(ctx, issuance.RecordRequest{LearnerID: learner, Kind: eduledger.RecordCourse,
			Title: eduledger.Name{Zh: "课", En: "Course"}, Field: "x", Level: 3, Date: time.Now().UTC(),
			Detail: issuance.RecordDetail{Evidence: []string{" "}}}, "")
		if p, _ := client.ProblemOf(err); p == nil || p.Status != 400 || p.Errors[0].Field != "/detail/evidence/0" {
			t.Fatalf("blank evidence: %v", err)
		}
		_, err = issuer.RecordOutcome(ctx, issuance.RecordRequest{LearnerID: "NOBODY-1", Kind: eduledger.RecordCourse,
			Title: eduledger.Name{Zh: "课", En: "Course"}, Field: "x", Level: 3, Date: time.Now().UTC()}, "")
		wantStatus(t, err, http.StatusNotFound, eduledger.ENOTFOUND)
	})

	var courseEntry, examEntry *eduledger.CreditEntry
	t.Run("the outcomes are deposited under the rule in force at their date, once", func(t *testing.T) {
		pre, err := registrar.PreviewCredit(ctx, courseRule.ID, eduledger.SourceRecord, course.ID)
		if err != nil || !pre.Applicable || pre.Credits != 3000 || pre.Rule.Version != 1 {
			t.Fatalf("preview: %+v, %v", pre, err)
		}
		pre, err = registrar.PreviewCredit(ctx, courseRule.ID, eduledger.SourceRecord, exam.ID)
		if err != nil || pre.Applicable || !strings.Contains(pre.Reason, "COURSE") {
			t.Fatalf("preview of the exam under the course rule: %+v, %v", pre, err)
		}
		_, err = lakeside.Deposit(ctx, learner, issuance.DepositRequest{Source: eduledger.SourceRecord, OutcomeID: course.ID, RuleID: courseRule.ID}, "")
		wantStatus(t, err, http.StatusForbidden, eduledger.EFORBIDDEN)
		courseEntry, err = issuer.Deposit(ctx, learner, issuance.DepositRequest{Source: eduledger.SourceRecord, OutcomeID: course.ID, RuleID: courseRule.ID}, "")
		if err != nil {
			t.Fatal(err)
		}
		if courseEntry.Amount != 3000 || courseEntry.HolderID != devnet.Riverside || courseEntry.Field != "computer-networks" || courseEntry.RuleVersion != 1 {
			t.Fatalf("course entry %+v", courseEntry)
		}
		_, err = issuer.Deposit(ctx, learner, issuance.DepositRequest{Source: eduledger.SourceRecord, OutcomeID: course.ID, RuleID: courseRule.ID}, "")
		wantStatus(t, err, http.StatusConflict, eduledger.ECONFLICT)
		_, err = registrar.Deposit(ctx, learner, issuance.DepositRequest{Source: eduledger.SourceRecord, OutcomeID: exam.ID, RuleID: courseRule.ID}, "")
		wantStatus(t, err, http.StatusConflict, eduledger.ECONFLICT)
		examEntry, err = registrar.Deposit(ctx, learner, issuance.DepositRequest{Source: eduledger.SourceRecord, OutcomeID: exam.ID, RuleID: examRule.ID}, "dep-exam")
		if err != nil || examEntry.Amount != 1500 {
			t.Fatalf("exam entry %+v, %v", examEntry, err)
		}
		again, err := registrar.Deposit(ctx, learner, issuance.DepositRequest{Source: eduledger.SourceRecord, OutcomeID: exam.ID, RuleID: examRule.ID}, "dep-exam")
		if err != nil || again.ID != examEntry.ID {
			t.Fatalf("a retry with the idempotency key: %+v, %v", again, err)
		}
	})
	t.Run("amounts are integer thousandths: a decimal string or a fraction is refused", func(t *testing.T) {
		tok, err := s.srv.Engine().Tokens().Create(issuance.TokenSpec{Name: "raw", OrgID: devnet.Westlake, Role: eduledger.StaffRegistrar}, "test")
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range []string{`{"entryId":"x","ruleId":"r","amount":"1.500"}`, `{"entryId":"x","ruleId":"r","amount":1.5}`} {
			status, ctype, b := s.raw("POST", "/v1/learners/"+learner+"/credits/recognitions", tok.Secret, "application/json", []byte(body))
			if status != 400 || ctype != "application/problem+json" || !strings.Contains(string(b), "amount") {
				t.Fatalf("%s: %d %s %s", body, status, ctype, b)
			}
		}
	})

	delta := eduledger.RecognitionRule{ID: "delta-310000-westlake", Name: eduledger.Name{Zh: "长三角学分互认", En: "Yangtze River Delta recognition"},
		RecognizerID: devnet.Westlake, FromRegion: "310000", FromMinLevel: 5, RatePermille: 1000, EffectiveFrom: since}
	var recognized *eduledger.Recognition
	t.Run("a university of another region recognises the credits under the bureau's rule", func(t *testing.T) {
		got, err := bureau.PublishRecognitionRule(ctx, delta)
		if err != nil || got.Version != 1 {
			t.Fatalf("publish: %+v, %v", got, err)
		}
		_, err = lakeside.Recognize(ctx, learner, issuance.RecognitionRequest{EntryID: courseEntry.ID, RuleID: delta.ID}, "")
		wantStatus(t, err, http.StatusForbidden, eduledger.EFORBIDDEN)
		_, err = westlake.Redeem(ctx, learner, issuance.RedemptionRequest{ID: "early", Qualification: degree(3000),
			Parts: []eduledger.RedemptionPart{{EntryID: courseEntry.ID, Amount: 3000}}}, "")
		wantStatus(t, err, http.StatusForbidden, eduledger.EFORBIDDEN)
		recognized, err = westlake.Recognize(ctx, learner, issuance.RecognitionRequest{EntryID: courseEntry.ID, RuleID: delta.ID}, "rec-1")
		if err != nil {
			t.Fatal(err)
		}
		r := recognized.Recognized
		if !r.CrossRegion || r.Amount != 3000 || r.HolderID != devnet.Westlake || r.OriginalEntryID != courseEntry.ID || recognized.Original.Remaining != 0 {
			t.Fatalf("recognition %+v", recognized)
		}
		again, err := westlake.Recognize(ctx, learner, issuance.RecognitionRequest{EntryID: courseEntry.ID, RuleID: delta.ID}, "rec-1")
		if err != nil || again.Recognized.ID != r.ID {
			t.Fatalf("a retry with the idempotency key: %+v, %v", again, err)
		}
		_, err = westlake.Recognize(ctx, learner, issuance.RecognitionRequest{EntryID: courseEntry.ID, RuleID: delta.ID}, "")
		wantStatus(t, err, http.StatusConflict, eduledger.ECONFLICT)
	})

	var redemption *eduledger.Redemption
	t.Run("the credits are redeemed once; a second redemption of them is a 409 problem", func(t *testing.T) {
		_, err := westlake.Redeem(ctx, learner, issuance.RedemptionRequest{ID: "transfer-1", Qualification: degree(2000),
			Parts: []eduledger.RedemptionPart{{EntryID: recognized.Recognized.ID, Amount: 3000}}}, "")
		if p, _ := client.ProblemOf(err); p == nil || p.Status != 400 || !strings.Contains(p.Detail, "add up") {
			t.Fatalf("parts not adding up: %v", err)
		}
		redemption, err = westlake.Redeem(ctx, learner, issuance.RedemptionRequest{ID: "transfer-1", Qualification: degree(3000),
			Parts: []eduledger.RedemptionPart{{EntryID: recognized.Recognized.ID, Amount: 3000}}}, "red-1")
		if err != nil {
			t.Fatal(err)
		}
		if redemption.InstitutionID != devnet.Westlake || redemption.Total != 3000 || redemption.TxID == "" {
			t.Fatalf("redemption %+v", redemption)
		}
		again, err := westlake.Redeem(ctx, learner, issuance.RedemptionRequest{ID: "transfer-1", Qualification: degree(3000),
			Parts: []eduledger.RedemptionPart{{EntryID: recognized.Recognized.ID, Amount: 3000}}}, "red-1")
		if err != nil || again.TxID != redemption.TxID {
			t.Fatalf("a retry with the idempotency key: %+v, %v", again, err)
		}
		_, err = westlake.Redeem(ctx, learner, issuance.RedemptionRequest{ID: "transfer-2", Qualification: degree(3000),
			Parts: []eduledger.RedemptionPart{{EntryID: recognized.Recognized.ID, Amount: 3000}}}, "")
		wantStatus(t, err, http.StatusConflict, eduledger.ECONFLICT)
		_, err = westlake.Redeem(ctx, learner, issuance.RedemptionRequest{ID: "transfer-1", Qualification: degree(1000),
			Parts: []eduledger.RedemptionPart{{EntryID: recognized.Recognized.ID, Amount: 1000}}}, "")
		wantStatus(t, err, http.StatusConflict, eduledger.ECONFLICT)
		got, err := registrar.Redemption(ctx, learner, "transfer-1")
		if err != nil || got.TxID != redemption.TxID {
			t.Fatalf("read back: %+v, %v", got, err)
		}
		list, err := registrar.Redemptions(ctx, learner, 0, "")
		if err != nil || len(list.Items) != 1 {
			t.Fatalf("redemptions: %+v, %v", list, err)
		}
	})

	t.Run("the statement, the entries and their history add up", func(t *testing.T) {
		st, err := registrar.CreditStatement(ctx, learner, "")
		if err != nil {
			t.Fatal(err)
		}
		tot := st.Total
		if tot.Deposited != 4500 || tot.Recognized != 3000 || tot.TransferredOut != 3000 || tot.Redeemed != 3000 || tot.Balance != 1500 || st.Entries != 3 {
			t.Fatalf("statement %+v", st)
		}
		held, err := registrar.CreditStatement(ctx, learner, devnet.Westlake)
		if err != nil || held.Total.Balance != 0 || held.Total.Redeemed != 3000 {
			t.Fatalf("westlake's part: %+v, %v", held, err)
		}
		entries, err := registrar.CreditEntries(ctx, learner, 0, "")
		if err != nil || len(entries.Items) != 3 {
			t.Fatalf("entries %+v, %v", entries, err)
		}
		hist, err := registrar.CreditEntryHistory(ctx, learner, courseEntry.ID)
		if err != nil || len(hist) != 2 || hist[0].Value.LastUse == nil || hist[0].Value.LastUse.Ref != recognized.Recognized.ID {
			t.Fatalf("history of the course entry: %+v, %v", hist, err)
		}
		_, err = registrar.CreditEntry(ctx, learner, "no-such-entry")
		wantStatus(t, err, http.StatusNotFound, eduledger.ENOTFOUND)
		arc, err := lakeside.Archive(ctx, learner, 0, "")
		if err != nil || len(arc.Items) != 2 || arc.Items[0].Record == nil || arc.Items[0].Record.ID != course.ID {
			t.Fatalf("archive %+v, %v", arc, err)
		}
	})

	t.Run("a revoked outcome blocks its credits", func(t *testing.T) {
		_, err := issuer.RevokeRecord(ctx, exam.ID, "REINSTATED")
		wantStatus(t, err, http.StatusBadRequest, eduledger.EINVALID)
		_, err = lakeside.RevokeRecord(ctx, exam.ID, eduledger.ReasonIssuedInError)
		wantStatus(t, err, http.StatusForbidden, eduledger.EFORBIDDEN)
		r, err := registrar.RevokeRecord(ctx, exam.ID, eduledger.ReasonIssuedInError)
		if err != nil || r.Status != eduledger.RecordRevoked {
			t.Fatalf("revoke: %+v, %v", r, err)
		}
		st, err := registrar.CreditStatement(ctx, learner, "")
		if err != nil || st.Total.Blocked != 1500 || st.Total.Balance != 1500 {
			t.Fatalf("statement after revocation: %+v, %v", st, err)
		}
	})

	t.Run("every change is in its organisation's audit log, refusals with their code", func(t *testing.T) {
		want := map[string][]string{
			devnet.Bureau:    {"credit-rule.publish ok", "credit-rule.publish INVALID", "recognition-rule.publish ok"},
			devnet.Riverside: {"record.create ok", "credit.deposit ok", "credit.deposit CONFLICT", "credit.account-open ok", "credit-rule.publish FORBIDDEN", "record.revoke ok"},
			devnet.Lakeside:  {"record.read FORBIDDEN", "credit.deposit FORBIDDEN", "credit.recognize FORBIDDEN"},
			devnet.Westlake:  {"credit.recognize ok", "credit.redeem ok", "credit.redeem CONFLICT"},
		}
		for org, actions := range want {
			admin := s.client(org, eduledger.StaffAdmin)
			var seen []string
			page, err := admin.Audit(ctx, 200, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page.Items {
				seen = append(seen, a.Action+" "+a.Result)
			}
			for _, a := range actions {
				if !slices.Contains(seen, a) {
					t.Errorf("%s's audit log lacks %q: %v", org, a, seen)
				}
			}
		}
	})

	t.Run("every answer matches the OpenAPI document", func(t *testing.T) {
		schema := issuerSchemas(t)
		tok, err := s.srv.Engine().Tokens().Create(issuance.TokenSpec{Name: "schema", OrgID: devnet.Riverside, Role: eduledger.StaffRegistrar}, "test")
		if err != nil {
			t.Fatal(err)
		}
		c := "/v1/learners/" + learner + "/credits"
		for _, tc := range []struct{ path, schema string }{
			{"/v1/records/" + url.PathEscape(course.ID) + "?detail=true", "LearningRecord"},
			{"/v1/records", "LearningRecordPage"},
			{"/v1/learners/" + learner + "/archive", "ArchivePage"},
			{"/v1/credit-rules", "CreditRulePage"},
			{"/v1/credit-rules/" + courseRule.ID + "?at=2025-06-30T00:00:00Z", "CreditRule"},
			{"/v1/credit-rules/" + courseRule.ID + "/preview?source=RECORD&outcomeId=" + url.QueryEscape(course.ID), "CreditPreview"},
			{"/v1/recognition-rules", "RecognitionRulePage"},
			{"/v1/recognition-rules/" + delta.ID + "?version=1", "RecognitionRule"},
			{c + "/account", "CreditAccount"},
			{c + "/statement", "CreditStatement"},
			{c + "/entries", "CreditEntryPage"},
			{c + "/entries/" + courseEntry.ID, "CreditEntry"},
			{c + "/entries/" + courseEntry.ID + "/history", "CreditEntryHistory"},
			{c + "/redemptions", "RedemptionPage"},
			{c + "/redemptions/transfer-1", "Redemption"},
			{c + "/redemptions/none", "Problem"},
		} {
			status, _, b := s.raw("GET", tc.path, tok.Secret, "", nil)
			if (status == 200) != (tc.schema != "Problem") {
				t.Fatalf("GET %s: %d %s", tc.path, status, b)
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema(tc.schema).Validate(v); err != nil {
				t.Errorf("GET %s does not match %s: %v\n%s", tc.path, tc.schema, err, b)
			}
		}
		for name, body := range map[string]any{"CreditRule": courseRule, "RecognitionRule": delta, "Qualification": degree(3000),
			"RecordRequest": issuance.RecordRequest{LearnerID: learner, Kind: eduledger.RecordAward, Title: eduledger.Name{Zh: "奖", En: "Award"},
				Field: "x", Level: 1, Date: time.Now(), Detail: issuance.RecordDetail{Result: "first prize"}},
			"RedemptionRequest": issuance.RedemptionRequest{ID: "r", Qualification: degree(1), Parts: []eduledger.RedemptionPart{{EntryID: "e", Amount: 1}}}} {
			b, _ := json.Marshal(body)
			v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err := schema(name).Validate(v); err != nil {
				t.Errorf("the request the client sends does not match %s: %v\n%s", name, err, b)
			}
		}
	})

	t.Run("the learner's consent lets the verifier show the archive and the statement, and nothing else", func(t *testing.T) {
		testConsentedViews(t, s, learner)
	})
}

// issuerSchemas compiles the OpenAPI document's component schemas (JSON Schema 2020-12).
func issuerSchemas(t *testing.T) func(name string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(OpenAPI))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("urn:eduledger:issuer-openapi", doc); err != nil {
		t.Fatal(err)
	}
	return func(name string) *jsonschema.Schema {
		s, err := c.Compile("urn:eduledger:issuer-openapi#/components/schemas/" + name)
		if err != nil {
			t.Fatalf("compile %s: %v", name, err)
		}
		return s
	}
}

func degree(credits int64) eduledger.Qualification {
	return eduledger.Qualification{Code: "BENG-NE-TRANSFER", MinLevel: 5, Credits: credits,
		Name: eduledger.Name{Zh: "网络工程专业转入学分", En: "BEng Network Engineering, transferred credits"}}
}

// testConsentedViews starts the public verifier on loopback over the same ledger and checks that
// the learner's consent shows the archive and the statement, and that every consent it must refuse
// is refused with the right status.
func testConsentedViews(t *testing.T, s *service, learner string) {
	ctx := context.Background()
	cfg := verifierapi.DefaultConfig()
	cfg.PublicURL = "https://verify.example.edu.cn"
	cfg.RateLimit = verifierapi.RateLimit{PerSecond: 1000, Burst: 1000}
	vs, err := verifierapi.New(cfg, verifierapi.Deps{Reader: s.reader})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(vs.Handler())
	defer ts.Close()
	post := func(path string, body []byte) (int, []byte) {
		t.Helper()
		resp, err := http.Post(ts.URL+path, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.Bytes()
	}
	signer := holderSigner(t, 7, learner)
	now := time.Now()
	consent := func(scopes []verifier.Scope, domain string, from, until time.Time) []byte {
		t.Helper()
		c, err := verifier.SignConsent(signer, verifier.ConsentRequest{LearnerID: learner, Scopes: scopes, Domain: domain,
			ValidFrom: from, ValidUntil: until, Purpose: "application for the network engineer position"}, from)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	both := consent([]verifier.Scope{verifier.ScopeArchive, verifier.ScopeStatement}, "verify.example.edu.cn", now, now.Add(time.Hour))

	status, b := post("/v1/archive", both)
	var arc verifier.ConsentedArchive
	if err := json.Unmarshal(b, &arc); status != 200 || err != nil {
		t.Fatalf("archive: %d %s", status, b)
	}
	if arc.Consent.LearnerID != learner || len(arc.Items) != 2 || arc.Items[0].Kind != verifier.ArchiveRecord ||
		arc.Items[1].Status != "REVOKED" || arc.Items[0].Issuer.Name == nil || arc.Items[0].Issuer.Name.En != "Riverside University" ||
		arc.Learner.RegisteredBy.ID != devnet.Riverside {
		t.Fatalf("archive %s", b)
	}
	if bytes.Contains(b, []byte("91/100")) || bytes.Contains(b, []byte("李明")) {
		t.Fatal("the archive shows private data")
	}
	status, b = post("/v1/statement", both)
	var st verifier.ConsentedStatement
	if err := json.Unmarshal(b, &st); status != 200 || err != nil {
		t.Fatalf("statement: %d %s", status, b)
	}
	want, err := ledgerStatement(s, learner)
	if err != nil {
		t.Fatal(err)
	}
	if st.Statement.Total != want.Total || len(st.Statement.Balances) != len(want.Balances) {
		t.Fatalf("the verifier's statement %+v differs from the ledger's %+v", st.Statement.Total, want.Total)
	}

	// Another learner, with a key of their own: their consent shows their records, never this
	// learner's.
	const otherID = "C20260002"
	registrar := s.client(devnet.Riverside, eduledger.StaffRegistrar)
	if _, err := registrar.RegisterLearner(ctx, issuance.LearnerRegistration{ID: otherID, Roles: []eduledger.LearnerRole{eduledger.RoleStudent},
		HolderKeys: []string{holderKey(8)}, Personal: issuance.PersonalDetails{Name: "王芳", NationalID: "310110200309120046"}}, ""); err != nil {
		t.Fatal(err)
	}
	theirs, err := verifier.SignConsent(holderSigner(t, 8, otherID), verifier.ConsentRequest{LearnerID: otherID, Scopes: verifier.Scopes,
		Domain: "verify.example.edu.cn"}, now)
	if err != nil {
		t.Fatal(err)
	}
	status, b = post("/v1/archive", theirs)
	if err := json.Unmarshal(b, &arc); status != 200 || err != nil || arc.Learner.ID != otherID || len(arc.Items) != 0 {
		t.Fatalf("the other learner's archive: %d %s", status, b)
	}
	// Their key, signing a consent that names this learner; and their consent, edited to name
	// this learner.
	forged, err := verifier.SignConsent(holderSigner(t, 8, learner), verifier.ConsentRequest{LearnerID: learner, Scopes: verifier.Scopes,
		Domain: "verify.example.edu.cn"}, now)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(theirs, []byte(`"did:eduledger:learner:`+otherID+`"`), []byte(`"did:eduledger:learner:`+learner+`"`), 1)
	unknown, err := verifier.SignConsent(holderSigner(t, 7, "C20269999"), verifier.ConsentRequest{LearnerID: "C20269999", Scopes: verifier.Scopes,
		Domain: "verify.example.edu.cn"}, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		body       []byte
		status     int
		code, why  string
	}{
		{"an expired consent", "/v1/archive", consent(verifier.Scopes, "verify.example.edu.cn", now.Add(-2*time.Hour), now.Add(-time.Hour)),
			403, eduledger.EFORBIDDEN, "expired at"},
		{"a consent not valid yet", "/v1/archive", consent(verifier.Scopes, "verify.example.edu.cn", now.Add(time.Hour), now.Add(2*time.Hour)),
			403, eduledger.EFORBIDDEN, "valid only from"},
		{"a tampered consent", "/v1/archive", bytes.Replace(consent([]verifier.Scope{verifier.ScopeStatement}, "verify.example.edu.cn", now, now.Add(time.Hour)),
			[]byte(`"scope":["statement"]`), []byte(`"scope":["archive"]`), 1), 403, eduledger.EFORBIDDEN, "signature does not verify"},
		{"a consent for the statement only, for the archive", "/v1/archive", consent([]verifier.Scope{verifier.ScopeStatement}, "verify.example.edu.cn", now, now.Add(time.Hour)),
			403, eduledger.EFORBIDDEN, "not their archive"},
		{"a consent for another verifier", "/v1/statement", consent(verifier.Scopes, "hr.example.com", now, now.Add(time.Hour)),
			403, eduledger.EFORBIDDEN, "not at this verifier"},
		{"another learner's key signing for this learner", "/v1/statement", forged, 403, eduledger.EFORBIDDEN, "not a holder key the ledger lists"},
		{"another learner's consent edited to name this learner", "/v1/archive", edited, 403, eduledger.EFORBIDDEN, "not by a key of learner " + learner},
		{"a consent of a learner the ledger does not know", "/v1/archive", unknown, 404, eduledger.ENOTFOUND, "not registered"},
		{"a credential instead of a consent", "/v1/archive", []byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"]}`),
			400, eduledger.EINVALID, "not a learner's consent"},
		{"an empty body", "/v1/statement", nil, 400, eduledger.EINVALID, "empty"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			status, b := post(tc.path, tc.body)
			var p struct{ Code, Detail string }
			json.Unmarshal(b, &p)
			if status != tc.status || p.Code != tc.code || !strings.Contains(p.Detail, tc.why) {
				t.Fatalf("%d %s, want %d %s saying %q", status, b, tc.status, tc.code, tc.why)
			}
		})
	}
}

// ledgerStatement reads the statement straight from the ledger.
func ledgerStatement(s *service, learner string) (*eduledger.CreditStatement, error) {
	c, err := s.conn.Connect(context.Background(), devnet.GovMSP, "", "")
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return ledger.NewClient(c).GetCreditStatement(context.Background(), learner, "")
}
