package msp

import (
	"testing"
	"time"

	fabmsp "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// FuzzParseSerializedIdentity feeds arbitrary creator bytes, as any client can send them, to the
// parser and the verifier: they must return an error or an identity, never panic.
func FuzzParseSerializedIdentity(f *testing.F) {
	ca, err := NewCA("SchoolMSP", "ca.school")
	if err != nil {
		f.Fatal(err)
	}
	id, err := ca.Issue("u", map[string]string{"eduledger.org": "x"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(id.Serialize())
	f.Add([]byte{})
	f.Add([]byte("\x0a\x09SchoolMSP\x12\x05-----"))
	bad, _ := proto.Marshal(&fabmsp.SerializedIdentity{Mspid: "SchoolMSP", IdBytes: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")})
	f.Add(bad)
	v, err := NewVerifier([]Config{ca.Config()})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, data []byte) {
		mspID, cert, err := ParseSerializedIdentity(data)
		if err == nil && (mspID == "" || cert == nil) {
			t.Fatal("no error but no identity")
		}
		vid, verr := v.Validate(data, now)
		if verr == nil && (err != nil || vid.MSPID != mspID) {
			t.Fatalf("the verifier accepts what the parser rejects: %v", err)
		}
	})
}
