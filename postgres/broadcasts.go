package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"coopbot"
	"coopbot/flows"

	"github.com/jackc/pgx/v5"
)

// Broadcasts. Confirming a broadcast writes the broadcast and one delivery row per
// recipient in one transaction (a single INSERT … SELECT); the delivery rows are the work
// queue. A Broadcaster runs on every instance: per platform it claims small batches of
// pending rows (FOR UPDATE SKIP LOCKED, so no row is claimed twice), and for each row
// waits for the shared rate limiter, marks it "sending" (which fails if the broadcast was
// cancelled meanwhile), sends, and records the outcome. Claims carry a deadline that their
// holder renews; when an instance dies its claims expire: rows never started go back to
// pending, rows that were on their way become "unknown" and are never resent.

// broadcastChannel is the Postgres NOTIFY channel that wakes every instance's runner when
// a broadcast is confirmed or cancelled.
const broadcastChannel = "coopbot_broadcasts"

// audienceWhere returns the condition selecting an audience's residents (alias r) and its
// arguments, numbered from $first. Unreachable residents are never part of an audience.
func audienceWhere(a flows.Audience, first int) (string, []any, error) {
	p := "$" + strconv.Itoa(first)
	switch a.Kind {
	case flows.AudienceAll:
		return "r.unreachable_at IS NULL", nil, nil
	case flows.AudienceNeighborhoods:
		if len(a.IDs) == 0 {
			return "", nil, coopbot.Errorf(coopbot.EInvalid, "")
		}
		return "r.unreachable_at IS NULL AND r.neighborhood_id = ANY(" + p + ")", []any{a.IDs}, nil
	case flows.AudienceCooperative:
		if len(a.IDs) != 1 {
			return "", nil, coopbot.Errorf(coopbot.EInvalid, "")
		}
		return `r.unreachable_at IS NULL AND EXISTS (SELECT 1 FROM join_requests j
			WHERE j.resident_id = r.id AND j.cooperative_id = ` + p + ` AND j.status = 'approved')`, []any{a.IDs[0]}, nil
	case flows.AudienceTraining:
		if len(a.IDs) != 1 {
			return "", nil, coopbot.Errorf(coopbot.EInvalid, "")
		}
		return `r.unreachable_at IS NULL AND EXISTS (SELECT 1 FROM training_enrollments e
			WHERE e.resident_id = r.id AND e.training_id = ` + p + ` AND e.status IN ('confirmed', 'waitlisted'))`, []any{a.IDs[0]}, nil
	case flows.AudienceLang:
		if !a.Lang.Valid() {
			return "", nil, coopbot.Errorf(coopbot.EInvalid, "")
		}
		return "r.unreachable_at IS NULL AND r.lang = " + p, []any{string(a.Lang)}, nil
	}
	return "", nil, &coopbot.Error{Code: coopbot.EInvalid, Err: fmt.Errorf("audience kind %q", a.Kind)}
}

// AudienceCounts counts the reachable residents of an audience per platform and language.
func (db *DB) AudienceCounts(ctx context.Context, a flows.Audience) ([]flows.AudienceCount, error) {
	where, args, err := audienceWhere(a, 1)
	if err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `SELECT r.platform, r.lang, count(*) FROM residents r WHERE `+where+` GROUP BY 1, 2 ORDER BY 1, 2`, args...)
	if err != nil {
		return nil, wrap(err, "count audience")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (flows.AudienceCount, error) {
		var c flows.AudienceCount
		err := row.Scan(&c.Platform, &c.Lang, &c.Residents)
		return c, err
	})
	return out, wrap(err, "count audience")
}

