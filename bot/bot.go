// Package bot connects coopbot to the messengers: it polls or takes webhooks for every
// configured platform (Telegram, Bale) from one process, hands each update to the
// conversation engine one at a time per chat, renders the engine's replies in the reader's
// language and sends them. It is the only package that imports the Telegram library, which
// stays behind the small platform type here.
package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"coopbot"
	"coopbot/flows"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Engine runs the conversations.
type Engine interface {
	Handle(ctx context.Context, stored []byte, up flows.Update) (flows.Result, error)
}

// Sessions hold conversation state and per-chat locks.
type Sessions interface {
	Begin(ctx context.Context, p coopbot.Platform, chatID, userID, updateID int64) (*coopbot.Turn, error)
	Commit(ctx context.Context, t *coopbot.Turn, state []byte) (bool, error)
	Abort(ctx context.Context, t *coopbot.Turn) error
}

// Config configures the bot.
type Config struct {
	Platforms     []PlatformConfig
	Webhook       bool   // webhook mode; polling otherwise
	WebhookBase   string // public base URL the platforms post to
	WebhookSecret string
	Shards        int           // chats handled concurrently (64)
	HandleTimeout time.Duration // bound on one update (20 s)
	Log           *slog.Logger
	Meter         Meter // counts replies against the shared send budget; nil: not counted
	Metrics       Metrics
	FloodLimit    int    // updates one chat may send within the session store's flood window (20)
	Leases        Leases // polling: one instance polls each token; nil polls without a lease
	Holder        string // this instance's name in leases
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
	sessions  Sessions
	cat       Catalog
	log       *slog.Logger
	platforms map[coopbot.Platform]*platform
	shards    []chan work
	wg        sync.WaitGroup
	intake    sync.RWMutex // guards closed against sends on closed shards
	closed    bool
	metrics   Metrics
	notedMu   sync.Mutex
	noted     map[string]struct{} // updates whose resident was told "try again later"
}

// Metrics counts what the bot does (the metrics package; nil counts nothing).
type Metrics interface {
	Update(p coopbot.Platform, outcome string, took time.Duration)
	Send(p coopbot.Platform, result string)
}

type noMetrics struct{}

func (noMetrics) Update(coopbot.Platform, string, time.Duration) {}
func (noMetrics) Send(coopbot.Platform, string)                  {}

type work struct {
	p    *platform
	u    tgbotapi.Update
	done chan error
}

// New builds a bot. Connect and Run start it.
func New(cfg Config, engine Engine, sessions Sessions, cat Catalog) *Bot {
	if cfg.Shards == 0 {
		cfg.Shards = 64
	}
	if cfg.HandleTimeout == 0 {
		cfg.HandleTimeout = 20 * time.Second
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
	return &Bot{cfg: cfg, metrics: metrics, noted: map[string]struct{}{}, engine: engine, sessions: sessions, cat: cat, log: cfg.Log, platforms: map[coopbot.Platform]*platform{}}
}

// Connect reaches every platform, retrying while one is unreachable, until ctx ends.
func (b *Bot) Connect(ctx context.Context) error {
	for _, pc := range b.cfg.Platforms {
		p, err := connect(ctx, pc, b.log)
		if err != nil {
			return err
		}
		p.account, p.meter, p.metrics = account(pc.Platform, pc.Token), b.cfg.Meter, b.metrics
		b.platforms[pc.Platform] = p
		b.log.Info("platform connected", "platform", pc.Platform, "bot", p.api.Self.UserName)
		b.setCommands(p)
	}
	return nil
}

// Run handles updates until ctx ends: it polls each platform, or registers the webhooks
// (the HTTP handler is WebhookHandler). On return every update taken in has been finished.
func (b *Bot) Run(ctx context.Context) error {
	b.shards = make([]chan work, b.cfg.Shards)
	for i := range b.shards {
		ch := make(chan work, 16)
		b.shards[i] = ch
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			for w := range ch {
				w.done <- b.handle(w.p, w.u)
			}
		}()
	}
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
	b.stopShards()
	return err
}

// stopShards lets every queued update finish, then stops the workers. Webhook requests
// still arriving get 503 once intake is closed.
func (b *Bot) stopShards() {
	b.intake.Lock()
	b.closed = true
	for _, ch := range b.shards {
		close(ch)
	}
	b.intake.Unlock()
	b.wg.Wait()
}

// submit queues an update behind the earlier ones of its chat and waits for it.
func (b *Bot) submit(ctx context.Context, p *platform, u tgbotapi.Update) error {
	return <-b.enqueue(ctx, p, u)
}

