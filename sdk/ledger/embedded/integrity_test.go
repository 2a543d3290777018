package embedded

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/msp"
)

// smallLedger commits a few blocks (public and private writes) and returns the network, closed,
// with the location of each block.
func smallLedger(t testing.TB) (*network, []blockRecord) {
	t.Helper()
	n := newNetwork(t)
	g := n.ledger.Connect(n.issuer)
	for i := 0; i < 5; i++ {
		mustSubmit(t, g, "Put", fmt.Sprintf("key-%d", i), fmt.Sprintf("value-%d", i))
		mustSubmit(t, g, "AddItem", "alice", fmt.Sprint(i), "item")
	}
	if _, err := g.Submit(context.Background(), &ledger.Transaction{
		Function: "PutPrivate", Args: []string{ImplicitCollection("SchoolMSP"), "p"},
		Transient: map[string][]byte{eduledger.TransientPersonalData: []byte("secret")},
	}); err != nil {
		t.Fatal(err)
	}
	mustSubmit(t, g, "Emit", "E", "x")
	var recs []blockRecord
	for i := uint64(0); i < n.ledger.Height(); i++ {
		r, err := n.ledger.blockRecord(i)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if err := n.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	return n, recs
}

func TestVerifyAcceptsAnIntactLedger(t *testing.T) {
	n, recs := smallLedger(t)
	rep, err := Verify(context.Background(), n.dir, WithSignatureCheck())
	if err != nil {
		t.Fatalf("verify: %v (%+v)", err, rep.Problem)
	}
	if rep.Blocks != uint64(len(recs)) || rep.Transactions != len(recs)-1 || rep.Signatures != rep.Transactions || rep.Entries == 0 {
		t.Errorf("report = %+v", rep)
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, n *network, recs []blockRecord)
		block  int    // the block reported, counted from the end when negative; 0 when a key is reported
		key    string // a substring of the key reported
	}{
		{"a flipped byte inside a block is reported at that block", func(t *testing.T, n *network, recs []blockRecord) {
			flipByte(t, n.dir, recs[3].Loc, recs[3].Loc.Offset+int64(recs[3].Loc.Length)/2)
		}, 3, ""},
		{"a flipped byte in the last block is reported at that block", func(t *testing.T, n *network, recs []blockRecord) {
			last := recs[len(recs)-1].Loc
			flipByte(t, n.dir, last, last.Offset+int64(last.Length)-3)
		}, -1, ""},
		{"a changed byte with a recomputed checksum is caught by the data hash", func(t *testing.T, n *network, recs []blockRecord) {
			loc := recs[4].Loc
			flipByte(t, n.dir, loc, loc.Offset+int64(loc.Length)-20)
			fixChecksum(t, n.dir, loc)
		}, 4, ""},
		{"a changed state value is reported with its key", func(t *testing.T, n *network, _ []blockRecord) {
			editState(t, n.dir, func(db *leveldb.DB) {
				raw, err := db.Get(stateKey("key-2"), nil)
				if err != nil {
					t.Fatal(err)
				}
				v, _, _ := decodeVersioned(raw)
				db.Put(stateKey("key-2"), encodeVersioned(v, []byte("forged")), nil)
			})
		}, 0, `state "key-2"`},
		{"an extra state key is reported", func(t *testing.T, n *network, _ []blockRecord) {
			editState(t, n.dir, func(db *leveldb.DB) { db.Put(stateKey("key-22"), encodeVersioned(Version{Block: 1}, []byte("x")), nil) })
		}, 0, `state "key-22"`},
		{"a deleted state key is reported", func(t *testing.T, n *network, _ []blockRecord) {
			editState(t, n.dir, func(db *leveldb.DB) { db.Delete(stateKey("key-4"), nil) })
		}, 0, `state "key-4"`},
		{"a changed private value is reported", func(t *testing.T, n *network, _ []blockRecord) {
			editState(t, n.dir, func(db *leveldb.DB) {
				db.Put(privateKey(ImplicitCollection("SchoolMSP"), "p"), encodeVersioned(Version{Block: 11}, []byte("forged")), nil)
			})
		}, 0, "private data _implicit_org_SchoolMSP"},
		{"a removed history entry is reported", func(t *testing.T, n *network, _ []blockRecord) {
			editState(t, n.dir, func(db *leveldb.DB) { db.Delete(historyKey("key-0", Version{Block: 1}), nil) })
		}, 0, `history of "key-0"`},
	}
	template, recs := smallLedger(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &network{dir: copyDir(t, template.dir)}
			tt.tamper(t, n, recs)
			rep, err := Verify(context.Background(), n.dir)
			var ie *IntegrityError
			if !errors.As(err, &ie) || rep.Problem == nil {
				t.Fatalf("err = %v, want an IntegrityError", err)
			}
			p := rep.Problem
			want := int64(tt.block)
			switch {
			case tt.key != "":
				want = -1
			case tt.block < 0:
				want = int64(len(recs) + tt.block)
			}
			if p.Block != want || (tt.key != "" && !strings.Contains(p.Key, tt.key)) {
				t.Fatalf("problem = %s (block %d, key %q), want block %d key %q", p, p.Block, p.Key, want, tt.key)
			}
		})
	}
}

