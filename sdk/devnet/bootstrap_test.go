package devnet_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
)

func openNetwork(t *testing.T) (*devnet.Network, ledger.Connector) {
	t.Helper()
	n, err := devnet.Init(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cc, err := chaincode.New()
	if err != nil {
		t.Fatal(err)
	}
	l, err := n.OpenLedger(cc, embedded.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return n, n.Connector(l)
}

func TestBootstrapGovernsAdmitsAndAccreditsOnceOnly(t *testing.T) {
	ctx := context.Background()
	_, conn := openNetwork(t)
	rep, err := devnet.Bootstrap(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, o := range devnet.Organizations() {
		want += len(devnet.Accreditations(o.ID))
	}
	if !rep.Initialised || len(rep.Admitted) != len(devnet.Organizations())-1 || rep.Accreditations != want {
		t.Fatalf("first bootstrap = %+v, want initialised, %d admitted, %d accreditations", rep, len(devnet.Organizations())-1, want)
	}
	again, err := devnet.Bootstrap(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if again.Initialised || len(again.Admitted) != 0 || again.Accreditations != 0 {
		t.Fatalf("second bootstrap changed the ledger: %+v", again)
	}

	reader, err := conn.Connect(ctx, devnet.EnterpriseMSP, "", "")
	if err != nil {
		t.Fatal(err)
	}
	c := ledger.NewClient(reader)
	check, err := c.CheckAccreditation(ctx, devnet.Lakeside, eduledger.TypeDegree, time.Now())
	if err != nil || check.Accredited {
		t.Fatalf("the vocational college must not be accredited for degrees: %+v, %v", check, err)
	}
	if _, err := c.SuspendOrganization(ctx, devnet.Acme, eduledger.ReasonOther); eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
		t.Fatalf("a reader suspended an organisation: %v", err)
	}
}

func TestBootstrapRefusesAChannelGovernedByAnother(t *testing.T) {
	ctx := context.Background()
	_, conn := openNetwork(t)
	l, err := conn.Connect(ctx, devnet.GovMSP, "other-bureau", eduledger.StaffAdmin)
	if err != nil {
		t.Fatal(err)
	}
	other := eduledger.Organization{ID: "other-bureau", MSPID: devnet.GovMSP, Kind: eduledger.KindGovernment,
		RegionCode: "320000", Name: eduledger.Name{Zh: "另一个教育厅", En: "Another Bureau"}}
	if _, err := ledger.NewClient(l).InitLedger(ctx, &other); err != nil {
		t.Fatal(err)
	}
	if _, err := devnet.Bootstrap(ctx, conn); eduledger.ErrorCode(err) != eduledger.ECONFLICT {
		t.Fatalf("Bootstrap on a foreign channel = %v, want CONFLICT", err)
	}
}
