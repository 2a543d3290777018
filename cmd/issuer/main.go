// Command issuer is EduLedger's issuer service for schools: the HTTP API (/v1, described at
// /openapi.json) through which registrars and issuing staff register learners, issue identity
// cards and credentials — one by one or in bulk jobs from CSV or JSON — suspend, reinstate and
// revoke them, and manage their organisation's signing keys and API tokens.
//
// It runs over the embedded ledger of a development network (the default: --ledger-dir .eduledger,
// bootstrapped with the demo organisations) or a Hyperledger Fabric network (--ledger-backend
// fabric). Configuration, highest precedence first: flags, EDULEDGER_* environment variables, a
// configuration file (--config), defaults; it is printed at start with secrets masked. Logs are JSON
// lines on standard error. SIGINT or SIGTERM stops it gracefully: requests in flight finish, bulk
// jobs stop where they are and resume at the next start.
//
// API tokens are managed with `eduledger token` (through the admin API, or on the data directory
// while the service is stopped).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/cmd/internal/backend"
	"github.com/eduledger/eduledger/cmd/internal/config"
	"github.com/eduledger/eduledger/cmd/internal/services"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr, nil)
	stop()
	os.Exit(code)
}

// run starts the service and blocks until ctx ends. It reports the address it listens on to
// ready (tests), and returns the process's exit code: 2 for a bad configuration, 1 for a failure.
func run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) int {
	cfg, err := load(args)
	if err != nil {
		fmt.Fprintln(stderr, "issuer:", err)
		return 2
	}
	log, err := cfg.Log.Logger(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "issuer:", err)
		return 2
	}
	if err := serve(ctx, cfg, log, stderr, ready); err != nil {
		log.Error("issuer service stopped", "err", err)
		if eduledger.ErrorCode(err) == eduledger.EINVALID {
			return 2
		}
		return 1
	}
	return 0
}

func serve(ctx context.Context, cfg *Config, log *slog.Logger, stderr io.Writer, ready func(string)) error {
	fmt.Fprintln(stderr, "issuer configuration:")
	config.Print(stderr, cfg)

	services.TuneGC()
	b, err := backend.Open(ctx, cfg.Ledger, log)
	if err != nil {
		return err
	}
	defer b.Close()
	if cfg.Dev.Bootstrap {
		if err := services.Bootstrap(ctx, cfg.Ledger, b, log); err != nil {
			return err
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	svc, srv, err := services.Issuer(ctx, cfg.Issuer, b, log, reg)
	if err != nil {
		return err
	}
	defer svc.Close()
	if cfg.Dev.Token {
		if err := services.DevToken(stderr, srv, cfg.Issuer.Orgs[0], eduledger.StaffRegistrar); err != nil {
			return err
		}
	}
	var onReady func(string, string)
	if ready != nil {
		onReady = func(_, addr string) { ready(addr) }
	}
	return services.Serve(ctx, log, cfg.ShutdownGrace, onReady, svc)
}