// copyDir copies a closed ledger so that each case tampers with its own copy.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func flipByte(t *testing.T, dir string, loc location, off int64) {
	t.Helper()
	f, err := os.OpenFile(blockFileName(filepath.Join(dir, blocksDir), loc.File), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func fixChecksum(t *testing.T, dir string, loc location) {
	t.Helper()
	f, err := os.OpenFile(blockFileName(filepath.Join(dir, blocksDir), loc.File), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	frame := make([]byte, loc.Length)
	if _, err := f.ReadAt(frame, loc.Offset); err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint32(frame[4:], crc32.Checksum(frame[frameHeaderSize:], castagnoli))
	if _, err := f.WriteAt(frame, loc.Offset); err != nil {
		t.Fatal(err)
	}
}

func editState(t *testing.T, dir string, edit func(db *leveldb.DB)) {
	t.Helper()
	db, err := leveldb.OpenFile(filepath.Join(dir, stateDir), nil)
	if err != nil {
		t.Fatal(err)
	}
	edit(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestATornTailIsCutOffOnOpen(t *testing.T) {
	n, recs := smallLedger(t)
	// A crash in the middle of appending block N+1 leaves half a frame.
	last := recs[len(recs)-1].Loc
	path := blockFileName(filepath.Join(n.dir, blocksDir), last.File)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 0, 1, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3})
	f.Close()
	if _, err := Verify(context.Background(), n.dir); err == nil {
		t.Fatal("verify accepts a torn tail")
	}
	n.open(t)
	if h := n.ledger.Height(); h != uint64(len(recs)) {
		t.Errorf("height %d after recovery, want %d", h, len(recs))
	}
	mustSubmit(t, n.ledger.Connect(n.issuer), "Put", "after", "recovery")
	n.ledger.Close()
	if rep, err := Verify(context.Background(), n.dir); err != nil {
		t.Fatalf("verify after recovery: %v (%+v)", err, rep)
	}
}

func TestOpenRefusesDamageBelowTheSavepoint(t *testing.T) {
	n, recs := smallLedger(t)
	// Cut the files in the middle of acknowledged blocks: not a torn tail but lost data.
	if err := os.Truncate(blockFileName(filepath.Join(n.dir, blocksDir), 0), recs[5].Loc.Offset+10); err != nil {
		t.Fatal(err)
	}
	_, err := Open(n.dir, newTestChaincode(t), WithLogger(discardLogger()))
	if eduledger.ErrorCode(err) != eduledger.EINTERNAL {
		t.Fatalf("err = %v, want INTERNAL (damaged)", err)
	}
}

// The crash test re-runs this test binary as a child that submits transactions and prints each
// acknowledged one, kills it with SIGKILL at a random moment, and checks that the reopened ledger
// holds every acknowledged transaction and verifies clean.

const crashDirEnv = "EDULEDGER_EMBEDDED_CRASH_DIR"

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestSIGKILLLosesNothingAcknowledged")
	}
	id, err := msp.LoadSigningIdentity(filepath.Join(dir, "msp"), "SchoolMSP")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Open(filepath.Join(dir, "ledger"), newTestChaincode(t), WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	g := l.Connect(id)
	// The parent kills this process; should the parent itself be gone, stop anyway.
	time.AfterFunc(30*time.Second, func() { os.Exit(3) })
	var out sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(w, "READY")
	w.Flush()
	var wg sync.WaitGroup
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				key := fmt.Sprintf("c%d-%d-%d", c, i, time.Now().UnixNano())
				t0 := &ledger.Transaction{Function: "Put", Args: []string{key, "v-" + key}}
				if i%3 == 0 {
					t0 = &ledger.Transaction{Function: "PutPrivate", Args: []string{ImplicitCollection("SchoolMSP"), key},
						Transient: map[string][]byte{eduledger.TransientPersonalData: []byte("v-" + key)}}
				}
				r, err := g.Submit(context.Background(), t0)
				if err != nil {
					fmt.Fprintln(os.Stderr, "submit:", err)
					return
				}
				out.Lock()
				fmt.Fprintf(w, "ACK %s %s %s\n", r.TxID, t0.Function, key)
				w.Flush()
				out.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestSIGKILLLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	root := t.TempDir()
	ca, err := msp.NewCA("SchoolMSP", "ca.school")
	if err != nil {
		t.Fatal(err)
	}
	id := issue(t, ca, "writer", "riverside-university", "issuer")
	if err := id.Save(filepath.Join(root, "msp")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "ledger")
	if err := Create(dir, ChannelConfig{Channel: "eduledger", Chaincode: "eduledger", MSPs: []msp.Config{ca.Config()}, MaxBlockTxs: 7}); err != nil {
		t.Fatal(err)
	}
	type ack struct{ txID, fn, key string }
	var acked []ack
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for round := 0; round < 4; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+root)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		killAfter := 20 + rng.IntN(200)
		sc := bufio.NewScanner(stdout)
		n := 0
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 4 && f[0] == "ACK" {
				acked = append(acked, ack{f[1], f[2], f[3]})
				if n++; n == killAfter {
					cmd.Process.Signal(syscall.SIGKILL)
				}
			}
		}
		err = cmd.Wait()
		if n < killAfter {
			t.Fatalf("round %d: the child stopped after %d acknowledgements: %v\n%s", round, n, err, stderr.String())
		}
		// Reopen: recovery must find every acknowledged transaction.
		l, err := Open(dir, newTestChaincode(t), WithLogger(discardLogger()))
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		g := l.Connect(id)
		for _, a := range acked {
			tx, err := l.Transaction(a.txID)
			if err != nil || tx.ValidationCode != validCode {
				t.Fatalf("round %d: acknowledged transaction %s: %+v, %v", round, a.txID, tx, err)
			}
			fn, args := "Get", []string{a.key}
			if a.fn == "PutPrivate" {
				fn, args = "GetPrivate", []string{ImplicitCollection("SchoolMSP"), a.key}
			}
			if got := mustEvaluate(t, g, fn, args...); got != "v-"+a.key {
				t.Fatalf("round %d: %s = %q after recovery", round, a.key, got)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		rep, err := Verify(context.Background(), dir, WithSignatureCheck())
		if err != nil {
			t.Fatalf("round %d: verify after recovery: %v", round, err)
		}
		t.Logf("round %d: killed after %d acknowledgements; %d blocks, %d transactions verified", round, n, rep.Blocks, rep.Transactions)
	}
}

