// Package metrics exposes coopbot's Prometheus metrics at /metrics. It is the only package
// that imports the Prometheus client. What each metric means is in the README.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"coopbot"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the bot's counters, histograms and gauges.
type Metrics struct {
	reg      *prometheus.Registry
	updates  *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	sends    *prometheus.CounterVec
	waits    *prometheus.CounterVec
	waitSecs *prometheus.CounterVec
}

// Gauges are read when /metrics is scraped.
type Gauges struct {
	// QueueDepth counts jobs waiting to run (notifications, reminders, broadcast deliveries).
	QueueDepth func(ctx context.Context) (float64, error)
	// Conversations counts the conversations in progress. It is read at every scrape, so
	// it must be cheap (the redis package counts a sorted set, never scans keys).
	Conversations func(ctx context.Context) (float64, error)
	// RedisRoundTrips counts requests sent to Redis since start.
	RedisRoundTrips func() float64
	Log             *slog.Logger
}

// New registers the metrics.
func New(g Gauges) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coopbot_updates_total",
			Help: "Attempts at updates, by platform and outcome (handled, duplicate, flooded, ignored, malformed, unavailable, failed).",
		}, []string{"platform", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "coopbot_update_handling_seconds",
			Help:    "Time from taking an update to having sent its replies and saved the conversation.",
			Buckets: []float64{.001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5, 10},
		}, []string{"platform"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coopbot_sends_total",
			Help: "Messages sent to the platforms, by platform and result (sent, unreachable, rate_limited, uncertain, unavailable, internal).",
		}, []string{"platform", "result"}),
		waits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coopbot_rate_limit_waits_total",
			Help: "Times a bulk send waited for the shared per-token rate limiter.",
		}, []string{"account"}),
		waitSecs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coopbot_rate_limit_wait_seconds_total",
			Help: "Seconds bulk sends spent waiting for the shared per-token rate limiter.",
		}, []string{"account"}),
	}
	m.reg.MustRegister(m.updates, m.latency, m.sends, m.waits, m.waitSecs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gauge := func(name, help string, f func(ctx context.Context) (float64, error)) {
		if f == nil {
			return
		}
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			v, err := f(ctx)
			if err != nil && g.Log != nil {
				g.Log.Warn("metric unavailable", "metric", name, "err", err)
			}
			return v
		}))
	}
	gauge("coopbot_job_queue_depth", "Durable jobs waiting to run (notifications, reminders, broadcast work).", g.QueueDepth)
	gauge("coopbot_active_conversations", "Conversations in progress (state kept in Redis).", g.Conversations)
	if g.RedisRoundTrips != nil {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "coopbot_redis_roundtrips_total",
			Help: "Requests sent to Redis (a script call or a pipeline is one).",
		}, g.RedisRoundTrips))
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Update counts one update and how long it took.
func (m *Metrics) Update(p coopbot.Platform, outcome string, took time.Duration) {
	m.updates.WithLabelValues(string(p), outcome).Inc()
	if outcome == "handled" {
		m.latency.WithLabelValues(string(p)).Observe(took.Seconds())
	}
}

// Send counts one message sent (or not) to a platform.
func (m *Metrics) Send(p coopbot.Platform, result string) {
	m.sends.WithLabelValues(string(p), result).Inc()
}

// RateLimitWait counts a wait for the shared rate limiter.
func (m *Metrics) RateLimitWait(account string, d time.Duration) {
	m.waits.WithLabelValues(account).Inc()
	m.waitSecs.WithLabelValues(account).Add(d.Seconds())
}
