package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/eduledger/eduledger/cmd/internal/backend"
	"github.com/eduledger/eduledger/internal/demo"
	"github.com/eduledger/eduledger/sdk/devnet"
)

func TestDemoTellsTheWholeStoryAndTheLedgerVerifies(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	out, line, code := run(t, "demo", "--dir", dir, "--batch", "12")
	if code != 0 {
		t.Fatalf("demo exited %d: %s\n%s", code, line, out)
	}
	for _, want := range []string{"steps went as expected", "verifies intact", "refused as it must be"} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "✗") {
		t.Errorf("a step failed:\n%s", out)
	}
	out, _, code = run(t, "ledger", "verify", "--dir", dir, "--signatures")
	if code != 0 || !strings.Contains(out, "ledger intact") {
		t.Fatalf("verify after demo: %d %s", code, out)
	}
}

// The promise: after the demo, no personal data in any public state key or value.
func TestNoPersonalDataInThePublicStateAfterTheDemo(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "net")
	cfg := backend.Config{Backend: backend.Embedded, Dir: dir, ReaderMSP: devnet.GovMSP}
	b, err := backend.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	res, err := demo.Run(ctx, demo.Config{Connector: b.Connector, Out: new(bytes.Buffer), BatchSize: 8})
	if err != nil || !res.OK() {
		t.Fatalf("demo: %v %v", err, res.Unexpected)
	}
	if len(res.Personal) < 5 {
		t.Fatalf("the demo registered only %d people", len(res.Personal))
	}
	var needles []string
	for _, p := range res.Personal {
		needles = append(needles, p.Name, p.NationalID, p.DateOfBirth, p.Salt)
		zh, en, _ := strings.Cut(p.Name, " ") // the demo writes "中文名 English Name"
		needles = append(needles, zh, en)
	}
	l := b.Ledger
	keys := map[string]bool{}
	for n := range l.Height() {
		blk, err := l.Block(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range blk.Transactions {
			if tx.RWSet == nil {
				continue
			}
			for _, w := range tx.RWSet.Writes {
				keys[w.Key] = true
			}
		}
	}
	scanned := 0
	for k := range keys {
		v, _, err := l.State(k)
		if err != nil {
			t.Fatal(err)
		}
		scanned++
		for _, s := range needles {
			if s == "" {
				continue
			}
			if strings.Contains(k, s) || bytes.Contains(v, []byte(s)) {
				t.Errorf("public state %s holds personal data %q", strconv.Quote(k), s)
			}
		}
	}
	if scanned < 50 {
		t.Fatalf("scanned only %d public keys", scanned)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLedgerVerifyNamesATamperedBlock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	if out, line, code := run(t, "demo", "--dir", dir, "--batch", "8"); code != 0 {
		t.Fatalf("demo: %s\n%s", line, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "ledger", "*", "*"))
	var blockFile string
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && !st.IsDir() && strings.Contains(filepath.Base(f), "block") {
			blockFile = f
		}
	}
	if blockFile == "" {
		t.Fatalf("no block file among %v", files)
	}
	b, err := os.ReadFile(blockFile)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("riverside-university"))
	if i < 0 {
		t.Fatal("the block file does not mention riverside-university")
	}
	b[i] ^= 0x20 // "Riverside-university": one bit
	if err := os.WriteFile(blockFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, line, code := run(t, "ledger", "verify", "--dir", dir)
	if code != 1 || !strings.Contains(line, "NOT intact") || !strings.Contains(line, "block") {
		t.Fatalf("verify of a tampered ledger: exit %d, %q\n%s", code, line, out)
	}
}
