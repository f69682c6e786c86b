package broadcaster_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"coopbot"
	"coopbot/bot"
	"coopbot/broadcaster"
	"coopbot/emulator"
	"coopbot/flows"
	"coopbot/internal/chattest"
	"coopbot/locales"
	"coopbot/postgres"
	"coopbot/postgres/postgrestest"
	"coopbot/redis"
)

const bcToken = "4242:broadcast-test-token"

// staffChat is the staff member who confirms the broadcasts and watches their progress.
const staffChat = 1

// bcBundle is one test's world: a fresh database, Redis keys of its own, the fake Bot API
// and a bot client connected to it (not polling: nobody talks to it), the shared limiter,
// and the job workers that send the final reports.
type bcBundle struct {
	t       *testing.T
	db      *postgres.DB
	api     *emulator.Server
	bot     *bot.Bot
	limiter *redis.RateLimiter
	staff   int64
	nbh     int64 // where the recipients live
	ctx     context.Context
}

func newBundle(t *testing.T, rate float64) *bcBundle {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b := &bcBundle{t: t, db: postgrestest.New(t), ctx: ctx}
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("BROADCAST_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	rdb := chattest.NewRedis(t, redis.Options{})
	b.limiter = rdb.RateLimiter(redis.RateOptions{Rates: map[coopbot.Platform]float64{coopbot.Telegram: rate}, Recover: time.Hour})
	b.api = emulator.New(emulator.Options{Token: bcToken})
	srv := httptest.NewServer(b.api.Handler())
	t.Cleanup(func() { b.api.Close(); srv.Close() })
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	b.bot = bot.New(bot.Config{
		Platforms: []bot.PlatformConfig{{Platform: coopbot.Telegram, Token: bcToken, APIURL: srv.URL}},
		Log:       log, Meter: b.limiter.Meter(),
	}, nil, nil, cat)
	if err := b.bot.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	// The staff member watches the progress and gets the report; they live in no
	// neighborhood, so they are not among the recipients.
	if err := b.db.Pool.QueryRow(ctx, `INSERT INTO residents (platform, user_id, chat_id, lang, name)
		VALUES ('telegram', $1, $1, 'fa', 'staff') RETURNING id`, staffChat).Scan(&b.staff); err != nil {
		t.Fatal(err)
	}
	b.api.User(staffChat).Send("/start")
	if err := b.db.Pool.QueryRow(ctx, `INSERT INTO neighborhoods (city, name_fa, name_az) VALUES ('تبریز', 'سرخاب', 'سورخاب') RETURNING id`).Scan(&b.nbh); err != nil {
		t.Fatal(err)
	}
	if err := b.db.StartJobs(ctx, b.bot, flows.NewNotices(b.db)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		b.db.StopJobs(sctx)
	})
	return b
}

// everyone is the audience of all the residents added with residents.
func (b *bcBundle) everyone() coopbot.Audience {
	return coopbot.Audience{Kind: coopbot.AudienceNeighborhoods, IDs: []int64{b.nbh}}
}

// residents adds residents of the bundle's neighborhood with user (and chat) ids from..to
// on Telegram, every third one Azeri, and has each start the bot in the fake messenger (so that it may write to them).
// It returns the id of the first.
func (b *bcBundle) residents(from, to int64) int64 {
	b.t.Helper()
	var first int64
	err := b.db.Pool.QueryRow(b.ctx, `
		WITH r AS (
			INSERT INTO residents (platform, user_id, chat_id, lang, name, neighborhood_id)
			SELECT 'telegram', g, g, CASE WHEN g % 3 = 0 THEN 'az' ELSE 'fa' END, 'resident ' || g, $3
			FROM generate_series($1::bigint, $2::bigint) g RETURNING id)
		SELECT min(id) FROM r`, from, to, b.nbh).Scan(&first)
	if err != nil {
		b.t.Fatal(err)
	}
	for id := from; id <= to; id++ {
		b.api.User(id).Send("/start")
	}
	return first
}

