package devnet

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/msp"
)

func TestInitThenLoadKeepsCAsAndStaffIdentities(t *testing.T) {
	dir := t.TempDir()
	n, err := Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := n.Staff(Riverside, eduledger.StaffRegistrar)
	if err != nil {
		t.Fatal(err)
	}
	if reg.MSPID() != SchoolMSP {
		t.Errorf("registrar of %s is in %s, want %s", Riverside, reg.MSPID(), SchoolMSP)
	}
	attrs, err := msp.Attributes(reg.Certificate())
	if err != nil || attrs[eduledger.AttrOrg] != Riverside || attrs[eduledger.AttrRole] != "registrar" {
		t.Fatalf("attributes = %v, %v", attrs, err)
	}

	again, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	reg2, err := again.Staff(Riverside, eduledger.StaffRegistrar)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(reg.CertPEM(), reg2.CertPEM()) {
		t.Error("a reloaded network minted a new identity instead of reusing the saved one")
	}
	ca1, _ := n.CA(GovMSP)
	ca2, _ := again.CA(GovMSP)
	if !bytes.Equal(ca1.CertPEM(), ca2.CertPEM()) {
		t.Error("the CA changed across a reload")
	}
	// The saved identity verifies against the channel's MSP configuration.
	v, err := msp.NewVerifier(again.MSPs())
	if err != nil {
		t.Fatal(err)
	}
	sig, err := reg2.Sign([]byte("proposal"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(reg2.Serialize(), []byte("proposal"), sig, time.Now()); err != nil {
		t.Fatalf("the channel does not accept a devnet identity's signature: %v", err)
	}
}

func TestInitRefusesADirectoryInUse(t *testing.T) {
	dir := t.TempDir()
	if _, err := Init(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := Init(dir); eduledger.ErrorCode(err) != eduledger.ECONFLICT {
		t.Errorf("second Init = %v, want CONFLICT", err)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644)
	if _, err := Init(other); eduledger.ErrorCode(err) != eduledger.ECONFLICT {
		t.Errorf("Init into a non-empty directory = %v, want CONFLICT", err)
	}
}

func TestOpenCreatesOnceAndLoadsAfter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	if _, created, err := Open(dir); err != nil || !created {
		t.Fatalf("first Open: created=%v err=%v", created, err)
	}
	if _, created, err := Open(dir); err != nil || created {
		t.Fatalf("second Open: created=%v err=%v", created, err)
	}
	if _, err := Load(t.TempDir()); eduledger.ErrorCode(err) != eduledger.ENOTFOUND {
		t.Errorf("Load of an empty directory = %v, want NOT_FOUND", err)
	}
}

func TestStaffRefusesWhatTheNetworkDoesNotHave(t *testing.T) {
	n, err := Init(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, msp, org string
		role           eduledger.StaffRole
		code           string
	}{
		{"an MSP outside the network", "OtherMSP", Riverside, eduledger.StaffAdmin, eduledger.ENOTFOUND},
		{"a malformed organisation ID", SchoolMSP, "Riverside University", eduledger.StaffAdmin, eduledger.EINVALID},
		{"an unknown role", SchoolMSP, Riverside, "dean", eduledger.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := n.StaffOf(tc.msp, tc.org, tc.role); eduledger.ErrorCode(err) != tc.code {
				t.Errorf("StaffOf = %v, want %s", err, tc.code)
			}
		})
	}
	if _, err := n.Staff("no-such-school", eduledger.StaffAdmin); eduledger.ErrorCode(err) != eduledger.ENOTFOUND {
		t.Errorf("Staff of a non-demo organisation = %v", err)
	}
}

func TestDemoOrganizationsAreValidAndTheBureauGoverns(t *testing.T) {
	orgs := Organizations()
	if orgs[0].Kind != eduledger.KindGovernment {
		t.Fatal("the bureau must come first: it bootstraps the ledger")
	}
	seen := map[string]bool{}
	for _, o := range orgs {
		if err := o.Validate(); err != nil {
			t.Errorf("%s: %v", o.ID, err)
		}
		if seen[o.ID] {
			t.Errorf("%s twice", o.ID)
		}
		seen[o.ID] = true
	}
}
