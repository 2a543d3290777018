package services

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eduledger/eduledger/cmd/internal/backend"
	"github.com/eduledger/eduledger/verifier/api"
)

// Verifier builds the public verifier service on an open backend. On the embedded backend it knows
// the ledger's height, so its cache follows the chaincode events from the head and keeps answers
// long; on Fabric it keeps them briefly (see verifier.WithHead).
func Verifier(c api.Config, b *backend.Backend, log *slog.Logger, reg *prometheus.Registry) (*Service, error) {
	var head func(context.Context) (uint64, error)
	if b.Ledger != nil {
		head = func(context.Context) (uint64, error) { return b.Ledger.Height(), nil }
	}
	srv, err := api.New(c, api.Deps{Reader: b.Reader, Head: head, Logger: log.With("service", "verifier"), Registry: reg})
	if err != nil {
		return nil, err
	}
	return &Service{Name: "verifier", Listen: c.Listen, Handler: srv.Handler(), Run: srv.Run, close: srv.Close}, nil
}
