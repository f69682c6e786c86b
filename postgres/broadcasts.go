package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf16"

	"coopbot"

	"github.com/jackc/pgx/v5"
)

// Broadcasts. Confirming a broadcast writes the broadcast and one delivery row per
// recipient in one transaction (a single INSERT … SELECT); the delivery rows are the work
// queue, worked by the broadcast runner (package broadcaster) of every instance through
// the methods below: claims of small batches of pending rows (FOR UPDATE SKIP LOCKED, so
// no row is claimed twice), "sending" marks (which fail once the broadcast was cancelled
// or the claim lost), outcomes. Claims carry a deadline that their holder renews; when an
// instance dies its claims expire: rows never started go back to pending, rows that were
// on their way become "unknown" and are never resent.

// broadcastChannel is the Postgres NOTIFY channel that wakes every instance's runner when
// a broadcast is confirmed or cancelled.
const broadcastChannel = "coopbot_broadcasts"

// audienceWhere returns the condition selecting an audience's residents (alias r) and its
// arguments, numbered from $first. Unreachable residents are never part of an audience.
func audienceWhere(a coopbot.Audience, first int) (string, []any, error) {
	p := "$" + strconv.Itoa(first)
	switch a.Kind {
	case coopbot.AudienceAll:
		return "r.unreachable_at IS NULL", nil, nil
	case coopbot.AudienceNeighborhoods:
		if len(a.IDs) == 0 {
			return "", nil, coopbot.Errorf(coopbot.EInvalid, "")
		}
		return "r.unreachable_at IS NULL AND r.neighborhood_id = ANY(" + p + ")", []any{a.IDs}, nil
	case coopbot.AudienceCooperative:
		if len(a.IDs) != 1 {
			return "", nil, coopbot.Errorf(coopbot.EInvalid, "")
		}
		return `r.unreachable_at IS NULL AND EXISTS (SELECT 1 FROM join_requests j
			WHERE j.resident_id = r.id AND j.cooperative_id = ` + p + ` AND j.status = 'approved')`, []any{a.IDs[0]}, nil
	case coopbot.AudienceTraining:
		if len(a.IDs) != 1 {
			return "", nil, coopbot.Errorf(coopbot.EInvalid, "")
		}
		return `r.unreachable_at IS NULL AND EXISTS (SELECT 1 FROM training_enrollments e
			WHERE e.resident_id = r.id AND e.training_id = ` + p + ` AND e.status IN ('confirmed', 'waitlisted'))`, []any{a.IDs[0]}, nil
	case coopbot.AudienceLang:
		if !a.Lang.Valid() {
			return "", nil, coopbot.Errorf(coopbot.EInvalid, "")
		}
		return "r.unreachable_at IS NULL AND r.lang = " + p, []any{string(a.Lang)}, nil
	}
	return "", nil, &coopbot.Error{Code: coopbot.EInvalid, Err: fmt.Errorf("audience kind %q", a.Kind)}
}

// AudienceCounts counts the reachable residents of an audience per platform and language.
func (db *DB) AudienceCounts(ctx context.Context, a coopbot.Audience) ([]coopbot.AudienceCount, error) {
	where, args, err := audienceWhere(a, 1)
	if err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `SELECT r.platform, r.lang, count(*) FROM residents r WHERE `+where+` GROUP BY 1, 2 ORDER BY 1, 2`, args...)
	if err != nil {
		return nil, wrap(err, "count audience")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.AudienceCount, error) {
		var c coopbot.AudienceCount
		err := row.Scan(&c.Platform, &c.Lang, &c.Residents)
		return c, err
	})
	return out, wrap(err, "count audience")
}

