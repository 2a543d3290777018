package main

import (
	"github.com/eduledger/eduledger"
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

// demoOrgs are the demo organisations of the shared conventions, with the member hosting each.
var demoOrgs = []eduledger.Organization{
	{ID: "edu-bureau", MSPID: "GovMSP", Kind: eduledger.KindGovernment, RegionCode: "310000",
		Name: eduledger.Name{Zh: "市教育局", En: "Municipal Education Bureau"}},
	{ID: "riverside-university", MSPID: "SchoolMSP", Kind: eduledger.KindSchool, RegionCode: "310000",
		Name: eduledger.Name{Zh: "滨江大学", En: "Riverside University"}},
	{ID: "lakeside-college", MSPID: "SchoolMSP", Kind: eduledger.KindSchool, RegionCode: "310000",
		Name: eduledger.Name{Zh: "湖畔职业学院", En: "Lakeside Vocational College"}},
	{ID: "acme-networks", MSPID: "EnterpriseMSP", Kind: eduledger.KindEnterprise, RegionCode: "310000",
		Name: eduledger.Name{Zh: "艾克米网络有限公司", En: "Acme Networks Ltd."}},
}

func memberByMSP(mspID string) (member, bool) {
	for _, m := range members {
		if m.MSPID == mspID {
			return m, true
		}
	}
	return member{}, false
}
