package issuerapi

import (
	_ "embed"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eduledger/eduledger"
)

// OpenAPI is the service's OpenAPI 3.1 document, served at /openapi.json and kept in
// docs/openapi-issuer.json.
//
//go:embed openapi.json
var OpenAPI []byte

// metrics are the service's own Prometheus metrics (the HTTP ones come from httpapi).
type metrics struct {
	issued *prometheus.CounterVec
	ledger *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eduledger_issuer_credentials_issued_total",
			Help: "Credentials anchored on the ledger, by issuing organisation and credential type.",
		}, []string{"org", "type"}),
		ledger: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "eduledger_issuer_ledger_request_duration_seconds",
			Help:    "Ledger transactions (submitted and evaluated) by chaincode function and outcome code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"function", "outcome"}),
	}
	for _, c := range []prometheus.Collector{m.issued, m.ledger} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("issuerapi: register metrics: %w", err)
		}
	}
	return m, nil
}

// LedgerCall implements issuance.Observer.
func (m *metrics) LedgerCall(function string, d time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = eduledger.ErrorCode(err)
	}
	m.ledger.WithLabelValues(function, outcome).Observe(d.Seconds())
}

// Issued implements issuance.Observer.
func (m *metrics) Issued(org string, t eduledger.CredentialType, n int) {
	m.issued.WithLabelValues(org, string(t)).Add(float64(n))
}
