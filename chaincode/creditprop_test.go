package chaincode_test

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
)

var (
	creditOps  = flag.Int("credit.ops", 300, "operations the credit bank's property test runs")
	creditSeed = flag.Uint64("credit.seed", 1, "seed of the credit bank's property test; 0 picks one")
)

// TestCreditBalancesEqualDepositsPlusRecognitionsMinusRedemptions runs a random sequence of
// deposits (some repeated or under the wrong rule), recognitions (some of too much, of the
// recogniser's own credits, from the wrong region or level, worth nothing), redemptions (some of
// credits held elsewhere or already used, some repeating an ID) and revocations through the
// embedded ledger, against a model of the credit bank. Every operation must succeed or be refused
// exactly as the model predicts, and at checkpoints every account's statement and every entry
// must equal the model's: per field and level, balance = deposits + recognitions − transfers −
// redemptions, and blocked = what remains of revoked outcomes. More operations or another seed:
// go test ./chaincode -run CreditBalances -credit.ops 5000 -credit.seed 0.
func TestCreditBalancesEqualDepositsPlusRecognitionsMinusRedemptions(t *testing.T) {
	seed := *creditSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d, %d operations (-credit.seed, -credit.ops)", seed, *creditOps)
	p := newProperty(t, rand.New(rand.NewPCG(seed, seed^0x5eed)))
	for i := range *creditOps {
		op := p.rng.IntN(100)
		var what string
		switch {
		case op < 30:
			what = p.deposit(t)
		case op < 38:
			what = p.depositAgain(t)
		case op < 62:
			what = p.recognize(t)
		case op < 95:
			what = p.redeem(t)
		default:
			what = p.revoke(t)
		}
		if t.Failed() {
			t.Fatalf("operation %d (%s) went against the model; seed %d", i, what, seed)
		}
		if (i+1)%100 == 0 {
			p.compare(t)
		}
	}
	p.compare(t)
	if p.successes < *creditOps/4 {
		t.Errorf("only %d of %d operations succeeded: the sequence hardly exercised the bank", p.successes, *creditOps)
	}
	t.Logf("%d operations succeeded, %d refused as predicted; %d entries", p.successes, p.refusals, len(p.entries))
}

// property is the model of the credit bank the random operations run against.
type property struct {
	n   *testNet
	rng *rand.Rand
	ctx context.Context

	learners    []string
	entries     map[string]*modelEntry
	order       []string          // entry IDs, in creation order
	outcomes    []*modelOutcome   // every outcome created
	redemptions map[string]string // redemption ID → learner
	successes   int
	refusals    int
}

type modelOutcome struct {
	source    eduledger.OutcomeSource
	id        string
	issuer    org
	learner   string
	deposited bool
	revoked   bool
}

type modelEntry struct {
	id, learner, holder, field string
	level                      int
	recognition                bool
	amount, remaining          int64
	transferred, redeemed      int64
	uses                       int
	outcome                    *modelOutcome
}

// The institutions: three in Shanghai (310000) and westlake in 330100. Rules: awards are worth
// 2.000 in general-studies at level 5, certificates 3.500 in computer-networks at level 6;
// westlake recognises Shanghai's credits at 75 %, riverside those from level 6 at par, sunrise
// at 33.3 % into vocational at level 4.
var (
	propIssuers      = []org{riverside, sunrise, acme}
	propInstitutions = []org{riverside, sunrise, westlake, acme} // acme awards no qualification
	propRecognition  = []struct {
		id             string
		recognizer     org
		rate, minLevel int
		field          string
		level          int
	}{
		{"p-west", westlake, 750, 0, "", 0},
		{"p-river", riverside, 1000, 6, "", 0},
		{"p-sun", sunrise, 333, 0, "vocational", 4},
	}
)

func region(o string) string {
	if o == westlake.id {
		return "330100"
	}
	return "310000"
}

