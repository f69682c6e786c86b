package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"coopbot"
	"coopbot/bot"
	"coopbot/internal/chattest"
	"coopbot/redis"
)

// runBot starts b until the test ends (or stop is called) and returns stop.
func runBot(t *testing.T, b *bot.Bot) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := b.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("bot: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// Two instances polling one token: one polls, the other stands by (no 409 loop) and takes
// over within seconds when the first stops.
func TestOnePollerPerTokenAndStandbyTakesOver(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	h.Stop() // the harness's own bot polls without a lease; use two leased instances instead
	stopA := runBot(t, h.NewBot(bot.Config{Leases: h.Redis, Holder: "instance-a"}))
	time.Sleep(200 * time.Millisecond)
	runBot(t, h.NewBot(bot.Config{Leases: h.Redis, Holder: "instance-b"}))

	u := h.User(3001)
	u.Onboard("سرخاب")
	before := h.API.Calls("getUpdates")
	time.Sleep(time.Second)
	if polls := h.API.Calls("getUpdates") - before; polls > 3 {
		t.Errorf("%d getUpdates calls in a second of quiet: two pollers are fighting", polls)
	}

	// The polling instance stops (its lease is released): the standby continues the
	// conversation at the same step.
	stopA()
	u.Press("menu.language")
	u.Sees("language.prompt")
}

// A resident sending 50 messages a second is slowed; another resident is not.
func TestFloodedResidentIsThrottledOthersAreNot(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Redis: redis.Options{FloodWindow: 10 * time.Second}})
	flooder, other := h.User(3101), h.User(3102)
	flooder.Onboard("نوبر")
	h.Idle()
	for i := range 50 {
		flooder.Send(fmt.Sprintf("پیام %d", i))
	}
	other.Onboard("نوبر")
	flooder.Sees("error.flood")
	h.Idle()
	// Far fewer than 50 answers, and exactly one note.
	ms := flooder.E.Messages()
	notes := 0
	for _, m := range ms {
		if strings.Contains(m.Text, flooder.Text("error.flood")) {
			notes++
		}
	}
	if notes != 1 || len(ms) > 40 {
		t.Fatalf("flooder got %d messages, %d flood notes; want fewer than 40 and one note", len(ms), notes)
	}
}

// The metrics count updates by outcome.
func TestMetricsCountUpdates(t *testing.T) {
	t.Parallel()
	m := &countingMetrics{updates: map[string]int{}}
	h := chattest.New(t)
	h.Stop()
	stop := runBot(t, h.NewBot(bot.Config{Metrics: m}))
	u := h.User(3201)
	u.Send("/start")
	u.Sees("onboarding.welcome")
	h.Idle()
	// The platform delivers it again to the next process (a poller skips what it took
	// itself; the session store knows what any instance handled).
	stop()
	runBot(t, h.NewBot(bot.Config{Metrics: m}))
	u.E.Redeliver()
	h.Idle()
	if m.get("handled") != 1 || m.get("duplicate") != 1 {
		t.Fatalf("outcomes = %v, want one handled and one duplicate", m.updates)
	}
}

type countingMetrics struct {
	mu      sync.Mutex
	updates map[string]int
}

func (m *countingMetrics) Update(p coopbot.Platform, outcome string, took time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.updates[outcome]++
}

func (m *countingMetrics) Send(coopbot.Platform, string) {}

func (m *countingMetrics) get(k string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.updates[k]
}
