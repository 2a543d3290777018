package ledger_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/eduledger/eduledger/sdk/ledger"
)

func TestCheckpointsLogAsBlockAndTransaction(t *testing.T) {
	for _, tc := range []struct {
		name string
		cp   *ledger.Checkpoint
		want string
	}{
		{"no checkpoint is the start", nil, "from=start"},
		{"a block without a transaction", &ledger.Checkpoint{BlockNumber: 44}, "from.block=44"},
		{"a block and a transaction", &ledger.Checkpoint{BlockNumber: 7, TxID: "ab12"}, "from.block=7 from.txId=ab12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("following", "from", tc.cp)
			if got := buf.String(); !strings.Contains(got, " "+tc.want+"\n") {
				t.Fatalf("logged %q, want it to end with %q", got, tc.want)
			}
		})
	}
}
