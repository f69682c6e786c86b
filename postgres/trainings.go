package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"coopbot"
	"coopbot/text"

	"github.com/jackc/pgx/v5"
)

// Trainings: the catalogue, seat allocation with a wait-list, reminders as durable jobs,
// and the staff side (create, edit, cancel, enrollees, attendance).
//
// Every change to a training's seats or enrolments happens while its row is locked
// (SELECT … FOR UPDATE): sign-ups for one training are serialized in the database, so
// concurrent sign-ups can never overbook, the enrolment ids (taken under the lock) are the
// arrival order the wait-list is served in, and a second press finds the first one's
// enrolment. The seats_taken CHECK and the unique index on active enrolments back this up.

// checkTrainingReminder is the notify check of training reminders (see notifyChecks).
const checkTrainingReminder = "training_reminder"

// trainingReminderDue is the notify check of a reminder: it is sent only while the
// enrolment is confirmed and the training published, not started, and still at the start
// time and revision the reminder was made for (an edit schedules new reminders and turns
// the old ones into no-ops).
func trainingReminderDue(ctx context.Context, db *DB, id int64) (bool, error) {
	var due bool
	err := db.Pool.QueryRow(ctx, `
		SELECT EXISTS (
			SELECT 1 FROM training_reminders r
			JOIN training_enrollments e ON e.id = r.enrollment_id
			JOIN trainings t ON t.id = r.training_id
			WHERE r.id = $1 AND e.status = 'confirmed' AND t.status = 'published'
				AND t.starts_at = r.starts_at AND t.rev = r.rev AND t.starts_at > now())`, id).Scan(&due)
	return due, wrap(err, "check training reminder")
}

// trainingReminder is one reminder to schedule: its kind, notice and instant.
type trainingReminder struct {
	kind   string
	notice coopbot.NoticeKind
	at     time.Time
}

// trainingReminderTimes returns the reminders of a training starting at start: the day
// before at the same clock time in Tehran, and two hours before.
func trainingReminderTimes(start time.Time) []trainingReminder {
	return []trainingReminder{
		{coopbot.ReminderDayBefore, coopbot.NoticeTrainingReminderDay, start.In(text.Tehran).AddDate(0, 0, -1)},
		{coopbot.ReminderHours, coopbot.NoticeTrainingReminderHours, start.Add(-2 * time.Hour)},
	}
}

// trainingNotice is a notice of this kind about training t to one resident; it is worded
// when it is sent, from the training as it stands then.
func trainingNotice(t *coopbot.Training, residentID int64, kind coopbot.NoticeKind) NotifyArgs {
	return NotifyArgs{ResidentID: residentID, Notice: coopbot.Notice{Kind: kind, ID: t.ID}}
}

// trainingDenied is the refusal of a staff action on a training by someone who may not
// act on its neighborhood (no longer staff, or a manager of another neighborhood).
func trainingDenied(action string, trainingID int64) error {
	return &coopbot.Error{Code: coopbot.EForbidden, MsgID: "trainings.denied", Err: fmt.Errorf("%s on training %d: not allowed", action, trainingID)}
}