// AudienceCooperatives lists the active cooperatives, each with its approved members.
func (db *DB) AudienceCooperatives(ctx context.Context) ([]flows.AudienceChoice, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT c.id, c.name_fa, c.name_az,
			(SELECT count(DISTINCT j.resident_id) FROM join_requests j WHERE j.cooperative_id = c.id AND j.status = 'approved')
		FROM cooperatives c WHERE c.status = 'active' ORDER BY c.name_fa`)
	if err != nil {
		return nil, wrap(err, "list cooperatives for broadcast")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (flows.AudienceChoice, error) {
		var c flows.AudienceChoice
		err := row.Scan(&c.ID, &c.NameFa, &c.NameAz, &c.Members)
		return c, err
	})
	return out, wrap(err, "list cooperatives for broadcast")
}

// AudienceTrainings lists the trainings that started in the last 30 days or are to come
// and have enrollees (confirmed or wait-listed), soonest first.
func (db *DB) AudienceTrainings(ctx context.Context) ([]flows.AudienceChoice, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT t.id, t.title_fa, t.title_az, t.starts_at, count(DISTINCT e.resident_id)
		FROM trainings t JOIN training_enrollments e ON e.training_id = t.id AND e.status IN ('confirmed', 'waitlisted')
		WHERE t.starts_at >= now() - interval '30 days'
		GROUP BY t.id ORDER BY t.starts_at, t.id`)
	if err != nil {
		return nil, wrap(err, "list trainings for broadcast")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (flows.AudienceChoice, error) {
		var c flows.AudienceChoice
		err := row.Scan(&c.ID, &c.NameFa, &c.NameAz, &c.At, &c.Members)
		return c, err
	})
	return out, wrap(err, "list trainings for broadcast")
}

// CreateBroadcast writes the broadcast and one pending delivery per recipient in one
// transaction, and wakes the runners. It returns the broadcast's id and recipient count.
func (db *DB) CreateBroadcast(ctx context.Context, b flows.NewBroadcast) (int64, int, error) {
	where, args, err := audienceWhere(b.Audience, 2)
	if err != nil {
		return 0, 0, err
	}
	if b.TextFa == "" && b.TextAz == "" {
		return 0, 0, &coopbot.Error{Code: coopbot.EInvalid, Err: errors.New("broadcast without text")}
	}
	var nbh *int64
	if b.Audience.Kind == flows.AudienceNeighborhoods && len(b.Audience.IDs) == 1 {
		nbh = &b.Audience.IDs[0]
	}
	var start *time.Time
	if !b.StartAt.IsZero() {
		start = &b.StartAt
	}
	var res struct{ ID, Total int64 }
	err = db.once(ctx, "create broadcast", &res, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO broadcasts (created_by, audience, neighborhood_id, text_fa, text_az, start_at,
				progress_platform, progress_chat, progress_message, progress_lang)
			VALUES ($1, $2, $3, $4, $5, COALESCE($6, now()), $7, $8, $9, $10) RETURNING id`,
			b.CreatedBy, b.Audience, nbh, b.TextFa, b.TextAz, start,
			b.Progress.Platform, b.Progress.ChatID, b.Progress.MessageID, b.Progress.Lang).Scan(&res.ID)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO deliveries (broadcast_id, resident_id, platform)
			SELECT $1, r.id, r.platform FROM residents r WHERE `+where+` ORDER BY r.id`, append([]any{res.ID}, args...)...)
		if err != nil {
			return err
		}
		res.Total = tag.RowsAffected()
		id, total := res.ID, res.Total
		if _, err := tx.Exec(ctx, `
			UPDATE broadcasts SET total = $2,
				status = CASE WHEN start_at <= now() THEN 'running' ELSE 'scheduled' END,
				started_at = CASE WHEN start_at <= now() THEN now() END
			WHERE id = $1`, id, total); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, broadcastChannel, strconv.FormatInt(id, 10))
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	return res.ID, int(res.Total), nil
}

// BroadcastStatus returns a broadcast's counts.
func (db *DB) BroadcastStatus(ctx context.Context, id int64) (*flows.BroadcastStatus, error) {
	return db.broadcastStatus(ctx, db.Pool, id)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (db *DB) broadcastStatus(ctx context.Context, q querier, id int64) (*flows.BroadcastStatus, error) {
	s := &flows.BroadcastStatus{ID: id}
	var nbh *int64
	var finished *time.Time
	err := q.QueryRow(ctx, `SELECT status, created_by, neighborhood_id, total, start_at, finished_at FROM broadcasts WHERE id = $1`, id).
		Scan(&s.Status, &s.CreatedBy, &nbh, &s.Total, &s.StartAt, &finished)
	if err != nil {
		return nil, wrap(err, "load broadcast")
	}
	if nbh != nil {
		s.NeighborhoodID = *nbh
	}
	s.Finished = finished != nil
	rows, err := q.Query(ctx, `SELECT state, count(*) FROM deliveries WHERE broadcast_id = $1 GROUP BY state`, id)
	if err != nil {
		return nil, wrap(err, "count deliveries")
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, wrap(err, "count deliveries")
		}
		switch state {
		case "pending", "claimed", "sending":
			s.Pending += n
		case "sent":
			s.Sent = n
		case "unreachable":
			s.Unreachable = n
		case "failed":
			s.Failed = n
		case "unknown":
			s.Unknown = n
		case "cancelled":
			s.Cancelled = n
		}
	}
	return s, wrap(rows.Err(), "count deliveries")
}

