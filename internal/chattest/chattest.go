// Package chattest runs the whole bot for a test: a fresh Postgres database, its own Redis
// key space, the real go-telegram-bot-api client talking HTTP to the emulator's fake Bot API,
// the engine and every flow. Tests then talk to it as residents do, and read what the bot
// answers in their language:
//
//	h := chattest.New(t)
//	u := h.User(1001)
//	u.Send("/start")
//	u.Sees("onboarding.welcome")
//	u.Press("lang.fa.name")
package chattest

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/bot"
	"coopbot/broadcaster"
	"coopbot/emulator"
	"coopbot/flows"
	"coopbot/internal/app"
	"coopbot/locales"
	"coopbot/postgres"
	"coopbot/postgres/postgrestest"
	"coopbot/redis"
)

// Token is the bot token of the fake Bot API in tests.
const Token = "4242:chattest-token"

// Wait bounds how long a test waits for the bot to answer.
var Wait = 10 * time.Second

// Harness is a running bot and the fake messenger around it.
type Harness struct {
	T     testing.TB
	DB    *postgres.DB
	Redis *redis.Client
	API   *emulator.Server
	Cat   *locales.Catalog
	Bot   *bot.Bot
	Log   *slog.Logger

	Engine *flows.Engine
	URL    string // the fake Bot API's base URL
	// ConsoleURL is the web console's base URL (not for External harnesses, whose
	// process serves its own).
	ConsoleURL string
	// Limiter paces broadcasts (Options.SendRate per platform) and counts replies.
	Limiter *redis.RateLimiter
	// Holding says that updates are held unanswered on purpose (a test blocks their
	// replies): presses then do not wait for the bot to be idle first.
	Holding bool

	platform    coopbot.Platform
	app         *app.App
	running     *app.Running
	sendTimeout time.Duration
	dbURL       string
	admins      []coopbot.UserRef
	stop        context.CancelFunc
	ctx         context.Context
}

// Staff names Telegram users who are staff (for Options.Admins).
func Staff(ids ...int64) []coopbot.UserRef {
	refs := make([]coopbot.UserRef, len(ids))
	for i, id := range ids {
		refs[i] = coopbot.UserRef{Platform: coopbot.Telegram, UserID: id}
	}
	return refs
}

// Options adjust the harness.
type Options struct {
	Platform coopbot.Platform // telegram by default
	Admins   []coopbot.UserRef
	Redis    redis.Options
	// NoJobs leaves the job workers stopped, as if the process died before working
	// them: notifications stay queued in Postgres until StartJobs.
	NoJobs bool
	// SendRate is the broadcast send rate per platform (sends a second; 1000 by default).
	SendRate float64
	// Broadcasts tune the broadcast runner; its store, sender, limiter and wording are the
	// harness's.
	Broadcasts broadcaster.Config
	// RedisURL is the Redis to use (e.g. through a faultproxy); COOPBOT_TEST_REDIS_URL or
	// the local one by default.
	RedisURL string
	// DatabaseURL is a database made with postgrestest.NewURL, reached e.g. through a
	// faultproxy; it is seeded. A fresh seeded one by default.
	DatabaseURL string
	// Engine wraps the engine of every bot of the harness (a test's faulty step).
	Engine func(bot.Engine) bot.Engine
	// SendTimeout bounds one Bot API call of the harness's bots (bot.Config.SendTimeout):
	// tests of a send that times out set it short.
	SendTimeout time.Duration
	// Office is the office's contact details the help shows (the defaults when zero).
	Office coopbot.Office
	// External leaves the bot to a coopbot process the test starts (cmd tests): the
	// harness makes the database, the Redis key space and the fake Bot API, and runs no
	// bot, jobs or broadcasts of its own. Env gives the process its environment.
	External bool
}

