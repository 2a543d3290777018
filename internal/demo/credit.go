package demo

import (
	"fmt"
	"strings"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// creditBank tells the credit bank's chapter: the bureau sets conversion rules and a cross-region
// recognition rule; a learner's course at a Shanghai university, certificate from an enterprise
// and hours at a training centre become credits; a university in another region of the Yangtze
// River Delta recognises them and redeems them toward a qualification; the same credits cannot be
// redeemed twice.
func (s *story) creditBank() error {
	const (
		bureau    = devnet.Bureau
		riverside = devnet.Riverside
		lakeside  = devnet.Lakeside
		acme      = devnet.Acme
		sunrise   = devnet.Sunrise
		westlake  = devnet.Westlake
	)
	run := s.res.RunID
	ruleID := func(name string) string { return "demo-" + run + "-" + name }
	since := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

	s.printf("\nCredit bank — outcomes become credits, recognised across institutions and regions\n")
	gov, err := s.as(bureau, eduledger.StaffAdmin)
	if err != nil {
		return err
	}
	rules := []*eduledger.CreditRule{
		{ID: ruleID("course"), Name: eduledger.Name{Zh: "滨江大学《计算机网络》课程", En: "Riverside University course Computer Networks"},
			Source: eduledger.SourceRecord, RecordKind: eduledger.RecordCourse, IssuerID: riverside, Code: "CN201",
			Field: "computer-networks", Level: 6, Credits: 3000, EffectiveFrom: since},
		{ID: ruleID("certificate"), Name: eduledger.Name{Zh: "艾克米网络工程师证书", En: "Acme Certified Network Engineer"},
			Source: eduledger.SourceCredential, CredentialType: eduledger.TypeCertificate, IssuerID: acme,
			Field: "computer-networks", Level: 6, Credits: 4000, EffectiveFrom: since},
		{ID: ruleID("training"), Name: eduledger.Name{Zh: "朝阳职业培训学时", En: "Sunrise training hours"},
			Source: eduledger.SourceRecord, RecordKind: eduledger.RecordTraining, IssuerID: sunrise,
			Field: "network-operations", Level: 5, Credits: 1000, PerHours: 16, MaxCredits: 4000, EffectiveFrom: since},
	}
	if err := s.step("the bureau publishes conversion rules for a course, an enterprise certificate and training hours", func() (string, error) {
		var out []string
		for _, r := range rules {
			got, err := gov.PublishCreditRule(s.ctx, r)
			if err != nil {
				return "", err
			}
			if got.Version != 1 {
				return "", fmt.Errorf("rule %s is version %d, want 1", got.ID, got.Version)
			}
			out = append(out, worth(got))
		}
		return strings.Join(out, "; "), nil
	}); err != nil {
		return err
	}
	delta := &eduledger.RecognitionRule{ID: ruleID("delta"), Name: eduledger.Name{Zh: "长三角学分互认", En: "Yangtze River Delta credit recognition"},
		RecognizerID: westlake, FromRegion: "310000", FromMinLevel: 5, RatePermille: 1000, EffectiveFrom: since}
	if err := s.step("the bureau lets westlake-university (region 330100) recognise Shanghai's credits at par", func() (string, error) {
		got, err := gov.PublishRecognitionRule(s.ctx, delta)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("rule %s, from region %s at level %d and above, %d‰", got.ID, got.FromRegion, got.FromMinLevel, got.RatePermille), nil
	}); err != nil {
		return err
	}
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Second)
	if err := s.step("a new version of the training rule (1.000 per 12 hours) takes effect tomorrow", func() (string, error) {
		v2 := *rules[2]
		v2.PerHours, v2.EffectiveFrom = 12, tomorrow
		got, err := gov.PublishCreditRule(s.ctx, &v2)
		if err != nil {
			return "", err
		}
		if got.Version != 2 {
			return "", fmt.Errorf("version %d, want 2", got.Version)
		}
		return "version 2 from " + got.EffectiveFrom.Format(time.RFC3339) + "; version 1 keeps deciding for outcomes before it", nil
	}); err != nil {
		return err
	}
	if err := s.refused("the bureau backdates a new version of the course rule by a week (rules never change the past)", eduledger.ECONFLICT, func() error {
		v2 := *rules[0]
		v2.Credits, v2.EffectiveFrom = 4000, time.Now().UTC().Add(-7*24*time.Hour)
		_, err := gov.PublishCreditRule(s.ctx, &v2)
		return err
	}); err != nil {
		return err
	}

	rivReg, err := s.as(riverside, eduledger.StaffRegistrar)
	if err != nil {
		return err
	}
	li := &person{zh: "李明", en: "Li Ming", nationalID: "310110200207150035", born: "2002-07-15"}
	if err := s.step("riverside-university registers Li Ming (李明) and opens his credit account", func() (string, error) {
		l, err := s.register(rivReg, "C"+run+"001", li)
		if err != nil {
			return "", err
		}
		li.learner = l
		a, err := rivReg.OpenCreditAccount(s.ctx, l.ID)
		if err != nil {
			return "", err
		}
		return "account of " + a.LearnerID + ", opened by " + a.OpenedBy, nil
	}); err != nil {
		return err
	}
	if li.learner == nil {
		return nil
	}
	learner := li.learner.ID

	var course, cert, training *eduledger.CreditEntry
	if err := s.step("riverside-university records his Computer Networks course and deposits it", func() (string, error) {
		r, err := s.recordOutcome(riverside, learner, eduledger.RecordCourse, "CN201", eduledger.Name{Zh: "计算机网络", En: "Computer Networks"},
			"computer-networks", 6, 48, time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), "A (91/100)")
		if err != nil {
			return "", err
		}
		iss, err := s.as(riverside, eduledger.StaffIssuer)
		if err != nil {
			return "", err
		}
		course, err = s.depositAs(iss, learner, eduledger.SourceRecord, r.ID, rules[0].ID, 3000)
		if err != nil {
			return "", err
		}
		return entryLine(course) + "; the grade stays in riverside-university's private data", nil
	}); err != nil {
		return err
	}
	if err := s.step("acme-networks issues him a signed network engineer certificate and deposits it", func() (string, error) {
		is, err := s.issuerKeys(acme)
		if err != nil {
			return "", err
		}
		issued, err := is.Issue(s.certificate(acme, learner))
		if err != nil {
			return "", err
		}
		iss, err := s.as(acme, eduledger.StaffIssuer)
		if err != nil {
			return "", err
		}
		if _, err := iss.AnchorCredential(s.ctx, &issued.Anchor); err != nil {
			return "", err
		}
		if err := s.save("certificate-"+learner+".json", issued.JSON); err != nil {
			return "", err
		}
		cert, err = s.depositAs(iss, learner, eduledger.SourceCredential, issued.ID, rules[1].ID, 4000)
		if err != nil {
			return "", err
		}
		return entryLine(cert), nil
	}); err != nil {
		return err
	}
	if err := s.step("sunrise-training records 40 hours of training; his school deposits them under the rule of that date", func() (string, error) {
		r, err := s.recordOutcome(sunrise, learner, eduledger.RecordTraining, "NETOPS-40", eduledger.Name{Zh: "网络运维实训", En: "Network Operations Bootcamp"},
			"network-operations", 5, 40, time.Date(2025, 11, 15, 0, 0, 0, 0, time.UTC), "pass")
		if err != nil {
			return "", err
		}
		training, err = s.depositAs(rivReg, learner, eduledger.SourceRecord, r.ID, rules[2].ID, 2500)
		if err != nil {
			return "", err
		}
		if training.RuleVersion != 1 {
			return "", fmt.Errorf("deposited under version %d, want 1", training.RuleVersion)
		}
		return entryLine(training) + " (40 h at 1.000 per 16 h, version 1)", nil
	}); err != nil {
		return err
	}
	if course == nil || cert == nil || training == nil {
		return nil
	}
	reader, err := s.as(bureau, eduledger.StaffIssuer)
	if err != nil {
		return err
	}
	if err := s.step("his statement: 7.000 credits in computer-networks (level 6), 2.500 in network-operations (level 5)", func() (string, error) {
		return s.checkStatement(reader, learner, "", 9500, 0, map[string]int64{"computer-networks/6": 7000, "network-operations/5": 2500})
	}); err != nil {
		return err
	}

	lakeReg, err := s.as(lakeside, eduledger.StaffRegistrar)
	if err != nil {
		return err
	}
	westReg, err := s.as(westlake, eduledger.StaffRegistrar)
	if err != nil {
		return err
	}
	for _, c := range []struct {
		title, code string
		run         func() error
	}{
		{"acme-networks deposits the same certificate a second time", eduledger.ECONFLICT, func() error {
			iss, err := s.as(acme, eduledger.StaffIssuer)
			if err != nil {
				return err
			}
			_, err = iss.DepositCredits(s.ctx, &eduledger.DepositRequest{LearnerID: learner, Source: eduledger.SourceCredential, OutcomeID: cert.Outcome.ID, RuleID: rules[1].ID})
			return err
		}},
		{"lakeside-college, which no rule names, recognises his course credits", eduledger.EFORBIDDEN, func() error {
			_, err := lakeReg.RecognizeCredits(s.ctx, &eduledger.RecognitionRequest{LearnerID: learner, EntryID: course.ID, RuleID: delta.ID})
			return err
		}},
		{"acme-networks' admin publishes a conversion rule (only the bureau may)", eduledger.EFORBIDDEN, func() error {
			c, err := s.as(acme, eduledger.StaffAdmin)
			if err != nil {
				return err
			}
			r := *rules[1]
			r.ID, r.Credits = ruleID("self-serving"), 40000
			_, err = c.PublishCreditRule(s.ctx, &r)
			return err
		}},
		{"westlake-university redeems his credits before recognising them", eduledger.EFORBIDDEN, func() error {
			_, err := westReg.RedeemCredits(s.ctx, s.transfer(westlake, learner, "early", []*eduledger.CreditEntry{course}))
			return err
		}},
	} {
		if err := s.refused(c.title, c.code, c.run); err != nil {
			return err
		}
	}

	var recognized []*eduledger.CreditEntry
	if err := s.step("westlake-university (Hangzhou, 330100) recognises all three under the Yangtze River Delta rule", func() (string, error) {
		for _, e := range []*eduledger.CreditEntry{course, cert, training} {
			rec, err := westReg.RecognizeCredits(s.ctx, &eduledger.RecognitionRequest{LearnerID: learner, EntryID: e.ID, RuleID: delta.ID})
			if err != nil {
				return "", err
			}
			r := rec.Recognized
			if !r.CrossRegion || r.Amount != e.Amount || r.HolderID != westlake || rec.Original.Remaining != 0 {
				return "", fmt.Errorf("recognised %+v from %+v", r, rec.Original)
			}
			recognized = append(recognized, &r)
		}
		return fmt.Sprintf("%d entries, %s credits now held by %s, each pointing to its original", len(recognized),
			eduledger.FormatCredits(course.Amount+cert.Amount+training.Amount), westlake), nil
	}); err != nil {
		return err
	}
	if len(recognized) != 3 {
		return nil
	}
	var redemption *eduledger.Redemption
	if err := s.step("westlake-university redeems the 9.500 credits toward its network engineering degree", func() (string, error) {
		var err error
		redemption, err = westReg.RedeemCredits(s.ctx, s.transfer(westlake, learner, "transfer", recognized))
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("redemption %s: %s credits from %d entries, atomically", redemption.ID, eduledger.FormatCredits(redemption.Total), len(redemption.Parts)), nil
	}); err != nil {
		return err
	}
	if err := s.refused("westlake-university redeems the same credits a second time", eduledger.ECONFLICT, func() error {
		_, err := westReg.RedeemCredits(s.ctx, s.transfer(westlake, learner, "again", recognized))
		return err
	}); err != nil {
		return err
	}
	if err := s.step("his statement balances: every credit deposited, recognised once and redeemed once", func() (string, error) {
		return s.checkStatement(reader, learner, "", 0, 9500, map[string]int64{"computer-networks/6": 0, "network-operations/5": 0})
	}); err != nil {
		return err
	}
	if err := s.step("his lifelong archive lists the course, the training and the certificate in the order he earned them", func() (string, error) {
		p, err := reader.GetLearnerArchive(s.ctx, learner, eduledger.MaxPageSize, "")
		if err != nil {
			return "", err
		}
		var titles []string
		for _, it := range p.Items {
			switch {
			case it.Record != nil:
				titles = append(titles, it.At.Format(time.DateOnly)+" "+it.Record.Title.En)
			case it.Credential != nil:
				titles = append(titles, it.At.Format(time.DateOnly)+" "+string(it.Credential.Type)+" from "+it.Credential.IssuerID)
			}
		}
		if len(p.Items) != 3 || p.Items[0].Record == nil || p.Items[0].Record.Code != "CN201" || p.Items[1].Record == nil || p.Items[2].Credential == nil {
			return "", fmt.Errorf("archive %v", titles)
		}
		return strings.Join(titles, "; "), nil
	}); err != nil {
		return err
	}
	return nil
}

