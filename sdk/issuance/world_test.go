package issuance

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/keystore"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
)

// world is a development network on an embedded ledger in a temporary directory, bootstrapped
// with the demo organisations, and an engine issuing for the two schools and the enterprise.
type world struct {
	dir    string
	net    *devnet.Network
	ledger *embedded.Ledger
	conn   ledger.Connector
	reader ledger.Ledger
	eng    *Engine
	cfg    Config
	cancel context.CancelFunc
	done   chan struct{}
}

var (
	schemasOnce   sync.Once
	sharedSchemas *credential.Schemas
)

func testSchemas(t testing.TB) *credential.Schemas {
	schemasOnce.Do(func() {
		s, err := credential.NewSchemas()
		if err != nil {
			panic(err)
		}
		sharedSchemas = s
	})
	return sharedSchemas
}

// cheapKDF keeps key generation fast in tests; production keys use keystore.DefaultKDF.
var cheapKDF = keystore.KDF{Time: 1, MemoryKiB: 64, Threads: 1}

func newWorld(t testing.TB, opts ...Option) *world {
	t.Helper()
	dir := t.TempDir()
	w := openWorld(t, dir, opts...)
	if _, err := devnet.Bootstrap(context.Background(), w.conn); err != nil {
		t.Fatal(err)
	}
	w.start(t, opts...)
	return w
}

// openWorld opens (creating it when absent) the network and ledger in dir, without an engine.
func openWorld(t testing.TB, dir string, _ ...Option) *world {
	t.Helper()
	n, _, err := devnet.Open(filepath.Join(dir, "net"))
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
	conn := n.Connector(l)
	reader, err := conn.Connect(context.Background(), devnet.SchoolMSP, "", "")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{dir: dir, net: n, ledger: l, conn: conn, reader: reader}
	w.cfg = Config{DataDir: filepath.Join(dir, "issuer"), Orgs: []string{devnet.Riverside, devnet.Lakeside, devnet.Acme},
		KeyPassphrase: "correct horse battery staple", VerifierURL: "http://127.0.0.1:8081", BatchSize: 16}
	t.Cleanup(func() { w.close() })
	return w
}

// start opens the engine, ensures its keys and runs it.
func (w *world) start(t testing.TB, opts ...Option) {
	t.Helper()
	base := []Option{WithKeyKDF(cheapKDF), WithSchemas(testSchemas(t)), WithWorkers(2)}
	if testing.Verbose() {
		base = append(base, WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	eng, err := New(context.Background(), w.cfg, w.conn, w.reader, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.EnsureKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.eng = eng
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel, w.done = cancel, make(chan struct{})
	go func() { defer close(w.done); _ = eng.Run(ctx) }()
}

// stop stops and closes the engine, keeping the ledger open.
func (w *world) stop() {
	if w.eng == nil {
		return
	}
	w.cancel()
	<-w.done
	w.eng.Close()
	w.eng = nil
}

func (w *world) close() {
	w.stop()
	if w.ledger != nil {
		w.ledger.Close()
		w.ledger = nil
	}
}

// staff returns a principal of a demo organisation.
func staff(org string, role eduledger.StaffRole) Principal {
	return Principal{TokenID: "test-" + string(role), TokenName: "test", OrgID: org, Role: role}
}

var (
	registrar = staff(devnet.Riverside, eduledger.StaffRegistrar)
	issuer    = staff(devnet.Riverside, eduledger.StaffIssuer)
	admin     = staff(devnet.Riverside, eduledger.StaffAdmin)
)

// holderKey returns a fixed Ed25519 holder Multikey for learner n.
func holderKey(t testing.TB, n int) string {
	t.Helper()
	var seed [32]byte
	copy(seed[:], fmt.Sprintf("holder-%d", n))
	s, err := dataintegrity.NewEd25519Signer("did:key:x#x", ed25519Key(seed))
	if err != nil {
		t.Fatal(err)
	}
	return s.PublicKeyMultibase()
}

// register registers learners L<prefix>0000… as the Riverside registrar.
func (w *world) register(t testing.TB, prefix string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		ids[i] = fmt.Sprintf("L%s%04d", prefix, i)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := w.eng.RegisterLearner(context.Background(), registrar, LearnerRegistration{ID: ids[i],
				Roles: []eduledger.LearnerRole{eduledger.RoleStudent}, HolderKeys: []string{holderKey(t, i)},
				Personal: PersonalDetails{Name: "学生" + ids[i], NationalID: "31011520040101" + fmt.Sprintf("%04d", i)}}, "")
			if err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return ids
}

// diplomaCSV returns a CSV of diplomas for the learners.
func diplomaCSV(learners []string) string {
	var b strings.Builder
	b.WriteString("learnerId,achievement.name.zh,achievement.name.en,activityEndDate,certificateNumber,creditsEarned\n")
	for i, l := range learners {
		fmt.Fprintf(&b, "%s,计算机科学与技术,Computer Science and Technology,2026-06-30,10280%07d,162.5\n", l, i)
	}
	return b.String()
}

// waitJob polls a job until it is finished.
func (w *world) waitJob(t testing.TB, p Principal, id string) *Job {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		j, err := w.eng.GetJob(context.Background(), p, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State == JobCompleted || j.State == JobFailed {
			return j
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(j, "", " ")
			t.Fatalf("job %s did not finish: %s", id, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// verifyOffline checks a credential's proofs with the keys the engine's key store holds.
func (w *world) verifyOffline(t testing.TB, org string, vc []byte) *credential.Report {
	t.Helper()
	keys, err := w.eng.orgs[org].ks.Keys()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		k.ValidFrom = time.Time{}
	}
	v, err := credential.NewVerifier(keys, credential.WithSchemas(testSchemas(t)))
	if err != nil {
		t.Fatal(err)
	}
	return v.Verify(context.Background(), vc)
}

func ed25519Key(seed [32]byte) ed25519.PrivateKey { return ed25519.NewKeyFromSeed(seed[:]) }

func mustDate(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func nowFunc() func() time.Time { return time.Now }
