// Package broadcaster delivers staff broadcasts. It runs on every instance: per platform
// a send loop claims small batches of deliveries from the store, and for each waits for
// the shared rate limiter, marks it on its way (which fails once the broadcast was
// cancelled), sends and records the outcome; a runner expires lost claims, starts due
// broadcasts, finishes those with nothing left, edits the staff members' progress
// messages and has the final reports queued. The store (postgres) guarantees that no
// delivery is claimed twice; this package holds no state that a crash could lose.
package broadcaster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"

	"coopbot"
)

// Broadcasts is the broadcasts' lifecycle in the system of record (postgres).
type Broadcasts interface {
	// ListenBroadcasts calls changed whenever any instance confirms or cancels a
	// broadcast; it returns when ctx ends or its connection fails.
	ListenBroadcasts(ctx context.Context, changed func()) error
	// StartDueBroadcasts starts the scheduled broadcasts whose time has come.
	StartDueBroadcasts(ctx context.Context) error
	// RunningBroadcasts lists the running broadcasts with their texts, oldest first.
	RunningBroadcasts(ctx context.Context) ([]coopbot.RunningBroadcast, error)
	// FinishBroadcasts marks the broadcasts with nothing pending or on its way finished.
	FinishBroadcasts(ctx context.Context) error
}

// Claims hands deliveries to instances. A claim holds until ttl from its last renewal.
type Claims interface {
	// ClaimDeliveries claims up to n pending deliveries of a broadcast on platform p, the
	// oldest first from after (a cursor).
	ClaimDeliveries(ctx context.Context, broadcast int64, p coopbot.Platform, n int, after int64, instance string, ttl time.Duration) ([]coopbot.Delivery, error)
	RenewClaims(ctx context.Context, instance string, ttl time.Duration) error
	// ExpireClaims returns claims whose holder stopped renewing them to pending (never
	// started) or records them unknown (on their way: they may have been delivered).
	ExpireClaims(ctx context.Context) error
	// ReleaseClaims returns instance's claims not started to pending.
	ReleaseClaims(ctx context.Context, instance string) error
}

// Records writes what became of the deliveries an instance holds.
type Records interface {
	// StartSending marks a claimed delivery on its way; false when it is no longer the
	// instance's to send (cancelled, or the claim was lost).
	StartSending(ctx context.Context, delivery int64, instance string) (bool, error)
	// RecordDelivery stores a tried delivery's outcome (and the resident's mark).
	RecordDelivery(ctx context.Context, delivery int64, instance string, outcome coopbot.DeliveryOutcome, detail string) error
	// GiveBack returns a delivery that was surely not sent to pending; one that used
	// maxAttempts counted attempts fails.
	GiveBack(ctx context.Context, delivery int64, instance string, counted bool, maxAttempts int, detail string) error
}

// Progress keeps the staff members' progress messages and the final reports.
type Progress interface {
	// DueProgress takes the progress messages due an edit (last edited every ago), one
	// instance each.
	DueProgress(ctx context.Context, every time.Duration) ([]coopbot.ProgressMessage, error)
	BroadcastStatus(ctx context.Context, id int64) (*coopbot.BroadcastStatus, error)
	// PendingDeliveries counts a broadcast's deliveries not handled yet, per platform.
	PendingDeliveries(ctx context.Context, id int64) (map[coopbot.Platform]int, error)
	// SetProgressMessage remembers the message that shows a broadcast's progress.
	SetProgressMessage(ctx context.Context, id int64, msgID int) error
	// ReportEnded marks the ended broadcasts reported whose last edit is settle old and,
	// in the same transaction, queues each one's final report to its staff member (a job
	// retried until it is sent, so it is sent exactly when the broadcast is marked); it
	// returns their progress messages, once, to the instance that took them.
	ReportEnded(ctx context.Context, settle time.Duration) ([]coopbot.ProgressMessage, error)
}

// Store is the system of record of broadcasts.
type Store interface {
	Broadcasts
	Claims
	Records
	Progress
}

