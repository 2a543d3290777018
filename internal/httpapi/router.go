package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/internal/problem"
)

// Check is a readiness check: nil when the dependency it probes can serve.
type Check func(ctx context.Context) error

// Options configure NewRouter.
type Options struct {
	// Service names the service in metrics and logs ("issuer", "verifier").
	Service string
	Logger  *slog.Logger
	// Registry receives the HTTP metrics and is served at /metrics.
	Registry *prometheus.Registry
	// MaxBodyBytes caps every request body (a route may set a smaller cap with BodyLimit).
	MaxBodyBytes int64
	// RequestTimeout bounds each request's context.
	RequestTimeout time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Ready lists the checks behind /readyz.
	Ready map[string]Check
}

// NewRouter returns a chi router with the standard stack and the operational endpoints /healthz,
// /readyz and /metrics; the service mounts its own routes on it. Unknown routes and methods answer
// with problems, not plain text.
func NewRouter(o Options) (*chi.Mux, error) {
	if o.Logger == nil || o.Registry == nil || o.MaxBodyBytes <= 0 || o.RequestTimeout <= 0 {
		return nil, errors.New("httpapi: Logger, Registry, MaxBodyBytes and RequestTimeout are required")
	}
	metrics, err := NewMetrics(o.Registry, o.Service)
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	r.Use(RequestID, ClientIPFrom(o.TrustedProxies), AccessLog(o.Logger), Recover(o.Logger),
		metrics.Middleware, SecurityHeaders, BodyLimit(o.MaxBodyBytes), Timeout(o.RequestTimeout))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, r, nil, eduledger.Errorf(eduledger.ENOTFOUND, "there is no resource at %s", r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, r, nil, &problem.Error{Code: problem.CodeMethodNotAllowed,
			Detail: fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path)})
	})
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", readiness(o.Ready))
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{Registry: o.Registry}))
	return r, nil
}

func readiness(checks map[string]Check) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		result := map[string]string{}
		ok := true
		for name, check := range checks {
			if err := check(ctx); err != nil {
				result[name] = eduledger.ErrorMessage(err)
				ok = false
				continue
			}
			result[name] = "ok"
		}
		status := http.StatusOK
		if !ok {
			status = http.StatusServiceUnavailable
		}
		WriteJSON(w, status, map[string]any{"ready": ok, "checks": result})
	}
}

// Serve runs srv on ln until ctx ends, then shuts it down, giving in-flight requests up to grace to
// finish. It returns nil after a clean shutdown.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, log *slog.Logger, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("httpapi: serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "addr", ln.Addr().String(), "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("httpapi: shutdown %s: %w", ln.Addr(), err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("httpapi: serve %s: %w", ln.Addr(), err)
	}
	return nil
}

// NewServer returns an http.Server with timeouts that keep slow clients from holding connections.
func NewServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
