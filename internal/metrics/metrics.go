// Package metrics owns Kluis's Prometheus metrics: the registry, the
// families and the handler the separate metrics listener serves (never the
// public one: design.md, "keep /metrics off the public listener").
//
// Label values are bounded and hold no personal data: route patterns as
// registered (GET /{tenant}/privacy, never the path), status classes, job
// kinds, retention actions and tenant ids only for the audit verification
// result (SEC-3, AUD-2). No tenant names, slugs, paths, queries or
// addresses ever become a label.
//
// It imports the standard library, the Prometheus client and store (for
// the types of the counts it reads).
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kluis/kluis/internal/store"
)

// Source is what the metrics read at scrape time: the single writer's
// queue and the outboxes (a store.DB).
type Source interface {
	WriterQueueLength() int
	Outboxes(ctx context.Context) (store.OutboxCounts, error)
}

// Metrics holds the registry and the families Kluis updates.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	batch     prometheus.Histogram
	jobRuns   *prometheus.CounterVec
	jobFails  *prometheus.CounterVec
	jobLastOK *prometheus.GaugeVec
	retRuns   *prometheus.CounterVec
	retRows   *prometheus.CounterVec
	verifies  *prometheus.CounterVec
	chainOK   *prometheus.GaugeVec
}

// New registers every family, reading the writer queue and the outboxes
// from src when scraped. log hears a failed outbox count (the scrape then
// leaves the outbox families out).
func New(src Source, log *slog.Logger) *Metrics {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{reg: prometheus.NewRegistry(), log: log}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kluis_http_requests_total",
		Help: "HTTP requests on the public listener by route pattern (not path) and status class.",
	}, []string{"route", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "kluis_http_request_duration_seconds",
		Help:    "Time to answer HTTP requests on the public listener, by route pattern.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route"})
	m.batch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "kluis_writer_batch_size",
		Help:    "Writes committed together in one transaction by the single writer.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
	})
	m.jobRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kluis_job_runs_total", Help: "Background jobs run on this node, by job kind.",
	}, []string{"job"})
	m.jobFails = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kluis_job_failures_total", Help: "Background job runs that failed on this node, by job kind.",
	}, []string{"job"})
	m.jobLastOK = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kluis_job_last_success_timestamp_seconds", Help: "When a job of this kind last succeeded on this node (Unix time).",
	}, []string{"job"})
	m.retRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kluis_retention_runs_total", Help: "Tenant retention runs (SEC-1) by outcome (ok, failed).",
	}, []string{"outcome"})
	m.retRows = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kluis_retention_rows_total", Help: "Rows or values retention removed or anonymised (SEC-1), by action.",
	}, []string{"action"})
	m.verifies = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kluis_audit_verifications_total", Help: "Audit chain verifications (AUD-2) by result (ok, broken).",
	}, []string{"result"})
	m.chainOK = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kluis_audit_chain_ok", Help: "1 when the tenant's audit chain verified at the last check, 0 when it was broken.",
	}, []string{"tenant_id"})
	writerQueue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "kluis_writer_queue_length", Help: "Writes waiting for the single writer.",
	}, func() float64 { return float64(src.WriterQueueLength()) })
	// Every family shows from the first scrape, also before any request
	// or job: an alert on a missing series is then an alert on Kluis.
	for _, o := range []string{"ok", "failed"} {
		m.retRuns.WithLabelValues(o)
	}
	for _, r := range []string{"ok", "broken"} {
		m.verifies.WithLabelValues(r)
	}
	m.reg.MustRegister(m.requests, m.latency, m.batch, m.jobRuns, m.jobFails, m.jobLastOK, m.retRuns, m.retRows,
		m.verifies, m.chainOK, writerQueue, &outboxCollector{src: src, log: log},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(m.log.Handler(), slog.LevelWarn)})
}

// Request records one answered request. pattern is the matched route
// pattern ("-" or "" when none matched); the path is never passed in.
func (m *Metrics) Request(pattern string, status int, elapsed time.Duration) {
	if pattern == "" || pattern == "-" {
		pattern = "unmatched"
	}
	m.requests.WithLabelValues(pattern, statusClass(status)).Inc()
	m.latency.WithLabelValues(pattern).Observe(elapsed.Seconds())
}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// Batch records the size of one batch the single writer committed.
func (m *Metrics) Batch(size int) { m.batch.Observe(float64(size)) }

// JobFinished records one job run (jobs.Observer).
func (m *Metrics) JobFinished(kind string, err error, at time.Time) {
	m.jobRuns.WithLabelValues(kind).Inc()
	fails := m.jobFails.WithLabelValues(kind) // shown as 0 until the first failure
	if err != nil {
		fails.Inc()
		return
	}
	m.jobLastOK.WithLabelValues(kind).Set(float64(at.Unix()))
}

// AuditVerified records a tenant's audit chain check (jobs.Observer).
func (m *Metrics) AuditVerified(tenantID string, ok bool) {
	result, v := "ok", 1.0
	if !ok {
		result, v = "broken", 0
	}
	m.verifies.WithLabelValues(result).Inc()
	m.chainOK.WithLabelValues(tenantID).Set(v)
}

// RetentionRan records one tenant's retention run (jobs.Observer).
func (m *Metrics) RetentionRan(counts []store.RetentionCount, err error) {
	if err != nil {
		m.retRuns.WithLabelValues("failed").Inc()
	} else {
		m.retRuns.WithLabelValues("ok").Inc()
	}
	for _, c := range counts {
		m.retRows.WithLabelValues(c.Action).Add(float64(c.Count))
	}
}

// outboxCollector counts the outboxes at scrape time, so that every node
// shows the platform's queues whoever sends them.
type outboxCollector struct {
	src Source
	log *slog.Logger
}

var (
	mailOutboxDesc = prometheus.NewDesc("kluis_mail_outbox_messages",
		"Mails in the outbox by state: pending (waiting or being sent) or failed (given up).", []string{"state"}, nil)
	webhookOutboxDesc = prometheus.NewDesc("kluis_webhook_outbox_deliveries",
		"Webhook deliveries by state: pending (waiting or being sent) or failed (given up).", []string{"state"}, nil)
)

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- mailOutboxDesc
	ch <- webhookOutboxDesc
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := c.src.Outboxes(ctx)
	if err != nil {
		c.log.Warn("metrics: count outboxes", "error", err.Error())
		return
	}
	ch <- prometheus.MustNewConstMetric(mailOutboxDesc, prometheus.GaugeValue, float64(n.MailPending), "pending")
	ch <- prometheus.MustNewConstMetric(mailOutboxDesc, prometheus.GaugeValue, float64(n.MailFailed), "failed")
	ch <- prometheus.MustNewConstMetric(webhookOutboxDesc, prometheus.GaugeValue, float64(n.WebhookPending), "pending")
	ch <- prometheus.MustNewConstMetric(webhookOutboxDesc, prometheus.GaugeValue, float64(n.WebhookFailed), "failed")
}