// staffMay reports whether actor is staff allowed to act on trainings of neighborhood
// nbh, as the staff table stands in tx: office staff anywhere, a neighborhood manager in
// their own neighborhood.
func staffMay(ctx context.Context, tx pgx.Tx, actorID, nbh int64) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM staff WHERE resident_id = $1
		AND (role = 'staff' OR neighborhood_id = $2))`, actorID, nbh).Scan(&ok)
	return ok, wrap(err, "check staff")
}

// refuseTraining audits a staff action the store refused (on no training yet when
// trainingID is 0) and returns the refusal.
func (db *DB) refuseTraining(ctx context.Context, actorID int64, action string, trainingID int64) error {
	subject := ""
	if trainingID != 0 {
		subject = "training:" + strconv.FormatInt(trainingID, 10)
	}
	if err := db.Audit(ctx, actorID, action, subject, false, nil); err != nil {
		return err
	}
	return trainingDenied(action, trainingID)
}

const trainingCols = `t.id, t.neighborhood_id, t.title_fa, t.title_az, t.description_fa, t.description_az,
	t.venue_name, t.venue_address, t.audience_fa, t.audience_az, t.starts_at, t.duration_minutes, t.capacity, t.seats_taken,
	t.status, t.rev, COALESCE(t.created_by, 0)`

// trainingWaitCol counts a training's wait-list; it goes after trainingCols.
const trainingWaitCol = `, (SELECT count(*) FROM training_enrollments w WHERE w.training_id = t.id AND w.status = 'waitlisted')`

// trainingDest lists the scan targets of trainingCols (and of trainingWaitCol when wait).
func trainingDest(t *coopbot.Training, minutes *int, wait bool) []any {
	d := []any{&t.ID, &t.NeighborhoodID, &t.TitleFa, &t.TitleAz, &t.DescriptionFa, &t.DescriptionAz,
		&t.VenueName, &t.VenueAddress, &t.AudienceFa, &t.AudienceAz, &t.StartsAt, minutes, &t.Capacity, &t.SeatsTaken,
		&t.Status, &t.Rev, &t.CreatedBy}
	if wait {
		d = append(d, &t.Waitlisted)
	}
	return d
}

// lockTraining reads a training and locks its row until the transaction ends; started
// says whether it has begun (database clock).
func lockTraining(ctx context.Context, tx pgx.Tx, id int64) (*coopbot.Training, bool, error) {
	t := &coopbot.Training{}
	var minutes int
	var started bool
	err := tx.QueryRow(ctx, `SELECT `+trainingCols+`, t.starts_at <= now() FROM trainings t WHERE t.id = $1 FOR UPDATE`, id).
		Scan(append(trainingDest(t, &minutes, false), &started)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, &coopbot.Error{Code: coopbot.ENotFound, MsgID: "training.not_found", Err: fmt.Errorf("training %d", id)}
	}
	if err != nil {
		return nil, false, wrap(err, "lock training")
	}
	t.Duration = time.Duration(minutes) * time.Minute
	return t, started, nil
}

// Training returns a training with its wait-list length.
func (db *DB) Training(ctx context.Context, id int64) (*coopbot.Training, error) {
	t := &coopbot.Training{}
	var minutes int
	err := db.Pool.QueryRow(ctx, `SELECT `+trainingCols+trainingWaitCol+` FROM trainings t WHERE t.id = $1`, id).
		Scan(trainingDest(t, &minutes, true)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, &coopbot.Error{Code: coopbot.ENotFound, MsgID: "training.not_found", Err: fmt.Errorf("training %d", id)}
	}
	if err != nil {
		return nil, wrap(err, "load training")
	}
	t.Duration = time.Duration(minutes) * time.Minute
	return t, nil
}

// collectTrainings reads rows of trainingCols+trainingWaitCol.
func collectTrainings(rows pgx.Rows) ([]coopbot.Training, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.Training, error) {
		var t coopbot.Training
		var minutes int
		err := row.Scan(trainingDest(&t, &minutes, true)...)
		t.Duration = time.Duration(minutes) * time.Minute
		return t, err
	})
}

// StaffTrainings lists the trainings staff manage: those of neighborhood scope (all when
// scope is 0) that have not started, soonest first, then those of the last two weeks,
// latest first (for attendance). Cancelled ones are included.
func (db *DB) StaffTrainings(ctx context.Context, scope int64, offset, limit int) (list []coopbot.Training, total int, err error) {
	const where = ` WHERE t.starts_at > now() - interval '14 days' AND ($1::bigint = 0 OR t.neighborhood_id = $1::bigint)`
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM trainings t`+where, scope).Scan(&total); err != nil {
		return nil, 0, wrap(err, "count staff trainings")
	}
	rows, err := db.Pool.Query(ctx, `SELECT `+trainingCols+trainingWaitCol+` FROM trainings t`+where+`
		ORDER BY t.starts_at <= now(), CASE WHEN t.starts_at > now() THEN t.starts_at END, t.starts_at DESC, t.id
		OFFSET $2 LIMIT $3`, scope, offset, limit)
	if err != nil {
		return nil, 0, wrap(err, "list staff trainings")
	}
	list, err = collectTrainings(rows)
	return list, total, wrap(err, "list staff trainings")
}

// CreateTraining publishes a training and returns its id. The flows validate the values
// (a start in the future, a positive capacity); the schema refuses impossible ones. The
// creator (t.CreatedBy) must be staff allowed in the training's neighborhood, checked in
// the transaction (forbidden, and audited, otherwise); 0 is the office's own data.
func (db *DB) CreateTraining(ctx context.Context, t *coopbot.Training) (int64, error) {
	t.StartsAt = t.StartsAt.Truncate(time.Microsecond) // as Postgres keeps it
	var createdBy *int64
	if t.CreatedBy != 0 {
		createdBy = &t.CreatedBy
	}
	res := struct {
		Training *coopbot.Training
		Denied   bool
	}{Training: t}
	err := db.once(ctx, "create training", &res, func(tx pgx.Tx) error {
		if t.CreatedBy != 0 {
			ok, err := staffMay(ctx, tx, t.CreatedBy, t.NeighborhoodID)
			if res.Denied = !ok; err != nil || res.Denied {
				return err
			}
		}
		return tx.QueryRow(ctx, `
			INSERT INTO trainings (neighborhood_id, title_fa, title_az, description_fa, description_az,
				venue_name, venue_address, audience_fa, audience_az, starts_at, duration_minutes, capacity, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id, rev`,
			t.NeighborhoodID, t.TitleFa, t.TitleAz, t.DescriptionFa, t.DescriptionAz, t.VenueName, t.VenueAddress,
			t.AudienceFa, t.AudienceAz, t.StartsAt, int(t.Duration/time.Minute), t.Capacity, createdBy).Scan(&t.ID, &t.Rev)
	})
	if err != nil {
		return 0, err
	}
	if res.Denied {
		return 0, db.refuseTraining(ctx, t.CreatedBy, "training_create", 0)
	}
	t.Status = coopbot.TrainingPublished
	return t.ID, nil
}