// New starts a seeded bot for t, stopped when t ends.
func New(t testing.TB, opts ...Options) *Harness {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Platform == "" {
		o.Platform = coopbot.Telegram
	}
	if o.Redis.FloodWindow == 0 {
		// Scripted residents answer far faster than people type: without this every
		// longer conversation would trip flood control, which has tests of its own that
		// set the real window.
		o.Redis.FloodWindow = time.Millisecond
	}
	h := &Harness{T: t}
	h.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("CHATTEST_LOG") != "" {
		h.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if o.External && o.DatabaseURL == "" {
		o.DatabaseURL = postgrestest.NewURL(t)
	}
	h.dbURL, h.admins = o.DatabaseURL, o.Admins
	if o.DatabaseURL != "" {
		db, err := postgres.Open(context.Background(), o.DatabaseURL, postgres.Options{Key: postgrestest.Key, Log: h.Log})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		if err := db.Seed(context.Background()); err != nil {
			t.Fatal(err)
		}
		h.DB = db
	} else {
		h.DB = postgrestest.NewSeeded(t)
	}
	if len(o.Admins) > 0 {
		if err := h.DB.GrantStaff(context.Background(), o.Admins); err != nil {
			t.Fatal(err)
		}
	}
	h.Redis = newRedis(t, o.RedisURL, o.Redis)
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	h.Cat = cat
	rate := o.SendRate
	if rate <= 0 {
		rate = 1000
	}
	bc := o.Broadcasts
	if bc.Poll == 0 {
		bc.Poll = 100 * time.Millisecond
	}
	if bc.ProgressEvery == 0 {
		bc.ProgressEvery = 300 * time.Millisecond
	}
	rates := redis.RateOptions{Rates: map[coopbot.Platform]float64{coopbot.Telegram: rate, coopbot.Bale: rate}}
	h.API = emulator.New(emulator.Options{Token: Token, Bale: o.Platform == coopbot.Bale})
	srv := httptest.NewServer(h.API.Handler())
	h.URL, h.platform, h.sendTimeout = srv.URL, o.Platform, o.SendTimeout
	t.Cleanup(func() {
		h.Stop()
		h.API.Close()
		srv.Close()
	})
	if o.External {
		h.Limiter = h.Redis.RateLimiter(rates)
		return h
	}
	// The service as the program assembles it, on the fake Bot API, with its web console
	// on a listener of its own (its address is in the bot's sign-in links).
	console := httptest.NewUnstartedServer(nil)
	h.ConsoleURL = "http://" + console.Listener.Addr().String()
	var err2 error
	h.app, err2 = app.New(app.Config{
		DB: h.DB, Redis: h.Redis, Catalog: cat, Log: h.Log,
		Bot:        bot.Config{Platforms: h.platforms(), SendTimeout: o.SendTimeout, Journal: h.Redis},
		Rates:      rates,
		Broadcasts: bc,
		Wrap:       o.Engine,
		ConsoleURL: h.ConsoleURL,
		Office:     o.Office,
	})
	if err2 != nil {
		t.Fatal(err2)
	}
	console.Config.Handler = h.app.Console.Handler()
	console.Start()
	t.Cleanup(console.Close)
	h.Engine, h.Bot, h.Limiter = h.app.Engine, h.app.Bot, h.app.Limiter
	ctx, cancel := context.WithCancel(context.Background())
	h.stop, h.ctx = cancel, ctx
	if err := h.app.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if !o.NoJobs {
		h.StartJobs()
	}
	h.running = h.app.Run(ctx, func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 10*time.Second)
	})
	return h
}

// Env is the environment of a coopbot process serving an External harness: its database,
// Redis key space, data key, staff (Options.Admins) and the fake Bot API.
func (h *Harness) Env() map[string]string {
	admins := make([]string, len(h.admins))
	for i, a := range h.admins {
		admins[i] = fmt.Sprintf("%s:%d", a.Platform, a.UserID)
	}
	return map[string]string{
		"ADMINS":           strings.Join(admins, ","),
		"DATABASE_URL":     h.dbURL,
		"REDIS_URL":        RedisURL(),
		"REDIS_PREFIX":     h.Redis.Prefix(),
		"DATA_KEY":         base64.StdEncoding.EncodeToString(postgrestest.Key),
		"TELEGRAM_TOKEN":   Token,
		"TELEGRAM_API_URL": h.URL,
		"WEB_ADDR":         "127.0.0.1:0",
	}
}

