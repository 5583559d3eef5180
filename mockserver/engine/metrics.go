package engine

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds the engine's Prometheus collectors. Several engines may
// share one Metrics; a nil *Metrics records nothing.
type Metrics struct {
	deliveries *prometheus.CounterVec
	attempts   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	pending    prometheus.Gauge
	dropped    prometheus.Counter
	// prunedDeliveries and prunedAttempts count what retention removed.
	prunedDeliveries, prunedAttempts prometheus.Counter
}

// Attempt results other than an error kind, for esimhooks_attempts_total.
const (
	ResultSuccess = "success" // acknowledged
	ResultStatus  = "status"  // answered, but not with an accepted status
)

// NewMetrics creates the engine's collectors and registers them with reg
// (nil registers nothing):
//
//	esimhooks_deliveries_total{provider,event,outcome}  deliveries that reached a final state
//	esimhooks_attempts_total{provider,event,result}     attempts; result is "success", "status" or an ErrKind
//	esimhooks_attempt_duration_seconds{provider}        attempt latency
//	esimhooks_pending_deliveries                        deliveries waiting or in flight
//	esimhooks_stream_dropped_total                      live-stream events lost to slow subscribers
//	esimhooks_pruned_deliveries_total                   deliveries retention removed from the log
//	esimhooks_pruned_attempts_total                     attempts removed with them
//
// A collector already registered with reg (a second NewMetrics on the same
// registry) is reused, so the caller may call NewMetrics more than once;
// any other registration error panics, as prometheus.MustRegister does.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esimhooks_deliveries_total",
			Help: "Deliveries that reached a final state, by provider, event and outcome (delivered, failed, exhausted).",
		}, []string{"provider", "event", "outcome"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "esimhooks_attempts_total",
			Help: "Delivery attempts, by provider, event and result (success, status, or the error kind).",
		}, []string{"provider", "event", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "esimhooks_attempt_duration_seconds",
			Help:    "Time from sending an attempt to reading its answer (or failing).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"provider"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "esimhooks_pending_deliveries",
			Help: "Deliveries waiting for an attempt or in flight.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "esimhooks_stream_dropped_total",
			Help: "Live-stream attempt events dropped because a subscriber was too slow.",
		}),
		prunedDeliveries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "esimhooks_pruned_deliveries_total",
			Help: "Deliveries the retention (serve --retain) removed from the delivery log.",
		}),
		prunedAttempts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "esimhooks_pruned_attempts_total",
			Help: "Attempts removed from the delivery log with their deliveries by the retention.",
		}),
	}
	if reg == nil {
		return m
	}
	m.prunedDeliveries = register(reg, m.prunedDeliveries)
	m.prunedAttempts = register(reg, m.prunedAttempts)
	m.deliveries = register(reg, m.deliveries)
	m.attempts = register(reg, m.attempts)
	m.latency = register(reg, m.latency)
	m.pending = register(reg, m.pending)
	m.dropped = register(reg, m.dropped)
	return m
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

func (m *Metrics) attempt(provider, event, result string, seconds float64) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(provider, event, result).Inc()
	m.latency.WithLabelValues(provider).Observe(seconds)
}

func (m *Metrics) delivery(provider, event, outcome string) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(provider, event, outcome).Inc()
}

func (m *Metrics) addPending(delta int) {
	if m == nil {
		return
	}
	m.pending.Add(float64(delta))
}

func (m *Metrics) drop() {
	if m == nil {
		return
	}
	m.dropped.Inc()
}

func (m *Metrics) pruned(r PruneResult) {
	if m == nil {
		return
	}
	m.prunedDeliveries.Add(float64(r.Deliveries))
	m.prunedAttempts.Add(float64(r.Attempts))
}

// logSizeCollector reports a LogSizer's size at every scrape:
//
//	esimhooks_log_deliveries         deliveries in the log
//	esimhooks_log_attempts           attempts in the log
//	esimhooks_log_file_bytes         the log's files and write-ahead logs (SQLite)
//	esimhooks_log_file_pages         the files' pages (SQLite)
//	esimhooks_log_free_pages         pages free for reuse (SQLite)
//	esimhooks_log_files              database files: the main file and its segments (SQLite)
//
// A scrape whose LogSize fails (within 2 s) reports none of them.
type logSizeCollector struct{ s LogSizer }

var (
	logDeliveriesDesc = prometheus.NewDesc("esimhooks_log_deliveries", "Deliveries held in the delivery log.", nil, nil)
	logAttemptsDesc   = prometheus.NewDesc("esimhooks_log_attempts", "Attempts held in the delivery log.", nil, nil)
	logFileBytesDesc  = prometheus.NewDesc("esimhooks_log_file_bytes", "Bytes of the SQLite delivery log's files (the main file and its segments) and their write-ahead logs.", nil, nil)
	logPagesDesc      = prometheus.NewDesc("esimhooks_log_file_pages", "Pages of the SQLite delivery log's files (page size in the page_size label).", []string{"page_size"}, nil)
	logFreePagesDesc  = prometheus.NewDesc("esimhooks_log_free_pages", "Free pages of the SQLite delivery log, reused by later writes or returned by the incremental vacuum.", nil, nil)
	logFilesDesc      = prometheus.NewDesc("esimhooks_log_files", "Database files of the SQLite delivery log: the main file and the segments retention drops whole.", nil, nil)
)

func (c logSizeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{logDeliveriesDesc, logAttemptsDesc, logFileBytesDesc, logPagesDesc, logFreePagesDesc, logFilesDesc} {
		ch <- d
	}
}

func (c logSizeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	sz, err := c.s.LogSize(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(logDeliveriesDesc, prometheus.GaugeValue, float64(sz.Deliveries))
	ch <- prometheus.MustNewConstMetric(logAttemptsDesc, prometheus.GaugeValue, float64(sz.Attempts))
	if sz.File {
		ch <- prometheus.MustNewConstMetric(logFileBytesDesc, prometheus.GaugeValue, float64(sz.FileBytes))
		ch <- prometheus.MustNewConstMetric(logPagesDesc, prometheus.GaugeValue, float64(sz.Pages), strconv.FormatInt(sz.PageSize, 10))
		ch <- prometheus.MustNewConstMetric(logFreePagesDesc, prometheus.GaugeValue, float64(sz.FreePages))
		ch <- prometheus.MustNewConstMetric(logFilesDesc, prometheus.GaugeValue, float64(sz.Files))
	}
}

// NewLogSizeCollector returns the collector of s's size, reported at
// every scrape (see logSizeCollector).
func NewLogSizeCollector(s LogSizer) prometheus.Collector { return logSizeCollector{s} }
