package chaincode_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// A key registered at 10:00:00.7 must count for a credential signed at 10:00:00 right after it:
// credentials carry times to the second.
func TestAKeyCountsFromTheSecondItWasRegisteredIn(t *testing.T) {
	ctx := context.Background()
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
	defer l.Close()
	if _, err := devnet.Bootstrap(ctx, n.Connector(l)); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Second).Add(700 * time.Millisecond)
	admin, err := n.Connector(l, embedded.WithClock(func() time.Time { return at })).Connect(ctx, devnet.SchoolMSP, devnet.Riverside, eduledger.StaffAdmin)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	mk, _ := multikey.Encode(multikey.Ed25519, pub)
	k, err := ledger.NewClient(admin).RegisterIssuerKey(ctx, &eduledger.IssuerKey{OrgID: devnet.Riverside, ID: "k1", Type: eduledger.KeyEd25519, PublicKeyMultibase: mk})
	if err != nil {
		t.Fatal(err)
	}
	signedAt := at.Truncate(time.Second)
	if !k.ValidFrom.Equal(signedAt) || !k.ValidAt(signedAt) {
		t.Fatalf("key validFrom = %s; a credential signed at %s must be covered", k.ValidFrom, signedAt)
	}
	if !k.RegisteredAt.Equal(at) {
		t.Errorf("registeredAt = %s, want the exact transaction time %s", k.RegisteredAt, at)
	}
}
