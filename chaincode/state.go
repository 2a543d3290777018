package chaincode

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/eduledger/eduledger"
)

// Object types of the composite keys the contract writes. docs/data-model.md lists the layouts.
const (
	typeConfig          = "cfg"          // cfg ‖ "governance" → governance
	typeOrg             = "org"          // org ‖ orgID → Organization
	typeAccreditation   = "acc"          // acc ‖ orgID ‖ credentialType ‖ accreditationID → Accreditation
	typeAccWindows      = "acc~window"   // acc~window ‖ orgID ‖ credentialType → []window, sorted by ID
	typeKey             = "key"          // key ‖ orgID ‖ keyID → IssuerKey
	typeLearner         = "lrn"          // lrn ‖ learnerID → Learner (public part)
	typePersonal        = "personal"     // personal ‖ learnerID → PersonalData, private collection only
	typeCredential      = "cred"         // cred ‖ credentialID → CredentialAnchor
	typeCredByDigest    = "cred~digest"  // cred~digest ‖ digest → credential ID
	typeCredByLearner   = "cred~learner" // cred~learner ‖ learnerID ‖ credentialID → 0x00
	typeCredByIssuer    = "cred~issuer"  // cred~issuer ‖ issuerID ‖ credentialID → 0x00
	typeBatch           = "batch"        // batch ‖ root → BatchAnchor
	governanceAttribute = "governance"

	// The lifelong archive and the credit bank (record.go, rule.go, credit.go).
	typeRecord             = "rec"            // rec ‖ recordID → LearningRecord
	typeRecordByDigest     = "rec~digest"     // rec~digest ‖ digest → record ID
	typeRecordByIssuer     = "rec~issuer"     // rec~issuer ‖ issuerID ‖ recordID → 0x00
	typeRecordDetail       = "recdetail"      // recdetail ‖ recordID → LearningRecordDetail, private collection only
	typeArchive            = "arc"            // arc ‖ learnerID ‖ stamp(outcome time) ‖ "rec"|"cred" ‖ ID → 0x00
	typeCreditRule         = "crule"          // crule ‖ ruleID ‖ %06d version → CreditRule
	typeCreditRuleVersions = "crule~ver"      // crule~ver ‖ ruleID → []versionRef, by version
	typeRecogRule          = "rrule"          // rrule ‖ ruleID ‖ %06d version → RecognitionRule
	typeRecogRuleVersions  = "rrule~ver"      // rrule~ver ‖ ruleID → []versionRef, by version
	typeCreditAccount      = "cacct"          // cacct ‖ learnerID → CreditAccount
	typeCreditEntry        = "centry"         // centry ‖ learnerID ‖ entryID (stamp-hash) → CreditEntry
	typeEntryByOutcome     = "centry~outcome" // centry~outcome ‖ source ‖ outcomeID → entry ID
	typeRedemption         = "credeem"        // credeem ‖ learnerID ‖ redemptionID → Redemption
)

// indexValue is the value of index entries: Fabric treats an empty value as a delete.
var indexValue = []byte{0}

// governance records who governs the channel. It is written once, by InitLedger.
type governance struct {
	OrgID         string    `json:"orgId"`
	InitialisedAt time.Time `json:"initialisedAt"`
	TxID          string    `json:"txId"`
}

// key builds a composite key. The attributes are validated identifiers, so it only fails on
// input the callers have already refused; the error is still returned rather than ignored.
func key(objectType string, attrs ...string) (string, error) {
	k, err := shim.CreateCompositeKey(objectType, attrs)
	if err != nil {
		return "", eduledger.Errorf(eduledger.EINVALID, "%s", err.Error())
	}
	return k, nil
}

// getJSON reads key into v and reports whether it exists.
func getJSON(stub shim.ChaincodeStubInterface, k string, v any) (bool, error) {
	b, err := stub.GetState(k)
	if err != nil {
		return false, fmt.Errorf("read state: %w", err)
	}
	if b == nil {
		return false, nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("decode state %q: %w", printableKey(k), err)
	}
	return true, nil
}

// putJSON writes v under key and returns the bytes written, which the caller reuses as the event
// payload.
func putJSON(stub shim.ChaincodeStubInterface, k string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	if err := stub.PutState(k, b); err != nil {
		return nil, fmt.Errorf("write state: %w", err)
	}
	return b, nil
}

// marshalEvent encodes an event payload that is not also a state value.
func marshalEvent(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	return b, nil
}

