package chaincode_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// These scenarios pin the transaction time, so they can check exactly which rule version decides
// an amount; the conformance suite (sdk/ledger/ledgertest) tells the whole story against the wall
// clock on every backend.

func TestTheRuleInForceAtTheOutcomeDateDecidesTheAmount(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	gov := n.staff(t, bureau, eduledger.StaffAdmin)
	l := n.registerLearner(t, riverside, "rule-dates").ID
	n.openAccount(t, riverside, l)
	v1 := awardRule("awards", 2000)
	v1.EffectiveFrom = epoch.AddDate(0, -6, 0) // within the issuer's accreditation, which started a year before
	if _, err := gov.PublishCreditRule(ctx, v1); err != nil {
		t.Fatal(err)
	}
	v2at, v3at := epoch.Add(10*24*time.Hour), epoch.Add(20*24*time.Hour)
	v2 := awardRule("awards", 3000)
	v2.EffectiveFrom = v2at
	if got, err := gov.PublishCreditRule(ctx, v2); err != nil || got.Version != 2 {
		t.Fatalf("version 2: %+v, %v", got, err)
	}
	v3 := &eduledger.CreditRule{ID: "awards", Name: v1.Name, Source: v1.Source, RecordKind: v1.RecordKind, Retired: true, EffectiveFrom: v3at}
	if got, err := gov.PublishCreditRule(ctx, v3); err != nil || got.Version != 3 {
		t.Fatalf("version 3 (retirement): %+v, %v", got, err)
	}

	// Outcomes recorded and deposited long after all three versions were published: each is worth
	// what the version in force at its own date says.
	n.setTime(v3at.Add(48 * time.Hour))
	for _, tc := range []struct {
		name    string
		date    time.Time
		amount  int64
		version int
		code    string
	}{
		{"before the rule took effect the outcome is worth nothing under it", v1.EffectiveFrom.Add(-time.Millisecond), 0, 0, eduledger.ECONFLICT},
		{"the first instant of version 1", v1.EffectiveFrom, 2000, 1, ""},
		{"the last millisecond of version 1", v2at.Add(-time.Millisecond), 2000, 1, ""},
		{"the first instant of version 2", v2at, 3000, 2, ""},
		{"the last millisecond of version 2", v3at.Add(-time.Millisecond), 3000, 2, ""},
		{"from the retirement on, nothing", v3at, 0, 0, eduledger.ECONFLICT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := n.record(t, riverside, l, eduledger.RecordAward, tc.date)
			e, err := n.staff(t, riverside, eduledger.StaffIssuer).DepositCredits(ctx, &eduledger.DepositRequest{LearnerID: l,
				Source: eduledger.SourceRecord, OutcomeID: r.ID, RuleID: "awards"})
			wantCode(t, err, tc.code)
			if err == nil && (e.Amount != tc.amount || e.RuleVersion != tc.version || !e.Outcome.Date.Equal(tc.date)) {
				t.Errorf("entry %+v; want %s credits under version %d", e, eduledger.FormatCredits(tc.amount), tc.version)
			}
		})
	}
	for _, tc := range []struct {
		at      time.Time
		version int
	}{{v1.EffectiveFrom, 1}, {v2at.Add(-time.Nanosecond), 1}, {v2at, 2}, {v3at, 3}} {
		r, err := gov.GetCreditRuleAt(ctx, "awards", tc.at)
		if err != nil || r.Version != tc.version {
			t.Errorf("in force at %s: %+v, %v; want version %d", tc.at, r, err, tc.version)
		}
	}
	// The accreditation also counts at the outcome's date: westlake, accredited only from the
	// epoch, may record an award of the year before, but it converts to nothing.
	n.admitWestlake(t)
	if _, err := gov.GrantAccreditation(ctx, &eduledger.Accreditation{OrgID: westlake.id, CredentialType: eduledger.TypeCertificate, ValidFrom: epoch}); err != nil {
		t.Fatal(err)
	}
	old := n.record(t, westlake, l, eduledger.RecordAward, epoch.Add(-30*24*time.Hour))
	_, err := n.staff(t, westlake, eduledger.StaffIssuer).DepositCredits(ctx, &eduledger.DepositRequest{LearnerID: l,
		Source: eduledger.SourceRecord, OutcomeID: old.ID, RuleID: "awards"})
	wantCode(t, err, eduledger.EFORBIDDEN)
}