// UpdateTraining saves staff's edit of a training made on revision t.Rev (an edit of an
// older revision is a conflict). The actor must be allowed both where the training was and
// where it goes (checked in the transaction; forbidden and audited otherwise). When anything residents are told about changes (all but
// the capacity), the revision goes up, every confirmed enrollee gets reminders for it (the
// old ones no longer apply) and every active enrollee is told; a larger capacity confirms
// wait-listed residents in arrival order, who are told as well. Saving without a change
// changes nothing. It returns how many were told of the change.
func (db *DB) UpdateTraining(ctx context.Context, actorID int64, t *coopbot.Training) (notified int, err error) {
	res := struct {
		Training *coopbot.Training
		Notified *int
		Denied   bool
	}{Training: t, Notified: &notified}
	err = db.once(ctx, "update training", &res, func(tx pgx.Tx) error {
		old, started, err := lockTraining(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		for _, nbh := range []int64{old.NeighborhoodID, t.NeighborhoodID} {
			ok, err := staffMay(ctx, tx, actorID, nbh)
			if res.Denied = !ok; err != nil || res.Denied {
				return err
			}
		}
		switch {
		case old.Status == coopbot.TrainingCancelled:
			return coopbot.Errorf(coopbot.EConflict, "trainings.edit.cancelled")
		case started:
			return coopbot.Errorf(coopbot.EConflict, "trainings.edit.started")
		case old.Rev != t.Rev:
			return coopbot.Errorf(coopbot.EConflict, "trainings.edit.conflict")
		case t.Capacity < old.SeatsTaken:
			return coopbot.Errorf(coopbot.EInvalid, "trainings.edit.capacity_below")
		}
		t.SeatsTaken, t.Status, t.CreatedBy = old.SeatsTaken, coopbot.TrainingPublished, old.CreatedBy
		if trainingDetailsEqual(old, t) {
			if t.Capacity == old.Capacity {
				return nil
			}
			if _, err := tx.Exec(ctx, `UPDATE trainings SET capacity = $2, updated_at = now() WHERE id = $1`, t.ID, t.Capacity); err != nil {
				return wrap(err, "update capacity")
			}
			return db.promoteWaitlisted(ctx, tx, t)
		}
		if err := tx.QueryRow(ctx, `
			UPDATE trainings SET neighborhood_id = $2, title_fa = $3, title_az = $4, description_fa = $5,
				description_az = $6, venue_name = $7, venue_address = $8, audience_fa = $9, audience_az = $10,
				starts_at = $11, duration_minutes = $12, capacity = $13, rev = rev + 1, updated_at = now()
			WHERE id = $1 RETURNING rev`,
			t.ID, t.NeighborhoodID, t.TitleFa, t.TitleAz, t.DescriptionFa, t.DescriptionAz, t.VenueName,
			t.VenueAddress, t.AudienceFa, t.AudienceAz, t.StartsAt, int(t.Duration/time.Minute), t.Capacity).Scan(&t.Rev); err != nil {
			return wrap(err, "update training")
		}
		// Tell everyone enrolled before any wait-listed resident moves up (who is then
		// told that too), and give the confirmed ones reminders for the new revision.
		active, err := trainingActive(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		var notes []NotifyArgs
		for _, a := range active {
			notes = append(notes, trainingNotice(t, a.ResidentID, coopbot.NoticeTrainingChanged))
			if a.Status == coopbot.EnrollmentConfirmed {
				if err := db.scheduleTrainingReminders(ctx, tx, t, a.ID, a.ResidentID); err != nil {
					return err
				}
			}
		}
		if err := db.notify(ctx, tx, notes...); err != nil {
			return err
		}
		notified = len(notes)
		return db.promoteWaitlisted(ctx, tx, t)
	})
	if err == nil && res.Denied {
		return 0, db.refuseTraining(ctx, actorID, "training_edit", t.ID)
	}
	return notified, err
}

// trainingDetailsEqual reports whether two versions of a training say the same to
// residents: everything but the capacity.
func trainingDetailsEqual(a, b *coopbot.Training) bool {
	return a.NeighborhoodID == b.NeighborhoodID && a.TitleFa == b.TitleFa && a.TitleAz == b.TitleAz &&
		a.DescriptionFa == b.DescriptionFa && a.DescriptionAz == b.DescriptionAz && a.VenueName == b.VenueName &&
		a.VenueAddress == b.VenueAddress && a.AudienceFa == b.AudienceFa && a.AudienceAz == b.AudienceAz && a.StartsAt.Truncate(time.Microsecond).Equal(b.StartsAt.Truncate(time.Microsecond)) &&
		a.Duration == b.Duration
}

// CancelTraining cancels a training that has not started and tells every active
// enrollee; their reminders become no-ops. It returns how many were told. The actor must
// be allowed in the training's neighborhood (checked in the transaction).
func (db *DB) CancelTraining(ctx context.Context, actorID, id int64) (notified int, err error) {
	var res struct {
		Notified int
		Denied   bool
	}
	err = db.once(ctx, "cancel training", &res, func(tx pgx.Tx) error {
		t, started, err := lockTraining(ctx, tx, id)
		if err != nil {
			return err
		}
		ok, err := staffMay(ctx, tx, actorID, t.NeighborhoodID)
		if res.Denied = !ok; err != nil || res.Denied {
			return err
		}
		switch {
		case t.Status == coopbot.TrainingCancelled:
			return coopbot.Errorf(coopbot.EConflict, "trainings.edit.cancelled")
		case started:
			return coopbot.Errorf(coopbot.EConflict, "trainings.edit.started")
		}
		if _, err := tx.Exec(ctx, `UPDATE trainings SET status = 'cancelled', cancelled_at = now(), updated_at = now() WHERE id = $1`, id); err != nil {
			return wrap(err, "cancel training")
		}
		active, err := trainingActive(ctx, tx, id)
		if err != nil {
			return err
		}
		notes := make([]NotifyArgs, len(active))
		for i, a := range active {
			notes[i] = trainingNotice(t, a.ResidentID, coopbot.NoticeTrainingCancelled)
		}
		res.Notified = len(notes)
		return db.notify(ctx, tx, notes...)
	})
	if err == nil && res.Denied {
		return 0, db.refuseTraining(ctx, actorID, "training_cancel", id)
	}
	return res.Notified, err
}

// trainingActive lists the confirmed and wait-listed enrolments of a training, in
// arrival order.
func trainingActive(ctx context.Context, tx pgx.Tx, trainingID int64) ([]coopbot.Enrollment, error) {
	rows, err := tx.Query(ctx, `SELECT id, resident_id, status FROM training_enrollments
		WHERE training_id = $1 AND status <> 'cancelled' ORDER BY id`, trainingID)
	if err != nil {
		return nil, wrap(err, "list enrolments")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.Enrollment, error) {
		e := coopbot.Enrollment{TrainingID: trainingID}
		err := row.Scan(&e.ID, &e.ResidentID, &e.Status)
		return e, err
	})
	return list, wrap(err, "list enrolments")
}

// SignUp enrols a resident: a confirmed seat while seats remain, else a place on the
// wait-list. A resident who is enrolled already gets that enrolment back with Already set,
// whatever the training's state. A cancelled training, or one that has started, refuses
// newcomers (conflict, with the message to show).
//
// The training row stays locked from the first statement to the commit, so sign-ups for
// one training queue up there; to keep that short, the three statements go to the server
// in one round trip. Each statement reads what was committed before it began, so the
// second and third see every enrolment made before the lock was ours.
func (db *DB) SignUp(ctx context.Context, trainingID, residentID int64) (coopbot.Enrollment, error) {
	e := coopbot.Enrollment{TrainingID: trainingID, ResidentID: residentID}
	err := db.once(ctx, "sign up for training", &e, func(tx pgx.Tx) error {
		t := &coopbot.Training{}
		var (
			minutes          int
			started          bool
			found, inserted  bool
			lockErr, readErr error
		)
		b := &pgx.Batch{}
		b.Queue(`SELECT `+trainingCols+`, t.starts_at <= now() FROM trainings t WHERE t.id = $1 FOR UPDATE`, trainingID).
			QueryRow(func(row pgx.Row) error {
				lockErr = row.Scan(append(trainingDest(t, &minutes, false), &started)...)
				return nil
			})
		b.Queue(`
			WITH ins AS (
				INSERT INTO training_enrollments (training_id, resident_id, status, confirmed_at)
				SELECT t.id, $2, CASE WHEN t.seats_taken < t.capacity THEN 'confirmed' ELSE 'waitlisted' END,
					CASE WHEN t.seats_taken < t.capacity THEN now() END
				FROM trainings t
				WHERE t.id = $1 AND t.status = 'published' AND t.starts_at > now()
					AND NOT EXISTS (SELECT 1 FROM training_enrollments WHERE training_id = $1 AND resident_id = $2 AND status <> 'cancelled')
				RETURNING status
			), seat AS (
				UPDATE trainings SET seats_taken = seats_taken + 1
				WHERE id = $1 AND EXISTS (SELECT 1 FROM ins WHERE status = 'confirmed')
			)
			SELECT count(*) FROM ins`, trainingID, residentID).
			QueryRow(func(row pgx.Row) error {
				var n int
				err := row.Scan(&n)
				inserted = n == 1
				return err
			})
		b.Queue(`
			SELECT e.id, e.status, e.created_at,
				CASE WHEN e.status = 'waitlisted' THEN (SELECT count(*) FROM training_enrollments w
					WHERE w.training_id = e.training_id AND w.status = 'waitlisted' AND w.id <= e.id) ELSE 0 END
			FROM training_enrollments e
			WHERE e.training_id = $1 AND e.resident_id = $2 AND e.status <> 'cancelled'`, trainingID, residentID).
			QueryRow(func(row pgx.Row) error {
				readErr = row.Scan(&e.ID, &e.Status, &e.CreatedAt, &e.Position)
				found = readErr == nil
				return nil
			})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return wrap(err, "enrol")
		}
		switch {
		case errors.Is(lockErr, pgx.ErrNoRows):
			return &coopbot.Error{Code: coopbot.ENotFound, MsgID: "training.not_found", Err: fmt.Errorf("training %d", trainingID)}
		case lockErr != nil:
			return wrap(lockErr, "lock training")
		case readErr != nil && !errors.Is(readErr, pgx.ErrNoRows):
			return wrap(readErr, "read enrolment")
		}
		t.Duration = time.Duration(minutes) * time.Minute
		e.Training = t
		switch {
		case found && !inserted:
			e.Already = true
			return nil
		case !found && t.Status == coopbot.TrainingCancelled:
			return coopbot.Errorf(coopbot.EConflict, "training.signup.cancelled")
		case !found && started:
			return coopbot.Errorf(coopbot.EConflict, "training.signup.closed")
		case !found:
			return fmt.Errorf("enrolment of resident %d in training %d vanished", residentID, trainingID)
		case e.Status == coopbot.EnrollmentWaitlisted:
			return nil
		}
		t.SeatsTaken++
		return db.scheduleTrainingReminders(ctx, tx, t, e.ID, residentID)
	})
	return e, err
}