// recordOutcome records a learning outcome of orgID for a learner, with its full record (result
// and assessment) in the transient map only.
func (s *story) recordOutcome(orgID, learnerID string, kind eduledger.RecordKind, code string, title eduledger.Name,
	field string, level, hours int, date time.Time, result string) (*eduledger.LearningRecord, error) {
	id := "urn:uuid:" + uuidV4()
	d := &eduledger.LearningRecordDetail{RecordID: id, LearnerID: learnerID, Result: result,
		Assessment: "coursework and a final assessment", Salt: randomHex(32)}
	iss, err := s.as(orgID, eduledger.StaffIssuer)
	if err != nil {
		return nil, err
	}
	return iss.RecordLearningOutcome(s.ctx, &eduledger.LearningRecord{ID: id, LearnerID: learnerID, IssuerID: orgID, Kind: kind,
		Title: title, Code: code, Field: field, Level: level, Hours: hours, Date: date, Digest: d.Digest()}, d)
}

// depositAs deposits an outcome and checks the amount the ledger's rule gave it.
func (s *story) depositAs(c *ledger.Client, learnerID string, src eduledger.OutcomeSource, outcomeID, ruleID string, want int64) (*eduledger.CreditEntry, error) {
	e, err := c.DepositCredits(s.ctx, &eduledger.DepositRequest{LearnerID: learnerID, Source: src, OutcomeID: outcomeID, RuleID: ruleID})
	if err != nil {
		return nil, err
	}
	if e.Amount != want {
		return nil, fmt.Errorf("deposited %s credits, want %s", eduledger.FormatCredits(e.Amount), eduledger.FormatCredits(want))
	}
	return e, nil
}