// AudienceCooperatives lists the active cooperatives, each with its approved members.
func (db *DB) AudienceCooperatives(ctx context.Context) ([]coopbot.AudienceChoice, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT c.id, c.name_fa, c.name_az,
			(SELECT count(DISTINCT j.resident_id) FROM join_requests j WHERE j.cooperative_id = c.id AND j.status = 'approved')
		FROM cooperatives c WHERE c.status = 'active' ORDER BY c.name_fa`)
	if err != nil {
		return nil, wrap(err, "list cooperatives for broadcast")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.AudienceChoice, error) {
		var c coopbot.AudienceChoice
		err := row.Scan(&c.ID, &c.NameFa, &c.NameAz, &c.Members)
		return c, err
	})
	return out, wrap(err, "list cooperatives for broadcast")
}

// AudienceTrainings lists the trainings that started in the last 30 days or are to come
// and have enrollees (confirmed or wait-listed), soonest first.
func (db *DB) AudienceTrainings(ctx context.Context) ([]coopbot.AudienceChoice, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT t.id, t.title_fa, t.title_az, t.starts_at, count(DISTINCT e.resident_id)
		FROM trainings t JOIN training_enrollments e ON e.training_id = t.id AND e.status IN ('confirmed', 'waitlisted')
		WHERE t.starts_at >= now() - interval '30 days'
		GROUP BY t.id ORDER BY t.starts_at, t.id`)
	if err != nil {
		return nil, wrap(err, "list trainings for broadcast")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.AudienceChoice, error) {
		var c coopbot.AudienceChoice
		err := row.Scan(&c.ID, &c.NameFa, &c.NameAz, &c.At, &c.Members)
		return c, err
	})
	return out, wrap(err, "list trainings for broadcast")
}

