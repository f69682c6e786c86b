// Package bot connects coopbot to the messengers: it polls or takes webhooks for every
// configured platform (Telegram, Bale) from one process, hands each update to the
// conversation engine one at a time per chat (a queue per conversation, so one slow chat
// never holds up another), renders the engine's replies in the reader's language and sends
// them. Every update goes through one chain of layers (chain.go) that survives any panic,
// and is confirmed only once it was handled or given up and recorded (the poll offset is a
// watermark). It is the only package that imports the Telegram library, which stays behind
// the small platform type here; the session store and the record of failed updates are
// interfaces declared here (Turn, BeginFunc, Failures).
package bot

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"coopbot"
	"coopbot/flows"
)

// Engine runs the conversations.
type Engine interface {
	// Handle runs one update against the stored state; the Result's Lang is the reader's
	// language also when it returns an error.
	Handle(ctx context.Context, stored []byte, up flows.Update) (flows.Result, error)
	// Lang is the reader's language in a stored state (Persian when unknown).
	Lang(stored []byte) coopbot.Lang
}

// Turn is one update's exclusive hold on a conversation (chat and user), from Begin to
// Commit or Abort: the stored state and what the session store knows of the update.
type Turn interface {
	State() []byte   // nil when there is no conversation
	Duplicate() bool // this update was handled already
	// Recent counts the chat's updates first tried within the flood window, this one
	// included; 0 when this update was tried before (a redelivery is not flooding).
	Recent() int
	// Commit saves the state (nil keeps the old one), records the update as handled and
	// releases the conversation; false: the hold had expired and nothing was saved.
	Commit(ctx context.Context, state []byte) (bool, error)
	// Forget drops the stored state instead (the person's data was erased: their next
	// update starts as a newcomer's), records the update as handled and releases the
	// conversation; false as with Commit.
	Forget(ctx context.Context) (bool, error)
	// Abort releases the conversation without saving anything.
	Abort(ctx context.Context) error
}

// BeginFunc begins a turn: it locks the conversation of (platform, chat, user) for one
// update and loads it, waiting while another holds it, until ctx ends.
type BeginFunc func(ctx context.Context, p coopbot.Platform, chatID, userID, updateID int64) (Turn, error)

// Sessions adapts a session store's Begin, which returns the store's own turn type (the
// redis package's *Turn), to a BeginFunc.
func Sessions[T Turn](begin func(context.Context, coopbot.Platform, int64, int64, int64) (T, error)) BeginFunc {
	return func(ctx context.Context, p coopbot.Platform, chatID, userID, updateID int64) (Turn, error) {
		t, err := begin(ctx, p, chatID, userID, updateID)
		if err != nil {
			return nil, err
		}
		return t, nil
	}
}

// Failures records the updates the bot gave up on (the postgres package): what kind of
// update, why, after how many attempts; never what the resident sent.
type Failures interface {
	RecordFailedUpdate(ctx context.Context, p coopbot.Platform, updateID int64, kind, errText string, attempts int) error
}

// Config configures the bot.
type Config struct {
	Platforms     []PlatformConfig
	Webhook       bool   // webhook mode; polling otherwise
	WebhookBase   string // public base URL the platforms post to
	WebhookSecret string
	// MaxInFlight bounds the updates taken in and not finished, over every platform and
	// webhook request (1,000).
	MaxInFlight   int
	HandleTimeout time.Duration // bound on one update (20 s)
	// SendTimeout bounds one Bot API call other than a long poll (15 s): a send that gets
	// no answer by then is uncertain, and the update is tried again.
	SendTimeout time.Duration
	// DrainTimeout bounds the wait, on the way out, for the updates in flight (5 s): those
	// not finished by then are left unconfirmed for the next process.
	DrainTimeout time.Duration
	Log          *slog.Logger
	Meter        Meter // counts replies against the shared send budget; nil: not counted
	Metrics      Metrics
	Failures     Failures // nil: updates given up are only logged
	FloodLimit   int      // updates one chat may send within the session store's flood window (20)
	Leases       Leases   // polling: one instance polls each token; nil polls without a lease
	Holder       string   // this instance's name in leases
	// Journal keeps the polled updates until they are finished (the redis package), so
	// that a poll confirms them at once and polling goes on while they are handled; nil
	// confirms an update only once it and every earlier one are finished.
	Journal Journal
}

