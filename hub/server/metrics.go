package server

import (
	"lienthong/shared/document"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the hub's Prometheus metrics, served by the operator's
// listener (see Server.Metrics).
type metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	accepted  prometheus.Counter
	delivered prometheus.Counter
	statuses  *prometheus.CounterVec
	uploaded  prometheus.Counter
	polling   prometheus.Gauge
	inFlight  prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lienthong_hub_requests_total", Help: "API requests by route and outcome (ok or a wire error code).",
		}, []string{"route", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "lienthong_hub_request_seconds", Help: "API request duration by route, long polls included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lienthong_hub_documents_accepted_total", Help: "Submissions accepted (retries not counted).",
		}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lienthong_hub_deliveries_acked_total", Help: "Deliveries acknowledged by recipients (retries not counted).",
		}),
		statuses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lienthong_hub_statuses_total", Help: "Status updates relayed, by code.",
		}, []string{"code"}),
		uploaded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lienthong_hub_upload_bytes_total", Help: "Attachment bytes durably stored.",
		}),
		polling: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lienthong_hub_long_polls", Help: "Long polls waiting now.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lienthong_hub_requests_in_flight", Help: "API requests being handled now, long polls included.",
		}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.accepted, m.delivered, m.statuses, m.uploaded, m.polling, m.inFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Metrics returns the registry to serve at /metrics.
func (s *Server) Metrics() *prometheus.Registry { return s.metrics.registry }

// The relay's observations (relay.Observer).

func (m *metrics) Accepted()                   { m.accepted.Inc() }
func (m *metrics) Delivered()                  { m.delivered.Inc() }
func (m *metrics) Status(code document.Status) { m.statuses.WithLabelValues(string(code)).Inc() }
func (m *metrics) Uploaded(bytes int64)        { m.uploaded.Add(float64(bytes)) }
func (m *metrics) Polling(delta int)           { m.polling.Add(float64(delta)) }
