package main

import (
	"github.com/eduledger/eduledger/sdk/devnet"
)

// member is one of the network's peer organisations, as network/config/crypto-config.yaml names it.
type member struct {
	Key    string // gov, school, enterprise: the names the scripts use
	MSPID  string
	Domain string
}

var members = []member{
	{"gov", "GovMSP", "gov.eduledger.local"},
	{"school", "SchoolMSP", "school.eduledger.local"},
	{"enterprise", "EnterpriseMSP", "enterprise.eduledger.local"},
}

// trusted is the organisation each member trusts to co-endorse transactions with private data
// (learner registrations): MAJORITY needs two organisations and the gateway will not choose the
// second one itself. The education bureau is every school's and enterprise's choice; the bureau
// itself pairs with the school node.
var trusted = map[string]string{"GovMSP": "SchoolMSP", "SchoolMSP": "GovMSP", "EnterpriseMSP": "GovMSP"}

// demoOrgs are the demo organisations, with the member hosting each: the development network's
// own list (sdk/devnet), so that the Fabric network mints staff identities for every organisation
// the demo plays — the training centre and the university of another region included. The bureau
// comes first.
var demoOrgs = devnet.Organizations()

func memberByMSP(mspID string) (member, bool) {
	for _, m := range members {
		if m.MSPID == mspID {
			return m, true
		}
	}
	return member{}, false
}
