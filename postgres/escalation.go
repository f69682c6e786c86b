package postgres

import (
	"context"
	"time"

	"coopbot"
	"coopbot/text"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// Escalation: an urgent need report nobody moved past "received" within the escalation
// interval is reminded to its neighborhood's managers (or, when it has none, to the
// office staff), and after the same interval again to the office staff. Each reminder
// goes out once per report and level, claimed by a row of need_escalations, and only in
// the office's working hours in Tehran; one due outside them waits for the next.

// DefaultNeedEscalateHours is how long an urgent report may sit at "received" before it
// is reminded.
const DefaultNeedEscalateHours = 48

// Escalation levels: who is reminded.
const (
	escalateManagers = 1
	escalateStaff    = 2
)

// WorkingHour reports whether t falls in the office's working hours (Asia/Tehran):
// Saturday to Wednesday 8:00–16:00, Thursday 8:00–13:00, never on Friday.
func WorkingHour(t time.Time) bool {
	local := t.In(text.Tehran)
	h := local.Hour()
	switch local.Weekday() {
	case time.Friday:
		return false
	case time.Thursday:
		return h >= 8 && h < 13
	}
	return h >= 8 && h < 16
}

// EscalateNeeds sends the reminders due at now: level 1 for urgent reports at
// "received" older than the interval, level 2 for those whose level 1 went out more
// than the interval ago. Outside working hours it sends nothing (the hourly job comes
// back). It returns how many reminders it queued, one per report and level.
func (db *DB) EscalateNeeds(ctx context.Context, now time.Time) (int, error) {
	if !WorkingHour(now) {
		return 0, nil
	}
	hours := db.escalateHours
	if hours <= 0 {
		hours = DefaultNeedEscalateHours
	}
	due := now.Add(-time.Duration(hours) * time.Hour)
	sent := 0
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT n.id, n.neighborhood_id, n.created_at, 1 FROM need_reports n
			WHERE n.status = 'received' AND n.urgency = 1 AND n.created_at <= $1
				AND NOT EXISTS (SELECT 1 FROM need_escalations e WHERE e.report_id = n.id)
			UNION ALL
			SELECT n.id, n.neighborhood_id, n.created_at, 2 FROM need_reports n
			JOIN need_escalations e ON e.report_id = n.id AND e.level = 1
			WHERE n.status = 'received' AND n.urgency = 1 AND e.sent_at <= $1
				AND NOT EXISTS (SELECT 1 FROM need_escalations e2 WHERE e2.report_id = n.id AND e2.level = 2)
			ORDER BY 1, 4`, due)
		if err != nil {
			return err
		}
		type dueNeed struct {
			id, nbh int64
			created time.Time
			level   int
		}
		list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (dueNeed, error) {
			var d dueNeed
			err := row.Scan(&d.id, &d.nbh, &d.created, &d.level)
			return d, err
		})
		if err != nil {
			return err
		}
		for _, d := range list {
			// The claim: a concurrent run waits on this row and then finds it taken.
			tag, err := tx.Exec(ctx, `INSERT INTO need_escalations (report_id, level, sent_at) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`, d.id, d.level, now)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				continue
			}
			to, err := escalationRecipients(ctx, tx, d.nbh, d.level)
			if err != nil {
				return err
			}
			waited := int64(now.Sub(d.created) / time.Hour)
			msgs := make([]NotifyArgs, len(to))
			for i, id := range to {
				msgs[i] = NotifyArgs{ResidentID: id, Notice: coopbot.Notice{Kind: coopbot.NoticeNeedEscalation, ID: d.id, N: []int64{int64(d.level), waited}}}
			}
			if err := db.notify(ctx, tx, msgs...); err != nil {
				return err
			}
			sent++
		}
		return nil
	})
	if err != nil {
		return 0, wrap(err, "escalate urgent needs")
	}
	return sent, nil
}

// escalationRecipients: level 1 goes to the neighborhood's managers, or to the office
// staff while it has none; level 2 to the office staff.
func escalationRecipients(ctx context.Context, tx pgx.Tx, nbh int64, level int) ([]int64, error) {
	rows, err := tx.Query(ctx, `
		WITH managers AS (
			SELECT resident_id FROM staff WHERE role = 'neighborhood_manager' AND neighborhood_id = $1
		)
		SELECT resident_id FROM managers WHERE $2 = 1
		UNION
		SELECT resident_id FROM staff WHERE role = 'staff' AND ($2 = 2 OR NOT EXISTS (SELECT 1 FROM managers))
		ORDER BY 1`, nbh, level)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// EscalatedNeed returns what a reminder shows of report id.
func (db *DB) EscalatedNeed(ctx context.Context, id int64) (coopbot.EscalatedNeed, error) {
	n := coopbot.EscalatedNeed{ID: id}
	err := db.Pool.QueryRow(ctx, `SELECT code, neighborhood_id, category, status FROM need_reports WHERE id = $1`, id).
		Scan(&n.Code, &n.NeighborhoodID, &n.Category, &n.Status)
	return n, wrap(err, "load escalated need")
}

// NeedEscalateArgs is the periodic job that reminds staff of untouched urgent reports.
type NeedEscalateArgs struct{}

// Kind is the River job kind.
func (NeedEscalateArgs) Kind() string { return "need_escalate" }

type needEscalateWorker struct {
	river.WorkerDefaults[NeedEscalateArgs]
	db *DB
}

func (w *needEscalateWorker) Work(ctx context.Context, _ *river.Job[NeedEscalateArgs]) error {
	_, err := w.db.EscalateNeeds(ctx, time.Now())
	return err
}

func addEscalationWorkers(db *DB, w *river.Workers) error {
	return river.AddWorkerSafely(w, &needEscalateWorker{db: db})
}

// needEscalateJob looks for due reminders every quarter hour, so one due outside working
// hours goes out soon after they begin.
func needEscalateJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(15*time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return NeedEscalateArgs{}, nil },
		&river.PeriodicJobOpts{ID: "need_escalate", RunOnStart: true})
}
