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
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/eduledger/eduledger/cmd/internal/backend"
	"github.com/eduledger/eduledger/internal/httpapi"
	"github.com/eduledger/eduledger/verifier/api"
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
	log, err := cfg.logger(stderr)
	if err != nil {
		return &usageError{err}
	}
	fmt.Fprintln(stderr, "verifier: configuration:")
	printConfig(stderr, cfg)

	b, err := backend.Open(ctx, cfg.Ledger, log)
	if err != nil {
		return fmt.Errorf("open the ledger: %w", err)
	}
	defer b.Close()
	var head func(context.Context) (uint64, error)
	if b.Ledger != nil {
		head = func(context.Context) (uint64, error) { return b.Ledger.Height(), nil }
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := api.New(cfg.Verifier, api.Deps{Reader: b.Reader, Head: head, Logger: log, Registry: reg})
	if err != nil {
		return &usageError{err}
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.Verifier.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Verifier.Listen, err)
	}
	if listening != nil {
		listening(ln.Addr().String())
	}

	runCtx, stopRun := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(runCtx) }()
	serveErr := httpapi.Serve(ctx, httpapi.NewServer(srv.Handler(), log), ln, log, cfg.ShutdownGrace)
	stopRun()
	if err := <-ran; err != nil && serveErr == nil {
		serveErr = err
	}
	log.Info("verifier stopped")
	return serveErr
}

func (c *Config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Log.Level)); err != nil {
		return nil, fmt.Errorf("log.level must be debug, info, warn or error, not %q", c.Log.Level)
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Log.JSON {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
