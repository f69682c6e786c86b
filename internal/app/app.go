// Package app assembles the service from its parts: the store (postgres), the
// conversation sessions and the send limiter (redis), the engine with every flow, the
// bot, the durable jobs, the broadcast runner and the office's web console. `coopbot serve` and the test harness
// (internal/chattest) both build the service here, so the tests run what production runs.
// It is wiring only: it owns no behaviour, and nothing imports it but commands and the
// harness.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"coopbot"
	"coopbot/bot"
	"coopbot/broadcaster"
	"coopbot/flows"
	"coopbot/locales"
	"coopbot/postgres"
	"coopbot/redis"
	"coopbot/web"
)

// Config are the parts the service is built from, and how they are tuned.
type Config struct {
	DB      *postgres.DB
	Redis   *redis.Client
	Catalog *locales.Catalog
	Log     *slog.Logger
	// Bot configures the bot (platforms, webhook, metrics, leases, …). Its log, meter and
	// failure store are filled in.
	Bot bot.Config
	// Rates are the send rates per platform; OnWait observes the time a send waited.
	Rates redis.RateOptions
	// Broadcasts tune the broadcast runner; its store, sender, limiter and wording are
	// filled in.
	Broadcasts broadcaster.Config
	// Office is how residents reach the office, shown with the help (the provincial
	// office's defaults when zero).
	Office coopbot.Office
	// Wrap, when set, stands between the bot and the engine (the harness makes steps fail
	// with it).
	Wrap func(bot.Engine) bot.Engine
	// ConsoleURL is the web console's public base URL (WEB_BASE_URL): the bot's sign-in
	// links point there. "" serves no console and offers no link.
	ConsoleURL string
}

// App is the assembled service.
type App struct {
	cfg     Config
	Engine  *flows.Engine
	Bot     *bot.Bot
	Limiter *redis.RateLimiter
	Notices *flows.Notices
	// Console is the office's web console (nil without Config.ConsoleURL); its handler is
	// served on a listener of its own.
	Console *web.Server
}

// New assembles the service. A resident a send finds unreachable loses their
// conversation, so that their next update reloads their profile and clears the mark.
func New(cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	db, rdb, log := cfg.DB, cfg.Redis, cfg.Log
	db.OnUnreachable(func(ctx context.Context, p coopbot.Platform, chatID int64) {
		if err := rdb.ForgetChat(ctx, p, chatID); err != nil {
			log.Warn("forget the conversation of an unreachable resident", "platform", p, "err", err)
		}
	})
	a := &App{cfg: cfg}
	a.Engine = flows.New(flows.Deps{Store: db, Labels: cfg.Catalog, Log: log, ConsoleURL: strings.TrimRight(cfg.ConsoleURL, "/"), Office: cfg.Office})
	a.Notices = flows.NewNotices(db)
	a.Limiter = rdb.RateLimiter(cfg.Rates)
	a.Bot = a.NewBot(cfg.Bot)
	if cfg.ConsoleURL != "" {
		c, err := web.New(web.Config{Store: db, Labels: cfg.Catalog, BaseURL: cfg.ConsoleURL, Files: a.Bot, Log: log})
		if err != nil {
			return nil, err
		}
		a.Console = c
	}
	return a, nil
}

// NewBot builds a bot over the service's engine, sessions and limiter with cfg's
// platforms and tuning (the service's own, or another instance's in a test).
func (a *App) NewBot(cfg bot.Config) *bot.Bot {
	if cfg.Log == nil {
		cfg.Log = a.cfg.Log
	}
	if cfg.Meter == nil {
		cfg.Meter = a.Limiter.Meter()
	}
	if cfg.Failures == nil {
		cfg.Failures = a.cfg.DB
	}
	engine := bot.Engine(a.Engine)
	if a.cfg.Wrap != nil {
		engine = a.cfg.Wrap(engine)
	}
	return bot.New(cfg, engine, bot.Sessions(a.cfg.Redis.Begin), a.cfg.Catalog)
}

// Connect reaches every platform (retrying while one is unreachable) until ctx ends.
func (a *App) Connect(ctx context.Context) error { return a.Bot.Connect(ctx) }

// StartJobs starts working the durable jobs (notifications, reminders), rendering notices
// and sending through the bot, until ctx ends or the service stops.
func (a *App) StartJobs(ctx context.Context) error {
	return a.cfg.DB.StartJobs(ctx, a.Bot, a.Notices)
}

// Running is the service running: the bot's intake and, on every instance, the
// broadcast deliveries and the jobs.
type Running struct {
	bot        chan error
	broadcasts chan error
	jobs       chan struct{}
}

// Run starts the bot and the broadcast runner (the jobs run from StartJobs). When ctx
// ends, the jobs, the broadcasts and the updates in flight stop together, each within the
// context stopping gives (the way out has one time budget).
func (a *App) Run(ctx context.Context, stopping func() (context.Context, context.CancelFunc)) *Running {
	r := &Running{bot: make(chan error, 1), broadcasts: make(chan error, 1), jobs: make(chan struct{})}
	bc := a.cfg.Broadcasts
	bc.Store, bc.Sender, bc.Limiter, bc.Messages = a.cfg.DB, a.Bot, a.Limiter, flows.BroadcastMessages{}
	if bc.Log == nil {
		bc.Log = a.cfg.Log
	}
	go func() { r.broadcasts <- broadcaster.New(bc).Run(ctx) }()
	go func() { r.bot <- a.Bot.Run(ctx) }()
	go func() {
		defer close(r.jobs)
		<-ctx.Done()
		// Running jobs may finish; they are retried elsewhere if this takes too long.
		sctx, cancel := stopping()
		defer cancel()
		a.cfg.DB.StopJobs(sctx)
	}()
	return r
}

// Bot is the bot's outcome: nil once every update it took in is finished after ctx
// ended, or the error that stopped it.
func (r *Running) Bot() <-chan error { return r.bot }

// Wait waits, within ctx, for the broadcast runner and the jobs to stop (after Run's
// context ended), and returns the broadcast runner's error.
func (r *Running) Wait(ctx context.Context) error {
	var err error
	select {
	case err = <-r.broadcasts:
		if err != nil {
			err = fmt.Errorf("broadcast runner: %w", err)
		}
	case <-ctx.Done():
		return fmt.Errorf("broadcast runner still stopping: %w", ctx.Err())
	}
	select {
	case <-r.jobs:
	case <-ctx.Done():
		return fmt.Errorf("jobs still stopping: %w", ctx.Err())
	}
	return err
}
