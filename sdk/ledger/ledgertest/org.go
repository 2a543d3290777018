package ledgertest

import (
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

func (s *suite) testInitialisedOnce(t *testing.T) {
	ctx := t.Context()
	again := *s.gov
	again.Status, again.StatusReason, again.AdmittedAt, again.UpdatedAt = "", "", zeroTime, zeroTime
	_, err := s.govAdmin.InitLedger(ctx, &again)
	wantCode(t, err, eduledger.ECONFLICT)

	// Anyone, even with a claim that would otherwise be valid, gets CONFLICT.
	usurper := &eduledger.Organization{ID: s.id("usurper"), MSPID: SchoolMSP, Kind: eduledger.KindGovernment,
		RegionCode: "310000", Name: eduledger.Name{Zh: "篡位者", En: "Usurper"}}
	_, err = s.client(t, SchoolMSP, usurper.ID, eduledger.StaffAdmin).InitLedger(ctx, usurper)
	wantCode(t, err, eduledger.ECONFLICT)

	gov := must(s.school.issuer.GetGoverningOrganization(ctx))(t)
	if gov.ID != s.gov.ID || gov.Kind != eduledger.KindGovernment || gov.Status != eduledger.OrgActive {
		t.Fatalf("governing organisation = %+v, want %s, GOVERNMENT, ACTIVE", gov, s.gov.ID)
	}
}

func (s *suite) testOrganizationLifecycle(t *testing.T) {
	ctx := t.Context()
	org := &eduledger.Organization{ID: s.id("lifecycle"), MSPID: SchoolMSP, Kind: eduledger.KindSchool,
		RegionCode: "310104", Name: eduledger.Name{Zh: "生命周期学校", En: "Lifecycle School"}}
	admitted := must(s.govAdmin.AdmitOrganization(ctx, org))(t)
	if admitted.Status != eduledger.OrgActive || admitted.AdmittedAt.IsZero() || admitted.MSPID != SchoolMSP {
		t.Fatalf("admitted = %+v; want ACTIVE with admittedAt and mspId SchoolMSP", admitted)
	}
	_, err := s.govAdmin.AdmitOrganization(ctx, org)
	wantCode(t, err, eduledger.ECONFLICT)
	if got := must(s.school.issuer.GetOrganization(ctx, org.ID))(t); *got != *admitted {
		t.Fatalf("GetOrganization = %+v, want %+v", got, admitted)
	}

	t.Run("only the governing organisation's admin may admit", func(t *testing.T) {
		other := *org
		other.ID = s.id("not-admitted")
		for _, c := range []struct {
			who    string
			client *ledger.Client
		}{
			{"a school admin", s.school.admin},
			{"the governing registrar", s.client(t, s.gov.MSPID, s.gov.ID, eduledger.StaffRegistrar)},
		} {
			_, err := c.client.AdmitOrganization(ctx, &other)
			if eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
				t.Errorf("%s: got %v, want FORBIDDEN", c.who, err)
			}
		}
		_, err := s.school.issuer.GetOrganization(ctx, other.ID)
		wantCode(t, err, eduledger.ENOTFOUND)
	})

	updated := must(s.govAdmin.UpdateOrganization(ctx, &eduledger.OrganizationUpdate{
		ID: org.ID, RegionCode: "310115", Name: eduledger.Name{Zh: "新名字学校", En: "Renamed School"}}))(t)
	if updated.Name.En != "Renamed School" || updated.RegionCode != "310115" || updated.MSPID != SchoolMSP || updated.Kind != eduledger.KindSchool {
		t.Fatalf("updated = %+v", updated)
	}
	_, err = s.govAdmin.UpdateOrganization(ctx, &eduledger.OrganizationUpdate{ID: s.id("nobody"), RegionCode: "310115",
		Name: eduledger.Name{Zh: "无", En: "Nobody"}})
	wantCode(t, err, eduledger.ENOTFOUND)

	staff := s.client(t, SchoolMSP, org.ID, eduledger.StaffAdmin)
	_, err = s.govAdmin.SuspendOrganization(ctx, org.ID, "")
	wantCode(t, err, eduledger.EINVALID)
	suspended := must(s.govAdmin.SuspendOrganization(ctx, org.ID, "inspection found irregular admissions"))(t)
	if suspended.Status != eduledger.OrgSuspended || suspended.StatusReason == "" {
		t.Fatalf("suspended = %+v", suspended)
	}
	_, err = staff.RegisterIssuerKey(ctx, &eduledger.IssuerKey{OrgID: org.ID, ID: "k1", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Multikey()})
	wantCode(t, err, eduledger.EFORBIDDEN)
	_, err = s.govAdmin.SuspendOrganization(ctx, org.ID, "again")
	wantCode(t, err, eduledger.ECONFLICT)
	_, err = s.govAdmin.SuspendOrganization(ctx, s.gov.ID, "self")
	wantCode(t, err, eduledger.ECONFLICT)

	reinstated := must(s.govAdmin.ReinstateOrganization(ctx, org.ID))(t)
	if reinstated.Status != eduledger.OrgActive || reinstated.StatusReason != "" {
		t.Fatalf("reinstated = %+v", reinstated)
	}
	_, err = s.govAdmin.ReinstateOrganization(ctx, org.ID)
	wantCode(t, err, eduledger.ECONFLICT)
	must(staff.RegisterIssuerKey(ctx, &eduledger.IssuerKey{OrgID: org.ID, ID: "k1", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Multikey()}))(t)

	h := must(s.school.issuer.GetOrganizationHistory(ctx, org.ID))(t)
	want := []eduledger.OrgStatus{eduledger.OrgActive, eduledger.OrgSuspended, eduledger.OrgActive, eduledger.OrgActive}
	if len(h) != len(want) {
		t.Fatalf("history has %d versions, want %d", len(h), len(want))
	}
	for i, e := range h {
		if e.Value == nil || e.Value.Status != want[i] {
			t.Errorf("history[%d] = %+v, want status %s", i, e.Value, want[i])
		}
	}
	if h[len(h)-1].Value.Name.En != "Lifecycle School" || h[0].Value.Name.En != "Renamed School" {
		t.Errorf("history is not newest first: oldest %q, newest %q", h[len(h)-1].Value.Name.En, h[0].Value.Name.En)
	}

	_, err = s.school.issuer.GetOrganization(ctx, "Not An ID")
	wantCode(t, err, eduledger.EINVALID)
}
