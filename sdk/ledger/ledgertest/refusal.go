package ledgertest

import (
	"encoding/json"
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

func (s *suite) testRefusedIdentities(t *testing.T) {
	ctx := t.Context()
	school := s.school.org.ID
	k := func() *eduledger.IssuerKey {
		return &eduledger.IssuerKey{OrgID: school, ID: "k-" + randomHex(4), Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Multikey()}
	}
	for _, tc := range []struct {
		name              string
		mspID, org, role  string
		wantKeyRegistered bool
	}{
		{"a certificate from another MSP's CA naming the school", EnterpriseMSP, school, "admin", false},
		{"a certificate naming an organisation that is not registered", SchoolMSP, s.id("phantom"), "admin", false},
		{"a certificate without the organisation attribute", SchoolMSP, "", "admin", false},
		{"a certificate without the role attribute", SchoolMSP, school, "", false},
		{"a certificate with an unknown role", SchoolMSP, school, "dean", false},
		{"a certificate naming the governing organisation from the school MSP", SchoolMSP, s.gov.ID, "admin", false},
		{"the school's genuine admin, for contrast", SchoolMSP, school, "admin", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := s.client(t, tc.mspID, tc.org, eduledger.StaffRole(tc.role))
			_, err := c.RegisterIssuerKey(ctx, k())
			if tc.wantKeyRegistered {
				if err != nil {
					t.Fatalf("register key: %v", err)
				}
			} else {
				wantCode(t, err, eduledger.EFORBIDDEN)
			}
			_, err = c.AdmitOrganization(ctx, &eduledger.Organization{ID: s.id("never"), MSPID: SchoolMSP, Kind: eduledger.KindSchool,
				RegionCode: "310000", Name: eduledger.Name{Zh: "从未", En: "Never"}})
			wantCode(t, err, eduledger.EFORBIDDEN)
			// Reads need no staff attributes.
			must(c.GetOrganization(ctx, school))(t)
		})
	}
}

func (s *suite) testMalformedCalls(t *testing.T) {
	ctx := t.Context()
	l := s.register(t, s.school, "malformed-learner")
	good, _ := json.Marshal(newAnchor(s.school, l.ID, eduledger.TypeDiploma))
	var extra map[string]any
	_ = json.Unmarshal(good, &extra)
	extra["grade"] = "A"
	withExtra, _ := json.Marshal(extra)
	raw := s.school.issuer.Ledger()
	for _, tc := range []struct {
		name string
		fn   string
		args []string
	}{
		{"an unknown transaction", "MintCoins", nil},
		{"too few arguments", "AnchorCredential", nil},
		{"too many arguments", "AnchorCredential", []string{string(good), "extra"}},
		{"a document that is not JSON", "AnchorCredential", []string{"{not json"}},
		{"an unknown field", "AnchorCredential", []string{string(withExtra)}},
		{"JSON null", "AnchorCredential", []string{"null"}},
		{"trailing data after the document", "AnchorCredential", []string{string(good) + " {}"}},
		{"a field of the wrong JSON type", "AnchorCredential", []string{`{"id": 42}`}},
		{"a page size that is not a number", "ListOrganizations", []string{"ten", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := raw.Submit(ctx, &ledger.Transaction{Function: tc.fn, Args: tc.args})
			if tc.fn == "ListOrganizations" {
				_, err = raw.Evaluate(ctx, &ledger.Transaction{Function: tc.fn, Args: tc.args})
			}
			wantCode(t, err, eduledger.EINVALID)
		})
	}
	// The well-formed document still anchors: nothing above consumed its ID or digest.
	if _, err := raw.Submit(ctx, &ledger.Transaction{Function: "AnchorCredential", Args: []string{string(good)}}); err != nil {
		t.Fatalf("the well-formed anchor after the refusals: %v", err)
	}
}