// scheduleTrainingReminders schedules the reminders of a confirmed enrolment that are
// still ahead: each is a notify job due at its instant whose check names a
// training_reminders row.
func (db *DB) scheduleTrainingReminders(ctx context.Context, tx pgx.Tx, t *coopbot.Training, enrollmentID, residentID int64) error {
	now := time.Now()
	for _, r := range trainingReminderTimes(t.StartsAt) {
		if !r.at.After(now) {
			continue // signed up too late for this one
		}
		var id int64
		if err := tx.QueryRow(ctx, `
			INSERT INTO training_reminders (enrollment_id, training_id, kind, rev, starts_at, due_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			enrollmentID, t.ID, r.kind, t.Rev, t.StartsAt, r.at).Scan(&id); err != nil {
			return wrap(err, "record reminder")
		}
		n := trainingNotice(t, residentID, r.notice)
		n.Check, n.CheckID = checkTrainingReminder, id
		if err := db.notifyAt(ctx, tx, r.at, n); err != nil {
			return wrap(err, "schedule reminder")
		}
	}
	return nil
}

// promoteWaitlisted confirms wait-listed residents in arrival order while seats are free,
// schedules their reminders and tells them, in the caller's transaction (the training row
// is locked). t.SeatsTaken is kept up to date.
func (db *DB) promoteWaitlisted(ctx context.Context, tx pgx.Tx, t *coopbot.Training) error {
	taken := t.SeatsTaken
	for t.SeatsTaken < t.Capacity {
		var id, resident int64
		err := tx.QueryRow(ctx, `
			UPDATE training_enrollments SET status = 'confirmed', confirmed_at = now()
			WHERE id = (SELECT id FROM training_enrollments WHERE training_id = $1 AND status = 'waitlisted' ORDER BY id LIMIT 1)
			RETURNING id, resident_id`, t.ID).Scan(&id, &resident)
		if errors.Is(err, pgx.ErrNoRows) {
			break
		}
		if err != nil {
			return wrap(err, "confirm from wait-list")
		}
		t.SeatsTaken++
		if err := db.scheduleTrainingReminders(ctx, tx, t, id, resident); err != nil {
			return err
		}
		if err := db.notify(ctx, tx, trainingNotice(t, resident, coopbot.NoticeTrainingPromoted)); err != nil {
			return err
		}
	}
	if t.SeatsTaken == taken {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE trainings SET seats_taken = $2 WHERE id = $1`, t.ID, t.SeatsTaken)
	return wrap(err, "take seats")
}

// CancelEnrollment cancels a resident's own enrolment before the training starts. A
// freed seat goes at once to the first on the wait-list, who is told in the same
// transaction. Cancelling twice is harmless (Already). Returns the enrolment with the
// status it had before.
func (db *DB) CancelEnrollment(ctx context.Context, residentID, enrollmentID int64) (coopbot.Enrollment, error) {
	e := coopbot.Enrollment{ID: enrollmentID, ResidentID: residentID}
	err := db.once(ctx, "cancel enrolment", &e, func(tx pgx.Tx) error {
		return db.cancelEnrollment(ctx, tx, &e)
	})
	return e, err
}

// cancelEnrollment is CancelEnrollment in the caller's transaction, for the enrolment
// e.ID of resident e.ResidentID: e gets its training and the status it had before.
func (db *DB) cancelEnrollment(ctx context.Context, tx pgx.Tx, e *coopbot.Enrollment) error {
	err := tx.QueryRow(ctx, `SELECT training_id FROM training_enrollments WHERE id = $1 AND resident_id = $2`,
		e.ID, e.ResidentID).Scan(&e.TrainingID)
	if errors.Is(err, pgx.ErrNoRows) {
		return &coopbot.Error{Code: coopbot.ENotFound, MsgID: "training.cancel.not_found", Err: fmt.Errorf("enrolment %d", e.ID)}
	}
	if err != nil {
		return wrap(err, "find enrolment")
	}
	// The training row first, as every writer does: no deadlocks.
	t, started, err := lockTraining(ctx, tx, e.TrainingID)
	if err != nil {
		return err
	}
	e.Training = t
	if err := tx.QueryRow(ctx, `SELECT status, created_at FROM training_enrollments WHERE id = $1`, e.ID).
		Scan(&e.Status, &e.CreatedAt); err != nil {
		return wrap(err, "read enrolment")
	}
	switch {
	case e.Status == coopbot.EnrollmentCancelled:
		e.Already = true
		return nil
	case started:
		return coopbot.Errorf(coopbot.EConflict, "training.cancel.started")
	}
	if _, err := tx.Exec(ctx, `UPDATE training_enrollments SET status = 'cancelled', cancelled_at = now() WHERE id = $1`, e.ID); err != nil {
		return wrap(err, "cancel enrolment")
	}
	if e.Status != coopbot.EnrollmentConfirmed || t.Status != coopbot.TrainingPublished {
		return nil
	}
	t.SeatsTaken--
	if _, err := tx.Exec(ctx, `UPDATE trainings SET seats_taken = $2 WHERE id = $1`, t.ID, t.SeatsTaken); err != nil {
		return wrap(err, "free seat")
	}
	return db.promoteWaitlisted(ctx, tx, t)
}

// ActiveEnrollment returns a resident's confirmed or wait-listed enrolment in a training
// (with its wait-list position), or nil.
func (db *DB) ActiveEnrollment(ctx context.Context, trainingID, residentID int64) (*coopbot.Enrollment, error) {
	e := &coopbot.Enrollment{TrainingID: trainingID, ResidentID: residentID}
	err := db.Pool.QueryRow(ctx, `
		SELECT e.id, e.status, e.attended, e.created_at,
			(SELECT count(*) FROM training_enrollments w WHERE w.training_id = e.training_id AND w.status = 'waitlisted' AND w.id <= e.id)
		FROM training_enrollments e
		WHERE e.training_id = $1 AND e.resident_id = $2 AND e.status <> 'cancelled'`, trainingID, residentID).
		Scan(&e.ID, &e.Status, &e.Attended, &e.CreatedAt, &e.Position)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap(err, "load enrolment")
	}
	if e.Status != coopbot.EnrollmentWaitlisted {
		e.Position = 0
	}
	return e, nil
}

