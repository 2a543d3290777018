package api_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/verifier"
)

func TestThePageShowsAConsentedArchiveAndStatement(t *testing.T) {
	ctx := browser(t)
	dir := artifacts(t)
	s := serve(t, nil) // domain 127.0.0.1:8081, the default public URL's
	is := net.Issuer(t, devnet.Riverside)
	l := is.Learner(t)
	bg := context.Background()

	detail := &eduledger.LearningRecordDetail{RecordID: "urn:uuid:page-" + l.ID, LearnerID: l.ID, Result: "A", Salt: strings.Repeat("cd", 32)}
	if _, err := is.Staff.RecordLearningOutcome(bg, &eduledger.LearningRecord{ID: detail.RecordID, LearnerID: l.ID, IssuerID: is.Org.ID,
		Kind: eduledger.RecordCourse, Title: eduledger.Name{Zh: "计算机网络", En: "Computer Networks"}, Code: "CN201", Field: "computer-networks",
		Level: 6, Hours: 48, Date: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), Digest: detail.Digest()}, detail); err != nil {
		t.Fatal(err)
	}
	is.Issue(t, is.Diploma(l.ID))
	rule := &eduledger.CreditRule{ID: "page-" + l.ID, Name: eduledger.Name{Zh: "课程", En: "Course"}, Source: eduledger.SourceRecord,
		RecordKind: eduledger.RecordCourse, IssuerID: is.Org.ID, Field: "computer-networks", Level: 6, Credits: 2500,
		EffectiveFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := net.Gov.PublishCreditRule(bg, rule); err != nil {
		t.Fatal(err)
	}
	if _, err := is.Registrar.OpenCreditAccount(bg, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := is.Staff.DepositCredits(bg, &eduledger.DepositRequest{LearnerID: l.ID, Source: eduledger.SourceRecord, OutcomeID: detail.RecordID, RuleID: rule.ID}); err != nil {
		t.Fatal(err)
	}

	files := t.TempDir()
	write := func(name, domain string) string {
		c, err := verifier.SignConsent(l.Holder, verifier.ConsentRequest{LearnerID: l.ID, Scopes: verifier.Scopes, Domain: domain,
			Purpose: "network engineer application"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(files, name)
		if err := os.WriteFile(path, c, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ours, theirs := write("consent.json", "127.0.0.1:8081"), write("consent-elsewhere.json", "hr.example.com")

	if err := do(ctx, chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#drop")), chromedp.Click(chromedp.CSS("#lang-en"))); err != nil {
		t.Fatal(err)
	}
	t.Run("an uploaded consent shows the archive and the statement", func(t *testing.T) {
		if err := do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{ours})); err != nil {
			t.Fatal(err)
		}
		p, err := readPage(ctx, string(verifier.Verified))
		screenshot(t, ctx, dir, "8-consent-en")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := value(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("#archive-card tbody tr")).map(r => r.dataset.kind + ":" + r.dataset.status).join(",")`))
		if err != nil {
			t.Fatal(err)
		}
		balance, err := value(ctx, chromedp.Text(chromedp.CSS(`#statement-card tr.total td[data-col="balance"]`)))
		if err != nil {
			t.Fatal(err)
		}
		if p.title != "Shown with the learner's consent" || rows != "record:ACTIVE,credential:ACTIVE" || balance != "2.500" {
			t.Fatalf("page shows %q, archive rows %q, balance %q", p.title, rows, balance)
		}
	})
	t.Run("a consent for another verifier is refused in Chinese too", func(t *testing.T) {
		if err := do(ctx, chromedp.Click(chromedp.CSS("#lang-zh")), chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{theirs})); err != nil {
			t.Fatal(err)
		}
		p, err := readPage(ctx, string(verifier.NotVerified))
		screenshot(t, ctx, dir, "9-consent-elsewhere-zh")
		if err != nil {
			t.Fatal(err)
		}
		sub, err := value(ctx, chromedp.Text(chromedp.CSS("#verdict .sub")))
		if err != nil || p.title != "学习者未授权展示" || !strings.Contains(sub, "hr.example.com") {
			t.Fatalf("page shows %q: %q, %v", p.title, sub, err)
		}
	})
}
