package ledgertest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// The lifelong archive and the credit bank. The cast: the suite's school (Shanghai district
// 310104) records a course; the suite's enterprise anchors a certificate; a training provider
// records a training course; a university of another region (330100) recognises the credits under
// a cross-region rule and redeems them toward a qualification.

// creditCast is what the credit scenarios share.
type creditCast struct {
	training, remote *orgFixture
	courseRule       *eduledger.CreditRule
	certRule         *eduledger.CreditRule
	trainingRule     *eduledger.CreditRule
	crossRegion      *eduledger.RecognitionRule
}

// admitIn admits an organisation of the given kind in region and connects its staff.
func (s *suite) admitIn(t testing.TB, name string, kind eduledger.OrgKind, mspID, region string) *orgFixture {
	t.Helper()
	f := s.admit(t, name, kind, mspID)
	f.org = must(s.govAdmin.UpdateOrganization(t.Context(), &eduledger.OrganizationUpdate{ID: f.org.ID, Name: f.org.Name, RegionCode: region}))(t)
	return f
}

func (s *suite) creditCast(t testing.TB) *creditCast {
	t.Helper()
	ctx := t.Context()
	c := &creditCast{
		training: s.admitIn(t, "credit-training", eduledger.KindTraining, EnterpriseMSP, "310104"),
		remote:   s.admitIn(t, "credit-remote-university", eduledger.KindSchool, SchoolMSP, "330100"),
	}
	s.accredit(t, c.training.org.ID, eduledger.TypeTrainingCertificate, hoursFromNow(-1), zeroTime)
	s.accredit(t, s.enterprise.org.ID, eduledger.TypeCertificate, hoursFromNow(-1), zeroTime)
	since := hoursFromNow(-2)
	c.courseRule = must(s.govAdmin.PublishCreditRule(ctx, &eduledger.CreditRule{ID: s.id("course-rule"),
		Name: eduledger.Name{Zh: "计算机网络课程", En: "Computer Networks course"}, Source: eduledger.SourceRecord,
		RecordKind: eduledger.RecordCourse, IssuerID: s.school.org.ID, Code: "CN201",
		Field: "computer-networks", Level: 6, Credits: 3000, EffectiveFrom: since}))(t)
	c.certRule = must(s.govAdmin.PublishCreditRule(ctx, &eduledger.CreditRule{ID: s.id("cert-rule"),
		Name: eduledger.Name{Zh: "企业网络工程师证书", En: "Enterprise network engineer certificate"}, Source: eduledger.SourceCredential,
		CredentialType: eduledger.TypeCertificate, IssuerID: s.enterprise.org.ID,
		Field: "computer-networks", Level: 6, Credits: 4000, EffectiveFrom: since}))(t)
	c.trainingRule = must(s.govAdmin.PublishCreditRule(ctx, &eduledger.CreditRule{ID: s.id("training-rule"),
		Name: eduledger.Name{Zh: "职业培训学时", En: "Vocational training hours"}, Source: eduledger.SourceRecord,
		RecordKind: eduledger.RecordTraining, Field: "network-operations", Level: 5,
		Credits: 1000, PerHours: 16, MaxCredits: 4000, EffectiveFrom: since}))(t)
	c.crossRegion = must(s.govAdmin.PublishRecognitionRule(ctx, &eduledger.RecognitionRule{ID: s.id("delta-recognition"),
		Name: eduledger.Name{Zh: "长三角学分互认", En: "Yangtze River Delta credit recognition"}, RecognizerID: c.remote.org.ID,
		FromRegion: "310104", FromMinLevel: 5, RatePermille: 1000, EffectiveFrom: since}))(t)
	return c
}

// newRecord returns a learning record of issuer for a learner, dated at, and its full record.
func newRecord(issuer *orgFixture, learnerID string, kind eduledger.RecordKind, code string, hours int, at time.Time) (*eduledger.LearningRecord, *eduledger.LearningRecordDetail) {
	id := "urn:uuid:" + uuid()
	d := &eduledger.LearningRecordDetail{RecordID: id, LearnerID: learnerID, Result: "92/100 " + randomHex(4),
		Assessment: "project and written exam", Evidence: []string{"archive://" + randomHex(6)}, Notes: "teacher's remark " + randomHex(6), Salt: randomHex(32)}
	return &eduledger.LearningRecord{ID: id, LearnerID: learnerID, IssuerID: issuer.org.ID, Kind: kind,
		Title: eduledger.Name{Zh: "学习成果 " + code, En: "Learning outcome " + code}, Code: code, Field: "computer-networks", Level: 6,
		Hours: hours, CreditsClaimed: 3000, Date: at, Digest: d.Digest()}, d
}