// transfer is a redemption of everything left in entries toward westlake's degree.
func (s *story) transfer(orgID, learnerID, name string, entries []*eduledger.CreditEntry) *eduledger.Redemption {
	r := &eduledger.Redemption{ID: "demo-" + s.res.RunID + "-" + name, LearnerID: learnerID, InstitutionID: orgID,
		Qualification: eduledger.Qualification{Code: "BENG-NE-TRANSFER", MinLevel: 5,
			Name: eduledger.Name{Zh: "网络工程专业（工学学士）转入学分", En: "BEng Network Engineering, transferred credits"}}}
	for _, e := range entries {
		r.Parts = append(r.Parts, eduledger.RedemptionPart{EntryID: e.ID, Amount: e.Remaining})
		r.Qualification.Credits += e.Remaining
	}
	return r
}

// checkStatement reads a learner's statement and checks its balances (by "field/level") and the
// totals balance and redeemed.
func (s *story) checkStatement(c *ledger.Client, learnerID, holderID string, balance, redeemed int64, want map[string]int64) (string, error) {
	st, err := c.GetCreditStatement(s.ctx, learnerID, holderID)
	if err != nil {
		return "", err
	}
	var out []string
	for _, b := range st.Balances {
		k := fmt.Sprintf("%s/%d", b.Field, b.Level)
		w, ok := want[k]
		if !ok || b.Balance != w {
			return "", fmt.Errorf("balance %s is %s, want %s", k, eduledger.FormatCredits(b.Balance), eduledger.FormatCredits(w))
		}
		if b.Balance != b.Deposited+b.Recognized-b.TransferredOut-b.Redeemed {
			return "", fmt.Errorf("balance %s does not add up: %+v", k, b)
		}
		out = append(out, fmt.Sprintf("%s L%d %s", b.Field, b.Level, eduledger.FormatCredits(b.Balance)))
	}
	t := st.Total
	if len(st.Balances) != len(want) || t.Balance != balance || t.Redeemed != redeemed {
		return "", fmt.Errorf("statement %+v, want balance %s and %s redeemed", t, eduledger.FormatCredits(balance), eduledger.FormatCredits(redeemed))
	}
	return fmt.Sprintf("%s; deposited %s, recognised %s, transferred %s, redeemed %s, balance %s", strings.Join(out, ", "),
		eduledger.FormatCredits(t.Deposited), eduledger.FormatCredits(t.Recognized), eduledger.FormatCredits(t.TransferredOut),
		eduledger.FormatCredits(t.Redeemed), eduledger.FormatCredits(t.Balance)), nil
}

