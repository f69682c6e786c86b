// Command coopbot runs the neighborhood cooperatives bot.
//
//	coopbot [serve]   run the bot (the default)
//	coopbot migrate   apply database migrations and exit
//	coopbot seed      load demo data (Tabriz neighborhoods, cooperatives, trainings)
//	coopbot rekey     re-seal personal data under NEW_DATA_KEY (every instance stopped)
//
// Configuration comes from environment variables (see the README). With no platform token
// serve starts the local emulator: a fake Bot API and a web chat inside the process.
package main

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"coopbot/bot"
	"coopbot/broadcaster"
	"coopbot/emulator"
	"coopbot/internal/app"
	"coopbot/locales"
	"coopbot/metrics"
	"coopbot/postgres"
	"coopbot/redis"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "coopbot:", err)
		os.Exit(1)
	}
}

// run is the whole program; tests call it with their own environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 1 {
		cmd = args[1]
	}
	switch cmd {
	case "serve", "migrate", "seed", "rekey":
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: coopbot [serve|migrate|seed|rekey]; configuration from the environment, see README.md")
		return nil
	default:
		return fmt.Errorf("unknown command %q (want serve, migrate, seed or rekey)", cmd)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))

	cfg.dbName = "coopbot " + cmd // postgres.ServingName for serve
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeWithin(time.Second, db.Close)
	if err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	switch cmd {
	case "migrate":
		fmt.Fprintln(stdout, "migrations applied")
		return nil
	case "seed":
		if err := db.Seed(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "demo data loaded")
		return nil
	case "rekey":
		return rekey(ctx, cfg, db, getenv, stdout)
	}
	return serve(ctx, cfg, db, log, stdout)
}

// openDB connects to Postgres, waiting up to a minute for it to come up.
func openDB(ctx context.Context, cfg *config, log *slog.Logger) (*postgres.DB, error) {
	db, err := postgres.Open(ctx, cfg.databaseURL, postgres.Options{Key: cfg.dataKey, Log: log, PendingRemindDays: cfg.pendingRemindDays, NeedEscalateHours: cfg.needEscalateHours, Name: cfg.dbName})
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		err := db.Ping(ctx)
		if err == nil {
			return db, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			db.Close()
			return nil, fmt.Errorf("DATABASE_URL: postgres not reachable: %w", err)
		}
		log.Warn("waiting for postgres", "err", err)
		time.Sleep(2 * time.Second)
	}
}