// Stop stops the bot and waits until every update it took in is finished.
func (h *Harness) Stop() {
	if h.stop == nil {
		return
	}
	h.stop()
	h.stop = nil
	if err := <-h.running.Bot(); err != nil {
		h.T.Errorf("bot stopped with an error: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.running.Wait(ctx); err != nil {
		h.T.Errorf("stopping: %v", err)
	}
}

// StartJobs starts working the queued jobs (of a harness made with NoJobs).
func (h *Harness) StartJobs() {
	h.T.Helper()
	if err := h.app.StartJobs(h.ctx); err != nil {
		h.T.Fatal(err)
	}
}

// NewRedis opens Redis with a key prefix of its own for tb, and deletes its keys afterwards.
func NewRedis(tb testing.TB, o redis.Options) *redis.Client {
	tb.Helper()
	return newRedis(tb, "", o)
}

// RedisURL is the Redis tests use: COOPBOT_TEST_REDIS_URL or the local one.
func RedisURL() string {
	if url := os.Getenv("COOPBOT_TEST_REDIS_URL"); url != "" {
		return url
	}
	return "redis://127.0.0.1:6379/0"
}

func newRedis(tb testing.TB, url string, o redis.Options) *redis.Client {
	tb.Helper()
	if url == "" {
		url = RedisURL()
	}
	if o.Key == nil {
		o.Key = postgrestest.Key
	}
	if o.Prefix == "" {
		o.Prefix = fmt.Sprintf("coopbot-test:%d:%s:", time.Now().UnixNano(), strings.ReplaceAll(tb.Name(), "/", "-"))
	}
	c, err := redis.Open(url, o)
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Ping(context.Background()); err != nil {
		tb.Fatalf("redis at %s: %v", url, err)
	}
	tb.Cleanup(func() {
		c.DeleteAll(context.Background())
		c.Close()
	})
	return c
}

// User is a resident (or staff member, or cooperative admin) chatting with the bot.
type User struct {
	h         *Harness
	E         *emulator.User
	ID        int64
	Lang      coopbot.Lang // the language the test expects the bot to speak
	read      int          // bot messages already matched by Sees
	readEdits int          // edits of the last one matched, when matched
}

// User returns the person with this id; they speak Persian until told otherwise.
func (h *Harness) User(id int64) *User {
	return &User{h: h, E: h.API.User(id), ID: id, Lang: coopbot.Persian}
}

// Speaks sets the language the bot is expected to answer in.
func (u *User) Speaks(l coopbot.Lang) *User { u.Lang = l; return u }

// Text renders a message in the user's language, with template data as key/value pairs.
func (u *User) Text(id string, kv ...any) string {
	u.h.T.Helper()
	m := coopbot.M(id, kv...)
	s, err := u.h.Cat.Text(u.Lang, id, m.Data, nil)
	if err != nil {
		u.h.T.Fatalf("message %s: %v", id, err)
	}
	return s
}

// Send types text.
func (u *User) Send(text string) { u.E.Send(text) }

// Press presses the button labelled with message id (in the user's language) on the newest
// message that has it.
func (u *User) Press(id string, kv ...any) {
	u.h.T.Helper()
	u.PressLabel(u.Text(id, kv...))
}

// PressLabel presses the button with exactly this label, waiting for it to appear.
func (u *User) PressLabel(label string) {
	u.h.T.Helper()
	// A person presses what is on the screen once the bot has answered: let every update
	// sent so far be handled, so "newest message with this button" is the final one.
	if !u.h.Holding {
		u.h.Idle()
	}
	err := u.E.Wait(u.ctx(), func(ms []emulator.Message) bool {
		for i := len(ms) - 1; i >= 0; i-- {
			for _, row := range ms[i].Inline {
				for _, b := range row {
					if b.Text == label {
						return true
					}
				}
			}
		}
		return false
	})
	if err != nil {
		u.h.T.Fatalf("user %d: no button %q: %v", u.ID, label, err)
	}
	if err := u.E.Press(label); err != nil {
		u.h.T.Fatalf("user %d: press %q: %v", u.ID, label, err)
	}
}

// Sees waits for a bot message, newer than the ones already seen (or the last one, edited
// in place), that contains message id rendered in the user's language, and returns it.
func (u *User) Sees(id string, kv ...any) emulator.Message {
	u.h.T.Helper()
	return u.SeesText(u.Text(id, kv...))
}

// SeesText waits for a bot message containing want (where want holds Any, the parts
// around it in order).
func (u *User) SeesText(want string) emulator.Message {
	u.h.T.Helper()
	var found emulator.Message
	at := -1
	err := u.E.Wait(u.ctx(), func(ms []emulator.Message) bool {
		for i := u.unread(ms); i < len(ms); i++ {
			if matches(ms[i].Text, want) {
				found, at = ms[i], i
				return true
			}
		}
		return false
	})
	if err != nil {
		u.h.T.Fatalf("user %d: expected a new message with %q: %v", u.ID, want, err)
	}
	u.read, u.readEdits = at+1, found.Edits
	return found
}

// Keyboard returns the labels of the reply keyboard the user sees now (as a client keeps
// it: a removal stays even when the message that carried it was deleted).
func (u *User) Keyboard() []string {
	var out []string
	for _, row := range u.E.Keyboard() {
		for _, b := range row {
			out = append(out, b.Text)
		}
	}
	return out
}

// Buttons returns the inline button labels of the newest bot message.
func (u *User) Buttons() []string {
	ms := u.E.Messages()
	if len(ms) == 0 {
		return nil
	}
	var out []string
	for _, row := range ms[len(ms)-1].Inline {
		for _, b := range row {
			out = append(out, b.Text)
		}
	}
	return out
}

// Quiet asserts that the bot sends nothing more within d.
func (u *User) Quiet(d time.Duration) {
	u.h.T.Helper()
	n := len(u.E.Messages())
	time.Sleep(d)
	if m := u.E.Messages(); len(m) != n {
		u.h.T.Fatalf("user %d: expected no more messages, got %q", u.ID, m[n].Text)
	}
}

// Onboard takes the user through onboarding in their language, choosing the neighborhood
// with this Persian name and skipping the phone.
func (u *User) Onboard(neighborhood string) {
	u.h.T.Helper()
	u.Send("/start")
	u.Sees("onboarding.welcome")
	if u.Lang == coopbot.Azeri {
		u.Press("lang.az.name")
	} else {
		u.Press("lang.fa.name")
	}
	u.Sees("onboarding.neighborhood.prompt")
	u.Send(neighborhood)
	u.Sees("onboarding.phone.prompt")
	u.Send(u.Text("onboarding.phone.skip"))
	u.Sees("menu.title")
}

func (u *User) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	u.h.T.Cleanup(cancel)
	return ctx
}

