// Package api is the public verifier service's HTTP edge: the JSON API anyone may call without an
// account (verify a credential or presentation, look up a credential's status or a verification
// link, read an issuer's public record, get a presentation challenge), its OpenAPI 3.1 document,
// and the bilingual web page for employers (package verifier/web).
//
// Handlers decode, call the engine (package verifier) and render; every bad input is a 4xx RFC 9457
// problem, and a credential that fails verification is a normal 200 answer. Per-client rate limits,
// body limits, CORS, health, readiness and metrics come with the server.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/internal/httpapi"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/verifier"
	"github.com/eduledger/eduledger/verifier/web"
)

// Config is the verifier service's configuration (the `verifier` section of a binary's config).
type Config struct {
	// Listen is the address the service is served on, host:port. New does not listen: the binary
	// (cmd/verifier, or `eduledger run`) does.
	Listen string `mapstructure:"listen"`
	// PublicURL is where clients reach the service ("https://verify.example.edu.cn"). Its host is
	// the domain presentations must be bound to.
	PublicURL string `mapstructure:"public_url"`
	// MaxBodyBytes caps a request body; a presentation may be 4 MiB.
	MaxBodyBytes int64 `mapstructure:"max_body_bytes"`
	// RequestTimeout bounds each request.
	RequestTimeout time.Duration `mapstructure:"request_timeout"`
	// RateLimit is the per-client limit on the API (IPv4 address or IPv6 /64).
	RateLimit RateLimit `mapstructure:"rate_limit"`
	// CORSOrigins are the web origins allowed to call the API; "*" allows any.
	CORSOrigins []string `mapstructure:"cors_origins"`
	// TrustedProxies are the networks whose X-Forwarded-For is believed ("10.0.0.0/8").
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// Cache configures the engine's ledger cache.
	Cache Cache `mapstructure:"cache"`
	// ChallengeLifetime is how long a presentation challenge stays usable.
	ChallengeLifetime time.Duration `mapstructure:"challenge_lifetime"`
}

// RateLimit is a token bucket: Burst requests at once, then PerSecond.
type RateLimit struct {
	PerSecond float64 `mapstructure:"per_second"`
	Burst     int     `mapstructure:"burst"`
}

// Cache bounds the engine's cache (see verifier.WithCacheTTL and WithCacheSize).
type Cache struct {
	TTL         time.Duration `mapstructure:"ttl"`
	UnsyncedTTL time.Duration `mapstructure:"unsynced_ttl"`
	Size        int           `mapstructure:"size"`
}

// DefaultConfig returns the defaults: a service on http://127.0.0.1:8081, 20 requests a second per
// client with bursts of 60, any origin.
func DefaultConfig() Config {
	return Config{
		Listen:            "127.0.0.1:8081",
		PublicURL:         "http://127.0.0.1:8081",
		MaxBodyBytes:      verifier.MaxPresentationBytes + 64<<10,
		RequestTimeout:    15 * time.Second,
		RateLimit:         RateLimit{PerSecond: 20, Burst: 60},
		CORSOrigins:       []string{"*"},
		Cache:             Cache{TTL: verifier.DefaultCacheTTL, UnsyncedTTL: verifier.DefaultUnsyncedTTL, Size: verifier.DefaultCacheSize},
		ChallengeLifetime: verifier.DefaultChallengeLifetime,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("verifier.listen %q must be host:port", c.Listen)
	}
	u, err := url.Parse(c.PublicURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("verifier.public_url %q must be an absolute http(s) URL without query or fragment", c.PublicURL)
	case c.MaxBodyBytes < 1<<20:
		return fmt.Errorf("verifier.max_body_bytes must be at least 1 MiB, the size of a credential")
	case c.RequestTimeout < time.Second:
		return fmt.Errorf("verifier.request_timeout must be at least 1s")
	case c.RateLimit.PerSecond <= 0 || c.RateLimit.Burst < 1:
		return fmt.Errorf("verifier.rate_limit.per_second must be positive and burst at least 1")
	case len(c.CORSOrigins) == 0:
		return fmt.Errorf("verifier.cors_origins must list at least one origin (\"*\" for any)")
	case c.Cache.TTL <= 0 || c.Cache.UnsyncedTTL <= 0 || c.Cache.UnsyncedTTL > c.Cache.TTL || c.Cache.Size < 16:
		return fmt.Errorf("verifier.cache: ttl and unsynced_ttl must be positive (unsynced_ttl ≤ ttl) and size at least 16")
	case c.ChallengeLifetime < time.Second || c.ChallengeLifetime > time.Hour:
		return fmt.Errorf("verifier.challenge_lifetime must be between 1s and 1h")
	}
	if _, err := c.proxies(); err != nil {
		return err
	}
	return nil
}

