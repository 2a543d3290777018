package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/issuance"
)

// The lifelong archive and the credit bank. Amounts are thousandths of a credit
// (eduledger.FormatCredits and ParseCredits convert them to and from "4.000").

// pageQuery is the query of a paged list.
func pageQuery(pageSize int, pageToken string) url.Values {
	v := url.Values{}
	if pageSize > 0 {
		v.Set("pageSize", strconv.Itoa(pageSize))
	}
	if pageToken != "" {
		v.Set("pageToken", pageToken)
	}
	return v
}

func credits(learnerID string) string { return "/v1/learners/" + esc(learnerID) + "/credits" }

// RecordOutcome records a learning outcome of the token's organisation in a learner's archive;
// idem (optional) makes a retry safe. The answer carries the full record with its salt.
func (c *Client) RecordOutcome(ctx context.Context, req issuance.RecordRequest, idem string) (*issuance.LearningRecord, error) {
	var out issuance.LearningRecord
	return &out, c.call(ctx, http.MethodPost, "/v1/records", nil, idem, req, &out)
}

// GetRecord returns a learning record's public summary and, with detail, its full record (only
// for the recording organisation).
func (c *Client) GetRecord(ctx context.Context, id string, detail bool) (*issuance.LearningRecord, error) {
	var q url.Values
	if detail {
		q = url.Values{"detail": {"true"}}
	}
	var out issuance.LearningRecord
	return &out, c.call(ctx, http.MethodGet, "/v1/records/"+esc(id), q, "", nil, &out)
}

// ListRecords returns a page of the learning records the token's organisation recorded.
func (c *Client) ListRecords(ctx context.Context, pageSize int, pageToken string) (*issuance.Page[eduledger.LearningRecord], error) {
	var out issuance.Page[eduledger.LearningRecord]
	return &out, c.call(ctx, http.MethodGet, "/v1/records", pageQuery(pageSize, pageToken), "", nil, &out)
}

// RevokeRecord revokes a learning record for a reason code; revocation is final.
func (c *Client) RevokeRecord(ctx context.Context, id, reason string) (*eduledger.LearningRecord, error) {
	var out eduledger.LearningRecord
	return &out, c.call(ctx, http.MethodPost, "/v1/records/"+esc(id)+"/revoke", nil, "", map[string]string{"reason": reason}, &out)
}

// Archive returns a page of a learner's lifelong archive, in the order of the outcomes.
func (c *Client) Archive(ctx context.Context, learnerID string, pageSize int, pageToken string) (*issuance.Page[eduledger.ArchiveItem], error) {
	var out issuance.Page[eduledger.ArchiveItem]
	return &out, c.call(ctx, http.MethodGet, "/v1/learners/"+esc(learnerID)+"/archive", pageQuery(pageSize, pageToken), "", nil, &out)
}

// PublishCreditRule publishes the next version of a conversion rule (caller: the governing
// organisation's admin); the answer carries the version the ledger assigned.
func (c *Client) PublishCreditRule(ctx context.Context, r eduledger.CreditRule) (*eduledger.CreditRule, error) {
	var out eduledger.CreditRule
	return &out, c.call(ctx, http.MethodPost, "/v1/credit-rules", nil, "", r, &out)
}

// GetCreditRule returns a version of a conversion rule (0: the latest) or, with at set, the
// version in force then.
func (c *Client) GetCreditRule(ctx context.Context, id string, version int, at time.Time) (*eduledger.CreditRule, error) {
	var out eduledger.CreditRule
	return &out, c.call(ctx, http.MethodGet, "/v1/credit-rules/"+esc(id), ruleQuery(version, at), "", nil, &out)
}

// ListCreditRules returns a page of every version of every conversion rule.
func (c *Client) ListCreditRules(ctx context.Context, pageSize int, pageToken string) (*issuance.Page[eduledger.CreditRule], error) {
	var out issuance.Page[eduledger.CreditRule]
	return &out, c.call(ctx, http.MethodGet, "/v1/credit-rules", pageQuery(pageSize, pageToken), "", nil, &out)
}

// PreviewCredit says what an outcome would be worth under a conversion rule, without a
// transaction.
func (c *Client) PreviewCredit(ctx context.Context, ruleID string, src eduledger.OutcomeSource, outcomeID string) (*issuance.CreditPreview, error) {
	var out issuance.CreditPreview
	q := url.Values{"source": {string(src)}, "outcomeId": {outcomeID}}
	return &out, c.call(ctx, http.MethodGet, "/v1/credit-rules/"+esc(ruleID)+"/preview", q, "", nil, &out)
}

// PublishRecognitionRule publishes the next version of a recognition rule (caller: the governing
// organisation's admin).
func (c *Client) PublishRecognitionRule(ctx context.Context, r eduledger.RecognitionRule) (*eduledger.RecognitionRule, error) {
	var out eduledger.RecognitionRule
	return &out, c.call(ctx, http.MethodPost, "/v1/recognition-rules", nil, "", r, &out)
}

// GetRecognitionRule returns a version of a recognition rule (0: the latest) or, with at set, the
// version in force then.
func (c *Client) GetRecognitionRule(ctx context.Context, id string, version int, at time.Time) (*eduledger.RecognitionRule, error) {
	var out eduledger.RecognitionRule
	return &out, c.call(ctx, http.MethodGet, "/v1/recognition-rules/"+esc(id), ruleQuery(version, at), "", nil, &out)
}