// Journal keeps, per token (its account), the updates a poller took in and has not
// finished yet, so that a poller starting after a crash, or taking over the lease,
// handles them (the redis package).
type Journal interface {
	Keep(ctx context.Context, account string, updates map[int64][]byte) error
	Finished(ctx context.Context, account string, ids []int64) error
	Left(ctx context.Context, account string) (map[int64][]byte, error)
}

// Leases are named exclusive holds with expiry (the redis package).
type Leases interface {
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Bot serves every configured platform.
type Bot struct {
	cfg       Config
	engine    Engine
	begin     BeginFunc
	cat       Catalog
	log       *slog.Logger
	platforms map[coopbot.Platform]*platform
	metrics   Metrics
	handle    handler       // the chain every update goes through
	slots     chan struct{} // one per update in flight
	marks     marks

	intake   sync.RWMutex // guards closed against webhook requests arriving while stopping
	closed   bool
	requests sync.WaitGroup // webhook requests in flight
}

// Metrics counts what the bot does (the metrics package; nil counts nothing).
type Metrics interface {
	Update(p coopbot.Platform, outcome string, took time.Duration)
	Send(p coopbot.Platform, result string)
}

type noMetrics struct{}

func (noMetrics) Update(coopbot.Platform, string, time.Duration) {}
func (noMetrics) Send(coopbot.Platform, string)                  {}

// New builds a bot. Connect and Run start it.
func New(cfg Config, engine Engine, begin BeginFunc, cat Catalog) *Bot {
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = 1000
	}
	if cfg.HandleTimeout == 0 {
		cfg.HandleTimeout = 20 * time.Second
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = 5 * time.Second
	}
	if cfg.SendTimeout == 0 {
		cfg.SendTimeout = 15 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.FloodLimit == 0 {
		cfg.FloodLimit = 20
	}
	metrics := cfg.Metrics
	if metrics == nil {
		metrics = noMetrics{}
	}
	b := &Bot{cfg: cfg, metrics: metrics, engine: engine, begin: begin, cat: cat, log: cfg.Log,
		platforms: map[coopbot.Platform]*platform{}, slots: make(chan struct{}, cfg.MaxInFlight), marks: marks{m: map[string]*mark{}}}
	b.handle = chain(b.turn, b.recoverer, b.observe, b.answerPress)
	return b
}

// Connect reaches every platform, retrying while one is unreachable, until ctx ends.
func (b *Bot) Connect(ctx context.Context) error {
	for _, pc := range b.cfg.Platforms {
		p, err := connect(ctx, pc, b.cfg.SendTimeout, b.log)
		if err != nil {
			return err
		}
		p.account, p.meter, p.metrics, p.peers = account(pc.Platform, pc.Token), b.cfg.Meter, b.metrics, b.platforms
		b.platforms[pc.Platform] = p
		b.log.Info("platform connected", "platform", pc.Platform, "bot", p.api.Self.UserName)
		b.setCommands(p)
	}
	return nil
}

// Run handles updates until ctx ends: it polls each platform, or registers the webhooks
// (the HTTP handler is WebhookHandler). On return every update taken in has been finished,
// or DrainTimeout has passed.
func (b *Bot) Run(ctx context.Context) error {
	var loops sync.WaitGroup
	errc := make(chan error, len(b.platforms))
	for _, p := range b.platforms {
		loops.Add(1)
		go func() {
			defer loops.Done()
			var err error
			if b.cfg.Webhook {
				err = b.setWebhook(ctx, p)
			} else {
				err = b.poll(ctx, p)
			}
			if err != nil && ctx.Err() == nil {
				errc <- err
			}
		}()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	loops.Wait()
	b.stopRequests()
	return err
}

// stopRequests refuses webhook requests from now on (503: the platform brings them again)
// and waits for those in flight, at most DrainTimeout.
func (b *Bot) stopRequests() {
	b.intake.Lock()
	b.closed = true
	b.intake.Unlock()
	done := make(chan struct{})
	go func() { b.requests.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(b.cfg.DrainTimeout):
		b.log.Warn("webhook requests still in flight on the way out")
	}
}

// Outcomes of an attempt at an update, as counted in the metrics.
const (
	outcomeHandled     = "handled"
	outcomeDuplicate   = "duplicate"
	outcomeFlooded     = "flooded"
	outcomeIgnored     = "ignored"
	outcomeMalformed   = "malformed"
	outcomeUnavailable = "unavailable"
	outcomeFailed      = "failed"
)

// renderAll renders every reply before anything is sent, so a broken message never leaves
// a conversation half answered.
func (b *Bot) renderAll(res flows.Result) ([]*rendered, error) {
	out := make([]*rendered, 0, len(res.Replies))
	for _, r := range res.Replies {
		rr, err := render(b.cat, res.Lang, r)
		if err != nil {
			return nil, fmt.Errorf("render reply: %w", err)
		}
		out = append(out, rr)
	}
	return out, nil
}

// deliver sends an update's replies in order; the first toast answers the button press.
func (b *Bot) deliver(ctx context.Context, r *request, out []*rendered) error {
	for _, rr := range out {
		if rr.toast != "" {
			r.answer(rr.toast)
		}
		if err := r.p.send(ctx, r.up.ChatID, r.up.MessageID, rr); err != nil {
			return err
		}
	}
	return nil
}

// Send delivers a reply to a resident outside any conversation (notifications, reminders,
// broadcasts), rendered in the resident's language. A panic on the way is an internal
// error, logged with its stack.
func (b *Bot) Send(ctx context.Context, r *coopbot.Resident, reply coopbot.Reply) (err error) {
	defer b.recoverSend("send", &err)
	p := b.platforms[r.Platform]
	if p == nil {
		return &coopbot.Error{Code: coopbot.EUnreachable, Err: fmt.Errorf("platform %s not configured", r.Platform)}
	}
	rr, err := render(b.cat, r.Lang, reply)
	if err != nil {
		return err
	}
	return p.send(ctx, r.ChatID, 0, rr)
}

// recoverSend turns a panic in a send made for a job into an internal error.
func (b *Bot) recoverSend(what string, err *error) {
	if v := recover(); v != nil {
		b.log.Error(what+" panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		*err = &coopbot.Error{Code: coopbot.EInternal, Err: fmt.Errorf("%s: panic: %v", what, v)}
	}
}

// readyEvery is how often readiness asks a platform whether it answers.
const readyEvery = 30 * time.Second

// Ready reports whether every platform answered getMe recently, asking again when the
// last answer is older than readyEvery.
func (b *Bot) Ready(ctx context.Context) error {
	for _, p := range b.platforms {
		if err := p.ready(); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	return nil
}

func (p *platform) ready() error {
	p.readyMu.Lock()
	defer p.readyMu.Unlock()
	if time.Since(p.readyAt) < readyEvery {
		return p.readyErr
	}
	_, err := p.api.GetMe()
	p.readyAt, p.readyErr = time.Now(), p.classify(err, "getMe")
	return p.readyErr
}

// updateLog logs about one update with its platform, update id and chat id (never the
// text, which may hold personal data). It adds them only to lines that are written, so the
// hot path pays nothing for disabled levels.
type updateLog struct {
	log      *slog.Logger
	platform coopbot.Platform
	update   int64
	chat     int64
}

func (l updateLog) write(level slog.Level, msg string, args ...any) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, msg, append([]any{"platform", l.platform, "update_id", l.update, "chat_id", l.chat}, args...)...)
}

func (l updateLog) Debug(msg string, args ...any) { l.write(slog.LevelDebug, msg, args...) }
func (l updateLog) Info(msg string, args ...any)  { l.write(slog.LevelInfo, msg, args...) }
func (l updateLog) Warn(msg string, args ...any)  { l.write(slog.LevelWarn, msg, args...) }
func (l updateLog) Error(msg string, args ...any) { l.write(slog.LevelError, msg, args...) }
