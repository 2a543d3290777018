package eduledger

import (
	"strconv"
	"strings"
	"time"
)

// Credits are counted in thousandths of a credit, as int64, everywhere: on the ledger, in the SDK
// and at every service edge. A float never holds an amount.
const (
	// CreditUnit is the number of thousandths in one credit.
	CreditUnit = 1000
	// MaxCredits bounds any single amount: one million credits.
	MaxCredits int64 = 1_000_000 * CreditUnit
	// MaxRedemptionParts bounds the entries one redemption may consume.
	MaxRedemptionParts = 100
)

// FormatCredits writes an amount in thousandths as a decimal number of credits with three
// decimals: 4000 is "4.000", 2500 is "2.500", -250 is "-0.250".
func FormatCredits(n int64) string {
	sign := ""
	u := uint64(n)
	if n < 0 {
		sign, u = "-", uint64(-(n+1))+1 // -(MinInt64) overflows; go through n+1
	}
	frac := strconv.FormatUint(u%CreditUnit, 10)
	return sign + strconv.FormatUint(u/CreditUnit, 10) + "." + strings.Repeat("0", 3-len(frac)) + frac
}

// ParseCredits reads a non-negative decimal number of credits with at most three decimals ("4",
// "4.5", "4.250") and returns it in thousandths. Errors: INVALID for anything else, or an amount
// above MaxCredits.
func ParseCredits(s string) (int64, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 7 || len(frac) > 3 || (hasDot && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return 0, Errorf(EINVALID, "credits %.40q must be a number with at most three decimals, such as 4 or 2.5", s)
	}
	w, _ := strconv.ParseInt(whole, 10, 64) // at most 7 digits
	n := w * CreditUnit
	if frac != "" {
		f, _ := strconv.ParseInt(frac+strings.Repeat("0", 3-len(frac)), 10, 64)
		n += f
	}
	if n > MaxCredits {
		return 0, Errorf(EINVALID, "credits %s exceed the largest amount, %s", s, FormatCredits(MaxCredits))
	}
	return n, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// OutcomeSource says what backs a credit deposit: a learning record or a credential, both anchored
// on the ledger.
type OutcomeSource string

// Outcome sources.
const (
	SourceRecord     OutcomeSource = "RECORD"
	SourceCredential OutcomeSource = "CREDENTIAL"
)

// Valid reports whether s is a known source.
func (s OutcomeSource) Valid() bool { return s == SourceRecord || s == SourceCredential }

// Outcome is what a conversion rule looks at in a learning outcome: where it is recorded, who
// issued it, what it is, and when it was achieved. The ledger builds it from the anchored record or
// credential, never from a caller's claims.
type Outcome struct {
	Source         OutcomeSource  `json:"source"`
	ID             string         `json:"id"`
	IssuerID       string         `json:"issuerId"`
	RecordKind     RecordKind     `json:"recordKind,omitempty"`
	CredentialType CredentialType `json:"credentialType,omitempty"`
	Code           string         `json:"code,omitempty"`
	Hours          int            `json:"hours,omitempty"`
	Date           time.Time      `json:"date"`
}

// Outcome returns the learning outcome a record describes.
func (r *LearningRecord) Outcome() Outcome {
	return Outcome{Source: SourceRecord, ID: r.ID, IssuerID: r.IssuerID, RecordKind: r.Kind, Code: r.Code,
		Hours: r.Hours, Date: r.Date}
}

// Outcome returns the learning outcome a credential attests, dated by its issuance.
func (a *CredentialAnchor) Outcome() Outcome {
	return Outcome{Source: SourceCredential, ID: a.ID, IssuerID: a.IssuerID, CredentialType: a.Type, Date: a.IssuedAt}
}

// what describes the outcome in messages.
func (o Outcome) what() string {
	if o.Source == SourceRecord {
		return string(o.RecordKind) + " record " + o.ID + " from " + o.IssuerID
	}
	return string(o.CredentialType) + " credential " + o.ID + " from " + o.IssuerID
}

// CreditRule is one version of a conversion rule of the credit bank: which learning outcomes are
// worth how many credits, in which field, at which level. Rules are set by the governing
// organisation and never edited: a new version with a later EffectiveFrom supersedes the previous
// one from that time on, and the version in force at an outcome's date decides what the outcome is
// worth. A version with Retired set ends the rule.
//
// An outcome matches when its source and its record kind or credential type are the rule's and,
// where the rule names them, its issuer and code. It is then worth Credits or, for hour-based rules
// (PerHours set), Credits for every PerHours hours of study, rounded down and capped at MaxCredits.
type CreditRule struct {
	ID             string         `json:"id"`
	Version        int            `json:"version,omitempty"`
	Name           Name           `json:"name"`
	Source         OutcomeSource  `json:"source"`
	RecordKind     RecordKind     `json:"recordKind,omitempty"`
	CredentialType CredentialType `json:"credentialType,omitempty"`
	IssuerID       string         `json:"issuerId,omitempty"`
	Code           string         `json:"code,omitempty"`
	Field          string         `json:"field,omitempty"`
	Level          int            `json:"level,omitempty"`
	// Credits is in thousandths of a credit: per outcome, or per PerHours hours.
	Credits       int64     `json:"credits,omitempty"`
	PerHours      int       `json:"perHours,omitempty"`
	MaxCredits    int64     `json:"maxCredits,omitempty"`
	EffectiveFrom time.Time `json:"effectiveFrom"`
	Retired       bool      `json:"retired,omitempty"`
	PublishedAt   time.Time `json:"publishedAt,omitzero"`
	PublishedBy   string    `json:"publishedBy,omitempty"`
	TxID          string    `json:"txId,omitempty"`
}

// Validate checks the fields a caller supplies when publishing a rule version.
func (r *CreditRule) Validate() error {
	if err := validateRuleHead(r.ID, r.Name, r.EffectiveFrom); err != nil {
		return err
	}
	switch {
	case !r.Source.Valid():
		return Errorf(EINVALID, "source %.40q must be RECORD or CREDENTIAL", r.Source)
	case r.Source == SourceRecord && !r.RecordKind.Valid():
		return Errorf(EINVALID, "a rule for learning records needs recordKind, one of COURSE, EXAM, PRACTICE, AWARD, TRAINING")
	case r.Source == SourceRecord && r.CredentialType != "":
		return Errorf(EINVALID, "a rule for learning records takes no credentialType")
	case r.Source == SourceCredential && !r.CredentialType.Valid():
		return Errorf(EINVALID, "a rule for credentials needs a known credentialType")
	case r.Source == SourceCredential && (r.RecordKind != "" || r.Code != "" || r.PerHours != 0):
		return Errorf(EINVALID, "a rule for credentials takes no recordKind, code or perHours: the ledger knows only a credential's type, issuer and date")
	case r.IssuerID != "" && !ValidOrgID(r.IssuerID):
		return Errorf(EINVALID, "issuerId %.70q is not a valid organisation ID", r.IssuerID)
	case r.Code != "" && !ValidLocalID(r.Code):
		return Errorf(EINVALID, "code %.70q must be 1-128 letters, digits, '.', '_' or '-'", r.Code)
	case r.Retired:
		if r.Field != "" || r.Level != 0 || r.Credits != 0 || r.PerHours != 0 || r.MaxCredits != 0 {
			return Errorf(EINVALID, "a retiring version grants nothing: leave field, level, credits, perHours and maxCredits out")
		}
		return nil
	case !ValidField(r.Field):
		return Errorf(EINVALID, "field %.70q must be 1-64 lower-case letters, digits, '.' or '-'", r.Field)
	case r.Level < MinLevel || r.Level > MaxLevel:
		return Errorf(EINVALID, "level must be between %d and %d", MinLevel, MaxLevel)
	case r.Credits < 1 || r.Credits > MaxCredits:
		return Errorf(EINVALID, "credits must be between 1 and %d thousandths of a credit", MaxCredits)
	case r.PerHours < 0 || r.PerHours > MaxHours:
		return Errorf(EINVALID, "perHours must be between 0 and %d", MaxHours)
	case r.MaxCredits < 0 || r.MaxCredits > MaxCredits:
		return Errorf(EINVALID, "maxCredits must be between 0 and %d thousandths of a credit", MaxCredits)
	case r.MaxCredits != 0 && r.PerHours == 0:
		return Errorf(EINVALID, "maxCredits caps hour-based rules only; set perHours or leave it out")
	}
	return nil
}

// SameOutcomes reports whether two versions apply to the same outcomes. Every version of a rule
// must: a rule for other outcomes is another rule.
func (r *CreditRule) SameOutcomes(o *CreditRule) bool {
	return r.Source == o.Source && r.RecordKind == o.RecordKind && r.CredentialType == o.CredentialType &&
		r.IssuerID == o.IssuerID && r.Code == o.Code
}

// Worth returns what outcome o is worth under this version, in thousandths of a credit. Errors:
// CONFLICT when the version is a retirement, o does not match the rule, an hour-based rule meets an
// outcome without hours, or o is worth nothing.
func (r *CreditRule) Worth(o Outcome) (int64, error) {
	name := "rule " + r.ID + " version " + strconv.Itoa(r.Version)
	switch {
	case r.Retired:
		return 0, Errorf(ECONFLICT, "%s retired the rule on %s", name, r.EffectiveFrom.UTC().Format(time.RFC3339))
	case o.Source != r.Source:
		return 0, Errorf(ECONFLICT, "%s converts %s outcomes, not the %s", name, strings.ToLower(string(r.Source)), o.what())
	case r.Source == SourceRecord && o.RecordKind != r.RecordKind:
		return 0, Errorf(ECONFLICT, "%s converts %s records, not the %s", name, r.RecordKind, o.what())
	case r.Source == SourceCredential && o.CredentialType != r.CredentialType:
		return 0, Errorf(ECONFLICT, "%s converts %s credentials, not the %s", name, r.CredentialType, o.what())
	case r.IssuerID != "" && o.IssuerID != r.IssuerID:
		return 0, Errorf(ECONFLICT, "%s converts outcomes from %s only, not the %s", name, r.IssuerID, o.what())
	case r.Code != "" && o.Code != r.Code:
		return 0, Errorf(ECONFLICT, "%s converts outcomes with code %s only, not the %s", name, r.Code, o.what())
	case r.PerHours > 0 && o.Hours <= 0:
		return 0, Errorf(ECONFLICT, "%s counts study hours, and the %s has none", name, o.what())
	}
	n := r.Credits
	if r.PerHours > 0 {
		n = int64(o.Hours) * r.Credits / int64(r.PerHours) // ≤ 1e5 × 1e9: no overflow
		if r.MaxCredits > 0 && n > r.MaxCredits {
			n = r.MaxCredits
		}
	}
	n = min(n, MaxCredits)
	if n <= 0 {
		return 0, Errorf(ECONFLICT, "under %s the %s is worth nothing", name, o.what())
	}
	return n, nil
}

// RecognitionRule is one version of a recognition rule: institution RecognizerID may recognise
// credits held by institutions of region FromRegion (optionally only from one issuer, one field,
// from a minimum level), converting each thousandth at RatePermille/1000 into its own field and
// level (ToField and ToLevel, or the original's when empty). Recognition across regions — a
// university of another region of the Yangtze River Delta recognising a Shanghai training
// provider's credits — needs such a rule as much as recognition within a region does. Versioned
// like CreditRule; the version in force at the recognition decides.
type RecognitionRule struct {
	ID            string    `json:"id"`
	Version       int       `json:"version,omitempty"`
	Name          Name      `json:"name"`
	RecognizerID  string    `json:"recognizerId"`
	FromRegion    string    `json:"fromRegion"`
	FromIssuerID  string    `json:"fromIssuerId,omitempty"`
	FromField     string    `json:"fromField,omitempty"`
	FromMinLevel  int       `json:"fromMinLevel,omitempty"`
	ToField       string    `json:"toField,omitempty"`
	ToLevel       int       `json:"toLevel,omitempty"`
	RatePermille  int       `json:"ratePermille,omitempty"`
	EffectiveFrom time.Time `json:"effectiveFrom"`
	Retired       bool      `json:"retired,omitempty"`
	PublishedAt   time.Time `json:"publishedAt,omitzero"`
	PublishedBy   string    `json:"publishedBy,omitempty"`
	TxID          string    `json:"txId,omitempty"`
}

// Validate checks the fields a caller supplies when publishing a recognition rule version.
func (r *RecognitionRule) Validate() error {
	if err := validateRuleHead(r.ID, r.Name, r.EffectiveFrom); err != nil {
		return err
	}
	switch {
	case !ValidOrgID(r.RecognizerID):
		return Errorf(EINVALID, "recognizerId %.70q is not a valid organisation ID", r.RecognizerID)
	case !ValidRegionCode(r.FromRegion):
		return Errorf(EINVALID, "fromRegion %.40q must be a six-digit division code", r.FromRegion)
	case r.FromIssuerID != "" && !ValidOrgID(r.FromIssuerID):
		return Errorf(EINVALID, "fromIssuerId %.70q is not a valid organisation ID", r.FromIssuerID)
	case r.FromIssuerID == r.RecognizerID:
		return Errorf(EINVALID, "an institution does not recognise its own credits")
	case r.FromField != "" && !ValidField(r.FromField):
		return Errorf(EINVALID, "fromField %.70q must be 1-64 lower-case letters, digits, '.' or '-'", r.FromField)
	case r.FromMinLevel != 0 && (r.FromMinLevel < MinLevel || r.FromMinLevel > MaxLevel):
		return Errorf(EINVALID, "fromMinLevel must be between %d and %d, or left out", MinLevel, MaxLevel)
	case r.Retired:
		if r.ToField != "" || r.ToLevel != 0 || r.RatePermille != 0 {
			return Errorf(EINVALID, "a retiring version recognises nothing: leave toField, toLevel and ratePermille out")
		}
		return nil
	case r.ToField != "" && !ValidField(r.ToField):
		return Errorf(EINVALID, "toField %.70q must be 1-64 lower-case letters, digits, '.' or '-'", r.ToField)
	case r.ToLevel != 0 && (r.ToLevel < MinLevel || r.ToLevel > MaxLevel):
		return Errorf(EINVALID, "toLevel must be between %d and %d, or left out", MinLevel, MaxLevel)
	case r.RatePermille < 1 || r.RatePermille > 1000:
		return Errorf(EINVALID, "ratePermille must be between 1 and 1000: recognition never adds credits")
	}
	return nil
}

// SameOutcomes reports whether two versions apply to the same credits and recogniser.
func (r *RecognitionRule) SameOutcomes(o *RecognitionRule) bool {
	return r.RecognizerID == o.RecognizerID && r.FromRegion == o.FromRegion && r.FromIssuerID == o.FromIssuerID &&
		r.FromField == o.FromField && r.FromMinLevel == o.FromMinLevel
}

// Recognize returns what amount thousandths of entry e, held by an institution of holderRegion,
// become under this version, and the field and level they are recognised in. Errors: CONFLICT when
// the version is a retirement, e does not match the rule, or the amount recognised would be
// nothing.
func (r *RecognitionRule) Recognize(e *CreditEntry, holderRegion string, amount int64) (n int64, field string, level int, err error) {
	name := "recognition rule " + r.ID + " version " + strconv.Itoa(r.Version)
	switch {
	case r.Retired:
		return 0, "", 0, Errorf(ECONFLICT, "%s retired the rule on %s", name, r.EffectiveFrom.UTC().Format(time.RFC3339))
	case holderRegion != r.FromRegion:
		return 0, "", 0, Errorf(ECONFLICT, "%s recognises credits from region %s; entry %s is held by %s in region %s", name, r.FromRegion, e.ID, e.HolderID, holderRegion)
	case r.FromIssuerID != "" && e.HolderID != r.FromIssuerID:
		return 0, "", 0, Errorf(ECONFLICT, "%s recognises credits held by %s only; entry %s is held by %s", name, r.FromIssuerID, e.ID, e.HolderID)
	case r.FromField != "" && e.Field != r.FromField:
		return 0, "", 0, Errorf(ECONFLICT, "%s recognises credits in %s only; entry %s is in %s", name, r.FromField, e.ID, e.Field)
	case e.Level < r.FromMinLevel:
		return 0, "", 0, Errorf(ECONFLICT, "%s recognises credits from level %d; entry %s is at level %d", name, r.FromMinLevel, e.ID, e.Level)
	}
	n = amount * int64(r.RatePermille) / 1000
	if n <= 0 {
		return 0, "", 0, Errorf(ECONFLICT, "under %s, %s credits of entry %s are worth nothing", name, FormatCredits(amount), e.ID)
	}
	field, level = e.Field, e.Level
	if r.ToField != "" {
		field = r.ToField
	}
	if r.ToLevel != 0 {
		level = r.ToLevel
	}
	return n, field, level, nil
}

func validateRuleHead(id string, name Name, from time.Time) error {
	switch {
	case !ValidLocalID(id):
		return Errorf(EINVALID, "id %.70q must be 1-128 letters, digits, '.', '_' or '-'", id)
	case from.Before(earliestOutcome):
		return Errorf(EINVALID, "effectiveFrom is required and must not be before 1900")
	}
	return name.validate("name")
}

// CreditAccount is a learner's account in the credit bank (学分银行), one per learner. It stores no
// balance: balances are derived from the account's entries (see CreditStatement), so they cannot
// drift from them.
type CreditAccount struct {
	LearnerID string    `json:"learnerId"`
	OpenedBy  string    `json:"openedBy"`
	OpenedAt  time.Time `json:"openedAt"`
	TxID      string    `json:"txId"`
}

// EntryKind is how credits came into an account.
type EntryKind string

// Entry kinds.
const (
	// EntryDeposit is credits converted from a learning outcome under a conversion rule.
	EntryDeposit EntryKind = "DEPOSIT"
	// EntryRecognition is credits of another entry recognised by an institution under a
	// recognition rule.
	EntryRecognition EntryKind = "RECOGNITION"
)

// UseKind is how credits of an entry were used.
type UseKind string

// Use kinds.
const (
	// UseRedeemed is credits redeemed toward a qualification.
	UseRedeemed UseKind = "REDEEMED"
	// UseRecognized is credits transferred into a recognition entry of another institution.
	UseRecognized UseKind = "RECOGNIZED"
)

// EntryUse is one use of part of an entry: a redemption or a recognition.
type EntryUse struct {
	Kind UseKind `json:"kind"`
	// Ref is the redemption's ID, or the ID of the recognition entry the credits went to.
	Ref    string    `json:"ref"`
	Amount int64     `json:"amount"`
	At     time.Time `json:"at"`
	TxID   string    `json:"txId"`
}

// CreditEntry is one lot of credits in a learner's account: Amount thousandths in a field at a
// level, held by institution HolderID (the outcome's issuer for a deposit, the recognising
// institution for a recognition), backed by Outcome. Remaining is what has not been used yet;
// Redeemed and TransferredOut (to recognition entries) say where the rest went, so Remaining =
// Amount − Redeemed − TransferredOut. Only the holder may redeem an entry; another institution must
// recognise it first.
//
// An entry stays the same size however often it is used: it counts its uses (UseCount) and keeps
// the last (LastUse). Each use is a new version of the entry, so the entry's history
// (GetCreditEntryHistory) lists every use, and each redemption or recognition names its parts.
type CreditEntry struct {
	ID        string    `json:"id"`
	LearnerID string    `json:"learnerId"`
	Kind      EntryKind `json:"kind"`
	HolderID  string    `json:"holderId"`
	Field     string    `json:"field"`
	Level     int       `json:"level"`
	Amount    int64     `json:"amount"`
	Remaining int64     `json:"remaining"`
	// Redeemed and TransferredOut are what redemptions and recognitions took from the entry.
	Redeemed       int64 `json:"redeemed"`
	TransferredOut int64 `json:"transferredOut"`
	// Outcome is the learning outcome behind the credits; a recognition carries the outcome of the
	// entry it recognises.
	Outcome     Outcome `json:"outcome"`
	RuleID      string  `json:"ruleId"`
	RuleVersion int     `json:"ruleVersion"`
	// OriginalEntryID, FromRegion and CrossRegion describe a recognition: the entry recognised,
	// the region of its holder, and whether that is another region than the recogniser's.
	OriginalEntryID string    `json:"originalEntryId,omitempty"`
	FromRegion      string    `json:"fromRegion,omitempty"`
	CrossRegion     bool      `json:"crossRegion,omitempty"`
	UseCount        int       `json:"useCount,omitempty"`
	LastUse         *EntryUse `json:"lastUse,omitempty"`
	CreatedAt       time.Time `json:"createdAt"`
	CreatedBy       string    `json:"createdBy"`
	TxID            string    `json:"txId"`
}

// Use records that amount of the entry went to kind's ref: it updates Remaining, the counters and
// LastUse. The caller has checked that amount is positive and at most Remaining.
func (e *CreditEntry) Use(u EntryUse) {
	e.Remaining -= u.Amount
	if u.Kind == UseRecognized {
		e.TransferredOut += u.Amount
	} else {
		e.Redeemed += u.Amount
	}
	e.UseCount++
	e.LastUse = &u
}

// DepositRequest asks to convert a learning outcome of a learner into credits under conversion rule
// RuleID. The ledger reads the outcome, checks that it belongs to the learner and is ACTIVE, and
// takes the amount, field and level from the version of the rule in force at the outcome's date.
type DepositRequest struct {
	LearnerID string        `json:"learnerId"`
	Source    OutcomeSource `json:"source"`
	OutcomeID string        `json:"outcomeId"`
	RuleID    string        `json:"ruleId"`
}

// Validate checks a deposit request.
func (d *DepositRequest) Validate() error {
	switch {
	case !ValidLocalID(d.LearnerID):
		return Errorf(EINVALID, "learnerId %.70q is not a valid learner ID", d.LearnerID)
	case !d.Source.Valid():
		return Errorf(EINVALID, "source %.40q must be RECORD or CREDENTIAL", d.Source)
	case !ValidCredentialID(d.OutcomeID):
		return Errorf(EINVALID, "outcomeId %.70q is not a valid record or credential ID", d.OutcomeID)
	case !ValidLocalID(d.RuleID):
		return Errorf(EINVALID, "ruleId %.70q is not a valid rule ID", d.RuleID)
	}
	return nil
}

// RecognitionRequest asks the caller's institution to recognise Amount thousandths (all that
// remains when 0) of entry EntryID of a learner under recognition rule RuleID.
type RecognitionRequest struct {
	LearnerID string `json:"learnerId"`
	EntryID   string `json:"entryId"`
	RuleID    string `json:"ruleId"`
	Amount    int64  `json:"amount,omitempty"`
}

// Validate checks a recognition request.
func (r *RecognitionRequest) Validate() error {
	switch {
	case !ValidLocalID(r.LearnerID):
		return Errorf(EINVALID, "learnerId %.70q is not a valid learner ID", r.LearnerID)
	case !ValidLocalID(r.EntryID):
		return Errorf(EINVALID, "entryId %.70q is not a valid entry ID", r.EntryID)
	case !ValidLocalID(r.RuleID):
		return Errorf(EINVALID, "ruleId %.70q is not a valid rule ID", r.RuleID)
	case r.Amount < 0 || r.Amount > MaxCredits:
		return Errorf(EINVALID, "amount must be between 0 (all that remains) and %d thousandths of a credit", MaxCredits)
	}
	return nil
}

// Recognition is the outcome of a recognition: the original entry after the transfer and the new
// entry of the recognising institution.
type Recognition struct {
	Original   CreditEntry `json:"original"`
	Recognized CreditEntry `json:"recognized"`
}

// Qualification is what credits are redeemed toward, as the awarding institution defines it: its
// code and name, optionally the field and minimum level every credit must have, and the credits it
// asks for.
type Qualification struct {
	Code     string `json:"code"`
	Name     Name   `json:"name"`
	Field    string `json:"field,omitempty"`
	MinLevel int    `json:"minLevel,omitempty"`
	Credits  int64  `json:"credits"`
}

// RedemptionPart consumes Amount thousandths of one entry.
type RedemptionPart struct {
	EntryID string `json:"entryId"`
	Amount  int64  `json:"amount"`
}

// Redemption uses credits of a learner toward a qualification awarded by InstitutionID, consuming
// exactly the parts named, all or nothing. Its ID, chosen by the institution, makes a retried
// submission safe: the same ID twice is refused.
type Redemption struct {
	ID            string           `json:"id"`
	LearnerID     string           `json:"learnerId"`
	InstitutionID string           `json:"institutionId"`
	Qualification Qualification    `json:"qualification"`
	Parts         []RedemptionPart `json:"parts"`
	Total         int64            `json:"total,omitempty"`
	RedeemedAt    time.Time        `json:"redeemedAt,omitzero"`
	TxID          string           `json:"txId,omitempty"`
}

// Validate checks the fields a caller supplies when redeeming: a qualification, 1 to
// MaxRedemptionParts parts on distinct entries, each of a positive amount, adding up to exactly the
// credits the qualification asks for.
func (r *Redemption) Validate() error {
	q := &r.Qualification
	switch {
	case !ValidLocalID(r.ID):
		return Errorf(EINVALID, "id %.70q must be 1-128 letters, digits, '.', '_' or '-'", r.ID)
	case !ValidLocalID(r.LearnerID):
		return Errorf(EINVALID, "learnerId %.70q is not a valid learner ID", r.LearnerID)
	case !ValidOrgID(r.InstitutionID):
		return Errorf(EINVALID, "institutionId %.70q is not a valid organisation ID", r.InstitutionID)
	case !ValidLocalID(q.Code):
		return Errorf(EINVALID, "qualification.code %.70q must be 1-128 letters, digits, '.', '_' or '-'", q.Code)
	case q.Field != "" && !ValidField(q.Field):
		return Errorf(EINVALID, "qualification.field %.70q must be 1-64 lower-case letters, digits, '.' or '-'", q.Field)
	case q.MinLevel != 0 && (q.MinLevel < MinLevel || q.MinLevel > MaxLevel):
		return Errorf(EINVALID, "qualification.minLevel must be between %d and %d, or left out", MinLevel, MaxLevel)
	case q.Credits < 1 || q.Credits > MaxCredits:
		return Errorf(EINVALID, "qualification.credits must be between 1 and %d thousandths of a credit", MaxCredits)
	case len(r.Parts) < 1 || len(r.Parts) > MaxRedemptionParts:
		return Errorf(EINVALID, "a redemption consumes between 1 and %d entries", MaxRedemptionParts)
	}
	if err := q.Name.validate("qualification.name"); err != nil {
		return err
	}
	var total int64
	for i, p := range r.Parts {
		switch {
		case !ValidLocalID(p.EntryID):
			return Errorf(EINVALID, "parts[%d].entryId %.70q is not a valid entry ID", i, p.EntryID)
		case p.Amount < 1 || p.Amount > MaxCredits:
			return Errorf(EINVALID, "parts[%d].amount must be between 1 and %d thousandths of a credit", i, MaxCredits)
		}
		for j := range i {
			if r.Parts[j].EntryID == p.EntryID {
				return Errorf(EINVALID, "parts[%d] names entry %s again; take the whole amount in one part", i, p.EntryID)
			}
		}
		total += p.Amount
	}
	if total != q.Credits {
		return Errorf(EINVALID, "the parts add up to %s credits; the qualification asks for %s", FormatCredits(total), FormatCredits(q.Credits))
	}
	return nil
}

// CreditBalance sums a learner's entries in one field at one level (or, as a statement's Total,
// all of them, Field and Level then empty). Deposited and Recognized are what came in,
// TransferredOut (recognised by another institution) and Redeemed what went out. Balance is what
// remains: always Deposited + Recognized − TransferredOut − Redeemed. Blocked is the part of
// Balance that cannot be used because the outcome behind it is no longer ACTIVE (revoked or
// suspended).
type CreditBalance struct {
	Field          string `json:"field,omitempty"`
	Level          int    `json:"level,omitempty"`
	Deposited      int64  `json:"deposited"`
	Recognized     int64  `json:"recognized"`
	TransferredOut int64  `json:"transferredOut"`
	Redeemed       int64  `json:"redeemed"`
	Balance        int64  `json:"balance"`
	Blocked        int64  `json:"blocked"`
}

// CreditStatement is a learner's credit account at one moment: its balances by field and level,
// in (field, level) order, and their total, over every entry or, when HolderID is set, over the
// entries one institution holds (what it could redeem).
type CreditStatement struct {
	LearnerID string          `json:"learnerId"`
	HolderID  string          `json:"holderId,omitempty"`
	Account   CreditAccount   `json:"account"`
	Balances  []CreditBalance `json:"balances"`
	Total     CreditBalance   `json:"total"`
	Entries   int             `json:"entries"`
	AsOf      time.Time       `json:"asOf"`
}

// Names of the credit bank's and the archive's chaincode events (see event.go for the others).
const (
	// EventLearningRecordRecorded and EventLearningRecordRevoked carry the LearningRecord.
	EventLearningRecordRecorded = "LearningRecordRecorded"
	EventLearningRecordRevoked  = "LearningRecordRevoked"
	// EventCreditRulePublished carries the CreditRule version, EventRecognitionRulePublished the
	// RecognitionRule version.
	EventCreditRulePublished      = "CreditRulePublished"
	EventRecognitionRulePublished = "RecognitionRulePublished"
	// EventCreditAccountOpened carries the CreditAccount.
	EventCreditAccountOpened = "CreditAccountOpened"
	// EventCreditsDeposited carries the new CreditEntry, EventCreditsRecognized the Recognition,
	// EventCreditsRedeemed the Redemption.
	EventCreditsDeposited  = "CreditsDeposited"
	EventCreditsRecognized = "CreditsRecognized"
	EventCreditsRedeemed   = "CreditsRedeemed"
)
