package verifier

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the engine's Prometheus metrics. The counters exist (and count) whether or not they
// are registered, so the hot path never checks.
type metrics struct {
	verifications *prometheus.CounterVec
	cacheHits     map[string]prometheus.Counter
	cacheMisses   map[string]prometheus.Counter
	events        prometheus.Counter
	synced        prometheus.Gauge
	reconnects    prometheus.Counter
}

var cacheNames = []string{"keys", "organizations", "accreditations", "credentials", "batches", "learners", "issuers"}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	cache := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "eduledger_verifier_cache_lookups_total", Help: "Ledger lookups by cache and result (hit or miss).",
	}, []string{"cache", "result"})
	m := &metrics{
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eduledger_verifier_verifications_total", Help: "Verifications by kind (credential, presentation, link) and verdict.",
		}, []string{"kind", "verdict"}),
		cacheHits:   map[string]prometheus.Counter{},
		cacheMisses: map[string]prometheus.Counter{},
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eduledger_verifier_events_total", Help: "Chaincode events applied to the verifier's cache.",
		}),
		synced: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "eduledger_verifier_cache_synced", Help: "1 while the cache follows the ledger's events from a known position, else 0.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eduledger_verifier_event_stream_starts_total", Help: "Times the chaincode event stream was (re)opened.",
		}),
	}
	for _, n := range cacheNames {
		m.cacheHits[n] = cache.WithLabelValues(n, "hit")
		m.cacheMisses[n] = cache.WithLabelValues(n, "miss")
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.verifications, cache, m.events, m.synced, m.reconnects} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("verifier: register metrics: %w", err)
			}
		}
	}
	return m, nil
}

func (m *metrics) cacheLookup(name string, hit bool) {
	if hit {
		if c := m.cacheHits[name]; c != nil {
			c.Inc()
		}
		return
	}
	if c := m.cacheMisses[name]; c != nil {
		c.Inc()
	}
}
