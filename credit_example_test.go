package eduledger_test

import (
	"fmt"
	"time"

	"github.com/eduledger/eduledger"
)

// A conversion rule decides what a learning outcome is worth; amounts are thousandths of a credit.
func ExampleCreditRule_Worth() {
	rule := eduledger.CreditRule{ID: "sunrise-hours", Version: 1, Name: eduledger.Name{Zh: "培训学时", En: "Training hours"},
		Source: eduledger.SourceRecord, RecordKind: eduledger.RecordTraining, Field: "network-operations", Level: 5,
		Credits: 1000, PerHours: 16, MaxCredits: 4000, EffectiveFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, hours := range []int{40, 100} {
		n, err := rule.Worth(eduledger.Outcome{Source: eduledger.SourceRecord, RecordKind: eduledger.RecordTraining, Hours: hours})
		fmt.Println(hours, "hours:", eduledger.FormatCredits(n), err)
	}
	_, err := rule.Worth(eduledger.Outcome{Source: eduledger.SourceCredential, CredentialType: eduledger.TypeDiploma, ID: "urn:x:1", IssuerID: "riverside-university"})
	fmt.Println(eduledger.ErrorCode(err))
	// Output:
	// 40 hours: 2.500 <nil>
	// 100 hours: 4.000 <nil>
	// CONFLICT
}

// Amounts typed by people are parsed exactly, never through a float.
func ExampleParseCredits() {
	n, err := eduledger.ParseCredits("2.5")
	fmt.Println(n, err)
	_, err = eduledger.ParseCredits("2.5004")
	fmt.Println(eduledger.ErrorCode(err))
	// Output:
	// 2500 <nil>
	// INVALID
}

// The full record of a learning outcome stays private; its digest on the ledger lets a verifier
// shown the full record check that it is the one recorded.
func ExampleLearningRecordDetail_Digest() {
	d := eduledger.LearningRecordDetail{RecordID: "urn:uuid:9b2e5f1c-3d4a-4b6c-8e7f-0a1b2c3d4e5f", LearnerID: "s2026001",
		Result: "A (91/100)", Salt: "5f0c3e8a9b2d4c6e8f1a3b5c7d9e0f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c0d2e"}
	r := eduledger.LearningRecord{ID: d.RecordID, LearnerID: d.LearnerID, IssuerID: "riverside-university", Kind: eduledger.RecordCourse,
		Title: eduledger.Name{Zh: "计算机网络", En: "Computer Networks"}, Field: "computer-networks", Level: 6,
		Date: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), Digest: d.Digest()}
	fmt.Println(r.Validate() == nil, r.Kind.AccreditationType())

	shown := d
	shown.Result = "A+ (99/100)"
	fmt.Println(shown.Digest() == r.Digest)
	// Output:
	// true Transcript
	// false
}