func newProperty(t *testing.T, rng *rand.Rand) *property {
	n := newWorld(t)
	n.admitWestlake(t)
	p := &property{n: n, rng: rng, ctx: t.Context(), entries: map[string]*modelEntry{}, redemptions: map[string]string{}}
	gov := n.staff(t, bureau, eduledger.StaffAdmin)
	if _, err := gov.PublishCreditRule(p.ctx, awardRule("p-award", 2000)); err != nil {
		t.Fatal(err)
	}
	if _, err := gov.PublishCreditRule(p.ctx, &eduledger.CreditRule{ID: "p-cert", Name: eduledger.Name{Zh: "证书", En: "Certificates"},
		Source: eduledger.SourceCredential, CredentialType: eduledger.TypeCertificate, Field: "computer-networks", Level: 6,
		Credits: 3500, EffectiveFrom: epoch.AddDate(-1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	for _, r := range propRecognition {
		rule := recognitionRule(r.id, r.recognizer, r.rate)
		rule.FromMinLevel, rule.ToField, rule.ToLevel = r.minLevel, r.field, r.level
		if _, err := gov.PublishRecognitionRule(p.ctx, rule); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		l := n.registerLearner(t, riverside, fmt.Sprintf("prop-%d", i)).ID
		n.openAccount(t, riverside, l)
		p.learners = append(p.learners, l)
	}
	return p
}

// expect checks an operation's outcome against the model's prediction ("" = success).
func (p *property) expect(t *testing.T, what string, err error, want string) bool {
	t.Helper()
	if got := eduledger.ErrorCode(err); got != want {
		t.Errorf("%s: got %v (code %q), the model predicts %q", what, err, got, want)
		return false
	}
	if err == nil {
		p.successes++
	} else {
		p.refusals++
	}
	return err == nil
}

func (p *property) pick(n int) int { return p.rng.IntN(n) }

// deposit creates a new outcome (a record or a certificate) and deposits it, sometimes under the
// wrong rule.
func (p *property) deposit(t *testing.T) string {
	issuer := propIssuers[p.pick(len(propIssuers))]
	learner := p.learners[p.pick(len(p.learners))]
	o := &modelOutcome{issuer: issuer, learner: learner}
	rule, amount := "p-award", int64(2000)
	if p.pick(2) == 0 {
		o.source, o.id = eduledger.SourceRecord, p.n.record(t, issuer, learner, eduledger.RecordAward, epoch).ID
	} else {
		o.source, o.id, rule, amount = eduledger.SourceCredential, p.n.anchorCertificate(t, issuer, learner), "p-cert", 3500
	}
	p.outcomes = append(p.outcomes, o)
	want := ""
	if p.pick(10) == 0 { // the other rule does not apply
		rule, want = map[string]string{"p-award": "p-cert", "p-cert": "p-award"}[rule], eduledger.ECONFLICT
	}
	what := fmt.Sprintf("deposit %s %s under %s", o.source, o.id, rule)
	e, err := p.n.staff(t, issuer, eduledger.StaffIssuer).DepositCredits(p.ctx, &eduledger.DepositRequest{LearnerID: learner, Source: o.source, OutcomeID: o.id, RuleID: rule})
	if p.expect(t, what, err, want) {
		if e.Amount != amount || e.HolderID != issuer.id {
			t.Errorf("%s: entry %+v, the model predicts %d held by %s", what, e, amount, issuer.id)
		}
		o.deposited = true
		p.add(&modelEntry{id: e.ID, learner: learner, holder: issuer.id, field: e.Field, level: e.Level, amount: amount, remaining: amount, outcome: o})
	}
	return what
}

// depositAgain deposits an outcome already deposited, or revoked: always refused.
func (p *property) depositAgain(t *testing.T) string {
	if len(p.outcomes) == 0 {
		return "nothing to deposit again"
	}
	o := p.outcomes[p.pick(len(p.outcomes))]
	rule := map[eduledger.OutcomeSource]string{eduledger.SourceRecord: "p-award", eduledger.SourceCredential: "p-cert"}[o.source]
	want := eduledger.ECONFLICT
	if !o.deposited && !o.revoked {
		want = ""
	}
	what := fmt.Sprintf("deposit %s again (deposited %v, revoked %v)", o.id, o.deposited, o.revoked)
	e, err := p.n.staff(t, riverside, eduledger.StaffRegistrar).DepositCredits(p.ctx, &eduledger.DepositRequest{LearnerID: o.learner, Source: o.source, OutcomeID: o.id, RuleID: rule})
	if p.expect(t, what, err, want) {
		o.deposited = true
		p.add(&modelEntry{id: e.ID, learner: o.learner, holder: o.issuer.id, field: e.Field, level: e.Level, amount: e.Amount, remaining: e.Amount, outcome: o})
	}
	return what
}

func (p *property) add(e *modelEntry) {
	p.entries[e.id] = e
	p.order = append(p.order, e.id)
}

// recognize has a recogniser recognise part or all of a random entry, predicting the answer.
func (p *property) recognize(t *testing.T) string {
	if len(p.order) == 0 {
		return "nothing to recognise"
	}
	e := p.entries[p.order[p.pick(len(p.order))]]
	r := propRecognition[p.pick(len(propRecognition))]
	var amount int64
	if p.pick(3) > 0 {
		amount = 1 + p.rng.Int64N(e.remaining+3)
	}
	take := amount
	if take == 0 {
		take = e.remaining
	}
	n := take * int64(r.rate) / 1000
	want := ""
	switch {
	case e.holder == r.recognizer.id, e.remaining == 0, take > e.remaining, region(e.holder) != "310000",
		e.level < r.minLevel, n == 0, e.outcome.revoked:
		want = eduledger.ECONFLICT
	}
	what := fmt.Sprintf("%s recognises %d of entry %s (held by %s, %d left) under %s", r.recognizer.id, amount, e.id, e.holder, e.remaining, r.id)
	rec, err := p.n.staff(t, r.recognizer, eduledger.StaffRegistrar).RecognizeCredits(p.ctx, &eduledger.RecognitionRequest{LearnerID: e.learner, EntryID: e.id, RuleID: r.id, Amount: amount})
	if p.expect(t, what, err, want) {
		field, level := cmp.Or(r.field, e.field), cmp.Or(r.level, e.level)
		got := rec.Recognized
		if got.Amount != n || got.Field != field || got.Level != level || got.HolderID != r.recognizer.id || rec.Original.Remaining != e.remaining-take {
			t.Errorf("%s: %+v; the model predicts %d in %s at level %d and %d left", what, rec, n, field, level, e.remaining-take)
		}
		e.remaining -= take
		e.transferred += take
		e.uses++
		p.add(&modelEntry{id: got.ID, learner: e.learner, holder: r.recognizer.id, field: field, level: level, recognition: true,
			amount: n, remaining: n, outcome: e.outcome})
	}
	return what
}

// redeem has an institution redeem parts of one to three entries of a learner, predicting the
// answer from the checks in the order the chaincode makes them.
func (p *property) redeem(t *testing.T) string {
	inst := propInstitutions[p.pick(len(propInstitutions))]
	learner := p.learners[p.pick(len(p.learners))]
	var mine []*modelEntry
	for _, id := range p.order {
		if e := p.entries[id]; e.learner == learner && (e.holder == inst.id || p.pick(6) == 0) {
			mine = append(mine, e)
		}
	}
	if len(mine) == 0 {
		return "nothing to redeem"
	}
	p.rng.Shuffle(len(mine), func(i, j int) { mine[i], mine[j] = mine[j], mine[i] })
	mine = mine[:1+p.pick(min(3, len(mine)))]
	id := fmt.Sprintf("red-%d", len(p.redemptions))
	if len(p.redemptions) > 0 && p.pick(15) == 0 {
		for _, rid := range slices.Sorted(maps.Keys(p.redemptions)) {
			if p.redemptions[rid] == learner {
				id = rid // a redemption ID used before
				break
			}
		}
	}
	var parts []eduledger.RedemptionPart
	for _, e := range mine {
		parts = append(parts, eduledger.RedemptionPart{EntryID: e.id, Amount: 1 + p.rng.Int64N(max(e.remaining, 1)+1)})
	}
	want := ""
	if inst.kind == eduledger.KindEnterprise {
		want = eduledger.EFORBIDDEN
	} else if _, used := p.redemptions[id]; used {
		want = eduledger.ECONFLICT
	} else {
		for i, e := range mine {
			if e.holder != inst.id {
				want = eduledger.EFORBIDDEN
			} else if parts[i].Amount > e.remaining || e.outcome.revoked {
				want = eduledger.ECONFLICT
			}
			if want != "" {
				break
			}
		}
	}
	what := fmt.Sprintf("%s redeems %v for %s as %s", inst.id, parts, learner, id)
	_, err := p.n.staff(t, inst, eduledger.StaffRegistrar).RedeemCredits(p.ctx, redemption(id, inst, learner, parts...))
	if p.expect(t, what, err, want) {
		p.redemptions[id] = learner
		for i, e := range mine {
			e.remaining -= parts[i].Amount
			e.redeemed += parts[i].Amount
			e.uses++
		}
	}
	return what
}

// revoke revokes a random outcome: a record through its issuer's registrar, a certificate by a
// status change. Its credits stay in the accounts, blocked.
func (p *property) revoke(t *testing.T) string {
	if len(p.outcomes) == 0 {
		return "nothing to revoke"
	}
	o := p.outcomes[p.pick(len(p.outcomes))]
	want := ""
	if o.revoked {
		want = eduledger.ECONFLICT
	}
	reg := p.n.staff(t, o.issuer, eduledger.StaffRegistrar)
	var err error
	if o.source == eduledger.SourceRecord {
		_, err = reg.RevokeLearningRecord(p.ctx, o.id, eduledger.ReasonIssuedInError)
	} else {
		_, err = reg.ChangeCredentialStatus(p.ctx, &eduledger.StatusChange{CredentialID: o.id, Status: eduledger.StatusRevoked, Reason: eduledger.ReasonIssuedInError})
	}
	what := "revoke " + o.id
	if p.expect(t, what, err, want) {
		o.revoked = true
	}
	return what
}

// compare checks every account's statement and every entry against the model.
func (p *property) compare(t *testing.T) {
	t.Helper()
	c := p.n.staff(t, bureau, eduledger.StaffIssuer)
	for _, l := range p.learners {
		type bucket struct {
			field string
			level int
		}
		want := map[bucket]*eduledger.CreditBalance{}
		entries := 0
		for _, id := range p.order {
			e := p.entries[id]
			if e.learner != l {
				continue
			}
			entries++
			b := want[bucket{e.field, e.level}]
			if b == nil {
				b = &eduledger.CreditBalance{Field: e.field, Level: e.level}
				want[bucket{e.field, e.level}] = b
			}
			if e.recognition {
				b.Recognized += e.amount
			} else {
				b.Deposited += e.amount
			}
			b.TransferredOut += e.transferred
			b.Redeemed += e.redeemed
			b.Balance += e.remaining
			if e.outcome.revoked {
				b.Blocked += e.remaining
			}
		}
		var wantBalances []eduledger.CreditBalance
		for _, b := range want {
			if b.Balance != b.Deposited+b.Recognized-b.TransferredOut-b.Redeemed {
				t.Fatalf("the model itself does not add up: %+v", b)
			}
			wantBalances = append(wantBalances, *b)
		}
		slices.SortFunc(wantBalances, func(x, y eduledger.CreditBalance) int {
			return cmp.Or(cmp.Compare(x.Field, y.Field), cmp.Compare(x.Level, y.Level))
		})
		st, err := c.GetCreditStatement(p.ctx, l, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range append(slices.Clone(st.Balances), st.Total) {
			if b.Balance != b.Deposited+b.Recognized-b.TransferredOut-b.Redeemed {
				t.Errorf("learner %s: the ledger's balance does not equal deposits + recognitions − transfers − redemptions: %+v", l, b)
			}
		}
		if !slices.Equal(st.Balances, wantBalances) || st.Entries != entries {
			t.Errorf("learner %s: the ledger's statement (%d entries)\n  %+v\nthe model's (%d entries)\n  %+v", l, st.Entries, st.Balances, entries, wantBalances)
		}
		var got []eduledger.CreditEntry
		bookmark := ""
		for {
			pg, err := c.ListCreditEntries(p.ctx, l, 50, bookmark)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, pg.Items...)
			if pg.Bookmark == "" || len(pg.Items) == 0 {
				break
			}
			bookmark = pg.Bookmark
		}
		var prev time.Time
		for _, g := range got {
			m := p.entries[g.ID]
			if m == nil || g.Amount != m.amount || g.Remaining != m.remaining || g.HolderID != m.holder ||
				g.Redeemed != m.redeemed || g.TransferredOut != m.transferred || g.UseCount != m.uses {
				t.Errorf("learner %s: the ledger's entry %+v; the model's %+v", l, g, m)
			}
			if g.CreatedAt.Before(prev) {
				t.Errorf("learner %s: entry %s is listed after a later one", l, g.ID)
			}
			prev = g.CreatedAt
		}
		if len(got) != entries {
			t.Errorf("learner %s: the ledger lists %d entries, the model has %d", l, len(got), entries)
		}
	}
}