func (s *suite) testArchive(t *testing.T) {
	ctx := t.Context()
	l := s.register(t, s.school, "archive-learner")
	// Outcomes recorded out of time order: the archive lists them in the order they happened.
	course, courseDetail := newRecord(s.school, l.ID, eduledger.RecordCourse, "CN201", 48, hoursFromNow(-0.5))
	got := must(s.school.issuer.RecordLearningOutcome(ctx, course, courseDetail))(t)
	if got.Status != eduledger.RecordActive || got.TxID == "" || got.RecordedAt.IsZero() || got.Digest != courseDetail.Digest() {
		t.Fatalf("recorded = %+v", got)
	}
	diploma := s.anchor(t, s.school, l.ID, eduledger.TypeDiploma) // issued a minute ago
	practice, practiceDetail := newRecord(s.enterprise, l.ID, eduledger.RecordPractice, "INTERN-7", 320, hoursFromNow(-0.75))
	must(s.enterprise.registrar.RecordLearningOutcome(ctx, practice, practiceDetail))(t)

	var order []string
	bookmark := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("the archive's pages do not end")
		}
		p := must(s.enterprise.issuer.GetLearnerArchive(ctx, l.ID, 2, bookmark))(t)
		for _, it := range p.Items {
			switch {
			case it.Record != nil && it.Credential == nil:
				order = append(order, it.Record.ID)
				if !it.At.Equal(it.Record.Date) {
					t.Errorf("archive item at %s for a record dated %s", it.At, it.Record.Date)
				}
			case it.Credential != nil && it.Record == nil:
				order = append(order, it.Credential.ID)
			default:
				t.Errorf("archive item %+v holds not exactly one outcome", it)
			}
		}
		if p.Bookmark == "" || len(p.Items) == 0 {
			break
		}
		bookmark = p.Bookmark
	}
	if want := []string{practice.ID, course.ID, diploma.ID}; !slices.Equal(order, want) {
		t.Errorf("archive order %v, want practice, course, diploma (outcome order) %v", order, want)
	}

	// The summary is public and holds none of the full record; the full record is the issuer's.
	raw, err := s.school2.issuer.Ledger().Evaluate(ctx, &ledger.Transaction{Function: "GetLearningRecord", Args: []string{course.ID}})
	if err != nil {
		t.Fatal(err)
	}
	assertNoRecordDetail(t, "the public learning record", raw, courseDetail)
	if r := must(s.school2.issuer.GetLearningRecordByDigest(ctx, courseDetail.Digest()))(t); r.ID != course.ID {
		t.Errorf("GetLearningRecordByDigest = %+v", r)
	}
	for _, c := range []*ledger.Client{s.school.issuer, s.school.registrar, s.school.admin} {
		d := must(c.GetLearningRecordDetail(ctx, course.ID))(t)
		if d.Digest() != course.Digest || d.Result != courseDetail.Result {
			t.Errorf("the recording school reads back %+v", d)
		}
	}
	for _, c := range []*ledger.Client{s.school2.registrar, s.enterprise.registrar, s.govAdmin} {
		_, err := c.GetLearningRecordDetail(ctx, course.ID)
		wantCode(t, err, eduledger.EFORBIDDEN)
	}
	if !listsRecord(t, s.govAdmin, s.enterprise.org.ID, practice.ID) {
		t.Errorf("ListLearningRecordsByIssuer misses the enterprise's record")
	}

	t.Run("records that break a rule are refused", func(t *testing.T) {
		wrongDigest, wrongDigestDetail := newRecord(s.school, l.ID, eduledger.RecordCourse, "CN202", 16, hoursFromNow(-0.2))
		wrongDigest.Digest = randomHex(32)
		otherRecord, _ := newRecord(s.school, l.ID, eduledger.RecordCourse, "CN202", 16, hoursFromNow(-0.2))
		future, futureDetail := newRecord(s.school, l.ID, eduledger.RecordCourse, "CN203", 16, hoursFromNow(24))
		fresh := func(issuer *orgFixture, learnerID string, kind eduledger.RecordKind) func() (*eduledger.LearningRecord, *eduledger.LearningRecordDetail) {
			return func() (*eduledger.LearningRecord, *eduledger.LearningRecordDetail) {
				return newRecord(issuer, learnerID, kind, "X1", 16, hoursFromNow(-0.1))
			}
		}
		given := func(r *eduledger.LearningRecord, d *eduledger.LearningRecordDetail) func() (*eduledger.LearningRecord, *eduledger.LearningRecordDetail) {
			return func() (*eduledger.LearningRecord, *eduledger.LearningRecordDetail) { return r, d }
		}
		for _, tc := range []struct {
			name   string
			client *ledger.Client
			record func() (*eduledger.LearningRecord, *eduledger.LearningRecordDetail)
			code   string
		}{
			{"the same record again", s.school.issuer, given(course, courseDetail), eduledger.ECONFLICT},
			{"a full record that does not match the digest", s.school.issuer, given(wrongDigest, wrongDigestDetail), eduledger.EINVALID},
			{"a full record of another record", s.school.issuer, given(otherRecord, courseDetail), eduledger.EINVALID},
			{"a date a day ahead", s.school.issuer, given(future, futureDetail), eduledger.EINVALID},
			{"another organisation as issuer", s.school2.issuer, fresh(s.school, l.ID, eduledger.RecordCourse), eduledger.EFORBIDDEN},
			{"an admin, who does not record", s.school.admin, fresh(s.school, l.ID, eduledger.RecordCourse), eduledger.EFORBIDDEN},
			{"a kind the school is not accredited for (training)", s.school.issuer, fresh(s.school, l.ID, eduledger.RecordTraining), eduledger.EFORBIDDEN},
			{"the governing organisation, which does not teach", s.client(t, s.gov.MSPID, s.gov.ID, eduledger.StaffIssuer), fresh(&orgFixture{org: s.gov}, l.ID, eduledger.RecordAward), eduledger.EFORBIDDEN},
			{"an unregistered learner", s.school.issuer, fresh(s.school, s.id("ghost"), eduledger.RecordCourse), eduledger.ENOTFOUND},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r, d := tc.record()
				_, err := tc.client.RecordLearningOutcome(ctx, r, d)
				wantCode(t, err, tc.code)
			})
		}
		// Without the full record in the transient map the chaincode refuses.
		r, _ := fresh(s.school, l.ID, eduledger.RecordCourse)()
		b, _ := json.Marshal(r)
		_, err := s.school.issuer.Ledger().Submit(ctx, &ledger.Transaction{Function: "RecordLearningOutcome", Args: []string{string(b)}})
		wantCode(t, err, eduledger.EINVALID)
	})

	t.Run("a revoked record stays in the archive, revoked for good", func(t *testing.T) {
		_, err := s.school.issuer.RevokeLearningRecord(ctx, course.ID, eduledger.ReasonIssuedInError)
		wantCode(t, err, eduledger.EFORBIDDEN) // the issuer role records; registrars and admins revoke
		_, err = s.school2.registrar.RevokeLearningRecord(ctx, course.ID, eduledger.ReasonIssuedInError)
		wantCode(t, err, eduledger.EFORBIDDEN)
		_, err = s.school.registrar.RevokeLearningRecord(ctx, course.ID, eduledger.ReasonReinstated)
		wantCode(t, err, eduledger.EINVALID)
		r := must(s.school.registrar.RevokeLearningRecord(ctx, course.ID, eduledger.ReasonIssuedInError))(t)
		if r.Status != eduledger.RecordRevoked || r.StatusReason != eduledger.ReasonIssuedInError || r.StatusChangedAt.IsZero() {
			t.Errorf("revoked = %+v", r)
		}
		_, err = s.govAdmin.RevokeLearningRecord(ctx, course.ID, eduledger.ReasonFraud)
		wantCode(t, err, eduledger.ECONFLICT)
		must(s.govAdmin.RevokeLearningRecord(ctx, practice.ID, eduledger.ReasonFraud))(t) // the bureau may revoke any record
		p := must(s.enterprise.issuer.GetLearnerArchive(ctx, l.ID, 10, ""))(t)
		if len(p.Items) != 3 || p.Items[1].Record == nil || p.Items[1].Record.Status != eduledger.RecordRevoked {
			t.Errorf("archive after revocation = %+v", p.Items)
		}
	})
	_, err = s.school.issuer.GetLearnerArchive(ctx, s.id("nobody"), 10, "")
	wantCode(t, err, eduledger.ENOTFOUND)
	_, err = s.school.issuer.GetLearningRecord(ctx, "urn:uuid:"+uuid())
	wantCode(t, err, eduledger.ENOTFOUND)
}

