// Package issuerapi is the issuer service's HTTP API: a thin chi layer over the issuance engine
// (sdk/issuance) that decodes each request, authenticates its API token, calls the engine as the
// token's organisation and role (so the chaincode authorises every change again), renders the
// result or an RFC 9457 problem, and records the action in the audit log. The API is described by
// the OpenAPI 3.1 document served at /openapi.json (docs/openapi-issuer.json).
package issuerapi

import (
	"context"
	_ "embed"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/internal/httpapi"
	"github.com/eduledger/eduledger/sdk/issuance"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// Config is the service's configuration.
type Config struct {
	// Engine configures the issuance engine (data directory, organisations, keys, links).
	Engine issuance.Config
	// MaxBodyBytes caps JSON request bodies.
	MaxBodyBytes int64
	// MaxUploadBytes caps bulk uploads (CSV or JSON).
	MaxUploadBytes int64
	// RequestTimeout bounds a request; UploadTimeout a bulk upload.
	RequestTimeout time.Duration
	UploadTimeout  time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For is believed (for the audit log's client
	// address).
	TrustedProxies []netip.Prefix
}

// Defaults.
const (
	DefaultMaxBodyBytes   = 2 << 20
	DefaultMaxUploadBytes = 512 << 20
	DefaultRequestTimeout = 30 * time.Second
	DefaultUploadTimeout  = 15 * time.Minute
)

func (c *Config) withDefaults() {
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.UploadTimeout == 0 {
		c.UploadTimeout = DefaultUploadTimeout
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	c.withDefaults()
	switch {
	case c.MaxBodyBytes < 1<<10:
		return errors.New("max body size must be at least 1 KiB")
	case c.MaxUploadBytes < c.MaxBodyBytes:
		return errors.New("max upload size must be at least the max body size")
	case c.RequestTimeout < time.Second || c.UploadTimeout < c.RequestTimeout:
		return errors.New("request timeout must be at least 1s and the upload timeout at least the request timeout")
	}
	return c.Engine.Validate()
}

// Deps are what the service runs on.
type Deps struct {
	// Connector acts on the ledger as the staff of the hosted organisations.
	Connector ledger.Connector
	// Reader is a read-only ledger connection (queries and events).
	Reader ledger.Ledger
	Logger *slog.Logger
	// Registry receives the service's metrics and is served at /metrics.
	Registry *prometheus.Registry
	// EngineOptions are passed to the engine (tests use cheap key derivation).
	EngineOptions []issuance.Option
}

// Server is the issuer service.
type Server struct {
	cfg     Config
	eng     *issuance.Engine
	log     *slog.Logger
	handler http.Handler
	router  *chi.Mux
	reader  ledger.Ledger
}

// New opens the engine (store, hosted organisations), makes sure every hosted organisation has
// registered signing keys, and builds the HTTP handler. Call Run for background work and Close at
// the end.
func New(ctx context.Context, cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "issuer: %v", err)
	}
	if deps.Logger == nil || deps.Registry == nil || deps.Connector == nil || deps.Reader == nil {
		return nil, errors.New("issuerapi: Connector, Reader, Logger and Registry are required")
	}
	m, err := newMetrics(deps.Registry)
	if err != nil {
		return nil, err
	}
	opts := append([]issuance.Option{issuance.WithLogger(deps.Logger.With("component", "issuance")), issuance.WithObserver(m)}, deps.EngineOptions...)
	eng, err := issuance.New(ctx, cfg.Engine, deps.Connector, deps.Reader, opts...)
	if err != nil {
		return nil, err
	}
	if err := eng.EnsureKeys(ctx); err != nil {
		eng.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, eng: eng, log: deps.Logger, reader: deps.Reader}
	r, err := httpapi.NewRouter(httpapi.Options{Service: "issuer", Logger: deps.Logger, Registry: deps.Registry,
		MaxBodyBytes: cfg.MaxUploadBytes, RequestTimeout: cfg.UploadTimeout, TrustedProxies: cfg.TrustedProxies,
		Ready: map[string]httpapi.Check{"ledger": s.ledgerReady}})
	if err != nil {
		eng.Close()
		return nil, err
	}
	s.routes(r)
	s.handler, s.router = r, r
	return s, nil
}

// Handler returns the service's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Engine returns the issuance engine, for seeding demo data and minting tokens in process.
func (s *Server) Engine() *issuance.Engine { return s.eng }

// Run does the service's background work — resuming interrupted issuance and bulk jobs,
// processing jobs, following ledger events — until ctx ends.
func (s *Server) Run(ctx context.Context) error { return s.eng.Run(ctx) }

// Close stops background work and closes the engine's store.
func (s *Server) Close() error { return s.eng.Close() }

func (s *Server) ledgerReady(ctx context.Context) error {
	_, err := ledger.NewClient(s.reader).GetGoverningOrganization(ctx)
	return err
}

// routes mounts the API on r.
func (s *Server) routes(r chi.Router) {
	r.Get("/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(OpenAPI)
	})
	r.Route("/v1", func(r chi.Router) {
		r.Use(s.authenticate)
		// Bulk uploads get the large body limit and the long timeout the router was built with.
		r.With(s.audited("job.create")).Post("/jobs", s.createJob)
		r.Group(func(r chi.Router) {
			r.Use(httpapi.BodyLimit(s.cfg.MaxBodyBytes), httpapi.Timeout(s.cfg.RequestTimeout))
			a := s.audited
			r.Get("/me", s.me)

			r.With(a("learner.register")).Post("/learners", s.registerLearner)
			r.With(a("learner.read")).Get("/learners/{learnerID}", s.getLearner)
			r.With(a("learner.roles")).Put("/learners/{learnerID}/roles", s.updateRoles)
			r.With(a("learner.holder-keys")).Put("/learners/{learnerID}/holder-keys", s.updateHolderKeys)
			r.With(a("learner.suspend")).Post("/learners/{learnerID}/suspend", s.suspendLearner)
			r.With(a("learner.reinstate")).Post("/learners/{learnerID}/reinstate", s.reinstateLearner)

			r.With(a("card.issue")).Post("/learners/{learnerID}/card", s.issueCard)
			r.Get("/learners/{learnerID}/card", s.getCard)
			r.With(a("card.reissue")).Post("/learners/{learnerID}/card/reissue", s.reissueCard)
			r.With(a("card.revoke")).Post("/learners/{learnerID}/card/revoke", s.revokeCard)
			r.With(a("card.print")).Get("/learners/{learnerID}/card.png", s.cardPNG)
			r.Get("/learners/{learnerID}/card/qr.png", s.cardQR)

			r.With(a("credential.issue")).Post("/credentials", s.issueCredential)
			r.Get("/credentials", s.listCredentials)
			r.Get("/credentials/{credentialID}", s.getCredential)
			r.Get("/credentials/{credentialID}/qr.png", s.credentialQR)
			r.With(a("credential.suspend")).Post("/credentials/{credentialID}/suspend", s.changeStatus(eduledger.StatusSuspended))
			r.With(a("credential.reinstate")).Post("/credentials/{credentialID}/reinstate", s.changeStatus(eduledger.StatusActive))
			r.With(a("credential.revoke")).Post("/credentials/{credentialID}/revoke", s.changeStatus(eduledger.StatusRevoked))

			r.Get("/jobs", s.listJobs)
			r.Get("/jobs/{jobID}", s.getJob)
			r.Get("/jobs/{jobID}/rows", s.jobRows)
			r.Get("/jobs/{jobID}/credentials", s.exportJob)

			r.Get("/keys", s.listKeys)
			r.With(a("key.rotate")).Post("/keys/rotate", s.rotateKeys)
			r.With(a("key.revoke")).Post("/keys/{keyID}/revoke", s.revokeKey)

			r.With(a("token.create")).Post("/tokens", s.createToken)
			r.Get("/tokens", s.listTokens)
			r.With(a("token.revoke")).Delete("/tokens/{tokenID}", s.revokeToken)

			r.Get("/audit", s.audit)

			s.creditRoutes(r)
		})
	})
}
