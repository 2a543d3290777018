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
	"os"
	"os/signal"
	"syscall"

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
	cc, err := chaincode.New()
	if err != nil {
		return fmt.Errorf("chaincode: %w", err)
	}
	srv, err := ccaas.Listen(cfg.server(), cc)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger.Info("serving EduLedger chaincode", cfg.logAttrs(srv.Addr().String())...)
	return srv.Serve(ctx)
}