// run starts a broadcast runner until the test ends (or stop is called).
func (b *bcBundle) run(cfg broadcaster.Config) (stop func()) {
	cfg.Store, cfg.Sender, cfg.Limiter, cfg.Messages = b.db, b.bot, b.limiter, flows.BroadcastMessages{}
	if cfg.Poll == 0 {
		cfg.Poll = 50 * time.Millisecond
	}
	if cfg.ProgressEvery == 0 {
		cfg.ProgressEvery = 200 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan error, 1)
	go func() { done <- broadcaster.New(cfg).Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				b.t.Errorf("runner: %v", err)
			}
		})
	}
	b.t.Cleanup(stop)
	return stop
}

const (
	textFa = "کارگاه آموزشی قالی‌بافی از شنبه در سرای محله برگزار می‌شود. <b>ثبت‌نام</b> رایگان است."
	textAz = "خالچا توخوما کارگاهی شنبه گونوندن محله ائوینده کئچیریلیر. <b>یازیلماق</b> پولسوزدور."
)

func (b *bcBundle) broadcast(a coopbot.Audience, start time.Time) (int64, int) {
	b.t.Helper()
	id, total, err := b.db.CreateBroadcast(b.ctx, coopbot.NewBroadcast{
		CreatedBy: b.staff, Audience: a, TextFa: textFa, TextAz: textAz, StartAt: start,
		Progress: coopbot.ProgressMessage{Platform: coopbot.Telegram, ChatID: staffChat, Lang: coopbot.Persian},
	})
	if err != nil {
		b.t.Fatal(err)
	}
	return id, total
}