func (s *suite) testCreditBank(t *testing.T) {
	ctx := t.Context()
	cast := s.creditCast(t)
	l := s.register(t, s.school, "credit-learner")
	other := s.register(t, s.school, "credit-other")
	_, err := s.school.registrar.DepositCredits(ctx, &eduledger.DepositRequest{LearnerID: l.ID, Source: eduledger.SourceRecord,
		OutcomeID: "urn:uuid:" + uuid(), RuleID: cast.courseRule.ID})
	wantCode(t, err, eduledger.ENOTFOUND) // no such record (and no account yet)
	_, err = s.enterprise.admin.OpenCreditAccount(ctx, l.ID)
	wantCode(t, err, eduledger.EFORBIDDEN) // only the registering school opens it
	acct := must(s.school.registrar.OpenCreditAccount(ctx, l.ID))(t)
	if acct.LearnerID != l.ID || acct.OpenedBy != s.school.org.ID || acct.OpenedAt.IsZero() {
		t.Errorf("account = %+v", acct)
	}
	_, err = s.school.admin.OpenCreditAccount(ctx, l.ID)
	wantCode(t, err, eduledger.ECONFLICT)
	must(s.school.registrar.OpenCreditAccount(ctx, other.ID))(t)

	// Three outcomes: a school course, an enterprise certificate, 40 hours of training.
	course, courseDetail := newRecord(s.school, l.ID, eduledger.RecordCourse, "CN201", 48, hoursFromNow(-0.5))
	must(s.school.issuer.RecordLearningOutcome(ctx, course, courseDetail))(t)
	cert := s.anchor(t, s.enterprise, l.ID, eduledger.TypeCertificate)
	training, trainingDetail := newRecord(cast.training, l.ID, eduledger.RecordTraining, "NETOPS", 40, hoursFromNow(-0.4))
	must(cast.training.issuer.RecordLearningOutcome(ctx, training, trainingDetail))(t)

	deposit := func(c *ledger.Client, learner string, src eduledger.OutcomeSource, id, rule string) (*eduledger.CreditEntry, error) {
		return c.DepositCredits(ctx, &eduledger.DepositRequest{LearnerID: learner, Source: src, OutcomeID: id, RuleID: rule})
	}
	courseEntry := must(deposit(s.school.issuer, l.ID, eduledger.SourceRecord, course.ID, cast.courseRule.ID))(t)
	certEntry := must(deposit(s.enterprise.issuer, l.ID, eduledger.SourceCredential, cert.ID, cast.certRule.ID))(t)
	// The learner's registering school may deposit an outcome of another issuer on the learner's behalf.
	trainingEntry := must(deposit(s.school.registrar, l.ID, eduledger.SourceRecord, training.ID, cast.trainingRule.ID))(t)
	for _, c := range []struct {
		e                   *eduledger.CreditEntry
		holder, field, rule string
		level               int
		amount              int64
	}{
		{courseEntry, s.school.org.ID, "computer-networks", cast.courseRule.ID, 6, 3000},
		{certEntry, s.enterprise.org.ID, "computer-networks", cast.certRule.ID, 6, 4000},
		{trainingEntry, cast.training.org.ID, "network-operations", cast.trainingRule.ID, 5, 2500}, // 40 h at 1.000 per 16 h
	} {
		e := c.e
		if e.Kind != eduledger.EntryDeposit || e.HolderID != c.holder || e.Field != c.field || e.Level != c.level ||
			e.Amount != c.amount || e.Remaining != c.amount || e.RuleID != c.rule || e.RuleVersion != 1 || e.LearnerID != l.ID {
			t.Errorf("deposited entry %+v; want %s credits held by %s in %s at level %d", e, eduledger.FormatCredits(c.amount), c.holder, c.field, c.level)
		}
	}
	if !certEntry.Outcome.Date.Equal(cert.IssuedAt) || certEntry.Outcome.Source != eduledger.SourceCredential || certEntry.Outcome.ID != cert.ID {
		t.Errorf("the certificate entry's outcome = %+v", certEntry.Outcome)
	}
	wantStatement(t, must(s.school.issuer.GetCreditStatement(ctx, l.ID, ""))(t), []eduledger.CreditBalance{
		{Field: "computer-networks", Level: 6, Deposited: 7000, Balance: 7000},
		{Field: "network-operations", Level: 5, Deposited: 2500, Balance: 2500},
	})

	t.Run("deposits that break a rule are refused", func(t *testing.T) {
		unused, unusedDetail := newRecord(s.school, l.ID, eduledger.RecordCourse, "CN201", 32, hoursFromNow(-0.3))
		must(s.school.issuer.RecordLearningOutcome(ctx, unused, unusedDetail))(t)
		otherCode, otherCodeDetail := newRecord(s.school, l.ID, eduledger.RecordCourse, "MATH1", 32, hoursFromNow(-0.3))
		must(s.school.issuer.RecordLearningOutcome(ctx, otherCode, otherCodeDetail))(t)
		revoked, revokedDetail := newRecord(s.school, l.ID, eduledger.RecordCourse, "CN201", 32, hoursFromNow(-0.3))
		must(s.school.issuer.RecordLearningOutcome(ctx, revoked, revokedDetail))(t)
		must(s.school.registrar.RevokeLearningRecord(ctx, revoked.ID, eduledger.ReasonIssuedInError))(t)
		otherCert := s.anchor(t, s.enterprise, other.ID, eduledger.TypeCertificate)
		for _, tc := range []struct {
			name   string
			client *ledger.Client
			d      *eduledger.DepositRequest
			code   string
		}{
			{"the same course again", s.school.issuer, dep(l.ID, eduledger.SourceRecord, course.ID, cast.courseRule.ID), eduledger.ECONFLICT},
			{"the same certificate again, by the registering school", s.school.registrar, dep(l.ID, eduledger.SourceCredential, cert.ID, cast.certRule.ID), eduledger.ECONFLICT},
			{"a course under the certificate rule", s.school.issuer, dep(l.ID, eduledger.SourceRecord, unused.ID, cast.certRule.ID), eduledger.ECONFLICT},
			{"a course with another code than the rule's", s.school.issuer, dep(l.ID, eduledger.SourceRecord, otherCode.ID, cast.courseRule.ID), eduledger.ECONFLICT},
			{"a revoked record", s.school.issuer, dep(l.ID, eduledger.SourceRecord, revoked.ID, cast.courseRule.ID), eduledger.ECONFLICT},
			{"another learner's certificate into this account", s.enterprise.issuer, dep(l.ID, eduledger.SourceCredential, otherCert.ID, cast.certRule.ID), eduledger.ECONFLICT},
			{"an unknown rule", s.school.issuer, dep(l.ID, eduledger.SourceRecord, unused.ID, s.id("no-rule")), eduledger.ENOTFOUND},
			{"an unknown learner", s.school.issuer, dep(s.id("ghost"), eduledger.SourceRecord, unused.ID, cast.courseRule.ID), eduledger.ENOTFOUND},
			{"by an organisation that neither issued it nor registered the learner", s.enterprise.issuer, dep(l.ID, eduledger.SourceRecord, unused.ID, cast.courseRule.ID), eduledger.EFORBIDDEN},
			{"by another school's registrar", s.school2.registrar, dep(l.ID, eduledger.SourceRecord, unused.ID, cast.courseRule.ID), eduledger.EFORBIDDEN},
			{"with a source that is neither record nor credential", s.school.issuer, dep(l.ID, "BADGE", unused.ID, cast.courseRule.ID), eduledger.EINVALID},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := tc.client.DepositCredits(ctx, tc.d)
				wantCode(t, err, tc.code)
			})
		}
	})

	// westlake-like: a university of another region recognises all three under the cross-region rule.
	remote := cast.remote
	recognize := func(c *ledger.Client, e *eduledger.CreditEntry, amount int64) (*eduledger.Recognition, error) {
		return c.RecognizeCredits(ctx, &eduledger.RecognitionRequest{LearnerID: l.ID, EntryID: e.ID, RuleID: cast.crossRegion.ID, Amount: amount})
	}
	t.Run("recognitions that break a rule are refused", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			client *ledger.Client
			amount int64
			code   string
		}{
			{"by a school the rule does not name", s.school2.registrar, 0, eduledger.EFORBIDDEN},
			{"by the recogniser's issuer role", remote.issuer, 0, eduledger.EFORBIDDEN},
			{"of more credits than remain", remote.registrar, 3001, eduledger.ECONFLICT},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := recognize(tc.client, courseEntry, tc.amount)
				wantCode(t, err, tc.code)
			})
		}
		_, err := remote.registrar.RecognizeCredits(ctx, &eduledger.RecognitionRequest{LearnerID: l.ID, EntryID: courseEntry.ID, RuleID: s.id("no-rule")})
		wantCode(t, err, eduledger.ENOTFOUND)
	})
	var recognized []*eduledger.CreditEntry
	for _, e := range []*eduledger.CreditEntry{courseEntry, certEntry, trainingEntry} {
		rec := must(recognize(remote.registrar, e, 0))(t)
		r, o := rec.Recognized, rec.Original
		if r.Kind != eduledger.EntryRecognition || r.HolderID != remote.org.ID || r.Amount != e.Amount || r.Remaining != e.Amount ||
			r.OriginalEntryID != e.ID || !r.CrossRegion || r.FromRegion != "310104" || r.Field != e.Field || r.Level != e.Level || r.Outcome.ID != e.Outcome.ID {
			t.Errorf("recognised entry %+v for %+v", r, e)
		}
		if o.Remaining != 0 || o.TransferredOut != e.Amount || o.Redeemed != 0 || o.UseCount != 1 || o.LastUse == nil ||
			o.LastUse.Kind != eduledger.UseRecognized || o.LastUse.Ref != r.ID || o.LastUse.Amount != e.Amount {
			t.Errorf("original after recognition %+v", o)
		}
		recognized = append(recognized, &r)
	}
	_, err = recognize(remote.registrar, courseEntry, 0)
	wantCode(t, err, eduledger.ECONFLICT) // nothing left to recognise
	// What the remote university may redeem: everything, now held by it.
	wantStatement(t, must(remote.registrar.GetCreditStatement(ctx, l.ID, remote.org.ID))(t), []eduledger.CreditBalance{
		{Field: "computer-networks", Level: 6, Recognized: 7000, Balance: 7000},
		{Field: "network-operations", Level: 5, Recognized: 2500, Balance: 2500},
	})

	// Redemption toward a qualification: 8.000 credits, of which 1.000 from the 2.500 of training.
	parts := []eduledger.RedemptionPart{{EntryID: recognized[0].ID, Amount: 3000}, {EntryID: recognized[1].ID, Amount: 4000}, {EntryID: recognized[2].ID, Amount: 1000}}
	qual := eduledger.Qualification{Code: "NE-BSC-TRANSFER", Name: eduledger.Name{Zh: "网络工程专业学分转入", En: "Network Engineering credit transfer"}, MinLevel: 5, Credits: 8000}
	redeem := func(c *ledger.Client, inst *orgFixture, id string, q eduledger.Qualification, ps ...eduledger.RedemptionPart) (*eduledger.Redemption, error) {
		return c.RedeemCredits(ctx, &eduledger.Redemption{ID: id, LearnerID: l.ID, InstitutionID: inst.org.ID, Qualification: q, Parts: ps})
	}
	t.Run("redemptions that break a rule are refused", func(t *testing.T) {
		short := qual
		short.Credits = 7000
		field := qual
		field.Field = "computer-networks"
		level := qual
		level.MinLevel = 6
		for _, tc := range []struct {
			name   string
			client *ledger.Client
			inst   *orgFixture
			q      eduledger.Qualification
			code   string
		}{
			{"by the school, which no longer holds the credits", s.school.registrar, s.school, qual, eduledger.EFORBIDDEN},
			{"by an enterprise, which awards no qualification", s.enterprise.registrar, s.enterprise, qual, eduledger.EFORBIDDEN},
			{"by the remote university's issuer role", remote.issuer, remote, qual, eduledger.EFORBIDDEN},
			{"for another institution", remote.registrar, s.school, qual, eduledger.EFORBIDDEN},
			{"with parts that do not add up to the qualification", remote.registrar, remote, short, eduledger.EINVALID},
			{"with credits outside the qualification's field", remote.registrar, remote, field, eduledger.ECONFLICT},
			{"with credits below the qualification's level", remote.registrar, remote, level, eduledger.ECONFLICT},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := redeem(tc.client, tc.inst, s.id("refused-"+randomHex(2)), tc.q, parts...)
				wantCode(t, err, tc.code)
			})
		}
		_, err := redeem(remote.registrar, remote, s.id("too-much"), eduledger.Qualification{Code: "X", Name: qual.Name, Credits: 3000},
			eduledger.RedemptionPart{EntryID: recognized[2].ID, Amount: 3000})
		wantCode(t, err, eduledger.ECONFLICT) // the entry holds 2.500
	})
	r := must(redeem(remote.registrar, remote, s.id("transfer-1"), qual, parts...))(t)
	if r.Total != 8000 || r.TxID == "" || r.RedeemedAt.IsZero() {
		t.Errorf("redemption = %+v", r)
	}
	_, err = redeem(remote.registrar, remote, s.id("transfer-2"), qual, parts...)
	wantCode(t, err, eduledger.ECONFLICT) // the same credits a second time
	_, err = redeem(remote.admin, remote, s.id("transfer-1"), eduledger.Qualification{Code: "X", Name: qual.Name, Credits: 500},
		eduledger.RedemptionPart{EntryID: recognized[2].ID, Amount: 500})
	wantCode(t, err, eduledger.ECONFLICT) // a redemption ID is used once
	// What is left is exact: 1.500 of the training credits.
	left := must(remote.admin.GetCreditEntry(ctx, l.ID, recognized[2].ID))(t)
	if left.Remaining != 1500 || left.Redeemed != 1000 || left.UseCount != 1 || left.LastUse == nil || left.LastUse.Ref != r.ID {
		t.Errorf("the partly redeemed entry = %+v, want 1.500 left", left)
	}
	r3 := must(redeem(remote.admin, remote, s.id("transfer-3"), eduledger.Qualification{Code: "NETOPS-MODULE", Name: qual.Name, Credits: 1500},
		eduledger.RedemptionPart{EntryID: recognized[2].ID, Amount: 1500}))(t)
	// The entry's history has every use, newest first, each naming its redemption.
	h := must(s.govAdmin.GetCreditEntryHistory(ctx, l.ID, recognized[2].ID))(t)
	var refs []string
	for _, v := range h {
		switch {
		case v.Value == nil:
			t.Errorf("history version %s without a value", v.TxID)
		case v.Value.LastUse != nil:
			refs = append(refs, v.Value.LastUse.Ref+"/"+eduledger.FormatCredits(v.Value.LastUse.Amount))
		default:
			refs = append(refs, "created/"+eduledger.FormatCredits(v.Value.Amount))
		}
	}
	if want := []string{r3.ID + "/1.500", r.ID + "/1.000", "created/2.500"}; !slices.Equal(refs, want) {
		t.Errorf("entry history %v, want %v", refs, want)
	}
	if g := must(s.govAdmin.GetRedemption(ctx, l.ID, r.ID))(t); g.TxID != r.TxID || len(g.Parts) != 3 {
		t.Errorf("GetRedemption = %+v", g)
	}
	st := must(s.enterprise.issuer.GetCreditStatement(ctx, l.ID, ""))(t)
	wantStatement(t, st, []eduledger.CreditBalance{
		{Field: "computer-networks", Level: 6, Deposited: 7000, Recognized: 7000, TransferredOut: 7000, Redeemed: 7000},
		{Field: "network-operations", Level: 5, Deposited: 2500, Recognized: 2500, TransferredOut: 2500, Redeemed: 2500},
	})
	if st.Entries != 6 || st.Account.OpenedBy != s.school.org.ID {
		t.Errorf("statement over %d entries, account %+v; want 6 entries", st.Entries, st.Account)
	}

	// The full history: every entry, in the order made, each with its uses.
	var history []eduledger.CreditEntry
	bookmark := ""
	for {
		p := must(s.govAdmin.ListCreditEntries(ctx, l.ID, 4, bookmark))(t)
		history = append(history, p.Items...)
		if p.Bookmark == "" || len(p.Items) == 0 {
			break
		}
		bookmark = p.Bookmark
	}
	var ids []string
	for _, e := range history {
		ids = append(ids, e.ID)
	}
	want := []string{courseEntry.ID, certEntry.ID, trainingEntry.ID, recognized[0].ID, recognized[1].ID, recognized[2].ID}
	if !slices.Equal(ids, want) {
		t.Errorf("entries %v, want the deposits then the recognitions, in order: %v", ids, want)
	}
	rs := must(s.govAdmin.ListRedemptions(ctx, l.ID, 10, ""))(t)
	if len(rs.Items) != 2 {
		t.Errorf("ListRedemptions = %d redemptions, want 2", len(rs.Items))
	}
	_, err = s.govAdmin.GetCreditStatement(ctx, s.id("no-account"), "")
	wantCode(t, err, eduledger.ENOTFOUND)

	// Nothing of the full records reaches the public entries or statements.
	for _, v := range []any{history, st} {
		b, _ := json.Marshal(v)
		assertNoRecordDetail(t, "the credit history", b, courseDetail)
		assertNoRecordDetail(t, "the credit history", b, trainingDetail)
	}
}

