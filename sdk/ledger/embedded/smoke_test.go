package embedded

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/eduledger/eduledger/sdk/ledger"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestSmoke(t *testing.T) {
	n := newNetwork(t)
	g := n.ledger.Connect(n.issuer)
	ctx := context.Background()
	r, err := g.Submit(ctx, &ledger.Transaction{Function: "Put", Args: []string{"a", "1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("receipt %+v", r)
	v, err := g.Evaluate(ctx, &ledger.Transaction{Function: "Get", Args: []string{"a"}})
	if err != nil || string(v) != "1" {
		t.Fatalf("get = %q, %v", v, err)
	}
	w, err := g.Evaluate(ctx, &ledger.Transaction{Function: "Whoami"})
	t.Logf("whoami %s %v", w, err)
}
