package bot_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"coopbot"
	"coopbot/bot"
	"coopbot/emulator"
	"coopbot/internal/chattest"
	"coopbot/internal/faultproxy"
	"coopbot/postgres/postgrestest"
	"coopbot/redis"
)

// The reliability matrix (/work/shared/notes/reliability.md) asks for outages of 10–30 s.
// These tests keep a dependency away for a few seconds: long enough for several retries of
// the same update, short enough for CI. The behaviour, not the length, is what is checked.
const outage = 3 * time.Second

// proxyFor puts a fault proxy in front of the host of rawURL and returns it with the URL
// that goes through it.
func proxyFor(t *testing.T, rawURL string) (*faultproxy.Proxy, string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Host
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, map[string]string{"redis": "6379", "postgres": "5432", "postgresql": "5432"}[u.Scheme])
	}
	p, err := faultproxy.New(host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	through, err := p.URL(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return p, through
}

// count returns how many of the user's bot messages contain message id in lang.
func count(t *testing.T, h *chattest.Harness, u *chattest.User, lang coopbot.Lang, id string) int {
	t.Helper()
	s, err := h.Cat.Text(lang, id, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range u.E.Messages() {
		if strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Redis goes away right after the bot has sent its reply, before the turn is saved, and
// comes back a moment later: the turn is saved then, and the resident gets the reply once
// (handling the update again would send it twice).
func TestRedisAwayBetweenReplyAndSaveRepliesOnce(t *testing.T) {
	t.Parallel()
	proxy, redisURL := proxyFor(t, chattest.RedisURL())
	h := chattest.New(t, chattest.Options{RedisURL: redisURL})
	u := h.User(3311)
	u.Onboard("سرخاب")
	u.Press("menu.language")
	u.Sees("language.prompt")
	h.Idle()

	var once sync.Once
	h.API.SetHook(func(method string, chatID int64) *emulator.APIError {
		if chatID == u.ID && (method == "sendMessage" || method == "editMessageText") {
			once.Do(func() {
				proxy.Stop()
				time.AfterFunc(2*time.Second, func() { t.Log("redis back:", proxy.Start()) })
			})
		}
		return nil
	})
	u.Press("lang.az.name")
	u.Speaks(coopbot.Azeri)
	u.Sees("language.changed")
	u.Sees("menu.title")
	// Once Redis is back the update is confirmed; a second handling would have answered
	// again by then.
	waitFor(t, 30*time.Second, "the update confirmed", func() bool { return h.API.Pending() == 0 })
	h.Idle()
	if n := count(t, h, u, coopbot.Azeri, "language.changed"); n != 1 {
		t.Fatalf("the reply came %d times, want once", n)
	}
}

// Redis goes away and comes back, first with its data, then without: the polling bot does
// not panic, does not confirm the update it could not handle (it comes again and is
// answered once Redis is back), tells the resident once, and a conversation whose state
// vanished restarts with a short apology.
func TestRedisDownPollingThenBack(t *testing.T) {
	t.Parallel()
	proxy, redisURL := proxyFor(t, chattest.RedisURL())
	h := chattest.New(t, chattest.Options{RedisURL: redisURL})
	u := h.User(3301)
	u.Onboard("سرخاب")
	u.Press("menu.language")
	u.Sees("language.prompt")
	h.Idle()

	proxy.Stop()
	u.Press("lang.az.name")
	// Nothing is known of the reader while Redis is away: the note is in Persian.
	u.Sees("error.unavailable")
	time.Sleep(outage)
	if h.API.Pending() == 0 {
		t.Fatal("the poll loop confirmed an update it could not handle")
	}
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	u.Speaks(coopbot.Azeri)
	u.Sees("language.changed")
	u.Sees("menu.title")
	h.Idle()
	if n := count(t, h, u, coopbot.Persian, "error.unavailable"); n != 1 {
		t.Fatalf("%d 'try again later' notes for one update, want 1", n)
	}

	// Redis restarts empty: the next answer meets no conversation and gets an apology.
	u.Press("menu.language")
	u.Sees("language.prompt")
	h.Idle()
	proxy.Stop()
	direct, err := redis.Open(chattest.RedisURL(), redis.Options{Prefix: h.Redis.Prefix(), Key: postgrestest.Key})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	ctx := context.Background()
	keys, err := direct.Redis().Keys(ctx, h.Redis.Prefix()+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys under the prefix: %v, %v", keys, err)
	}
	if err := direct.Redis().Del(ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
	u.Press("lang.fa.name")
	waitFor(t, chattest.Wait, "no second note while Redis is away", func() bool {
		return count(t, h, u, coopbot.Persian, "error.unavailable") == 2
	})
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	u.Sees("conv.reset")
	u.Sees("menu.title")
	h.Idle()
}

// statusLog records the answers a webhook handler gave.
type statusLog struct {
	mu       sync.Mutex
	statuses []int
}

func (l *statusLog) add(code int) { l.mu.Lock(); l.statuses = append(l.statuses, code); l.mu.Unlock() }

func (l *statusLog) count(code int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.statuses {
		if c == code {
			n++
		}
	}
	return n
}

type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) { r.code = code; r.ResponseWriter.WriteHeader(code) }

// webhookBot replaces the harness's polling bot by one in webhook mode behind an HTTP
// server whose answers are logged.
func webhookBot(t *testing.T, h *chattest.Harness, cfg bot.Config) *statusLog {
	t.Helper()
	h.Stop()
	log := &statusLog{}
	var mu sync.Mutex
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hd := handler
		mu.Unlock()
		if hd == nil {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		rec := &recorder{ResponseWriter: w, code: http.StatusOK}
		hd.ServeHTTP(rec, r)
		log.add(rec.code)
	}))
	t.Cleanup(srv.Close)
	cfg.Webhook, cfg.WebhookBase, cfg.WebhookSecret = true, srv.URL, "reliability-webhook-secret-0123"
	b := h.NewBot(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	if err := b.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	handler = b.WebhookHandler()
	mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("bot: %v", err)
		}
	})
	return log
}

