package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/internal/issuerapi"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/issuance"
	"github.com/eduledger/eduledger/sdk/keystore"
	"github.com/eduledger/eduledger/verifier"
)

// startCreditService runs an issuer service for the bureau, a Shanghai university and a university
// of another region, and returns its URL and a token maker.
func startCreditService(t *testing.T, w *issuerWorld) (string, func(org string, role eduledger.StaffRole) string) {
	t.Helper()
	cfg := issuerapi.Config{Engine: issuance.Config{DataDir: filepath.Join(w.dir, "credit-issuer"),
		Orgs:          []string{devnet.Bureau, devnet.Riverside, devnet.Westlake},
		KeyPassphrase: "correct horse battery staple", VerifierURL: "http://127.0.0.1:8081"}}
	srv, err := issuerapi.New(context.Background(), cfg, issuerapi.Deps{Connector: w.conn, Reader: w.reader,
		Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
		EngineOptions: []issuance.Option{issuance.WithKeyKDF(keystore.KDF{Time: 1, MemoryKiB: 64, Threads: 1})}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Run(ctx) }()
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); cancel(); <-done; srv.Close() })
	return hs.URL, func(org string, role eduledger.StaffRole) string {
		tok, err := srv.Engine().Tokens().Create(issuance.TokenSpec{Name: "cli " + org + " " + string(role), OrgID: org, Role: role}, "test")
		if err != nil {
			t.Fatal(err)
		}
		return tok.Secret
	}
}

