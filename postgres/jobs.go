package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"coopbot"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// Durable jobs run on River (a Postgres job queue): a job is inserted in the same
// transaction as the record that causes it, so a notification exists exactly when its
// cause was committed; it survives restarts, is retried with backoff, and runs on every
// instance.

// Sender delivers a reply to a resident outside any conversation (the bot package).
type Sender interface {
	Send(ctx context.Context, r *coopbot.Resident, reply coopbot.Reply) error
}

// Notices renders a notice for the resident it goes to, when it is sent (the flows
// package implements it; cmd passes it in). A notice whose record is gone renders as
// coopbot.ENotFound and is dropped.
type Notices interface {
	Render(ctx context.Context, to *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error)
}

// NotifyArgs is a message to one resident, rendered in their language when it is sent:
// either a notice (rendered by Notices) or a reply already put together.
type NotifyArgs struct {
	ResidentID int64          `json:"resident_id"`
	Notice     coopbot.Notice `json:"notice,omitzero"`
	Reply      coopbot.Reply  `json:"reply,omitzero"`
	// Check, when set, names a condition that must still hold when the job runs (a
	// reminder for an enrolment that may have been cancelled); see notifyChecks.
	Check   string `json:"check,omitempty"`
	CheckID int64  `json:"check_id,omitempty"`
}

// Kind is the River job kind.
func (NotifyArgs) Kind() string { return "notify" }

// InsertOpts: notifications are worth retrying for a while, not forever.
func (NotifyArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 12} }

type notifyWorker struct {
	river.WorkerDefaults[NotifyArgs]
	db *DB
}

// notifyChecks are the conditions a notification may depend on; each returns whether the
// message is still due. Areas add theirs here.
var notifyChecks = map[string]func(ctx context.Context, db *DB, id int64) (bool, error){
	checkTrainingReminder: trainingReminderDue,
}

func (w *notifyWorker) Work(ctx context.Context, job *river.Job[NotifyArgs]) error {
	a := job.Args
	if a.Check != "" {
		check, ok := notifyChecks[a.Check]
		if !ok {
			return river.JobCancel(fmt.Errorf("unknown notify check %q", a.Check))
		}
		due, err := check(ctx, w.db, a.CheckID)
		if err != nil {
			return err
		}
		if !due {
			return nil
		}
	}
	r, err := w.db.Resident(ctx, a.ResidentID)
	if err != nil {
		if coopbot.ErrorCode(err) == coopbot.ENotFound {
			return river.JobCancel(err)
		}
		return err
	}
	if r.Unreachable {
		return nil
	}
	sender := w.db.sender
	if sender == nil {
		return errors.New("no sender configured")
	}
	reply := a.Reply
	if a.Notice.Kind != "" {
		reply, err = w.db.notices.Render(ctx, r, a.Notice)
		if coopbot.ErrorCode(err) == coopbot.ENotFound {
			return river.JobCancel(err)
		}
		if err != nil {
			return fmt.Errorf("render %s notice: %w", a.Notice.Kind, err)
		}
	}
	sent := time.Now()
	err = sender.Send(ctx, r, reply)
	switch coopbot.ErrorCode(err) {
	case "":
		// Marked unreachable by another send that failed before this one started (while
		// this job had already loaded them): this one reached them, so they are reachable.
		_, err := w.db.Pool.Exec(ctx, `UPDATE residents SET unreachable_at = NULL WHERE id = $1 AND unreachable_at < $2`, r.ID, sent)
		if err != nil {
			w.db.log.Warn("clear unreachable mark", "resident_id", r.ID, "err", wrap(err, "mark reachable"))
		}
		return nil
	case coopbot.EUnreachable:
		// Blocked the bot, or the chat is gone: never retried, and later sends skip them
		// until they write again.
		w.db.log.Info("resident unreachable", "resident_id", r.ID)
		w.db.forgetUnreachable(ctx, r.Platform, r.ChatID)
		return w.db.MarkUnreachable(ctx, r.ID)
	case coopbot.ERateLimited:
		var e *coopbot.Error
		errors.As(err, &e)
		return river.JobSnooze(e.RetryAfter)
	}
	return err
}

// jobs builds the River client. Inserting works at once; working starts with StartJobs.
func (db *DB) jobs() (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &notifyWorker{db: db}); err != nil {
		return nil, err
	}
	for _, add := range workerAdders {
		if err := add(db, workers); err != nil {
			return nil, err
		}
	}
	return river.NewClient(riverpgxv5.New(db.Pool), &river.Config{
		Logger:            db.log.With("component", "river"),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 20}},
		Workers:           workers,
		PeriodicJobs:      periodicJobs(),
		FetchPollInterval: 500 * time.Millisecond,
		JobTimeout:        time.Minute,
	})
}

// workerAdders register the workers of later areas (reminders, …). Add an area's here.
var workerAdders = []func(db *DB, w *river.Workers) error{addJoinWorkers, addEffectWorkers, addEscalationWorkers}

// periodicJobs are the jobs River runs on a schedule (daily reminders, …). Add an area's here.
func periodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{joinRemindJob(), purgeEffectsJob(), needEscalateJob()}
}

// StartJobs starts working jobs, rendering notices with n and sending through s, until
// ctx ends or StopJobs.
func (db *DB) StartJobs(ctx context.Context, s Sender, n Notices) error {
	if s == nil || n == nil {
		return errors.New("start jobs: a sender and a notice renderer are required")
	}
	db.sender, db.notices = s, n
	if err := db.river.Start(ctx); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	return nil
}

// StopJobs lets running jobs finish (bounded by ctx) and stops.
func (db *DB) StopJobs(ctx context.Context) error {
	return db.river.Stop(ctx)
}

// notify queues messages to residents inside tx.
func (db *DB) notify(ctx context.Context, tx pgx.Tx, msgs ...NotifyArgs) error {
	if len(msgs) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(msgs))
	for i, m := range msgs {
		params[i] = river.InsertManyParams{Args: m}
	}
	if _, err := db.river.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("queue notifications: %w", err)
	}
	return nil
}

// notifyAt queues one message to be sent at a given time.
func (db *DB) notifyAt(ctx context.Context, tx pgx.Tx, at time.Time, m NotifyArgs) error {
	opts := m.InsertOpts()
	opts.ScheduledAt = at
	if _, err := db.river.InsertTx(ctx, tx, m, &opts); err != nil {
		return fmt.Errorf("schedule notification: %w", err)
	}
	return nil
}

// migrateRiver applies River's own schema.
func (db *DB) migrateRiver(ctx context.Context) error {
	m, err := rivermigrate.New(riverpgxv5.New(db.Pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	return nil
}

// QueueDepth counts durable jobs waiting to run (for the metrics page).
func (db *DB) QueueDepth(ctx context.Context) (float64, error) {
	var n int64
	err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable')`).Scan(&n)
	return float64(n), wrap(err, "queue depth")
}
