package issuerapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/internal/issuerapi"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/issuance"
	"github.com/eduledger/eduledger/sdk/issuance/client"
	"github.com/eduledger/eduledger/sdk/keystore"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
)

// Example serves the issuer API over an embedded development ledger, mints a development token
// and calls the API with the client.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "issuerapi-example")
	defer os.RemoveAll(dir)
	n, _ := devnet.Init(filepath.Join(dir, "net"))
	cc, _ := chaincode.New()
	l, _ := n.OpenLedger(cc, embedded.WithLogger(slog.New(slog.DiscardHandler)))
	defer l.Close()
	conn := n.Connector(l)
	devnet.Bootstrap(ctx, conn)
	reader, _ := conn.Connect(ctx, devnet.SchoolMSP, "", "")

	srv, err := issuerapi.New(ctx, issuerapi.Config{Engine: issuance.Config{DataDir: filepath.Join(dir, "issuer"),
		Orgs: []string{devnet.Riverside}, KeyPassphrase: "correct horse battery staple", VerifierURL: "http://127.0.0.1:8081"}},
		issuerapi.Deps{Connector: conn, Reader: reader, Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
			EngineOptions: []issuance.Option{issuance.WithKeyKDF(keystore.KDF{Time: 1, MemoryKiB: 64, Threads: 1})}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()

	token, _ := srv.DevToken(devnet.Riverside, eduledger.StaffRegistrar)
	c, _ := client.New(hs.URL, token)
	me, err := c.Me(ctx)
	fmt.Println(me.OrgID, me.Role, err)
	_, err = c.GetLearner(ctx, "L404", false)
	fmt.Println(err)
	// Output:
	// riverside-university registrar <nil>
	// NOT_FOUND: learner L404 is not registered
}
