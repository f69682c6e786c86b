package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"coopbot"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// once runs fn in one transaction and commits what it wrote exactly once per cause.
//
// Within the handling of an update (coopbot.WithCause), the transaction first records the
// effect as (cause, n) for the n-th effect of that update. When the record exists already,
// the update is being handled again (its reply failed, or the process died after the
// commit): fn does not run, and the result stored the first time is decoded into out, so
// the resident gets the reply they are owed and nothing is committed twice. A concurrent
// second handling waits on the record's key until the first commits. An error from fn
// rolls the record back with everything else, so a step that failed can simply be tried
// again.
//
// out (a pointer, or nil when the effect returns nothing) is what fn fills in for its
// caller; it is stored sealed (it may hold personal data) and must survive a JSON round
// trip. Outside an update (jobs, tests of a store) fn simply runs in a transaction.
func (db *DB) once(ctx context.Context, name string, out any, fn func(tx pgx.Tx) error) error {
	cause, n, keyed := coopbot.NextEffect(ctx)
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if keyed {
			tag, err := tx.Exec(ctx, `INSERT INTO effects (cause, seq, name, user_ref) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
				cause.Key(), n, name, cause.User())
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return db.replay(ctx, tx, cause, n, name, out)
			}
		}
		if err := fn(tx); err != nil {
			return err
		}
		if !keyed || out == nil {
			return nil
		}
		b, err := json.Marshal(out)
		if err != nil {
			return fmt.Errorf("encode result of %s: %w", name, err)
		}
		_, err = tx.Exec(ctx, `UPDATE effects SET result = $3 WHERE cause = $1 AND seq = $2`, cause.Key(), n, db.seal(string(b)))
		return err
	})
	var appErr *coopbot.Error
	if errors.As(err, &appErr) {
		// A refusal of the store's own (conflict, invalid, …) keeps its code and message.
		return err
	}
	return wrap(err, name)
}

// replay reads the result an earlier handling of the same update stored.
func (db *DB) replay(ctx context.Context, tx pgx.Tx, cause coopbot.Cause, n int, name string, out any) error {
	var stored string
	var sealed []byte
	if err := tx.QueryRow(ctx, `SELECT name, result FROM effects WHERE cause = $1 AND seq = $2`, cause.Key(), n).Scan(&stored, &sealed); err != nil {
		return err
	}
	if stored != name {
		// The same update took another path the second time: a step decided on something
		// its own first handling changed. That is a bug in the step, not something to
		// commit again.
		return &coopbot.Error{Code: coopbot.EInternal, Err: fmt.Errorf("update %s: effect %d was %s, now %s", cause.Key(), n, stored, name)}
	}
	if out == nil || sealed == nil {
		return nil
	}
	plain, err := db.open(sealed)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(plain), out); err != nil {
		return fmt.Errorf("decode result of %s: %w", name, err)
	}
	db.log.Info("update handled again: effect found, not repeated", "effect", name, "platform", cause.Platform, "update_id", cause.UpdateID)
	return nil
}

// effectRetention is how long effects are kept: platforms keep an unconfirmed update for
// 24 hours, so no redelivery comes later than that.
const effectRetention = 48 * time.Hour

// PurgeEffectsArgs is the hourly job that forgets old effect records.
type PurgeEffectsArgs struct{}

// Kind is the River job kind.
func (PurgeEffectsArgs) Kind() string { return "purge_effects" }

type purgeEffectsWorker struct {
	river.WorkerDefaults[PurgeEffectsArgs]
	db *DB
}

func (w *purgeEffectsWorker) Work(ctx context.Context, _ *river.Job[PurgeEffectsArgs]) error {
	_, err := w.db.Pool.Exec(ctx, `DELETE FROM effects WHERE created_at < now() - $1::interval`, effectRetention.String())
	return wrap(err, "purge effects")
}

func addEffectWorkers(db *DB, w *river.Workers) error {
	return river.AddWorkerSafely(w, &purgeEffectsWorker{db: db})
}

func purgeEffectsJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return PurgeEffectsArgs{}, nil },
		&river.PeriodicJobOpts{ID: "purge_effects", RunOnStart: true})
}