func TestHourBasedRulesRoundDownAndCap(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	l := n.registerLearner(t, riverside, "hours").ID
	n.openAccount(t, riverside, l)
	rule := &eduledger.CreditRule{ID: "training-hours", Name: eduledger.Name{Zh: "培训学时", En: "Training hours"},
		Source: eduledger.SourceRecord, RecordKind: eduledger.RecordExam, Field: "vocational", Level: 4,
		Credits: 1000, PerHours: 16, MaxCredits: 4000, EffectiveFrom: epoch.AddDate(-1, 0, 0)}
	if _, err := n.staff(t, bureau, eduledger.StaffAdmin).PublishCreditRule(ctx, rule); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		hours  int
		amount int64
		code   string
	}{
		{16, 1000, ""}, {40, 2500, ""}, {7, 437, ""}, {1, 62, ""}, {64, 4000, ""}, {65, 4000, ""}, {100000, 4000, ""},
		{0, 0, eduledger.ECONFLICT},
	} {
		name := fmt.Sprintf("%d hours are worth %s", tc.hours, eduledger.FormatCredits(tc.amount))
		if tc.code != "" {
			name = fmt.Sprintf("%d hours are refused", tc.hours)
		}
		t.Run(name, func(t *testing.T) {
			r, d := recordDoc(sunrise, l, eduledger.RecordExam, epoch.Add(-time.Hour))
			r.Hours = tc.hours
			if _, err := n.staff(t, sunrise, eduledger.StaffIssuer).RecordLearningOutcome(ctx, r, d); err != nil {
				t.Fatal(err)
			}
			e, err := n.staff(t, riverside, eduledger.StaffRegistrar).DepositCredits(ctx, &eduledger.DepositRequest{LearnerID: l,
				Source: eduledger.SourceRecord, OutcomeID: r.ID, RuleID: rule.ID})
			wantCode(t, err, tc.code)
			if err == nil && (e.Amount != tc.amount || e.HolderID != sunrise.id || e.CreatedBy != riverside.id) {
				t.Errorf("entry %+v, want %d thousandths held by sunrise, deposited by riverside", e, tc.amount)
			}
		})
	}
}

func TestDepositsAreRefusedForOutcomesThatDoNotCount(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	gov := n.staff(t, bureau, eduledger.StaffAdmin)
	l := n.registerLearner(t, riverside, "no-count").ID
	n.openAccount(t, riverside, l)
	certRule := &eduledger.CreditRule{ID: "certs", Name: eduledger.Name{Zh: "证书", En: "Certificates"}, Source: eduledger.SourceCredential,
		CredentialType: eduledger.TypeCertificate, Field: "general-studies", Level: 4, Credits: 1000, EffectiveFrom: epoch.AddDate(-1, 0, 0)}
	if _, err := gov.PublishCreditRule(ctx, certRule); err != nil {
		t.Fatal(err)
	}
	iss := n.staff(t, acme, eduledger.StaffIssuer)
	anchor := func(mod func(*eduledger.CredentialAnchor)) string {
		a := anchorDoc(acme, l, eduledger.TypeCertificate, epoch)
		if mod != nil {
			mod(a)
		}
		got, err := iss.AnchorCredential(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return got.ID
	}
	expired := anchor(func(a *eduledger.CredentialAnchor) { a.ValidUntil = epoch.Add(time.Hour) })
	suspended := anchor(nil)
	if _, err := n.staff(t, acme, eduledger.StaffRegistrar).ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: suspended,
		Status: eduledger.StatusSuspended, Reason: eduledger.ReasonUnderReview}); err != nil {
		t.Fatal(err)
	}
	batch, err := iss.AnchorBatch(ctx, &eduledger.BatchAnchor{Root: randomHex(32), Count: 4, Type: eduledger.TypeCertificate, IssuerID: acme.id, IssuedAt: epoch})
	if err != nil {
		t.Fatal(err)
	}
	member := "urn:x:batch-member"
	if _, err := n.staff(t, acme, eduledger.StaffRegistrar).ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: member, BatchRoot: batch.Root,
		Status: eduledger.StatusSuspended, Reason: eduledger.ReasonUnderReview}); err != nil {
		t.Fatal(err)
	}
	fromSuspendedIssuer := anchor(nil)
	good := anchor(nil)
	n.setTime(epoch.Add(2 * time.Hour)) // the expiring certificate has expired
	deposit := func(id string) error {
		_, err := n.staff(t, riverside, eduledger.StaffRegistrar).DepositCredits(ctx, &eduledger.DepositRequest{LearnerID: l,
			Source: eduledger.SourceCredential, OutcomeID: id, RuleID: certRule.ID})
		return err
	}
	wantCode(t, deposit(expired), eduledger.ECONFLICT)
	wantCode(t, deposit(suspended), eduledger.ECONFLICT)
	wantCode(t, deposit(member), eduledger.ECONFLICT)
	if _, err := gov.SuspendOrganization(ctx, acme.id, "audit"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, deposit(fromSuspendedIssuer), eduledger.ECONFLICT)
	if _, err := gov.ReinstateOrganization(ctx, acme.id); err != nil {
		t.Fatal(err)
	}
	if _, err := n.staff(t, riverside, eduledger.StaffRegistrar).SuspendLearner(ctx, l, "identity check"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, deposit(good), eduledger.ECONFLICT)
	if _, err := n.staff(t, riverside, eduledger.StaffRegistrar).ReinstateLearner(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := deposit(good); err != nil {
		t.Fatalf("the good certificate after the learner's reinstatement: %v", err)
	}
	if err := deposit(fromSuspendedIssuer); err != nil {
		t.Fatalf("the certificate after its issuer's reinstatement: %v", err)
	}
	// An account is needed, and the learner's home organisation opens it.
	other := n.registerLearner(t, riverside, "no-account").ID
	_, err = iss.DepositCredits(ctx, &eduledger.DepositRequest{LearnerID: other, Source: eduledger.SourceCredential,
		OutcomeID: n.anchorCertificate(t, acme, other), RuleID: certRule.ID})
	wantCode(t, err, eduledger.ENOTFOUND)
}

