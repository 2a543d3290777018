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

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/cmd/internal/backend"
	"github.com/eduledger/eduledger/cmd/internal/config"
	"github.com/eduledger/eduledger/internal/httpapi"
	"github.com/eduledger/eduledger/internal/issuerapi"
	"github.com/eduledger/eduledger/sdk/devnet"
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
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
		fmt.Fprintf(stderr, "issuer: log.level %q must be debug, info, warn or error\n", cfg.Log.Level)
		return 2
	}
	var log *slog.Logger
	if cfg.Log.JSON {
		log = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	} else {
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
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

	b, err := backend.Open(ctx, cfg.Ledger, log)
	if err != nil {
		return err
	}
	defer b.Close()
	if cfg.Ledger.Backend == backend.Embedded && cfg.Dev.Bootstrap {
		rep, err := devnet.Bootstrap(ctx, b.Connector)
		if err != nil {
			return fmt.Errorf("bootstrap the development ledger: %w", err)
		}
		if rep.Initialised || len(rep.Admitted) > 0 || rep.Accreditations > 0 {
			log.Info("bootstrapped the development ledger", "admitted", rep.Admitted, "accreditations", rep.Accreditations)
		}
	}
	pass := cfg.Issuer.KeyPassphrase
	if pass == "" {
		if pass, err = issuerapi.DevPassphrase(cfg.Issuer.DataDir); err != nil {
			return err
		}
		log.Warn("using the development key passphrase kept in the data directory; set issuer.key_passphrase in production",
			"dir", cfg.Issuer.DataDir)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := issuerapi.New(ctx, cfg.api(pass), issuerapi.Deps{Connector: b.Connector, Reader: b.Reader,
		Logger: log, Registry: reg})
	if err != nil {
		return err
	}
	defer srv.Close()
	if font := srv.Engine().CardFont(); font != "" {
		log.Info("identity card images", "font", font)
	}
	if cfg.Dev.Token {
		org := cfg.Issuer.Orgs[0]
		tok, err := srv.DevToken(org, eduledger.StaffRegistrar)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "development registrar token of %s (replaced at every start):\n  export EDULEDGER_TOKEN=%s\n", org, tok)
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	hs := httpapi.NewServer(srv.Handler(), log)
	// Uploads of hundreds of thousands of rows and their exports take longer than ordinary calls.
	hs.ReadTimeout, hs.WriteTimeout = cfg.Issuer.UploadTimeout, cfg.Issuer.UploadTimeout

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	runDone := make(chan error, 1)
	go func() { runDone <- srv.Run(runCtx) }()
	err = httpapi.Serve(ctx, hs, ln, log, cfg.ShutdownGrace)
	cancel()
	if rerr := <-runDone; rerr != nil && !errors.Is(rerr, context.Canceled) {
		err = errors.Join(err, rerr)
	}
	return err
}