// CreateBroadcast writes the broadcast and one pending delivery per recipient in one
// transaction, and wakes the runners. It returns the broadcast's id and recipient count.
// A Key its author used before creates nothing: it returns the first broadcast's id and
// count with a conflict ("console.broadcasts.sent_already").
func (db *DB) CreateBroadcast(ctx context.Context, b coopbot.NewBroadcast) (int64, int, error) {
	where, args, err := audienceWhere(b.Audience, 2)
	if err != nil {
		return 0, 0, err
	}
	if b.TextFa == "" && b.TextAz == "" {
		return 0, 0, &coopbot.Error{Code: coopbot.EInvalid, Err: errors.New("broadcast without text")}
	}
	var nbh *int64
	if n := b.Audience.Neighborhood(); n != 0 {
		nbh = &n
	}
	var start *time.Time
	if !b.StartAt.IsZero() {
		start = &b.StartAt
	}
	if b.File != nil && !b.File.Valid() || b.Button != nil && !b.Button.Valid() {
		return 0, 0, &coopbot.Error{Code: coopbot.EInvalid, Err: errors.New("broadcast with an invalid file or button")}
	}
	if b.File != nil && (utf16Len(b.TextFa) > coopbot.MaxCaption || utf16Len(b.TextAz) > coopbot.MaxCaption) {
		return 0, 0, &coopbot.Error{Code: coopbot.EInvalid, Err: errors.New("broadcast with a file and a text longer than a caption")}
	}
	var key *string
	if b.Key != "" {
		key = &b.Key
	}
	var res struct{ ID, Total int64 }
	err = db.once(ctx, "create broadcast", &res, func(tx pgx.Tx) error {
		if err := buttonOpen(ctx, tx, b.Button); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `
			INSERT INTO broadcasts (created_by, audience, neighborhood_id, text_fa, text_az, start_at,
				progress_platform, progress_chat, progress_message, progress_lang, file, button, submit_key)
			VALUES ($1, $2, $3, $4, $5, COALESCE($6, now()), $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (created_by, submit_key) WHERE submit_key IS NOT NULL DO NOTHING RETURNING id`,
			b.CreatedBy, b.Audience, nbh, b.TextFa, b.TextAz, start,
			b.Progress.Platform, b.Progress.ChatID, b.Progress.MessageID, b.Progress.Lang, b.File, b.Button, key).Scan(&res.ID)
		if errors.Is(err, pgx.ErrNoRows) && key != nil {
			// The form was sent before: the first broadcast, and nothing new.
			if err := tx.QueryRow(ctx, `SELECT id, total FROM broadcasts WHERE created_by = $1 AND submit_key = $2`,
				b.CreatedBy, *key).Scan(&res.ID, &res.Total); err != nil {
				return err
			}
			return &coopbot.Error{Code: coopbot.EConflict, MsgID: "console.broadcasts.sent_already",
				Err: fmt.Errorf("broadcast %d was created by this form already", res.ID)}
		}
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
	if coopbot.ErrorCode(err) == coopbot.EConflict && res.ID != 0 {
		return res.ID, int(res.Total), err
	}
	if err != nil {
		return 0, 0, err
	}
	return res.ID, int(res.Total), nil
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// buttonOpen checks, in the confirming transaction, that what a broadcast's button opens
// is still open: a published training that has not started, an active cooperative.
// Otherwise the confirm is refused (invalid, "broadcast.button.gone").
func buttonOpen(ctx context.Context, tx pgx.Tx, b *coopbot.BroadcastButton) error {
	if b == nil {
		return nil
	}
	q := `SELECT EXISTS (SELECT 1 FROM trainings WHERE id = $1 AND status = 'published' AND starts_at > now())`
	if b.Kind == coopbot.ButtonCooperative {
		q = `SELECT EXISTS (SELECT 1 FROM cooperatives WHERE id = $1 AND status = 'active')`
	}
	var open bool
	if err := tx.QueryRow(ctx, q, b.ID).Scan(&open); err != nil {
		return err
	}
	if !open {
		return &coopbot.Error{Code: coopbot.EInvalid, MsgID: "broadcast.button.gone", Err: fmt.Errorf("%s %d of the button is not open", b.Kind, b.ID)}
	}
	return nil
}

// BroadcastStatus returns a broadcast's counts.
func (db *DB) BroadcastStatus(ctx context.Context, id int64) (*coopbot.BroadcastStatus, error) {
	return db.broadcastStatus(ctx, db.Pool, id)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (db *DB) broadcastStatus(ctx context.Context, q querier, id int64) (*coopbot.BroadcastStatus, error) {
	s := &coopbot.BroadcastStatus{ID: id}
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
func (db *DB) CancelBroadcast(ctx context.Context, id, by int64) (*coopbot.BroadcastStatus, error) {
	var st *coopbot.BroadcastStatus
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

// What the broadcast runner of every instance needs (package broadcaster declares it).

// ListenBroadcasts calls changed whenever any instance confirms or cancels a broadcast,
// over a connection of its own outside the pool. It returns when ctx ends or the
// connection fails (the caller reconnects).
func (db *DB) ListenBroadcasts(ctx context.Context, changed func()) error {
	conn, err := pgx.ConnectConfig(ctx, db.Pool.Config().ConnConfig.Copy())
	if err != nil {
		return wrap(err, "connect for broadcast notifications")
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+broadcastChannel); err != nil {
		return wrap(err, "listen for broadcasts")
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return wrap(err, "wait for broadcast notifications")
		}
		changed()
	}
}

// StartDueBroadcasts starts the scheduled broadcasts whose time has come.
func (db *DB) StartDueBroadcasts(ctx context.Context) error {
	_, err := db.Pool.Exec(ctx, `UPDATE broadcasts SET status = 'running', started_at = now()
		WHERE status = 'scheduled' AND start_at <= now()`)
	return wrap(err, "start scheduled broadcasts")
}

// RunningBroadcasts lists the running broadcasts with their texts, oldest first.
func (db *DB) RunningBroadcasts(ctx context.Context) ([]coopbot.RunningBroadcast, error) {
	rows, err := db.Pool.Query(ctx, `SELECT id, text_fa, text_az, file, button FROM broadcasts WHERE status = 'running' ORDER BY id`)
	if err != nil {
		return nil, wrap(err, "list running broadcasts")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.RunningBroadcast, error) {
		var b coopbot.RunningBroadcast
		err := row.Scan(&b.ID, &b.TextFa, &b.TextAz, &b.File, &b.Button)
		return b, err
	})
	return list, wrap(err, "list running broadcasts")
}

// FinishBroadcasts marks running and cancelled broadcasts that have nothing pending and
// nothing on its way as finished (a running one becomes done).
func (db *DB) FinishBroadcasts(ctx context.Context) error {
	_, err := db.Pool.Exec(ctx, `
		UPDATE broadcasts b SET status = CASE WHEN status = 'running' THEN 'done' ELSE status END, finished_at = now()
		WHERE status IN ('running', 'cancelled') AND finished_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.broadcast_id = b.id AND d.state = 'pending')
		AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.broadcast_id = b.id AND d.state IN ('claimed', 'sending'))`)
	return wrap(err, "finish broadcasts")
}

// ClaimDeliveries claims for instance, until ttl from now, up to n pending deliveries of
// broadcast id on platform p, the oldest first from after (a cursor, so that rows already
// taken are not scanned again).
func (db *DB) ClaimDeliveries(ctx context.Context, id int64, p coopbot.Platform, n int, after int64, instance string, ttl time.Duration) ([]coopbot.Delivery, error) {
	rows, err := db.Pool.Query(ctx, `
		WITH c AS (
			UPDATE deliveries d SET state = 'claimed', claimed_by = $4, claimed_until = now() + make_interval(secs => $5)
			WHERE d.id IN (
				SELECT id FROM deliveries
				WHERE broadcast_id = $1 AND platform = $2 AND state = 'pending' AND id > $6
				ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
			RETURNING d.id, d.resident_id)
		SELECT c.id, c.resident_id, COALESCE(r.chat_id, 0), COALESCE(r.lang, 'fa'), r.id IS NULL OR r.unreachable_at IS NOT NULL
		FROM c LEFT JOIN residents r ON r.id = c.resident_id ORDER BY c.id`,
		id, p, n, instance, ttl.Seconds(), after)
	if err != nil {
		return nil, wrap(err, "claim deliveries")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.Delivery, error) {
		d := coopbot.Delivery{Broadcast: id}
		err := row.Scan(&d.ID, &d.ResidentID, &d.ChatID, &d.Lang, &d.Unreachable)
		return d, err
	})
	return out, wrap(err, "claim deliveries")
}

// RenewClaims extends instance's claims to ttl from now.
func (db *DB) RenewClaims(ctx context.Context, instance string, ttl time.Duration) error {
	_, err := db.Pool.Exec(ctx, `UPDATE deliveries SET claimed_until = now() + make_interval(secs => $2)
		WHERE claimed_by = $1 AND state IN ('claimed', 'sending')`, instance, ttl.Seconds())
	return wrap(err, "renew claims")
}

// ExpireClaims turns claims whose holder stopped renewing them into pending rows (never
// started) or unknown ones (on their way: they may have been delivered).
func (db *DB) ExpireClaims(ctx context.Context) error {
	_, err := db.Pool.Exec(ctx, `
		UPDATE deliveries SET
			state = CASE state WHEN 'claimed' THEN 'pending' ELSE 'unknown' END,
			done_at = CASE state WHEN 'claimed' THEN NULL ELSE now() END,
			detail = CASE state WHEN 'claimed' THEN detail ELSE 'claim expired while sending' END,
			claimed_by = CASE state WHEN 'claimed' THEN NULL ELSE claimed_by END,
			claimed_until = NULL
		WHERE state IN ('claimed', 'sending') AND claimed_until < now()`)
	return wrap(err, "expire claims")
}

// ReleaseClaims gives instance's claims that were not started back to pending (at
// shutdown).
func (db *DB) ReleaseClaims(ctx context.Context, instance string) error {
	_, err := db.Pool.Exec(ctx, `UPDATE deliveries SET state = 'pending', claimed_by = NULL, claimed_until = NULL
		WHERE claimed_by = $1 AND state = 'claimed'`, instance)
	return wrap(err, "release claims")
}

// StartSending marks a delivery claimed by instance as on its way. False: it is no longer
// this instance's to send (the broadcast was cancelled, or the claim was lost and taken by
// another instance).
func (db *DB) StartSending(ctx context.Context, delivery int64, instance string) (bool, error) {
	tag, err := db.Pool.Exec(ctx, `UPDATE deliveries SET state = 'sending', attempts = attempts + 1
		WHERE id = $1 AND state = 'claimed' AND claimed_by = $2`, delivery, instance)
	if err != nil {
		return false, wrap(err, "mark delivery sending")
	}
	return tag.RowsAffected() == 1, nil
}

// RecordDelivery stores the outcome of a delivery instance tried, and with it marks the
// resident unreachable (and forgets their conversation, see OnUnreachable), or reachable
// again when a send reached them after a mark. A row whose claim expired while it was on
// its way (now unknown) still gets the outcome learned since.
func (db *DB) RecordDelivery(ctx context.Context, delivery int64, instance string, outcome coopbot.DeliveryOutcome, detail string) error {
	rows, err := db.Pool.Query(ctx, `
		WITH d AS (
			UPDATE deliveries SET state = $3, done_at = now(), detail = $4, claimed_until = NULL
			WHERE id = $1 AND claimed_by = $2 AND state IN ('claimed', 'sending', 'unknown')
			RETURNING resident_id),
		r AS (
			UPDATE residents SET unreachable_at = CASE WHEN $3 = 'unreachable' THEN now() END
			WHERE id IN (SELECT resident_id FROM d)
			  AND ($3 = 'unreachable' AND unreachable_at IS NULL OR $3 = 'sent' AND unreachable_at IS NOT NULL)
			RETURNING platform, chat_id, unreachable_at IS NOT NULL)
		SELECT * FROM r`, delivery, instance, string(outcome), detail)
	if err != nil {
		return wrap(err, "record delivery")
	}
	type marked struct {
		p           coopbot.Platform
		chat        int64
		unreachable bool
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (marked, error) {
		var m marked
		err := row.Scan(&m.p, &m.chat, &m.unreachable)
		return m, err
	})
	if err != nil {
		return wrap(err, "record delivery")
	}
	for _, m := range list {
		if m.unreachable {
			db.forgetUnreachable(ctx, m.p, m.chat)
		}
	}
	return nil
}

// GiveBack returns a delivery instance tried but surely did not send to pending, or fails
// it once it used maxAttempts (attempts are counted only when counted is set: a
// rate-limit answer is not the recipient's fault).
func (db *DB) GiveBack(ctx context.Context, delivery int64, instance string, counted bool, maxAttempts int, detail string) error {
	_, err := db.Pool.Exec(ctx, `UPDATE deliveries SET
			attempts = CASE WHEN $3 THEN attempts ELSE attempts - 1 END,
			state = CASE WHEN $3 AND attempts >= $4 THEN 'failed' ELSE 'pending' END,
			done_at = CASE WHEN $3 AND attempts >= $4 THEN now() END,
			detail = $5, claimed_by = NULL, claimed_until = NULL
		WHERE id = $1 AND claimed_by = $2 AND state IN ('sending', 'unknown')`,
		delivery, instance, counted, maxAttempts, detail)
	return wrap(err, "give back delivery")
}

// DueProgress takes the progress messages due an edit: running broadcasts whose message
// was last edited at least every ago, and scheduled ones that have no message yet. One
// instance gets each.
func (db *DB) DueProgress(ctx context.Context, every time.Duration) ([]coopbot.ProgressMessage, error) {
	rows, err := db.Pool.Query(ctx, `
		UPDATE broadcasts SET progress_at = now()
		WHERE (status = 'running' OR status = 'scheduled' AND progress_message = 0)
		AND progress_at <= now() - make_interval(secs => $1)
		RETURNING id, progress_platform, progress_chat, progress_message, progress_lang`, every.Seconds())
	if err != nil {
		return nil, wrap(err, "take due progress messages")
	}
	due, err := pgx.CollectRows(rows, scanProgress)
	return due, wrap(err, "take due progress messages")
}

func scanProgress(row pgx.CollectableRow) (coopbot.ProgressMessage, error) {
	var m coopbot.ProgressMessage
	err := row.Scan(&m.Broadcast, &m.Platform, &m.ChatID, &m.MessageID, &m.Lang)
	return m, err
}

// PendingDeliveries counts, per platform, a broadcast's deliveries not handled yet.
func (db *DB) PendingDeliveries(ctx context.Context, id int64) (map[coopbot.Platform]int, error) {
	rows, err := db.Pool.Query(ctx, `SELECT platform, count(*) FROM deliveries
		WHERE broadcast_id = $1 AND state IN ('pending', 'claimed', 'sending') GROUP BY platform`, id)
	if err != nil {
		return nil, wrap(err, "count pending deliveries")
	}
	defer rows.Close()
	out := map[coopbot.Platform]int{}
	for rows.Next() {
		var p coopbot.Platform
		var n int
		if err := rows.Scan(&p, &n); err != nil {
			return nil, wrap(err, "count pending deliveries")
		}
		out[p] = n
	}
	return out, wrap(rows.Err(), "count pending deliveries")
}

// SetProgressMessage remembers the message that shows broadcast id's progress now.
func (db *DB) SetProgressMessage(ctx context.Context, id int64, msgID int) error {
	_, err := db.Pool.Exec(ctx, `UPDATE broadcasts SET progress_message = $2 WHERE id = $1`, id, msgID)
	return wrap(err, "remember progress message")
}

// ReportEnded takes the broadcasts that ended and were not reported yet, once their last
// progress edit is settle old (so that an edit still on its way cannot overwrite the last
// one), and in one transaction marks them reported and queues the final report to the
// staff member who sent each (a notice job, retried until it is sent). Each broadcast is
// returned once, to the instance that took it, which shows the final counts in its
// progress message.
func (db *DB) ReportEnded(ctx context.Context, settle time.Duration) ([]coopbot.ProgressMessage, error) {
	var due []coopbot.ProgressMessage
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			UPDATE broadcasts SET reported_at = now(), progress_at = now()
			WHERE reported_at IS NULL AND finished_at IS NOT NULL AND status IN ('done', 'cancelled')
			AND progress_at <= now() - make_interval(secs => $1)
			RETURNING id, progress_platform, progress_chat, progress_message, progress_lang, created_by`, settle.Seconds())
		if err != nil {
			return err
		}
		var reports []NotifyArgs
		due, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.ProgressMessage, error) {
			var m coopbot.ProgressMessage
			var staff int64
			err := row.Scan(&m.Broadcast, &m.Platform, &m.ChatID, &m.MessageID, &m.Lang, &staff)
			reports = append(reports, NotifyArgs{ResidentID: staff, Notice: coopbot.Notice{Kind: coopbot.NoticeBroadcastReport, ID: m.Broadcast}})
			return m, err
		})
		if err != nil {
			return err
		}
		return db.notify(ctx, tx, reports...)
	})
	return due, wrap(err, "report ended broadcasts")
}

// broadcastSummaryColumns read a broadcast (alias b) with its author and delivery counts.
const broadcastSummaryColumns = `b.id, b.status, b.created_by, COALESCE(b.neighborhood_id, 0), b.total, b.start_at,
	b.finished_at IS NOT NULL, b.audience, b.created_at, b.text_fa, b.text_az, COALESCE(rn.name, ''),
	c.pending, c.sent, c.unreachable, c.failed, c.unknown, c.cancelled
	FROM broadcasts b
	LEFT JOIN resident_names rn ON rn.resident_id = b.created_by
	CROSS JOIN LATERAL (SELECT
		count(*) FILTER (WHERE d.state IN ('pending', 'claimed', 'sending')) AS pending,
		count(*) FILTER (WHERE d.state = 'sent') AS sent,
		count(*) FILTER (WHERE d.state = 'unreachable') AS unreachable,
		count(*) FILTER (WHERE d.state = 'failed') AS failed,
		count(*) FILTER (WHERE d.state = 'unknown') AS unknown,
		count(*) FILTER (WHERE d.state = 'cancelled') AS cancelled
		FROM deliveries d WHERE d.broadcast_id = b.id) c`

func scanBroadcastSummary(row pgx.Row) (coopbot.BroadcastSummary, error) {
	var s coopbot.BroadcastSummary
	err := row.Scan(&s.ID, &s.Status, &s.CreatedBy, &s.NeighborhoodID, &s.Total, &s.StartAt, &s.Finished,
		&s.Audience, &s.CreatedAt, &s.TextFa, &s.TextAz, &s.AuthorName,
		&s.Pending, &s.Sent, &s.Unreachable, &s.Failed, &s.Unknown, &s.Cancelled)
	return s, err
}

// broadcastScope is who may read a broadcast: office staff all of them, a neighborhood
// manager those to their one neighborhood (the rule of the export and of Cancel).
const broadcastScope = `($1::bigint IS NULL OR b.neighborhood_id = $1)`

// BroadcastHistory lists the broadcasts within the staff scope, newest first, a page of
// limit from offset, with their counts, and how many there are.
func (db *DB) BroadcastHistory(ctx context.Context, s *coopbot.Staff, offset, limit int) ([]coopbot.BroadcastSummary, int, error) {
	scope, err := needScope(s)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM broadcasts b WHERE `+broadcastScope, scope).Scan(&total); err != nil {
		return nil, 0, wrap(err, "count broadcasts")
	}
	rows, err := db.Pool.Query(ctx, `SELECT `+broadcastSummaryColumns+` WHERE `+broadcastScope+`
		ORDER BY b.created_at DESC, b.id DESC LIMIT $2 OFFSET $3`, scope, limit, offset)
	if err != nil {
		return nil, 0, wrap(err, "list broadcasts")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.BroadcastSummary, error) { return scanBroadcastSummary(row) })
	return list, total, wrap(err, "list broadcasts")
}

// BroadcastSummary returns a broadcast within the staff scope with its counts (not_found
// outside it).
func (db *DB) BroadcastSummary(ctx context.Context, s *coopbot.Staff, id int64) (*coopbot.BroadcastSummary, error) {
	scope, err := needScope(s)
	if err != nil {
		return nil, err
	}
	b, err := scanBroadcastSummary(db.Pool.QueryRow(ctx, `SELECT `+broadcastSummaryColumns+` WHERE `+broadcastScope+` AND b.id = $2`, scope, id))
	if err != nil {
		return nil, wrap(err, "load broadcast")
	}
	return &b, nil
}