// Sender sends broadcast texts and keeps the progress messages (the bot package).
type Sender interface {
	// Account names a platform's bot account for the rate limiter ("" when the platform
	// is not configured).
	Account(p coopbot.Platform) string
	// SendText sends one plain-text message. Its error's code tells what happened:
	// EUnreachable, ERateLimited (RetryAfter), EUncertain (maybe delivered), EUnavailable
	// (not sent), anything else (refused).
	SendText(ctx context.Context, p coopbot.Platform, chatID int64, text string) error
	// SendAnnouncement sends one message of a broadcast that carries a file (by its id,
	// the text as its caption) or a button, rendered in lang; its errors are SendText's.
	SendAnnouncement(ctx context.Context, p coopbot.Platform, chatID int64, lang coopbot.Lang, reply coopbot.Reply) error
	// Post sends a reply and returns its message id.
	Post(ctx context.Context, r *coopbot.Resident, reply coopbot.Reply) (int, error)
	// Edit replaces a message's text and inline buttons.
	Edit(ctx context.Context, r *coopbot.Resident, msgID int, reply coopbot.Reply) error
}

// Limiter paces sends per bot account across instances (the redis package).
type Limiter interface {
	// Wait blocks until one send may go out on account.
	Wait(ctx context.Context, account string) error
	// Limited records a rate-limit answer: nothing goes out on account for the returned
	// pause, and the rate steps down.
	Limited(ctx context.Context, account string, retryAfter time.Duration) (time.Duration, error)
	// Rate is the sends per second account is allowed now.
	Rate(ctx context.Context, account string) (float64, error)
}

// Messages words the progress message (the flows package).
type Messages interface {
	// BroadcastProgress is the progress message of a broadcast as it stands at now: while
	// it is scheduled or runs, and its final counts once it ended.
	BroadcastProgress(s coopbot.BroadcastStatus, now time.Time) coopbot.Reply
	// Announcement is what a reader of l gets of a broadcast that is not text alone: its
	// text with its file and its button.
	Announcement(b *coopbot.RunningBroadcast, l coopbot.Lang) coopbot.Reply
}

// Config configures a Runner.
type Config struct {
	Store    Store
	Sender   Sender
	Limiter  Limiter
	Messages Messages
	Log      *slog.Logger
	// Batch is how many deliveries one platform's loop holds claimed at most (16): after a
	// crash at most this many wait for their claim to expire.
	Batch int
	// Concurrency is how many sends of one platform are on their way at once (8): after a
	// crash at most this many become unknown.
	Concurrency int
	// ClaimTTL is how long a claim holds without renewal (30 s); the holder renews it
	// every third of that.
	ClaimTTL time.Duration
	// Poll is how often the runner looks for work, besides being woken (1 s).
	Poll time.Duration
	// ProgressEvery spaces the edits of a progress message (3 s).
	ProgressEvery time.Duration
	// MaxAttempts bounds the sends that fail before being written (5).
	MaxAttempts int
	// Instance names this process in claims (random by default).
	Instance string
}

// Runner delivers broadcasts; run one per instance.
type Runner struct {
	store Store
	cfg   Config
	log   *slog.Logger
	wake  chan struct{}

	mu       sync.Mutex
	running  []coopbot.RunningBroadcast
	waiters  []chan struct{}
	troubled map[coopbot.Platform]time.Time // a platform that failed to answer: back off
	backoff  map[coopbot.Platform]time.Duration
	shown    map[int64]string // what each progress message last showed here
}

