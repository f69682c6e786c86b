package redis_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"coopbot"
	"coopbot/redis"
)

// openRedis connects with a key prefix of the test's own and deletes its keys afterwards.
func openRedis(t *testing.T, prefix string) *redis.Client {
	t.Helper()
	url := os.Getenv("COOPBOT_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	c, err := redis.Open(url, redis.Options{Prefix: prefix, Key: []byte("coopbot-ratelimit-test-key-32by!")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("redis at %s: %v", url, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Redis().Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Redis().Del(ctx, iter.Val())
		}
		c.Close()
	})
	return c
}

func testPrefix(t *testing.T) string {
	return fmt.Sprintf("coopbot-test:%d:%s:", time.Now().UnixNano(), strings.ReplaceAll(t.Name(), "/", "-"))
}

const account = "telegram:0123456789ab"

// Three instances sending for one account share its budget: together they reach the
// configured rate and stay at or below it in every second.
func TestRateLimiterIsSharedByInstances(t *testing.T) {
	t.Parallel()
	prefix := testPrefix(t)
	const rate = 40.0
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	var (
		mu    sync.Mutex
		sends []time.Time
		wg    sync.WaitGroup
	)
	for range 3 {
		l := openRedis(t, prefix).RateLimiter(redis.RateOptions{Rates: map[coopbot.Platform]float64{coopbot.Telegram: rate}})
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for l.Wait(ctx, account) == nil {
					mu.Lock()
					sends = append(sends, time.Now())
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	sort.Slice(sends, func(i, j int) bool { return sends[i].Before(sends[j]) })
	// Steady state: from the first send, 2 s hold 80 sends.
	span := sends[len(sends)-1].Sub(sends[0]).Seconds()
	if got := float64(len(sends)-1) / span; got < rate*0.85 || got > rate*1.02 {
		t.Errorf("%d sends in %.2f s = %.1f/s, want %.0f/s", len(sends), span, got, rate)
	}
	// No second holds more than the rate: the slots are 1/rate apart and a send keeps
	// within an interval of its slot, which allows one more in a window; one more again
	// for this test's own goroutines, which note the time after Wait returns. Wake-ups
	// delayed by a busy machine (go test runs packages in parallel on two cores) can bunch
	// a few sends into the next window: a tenth more is tolerated.
	for i := range sends {
		n := sort.Search(len(sends), func(j int) bool { return !sends[j].Before(sends[i].Add(time.Second)) }) - i
		if n > int(rate*1.1)+2 {
			t.Fatalf("%d sends within one second from %v, want at most %.0f", n, sends[i].Sub(sends[0]), rate)
		}
	}
}

// A rate-limit answer stops every instance until retry_after has passed, and steps the
// rate down; it climbs back after quiet periods.
func TestRateLimiterPausesAfterRateLimitAnswer(t *testing.T) {
	t.Parallel()
	prefix := testPrefix(t)
	opts := redis.RateOptions{Rates: map[coopbot.Platform]float64{coopbot.Telegram: 20}, Recover: 300 * time.Millisecond}
	a := openRedis(t, prefix).RateLimiter(opts)
	b := openRedis(t, prefix).RateLimiter(opts)
	ctx := context.Background()

	if err := a.Wait(ctx, account); err != nil {
		t.Fatal(err)
	}
	pause, err := a.Limited(ctx, account, 700*time.Millisecond)
	if err != nil || pause != 700*time.Millisecond {
		t.Fatalf("Limited = %v, %v; want the 700ms asked for", pause, err)
	}
	// Other sends that were on the way get the same answer: no further step down.
	if _, err := a.Limited(ctx, account, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if r, err := b.Rate(ctx, account); err != nil || r != 15 {
		t.Fatalf("rate after one answer = %v, %v; want 20 stepped down to 15", r, err)
	}
	start := time.Now()
	if err := b.Wait(ctx, account); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 650*time.Millisecond {
		t.Fatalf("the other instance sent %v after the answer, want nothing before 700ms", waited)
	}
	// Quiet periods bring the rate back a tenth of the configured rate at a time.
	time.Sleep(2 * opts.Recover)
	if r, err := b.Rate(ctx, account); err != nil || r < 17 || r > 19.5 {
		t.Fatalf("rate after two quiet periods = %v, %v; want about 19", r, err)
	}
	time.Sleep(3 * opts.Recover)
	if r, _ := b.Rate(ctx, account); r != 20 {
		t.Fatalf("rate after five quiet periods = %v, want back at 20", r)
	}
}

// Rate-limit answers without retry_after (Bale's "bot limit exceed") that keep coming make
// the pause grow.
func TestRateLimiterBacksOffOnRepeatedAnswers(t *testing.T) {
	t.Parallel()
	l := openRedis(t, testPrefix(t)).RateLimiter(redis.RateOptions{Rates: map[coopbot.Platform]float64{coopbot.Bale: 20}})
	ctx := context.Background()
	const bale = "bale:0123456789ab"
	var pauses []time.Duration
	for range 3 {
		p, err := l.Limited(ctx, bale, 0)
		if err != nil {
			t.Fatal(err)
		}
		pauses = append(pauses, p)
		time.Sleep(p + 20*time.Millisecond)
	}
	want := []time.Duration{0, time.Second, 3 * time.Second}
	for i := range want {
		if pauses[i] != want[i] {
			t.Fatalf("pauses = %v, want %v", pauses, want)
		}
	}
	if r, _ := l.Rate(ctx, bale); r < 8.4 || r > 8.5 {
		t.Fatalf("rate after three answers = %v, want 20×0.75³ ≈ 8.44", r)
	}
}

// Replies never wait but take their share: a broadcast waits behind them.
func TestRateLimiterCountsReplies(t *testing.T) {
	t.Parallel()
	l := openRedis(t, testPrefix(t)).RateLimiter(redis.RateOptions{Rates: map[coopbot.Platform]float64{coopbot.Telegram: 20}})
	ctx := context.Background()
	m := l.Meter()
	start := time.Now()
	for range 10 {
		m.Spent(account) // returns at once
	}
	if d := time.Since(start); d > 20*time.Millisecond {
		t.Fatalf("Spent took %v, want no waiting", d)
	}
	time.Sleep(250 * time.Millisecond) // the counts reach Redis in the background
	start = time.Now()
	if err := l.Wait(ctx, account); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("a bulk send after 10 replies at 20/s waited %v, want the rest of their 500ms", d)
	}
	// A reply's rate-limit answer pauses bulk sends too.
	m.Limited(account, 500*time.Millisecond)
	start = time.Now()
	if err := l.Wait(ctx, account); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Fatalf("a bulk send after a reply's 429 waited %v, want 500ms", d)
	}
}

func TestRateLimiterUnknownPlatform(t *testing.T) {
	t.Parallel()
	l := openRedis(t, testPrefix(t)).RateLimiter(redis.RateOptions{Rates: map[coopbot.Platform]float64{coopbot.Telegram: 20}})
	if err := l.Wait(context.Background(), "bale:0123"); err == nil {
		t.Fatal("Wait on an account of a platform with no rate succeeded")
	}
}