func putIndex(stub shim.ChaincodeStubInterface, objectType string, attrs ...string) error {
	k, err := key(objectType, attrs...)
	if err != nil {
		return err
	}
	if err := stub.PutState(k, indexValue); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}

func emit(stub shim.ChaincodeStubInterface, name string, payload []byte) error {
	if err := stub.SetEvent(name, payload); err != nil {
		return fmt.Errorf("set event: %w", err)
	}
	return nil
}

// txTime returns the transaction timestamp, the only clock the contract reads.
func txTime(stub shim.ChaincodeStubInterface) (time.Time, error) {
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return time.Time{}, fmt.Errorf("read transaction timestamp: %w", err)
	}
	if ts == nil || ts.CheckValid() != nil {
		return time.Time{}, eduledger.Errorf(eduledger.EINVALID, "the transaction carries no valid timestamp")
	}
	return ts.AsTime().UTC(), nil
}

// parseTime reads an RFC 3339 argument; an empty string gives the zero time.
func parseTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, eduledger.Errorf(eduledger.EINVALID, "%s %.40q must be an RFC 3339 time such as 2026-07-01T00:00:00Z", name, s)
	}
	return t.UTC(), nil
}

// utc normalises a time read from a caller's document, so stored values do not depend on the
// caller's time zone. The zero time stays zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// timeLayout formats times in messages.
const timeLayout = time.RFC3339

// maxTextLen bounds free-text fields such as reasons.
const maxTextLen = 500

func checkText(name, s string, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return eduledger.Errorf(eduledger.EINVALID, "%s is required", name)
	case !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxTextLen:
		return eduledger.Errorf(eduledger.EINVALID, "%s must be valid UTF-8 of at most %d characters", name, maxTextLen)
	}
	return nil
}

// page runs a paginated partial-composite-key query and loads each entry. Paginated queries are
// only allowed in evaluated transactions (as on Fabric).
func page[T any](stub shim.ChaincodeStubInterface, pageSize int32, bookmark, objectType string, attrs []string,
	load func(k string, attrs []string, value []byte) (*T, error)) (*eduledger.Page[T], error) {
	if pageSize < 1 || pageSize > eduledger.MaxPageSize {
		return nil, eduledger.Errorf(eduledger.EINVALID, "pageSize must be between 1 and %d", eduledger.MaxPageSize)
	}
	if bookmark != "" {
		// A bookmark is the key the next page starts at. One from another list would make the
		// query start outside this list's key range and return foreign records.
		prefix, err := key(objectType, attrs...)
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(bookmark, prefix) {
			return nil, eduledger.Errorf(eduledger.EINVALID, "bookmark does not belong to this list")
		}
	}
	it, md, err := stub.GetStateByPartialCompositeKeyWithPagination(objectType, attrs, pageSize, bookmark)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", objectType, err)
	}
	defer it.Close()
	out := &eduledger.Page[T]{Items: []T{}}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", objectType, err)
		}
		_, kattrs, err := stub.SplitCompositeKey(kv.Key)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", objectType, err)
		}
		item, err := load(kv.Key, kattrs, kv.Value)
		if err != nil {
			return nil, err
		}
		if item != nil {
			out.Items = append(out.Items, *item)
		}
	}
	if md != nil {
		out.Bookmark = md.Bookmark
	}
	return out, nil
}

// decodeItem is the load function of lists whose values are the records themselves.
func decodeItem[T any](k string, _ []string, value []byte) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(value, v); err != nil {
		return nil, fmt.Errorf("decode state %q: %w", printableKey(k), err)
	}
	return v, nil
}

// history returns every committed version of key, newest first (Fabric's order).
func history[T any](stub shim.ChaincodeStubInterface, k string) ([]eduledger.HistoryEntry[T], error) {
	it, err := stub.GetHistoryForKey(k)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	defer it.Close()
	out := []eduledger.HistoryEntry[T]{}
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		e := eduledger.HistoryEntry[T]{TxID: m.GetTxId(), IsDelete: m.GetIsDelete()}
		if ts := m.GetTimestamp(); ts != nil {
			e.Timestamp = ts.AsTime().UTC()
		}
		if !m.GetIsDelete() && len(m.GetValue()) > 0 {
			e.Value = new(T)
			if err := json.Unmarshal(m.GetValue(), e.Value); err != nil {
				return nil, fmt.Errorf("decode history of %q: %w", printableKey(k), err)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// printableKey renders a composite key for error messages.
func printableKey(k string) string {
	return strings.Trim(strings.ReplaceAll(k, "\x00", "/"), "/")
}

// truncate shortens s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