// wait waits until the broadcast ended and its final report was queued.
func (b *bcBundle) wait(id int64, within time.Duration) *coopbot.BroadcastStatus {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		st, err := b.db.BroadcastStatus(b.ctx, id)
		if err != nil {
			b.t.Fatal(err)
		}
		var reported bool
		if err := b.db.Pool.QueryRow(b.ctx, `SELECT reported_at IS NOT NULL FROM broadcasts WHERE id = $1`, id).Scan(&reported); err != nil {
			b.t.Fatal(err)
		}
		if st.Finished && reported {
			return st
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("broadcast %d not finished after %v: %+v", id, within, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *bcBundle) sentTo(from, to int64) (total int, dup []int64) {
	for id := from; id <= to; id++ {
		n := b.api.SentTo(id)
		total += n
		if n > 1 {
			dup = append(dup, id)
		}
	}
	return total, dup
}

// 5,000 recipients, 1 % of them blocked the bot: every other one gets the text of their
// language exactly once, the blocked ones are recorded unreachable (and left out of the
// next broadcast), and the counts add up.
func TestBroadcastReachesEveryoneOnce(t *testing.T) {
	t.Parallel()
	b := newBundle(t, 5000)
	const from, to = 10_000, 14_999
	b.residents(from, to)
	blocked := map[int64]bool{}
	for id := int64(from); id <= to; id += 100 {
		b.api.Block(id)
		blocked[id] = true
	}
	b.run(broadcaster.Config{})
	start := time.Now()
	id, total := b.broadcast(b.everyone(), time.Time{})
	if total != 5000 {
		t.Fatalf("queued %d recipients, want 5000", total)
	}
	st := b.wait(id, 2*time.Minute)
	t.Logf("5,000 deliveries in %v", time.Since(start).Round(time.Millisecond))

	if st.Status != coopbot.BroadcastDone || st.Sent != 4950 || st.Unreachable != 50 || st.Failed != 0 || st.Unknown != 0 || st.Pending != 0 {
		t.Fatalf("status = %+v, want done with 4950 sent and 50 unreachable", st)
	}
	if st.Sent+st.Unreachable+st.Failed+st.Unknown != st.Total {
		t.Fatalf("counts do not add up: %+v", st)
	}
	for id := int64(from); id <= to; id++ {
		msgs := b.api.User(id).Messages()
		switch {
		case blocked[id]:
			if len(msgs) != 0 {
				t.Fatalf("blocked user %d got %d messages", id, len(msgs))
			}
		case len(msgs) != 1:
			t.Fatalf("user %d got %d messages, want exactly 1", id, len(msgs))
		case id%3 == 0 && msgs[0].Text != textAz, id%3 != 0 && msgs[0].Text != textFa:
			t.Fatalf("user %d got %q, not the text of their language", id, msgs[0].Text)
		case msgs[0].ParseMode != "":
			t.Fatalf("sent with parse_mode %q, want plain text", msgs[0].ParseMode)
		}
	}
	var unreachable int
	if err := b.db.Pool.QueryRow(b.ctx, `SELECT count(*) FROM residents WHERE unreachable_at IS NOT NULL AND id <> $1`, b.staff).Scan(&unreachable); err != nil || unreachable != 50 {
		t.Fatalf("%d residents marked unreachable (%v), want the 50 who blocked the bot", unreachable, err)
	}
	// The staff member sees the final counts and gets the report.
	staff := b.api.User(staffChat)
	want := fmt.Sprintf("گزارش نهایی پیام همگانی شمارهٔ %s", faNumber(id))
	if err := staff.Wait(b.ctx, func(ms []emulator.Message) bool {
		return len(ms) > 0 && strings.Contains(ms[len(ms)-1].Text, want) && strings.Contains(ms[len(ms)-1].Text, "رسید: ۴٬۹۵۰")
	}); err != nil {
		t.Fatalf("no final report: %v\n%s", err, staff.Dump())
	}

	// The next broadcast leaves out those who blocked the bot.
	if _, total := b.broadcast(b.everyone(), time.Time{}); total != 4950 {
		t.Fatalf("next broadcast queued %d, want 4950 (the unreachable skipped)", total)
	}
}

func faNumber(n int64) string {
	return strings.NewReplacer("0", "۰", "1", "۱", "2", "۲", "3", "۳", "4", "۴", "5", "۵", "6", "۶", "7", "۷", "8", "۸", "9", "۹").Replace(fmt.Sprint(n))
}

// sendLog records when each sendMessage to a recipient reached the fake Bot API.
type sendLog struct {
	mu    sync.Mutex
	times []time.Time
}

func (l *sendLog) add() { l.mu.Lock(); l.times = append(l.times, time.Now()); l.mu.Unlock() }

func (l *sendLog) between(a, b time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, t := range l.times {
		if t.After(a) && t.Before(b) {
			n++
		}
	}
	return n
}

// The platform answers 429 with retry_after: nothing more goes out on the token before it
// has passed, the rate steps down, nothing is lost. Bale's "bot limit exceed" (no
// retry_after) pauses too.
func TestBroadcastHonorsRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault emulator.APIError
		pause time.Duration
	}{
		{"telegram 429", emulator.APIError{Code: 429, Description: "Too Many Requests: retry after 2", RetryAfter: 2}, 2 * time.Second},
		{"bale bot limit exceed", emulator.APIError{Code: 400, Description: "Bad Request: bot limit exceed"}, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBundle(t, 40)
			const from, to = 20_000, 20_079
			b.residents(from, to)
			var (
				log     sendLog
				mu      sync.Mutex
				calls   int
				limited time.Time
			)
			b.api.SetHook(func(method string, chat int64) *emulator.APIError {
				if method != "sendMessage" || chat == staffChat {
					return nil
				}
				log.add()
				mu.Lock()
				defer mu.Unlock()
				calls++
				if calls == 20 {
					limited = time.Now()
					f := tc.fault
					return &f
				}
				return nil
			})
			b.run(broadcaster.Config{})
			id, _ := b.broadcast(b.everyone(), time.Time{})
			st := b.wait(id, time.Minute)
			if st.Sent != 80 || st.Failed+st.Unknown+st.Unreachable != 0 {
				t.Fatalf("status = %+v, want all 80 sent", st)
			}
			if total, dup := b.sentTo(from, to); total != 80 || len(dup) > 0 {
				t.Fatalf("%d messages delivered (duplicates to %v), want 80 once each", total, dup)
			}
			// Sends already on their way when the answer came may land within its round trip.
			if n := log.between(limited.Add(150*time.Millisecond), limited.Add(tc.pause-50*time.Millisecond)); n > 0 {
				t.Fatalf("%d requests within the %v pause after the rate-limit answer", n, tc.pause)
			}
			if r, err := b.limiter.Rate(b.ctx, b.bot.Account(coopbot.Telegram)); err != nil || r >= 40 {
				t.Fatalf("rate after the answer = %v, %v; want stepped down from 40", r, err)
			}
		})
	}
}

