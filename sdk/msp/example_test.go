package msp_test

import (
	"fmt"
	"log"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/msp"
)

func Example() {
	// The school node's CA issues a staff certificate carrying the EduLedger attributes.
	ca, err := msp.NewCA("SchoolMSP", "ca.school.example")
	if err != nil {
		log.Fatal(err)
	}
	staff, err := ca.Issue("issuer@riverside-university", map[string]string{
		eduledger.AttrOrg: "riverside-university", eduledger.AttrRole: string(eduledger.StaffIssuer),
	})
	if err != nil {
		log.Fatal(err)
	}

	// The staff member signs; a channel member checks identity and signature.
	msg := []byte("proposal bytes")
	sig, err := staff.Sign(msg)
	if err != nil {
		log.Fatal(err)
	}
	v, err := msp.NewVerifier([]msp.Config{ca.Config()})
	if err != nil {
		log.Fatal(err)
	}
	id, err := v.Verify(staff.Serialize(), msg, sig, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	attrs, _ := id.Attributes()
	fmt.Println(id.MSPID, id.Role, attrs[eduledger.AttrOrg])
	// Output: SchoolMSP client riverside-university
}