// CancelBroadcast stops a scheduled or running broadcast: in the same transaction every
// delivery not yet on its way (pending or claimed) becomes cancelled, so no instance can
// start one after it commits. A broadcast that already ended is a conflict.
func (db *DB) CancelBroadcast(ctx context.Context, id, by int64) (*flows.BroadcastStatus, error) {
	var st *flows.BroadcastStatus
	err := db.once(ctx, "cancel broadcast", &st, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE broadcasts SET status = 'cancelled', cancelled_by = $2
			WHERE id = $1 AND status IN ('scheduled', 'running')`, id, by)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			if _, err := db.broadcastStatus(ctx, tx, id); err != nil {
				return err
			}
			return coopbot.Errorf(coopbot.EConflict, "")
		}
		if _, err := tx.Exec(ctx, `UPDATE deliveries SET state = 'cancelled', claimed_by = NULL, claimed_until = NULL, done_at = now()
			WHERE broadcast_id = $1 AND state IN ('pending', 'claimed')`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, broadcastChannel, strconv.FormatInt(id, 10)); err != nil {
			return err
		}
		st, err = db.broadcastStatus(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// BroadcastSender sends broadcast texts and keeps the staff member's progress message (the
// bot package).
type BroadcastSender interface {
	// Account names a platform's bot account for the rate limiter ("" when the platform
	// is not configured).
	Account(p coopbot.Platform) string
	// SendText sends one plain-text message. Its error's code tells what happened:
	// EUnreachable, ERateLimited (RetryAfter), EUncertain (maybe delivered), EUnavailable
	// (not sent), anything else (refused).
	SendText(ctx context.Context, p coopbot.Platform, chatID int64, text string) error
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

// BroadcastConfig configures a Broadcaster.
type BroadcastConfig struct {
	Sender  BroadcastSender
	Limiter Limiter
	Log     *slog.Logger
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

// Broadcaster delivers broadcasts; run one per instance.
type Broadcaster struct {
	db   *DB
	cfg  BroadcastConfig
	log  *slog.Logger
	wake chan struct{}

	mu       sync.Mutex
	active   []*activeBroadcast
	waiters  []chan struct{}
	troubled map[coopbot.Platform]time.Time // a platform that failed to answer: back off
	backoff  map[coopbot.Platform]time.Duration
	shown    map[int64]string // what each progress message last showed here
}

// activeBroadcast is a running broadcast as the send loops need it.
type activeBroadcast struct {
	id             int64
	textFa, textAz string
}

func (a *activeBroadcast) text(l coopbot.Lang) string {
	if l == coopbot.Azeri && a.textAz != "" || a.textFa == "" {
		return a.textAz
	}
	return a.textFa
}

// NewBroadcaster builds the runner of db's broadcasts. Run starts it.
func (db *DB) NewBroadcaster(cfg BroadcastConfig) *Broadcaster {
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
		log = db.log
	}
	return &Broadcaster{db: db, cfg: cfg, log: log.With("component", "broadcast"), wake: make(chan struct{}, 1),
		troubled: map[coopbot.Platform]time.Time{}, backoff: map[coopbot.Platform]time.Duration{}, shown: map[int64]string{}}
}

// Run delivers broadcasts until ctx ends. On return the sends on their way have been
// recorded and the rows claimed but not started are released to other instances.
func (b *Broadcaster) Run(ctx context.Context) error {
	if b.cfg.Sender == nil || b.cfg.Limiter == nil {
		return errors.New("broadcast runner: sender and limiter are required")
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
			b.renew(ctx)
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
func (b *Broadcaster) kick() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// listen wakes the runner when any instance confirms or cancels a broadcast. It holds a
// connection of its own, outside the pool.
func (b *Broadcaster) listen(ctx context.Context) {
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, b.db.Pool.Config().ConnConfig.Copy())
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+broadcastChannel)
			for err == nil {
				_, err = conn.WaitForNotification(ctx)
				if err == nil {
					b.kick()
				}
			}
			conn.Close(context.Background())
		}
		if ctx.Err() != nil {
			return
		}
		b.log.Warn("broadcast notifications lost, reconnecting", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
		}
	}
}

// tick does the shared chores: expire lost claims, start due broadcasts, refresh the
// list the send loops work on, finish what is done, edit progress messages and send the
// final reports.
func (b *Broadcaster) tick(ctx context.Context) {
	if err := b.expire(ctx); err != nil {
		b.log.Warn("expire broadcast claims", "err", err)
	}
	if _, err := b.db.Pool.Exec(ctx, `UPDATE broadcasts SET status = 'running', started_at = now()
		WHERE status = 'scheduled' AND start_at <= now()`); err != nil && ctx.Err() == nil {
		b.log.Warn("start scheduled broadcasts", "err", wrap(err, "start"))
	}
	if err := b.refresh(ctx); err != nil {
		if ctx.Err() == nil {
			b.log.Warn("list running broadcasts", "err", err)
		}
		return
	}
	b.notifyLoops()
	if _, err := b.db.Pool.Exec(ctx, `
		UPDATE broadcasts b SET status = CASE WHEN status = 'running' THEN 'done' ELSE status END, finished_at = now()
		WHERE status IN ('running', 'cancelled') AND finished_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.broadcast_id = b.id AND d.state = 'pending')
		AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.broadcast_id = b.id AND d.state IN ('claimed', 'sending'))`); err != nil {
		if ctx.Err() == nil {
			b.log.Warn("finish broadcasts", "err", wrap(err, "finish"))
		}
		return
	}
	b.progress(ctx)
	b.report(ctx)
}

// expire turns claims whose holder stopped renewing them into pending rows (never
// started) or unknown ones (on their way: they may have been delivered).
func (b *Broadcaster) expire(ctx context.Context) error {
	_, err := b.db.Pool.Exec(ctx, `
		UPDATE deliveries SET
			state = CASE state WHEN 'claimed' THEN 'pending' ELSE 'unknown' END,
			done_at = CASE state WHEN 'claimed' THEN NULL ELSE now() END,
			detail = CASE state WHEN 'claimed' THEN detail ELSE 'claim expired while sending' END,
			claimed_by = CASE state WHEN 'claimed' THEN NULL ELSE claimed_by END,
			claimed_until = NULL
		WHERE state IN ('claimed', 'sending') AND claimed_until < now()`)
	return wrap(err, "expire claims")
}

// renew extends this instance's claims.
func (b *Broadcaster) renew(ctx context.Context) {
	_, err := b.db.Pool.Exec(ctx, `UPDATE deliveries SET claimed_until = now() + make_interval(secs => $2)
		WHERE claimed_by = $1 AND state IN ('claimed', 'sending')`, b.cfg.Instance, b.cfg.ClaimTTL.Seconds())
	if err != nil && ctx.Err() == nil {
		b.log.Warn("renew broadcast claims", "err", wrap(err, "renew claims"))
	}
}

// release gives this instance's unstarted claims back, at shutdown.
func (b *Broadcaster) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := b.db.Pool.Exec(ctx, `UPDATE deliveries SET state = 'pending', claimed_by = NULL, claimed_until = NULL
		WHERE claimed_by = $1 AND state = 'claimed'`, b.cfg.Instance)
	if err != nil {
		b.log.Warn("release broadcast claims", "err", wrap(err, "release claims"))
	}
}

func (b *Broadcaster) refresh(ctx context.Context) error {
	rows, err := b.db.Pool.Query(ctx, `SELECT id, text_fa, text_az FROM broadcasts WHERE status = 'running' ORDER BY id`)
	if err != nil {
		return wrap(err, "list running broadcasts")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*activeBroadcast, error) {
		a := &activeBroadcast{}
		err := row.Scan(&a.id, &a.textFa, &a.textAz)
		return a, err
	})
	if err != nil {
		return wrap(err, "list running broadcasts")
	}
	b.mu.Lock()
	b.active = list
	b.mu.Unlock()
	return nil
}

func (b *Broadcaster) running() []*activeBroadcast {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.active
}

// idle waits until the runner refreshed the list (or ctx ends).
func (b *Broadcaster) idle(ctx context.Context) {
	ch := make(chan struct{})
	b.mu.Lock()
	b.waiters = append(b.waiters, ch)
	b.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

func (b *Broadcaster) notifyLoops() {
	b.mu.Lock()
	for _, ch := range b.waiters {
		close(ch)
	}
	b.waiters = nil
	b.mu.Unlock()
}

// claimed is a delivery this instance holds.
type claimed struct {
	id          int64
	broadcast   *activeBroadcast
	chatID      int64
	lang        coopbot.Lang
	residentID  int64
	unreachable bool
}

// claim takes up to n pending deliveries of broadcast a on platform p, the oldest first
// from after (a cursor, so that rows already taken are not scanned again).
func (b *Broadcaster) claim(ctx context.Context, a *activeBroadcast, p coopbot.Platform, n int, after int64) ([]claimed, error) {
	rows, err := b.db.Pool.Query(ctx, `
		WITH c AS (
			UPDATE deliveries d SET state = 'claimed', claimed_by = $4, claimed_until = now() + make_interval(secs => $5)
			WHERE d.id IN (
				SELECT id FROM deliveries
				WHERE broadcast_id = $1 AND platform = $2 AND state = 'pending' AND id > $6
				ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
			RETURNING d.id, d.resident_id)
		SELECT c.id, c.resident_id, COALESCE(r.chat_id, 0), COALESCE(r.lang, 'fa'), r.id IS NULL OR r.unreachable_at IS NOT NULL
		FROM c LEFT JOIN residents r ON r.id = c.resident_id ORDER BY c.id`,
		a.id, p, n, b.cfg.Instance, b.cfg.ClaimTTL.Seconds(), after)
	if err != nil {
		return nil, wrap(err, "claim deliveries")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (claimed, error) {
		c := claimed{broadcast: a}
		err := row.Scan(&c.id, &c.residentID, &c.chatID, &c.lang, &c.unreachable)
		return c, err
	})
	return out, wrap(err, "claim deliveries")
}

// next claims up to n deliveries on platform p from the oldest running broadcast that has
// some. cursors remembers, per broadcast, the last row claimed.
func (b *Broadcaster) next(ctx context.Context, p coopbot.Platform, n int, cursors map[int64]int64) ([]claimed, error) {
	running := b.running()
	for id := range cursors {
		if !slices.ContainsFunc(running, func(a *activeBroadcast) bool { return a.id == id }) {
			delete(cursors, id) // ended
		}
	}
	for _, a := range running {
		rows, err := b.claim(ctx, a, p, n, cursors[a.id])
		if err != nil {
			return nil, err
		}
		if len(rows) == 0 && cursors[a.id] > 0 {
			// Rows given back (a lost claim, a send to retry) sit behind the cursor.
			if rows, err = b.claim(ctx, a, p, n, 0); err != nil {
				return nil, err
			}
		}
		if len(rows) > 0 {
			cursors[a.id] = rows[len(rows)-1].id
			return rows, nil
		}
		delete(cursors, a.id)
	}
	return nil, nil
}

// sendLoop delivers one platform's rows: it keeps at most Batch claimed and Concurrency
// on their way, each after its turn from the rate limiter.
func (b *Broadcaster) sendLoop(ctx context.Context, p coopbot.Platform, account string) {
	sem := make(chan struct{}, b.cfg.Concurrency)
	freed := make(chan struct{}, 1)
	var held atomic.Int64 // claimed and not yet recorded
	var queue []claimed
	cursors := map[int64]int64{}
	defer func() {
		for range b.cfg.Concurrency {
			sem <- struct{}{} // the sends on their way are recorded
		}
	}()
	for ctx.Err() == nil {
		if until := b.troubledUntil(p); time.Now().Before(until) {
			sleepCtx(ctx, time.Until(until))
			continue
		}
		if len(queue) == 0 {
			n := b.cfg.Batch - int(held.Load())
			if n < max(1, b.cfg.Batch/2) {
				select {
				case <-freed:
				case <-ctx.Done():
				}
				continue
			}
			rows, err := b.next(ctx, p, n, cursors)
			if err != nil {
				if ctx.Err() == nil {
					b.log.Warn("claim deliveries", "platform", p, "err", err)
					sleepCtx(ctx, b.cfg.Poll)
				}
				continue
			}
			if len(rows) == 0 {
				b.idle(ctx)
				continue
			}
			held.Add(int64(len(rows)))
			queue = rows
		}
		row := queue[0]
		if row.unreachable {
			// Marked unreachable since it was queued (by another broadcast), or gone: skipped.
			queue = queue[1:]
			b.record(row, "unreachable", "resident unreachable")
			held.Add(-1)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		if err := b.cfg.Limiter.Wait(ctx, account); err != nil {
			<-sem
			if ctx.Err() == nil {
				b.log.Warn("rate limiter", "platform", p, "err", err)
				sleepCtx(ctx, b.cfg.Poll)
			}
			continue
		}
		queue = queue[1:]
		go func() {
			defer func() {
				held.Add(-1)
				<-sem
				select {
				case freed <- struct{}{}:
				default:
				}
			}()
			b.deliver(ctx, p, account, row)
		}()
	}
	// Rows still queued stay claimed; Run releases them once every loop stopped.
}

// deliver sends one claimed row and records what happened.
func (b *Broadcaster) deliver(ctx context.Context, p coopbot.Platform, account string, row claimed) {
	// Recording must survive shutdown: the send may already be on its way.
	rctx := context.WithoutCancel(ctx)
	tag, err := b.db.Pool.Exec(rctx, `UPDATE deliveries SET state = 'sending', attempts = attempts + 1
		WHERE id = $1 AND state = 'claimed' AND claimed_by = $2`, row.id, b.cfg.Instance)
	if err != nil {
		// Still claimed: it returns to pending when the claim expires.
		b.log.Warn("mark delivery sending", "delivery", row.id, "err", wrap(err, "mark sending"))
		return
	}
	if tag.RowsAffected() == 0 {
		return // cancelled, or the claim was lost and taken by another instance
	}
	err = b.cfg.Sender.SendText(rctx, p, row.chatID, row.broadcast.text(row.lang))
	switch coopbot.ErrorCode(err) {
	case "":
		b.fine(p)
		b.record(row, "sent", "")
	case coopbot.EUnreachable:
		b.fine(p)
		b.db.forgetUnreachable(rctx, p, row.chatID)
		b.record(row, "unreachable", errDetail(err))
	case coopbot.EUncertain:
		b.record(row, "unknown", errDetail(err))
	case coopbot.ERateLimited:
		var e *coopbot.Error
		errors.As(err, &e)
		pause, lerr := b.cfg.Limiter.Limited(rctx, account, e.RetryAfter)
		if lerr != nil {
			b.log.Warn("record rate limit", "platform", p, "err", lerr)
		}
		b.log.Info("platform rate limit: pausing", "platform", p, "retry_after", e.RetryAfter, "pause", pause)
		b.retry(row, false, errDetail(err))
	case coopbot.EUnavailable:
		b.trouble(p)
		b.retry(row, true, errDetail(err))
	default:
		b.record(row, "failed", errDetail(err))
	}
}

// errDetail is an error's text for the delivery row (tokens are redacted by the bot).
func errDetail(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// record stores a delivery's outcome (and marks the resident unreachable with it, or
// reachable again when a send reached them after a mark). A row whose claim expired while
// it was on its way (now unknown) still gets the outcome learned since.
func (b *Broadcaster) record(row claimed, state, detail string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := b.db.Pool.Exec(ctx, `
		WITH d AS (
			UPDATE deliveries SET state = $3, done_at = now(), detail = $4, claimed_until = NULL
			WHERE id = $1 AND claimed_by = $2 AND state IN ('claimed', 'sending', 'unknown')
			RETURNING resident_id)
		UPDATE residents SET unreachable_at = CASE WHEN $3 = 'unreachable' THEN now() END
		WHERE id IN (SELECT resident_id FROM d)
		  AND ($3 = 'unreachable' AND unreachable_at IS NULL OR $3 = 'sent' AND unreachable_at IS NOT NULL)`,
		row.id, b.cfg.Instance, state, detail)
	if err != nil {
		b.log.Error("record delivery", "delivery", row.id, "state", state, "err", wrap(err, "record delivery"))
	}
}

// retry gives back a delivery that was surely not sent: to pending, or failed once it
// used its attempts (counted only when counts is set: a rate-limit answer is not the
// recipient's fault).
func (b *Broadcaster) retry(row claimed, counts bool, detail string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := b.db.Pool.Exec(ctx, `UPDATE deliveries SET
			attempts = CASE WHEN $3 THEN attempts ELSE attempts - 1 END,
			state = CASE WHEN $3 AND attempts >= $4 THEN 'failed' ELSE 'pending' END,
			done_at = CASE WHEN $3 AND attempts >= $4 THEN now() END,
			detail = $5, claimed_by = NULL, claimed_until = NULL
		WHERE id = $1 AND claimed_by = $2 AND state IN ('sending', 'unknown')`,
		row.id, b.cfg.Instance, counts, b.cfg.MaxAttempts, detail)
	if err != nil {
		b.log.Error("give back delivery", "delivery", row.id, "err", wrap(err, "retry delivery"))
	}
}

// trouble backs the platform's loop off after a send that found the platform
// unreachable: 1 s, doubling to 30 s while it lasts (the sends that fail together during
// one back-off count once).
func (b *Broadcaster) trouble(p coopbot.Platform) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Now().Before(b.troubled[p]) {
		return
	}
	d := min(max(2*b.backoff[p], time.Second), 30*time.Second)
	b.backoff[p] = d
	b.troubled[p] = time.Now().Add(d)
}

func (b *Broadcaster) fine(p coopbot.Platform) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backoff[p] = 0
}

func (b *Broadcaster) troubledUntil(p coopbot.Platform) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.troubled[p]
}

// progressRow is what the runner needs to edit a progress message.
type progressRow struct {
	id      int64
	staff   coopbot.Resident
	message int
}

// progress edits the progress messages of running broadcasts that are due (one instance
// edits each, at most every ProgressEvery), and posts one for a scheduled broadcast that
// has none yet.
func (b *Broadcaster) progress(ctx context.Context) {
	rows, err := b.db.Pool.Query(ctx, `
		UPDATE broadcasts SET progress_at = now()
		WHERE (status = 'running' OR status = 'scheduled' AND progress_message = 0)
		AND progress_at <= now() - make_interval(secs => $1)
		RETURNING id, progress_platform, progress_chat, progress_message, progress_lang`, b.cfg.ProgressEvery.Seconds())
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("progress", "err", wrap(err, "progress"))
		}
		return
	}
	due, err := pgx.CollectRows(rows, scanProgress)
	if err != nil {
		b.log.Warn("progress", "err", wrap(err, "progress"))
		return
	}
	for _, pr := range due {
		st, err := b.status(ctx, pr.id)
		if err != nil {
			b.log.Warn("progress", "broadcast", pr.id, "err", err)
			continue
		}
		// An edit costs a send of the account's budget: skip it when nothing shown changed
		// (a paused broadcast).
		key := fmt.Sprint(st.Status, st.Pending, st.Sent, st.Unreachable, st.Failed, st.Unknown, st.Finish.Truncate(time.Minute).Unix())
		b.mu.Lock()
		same := b.shown[pr.id] == key && pr.message != 0
		b.shown[pr.id] = key
		b.mu.Unlock()
		if !same {
			b.show(ctx, pr, flows.BroadcastProgressReply(*st, time.Now()))
		}
	}
}

func scanProgress(row pgx.CollectableRow) (progressRow, error) {
	var pr progressRow
	err := row.Scan(&pr.id, &pr.staff.Platform, &pr.staff.ChatID, &pr.message, &pr.staff.Lang)
	return pr, err
}

// status is BroadcastStatus with the estimated finish: what is left on each platform at
// the rate its account is allowed now.
func (b *Broadcaster) status(ctx context.Context, id int64) (*flows.BroadcastStatus, error) {
	st, err := b.db.BroadcastStatus(ctx, id)
	if err != nil || st.Status != flows.BroadcastRunning {
		return st, err
	}
	rows, err := b.db.Pool.Query(ctx, `SELECT platform, count(*) FROM deliveries
		WHERE broadcast_id = $1 AND state IN ('pending', 'claimed', 'sending') GROUP BY platform`, id)
	if err != nil {
		return nil, wrap(err, "count pending deliveries")
	}
	left, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct {
		p coopbot.Platform
		n int
	}, error) {
		var v struct {
			p coopbot.Platform
			n int
		}
		err := row.Scan(&v.p, &v.n)
		return v, err
	})
	if err != nil {
		return nil, wrap(err, "count pending deliveries")
	}
	var longest time.Duration
	for _, l := range left {
		account := b.cfg.Sender.Account(l.p)
		if account == "" {
			continue
		}
		rate, err := b.cfg.Limiter.Rate(ctx, account)
		if err != nil || rate <= 0 {
			continue
		}
		longest = max(longest, time.Duration(float64(l.n)/rate*float64(time.Second)))
	}
	st.Finish = time.Now().Add(longest)
	return st, nil
}

// show edits a progress message, or posts a new one when there is none (or it can no
// longer be edited) and remembers it.
func (b *Broadcaster) show(ctx context.Context, pr progressRow, reply coopbot.Reply) {
	if pr.message != 0 {
		err := b.cfg.Sender.Edit(ctx, &pr.staff, pr.message, reply)
		switch coopbot.ErrorCode(err) {
		case "", coopbot.EUnreachable, coopbot.ERateLimited, coopbot.EUnavailable, coopbot.EUncertain:
			if err != nil {
				b.log.Info("progress message not edited", "broadcast", pr.id, "err", err)
			}
			return
		}
		b.log.Info("progress message not editable, posting a new one", "broadcast", pr.id, "err", err)
	}
	msg, err := b.cfg.Sender.Post(ctx, &pr.staff, reply)
	if err != nil {
		b.log.Info("progress message not sent", "broadcast", pr.id, "err", err)
		return
	}
	if _, err := b.db.Pool.Exec(ctx, `UPDATE broadcasts SET progress_message = $2 WHERE id = $1`, pr.id, msg); err != nil {
		b.log.Warn("remember progress message", "broadcast", pr.id, "err", wrap(err, "progress message"))
	}
}

// report sends each ended broadcast's final report once: the progress message shows the
// final counts and a new message carries the report. It waits for the last progress
// edit to be ProgressEvery old, so that an edit still on its way cannot overwrite it.
func (b *Broadcaster) report(ctx context.Context) {
	rows, err := b.db.Pool.Query(ctx, `
		UPDATE broadcasts SET reported_at = now(), progress_at = now()
		WHERE reported_at IS NULL AND finished_at IS NOT NULL AND status IN ('done', 'cancelled')
		AND progress_at <= now() - make_interval(secs => $1)
		RETURNING id, progress_platform, progress_chat, progress_message, progress_lang`, min(b.cfg.ProgressEvery, 2*time.Second).Seconds())
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("report", "err", wrap(err, "report"))
		}
		return
	}
	due, err := pgx.CollectRows(rows, scanProgress)
	if err != nil {
		b.log.Warn("report", "err", wrap(err, "report"))
		return
	}
	for _, pr := range due {
		b.mu.Lock()
		delete(b.shown, pr.id)
		b.mu.Unlock()
		st, err := b.db.BroadcastStatus(ctx, pr.id)
		if err != nil {
			b.log.Warn("report", "broadcast", pr.id, "err", err)
			continue
		}
		b.show(ctx, pr, flows.BroadcastProgressReply(*st, time.Now()))
		if _, err := b.cfg.Sender.Post(ctx, &pr.staff, flows.BroadcastReportReply(*st)); err != nil {
			b.log.Warn("final report not sent", "broadcast", pr.id, "err", err)
		}
		b.log.Info("broadcast ended", "broadcast", pr.id, "status", st.Status, "total", st.Total, "sent", st.Sent,
			"unreachable", st.Unreachable, "failed", st.Failed, "unknown", st.Unknown, "cancelled", st.Cancelled)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
