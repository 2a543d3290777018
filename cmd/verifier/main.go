// Command verifier runs EduLedger's public verifier service on its own: the verification API and
// the employers' web page (package verifier/api), reading the ledger — the embedded ledger of a
// development network, or a Fabric network — with a member identity, and following its chaincode
// events to keep its cache fresh. `eduledger run` runs the same service beside the issuer service in
// one process.
//
// Configuration, highest precedence first: flags, environment (EDULEDGER_VERIFIER_LISTEN,
// EDULEDGER_VERIFIER_PUBLIC_URL, EDULEDGER_LEDGER_BACKEND, …), a YAML/JSON/TOML file (--config),
// defaults. It is printed at start-up. Exit status: 2 for a bad configuration, 1 for any other
// failure, 0 after a clean shutdown on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/eduledger/eduledger/cmd/internal/backend"
	"github.com/eduledger/eduledger/cmd/internal/services"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr, nil)
	stop()
	var u *usageError
	switch {
	case errors.As(err, &u):
		fmt.Fprintln(os.Stderr, "verifier:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "verifier:", err)
		os.Exit(1)
	}
}

// usageError marks a mistake in the flags or the configuration.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// run serves until ctx ends. listening, when set, is told the address once the service listens.
func run(ctx context.Context, args []string, stderr io.Writer, listening func(addr string)) error {
	cfg, err := loadConfig(args)
	if err != nil {
		return &usageError{err}
	}
	log, err := cfg.Log.Logger(stderr)
	if err != nil {
		return &usageError{err}
	}
	fmt.Fprintln(stderr, "verifier: configuration:")
	printConfig(stderr, cfg)

	services.TuneGC()
	b, err := backend.Open(ctx, cfg.Ledger, log)
	if err != nil {
		return fmt.Errorf("open the ledger: %w", err)
	}
	defer b.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	svc, err := services.Verifier(cfg.Verifier, b, log, reg)
	if err != nil {
		return &usageError{err}
	}
	defer svc.Close()
	var ready func(string, string)
	if listening != nil {
		ready = func(_, addr string) { listening(addr) }
	}
	err = services.Serve(ctx, log, cfg.ShutdownGrace, ready, svc)
	log.Info("verifier stopped")
	return err
}