// Two instances' runners work one broadcast together: each recipient is claimed, and
// messaged, once.
func TestBroadcastTwoRunnersClaimEachOnce(t *testing.T) {
	t.Parallel()
	b := newBundle(t, 5000)
	const from, to = 30_000, 31_199
	b.residents(from, to)
	b.run(broadcaster.Config{Instance: "one", Batch: 8, Concurrency: 4})
	b.run(broadcaster.Config{Instance: "two", Batch: 8, Concurrency: 4})
	id, _ := b.broadcast(b.everyone(), time.Time{})
	st := b.wait(id, 2*time.Minute)
	if st.Sent != 1200 {
		t.Fatalf("status = %+v, want 1200 sent", st)
	}
	if total, dup := b.sentTo(from, to); total != 1200 || len(dup) > 0 {
		t.Fatalf("%d messages, duplicates to %v; want 1200 once each", total, dup)
	}
	rows, err := b.db.Pool.Query(b.ctx, `SELECT claimed_by, count(*) FROM deliveries WHERE broadcast_id = $1 GROUP BY 1`, id)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]int{}
	for rows.Next() {
		var who string
		var n int
		rows.Scan(&who, &n)
		by[who] = n
	}
	if by["one"] == 0 || by["two"] == 0 || by["one"]+by["two"] != 1200 {
		t.Fatalf("deliveries per instance = %v, want both working, 1200 in all", by)
	}
}