func TestTheCreditBanksCommandLine(t *testing.T) {
	w := newIssuerWorld(t)
	url, token := startCreditService(t, w)
	as := func(tok string, args ...string) (string, string, int) {
		return run(t, append(append(args, "--server", url), "--token", tok)...)
	}
	must := func(out, line string, code int) string {
		t.Helper()
		if code != 0 {
			t.Fatalf("exit %d: %s\n%s", code, line, out)
		}
		return out
	}
	bureau := token(devnet.Bureau, eduledger.StaffAdmin)
	registrar := token(devnet.Riverside, eduledger.StaffRegistrar)
	issuer := token(devnet.Riverside, eduledger.StaffIssuer)
	westlake := token(devnet.Westlake, eduledger.StaffRegistrar)
	dir := t.TempDir()
	const learner = "L2026000777"

	// The learner makes their keys; the school registers them and opens their account.
	holderFlags, signKey, _ := holderKeys(t, learner)
	must(as(registrar, "learner", "register", "--id", learner, "--name", "张伟", "--national-id", "310115200401010077", "--holder-key", signKey))
	if out := must(as(registrar, "credit", "open", learner)); !strings.Contains(out, "opened the credit account of "+learner) {
		t.Fatalf("credit open: %s", out)
	}

	// The bureau publishes a conversion rule with flags, and a recognition rule from a file.
	out := must(as(bureau, "rule", "credit", "publish", "--id", "cli-course", "--name-zh", "计算机网络", "--name-en", "Computer Networks",
		"--source", "record", "--record-kind", "course", "--issuer", devnet.Riverside, "--field", "computer-networks", "--level", "6",
		"--credits", "2.5", "--effective-from", "2020-01-01"))
	if !strings.Contains(out, "rule cli-course version 1: a COURSE record from riverside-university is worth 2.500 credits in computer-networks at level 6") {
		t.Fatalf("rule credit publish: %s", out)
	}
	ruleFile := filepath.Join(dir, "delta.json")
	os.WriteFile(ruleFile, []byte(`{"id":"cli-delta","name":{"zh":"长三角互认","en":"Delta recognition"},"recognizerId":"westlake-university",
		"fromRegion":"310000","ratePermille":800,"effectiveFrom":"2020-01-01T00:00:00Z"}`), 0o600)
	if out := must(as(bureau, "rule", "recognition", "publish", "--file", ruleFile)); !strings.Contains(out, "version 1: westlake-university recognises credits from region 310000 at 800‰") {
		t.Fatalf("rule recognition publish: %s", out)
	}

	// The school records a course and deposits it.
	fullRecord := filepath.Join(dir, "cn201.json")
	out = must(as(issuer, "record", "add", "--learner", learner, "--kind", "course", "--title-zh", "计算机网络", "--title-en", "Computer Networks",
		"--code", "CN201", "--field", "computer-networks", "--level", "6", "--hours", "48", "--date", "2025-06-30", "--result", "A (91/100)",
		"--credits-claimed", "3", "-o", fullRecord))
	recordID := regexp.MustCompile(`recorded (urn:uuid:[0-9a-f-]+)`).FindStringSubmatch(out)
	if recordID == nil {
		t.Fatalf("record add: %s", out)
	}
	var saved issuance.LearningRecord
	if b, err := os.ReadFile(fullRecord); err != nil || json.Unmarshal(b, &saved) != nil || saved.Detail == nil || saved.Detail.Result != "A (91/100)" ||
		saved.Detail.Digest() != saved.Digest || saved.CreditsClaimed != 3000 {
		t.Fatalf("the saved full record: %+v, %v", saved, err)
	}
	if st, _ := os.Stat(fullRecord); st.Mode().Perm() != 0o600 {
		t.Fatalf("the full record is saved %v; it holds the grade", st.Mode().Perm())
	}
	if out := must(as(registrar, "rule", "credit", "preview", "cli-course", "--record", recordID[1])); !strings.Contains(out, "2.500 credits in computer-networks at level 6") {
		t.Fatalf("rule credit preview: %s", out)
	}
	out = must(as(issuer, "credit", "deposit", learner, "--record", recordID[1], "--rule", "cli-course"))
	entry := regexp.MustCompile(`entry (\S+), held by riverside-university`).FindStringSubmatch(out)
	if entry == nil || !strings.Contains(out, "deposited 2.500 credits") {
		t.Fatalf("credit deposit: %s", out)
	}
	if _, line, code := as(issuer, "credit", "deposit", learner, "--record", recordID[1], "--rule", "cli-course"); code != 1 || !strings.HasPrefix(line, "CONFLICT:") {
		t.Fatalf("depositing twice: exit %d, %q", code, line)
	}

	// The university of another region recognises 2 of the 2.5 credits at 800‰ and redeems them.
	out = must(as(westlake, "credit", "recognise", learner, "--entry", entry[1], "--rule", "cli-delta", "--amount", "2"))
	recognized := regexp.MustCompile(`entry (\S+), held by westlake-university`).FindStringSubmatch(out)
	if recognized == nil || !strings.Contains(out, "recognised 2.000 credits of entry "+entry[1]+" as 1.600 credits") || !strings.Contains(out, "across regions from 310000") {
		t.Fatalf("credit recognise: %s", out)
	}
	redeem := func(id string) []string {
		return []string{"credit", "redeem", learner, "--id", id, "--code", "BENG-NE", "--name-zh", "网络工程", "--name-en", "BEng Network Engineering",
			"--part", recognized[1] + "=1.6"}
	}
	if out := must(as(westlake, redeem("cli-transfer")...)); !strings.Contains(out, "redeemed 1.600 credits of "+learner+" toward BENG-NE") {
		t.Fatalf("credit redeem: %s", out)
	}
	if _, line, code := as(westlake, redeem("cli-transfer-2")...); code != 1 || !strings.HasPrefix(line, "CONFLICT:") {
		t.Fatalf("redeeming the same credits again: exit %d, %q", code, line)
	}

	out = must(as(registrar, "credit", "statement", learner))
	for _, want := range []string{"Credit statement of " + learner, "computer-networks", "2.500", "1.600", "0.500"} {
		if !strings.Contains(out, want) {
			t.Fatalf("credit statement lacks %q:\n%s", want, out)
		}
	}
	var st eduledger.CreditStatement
	if err := json.Unmarshal([]byte(must(as(registrar, "credit", "statement", learner, "--json"))), &st); err != nil ||
		st.Total.Balance != 500 || st.Total.Redeemed != 1600 {
		t.Fatalf("credit statement --json: %+v, %v", st.Total, err)
	}
	if lines := strings.Count(must(as(registrar, "credit", "entries", learner)), "\n"); lines != 2 {
		t.Fatalf("credit entries printed %d lines, want 2", lines)
	}
	if out := must(as(registrar, "record", "archive", learner)); !strings.Contains(out, recordID[1]) || strings.Contains(out, "91/100") {
		t.Fatalf("record archive: %s", out)
	}

	// The learner lets an employer's verifier show the archive and the statement for three days.
	consentFile := filepath.Join(dir, "consent.json")
	if _, line, code := run(t, append([]string{"holder", "share", "--learner", learner, "--scope", "archive,statement",
		"--verifier", "https://verify.example.edu.cn", "--valid-for", "72h", "--purpose", "network engineer application", "-o", consentFile}, holderFlags...)...); code != 0 {
		t.Fatalf("holder share: exit %d, %q", code, line)
	}
	consent, _ := os.ReadFile(consentFile)
	v, err := verifier.New(w.reader, verifier.WithDomain("verify.example.edu.cn"))
	if err != nil {
		t.Fatal(err)
	}
	shown, err := v.Statement(context.Background(), consent, "")
	if err != nil || shown.Statement.Total.Balance != 500 || shown.Consent.Purpose != "network engineer application" {
		t.Fatalf("the verifier under the consent: %+v, %v", shown, err)
	}
	elsewhere, _ := verifier.New(w.reader, verifier.WithDomain("hr.example.com"))
	if _, err := elsewhere.Archive(context.Background(), consent, 0, ""); eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
		t.Fatalf("another verifier used the consent: %v", err)
	}

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"credits with four decimals", []string{"rule", "credit", "publish", "--id", "x", "--source", "RECORD", "--effective-from", "2020-01-01", "--credits", "1.2345"}},
		{"a deposit naming no rule", []string{"credit", "deposit", learner, "--record", recordID[1]}},
		{"a deposit naming two outcomes", []string{"credit", "deposit", learner, "--record", "a", "--credential", "b", "--rule", "r"}},
		{"a part without an amount", []string{"credit", "redeem", learner, "--id", "r", "--code", "c", "--part", "entry"}},
		{"a record without a date", []string{"record", "add", "--learner", learner, "--kind", "COURSE"}},
		{"a record dated in words", []string{"record", "add", "--learner", learner, "--kind", "COURSE", "--date", "last June"}},
		{"a record from a file and flags", []string{"record", "add", "--file", fullRecord, "--learner", learner}},
		{"a redemption the service refuses as malformed", []string{"credit", "redeem", learner, "--id", "r", "--code", "c", "--name-zh", "甲", "--name-en", "A",
			"--part", "e=1", "--credits", "2"}},
	} {
		t.Run("the command line refuses "+tc.name+" with exit 2", func(t *testing.T) {
			if _, line, code := as(registrar, tc.args...); code != 2 || line == "" || strings.Contains(line, "\n") {
				t.Fatalf("exit %d, %q", code, line)
			}
		})
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"a consent for no verifier", []string{"holder", "share", "--learner", learner, "--scope", "archive"}},
		{"a consent for a year", []string{"holder", "share", "--learner", learner, "--scope", "archive", "--domain", "v.example", "--valid-for", "8760h"}},
		{"a consent for everything", []string{"holder", "share", "--learner", learner, "--scope", "everything", "--domain", "v.example"}},
	} {
		t.Run("holder share refuses "+tc.name+" with exit 2", func(t *testing.T) {
			if _, line, code := run(t, append(tc.args, holderFlags...)...); code != 2 || line == "" {
				t.Fatalf("exit %d, %q", code, line)
			}
		})
	}
}
