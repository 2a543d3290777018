package eduledger

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestCreditsAreWrittenWithThreeDecimals(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0.000"}, {1, "0.001"}, {250, "0.250"}, {1000, "1.000"}, {4000, "4.000"}, {2500, "2.500"}, {123456789, "123456.789"},
		{-250, "-0.250"}, {-4001, "-4.001"}, {math.MinInt64, "-9223372036854775.808"}, {math.MaxInt64, "9223372036854775.807"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := FormatCredits(tc.n); got != tc.want {
				t.Errorf("FormatCredits(%d) = %q, want %q", tc.n, got, tc.want)
			}
		})
	}
}

func TestCreditsAreReadWithAtMostThreeDecimals(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"4", 4000, true}, {"4.5", 4500, true}, {"4.25", 4250, true}, {"4.250", 4250, true}, {"0.001", 1, true}, {"0", 0, true},
		{"1000000", MaxCredits, true}, {"007", 7000, true},
		{"1000000.001", 0, false}, {"4.2501", 0, false}, {"4.", 0, false}, {".5", 0, false}, {"-1", 0, false}, {"+1", 0, false},
		{"1e3", 0, false}, {" 4", 0, false}, {"4,5", 0, false}, {"", 0, false}, {"99999999", 0, false}, {"四", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseCredits(tc.in)
			switch {
			case tc.ok && (err != nil || got != tc.want):
				t.Errorf("ParseCredits(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			case !tc.ok && ErrorCode(err) != EINVALID:
				t.Errorf("ParseCredits(%q) = %d, %v; want INVALID", tc.in, got, err)
			}
		})
	}
}

// FuzzParseCredits reads amounts as a service would from a form or a command line: whatever it
// accepts is an amount in range that FormatCredits writes back to a string it reads as the same.
func FuzzParseCredits(f *testing.F) {
	for _, s := range []string{"4", "4.5", "0.001", "1000000", "1000000.001", "4.", ".5", "-1", "1e3", "007.250", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseCredits(s)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("ParseCredits(%q): %v, want INVALID", s, err)
			}
			return
		}
		if n < 0 || n > MaxCredits {
			t.Fatalf("ParseCredits(%q) = %d, out of range", s, n)
		}
		back, err := ParseCredits(FormatCredits(n))
		if err != nil || back != n {
			t.Fatalf("ParseCredits(FormatCredits(%d)) = %d, %v", n, back, err)
		}
	})
}

var ruleSince = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func courseRule() *CreditRule {
	return &CreditRule{ID: "course", Version: 1, Name: Name{Zh: "课程", En: "Course"}, Source: SourceRecord, RecordKind: RecordCourse,
		IssuerID: "riverside-university", Code: "CN201", Field: "computer-networks", Level: 6, Credits: 3000, EffectiveFrom: ruleSince}
}

