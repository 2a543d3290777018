// Package fabrictest starts and controls EduLedger's real Fabric network (network/up.sh) from Go
// tests and benchmarks: a private state folder and port block per run, connections as any staff
// identity, extra chaincodes, and stopping and restarting single nodes for fault tests.
//
// It needs Fabric's binaries: Start fails with ErrNoFabric when FABRIC_BIN is not set, and tests
// skip with that one-line reason.
package fabrictest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/eduledger/eduledger/sdk/ledger/fabric"
)

// ErrNoFabric is returned by Start when FABRIC_BIN is not set.
var ErrNoFabric = errors.New("FABRIC_BIN not set: Fabric network tests need the bin/ folder of a Fabric 2.5 release (see docs/operations.md)")

// members are the network's peer organisations as the scripts name them, with their MSP IDs.
var members = map[string]string{"gov": "GovMSP", "school": "SchoolMSP", "enterprise": "EnterpriseMSP"}

// MemberMSP returns the MSP ID of a member ("gov" → "GovMSP"), or "" for an unknown member.
func MemberMSP(member string) string { return members[member] }

// Options configures Start.
type Options struct {
	// Dir is the state folder (required; a test's t.TempDir()).
	Dir string
	// PortBase is the first port of the network's block (default 27000, clear of a developer's
	// network on 17000).
	PortBase int
	// Orderers is 1 or 3 (default 3).
	Orderers int
	// BatchTimeout is the orderer's batch timeout (default 20ms).
	BatchTimeout time.Duration
	// Log receives the scripts' output (default: discarded, kept in Dir/logs).
	Log func(string)
}

// Network is a running network.
type Network struct {
	opts Options
	root string
}

// Start brings the network up with network/up.sh (EduLedger's chaincode deployed and
// bootstrapped, the gateways ready) and returns once every organisation can endorse.
func Start(ctx context.Context, opts Options) (*Network, error) {
	if os.Getenv("FABRIC_BIN") == "" {
		return nil, ErrNoFabric
	}
	if opts.Dir == "" {
		return nil, errors.New("fabrictest: Options.Dir is required")
	}
	if opts.PortBase == 0 {
		opts.PortBase = 27000
	}
	if opts.Orderers == 0 {
		opts.Orderers = 3
	}
	if opts.BatchTimeout == 0 {
		opts.BatchTimeout = 20 * time.Millisecond
	}
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	n := &Network{opts: opts, root: root}
	if err := n.Up(ctx); err != nil {
		return nil, errors.Join(err, n.Down(context.Background(), false))
	}
	return n, nil
}

// Up runs network/up.sh: on a running network it restarts stopped nodes and waits for readiness.
func (n *Network) Up(ctx context.Context) error {
	return n.script(ctx, "up.sh", "--orderers", strconv.Itoa(n.opts.Orderers),
		"--batch-timeout", n.opts.BatchTimeout.String())
}

// Down stops every process; clean also deletes the state folder.
func (n *Network) Down(ctx context.Context, clean bool) error {
	if clean {
		return n.script(ctx, "down.sh", "--clean")
	}
	return n.script(ctx, "down.sh")
}

// Deploy deploys another chaincode server package (a Go main package path relative to the
// repository) under name in chaincode slot 1-9.
func (n *Network) Deploy(ctx context.Context, name string, slot int, pkg string) error {
	return n.script(ctx, "deploy.sh", "--name", name, "--slot", strconv.Itoa(slot), "--package", pkg)
}

// Dir returns the state folder.
func (n *Network) Dir() string { return n.opts.Dir }

// Profile returns the connection profile of a member ("gov", "school", "enterprise").
func (n *Network) Profile(member string) (*fabric.Profile, error) {
	return fabric.LoadProfile(filepath.Join(n.opts.Dir, "profiles", member+".json"))
}

// Staff returns the staff identity network/up.sh issued for an organisation and role, e.g.
// ("riverside-university", "registrar"); mspID is its hosting member's MSP.
func (n *Network) Staff(mspID, orgID, role string) (*fabric.Identity, error) {
	return fabric.LoadIdentity(mspID, filepath.Join(n.opts.Dir, "identities", orgID, role))
}

// Client returns the plain client identity cryptogen made for a member (User1), without
// EduLedger attributes.
func (n *Network) Client(member string) (*fabric.Identity, error) {
	domain := member + ".eduledger.local"
	return fabric.LoadIdentity(members[member], filepath.Join(n.opts.Dir, "crypto", "peerOrganizations", domain, "users", "User1@"+domain, "msp"))
}

// MemberOf returns the member key of an MSP ID.
func MemberOf(mspID string) (string, bool) {
	for k, v := range members {
		if v == mspID {
			return k, true
		}
	}
	return "", false
}

// Connect connects as id through member's profile, with chaincode overriding the profile's
// chaincode when not empty.
func (n *Network) Connect(member, chaincode string, id *fabric.Identity, opts ...fabric.Option) (*fabric.Ledger, error) {
	p, err := n.Profile(member)
	if err != nil {
		return nil, err
	}
	if chaincode != "" {
		p.Chaincode = chaincode
	}
	return fabric.Connect(p, id, opts...)
}

// Nodes lists the names of the network's processes: orderer1.., peer0.gov, …, cc-<name>.<member>.
func (n *Network) Nodes() []string {
	files, _ := filepath.Glob(filepath.Join(n.opts.Dir, "pids", "*.pid"))
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".pid"))
	}
	return names
}

// Stop stops one node (SIGTERM, SIGKILL after 10 s) by the process ID the scripts recorded. Up
// starts it again.
func (n *Network) Stop(name string) error {
	pidFile := filepath.Join(n.opts.Dir, "pids", name+".pid")
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return fmt.Errorf("fabrictest: node %s: %w", name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return fmt.Errorf("fabrictest: node %s: bad pid file", name)
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	_ = p.Signal(syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if p.Signal(syscall.Signal(0)) != nil {
			return os.Remove(pidFile)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = p.Signal(syscall.SIGKILL)
	return os.Remove(pidFile)
}

func (n *Network) script(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(n.root, "network", name), args...)
	cmd.Dir = n.root
	cmd.Env = append(os.Environ(),
		"EDULEDGER_NETWORK_DIR="+n.opts.Dir,
		"EDULEDGER_PORT_BASE="+strconv.Itoa(n.opts.PortBase),
		"EDULEDGER_CC_STARTUP_TIMEOUT=30s")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if n.opts.Log != nil && out.Len() > 0 {
		n.opts.Log(strings.TrimSpace(out.String()))
	}
	if err != nil {
		return fmt.Errorf("fabrictest: network/%s: %w\n%s", name, err, lastLines(out.String(), 15))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// repoRoot finds the repository from this source file's location (tests run in their package's
// folder, benchmarks too).
func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("fabrictest: cannot locate the repository")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	if _, err := os.Stat(filepath.Join(root, "network", "up.sh")); err != nil {
		return "", fmt.Errorf("fabrictest: no network/up.sh under %s", root)
	}
	return filepath.Abs(root)
}