// MyEnrollments lists a resident's confirmed and wait-listed enrolments, with their
// trainings, of trainings not yet a week past, by start time.
func (db *DB) MyEnrollments(ctx context.Context, residentID int64) ([]coopbot.Enrollment, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT e.id, e.status, e.attended, e.created_at,
			(SELECT count(*) FROM training_enrollments w WHERE w.training_id = e.training_id AND w.status = 'waitlisted' AND w.id <= e.id),
			`+trainingCols+trainingWaitCol+`
		FROM training_enrollments e JOIN trainings t ON t.id = e.training_id
		WHERE e.resident_id = $1 AND e.status <> 'cancelled' AND t.starts_at > now() - interval '7 days'
		ORDER BY t.starts_at, e.id LIMIT 50`, residentID)
	if err != nil {
		return nil, wrap(err, "list my enrolments")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.Enrollment, error) {
		e := coopbot.Enrollment{ResidentID: residentID, Training: &coopbot.Training{}}
		var minutes int
		err := row.Scan(append([]any{&e.ID, &e.Status, &e.Attended, &e.CreatedAt, &e.Position}, trainingDest(e.Training, &minutes, true)...)...)
		e.Training.Duration = time.Duration(minutes) * time.Minute
		e.TrainingID = e.Training.ID
		if e.Status != coopbot.EnrollmentWaitlisted {
			e.Position = 0
		}
		return e, err
	})
	return list, wrap(err, "list my enrolments")
}

// Enrollees lists the confirmed enrolments of a training (arrival order), then the
// wait-list in order, with each resident's name as the office knows it (resident_names:
// the full name of their latest membership request, else the messenger's), language,
// neighborhood and phone.
func (db *DB) Enrollees(ctx context.Context, trainingID int64) ([]coopbot.Enrollee, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT e.id, e.resident_id, e.status, e.attended, e.created_at,
			CASE WHEN e.status = 'waitlisted' THEN row_number() OVER (PARTITION BY e.status ORDER BY e.id) ELSE 0 END,
			n.name, r.lang, COALESCE(r.neighborhood_id, 0), r.phone_enc
		FROM training_enrollments e JOIN residents r ON r.id = e.resident_id
		JOIN resident_names n ON n.resident_id = e.resident_id
		WHERE e.training_id = $1 AND e.status <> 'cancelled'
		ORDER BY e.status = 'waitlisted', e.id`, trainingID)
	if err != nil {
		return nil, wrap(err, "list enrollees")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.Enrollee, error) {
		en := coopbot.Enrollee{}
		en.TrainingID = trainingID
		var phone []byte
		var pos int64
		if err := row.Scan(&en.ID, &en.ResidentID, &en.Status, &en.Attended, &en.CreatedAt, &pos,
			&en.Name, &en.Lang, &en.NeighborhoodID, &phone); err != nil {
			return en, err
		}
		en.Position = int(pos)
		var err error
		en.Phone, err = db.open(phone)
		return en, err
	})
	return list, wrap(err, "list enrollees")
}

