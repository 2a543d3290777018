package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// run executes the CLI in-process and returns its output, error line and exit code as main would.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCmd(strings.NewReader(""), &out, &errOut)
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		return out.String(), errorLine(err), exitCode(err)
	}
	return out.String(), errOut.String(), 0
}

func TestUsageMistakesExitTwoWithOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"ledger", "blocks", "--bogus"},
		{"ledger", "blocks", "--limit", "0", "--dir", t.TempDir()},
		{"demo", "--batch", "0"},
		{"ledger", "blocks", "--log-level", "loud"},
		{"ledger", "history"},
		{"devnet", "init", "extra-argument"},
		{"no-such-command"},
		{"revoke"},
	} {
		_, line, code := run(t, args...)
		if code != 2 || line == "" || strings.Contains(line, "\n") {
			t.Errorf("%v: exit %d, line %q", args, code, line)
		}
	}
}

func TestLedgerCommandsOnAMissingNetworkSayWhatToRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	_, line, code := run(t, "ledger", "verify", "--dir", dir)
	if code != 1 || !strings.Contains(line, "eduledger devnet init") {
		t.Fatalf("exit %d, %q", code, line)
	}
}

func TestDevnetInitTwiceIsRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	if _, line, code := run(t, "devnet", "init", "--dir", dir); code != 0 {
		t.Fatalf("init: %d %s", code, line)
	}
	if _, line, code := run(t, "devnet", "init", "--dir", dir); code != 1 || !strings.HasPrefix(line, "CONFLICT:") {
		t.Fatalf("second init: %d %s", code, line)
	}
	out, _, code := run(t, "ledger", "verify", "--dir", dir)
	if code != 0 || !strings.Contains(out, "ledger intact") {
		t.Fatalf("verify of a new ledger: %d %s", code, out)
	}
}