// In webhook mode the handler answers non-2xx while Redis is away, so the platform brings
// the update again; once Redis is back it is handled, once.
func TestRedisDownWebhookAnswersNon2xx(t *testing.T) {
	t.Parallel()
	proxy, redisURL := proxyFor(t, chattest.RedisURL())
	h := chattest.New(t, chattest.Options{RedisURL: redisURL})
	calls := webhookBot(t, h, bot.Config{})
	u := h.User(3311)
	u.Onboard("نوبر")
	h.Idle()

	proxy.Stop()
	u.Press("menu.language")
	u.Sees("error.unavailable")
	time.Sleep(outage)
	if n := calls.count(http.StatusServiceUnavailable); n < 2 {
		t.Fatalf("%d answers 503 while Redis was away, want the update refused again and again", n)
	}
	if h.API.Pending() == 0 {
		t.Fatal("the platform saw the update confirmed while Redis was away")
	}
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	u.Sees("language.prompt")
	h.Idle()
	if n := count(t, h, u, coopbot.Persian, "language.prompt"); n != 1 {
		t.Fatalf("the update was answered %d times, want once", n)
	}
	if n := count(t, h, u, coopbot.Persian, "error.unavailable"); n != 1 {
		t.Fatalf("%d 'try again later' notes, want 1", n)
	}
}

// Postgres goes away while a resident answers: they are told to try again, the step is
// not lost (the update comes again by itself once Postgres is back), and nothing is
// written twice.
func TestPostgresDownThenBack(t *testing.T) {
	t.Parallel()
	proxy, dbURL := proxyFor(t, postgrestest.NewURL(t))
	h := chattest.New(t, chattest.Options{DatabaseURL: dbURL})
	u := h.User(3401)
	u.Send("/start")
	u.Sees("onboarding.welcome")
	u.Press("lang.fa.name")
	u.Sees("onboarding.neighborhood.prompt")
	u.Send("سرخاب")
	u.Sees("onboarding.phone.prompt")
	h.Idle()

	proxy.Stop()
	u.E.ShareContact("+98 912 111 2233", 3401)
	u.Sees("error.unavailable")
	time.Sleep(outage)
	// The update is kept while it cannot be handled: in the journal (confirmed to the
	// platform, which need not hold it any more) or, without one, unconfirmed.
	if h.API.Pending() == 0 && journaled(t, h) == 0 {
		t.Fatal("the poll loop let go of an update it could not handle")
	}
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	u.Sees("onboarding.done_phone")
	u.Sees("menu.title")
	h.Idle()
	if n := count(t, h, u, coopbot.Persian, "error.unavailable"); n != 1 {
		t.Fatalf("%d 'try again later' notes, want 1", n)
	}
	var residents int
	if err := h.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM residents WHERE user_id = 3401`).Scan(&residents); err != nil || residents != 1 {
		t.Fatalf("residents for the user: %d, %v; want 1", residents, err)
	}
	p, err := h.DB.Profile(context.Background(), coopbot.UserRef{Platform: coopbot.Telegram, UserID: 3401})
	if err != nil || p.Phone != "+989121112233" {
		t.Fatalf("profile after recovery = %+v, %v", p, err)
	}
}

// Postgres is slow (a table locked longer than an update may take): the update gives up
// within the bot's bound, the half-done transaction leaves nothing behind, the resident is
// told to try again, and the same step succeeds once Postgres is fast again.
func TestPostgresSlowIsBoundedAndRetried(t *testing.T) {
	t.Parallel()
	const id = 3402
	h := chattest.New(t, chattest.Options{Admins: []coopbot.UserRef{{Platform: coopbot.Telegram, UserID: id}}})
	h.Stop()
	runBot(t, h.NewBot(bot.Config{HandleTimeout: time.Second}))
	u := h.User(id)
	u.Send("/start")
	u.Sees("onboarding.welcome")
	u.Press("lang.fa.name")
	u.Sees("onboarding.neighborhood.prompt")
	u.Send("سرخاب")
	u.Sees("onboarding.phone.prompt")
	h.Idle()

	// Saving the resident writes residents, then staff (the user is in ADMINS) in one
	// transaction; staff is locked, so the transaction stops half way.
	ctx := context.Background()
	tx, err := h.DB.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE staff IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	u.Send(u.Text("onboarding.phone.skip"))
	u.Sees("error.unavailable")
	if took := time.Since(started); took > 5*time.Second {
		t.Fatalf("the resident waited %s to hear that the bot is slow", took)
	}
	time.Sleep(outage)
	var residents int
	if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM residents WHERE user_id = $1`, id).Scan(&residents); err != nil || residents != 0 {
		t.Fatalf("residents while the transaction could not finish: %d, %v; want 0 (no partial write)", residents, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	u.Sees("onboarding.done")
	u.Sees("menu.title")
	h.Idle()
	if !slices.Contains(u.Buttons(), u.Text("broadcast.menu")) {
		t.Fatalf("menu %q has no staff entry: the staff row of the transaction is missing", u.Buttons())
	}
	if n := count(t, h, u, coopbot.Persian, "error.unavailable"); n != 1 {
		t.Fatalf("%d 'try again later' notes, want 1", n)
	}
}

// journaled counts the updates kept in the journals of the harness's bots.
func journaled(t *testing.T, h *chattest.Harness) int {
	t.Helper()
	n, err := h.Redis.Journaled(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