// New builds a runner. Run starts it.
func New(cfg Config) *Runner {
	if cfg.Batch <= 0 {
		cfg.Batch = 16
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	cfg.Concurrency = min(cfg.Concurrency, cfg.Batch)
	if cfg.ClaimTTL <= 0 {
		cfg.ClaimTTL = 30 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 3 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Instance == "" {
		host, _ := os.Hostname()
		b := make([]byte, 6)
		rand.Read(b)
		cfg.Instance = host + "-" + hex.EncodeToString(b)
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	return &Runner{store: cfg.Store, cfg: cfg, log: log.With("component", "broadcast"), wake: make(chan struct{}, 1),
		troubled: map[coopbot.Platform]time.Time{}, backoff: map[coopbot.Platform]time.Duration{}, shown: map[int64]string{}}
}

// Run delivers broadcasts until ctx ends. On return the sends on their way have been
// recorded and the rows claimed but not started are released to other instances.
func (b *Runner) Run(ctx context.Context) error {
	if b.store == nil || b.cfg.Sender == nil || b.cfg.Limiter == nil || b.cfg.Messages == nil {
		return errors.New("broadcast runner: store, sender, limiter and messages are required")
	}
	var wg sync.WaitGroup
	for _, p := range []coopbot.Platform{coopbot.Telegram, coopbot.Bale} {
		if account := b.cfg.Sender.Account(p); account != "" {
			wg.Add(1)
			go func() { defer wg.Done(); b.sendLoop(ctx, p, account) }()
		}
	}
	wg.Add(1)
	go func() { defer wg.Done(); b.listen(ctx) }()
	tick := time.NewTicker(b.cfg.Poll)
	defer tick.Stop()
	lastRenew := time.Now()
	for {
		b.tick(ctx)
		if time.Since(lastRenew) >= b.cfg.ClaimTTL/3 {
			if err := b.store.RenewClaims(ctx, b.cfg.Instance, b.cfg.ClaimTTL); err != nil && ctx.Err() == nil {
				b.log.Warn("renew broadcast claims", "err", err)
			}
			lastRenew = time.Now()
		}
		select {
		case <-ctx.Done():
			b.notifyLoops()
			wg.Wait()
			b.release()
			return nil
		case <-tick.C:
		case <-b.wake:
		}
	}
}

// kick wakes the runner (and, through it, the send loops).
func (b *Runner) kick() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// listen wakes the runner when any instance confirms or cancels a broadcast.
func (b *Runner) listen(ctx context.Context) {
	for ctx.Err() == nil {
		err := b.store.ListenBroadcasts(ctx, b.kick)
		if ctx.Err() != nil {
			return
		}
		b.log.Warn("broadcast notifications lost, reconnecting", "err", err)
		sleepCtx(ctx, 5*time.Second)
	}
}

// tick does the shared chores: expire lost claims, start due broadcasts, refresh the
// list the send loops work on, finish what is done, edit progress messages and have the
// final reports sent.
func (b *Runner) tick(ctx context.Context) {
	warn := func(what string, err error) {
		if err != nil && ctx.Err() == nil {
			b.log.Warn(what, "err", err)
		}
	}
	warn("expire broadcast claims", b.store.ExpireClaims(ctx))
	warn("start scheduled broadcasts", b.store.StartDueBroadcasts(ctx))
	list, err := b.store.RunningBroadcasts(ctx)
	if err != nil {
		warn("list running broadcasts", err)
		return
	}
	b.mu.Lock()
	b.running = list
	b.mu.Unlock()
	b.notifyLoops()
	if err := b.store.FinishBroadcasts(ctx); err != nil {
		warn("finish broadcasts", err)
		return
	}
	b.progress(ctx)
	b.report(ctx)
}

// release gives this instance's unstarted claims back, at shutdown.
func (b *Runner) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.store.ReleaseClaims(ctx, b.cfg.Instance); err != nil {
		b.log.Warn("release broadcast claims", "err", err)
	}
}

func (b *Runner) runningBroadcasts() []coopbot.RunningBroadcast {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.running
}

// idle waits until the runner refreshed the list (or ctx ends).
func (b *Runner) idle(ctx context.Context) {
	ch := make(chan struct{})
	b.mu.Lock()
	b.waiters = append(b.waiters, ch)
	b.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

func (b *Runner) notifyLoops() {
	b.mu.Lock()
	for _, ch := range b.waiters {
		close(ch)
	}
	b.waiters = nil
	b.mu.Unlock()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