func TestVerifyOnAnOpenLedgerWhileTransactionsCommit(t *testing.T) {
	n := newNetwork(t)
	g := n.ledger.Connect(n.issuer)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				if _, err := g.Submit(context.Background(), tx("Put", fmt.Sprintf("k-%d-%d", c, i), "v")); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := 0; i < 5; i++ {
		if rep, err := n.ledger.Verify(context.Background()); err != nil {
			cancel()
			wg.Wait()
			t.Fatalf("verify %d while committing: %v (%+v)", i, err, rep.Problem)
		}
	}
	cancel()
	wg.Wait()
}

func TestAFailedAppendLosesNoCommittedBlock(t *testing.T) {
	n := newNetwork(t)
	mustSubmit(t, n.ledger.Connect(n.issuer), "Put", "kept", "1")
	n.ledger.Close()
	// Reopen with block files just big enough for what is in file 0, so the next block starts
	// file 1; a folder in its place makes that fail.
	info, err := os.Stat(blockFileName(filepath.Join(n.dir, blocksDir), 0))
	if err != nil {
		t.Fatal(err)
	}
	n.open(t, WithBlockFileSize(info.Size()+16))
	next := blockFileName(filepath.Join(n.dir, blocksDir), 1)
	if err := os.Mkdir(next, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := n.ledger.Connect(n.issuer).Submit(context.Background(), tx("Put", "lost", "2")); eduledger.ErrorCode(err) != eduledger.EUNAVAILABLE {
		t.Fatalf("err = %v, want UNAVAILABLE", err)
	}
	if err := os.Remove(next); err != nil {
		t.Fatal(err)
	}
	n.ledger.Close()
	n.open(t)
	if got := mustEvaluate(t, n.ledger.Connect(n.issuer), "Get", "kept"); got != "1" {
		t.Fatalf("kept = %q after a failed append", got)
	}
}