// certificate builds an enterprise's professional certificate for a learner.
func (s *story) certificate(orgID, learnerID string) *credential.Credential {
	c := credential.New(eduledger.TypeCertificate, learnerID)
	c.Name = credential.Text{Zh: "网络工程师认证证书", En: "Certified Network Engineer"}
	c.Subject.Achievement = &credential.Achievement{
		ID:              "urn:eduledger:certification:" + orgID + ":cne",
		AchievementType: "Certification",
		Name:            credential.Text{Zh: "艾克米认证网络工程师", En: "Acme Certified Network Engineer"},
		Criteria:        credential.Criteria{Narrative: credential.Text{Zh: "通过理论考试和实操考核。", En: "Pass the written and the hands-on examination."}},
		FieldOfStudy:    "Computer Networks",
	}
	c.Subject.CertificateNumber = "ACNE-" + strings.ToUpper(s.res.RunID)
	return c
}

func worth(r *eduledger.CreditRule) string {
	amount := eduledger.FormatCredits(r.Credits)
	if r.PerHours > 0 {
		amount += fmt.Sprintf(" per %d h", r.PerHours)
	}
	return fmt.Sprintf("%s = %s in %s L%d", r.Name.En, amount, r.Field, r.Level)
}

func entryLine(e *eduledger.CreditEntry) string {
	return fmt.Sprintf("%s credits in %s L%d, held by %s, under %s v%d", eduledger.FormatCredits(e.Amount), e.Field, e.Level, e.HolderID, e.RuleID, e.RuleVersion)
}

func uuidV4() string {
	b := randomHex(16)
	return b[0:8] + "-" + b[8:12] + "-4" + b[13:16] + "-a" + b[17:20] + "-" + b[20:32]
}