func (s *suite) testCreditRules(t *testing.T) {
	ctx := t.Context()
	base := &eduledger.CreditRule{ID: s.id("versioned-rule"), Name: eduledger.Name{Zh: "考试", En: "Exams"}, Source: eduledger.SourceRecord,
		RecordKind: eduledger.RecordExam, Field: "mathematics", Level: 4, Credits: 2000, EffectiveFrom: hoursFromNow(-3)}
	v1 := must(s.govAdmin.PublishCreditRule(ctx, base))(t)
	if v1.Version != 1 || v1.PublishedBy != s.gov.ID || v1.PublishedAt.IsZero() || v1.TxID == "" {
		t.Fatalf("version 1 = %+v", v1)
	}
	next := *base
	next.Credits, next.EffectiveFrom = 2500, hoursFromNow(1)
	v2 := must(s.govAdmin.PublishCreditRule(ctx, &next))(t)
	if v2.Version != 2 || v2.Credits != 2500 {
		t.Fatalf("version 2 = %+v", v2)
	}
	if r := must(s.school.issuer.GetCreditRuleAt(ctx, base.ID, time.Time{}))(t); r.Version != 1 {
		t.Errorf("in force now: version %d, want 1 until version 2 takes effect", r.Version)
	}
	if r := must(s.school.issuer.GetCreditRuleAt(ctx, base.ID, hoursFromNow(2)))(t); r.Version != 2 {
		t.Errorf("in force in two hours: version %d, want 2", r.Version)
	}
	_, err := s.school.issuer.GetCreditRuleAt(ctx, base.ID, hoursFromNow(-4))
	wantCode(t, err, eduledger.ENOTFOUND) // before version 1
	if r := must(s.school.issuer.GetCreditRule(ctx, base.ID, 0))(t); r.Version != 2 {
		t.Errorf("latest version %d, want 2", r.Version)
	}
	if r := must(s.school.issuer.GetCreditRule(ctx, base.ID, 1))(t); r.Credits != 2000 || !r.EffectiveFrom.Equal(base.EffectiveFrom) {
		t.Errorf("version 1 read back = %+v", r)
	}

	// An exam of now is worth what version 1 says, whenever it is deposited.
	l := s.register(t, s.school, "rule-learner")
	must(s.school.registrar.OpenCreditAccount(ctx, l.ID))(t)
	s.accredit(t, s.school.org.ID, eduledger.TypeCertificate, hoursFromNow(-1), zeroTime)
	exam, examDetail := newRecord(s.school, l.ID, eduledger.RecordExam, "MATH-A", 0, hoursFromNow(-0.1))
	must(s.school.issuer.RecordLearningOutcome(ctx, exam, examDetail))(t)
	e := must(s.school.issuer.DepositCredits(ctx, &eduledger.DepositRequest{LearnerID: l.ID, Source: eduledger.SourceRecord, OutcomeID: exam.ID, RuleID: base.ID}))(t)
	if e.Amount != 2000 || e.RuleVersion != 1 || e.Field != "mathematics" || e.Level != 4 {
		t.Errorf("deposit under the rule in force at the exam's date = %+v, want 2.000 under version 1", e)
	}

	for _, tc := range []struct {
		name   string
		client *ledger.Client
		change func(r *eduledger.CreditRule)
		code   string
	}{
		{"a version that takes effect before the previous one", s.govAdmin, func(r *eduledger.CreditRule) { r.EffectiveFrom = hoursFromNow(0.5) }, eduledger.ECONFLICT},
		{"a version for other outcomes", s.govAdmin, func(r *eduledger.CreditRule) { r.RecordKind = eduledger.RecordAward }, eduledger.ECONFLICT},
		{"a version the ledger should number, numbered by the caller", s.govAdmin, func(r *eduledger.CreditRule) { r.Version = 9 }, eduledger.EINVALID},
		{"a rule with no credits", s.govAdmin, func(r *eduledger.CreditRule) { r.Credits = 0 }, eduledger.EINVALID},
		{"a rule for credentials that counts hours", s.govAdmin, func(r *eduledger.CreditRule) {
			r.Source, r.RecordKind, r.CredentialType, r.PerHours = eduledger.SourceCredential, "", eduledger.TypeCertificate, 16
		}, eduledger.EINVALID},
		{"a rule published by a school's admin", s.school.admin, func(*eduledger.CreditRule) {}, eduledger.EFORBIDDEN},
		{"a rule published by the governing organisation's registrar", s.client(t, s.gov.MSPID, s.gov.ID, eduledger.StaffRegistrar), func(*eduledger.CreditRule) {}, eduledger.EFORBIDDEN},
		{"a rule for an unregistered issuer", s.govAdmin, func(r *eduledger.CreditRule) { r.ID, r.IssuerID = s.id("ghost-rule"), s.id("ghost") }, eduledger.ENOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := next
			r.EffectiveFrom = hoursFromNow(3)
			tc.change(&r)
			_, err := tc.client.PublishCreditRule(ctx, &r)
			wantCode(t, err, tc.code)
		})
	}
	// A rule in force since three hours cannot get a version that takes effect an hour ago: that
	// would change what outcomes of the last two hours are worth.
	past := *base
	past.ID = s.id("past-rule")
	must(s.govAdmin.PublishCreditRule(ctx, &past))(t)
	past.EffectiveFrom = hoursFromNow(-1)
	_, err = s.govAdmin.PublishCreditRule(ctx, &past)
	wantCode(t, err, eduledger.ECONFLICT)

	// Retiring: a version that grants nothing from its time on.
	retire := eduledger.CreditRule{ID: base.ID, Name: base.Name, Source: base.Source, RecordKind: base.RecordKind, Retired: true, EffectiveFrom: hoursFromNow(5)}
	if r := must(s.govAdmin.PublishCreditRule(ctx, &retire))(t); r.Version != 3 || !r.Retired {
		t.Errorf("retirement = %+v", r)
	}
	if r := must(s.school.issuer.GetCreditRuleAt(ctx, base.ID, hoursFromNow(6)))(t); !r.Retired {
		t.Errorf("in force after the retirement: %+v", r)
	}

	t.Run("recognition rules name an institution that awards qualifications", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			r    eduledger.RecognitionRule
			code string
		}{
			{"an enterprise as recogniser", eduledger.RecognitionRule{RecognizerID: s.enterprise.org.ID, FromRegion: "310104", RatePermille: 1000}, eduledger.EINVALID},
			{"a rate above one to one", eduledger.RecognitionRule{RecognizerID: s.school.org.ID, FromRegion: "310104", RatePermille: 1001}, eduledger.EINVALID},
			{"an unregistered recogniser", eduledger.RecognitionRule{RecognizerID: s.id("ghost"), FromRegion: "310104", RatePermille: 1000}, eduledger.ENOTFOUND},
			{"a region that is not a division code", eduledger.RecognitionRule{RecognizerID: s.school.org.ID, FromRegion: "Shanghai", RatePermille: 1000}, eduledger.EINVALID},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.r
				r.ID, r.Name, r.EffectiveFrom = s.id("recognition-"+randomHex(2)), eduledger.Name{Zh: "互认", En: "Recognition"}, hoursFromNow(-1)
				_, err := s.govAdmin.PublishRecognitionRule(ctx, &r)
				wantCode(t, err, tc.code)
			})
		}
		r := must(s.govAdmin.PublishRecognitionRule(ctx, &eduledger.RecognitionRule{ID: s.id("recognition-ok"), Name: eduledger.Name{Zh: "互认", En: "Recognition"},
			RecognizerID: s.school2.org.ID, FromRegion: "310104", RatePermille: 800, EffectiveFrom: hoursFromNow(-1)}))(t)
		if g := must(s.enterprise.issuer.GetRecognitionRuleAt(ctx, r.ID, time.Time{}))(t); g.Version != 1 || g.RatePermille != 800 {
			t.Errorf("GetRecognitionRuleAt = %+v", g)
		}
		if !listsRule(t, s.enterprise.issuer, r.ID) {
			t.Errorf("ListRecognitionRules misses %s", r.ID)
		}
	})
}

