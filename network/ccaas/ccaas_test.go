package ccaas_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/eduledger/eduledger/network/ccaas"
)

type nop struct{}

func (nop) Init(shim.ChaincodeStubInterface) *peer.Response   { return shim.Success(nil) }
func (nop) Invoke(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func TestListenRefusesConfigurationsThatCannotServePeers(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  ccaas.Config
		want string
	}{
		{"no package ID", ccaas.Config{Address: "127.0.0.1:0", Insecure: true}, "package ID"},
		{"no address", ccaas.Config{ID: "cc:1", Insecure: true}, "listen address"},
		{"an address without a port", ccaas.Config{ID: "cc:1", Address: "127.0.0.1", Insecure: true}, "listen address"},
		{"TLS without a key pair", ccaas.Config{ID: "cc:1", Address: "127.0.0.1:0"}, "TLS certificate and key"},
		{"a missing certificate file", ccaas.Config{ID: "cc:1", Address: "127.0.0.1:0", TLSCertFile: "/nonexistent.crt", TLSKeyFile: "/nonexistent.key"}, "key pair"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ccaas.Listen(tc.cfg, nop{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestServeStopsWhenTheContextEnds(t *testing.T) {
	srv, err := ccaas.Listen(ccaas.Config{ID: "cc:1", Address: "127.0.0.1:0", Insecure: true}, nop{})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatalf("the server does not accept connections: %v", err)
	}
	conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not stop")
	}
	if _, err := net.Dial("tcp", srv.Addr().String()); err == nil {
		t.Error("still listening after stop")
	}
}