// enqueue puts an update on its chat's shard and returns where its result will arrive.
// Updates enqueued one after another keep their order within a chat.
func (b *Bot) enqueue(ctx context.Context, p *platform, u tgbotapi.Update) <-chan error {
	h := fnv.New32a()
	chat, user := ids(u)
	h.Write([]byte(string(p.name) + strconv.FormatInt(chat, 10) + ":" + strconv.FormatInt(user, 10)))
	w := work{p: p, u: u, done: make(chan error, 1)}
	b.intake.RLock()
	defer b.intake.RUnlock()
	if b.closed || b.shards == nil {
		w.done <- errStopping
		return w.done
	}
	select {
	case b.shards[h.Sum32()%uint32(len(b.shards))] <- w:
	case <-ctx.Done():
		w.done <- ctx.Err()
	}
	return w.done
}

var errStopping = errors.New("bot is stopping")

// handle runs one update: lock the chat, drop a duplicate, run the engine, send the
// replies, save the state. An error leaves the update unacknowledged so it comes again.
func (b *Bot) handle(p *platform, u tgbotapi.Update) error {
	start := time.Now()
	outcome, err := b.handleUpdate(p, u)
	b.metrics.Update(p.name, outcome, time.Since(start))
	return err
}

// Outcomes of an update, as counted in the metrics.
const (
	outcomeHandled     = "handled"
	outcomeDuplicate   = "duplicate"
	outcomeFlooded     = "flooded"
	outcomeIgnored     = "ignored"
	outcomeUnavailable = "unavailable"
	outcomeFailed      = "failed"
)

// finishTimeout is the time left after an update's deadline to release its chat, save its
// state and tell the resident, so that a step that ran out of time still ends cleanly.
const finishTimeout = 5 * time.Second

// lockWait bounds the wait for a chat another instance is answering (or that a killed
// instance left locked): the update is then refused and comes again, instead of holding up
// the updates of every other chat in its poll batch.
const lockWait = 5 * time.Second

func (b *Bot) handleUpdate(p *platform, u tgbotapi.Update) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.HandleTimeout)
	defer cancel()
	// fctx finishes the update (releases, saves, notes) even when ctx has run out.
	fctx, fcancel := context.WithTimeout(context.Background(), b.cfg.HandleTimeout+finishTimeout)
	defer fcancel()
	up, ok := decode(p.name, u)
	if !ok {
		return outcomeIgnored, nil // not something the bot reads (channel posts, group chats, …)
	}
	up.Account = p.account
	log := updateLog{b.log, p.name, up.ID, up.ChatID}
	bctx, bcancel := context.WithTimeout(ctx, min(lockWait, b.cfg.HandleTimeout))
	turn, err := b.sessions.Begin(bctx, up.Platform, up.ChatID, up.UserID, up.ID)
	bcancel()
	if err != nil {
		log.Warn("update not handled: session store", "err", err)
		b.noteOnce(fctx, p, up, coopbot.Persian, "error.unavailable")
		return outcomeUnavailable, err
	}
	if turn.Duplicate {
		b.sessions.Abort(fctx, turn)
		if up.Kind == flows.KindCallback {
			p.answer(up.CallbackID, "")
		}
		log.Debug("duplicate update dropped")
		return outcomeDuplicate, nil
	}
	if turn.Recent > b.cfg.FloodLimit {
		// One person sending far more than anyone types: their updates are dropped (the
		// first time with a note), so they cannot slow the bot down for others.
		b.sessions.Abort(fctx, turn)
		if turn.Recent == b.cfg.FloodLimit+1 {
			b.sendNote(fctx, p, up, langOf(turn.State), "error.flood")
		} else if up.Kind == flows.KindCallback {
			p.answer(up.CallbackID, "")
		}
		log.Info("update dropped: flood", "recent", turn.Recent)
		return outcomeFlooded, nil
	}
	res, err := b.engine.Handle(ctx, turn.State, up)
	if err != nil {
		lang := langOf(turn.State)
		if coopbot.ErrorCode(err) == coopbot.EUnavailable || ctx.Err() != nil {
			// Not acknowledged: the platform (or the poll loop) brings it again.
			b.sessions.Abort(fctx, turn)
			log.Warn("update not handled: dependency unavailable", "err", err)
			b.noteOnce(fctx, p, up, lang, "error.unavailable")
			if coopbot.ErrorCode(err) != coopbot.EUnavailable {
				err = &coopbot.Error{Code: coopbot.EUnavailable, Err: fmt.Errorf("update took longer than %s: %w", b.cfg.HandleTimeout, err)}
			}
			return outcomeUnavailable, err
		}
		// A bug: tell the resident, keep the old state, do not bring the update again.
		log.Error("update failed", "err", err)
		b.sendNote(fctx, p, up, lang, "error.internal")
		b.sessions.Commit(fctx, turn, nil)
		return outcomeFailed, nil
	}
	out, err := b.renderAll(res)
	if err != nil {
		// A bug (a message missing or malformed): same as a failed step.
		log.Error("update failed: render", "err", err)
		b.sendNote(fctx, p, up, res.Lang, "error.internal")
		b.sessions.Commit(fctx, turn, nil)
		return outcomeFailed, nil
	}
	if err := b.deliver(ctx, p, up, out); err != nil {
		switch code := coopbot.ErrorCode(err); {
		case code == coopbot.EUnavailable, code == coopbot.ERateLimited, code == coopbot.EUncertain, ctx.Err() != nil:
			// Not acknowledged: the same update comes again and is answered then (a reply
			// whose fate is unknown may then arrive twice).
			b.sessions.Abort(fctx, turn)
			log.Warn("update not handled: reply not sent", "err", err)
			if code != coopbot.EUnavailable && code != coopbot.ERateLimited && code != coopbot.EUncertain {
				err = &coopbot.Error{Code: coopbot.EUnavailable, Err: err}
			}
			return outcomeUnavailable, err
		}
		// Blocked by the person, or refused by the platform: nothing to try again.
		log.Warn("reply refused by the platform", "err", err)
	}
	saved, err := b.sessions.Commit(fctx, turn, res.State)
	if err != nil {
		log.Warn("state not saved", "err", err)
		return outcomeUnavailable, err
	}
	if !saved {
		log.Warn("chat lock expired before the update finished; state not saved")
	}
	log.Debug("update handled")
	return outcomeHandled, nil
}