func dep(learnerID string, src eduledger.OutcomeSource, outcomeID, ruleID string) *eduledger.DepositRequest {
	return &eduledger.DepositRequest{LearnerID: learnerID, Source: src, OutcomeID: outcomeID, RuleID: ruleID}
}

// wantStatement checks a statement's balances (Balance must equal Deposited + Recognized −
// TransferredOut − Redeemed in want too) and its total.
func wantStatement(t testing.TB, st *eduledger.CreditStatement, want []eduledger.CreditBalance) {
	t.Helper()
	var total eduledger.CreditBalance
	for i := range want {
		w := &want[i]
		w.Balance = w.Deposited + w.Recognized - w.TransferredOut - w.Redeemed
		total.Deposited += w.Deposited
		total.Recognized += w.Recognized
		total.TransferredOut += w.TransferredOut
		total.Redeemed += w.Redeemed
		total.Balance += w.Balance
	}
	if !slices.Equal(st.Balances, want) || st.Total != total {
		t.Errorf("statement balances %+v total %+v;\nwant %+v total %+v", st.Balances, st.Total, want, total)
	}
}

// assertNoRecordDetail fails t if b contains any private field of d.
func assertNoRecordDetail(t testing.TB, what string, b []byte, d *eduledger.LearningRecordDetail) {
	t.Helper()
	for _, v := range append([]string{d.Result, d.Notes, d.Salt}, d.Evidence...) {
		if v != "" && strings.Contains(string(b), v) {
			t.Errorf("%s contains the full record's %q", what, v)
		}
	}
}