// Cancel mid-way: nothing not already on its way is sent afterwards, and the report says
// how many were not sent.
func TestBroadcastCancelStopsSending(t *testing.T) {
	t.Parallel()
	b := newBundle(t, 40)
	const from, to = 50_000, 50_299
	b.residents(from, to)
	b.run(broadcaster.Config{Concurrency: 4})
	id, _ := b.broadcast(b.everyone(), time.Time{})
	for {
		if n, _ := b.sentTo(from, to); n >= 30 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	st, err := b.db.CancelBroadcast(b.ctx, id, b.staff)
	if err != nil {
		t.Fatal(err)
	}
	atCancel, _ := b.sentTo(from, to)
	if st.Status != coopbot.BroadcastCancelled || st.Cancelled < 200 {
		t.Fatalf("after cancel: %+v", st)
	}
	time.Sleep(700 * time.Millisecond) // 28 more sends at 40/s, had it gone on
	after, _ := b.sentTo(from, to)
	if after-atCancel > 4 {
		t.Fatalf("%d sent after the cancel, want at most the 4 on their way", after-atCancel)
	}
	final := b.wait(id, 30*time.Second)
	if final.Sent != after || final.Sent+final.Cancelled+final.Unknown+final.Failed+final.Unreachable != 300 {
		t.Fatalf("final = %+v with %d delivered; want the counts to add up to 300", final, after)
	}
	if _, err := b.db.CancelBroadcast(b.ctx, id, b.staff); coopbot.ErrorCode(err) != coopbot.EConflict {
		t.Fatalf("cancelling an ended broadcast: %v, want conflict", err)
	}
	staff := b.api.User(staffChat)
	if err := staff.Wait(b.ctx, func(ms []emulator.Message) bool {
		return len(ms) > 0 && strings.Contains(ms[len(ms)-1].Text, "به‌خاطر توقف فرستاده نشد: "+faNumber(int64(final.Cancelled)))
	}); err != nil {
		t.Fatalf("no report of the cancelled broadcast: %v\n%s", err, staff.Dump())
	}
}

// A send whose answer never came (connection dropped after the request, a 5xx) is
// recorded unknown and not resent; one the platform refused is failed; a platform that
// cannot be reached is retried and then failed, never counted as sent.
func TestBroadcastOutcomes(t *testing.T) {
	t.Parallel()
	b := newBundle(t, 5000)
	const from, to = 60_000, 60_019
	b.residents(from, to)
	var mu sync.Mutex
	calls := map[int64]int{}
	b.api.SetHook(func(method string, chat int64) *emulator.APIError {
		if method != "sendMessage" {
			return nil
		}
		mu.Lock()
		calls[chat]++
		mu.Unlock()
		switch chat {
		case from:
			return &emulator.APIError{Code: -1} // connection dropped after the request
		case from + 1:
			return &emulator.APIError{Code: 502, Description: "Bad Gateway"}
		case from + 2:
			return &emulator.APIError{Code: 400, Description: "Bad Request: message is too long"}
		case from + 3:
			return &emulator.APIError{Code: 400, Description: "Bad Request: chat not found"}
		}
		return nil
	})
	b.run(broadcaster.Config{})
	id, _ := b.broadcast(b.everyone(), time.Time{})
	st := b.wait(id, 30*time.Second)
	if st.Sent != 16 || st.Unknown != 2 || st.Failed != 1 || st.Unreachable != 1 {
		t.Fatalf("status = %+v, want 16 sent, 2 unknown, 1 failed, 1 unreachable", st)
	}
	mu.Lock()
	defer mu.Unlock()
	for chat := int64(from); chat < from+4; chat++ {
		if calls[chat] != 1 {
			t.Fatalf("chat %d was tried %d times, want once (never resent)", chat, calls[chat])
		}
	}
}

// A platform that refuses connections: nothing is recorded as sent; each row is tried
// MaxAttempts times, with a back-off, and then failed.
func TestBroadcastPlatformDown(t *testing.T) {
	t.Parallel()
	b := newBundle(t, 5000)
	b.residents(70_000, 70_002)
	// Another bot client, connected, whose Bot API then goes away.
	api := emulator.New(emulator.Options{Token: bcToken})
	srv := httptest.NewServer(api.Handler())
	cat, _ := locales.Load()
	down := bot.New(bot.Config{Platforms: []bot.PlatformConfig{{Platform: coopbot.Telegram, Token: bcToken, APIURL: srv.URL}}, Log: slog.New(slog.DiscardHandler)}, nil, nil, cat)
	if err := down.Connect(b.ctx); err != nil {
		t.Fatal(err)
	}
	api.Close()
	srv.Close()
	b.bot = down
	b.run(broadcaster.Config{MaxAttempts: 2})
	id, _ := b.broadcast(b.everyone(), time.Time{})
	st := b.wait(id, 30*time.Second)
	if st.Failed != 3 || st.Sent+st.Unknown != 0 {
		t.Fatalf("status = %+v, want the 3 failed after their attempts", st)
	}
	var attempts int
	b.db.Pool.QueryRow(b.ctx, `SELECT min(attempts) FROM deliveries WHERE broadcast_id = $1`, id).Scan(&attempts)
	if attempts != 2 {
		t.Fatalf("attempts = %d, want 2", attempts)
	}
}

// A scheduled broadcast waits for its time; its progress message is posted at once.
func TestBroadcastScheduled(t *testing.T) {
	t.Parallel()
	b := newBundle(t, 5000)
	b.residents(80_000, 80_009)
	b.run(broadcaster.Config{})
	start := time.Now().Add(1500 * time.Millisecond)
	id, _ := b.broadcast(b.everyone(), start)
	staff := b.api.User(staffChat)
	if err := staff.Wait(b.ctx, func(ms []emulator.Message) bool {
		return len(ms) > 0 && strings.Contains(ms[len(ms)-1].Text, "زمان‌بندی شد")
	}); err != nil {
		t.Fatalf("no progress message for the scheduled broadcast: %v", err)
	}
	if n, _ := b.sentTo(80_000, 80_009); n != 0 {
		t.Fatalf("%d sent before the scheduled time", n)
	}
	st := b.wait(id, 30*time.Second)
	if st.Sent != 10 {
		t.Fatalf("status = %+v", st)
	}
	var started time.Time
	b.db.Pool.QueryRow(b.ctx, `SELECT started_at FROM broadcasts WHERE id = $1`, id).Scan(&started)
	if started.Before(start) {
		t.Fatalf("started at %v, before its time %v", started, start)
	}
}

// The bot never puts the token in what the limiter keys on.
func TestBroadcastAccountHidesToken(t *testing.T) {
	t.Parallel()
	b := newBundle(t, 10)
	a := b.bot.Account(coopbot.Telegram)
	if !strings.HasPrefix(a, "telegram:") || strings.Contains(a, "broadcast-test-token") || strings.Contains(a, "4242") {
		t.Fatalf("account %q", a)
	}
	if b.bot.Account(coopbot.Bale) != "" {
		t.Fatal("an account for a platform that is not configured")
	}
}

// The final report to the staff member is a job queued with the mark that the broadcast
// was reported: a send of it that fails is tried again, and the staff member gets it
// exactly once, however many instances run.
func TestBroadcastReportSurvivesAFailedSend(t *testing.T) {
	t.Parallel()
	b := newBundle(t, 5000)
	const from, to = 85_000, 85_019
	b.residents(from, to)
	var mu sync.Mutex
	down := true // the platform fails every message to the staff member
	b.api.SetHook(func(method string, chat int64) *emulator.APIError {
		mu.Lock()
		defer mu.Unlock()
		if method == "sendMessage" && chat == staffChat && down {
			return &emulator.APIError{Code: 502, Description: "Bad Gateway"}
		}
		return nil
	})
	b.run(broadcaster.Config{Instance: "one"})
	b.run(broadcaster.Config{Instance: "two"})
	id, _ := b.broadcast(b.everyone(), time.Time{})
	if st := b.wait(id, 30*time.Second); st.Sent != 20 {
		t.Fatalf("status = %+v, want 20 sent", st)
	}
	reportJobs := func(where string) int {
		var n int
		if err := b.db.Pool.QueryRow(b.ctx, `SELECT count(*) FROM river_job
			WHERE kind = 'notify' AND args->'notice'->>'kind' = 'broadcast_report' AND (args->'notice'->>'id')::bigint = $1 AND `+where, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for deadline := time.Now().Add(15 * time.Second); reportJobs(`errors IS NOT NULL`) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the report was never tried")
		}
	}
	mu.Lock()
	down = false
	mu.Unlock()

	staff := b.api.User(staffChat)
	title := "گزارش نهایی پیام همگانی شمارهٔ " + faNumber(id)
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := staff.Wait(ctx, func(ms []emulator.Message) bool {
		return slices.ContainsFunc(ms, func(m emulator.Message) bool {
			return strings.Contains(m.Text, title) && strings.Contains(m.Text, "رسید: ۲۰")
		})
	}); err != nil {
		t.Fatalf("the report never came after the failed send: %v\n%s", err, staff.Dump())
	}
	time.Sleep(1500 * time.Millisecond) // both runners go on ticking
	n := 0
	for _, m := range staff.Messages() {
		if strings.Contains(m.Text, title) {
			n++
		}
	}
	if n != 1 || reportJobs(`true`) != 1 || reportJobs(`state = 'completed'`) != 1 {
		t.Fatalf("%d reports received, %d report jobs (%d completed); want one of each", n, reportJobs(`true`), reportJobs(`state = 'completed'`))
	}
}