func TestACreditRuleConvertsOnlyTheOutcomesItNames(t *testing.T) {
	course := Outcome{Source: SourceRecord, ID: "urn:x:1", IssuerID: "riverside-university", RecordKind: RecordCourse, Code: "CN201", Hours: 48}
	hours := &CreditRule{ID: "hours", Version: 2, Name: Name{Zh: "学时", En: "Hours"}, Source: SourceRecord, RecordKind: RecordTraining,
		Field: "vocational", Level: 4, Credits: 1000, PerHours: 16, MaxCredits: 4000, EffectiveFrom: ruleSince}
	training := Outcome{Source: SourceRecord, ID: "urn:x:2", IssuerID: "sunrise-training", RecordKind: RecordTraining}
	cert := &CreditRule{ID: "cert", Version: 1, Name: Name{Zh: "证书", En: "Certificate"}, Source: SourceCredential, CredentialType: TypeCertificate,
		Field: "computer-networks", Level: 6, Credits: 4000, EffectiveFrom: ruleSince}
	with := func(o Outcome, f func(*Outcome)) Outcome { f(&o); return o }
	for _, tc := range []struct {
		name string
		rule *CreditRule
		o    Outcome
		want int64
	}{
		{"the named course of the named issuer is worth the rule's credits", courseRule(), course, 3000},
		{"another issuer's course is not", courseRule(), with(course, func(o *Outcome) { o.IssuerID = "lakeside-college" }), 0},
		{"a course with another code is not", courseRule(), with(course, func(o *Outcome) { o.Code = "CN202" }), 0},
		{"an exam is not", courseRule(), with(course, func(o *Outcome) { o.RecordKind = RecordExam }), 0},
		{"a credential is not", courseRule(), Outcome{Source: SourceCredential, ID: "urn:x:3", IssuerID: "riverside-university", CredentialType: TypeCertificate}, 0},
		{"a certificate from any issuer under a rule naming none", cert, Outcome{Source: SourceCredential, IssuerID: "acme-networks", CredentialType: TypeCertificate}, 4000},
		{"a diploma under a certificate rule is not", cert, Outcome{Source: SourceCredential, IssuerID: "acme-networks", CredentialType: TypeDiploma}, 0},
		{"16 hours at 1.000 per 16", hours, with(training, func(o *Outcome) { o.Hours = 16 }), 1000},
		{"40 hours, rounded down", hours, with(training, func(o *Outcome) { o.Hours = 41 }), 2562},
		{"1 hour rounds down to 0.062", hours, with(training, func(o *Outcome) { o.Hours = 1 }), 62},
		{"capped at maxCredits", hours, with(training, func(o *Outcome) { o.Hours = 1000 }), 4000},
		{"an outcome without hours under an hour-based rule", hours, training, 0},
		{"nothing under a retiring version", &CreditRule{ID: "course", Version: 3, Source: SourceRecord, RecordKind: RecordCourse, Retired: true, EffectiveFrom: ruleSince}, course, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.rule.Worth(tc.o)
			if tc.want == 0 {
				if ErrorCode(err) != ECONFLICT {
					t.Fatalf("Worth = %d, %v; want CONFLICT", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Worth = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
	// No amount overflows: the largest hours at the largest rate are capped at MaxCredits.
	huge := &CreditRule{Source: SourceRecord, RecordKind: RecordTraining, Credits: MaxCredits, PerHours: 1}
	if got, err := huge.Worth(with(training, func(o *Outcome) { o.Hours = MaxHours })); err != nil || got != MaxCredits {
		t.Errorf("the largest outcome is worth %d, %v; want MaxCredits", got, err)
	}
}

func TestARecognitionRuleMovesCreditsFromItsRegionAtItsRate(t *testing.T) {
	rule := &RecognitionRule{ID: "delta", Version: 1, RecognizerID: "westlake-university", FromRegion: "310000", FromField: "computer-networks",
		FromMinLevel: 5, ToField: "network-engineering", RatePermille: 750}
	entry := &CreditEntry{ID: "e1", HolderID: "acme-networks", Field: "computer-networks", Level: 6, Remaining: 4000}
	n, field, level, err := rule.Recognize(entry, "310000", 4000)
	if err != nil || n != 3000 || field != "network-engineering" || level != 6 {
		t.Fatalf("Recognize = %d %s %d %v; want 3.000 in network-engineering at level 6", n, field, level, err)
	}
	for _, tc := range []struct {
		name   string
		e      CreditEntry
		region string
		amount int64
	}{
		{"from another region", *entry, "330100", 4000},
		{"in another field", CreditEntry{ID: "e2", HolderID: "acme-networks", Field: "mathematics", Level: 6}, "310000", 4000},
		{"below the level", CreditEntry{ID: "e3", HolderID: "acme-networks", Field: "computer-networks", Level: 4}, "310000", 4000},
		{"worth nothing at the rate", *entry, "310000", 1},
	} {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			if _, _, _, err := rule.Recognize(&tc.e, tc.region, tc.amount); ErrorCode(err) != ECONFLICT {
				t.Errorf("got %v, want CONFLICT", err)
			}
		})
	}
}

func TestRulesAreValidatedBeforeTheyArePublished(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*CreditRule)
		ok     bool
	}{
		{"a complete rule", func(*CreditRule) {}, true},
		{"an hour-based rule with a cap", func(r *CreditRule) { r.PerHours, r.MaxCredits = 16, 4000 }, true},
		{"a retirement that grants nothing", func(r *CreditRule) { r.Retired, r.Field, r.Level, r.Credits = true, "", 0, 0 }, true},
		{"a retirement that still grants credits", func(r *CreditRule) { r.Retired = true }, false},
		{"no name", func(r *CreditRule) { r.Name.En = "" }, false},
		{"an unknown source", func(r *CreditRule) { r.Source = "BADGE" }, false},
		{"a record rule without a kind", func(r *CreditRule) { r.RecordKind = "" }, false},
		{"a record rule naming a credential type", func(r *CreditRule) { r.CredentialType = TypeDiploma }, false},
		{"a credential rule with a code", func(r *CreditRule) { r.Source, r.RecordKind, r.CredentialType = SourceCredential, "", TypeCertificate }, false},
		{"a field with capitals", func(r *CreditRule) { r.Field = "Computer Networks" }, false},
		{"level 9", func(r *CreditRule) { r.Level = 9 }, false},
		{"no credits", func(r *CreditRule) { r.Credits = 0 }, false},
		{"more than a million credits", func(r *CreditRule) { r.Credits = MaxCredits + 1 }, false},
		{"a cap without hours", func(r *CreditRule) { r.MaxCredits = 4000 }, false},
		{"no effective date", func(r *CreditRule) { r.EffectiveFrom = time.Time{} }, false},
		{"an ID with a space", func(r *CreditRule) { r.ID = "my rule" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := courseRule()
			tc.change(r)
			err := r.Validate()
			if tc.ok != (err == nil) || (err != nil && ErrorCode(err) != EINVALID) {
				t.Errorf("Validate = %v, want ok=%v or INVALID", err, tc.ok)
			}
		})
	}
	rr := func() *RecognitionRule {
		return &RecognitionRule{ID: "delta", Name: Name{Zh: "互认", En: "Recognition"}, RecognizerID: "westlake-university", FromRegion: "310000",
			RatePermille: 1000, EffectiveFrom: ruleSince}
	}
	for _, tc := range []struct {
		name   string
		change func(*RecognitionRule)
		ok     bool
	}{
		{"a complete rule", func(*RecognitionRule) {}, true},
		{"a retirement", func(r *RecognitionRule) { r.Retired, r.RatePermille = true, 0 }, true},
		{"a rate above par", func(r *RecognitionRule) { r.RatePermille = 1001 }, false},
		{"a rate of nothing", func(r *RecognitionRule) { r.RatePermille = 0 }, false},
		{"its own credits", func(r *RecognitionRule) { r.FromIssuerID = r.RecognizerID }, false},
		{"a region name", func(r *RecognitionRule) { r.FromRegion = "Shanghai" }, false},
		{"a minimum level of 0 is no minimum", func(r *RecognitionRule) { r.FromMinLevel = 0 }, true},
		{"a minimum level of 9", func(r *RecognitionRule) { r.FromMinLevel = 9 }, false},
	} {
		t.Run("recognition: "+tc.name, func(t *testing.T) {
			r := rr()
			tc.change(r)
			if err := r.Validate(); tc.ok != (err == nil) {
				t.Errorf("Validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestARedemptionsPartsMustAddUpToTheQualification(t *testing.T) {
	r := func() *Redemption {
		return &Redemption{ID: "transfer-1", LearnerID: "L1", InstitutionID: "westlake-university",
			Qualification: Qualification{Code: "BENG", Name: Name{Zh: "学士", En: "BEng"}, Credits: 5000},
			Parts:         []RedemptionPart{{EntryID: "e1", Amount: 3000}, {EntryID: "e2", Amount: 2000}}}
	}
	if err := r().Validate(); err != nil {
		t.Fatalf("a valid redemption: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(*Redemption)
	}{
		{"parts that add up to less", func(x *Redemption) { x.Parts[1].Amount = 1999 }},
		{"the same entry twice", func(x *Redemption) { x.Parts[1].EntryID = "e1" }},
		{"a part of nothing", func(x *Redemption) { x.Parts = append(x.Parts, RedemptionPart{EntryID: "e3"}) }},
		{"a negative part", func(x *Redemption) { x.Parts[0].Amount, x.Parts[1].Amount = -1000, 6000 }},
		{"no parts", func(x *Redemption) { x.Parts = nil }},
		{"too many parts", func(x *Redemption) {
			x.Parts = nil
			for i := range MaxRedemptionParts + 1 {
				x.Parts = append(x.Parts, RedemptionPart{EntryID: "e" + strings.Repeat("x", i+1), Amount: 1})
			}
			x.Qualification.Credits = MaxRedemptionParts + 1
		}},
		{"a qualification without a name", func(x *Redemption) { x.Qualification.Name = Name{} }},
		{"an institution that is not an organisation ID", func(x *Redemption) { x.InstitutionID = "Westlake" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := r()
			tc.change(x)
			if err := x.Validate(); ErrorCode(err) != EINVALID {
				t.Errorf("Validate = %v, want INVALID", err)
			}
		})
	}
}

func TestAFullRecordsDigestCommitsToEveryFieldAndTheSalt(t *testing.T) {
	d := &LearningRecordDetail{RecordID: "urn:uuid:1", LearnerID: "L1", Result: "A", Salt: strings.Repeat("ab", 32)}
	b, _ := json.Marshal(d)
	h := sha256.Sum256(append([]byte("eduledger/learning-record/v1\x00"), b...))
	if d.Digest() != hex.EncodeToString(h[:]) {
		t.Fatalf("Digest = %s, want the documented SHA-256", d.Digest())
	}
	seen := map[string]bool{d.Digest(): true}
	for _, change := range []func(*LearningRecordDetail){
		func(x *LearningRecordDetail) { x.Result = "B" },
		func(x *LearningRecordDetail) { x.Salt = strings.Repeat("cd", 32) },
		func(x *LearningRecordDetail) { x.RecordID = "urn:uuid:2" },
		func(x *LearningRecordDetail) { x.LearnerID = "L2" },
		func(x *LearningRecordDetail) { x.Evidence = []string{"a"} },
	} {
		x := *d
		change(&x)
		if seen[x.Digest()] {
			t.Errorf("changing %+v kept the digest", x)
		}
		seen[x.Digest()] = true
	}
	if err := d.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	bad := *d
	bad.Salt = "short"
	if ErrorCode(bad.Validate()) != EINVALID {
		t.Errorf("a short salt was accepted")
	}
}

func TestALearningRecordsSummaryIsValidated(t *testing.T) {
	good := func() *LearningRecord {
		return &LearningRecord{ID: "urn:uuid:1", LearnerID: "L1", IssuerID: "riverside-university", Kind: RecordCourse,
			Title: Name{Zh: "计算机网络", En: "Computer Networks"}, Code: "CN201", Field: "computer-networks", Level: 6, Hours: 48,
			Date: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), Digest: strings.Repeat("0", 64)}
	}
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(*LearningRecord)
	}{
		{"an unknown kind", func(r *LearningRecord) { r.Kind = "SEMINAR" }},
		{"no title in English", func(r *LearningRecord) { r.Title.En = " " }},
		{"a date before 1900", func(r *LearningRecord) { r.Date = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC) }},
		{"no date", func(r *LearningRecord) { r.Date = time.Time{} }},
		{"negative hours", func(r *LearningRecord) { r.Hours = -1 }},
		{"level 0", func(r *LearningRecord) { r.Level = 0 }},
		{"an upper-case digest", func(r *LearningRecord) { r.Digest = strings.Repeat("A", 64) }},
		{"a code with a space", func(r *LearningRecord) { r.Code = "CN 201" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.change(r)
			if ErrorCode(r.Validate()) != EINVALID {
				t.Errorf("accepted %+v", r)
			}
		})
	}
}

func TestEveryRecordKindNeedsAnAccreditation(t *testing.T) {
	for _, k := range RecordKinds {
		if !k.AccreditationType().Valid() {
			t.Errorf("%s needs no known credential type's accreditation", k)
		}
	}
	if RecordKind("SEMINAR").AccreditationType() != "" {
		t.Errorf("an unknown kind maps to an accreditation")
	}
}

func TestAnEntryCountsItsUsesWithoutGrowing(t *testing.T) {
	e := &CreditEntry{Amount: 4000, Remaining: 4000}
	at := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	e.Use(EntryUse{Kind: UseRecognized, Ref: "e2", Amount: 1000, At: at})
	e.Use(EntryUse{Kind: UseRedeemed, Ref: "r1", Amount: 2500, At: at})
	if e.Remaining != 500 || e.TransferredOut != 1000 || e.Redeemed != 2500 || e.UseCount != 2 || e.LastUse.Ref != "r1" {
		t.Fatalf("after two uses: %+v", e)
	}
	small, _ := json.Marshal(e)
	for i := range 1000 {
		e.Remaining++ // keep it positive; only the size matters here
		e.Use(EntryUse{Kind: UseRedeemed, Ref: fmt.Sprintf("r%d", i+2), Amount: 1, At: at})
	}
	big, _ := json.Marshal(e)
	if len(big) > len(small)+10 {
		t.Errorf("a thousand uses grew the entry from %d to %d bytes", len(small), len(big))
	}
}