func TestRecognitionTransfersCreditsAtTheRuleRate(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	n.admitWestlake(t)
	gov := n.staff(t, bureau, eduledger.StaffAdmin)
	l := n.registerLearner(t, riverside, "recognition").ID
	n.openAccount(t, riverside, l)
	if _, err := gov.PublishCreditRule(ctx, awardRule("awards", 4000)); err != nil {
		t.Fatal(err)
	}
	cross := recognitionRule("delta", westlake, 750)
	cross.ToField, cross.ToLevel = "network-engineering", 6
	if _, err := gov.PublishRecognitionRule(ctx, cross); err != nil {
		t.Fatal(err)
	}
	local := recognitionRule("local", riverside, 1000)
	local.FromField = "computer-networks"
	if _, err := gov.PublishRecognitionRule(ctx, local); err != nil {
		t.Fatal(err)
	}
	rec := n.record(t, acme, l, eduledger.RecordAward, epoch.Add(-time.Hour))
	e := n.deposit(t, acme, eduledger.StaffIssuer, l, eduledger.SourceRecord, rec.ID, "awards")
	west := n.staff(t, westlake, eduledger.StaffRegistrar)
	recognize := func(c *ledger.Client, rule, entry string, amount int64) (*eduledger.Recognition, error) {
		return c.RecognizeCredits(ctx, &eduledger.RecognitionRequest{LearnerID: l, EntryID: entry, RuleID: rule, Amount: amount})
	}

	r1, err := recognize(west, "delta", e.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if got := r1.Recognized; got.Amount != 750 || got.Field != "network-engineering" || got.Level != 6 || !got.CrossRegion || got.FromRegion != "310000" ||
		got.HolderID != westlake.id || got.RuleID != "delta" || got.RuleVersion != 1 || got.OriginalEntryID != e.ID || got.Outcome != e.Outcome {
		t.Errorf("recognised %+v; want 0.750 in network-engineering at level 6, across regions", got)
	}
	if r1.Original.Remaining != 3000 {
		t.Errorf("the original keeps %d, want 3000", r1.Original.Remaining)
	}
	_, err = recognize(west, "delta", e.ID, 1)
	wantCode(t, err, eduledger.ECONFLICT) // 0.001 at 75 % is worth nothing
	_, err = recognize(n.staff(t, riverside, eduledger.StaffRegistrar), "local", e.ID, 0)
	wantCode(t, err, eduledger.ECONFLICT) // the local rule recognises computer-networks only
	r2, err := recognize(west, "delta", e.ID, 0)
	if err != nil || r2.Recognized.Amount != 2250 || r2.Original.Remaining != 0 || r2.Original.UseCount != 2 || r2.Original.TransferredOut != 4000 {
		t.Fatalf("recognising the rest: %+v, %v; want 2.250 and nothing left", r2, err)
	}
	// Westlake's credits are in region 330100, which no rule lets anyone recognise from.
	_, err = recognize(n.staff(t, riverside, eduledger.StaffRegistrar), "local", r1.Recognized.ID, 0)
	wantCode(t, err, eduledger.ECONFLICT)

	st, err := west.GetCreditStatement(ctx, l, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []eduledger.CreditBalance{
		{Field: "general-studies", Level: 5, Deposited: 4000, TransferredOut: 4000},
		{Field: "network-engineering", Level: 6, Recognized: 3000, Balance: 3000},
	}
	if !slices.Equal(st.Balances, want) || st.Total.Balance != 3000 || st.Entries != 3 {
		t.Errorf("statement %+v, want %+v", st, want)
	}

	// A later version of the recognition rule applies from its time on; a retirement ends it.
	v2 := recognitionRule("delta", westlake, 1000)
	v2.ToField, v2.ToLevel, v2.EffectiveFrom = "network-engineering", 6, epoch.Add(24*time.Hour)
	if _, err := gov.PublishRecognitionRule(ctx, v2); err != nil {
		t.Fatal(err)
	}
	retire := &eduledger.RecognitionRule{ID: "delta", Name: v2.Name, RecognizerID: westlake.id, FromRegion: "310000", Retired: true, EffectiveFrom: epoch.Add(48 * time.Hour)}
	if _, err := gov.PublishRecognitionRule(ctx, retire); err != nil {
		t.Fatal(err)
	}
	more := n.deposit(t, acme, eduledger.StaffIssuer, l, eduledger.SourceRecord, n.record(t, acme, l, eduledger.RecordAward, epoch.Add(-time.Hour)).ID, "awards")
	n.setTime(epoch.Add(24 * time.Hour))
	if r, err := recognize(west, "delta", more.ID, 1000); err != nil || r.Recognized.Amount != 1000 || r.Recognized.RuleVersion != 2 {
		t.Errorf("under version 2: %+v, %v; want 1.000 at par", r, err)
	}
	n.setTime(epoch.Add(48 * time.Hour))
	_, err = recognize(west, "delta", more.ID, 1000)
	wantCode(t, err, eduledger.ECONFLICT)
}

func TestRedemptionConsumesExactlyTheNamedCreditsOrNothing(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	gov := n.staff(t, bureau, eduledger.StaffAdmin)
	l := n.registerLearner(t, riverside, "redeemer").ID
	n.openAccount(t, riverside, l)
	if _, err := gov.PublishCreditRule(ctx, awardRule("awards", 4000)); err != nil {
		t.Fatal(err)
	}
	var entries []*eduledger.CreditEntry
	var records []*eduledger.LearningRecord
	for range 3 {
		r := n.record(t, riverside, l, eduledger.RecordAward, epoch.Add(-time.Hour))
		records = append(records, r)
		entries = append(entries, n.deposit(t, riverside, eduledger.StaffIssuer, l, eduledger.SourceRecord, r.ID, "awards"))
	}
	reg := n.staff(t, riverside, eduledger.StaffRegistrar)
	part := func(e *eduledger.CreditEntry, amount int64) eduledger.RedemptionPart {
		return eduledger.RedemptionPart{EntryID: e.ID, Amount: amount}
	}
	if _, err := reg.RedeemCredits(ctx, redemption("first", riverside, l, part(entries[0], 2000), part(entries[1], 1))); err != nil {
		t.Fatal(err)
	}
	// All or nothing: the second part asks too much, so the first is not taken either.
	_, err := reg.RedeemCredits(ctx, redemption("greedy", riverside, l, part(entries[0], 2000), part(entries[1], 4000)))
	wantCode(t, err, eduledger.ECONFLICT)
	// A revoked outcome's credits cannot be used, and the statement shows them blocked.
	if _, err := reg.RevokeLearningRecord(ctx, records[2].ID, eduledger.ReasonFraud); err != nil {
		t.Fatal(err)
	}
	_, err = reg.RedeemCredits(ctx, redemption("revoked", riverside, l, part(entries[0], 1000), part(entries[2], 1000)))
	wantCode(t, err, eduledger.ECONFLICT)
	for i, want := range []int64{2000, 3999, 4000} {
		e, err := reg.GetCreditEntry(ctx, l, entries[i].ID)
		if err != nil || e.Remaining != want {
			t.Errorf("entry %d keeps %+v, %v; want %d", i, e, err, want)
		}
	}
	st, err := reg.GetCreditStatement(ctx, l, riverside.id)
	if err != nil {
		t.Fatal(err)
	}
	want := eduledger.CreditBalance{Field: "general-studies", Level: 5, Deposited: 12000, Redeemed: 2001, Balance: 9999, Blocked: 4000}
	if len(st.Balances) != 1 || st.Balances[0] != want || st.HolderID != riverside.id {
		t.Errorf("statement %+v, want %+v", st.Balances, want)
	}
	if empty, err := reg.GetCreditStatement(ctx, l, westlake.id); err != nil || len(empty.Balances) != 0 || empty.Entries != 0 {
		t.Errorf("the statement of an institution holding nothing: %+v, %v", empty, err)
	}
}

// The promise: of 64 simultaneous redemptions of the same credits exactly one succeeds,
// the others fail with CONFLICT, and the balance is exact.
func TestConcurrentRedemptionsOfTheSameCreditsLetExactlyOneWin(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	l := n.registerLearner(t, riverside, "race").ID
	n.openAccount(t, riverside, l)
	if _, err := n.staff(t, bureau, eduledger.StaffAdmin).PublishCreditRule(ctx, awardRule("awards", 4000)); err != nil {
		t.Fatal(err)
	}
	a := n.deposit(t, riverside, eduledger.StaffIssuer, l, eduledger.SourceRecord, n.record(t, riverside, l, eduledger.RecordAward, epoch).ID, "awards")
	b := n.deposit(t, riverside, eduledger.StaffIssuer, l, eduledger.SourceRecord, n.record(t, riverside, l, eduledger.RecordAward, epoch).ID, "awards")
	parts := []eduledger.RedemptionPart{{EntryID: a.ID, Amount: 2500}, {EntryID: b.ID, Amount: 4000}}

	const racers = 64
	clients := make([]*ledger.Client, racers)
	for i := range clients {
		clients[i] = ledger.NewClient(n.gateway(t, schoolMSP, riverside.id, eduledger.StaffRegistrar))
	}
	start := make(chan struct{})
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			_, errs[i] = clients[i].RedeemCredits(ctx, redemption(fmt.Sprintf("race-%02d", i), riverside, l, parts...))
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case eduledger.ErrorCode(err) != eduledger.ECONFLICT:
			t.Errorf("racer %d failed with %v, want CONFLICT", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d redemptions won, want exactly 1", wins)
	}
	st, err := clients[0].GetCreditStatement(ctx, l, "")
	if err != nil {
		t.Fatal(err)
	}
	if st.Total.Redeemed != 6500 || st.Total.Balance != 1500 || st.Total.Deposited != 8000 {
		t.Errorf("after the race: %+v; want 6.500 redeemed once and 1.500 left", st.Total)
	}
	rs, err := clients[0].ListRedemptions(ctx, l, eduledger.MaxPageSize, "")
	if err != nil || len(rs.Items) != 1 {
		t.Fatalf("redemptions on the ledger: %+v, %v; want exactly one", rs, err)
	}
	for _, id := range []string{a.ID, b.ID} {
		e, err := clients[0].GetCreditEntry(ctx, l, id)
		if err != nil || e.UseCount != 1 || e.LastUse == nil || e.LastUse.Ref != rs.Items[0].ID {
			t.Errorf("entry %s: %+v, %v; want one use, by the winner", id, e, err)
		}
		if h, err := clients[0].GetCreditEntryHistory(ctx, l, id); err != nil || len(h) != 2 {
			t.Errorf("entry %s has %d versions, %v; want its deposit and the winning redemption", id, len(h), err)
		}
	}
}

// Redemptions of different entries of one learner touch no common key: many at once all commit.
func TestConcurrentRedemptionsOfDifferentCreditsAllCommit(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	l := n.registerLearner(t, riverside, "many").ID
	n.openAccount(t, riverside, l)
	if _, err := n.staff(t, bureau, eduledger.StaffAdmin).PublishCreditRule(ctx, awardRule("awards", 1000)); err != nil {
		t.Fatal(err)
	}
	const racers = 16
	entries := make([]string, racers)
	for i := range entries {
		entries[i] = n.deposit(t, riverside, eduledger.StaffIssuer, l, eduledger.SourceRecord, n.record(t, riverside, l, eduledger.RecordAward, epoch).ID, "awards").ID
	}
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		c := ledger.NewClient(n.gateway(t, schoolMSP, riverside.id, eduledger.StaffRegistrar))
		wg.Go(func() {
			_, errs[i] = c.RedeemCredits(ctx, redemption(fmt.Sprintf("r-%02d", i), riverside, l, eduledger.RedemptionPart{EntryID: entries[i], Amount: 1000}))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("redemption %d: %v", i, err)
		}
	}
	st, err := n.staff(t, riverside, eduledger.StaffRegistrar).GetCreditStatement(ctx, l, "")
	if err != nil || st.Total.Redeemed != racers*1000 || st.Total.Balance != 0 {
		t.Fatalf("statement %+v, %v", st, err)
	}
}