// listsRecord pages through an issuer's learning records looking for id.
func listsRecord(t testing.TB, c *ledger.Client, issuerID, id string) bool {
	t.Helper()
	return pagesContain(t, func(ctx context.Context, bookmark string) ([]string, string, error) {
		p, err := c.ListLearningRecordsByIssuer(ctx, issuerID, eduledger.MaxPageSize, bookmark)
		if err != nil {
			return nil, "", err
		}
		var ids []string
		for _, r := range p.Items {
			ids = append(ids, r.ID)
		}
		return ids, p.Bookmark, nil
	}, id)
}

// listsRule pages through the recognition rules looking for id.
func listsRule(t testing.TB, c *ledger.Client, id string) bool {
	t.Helper()
	return pagesContain(t, func(ctx context.Context, bookmark string) ([]string, string, error) {
		p, err := c.ListRecognitionRules(ctx, eduledger.MaxPageSize, bookmark)
		if err != nil {
			return nil, "", err
		}
		var ids []string
		for _, r := range p.Items {
			ids = append(ids, r.ID)
		}
		return ids, p.Bookmark, nil
	}, id)
}

func pagesContain(t testing.TB, next func(ctx context.Context, bookmark string) ([]string, string, error), id string) bool {
	t.Helper()
	bookmark := ""
	for {
		ids, bm, err := next(t.Context(), bookmark)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(ids, id) {
			return true
		}
		if bm == "" || len(ids) == 0 {
			return false
		}
		bookmark = bm
	}
}