// TrainingReminders groups the reminders that apply to a training now (confirmed
// enrolments, current revision) by kind and instant, as the job queue has them: waiting
// to be sent, or worked already.
func (db *DB) TrainingReminders(ctx context.Context, trainingID int64) ([]coopbot.ReminderSlot, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT r.kind, j.scheduled_at,
			count(*) FILTER (WHERE j.state NOT IN ('completed', 'cancelled', 'discarded')),
			count(*) FILTER (WHERE j.state = 'completed')
		FROM training_reminders r
		JOIN trainings t ON t.id = r.training_id AND t.rev = r.rev AND t.status = 'published'
		JOIN training_enrollments e ON e.id = r.enrollment_id AND e.status = 'confirmed'
		JOIN river_job j ON j.kind = 'notify'
			AND j.args @> jsonb_build_object('check', $2::text, 'check_id', r.id)
		WHERE r.training_id = $1
		GROUP BY r.kind, j.scheduled_at ORDER BY j.scheduled_at, r.kind`, trainingID, checkTrainingReminder)
	if err != nil {
		return nil, wrap(err, "list reminders")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.ReminderSlot, error) {
		var s coopbot.ReminderSlot
		err := row.Scan(&s.Kind, &s.At, &s.Pending, &s.Done)
		return s, err
	})
	return list, wrap(err, "list reminders")
}

// SetAttendance marks whether a confirmed enrollee came, once the training has started.
// The actor must be allowed in the training's neighborhood (checked in the transaction).
func (db *DB) SetAttendance(ctx context.Context, actorID, trainingID, enrollmentID int64, attended bool) error {
	var denied bool
	err := db.once(ctx, "mark attendance", &denied, func(tx pgx.Tx) error {
		var nbh int64
		if err := tx.QueryRow(ctx, `SELECT neighborhood_id FROM trainings WHERE id = $1`, trainingID).Scan(&nbh); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return coopbot.Errorf(coopbot.EConflict, "trainings.attendance.not_allowed")
			}
			return wrap(err, "load training")
		}
		ok, err := staffMay(ctx, tx, actorID, nbh)
		if denied = !ok; err != nil || denied {
			return err
		}
		tag, err := tx.Exec(ctx, `
			UPDATE training_enrollments e SET attended = $3
			FROM trainings t
			WHERE e.id = $2 AND e.training_id = $1 AND t.id = e.training_id
				AND e.status = 'confirmed' AND t.status = 'published' AND t.starts_at <= now()`,
			trainingID, enrollmentID, attended)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return coopbot.Errorf(coopbot.EConflict, "trainings.attendance.not_allowed")
		}
		return nil
	})
	if err == nil && denied {
		return db.refuseTraining(ctx, actorID, "training_attendance", trainingID)
	}
	return err
}

// Demo trainings, in real venues of Tabriz. They are dated relative to the day of seeding
// so that they are always upcoming; seeding again adds a training only when no upcoming
// one with its title exists.
var seedTrainingList = []struct {
	neighborhood, titleFa, titleAz, descFa, descAz, venue, address, audienceFa, audienceAz string
	days, hour, minutes, capacity                                                          int
}{
	{
		"سرخاب",
		"آشنایی با تشکیل تعاونی محلی", "محله تعاونیسی قورماغا گیریش",
		"گام‌های تشکیل یک تعاونی: اعضای مؤسس، اساسنامه، سرمایه و ثبت. همراه با پرسش و پاسخ.",
		"بیر تعاونی قورماغین آددیملاری: قوروجو عضولر، اساسنامه، سرمایه و قئیده آلینما. سوال-جواب ایله.",
		"مسجد سید حمزه", "سرخاب، کنار مقبرةالشعرا",
		"ساکنان سرخاب و محله‌های اطراف", "سورخاب و یاخین محله‌لرین ساکینلری",
		3, 10, 90, 30,
	},
	{
		"باغمیشه",
		"بازاریابی و فروش اینترنتی صنایع دستی", "ال صنایعینین اینترنتده ساتیشی",
		"چطور محصولات خانگی و دستی را عکاسی، قیمت‌گذاری و در فروشگاه‌های اینترنتی عرضه کنیم.",
		"ائوده و ال ایله حاضیرلانان محصوللاری نئجه شکیل چکک، قیمت قویاق و اینترنت دۆکانلاریندا ساتاق.",
		"سالن اجتماعات شهرداری منطقهٔ ۱ تبریز", "باغمیشه، ساختمان شهرداری منطقهٔ ۱",
		"بانوان سرپرست خانوار و صنعتگران خانگی", "عاییله باشچیسی اولان خانیملار و ائوده ال ایشی گؤرنلر",
		5, 16, 120, 25,
	},
	{
		"راسته‌کوچه",
		"حسابداری ساده برای تعاونی‌های کوچک", "کیچیک تعاونیلر اوچون ساده حسابداری",
		"دفتر درآمد و هزینه، سهم اعضا و گزارش سالانه به زبان ساده.",
		"گلیر و خرج دفتری، عضولرین پایی و ایللیک حسابات، ساده دیل ایله.",
		"خانهٔ مشروطه", "راسته‌کوچه، خیابان شهید مطهری", "", "",
		8, 17, 90, 20,
	},
}

// seedTrainings adds the demo trainings (see seeders).
func seedTrainings(ctx context.Context, tx pgx.Tx) error {
	for _, s := range seedTrainingList {
		start := text.JalaliOf(time.Now().AddDate(0, 0, s.days)).At(s.hour, 0)
		if _, err := tx.Exec(ctx, `
			INSERT INTO trainings (neighborhood_id, title_fa, title_az, description_fa, description_az,
				venue_name, venue_address, audience_fa, audience_az, starts_at, duration_minutes, capacity)
			SELECT n.id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM neighborhoods n
			WHERE n.city = 'تبریز' AND n.name_fa = $1
				AND NOT EXISTS (SELECT 1 FROM trainings WHERE title_fa = $2 AND status = 'published' AND starts_at > now())`,
			s.neighborhood, s.titleFa, s.titleAz, s.descFa, s.descAz, s.venue, s.address, s.audienceFa, s.audienceAz,
			start, s.minutes, s.capacity); err != nil {
			return fmt.Errorf("seed training %q: %w", s.titleFa, err)
		}
	}
	return nil
}