// Idle waits until the bot has finished every update sent so far (the fake Bot API saw them
// confirmed, and none is left unfinished in the journal), so that their state is saved.
func (h *Harness) Idle() {
	h.T.Helper()
	deadline := time.Now().Add(Wait)
	for {
		pending := h.API.Pending()
		// With Redis away the journal cannot be read, nor written: updates then stay
		// unconfirmed until finished, and pending says it all.
		journaled, err := h.Redis.Journaled(context.Background())
		if pending == 0 && (journaled == 0 || err != nil) {
			return
		}
		if time.Now().After(deadline) {
			h.T.Fatalf("bot still has %d updates unconfirmed and %d unfinished in the journal (%v)", pending, journaled, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// NewBot builds another bot on the harness's database, Redis and fake Bot API (another
// instance of the service); cfg's platforms and log are filled in. Connect and Run it.
func (h *Harness) NewBot(cfg bot.Config) *bot.Bot {
	cfg.Platforms = h.platforms()
	if cfg.SendTimeout == 0 {
		cfg.SendTimeout = h.sendTimeout
	}
	return h.app.NewBot(cfg)
}

// platforms is the fake Bot API as the bots' one platform.
func (h *Harness) platforms() []bot.PlatformConfig {
	return []bot.PlatformConfig{{Platform: h.platform, Token: Token, APIURL: h.URL}}
}

// Export waits for the two files of an export among the bot messages after the first
// `after` ones: the Excel workbook, then the same table as CSV. It fails the test when
// they do not come in that order.
func (u *User) Export(after int) (xlsx, csv *emulator.Document) {
	u.h.T.Helper()
	var docs []*emulator.Document
	err := u.E.Wait(u.ctx(), func(ms []emulator.Message) bool {
		docs = docs[:0]
		for _, m := range ms[min(after, len(ms)):] {
			if m.Document != nil {
				docs = append(docs, m.Document)
			}
		}
		return len(docs) >= 2
	})
	if err != nil {
		u.h.T.Fatalf("user %d: expected the two files of an export, got %d: %v", u.ID, len(docs), err)
	}
	if !strings.HasSuffix(docs[0].FileName, ".xlsx") || !strings.HasSuffix(docs[1].FileName, ".csv") ||
		strings.TrimSuffix(docs[0].FileName, ".xlsx") != strings.TrimSuffix(docs[1].FileName, ".csv") {
		u.h.T.Fatalf("user %d: export files %q and %q, want one name as .xlsx then .csv", u.ID, docs[0].FileName, docs[1].FileName)
	}
	return docs[0], docs[1]
}
