package chaincode

import "testing"

func TestNewBuildsTheChaincode(t *testing.T) {
	cc, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if cc.DefaultContract != Name {
		t.Fatalf("default contract %q", cc.DefaultContract)
	}
}
