package eduledger_test

import (
	"errors"
	"fmt"

	"github.com/eduledger/eduledger"
)

// A registrar's software commits to a learner's personal data on the ledger, keeping the data
// itself private; anyone later shown the data can check it against the commitment.
func ExamplePersonalData_Commitment() {
	p := eduledger.PersonalData{Name: "张三", NationalID: "310104200401010011", DateOfBirth: "2004-01-01",
		Salt: "5f0c3e8a9b2d4c6e8f1a3b5c7d9e0f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c0d2e"}
	if err := p.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	l := eduledger.Learner{ID: "s2026001", Roles: []eduledger.LearnerRole{eduledger.RoleStudent}, PersonalDataCommitment: p.Commitment()}
	fmt.Println(l.Validate() == nil, len(l.PersonalDataCommitment))

	shown := p
	shown.Name = "李四"
	fmt.Println(shown.Commitment() == l.PersonalDataCommitment)
	// Output:
	// true 64
	// false
}

// Chaincode errors travel as text; ParseError and ErrorCode give their stable codes back.
func ExampleParseError() {
	err := errors.New("chaincode response 500, FORBIDDEN: only registrar or admin staff may change the status of credentials; your role is issuer")
	if e := eduledger.ParseError(err.Error()); e != nil {
		fmt.Println(e.Code)
		fmt.Println(eduledger.ErrorCode(e), eduledger.ErrorMessage(e))
	}
	// Output:
	// FORBIDDEN
	// FORBIDDEN only registrar or admin staff may change the status of credentials; your role is issuer
}