func (c *Config) proxies() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(c.TrustedProxies))
	for _, s := range c.TrustedProxies {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("verifier.trusted_proxies: %q is neither a network nor an address", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p)
	}
	return out, nil
}

// Deps are what the service runs on.
type Deps struct {
	// Reader is a read-only ledger connection (required).
	Reader ledger.Ledger
	// Head returns the ledger's height; with it the cache follows the events from the head and
	// keeps answers long (see verifier.WithHead). Optional.
	Head func(context.Context) (uint64, error)
	// Logger receives request logs and the engine's warnings (default: discard).
	Logger *slog.Logger
	// Registry receives the metrics served at /metrics (default: a new registry).
	Registry *prometheus.Registry
	// Clock replaces the system clock (tests).
	Clock func() time.Time
}

// Server is the verifier service.
type Server struct {
	cfg     Config
	engine  *verifier.Verifier
	handler http.Handler
	log     *slog.Logger
}

// New builds the service. Errors: INVALID for a bad configuration or missing dependencies.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "%w", err)
	}
	if deps.Reader == nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "api: a ledger reader is required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Registry == nil {
		deps.Registry = prometheus.NewRegistry()
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	u, _ := url.Parse(cfg.PublicURL)
	engine, err := verifier.New(deps.Reader,
		verifier.WithHead(deps.Head), verifier.WithLogger(deps.Logger.With("component", "verifier")),
		verifier.WithMetrics(deps.Registry), verifier.WithClock(deps.Clock), verifier.WithDomain(u.Host),
		verifier.WithCacheTTL(cfg.Cache.TTL, cfg.Cache.UnsyncedTTL), verifier.WithCacheSize(cfg.Cache.Size),
		verifier.WithChallenges(cfg.ChallengeLifetime, verifier.DefaultMaxChallenges))
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, engine: engine, log: deps.Logger}
	proxies, _ := cfg.proxies()
	r, err := httpapi.NewRouter(httpapi.Options{Service: "verifier", Logger: deps.Logger, Registry: deps.Registry,
		MaxBodyBytes: cfg.MaxBodyBytes, RequestTimeout: cfg.RequestTimeout, TrustedProxies: proxies,
		Ready: map[string]httpapi.Check{"ledger": engine.Ready}})
	if err != nil {
		return nil, err
	}
	page, err := web.New(web.Options{PublicURL: cfg.PublicURL})
	if err != nil {
		return nil, err
	}
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		r.Method(m, "/", page)
		r.Method(m, "/v", page)
		r.Method(m, "/assets/*", page)
	}
	r.Get("/openapi.json", serveOpenAPI)
	lim := newLimiter(cfg.RateLimit.PerSecond, cfg.RateLimit.Burst, deps.Clock)
	r.Route("/v1", func(r chi.Router) {
		r.Use(cors(cfg.CORSOrigins), lim.middleware, noStore)
		h := &handlers{engine: engine, log: deps.Logger, maxBody: cfg.MaxBodyBytes}
		r.Post("/verify", h.verify)
		r.Get("/challenge", h.challenge)
		r.Get("/lookup", h.lookup)
		r.Get("/credentials/*", h.status)
		r.Get("/issuers", h.issuers)
		r.Get("/issuers/{id}", h.issuer)
		r.Post("/archive", h.archive)
		r.Post("/statement", h.statement)
	})
	s.handler = r
	return s, nil
}

// Handler returns the service's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Verifier returns the engine.
func (s *Server) Verifier() *verifier.Verifier { return s.engine }

// Run follows the ledger's events to keep the engine's cache fresh, until ctx ends (see
// verifier.Verifier.Run). It returns nil then.
func (s *Server) Run(ctx context.Context) error {
	return s.engine.Run(ctx)
}

// Close releases the server's resources. The ledger connection belongs to the caller.
func (s *Server) Close() error { return nil }

// noStore keeps answers about credentials out of shared caches: a status may change at any time.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