// langOf reads the reader's language from a stored state, Persian when unknown.
func langOf(state []byte) coopbot.Lang {
	var st struct {
		P struct {
			L coopbot.Lang `json:"l"`
		} `json:"p"`
	}
	if json.Unmarshal(state, &st) == nil && st.P.L.Valid() {
		return st.P.L
	}
	return coopbot.Persian
}

// noteOnce tells the resident that the bot cannot answer right now, once per update: the
// update comes again until it is handled, the note should not.
func (b *Bot) noteOnce(ctx context.Context, p *platform, up flows.Update, lang coopbot.Lang, id string) {
	key := string(p.name) + ":" + strconv.FormatInt(up.ID, 10)
	b.notedMu.Lock()
	if _, ok := b.noted[key]; ok {
		b.notedMu.Unlock()
		if up.Kind == flows.KindCallback {
			p.answer(up.CallbackID, "")
		}
		return
	}
	if len(b.noted) > 10000 {
		clear(b.noted)
	}
	b.noted[key] = struct{}{}
	b.notedMu.Unlock()
	b.sendNote(ctx, p, up, lang, id)
}

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

// deliver sends an update's replies in order. A button press is always answered, so the
// client's spinner stops.
func (b *Bot) deliver(ctx context.Context, p *platform, up flows.Update, out []*rendered) error {
	answered := up.Kind != flows.KindCallback
	defer func() {
		if !answered {
			p.answer(up.CallbackID, "")
		}
	}()
	for _, rr := range out {
		if rr.toast != "" && !answered {
			p.answer(up.CallbackID, rr.toast)
			answered = true
		}
		if err := p.send(ctx, up.ChatID, up.MessageID, rr); err != nil {
			return err
		}
	}
	return nil
}

// sendNote tells the resident something went wrong, best effort.
func (b *Bot) sendNote(ctx context.Context, p *platform, up flows.Update, lang coopbot.Lang, id string) {
	rr, err := render(b.cat, lang, coopbot.Text(coopbot.M(id)))
	if err == nil {
		p.send(ctx, up.ChatID, 0, rr)
	}
	if up.Kind == flows.KindCallback {
		p.answer(up.CallbackID, "")
	}
}

// Send delivers a reply to a resident outside any conversation (notifications, reminders,
// broadcasts), rendered in the resident's language.
func (b *Bot) Send(ctx context.Context, r *coopbot.Resident, reply coopbot.Reply) error {
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