// ListRecognitionRules returns a page of every version of every recognition rule.
func (c *Client) ListRecognitionRules(ctx context.Context, pageSize int, pageToken string) (*issuance.Page[eduledger.RecognitionRule], error) {
	var out issuance.Page[eduledger.RecognitionRule]
	return &out, c.call(ctx, http.MethodGet, "/v1/recognition-rules", pageQuery(pageSize, pageToken), "", nil, &out)
}

func ruleQuery(version int, at time.Time) url.Values {
	q := url.Values{}
	if version > 0 {
		q.Set("version", strconv.Itoa(version))
	}
	if !at.IsZero() {
		q.Set("at", at.UTC().Format(time.RFC3339))
	}
	return q
}

// OpenCreditAccount opens a learner's credit account (caller: a registrar or admin of the
// registering organisation).
func (c *Client) OpenCreditAccount(ctx context.Context, learnerID string) (*eduledger.CreditAccount, error) {
	var out eduledger.CreditAccount
	return &out, c.call(ctx, http.MethodPost, credits(learnerID)+"/account", nil, "", nil, &out)
}

// CreditAccount returns a learner's credit account.
func (c *Client) CreditAccount(ctx context.Context, learnerID string) (*eduledger.CreditAccount, error) {
	var out eduledger.CreditAccount
	return &out, c.call(ctx, http.MethodGet, credits(learnerID)+"/account", nil, "", nil, &out)
}

// Deposit converts a learner's outcome into credits under a conversion rule; idem (optional)
// makes a retry safe.
func (c *Client) Deposit(ctx context.Context, learnerID string, req issuance.DepositRequest, idem string) (*eduledger.CreditEntry, error) {
	var out eduledger.CreditEntry
	return &out, c.call(ctx, http.MethodPost, credits(learnerID)+"/deposits", nil, idem, req, &out)
}

// Recognize has the token's institution recognise credits of another institution's entry.
func (c *Client) Recognize(ctx context.Context, learnerID string, req issuance.RecognitionRequest, idem string) (*eduledger.Recognition, error) {
	var out eduledger.Recognition
	return &out, c.call(ctx, http.MethodPost, credits(learnerID)+"/recognitions", nil, idem, req, &out)
}

// Redeem uses credits the token's institution holds toward a qualification it awards.
func (c *Client) Redeem(ctx context.Context, learnerID string, req issuance.RedemptionRequest, idem string) (*eduledger.Redemption, error) {
	var out eduledger.Redemption
	return &out, c.call(ctx, http.MethodPost, credits(learnerID)+"/redemptions", nil, idem, req, &out)
}

// CreditEntries returns a page of a learner's entries, in the order they were made.
func (c *Client) CreditEntries(ctx context.Context, learnerID string, pageSize int, pageToken string) (*issuance.Page[eduledger.CreditEntry], error) {
	var out issuance.Page[eduledger.CreditEntry]
	return &out, c.call(ctx, http.MethodGet, credits(learnerID)+"/entries", pageQuery(pageSize, pageToken), "", nil, &out)
}

// CreditEntry returns one entry of a learner's account.
func (c *Client) CreditEntry(ctx context.Context, learnerID, entryID string) (*eduledger.CreditEntry, error) {
	var out eduledger.CreditEntry
	return &out, c.call(ctx, http.MethodGet, credits(learnerID)+"/entries/"+esc(entryID), nil, "", nil, &out)
}

// CreditEntryHistory returns every version of an entry, newest first.
func (c *Client) CreditEntryHistory(ctx context.Context, learnerID, entryID string) ([]eduledger.HistoryEntry[eduledger.CreditEntry], error) {
	var out struct {
		Items []eduledger.HistoryEntry[eduledger.CreditEntry] `json:"items"`
	}
	return out.Items, c.call(ctx, http.MethodGet, credits(learnerID)+"/entries/"+esc(entryID)+"/history", nil, "", nil, &out)
}

// Redemptions returns a page of a learner's redemptions.
func (c *Client) Redemptions(ctx context.Context, learnerID string, pageSize int, pageToken string) (*issuance.Page[eduledger.Redemption], error) {
	var out issuance.Page[eduledger.Redemption]
	return &out, c.call(ctx, http.MethodGet, credits(learnerID)+"/redemptions", pageQuery(pageSize, pageToken), "", nil, &out)
}

// Redemption returns one of a learner's redemptions.
func (c *Client) Redemption(ctx context.Context, learnerID, redemptionID string) (*eduledger.Redemption, error) {
	var out eduledger.Redemption
	return &out, c.call(ctx, http.MethodGet, credits(learnerID)+"/redemptions/"+esc(redemptionID), nil, "", nil, &out)
}

// CreditStatement returns a learner's balances by field and level, over every entry or, with
// holderID, over what that institution holds.
func (c *Client) CreditStatement(ctx context.Context, learnerID, holderID string) (*eduledger.CreditStatement, error) {
	var q url.Values
	if holderID != "" {
		q = url.Values{"holderId": {holderID}}
	}
	var out eduledger.CreditStatement
	return &out, c.call(ctx, http.MethodGet, credits(learnerID)+"/statement", q, "", nil, &out)
}