func serve(ctx context.Context, cfg *config, db *postgres.DB, log *slog.Logger, stdout io.Writer) error {
	if err := prepare(ctx, cfg, db); err != nil {
		return err
	}
	rdb, err := redis.Open(cfg.redisURL, redis.Options{StateTTL: cfg.stateTTL, Prefix: cfg.redisPrefix, Key: subkey(cfg.dataKey, "redis conversation state"), Log: log})
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	defer rdb.Close()
	if err := rdb.Ping(ctx); err != nil {
		return fmt.Errorf("REDIS_URL: redis not reachable: %w", err)
	}
	cat, err := locales.Load()
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.httpAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	platforms := cfg.platforms
	var emu *emulator.Server
	if cfg.emulator {
		if err := db.Seed(ctx); err != nil {
			return err
		}
		emu = emulator.New(emulator.Options{Token: emulatorToken, Logger: log})
		mux.Handle("/", emu.Handler())
		base := "http://" + localAddr(ln)
		platforms = append(platforms, bot.PlatformConfig{Platform: "telegram", Token: emulatorToken, APIURL: base})
		fmt.Fprintf(stdout, "coopbot local emulator: open %s/ in a browser to chat with the bot (user 1 is staff)\n", base)
	}
	m := metrics.New(metrics.Gauges{
		QueueDepth: db.QueueDepth,
		Conversations: func(ctx context.Context) (float64, error) {
			n, err := rdb.Conversations(ctx)
			return float64(n), err
		},
		RedisRoundTrips: func() float64 { return float64(rdb.RoundTrips()) },
		Log:             log,
	})
	// The web console on an address of its own, never on the listener that takes
	// webhooks. Without WEB_BASE_URL its links point at the listener itself.
	wln, err := net.Listen("tcp", cfg.webAddr)
	if err != nil {
		return fmt.Errorf("WEB_ADDR: %w", err)
	}
	consoleURL := cmp.Or(cfg.webBaseURL, "http://"+localAddr(wln))
	holder := holderName()
	svc, err := app.New(app.Config{
		DB: db, Redis: rdb, Catalog: cat, Log: log,
		Bot: bot.Config{
			Platforms: platforms, Webhook: cfg.webhook, WebhookBase: cfg.webhookBase, WebhookSecret: cfg.webhookSecret,
			Metrics: m, Leases: rdb, Journal: rdb, Holder: holder,
		},
		Rates:      redis.RateOptions{Rates: cfg.sendRates, OnWait: m.RateLimitWait},
		Broadcasts: broadcaster.Config{ClaimTTL: cfg.claimTTL, Instance: holder},
		ConsoleURL: consoleURL,
		Office:     cfg.office,
	})
	if err != nil {
		wln.Close()
		return fmt.Errorf("WEB_BASE_URL: %w", err)
	}
	b := svc.Bot

	ready := make(chan struct{})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-ready:
		default:
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		for name, ping := range map[string]func(context.Context) error{"postgres": db.Ping, "redis": rdb.Ping, "platforms": b.Ready} {
			if err := ping(ctx); err != nil {
				http.Error(w, name+" unavailable", http.StatusServiceUnavailable)
				return
			}
		}
		io.WriteString(w, "ready\n")
	})
	// Metrics and the profiler on a private address of their own, never on the public
	// listener that takes webhooks.
	priv := http.NewServeMux()
	priv.Handle("GET /metrics", m.Handler())
	priv.HandleFunc("/debug/pprof/", pprof.Index)
	priv.HandleFunc("/debug/pprof/profile", pprof.Profile)
	priv.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mln, err := net.Listen("tcp", cfg.metricsAddr)
	if err != nil {
		return fmt.Errorf("METRICS_ADDR: %w", err)
	}
	srv, privSrv, webSrv := newServer(mux, log), newServer(priv, log), newServer(svc.Console.Handler(), log)
	srvErr := make(chan error, 3)
	go func() { srvErr <- srv.Serve(ln) }()
	go func() { srvErr <- privSrv.Serve(mln) }()
	go func() { srvErr <- webSrv.Serve(wln) }()
	if cfg.emulator {
		fmt.Fprintf(stdout, "coopbot web console: %s/ (sign in with the link from the bot's \"web console\" menu entry)\n", consoleURL)
	}

	// On the way out every wait shares one budget from the moment ctx ends, so the process
	// exits within about 10 s even with Postgres or Redis gone.
	stop := &budget{d: shutdownBudget}
	stopping := stop.ctx
	defer func() {
		if emu != nil {
			emu.Close() // ends the web chat's and the bot's long polls
		}
		sctx, cancel := stopping()
		defer cancel()
		srv.Shutdown(sctx)
		webSrv.Shutdown(sctx)
		privSrv.Close()
	}()

	if err := b.Connect(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if cfg.webhook {
		mux.Handle("/webhook/", b.WebhookHandler())
	}
	if err := svc.StartJobs(ctx); err != nil {
		return err
	}
	// Broadcast deliveries run on every instance; on the way out the sends on their way
	// are recorded and unstarted claims released. Jobs and broadcasts stop while the bot
	// finishes its updates, not after.
	running := svc.Run(ctx, stopping)
	defer func() {
		sctx, cancel := stopping()
		defer cancel()
		if err := running.Wait(sctx); err != nil {
			log.Warn("on the way out", "err", err)
		}
	}()
	close(ready)
	log.Info("coopbot serving", "addr", localAddr(ln), "metrics_addr", localAddr(mln), "web_addr", localAddr(wln), "platforms", len(platforms), "webhook", cfg.webhook)
	select {
	case err := <-running.Bot():
		return err
	case err := <-srvErr:
		if errors.Is(err, http.ErrServerClosed) {
			return <-running.Bot()
		}
		return fmt.Errorf("http server: %w", err)
	}
}

// budget is one time budget shared by every wait on the way out, counted from the first
// that asks for it.
type budget struct {
	once sync.Once
	at   time.Time
	d    time.Duration
}

func (b *budget) ctx() (context.Context, context.CancelFunc) {
	b.once.Do(func() { b.at = time.Now().Add(b.d) })
	return context.WithDeadline(context.Background(), b.at)
}

// closeWithin runs f, waiting for it at most d: a pool whose connections hang on a server
// that went away must not keep the process from exiting.
func closeWithin(d time.Duration, f func()) {
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// shutdownBudget bounds the way out: updates in flight, jobs, broadcasts, HTTP requests.
const shutdownBudget = 9 * time.Second

// HTTP limits of every listener: slow clients (a body at one byte a second, an idle
// keep-alive) are cut after a bounded time. Long polls (the web chat's) and webhook
// requests, which are answered only after their update was handled, set their own write
// deadline.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 8 * time.Second
	writeTimeout      = 15 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
)

func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
}

// localAddr is the listener's address as a client on this machine reaches it.
func localAddr(ln net.Listener) string {
	addr := ln.Addr().(*net.TCPAddr)
	if addr.IP.IsUnspecified() {
		return fmt.Sprintf("127.0.0.1:%d", addr.Port)
	}
	return addr.String()
}

// holderName names this instance in leases: host, process and a random part.
func holderName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%x", host, os.Getpid(), b)
}

// subkey derives a key for one use from the data key, so Postgres and Redis never share one.
func subkey(key []byte, use string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(use))
	return m.Sum(nil)
}
