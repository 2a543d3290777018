package fabric_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/fabric"
	"github.com/eduledger/eduledger/sdk/msp"
)

const goodProfile = `{"channel":"eduledger","chaincode":"eduledger","mspId":"SchoolMSP",
 "gateways":[{"address":"127.0.0.1:17200","tlsRootCert":"tls/school.pem"},{"address":"127.0.0.1:17100","tlsRootCert":"/abs/gov.pem"}],
 "transientEndorsers":["GovMSP"]}`

func TestParseProfileRefusesWhatCannotConnect(t *testing.T) {
	for _, tc := range []struct{ name, json, want string }{
		{"an unknown field", `{"channel":"c","chaincode":"cc","gateways":[{"address":"h:1","tlsRootCert":"x"}],"peers":[]}`, "unknown field"},
		{"no channel", `{"chaincode":"cc","gateways":[{"address":"h:1","tlsRootCert":"x"}]}`, "channel is required"},
		{"no gateways", `{"channel":"c","chaincode":"cc","gateways":[]}`, "at least one gateway"},
		{"an address without a port", `{"channel":"c","chaincode":"cc","gateways":[{"address":"h","tlsRootCert":"x"}]}`, "not host:port"},
		{"a gateway without TLS", `{"channel":"c","chaincode":"cc","gateways":[{"address":"h:1"}]}`, "tlsRootCert is required"},
		{"trailing data", goodProfile + `{}`, "trailing data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fabric.ParseProfile([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestLoadProfileResolvesRelativePathsAgainstItsFolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "school.json")
	if err := os.WriteFile(path, []byte(goodProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := fabric.LoadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Gateways[0].TLSRootCert; got != filepath.Join(dir, "tls/school.pem") {
		t.Errorf("relative path = %s", got)
	}
	if got := p.Gateways[1].TLSRootCert; got != "/abs/gov.pem" {
		t.Errorf("absolute path = %s", got)
	}
}

func TestLoadIdentityReadsAnMSPFolderThatSignsForFabric(t *testing.T) {
	ca, err := msp.NewCA("SchoolMSP", "ca.school")
	if err != nil {
		t.Fatal(err)
	}
	staff, err := ca.Issue("registrar@riverside-university", map[string]string{eduledger.AttrOrg: "riverside-university"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := staff.Save(dir); err != nil {
		t.Fatal(err)
	}
	id, err := fabric.LoadIdentity("SchoolMSP", dir)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := id.Sign([]byte("proposal bytes"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := msp.NewVerifier([]msp.Config{ca.Config()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(staff.Serialize(), []byte("proposal bytes"), sig, time.Now()); err != nil {
		t.Fatalf("a Fabric MSP would reject the signature: %v", err)
	}
	if _, err := fabric.LoadIdentity("SchoolMSP", t.TempDir()); err == nil {
		t.Error("an empty folder loaded as an identity")
	}
}

func TestSubmitRefusesPrivateDataWithoutTrustedEndorsers(t *testing.T) {
	ca, _ := msp.NewCA("SchoolMSP", "ca.school")
	staff, _ := ca.Issue("registrar@riverside-university", nil)
	p, err := fabric.ParseProfile([]byte(`{"channel":"c","chaincode":"cc","gateways":[{"address":"127.0.0.1:1","tlsRootCert":"x"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p.Gateways[0].TLSRootCert = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(p.Gateways[0].TLSRootCert, ca.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := fabric.Connect(p, &fabric.Identity{MSPID: "SchoolMSP", Certificate: staff.CertPEM(), Sign: staff.Sign})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = l.Submit(context.Background(), &ledger.Transaction{Function: "RegisterLearner", Transient: map[string][]byte{"personal": []byte("{}")}})
	if eduledger.ErrorCode(err) != eduledger.EINVALID {
		t.Fatalf("err = %v, want INVALID before anything is sent", err)
	}
}

func FuzzParseProfile(f *testing.F) {
	f.Add([]byte(goodProfile))
	f.Add([]byte(`{"channel":"c","chaincode":"cc","gateways":[{"address":"h:1","tlsRootCert":"x","serverName":"peer0"}]}`))
	f.Add([]byte(`{"gateways":[{"address":":"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := fabric.ParseProfile(data)
		if err != nil {
			return
		}
		if p.Validate() != nil {
			t.Fatalf("ParseProfile accepted a profile that does not validate: %+v", p)
		}
	})
}
