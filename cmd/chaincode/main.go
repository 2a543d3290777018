// Command chaincode serves EduLedger's chaincode as a service (Fabric's chaincode-as-a-service,
// "ccaas"): Fabric peers dial it at the address in the installed package's connection.json, over
// mutual TLS. network/deploy.sh starts one per organisation.
//
// Configuration, highest precedence first: flags, environment (EDULEDGER_CHAINCODE_ID,
// EDULEDGER_CHAINCODE_ADDRESS, EDULEDGER_CHAINCODE_TLS_CERT, …; Fabric's own CHAINCODE_ID and
// CHAINCODE_SERVER_ADDRESS are read too), a YAML file (--config), defaults.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/network/ccaas"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := loadConfig(os.Args[1:], os.Environ())
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaincode:", err)
		os.Exit(2)
	}
	if err := run(cfg, logger); err != nil {
		logger.Error("chaincode server stopped", "err", err)
		os.Exit(1)
	}
}

func run(cfg *Config, logger *slog.Logger) error {
	var opts []chaincode.Option
	if cfg.GoverningMSP != "" {
		opts = append(opts, chaincode.GoverningMSP(cfg.GoverningMSP))
	} else {
		logger.Warn("governing_msp is not set: the first admin to call InitLedger will govern the network; set --governing-msp on every organisation's server")
	}
	cc, err := chaincode.New(opts...)
	if err != nil {
		return fmt.Errorf("chaincode: %w", err)
	}
	srv, err := ccaas.Listen(cfg.server(), cc)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.Pprof != "" {
		servePprof(ctx, cfg.Pprof, logger)
	}
	logger.Info("serving EduLedger chaincode", cfg.logAttrs(srv.Addr().String())...)
	return srv.Serve(ctx)
}

// servePprof serves the profiling endpoints until ctx ends. Failing to listen is logged, not fatal:
// profiling must never stop the chaincode.
func servePprof(ctx context.Context, addr string, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		logger.Warn("profiling endpoints not served", "addr", addr, "err", err)
		return
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	go func() { _ = srv.Serve(ln) }()
	logger.Info("profiling endpoints", "addr", ln.Addr().String())
}
