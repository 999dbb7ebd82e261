// Package metrics defines Koinon's Prometheus metrics on a registry of
// its own (no global state), served at /metrics. It imports only the
// Prometheus client: never the store or web, which update its metrics.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds every collector.
type Metrics struct {
	registry        *prometheus.Registry
	Requests        *prometheus.CounterVec   // by method, route, status class
	RequestDuration *prometheus.HistogramVec // by method, route
	VotesCast       prometheus.Counter
	VotesWithdrawn  prometheus.Counter
	BallotsClosed   prometheus.Counter
	TallyDuration   prometheus.Histogram
	LoginFailures   prometheus.Counter
}

// New creates the collectors and registers them with the Go runtime and
// process collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		registry: r,
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "koinon_http_requests_total", Help: "HTTP requests by method, route and status class.",
		}, []string{"method", "route", "status"}),
		RequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "koinon_http_request_duration_seconds", Help: "HTTP request latency by method and route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
		VotesCast: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "koinon_votes_cast_total", Help: "Votes cast or replaced.",
		}),
		VotesWithdrawn: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "koinon_votes_withdrawn_total", Help: "Votes withdrawn.",
		}),
		BallotsClosed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "koinon_ballots_closed_total", Help: "Ballots closed and sealed.",
		}),
		TallyDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "koinon_tally_duration_seconds", Help: "Time to close a ballot: freeze, tally, seal, store.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 12),
		}),
		LoginFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "koinon_login_failures_total", Help: "Failed sign-in attempts.",
		}),
	}
	r.MustRegister(m.Requests, m.RequestDuration, m.VotesCast, m.VotesWithdrawn, m.BallotsClosed,
		m.TallyDuration, m.LoginFailures,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
