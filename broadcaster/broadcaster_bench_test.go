package broadcaster_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/bot"
	"coopbot/broadcaster"
	"coopbot/emulator"
	"coopbot/flows"
	"coopbot/internal/chattest"
	"coopbot/locales"
	"coopbot/postgres/postgrestest"
	"coopbot/redis"
)

// BenchmarkBroadcastSustainedRate (run on demand, it takes minutes):
//
//	go test -run '^$' -bench 'Broadcast' -benchtime 1x ./broadcaster/
//
// the runner delivering a broadcast to 300,000 residents to the fake Bot API limited to 30
// messages a second (TELEGRAM_RATE 30): the rate over a steady window
// (BROADCAST_BENCH_SECONDS, 60 by default, after 5 s of warm-up), the 429 answers, and the
// live heap and RSS sampled over the run. A whole 300,000 at 30/s takes almost three hours,
// so the rate is measured over the window (the queue time in package postgres).

const benchResidents = 300_000

func BenchmarkBroadcastSustainedRate(b *testing.B) {
	window := 60 * time.Second
	if s := os.Getenv("BROADCAST_BENCH_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		window = time.Duration(n) * time.Second
	}
	const limit, warmup = 30.0, 5 * time.Second
	db, staff := postgrestest.NewAudience(b, benchResidents)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	api := emulator.New(emulator.Options{Token: bcToken})
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	defer api.Close()
	// Everyone the window can reach has started the bot.
	reach := int(limit*(window+warmup+10*time.Second).Seconds()) + 500
	api.User(1).Send("/start")
	for id := int64(100001); id <= int64(100000+reach); id++ {
		api.User(id).Send("/start")
	}
	cat, err := locales.Load()
	if err != nil {
		b.Fatal(err)
	}
	rdb := chattest.NewRedis(b, redis.Options{})
	limiter := rdb.RateLimiter(redis.RateOptions{Rates: map[coopbot.Platform]float64{coopbot.Telegram: limit}})
	tg := bot.New(bot.Config{
		Platforms: []bot.PlatformConfig{{Platform: coopbot.Telegram, Token: bcToken, APIURL: srv.URL}},
		Log:       slog.New(slog.DiscardHandler), Meter: limiter.Meter(),
	}, nil, nil, cat)
	if err := tg.Connect(ctx); err != nil {
		b.Fatal(err)
	}
	_, queued := postgrestest.QueueBroadcast(b, db, staff, textFa, textAz, benchResidents)
	b.Logf("queued 300,000 recipients in %v", queued.Round(time.Millisecond))

	// The fake Bot API runs in this process and keeps every message it delivered: its
	// share of the heap per message is measured first (messages to chats outside the
	// audience) and later taken off the growth, which leaves the runner's own.
	heapNow := func() int64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	const calibrate = 1500
	for i := range calibrate {
		api.User(int64(9_000_001 + i)).Send("/start")
	}
	h0 := heapNow()
	for i := range calibrate {
		if err := tg.SendText(ctx, coopbot.Telegram, int64(9_000_001+i), textFa); err != nil {
			b.Fatal(err)
		}
	}
	perMessage := float64(heapNow()-h0) / calibrate
	api.SetSendRate(limit)
	calibrated := api.Sent()

	sent := func() int { return api.Sent() - api.SentTo(1) - calibrated }
	runner := broadcaster.New(broadcaster.Config{Store: db, Sender: tg, Limiter: limiter, Messages: flows.BroadcastMessages{}, Log: slog.New(slog.DiscardHandler)})
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- runner.Run(ctx) }()

	b.ResetTimer()
	type sample struct {
		at        time.Duration
		sent      int
		heap, rss uint64
	}
	var samples []sample
	take := func() sample {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return sample{at: time.Since(start), sent: sent(), heap: m.HeapAlloc, rss: rss()}
	}
	time.Sleep(warmup)
	first := take()
	samples = append(samples, first)
	for time.Since(start) < warmup+window {
		time.Sleep(5 * time.Second)
		samples = append(samples, take())
	}
	last := samples[len(samples)-1]
	b.StopTimer()
	cancel()
	<-done

	rate := float64(last.sent-first.sent) / (last.at - first.at).Seconds()
	rejected := api.Calls("sendMessage") - api.Sent() // all recipients started the bot: the rest are 429s
	runnerGrowth := float64(int64(last.heap)-int64(first.heap)) - perMessage*float64(last.sent-first.sent)
	b.Logf("fake Bot API: %.0f B of heap per message kept; heap growth over the window %.0f KB, of which the runner's %.0f KB",
		perMessage, float64(int64(last.heap)-int64(first.heap))/1024, runnerGrowth/1024)
	var maxHeap uint64
	for _, s := range samples {
		maxHeap = max(maxHeap, s.heap)
		b.Logf("t=%5.1fs sent=%5d heap=%5.1f MB rss=%5.1f MB", s.at.Seconds(), s.sent, mb(s.heap), mb(s.rss))
	}
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(100*rate/limit, "%-of-limit")
	b.ReportMetric(float64(rejected), "429s")
	b.ReportMetric(queued.Seconds(), "queue-300k-s")
	b.ReportMetric(mb(first.heap), "heap-start-MB")
	b.ReportMetric(mb(last.heap), "heap-end-MB")
	b.ReportMetric(mb(maxHeap), "heap-max-MB")
	b.ReportMetric(runnerGrowth/1024, "runner-heap-growth-KB")
	if rate < 0.97*limit || rejected != 0 {
		b.Errorf("sustained %.2f msgs/s (%.1f %% of %v) with %d rejected sends; want ≥ 97 %% and none", rate, 100*rate/limit, limit, rejected)
	}
}

func mb(n uint64) float64 { return float64(n) / (1 << 20) }

// rss is the process's resident set size (Linux), 0 elsewhere.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(f), " kB"), 10, 64)
			return n << 10
		}
	}
	return 0
}
