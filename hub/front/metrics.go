package front

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the front's, for the operator's /metrics.
type metrics struct {
	registry *prometheus.Registry
	polls    prometheus.GaugeFunc
	up       prometheus.GaugeFunc
	asks     *prometheus.CounterVec
	answers  *prometheus.CounterVec
}

func newMetrics(f *Front) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		polls: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lienthong_front_polls", Help: "Long polls the front holds.",
		}, func() float64 { return float64(f.Polls()) }),
		up: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lienthong_front_following", Help: "1 while the front follows the hub's wake-ups, else 0.",
		}, func() float64 {
			if f.Up() {
				return 1
			}
			return 0
		}),
		asks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lienthong_front_asks_total", Help: "Answers asked of the hub, by outcome: found, empty, or failed (the hub did not answer).",
		}, []string{"outcome"}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lienthong_front_answers_total", Help: "Long polls answered, by HTTP status.",
		}, []string{"status"}),
	}
	m.registry.MustRegister(m.polls, m.up, m.asks, m.answers,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
