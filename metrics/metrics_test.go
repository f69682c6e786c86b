package metrics_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/metrics"
)

func TestMetricsPage(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Gauges{
		QueueDepth:      func(context.Context) (float64, error) { return 7, nil },
		Conversations:   func(context.Context) (float64, error) { return 3, nil },
		RedisRoundTrips: func() float64 { return 42 },
	})
	m.Update(coopbot.Bale, "handled", 3*time.Millisecond)
	m.Update(coopbot.Bale, "duplicate", 0)
	m.Send(coopbot.Telegram, "unreachable")
	m.RateLimitWait("telegram:abc", 2*time.Second)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`coopbot_updates_total{outcome="handled",platform="bale"} 1`,
		`coopbot_updates_total{outcome="duplicate",platform="bale"} 1`,
		`coopbot_update_handling_seconds_count{platform="bale"} 1`,
		`coopbot_sends_total{platform="telegram",result="unreachable"} 1`,
		`coopbot_rate_limit_waits_total{account="telegram:abc"} 1`,
		`coopbot_rate_limit_wait_seconds_total{account="telegram:abc"} 2`,
		`coopbot_job_queue_depth 7`,
		`coopbot_active_conversations 3`,
		`coopbot_redis_roundtrips_total 42`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics page lacks %s", want)
		}
	}
}
