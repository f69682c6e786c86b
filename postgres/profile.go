package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"coopbot"

	"github.com/jackc/pgx/v5"
)

// A resident's own profile: their neighborhood and phone, what the office holds about
// them, and the erasure of their data.

// errErased is the refusal of a change to a resident who is not there (erased, or no such
// id): the conversation that asked for it holds a profile that is gone.
func errErased(what string, residentID int64) error {
	return &coopbot.Error{Code: coopbot.ENotFound, Err: fmt.Errorf("%s: resident %d not found or erased", what, residentID)}
}

// SetNeighborhood moves a resident to another neighborhood: the trainings and cooperatives
// offered to them first follow it, and the need reports they make from now on go to its
// managers. Their requests, enrolments and earlier reports stay as they are.
func (db *DB) SetNeighborhood(ctx context.Context, residentID, neighborhoodID int64) error {
	return db.once(ctx, "set neighborhood", nil, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE residents SET neighborhood_id = $2, updated_at = now()
			WHERE id = $1 AND erased_at IS NULL`, residentID, neighborhoodID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errErased("set neighborhood", residentID)
		}
		return nil
	})
}

// SetPhone stores the resident's phone (E.164, sealed, with its lookup hash), or removes
// it when phone is "". The phones given in membership requests are their own and stay.
func (db *DB) SetPhone(ctx context.Context, residentID int64, phone string) error {
	return db.once(ctx, "set phone", nil, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE residents SET phone_enc = $2, phone_hash = $3, updated_at = now()
			WHERE id = $1 AND erased_at IS NULL`, residentID, db.seal(phone), db.hash(phone))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errErased("set phone", residentID)
		}
		return nil
	})
}

// DataSummary returns what the office holds about a resident: their residency, every
// membership request (without national ID or phone opened), every enrolment with its
// training, every need report (what it is about and its status, not its text), how many
// photos and documents are attached to those reports, and every question to the office
// (its number, status and how many answers, not its text).
func (db *DB) DataSummary(ctx context.Context, residentID int64) (*coopbot.DataSummary, error) {
	s := &coopbot.DataSummary{}
	var (
		nbh   *int64
		phone []byte
	)
	err := db.Pool.QueryRow(ctx, `SELECT created_at, neighborhood_id, name, phone_enc, lang FROM residents
		WHERE id = $1 AND erased_at IS NULL`, residentID).Scan(&s.Since, &nbh, &s.Name, &phone, &s.Lang)
	if err != nil {
		return nil, wrap(err, "data summary: resident")
	}
	if nbh != nil {
		s.NeighborhoodID = *nbh
	}
	if s.Phone, err = db.open(phone); err != nil {
		return nil, wrap(err, "data summary: resident")
	}
	if s.Requests, err = db.JoinRequests(ctx, residentID); err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `
		SELECT e.id, e.status, e.attended, e.created_at, `+trainingCols+`
		FROM training_enrollments e JOIN trainings t ON t.id = e.training_id
		WHERE e.resident_id = $1 ORDER BY e.id DESC`, residentID)
	if err != nil {
		return nil, wrap(err, "data summary: enrolments")
	}
	s.Enrollments, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.Enrollment, error) {
		e := coopbot.Enrollment{ResidentID: residentID, Training: &coopbot.Training{}}
		var minutes int
		err := row.Scan(append([]any{&e.ID, &e.Status, &e.Attended, &e.CreatedAt}, trainingDest(e.Training, &minutes, false)...)...)
		e.Training.Duration = time.Duration(minutes) * time.Minute
		e.TrainingID = e.Training.ID
		return e, err
	})
	if err != nil {
		return nil, wrap(err, "data summary: enrolments")
	}
	rows, err = db.Pool.Query(ctx, `SELECT code, category, status, created_at FROM need_reports
		WHERE resident_id = $1 ORDER BY created_at DESC, id DESC`, residentID)
	if err != nil {
		return nil, wrap(err, "data summary: need reports")
	}
	s.Reports, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.ReportSummary, error) {
		var r coopbot.ReportSummary
		err := row.Scan(&r.Code, &r.Category, &r.Status, &r.CreatedAt)
		return r, err
	})
	if err != nil {
		return nil, wrap(err, "data summary: need reports")
	}
	err = db.Pool.QueryRow(ctx, `SELECT count(*) FROM need_attachments a JOIN need_reports n ON n.id = a.report_id
		WHERE n.resident_id = $1`, residentID).Scan(&s.Attachments)
	if err != nil {
		return nil, wrap(err, "data summary: attachments")
	}
	if s.Questions, err = db.questionSummaries(ctx, residentID); err != nil {
		return nil, err
	}
	return s, nil
}

// EraseResident erases a resident's data for good, in one transaction: their pending
// membership requests are withdrawn (their admins' cards then show it), their enrolments
// in trainings not yet started are cancelled as a cancellation by them would be (the
// wait-list gets each freed seat and is told), and every personal value the office holds
// of them is emptied: their name, phone and messenger identity; their requests' name,
// national ID, phone, own words and the reasons written about them; their need reports'
// description, address and location and the notes on their history; the file ids of
// the photos and documents attached to them (deleted: the files stay only in the
// messenger's chat history); their questions to the office (closed) with their photos
// and the answers to them, and the office's messages to them; the details of
// audit rows that name their messenger identity; the notices waiting for them; the chat of
// their broadcasts' progress messages; what their updates' effects stored. The records
// stay, so every count (requests per cooperative, enrolments per training, reports per
// neighborhood) stays too. The erasure is audited, without personal data, and cannot be
// undone (the schema refuses to). Erasing an erased resident changes nothing.
func (db *DB) EraseResident(ctx context.Context, residentID int64) (coopbot.Erasure, error) {
	var res coopbot.Erasure
	err := db.once(ctx, "erase resident", &res, func(tx pgx.Tx) error {
		var (
			ref    coopbot.UserRef
			erased bool
		)
		err := tx.QueryRow(ctx, `SELECT platform, user_id, erased_at IS NOT NULL FROM residents WHERE id = $1 FOR UPDATE`, residentID).
			Scan(&ref.Platform, &ref.UserID, &erased)
		if errors.Is(err, pgx.ErrNoRows) {
			return errErased("erase resident", residentID)
		}
		if err != nil {
			return err
		}
		// The effects of the person's updates, this one's included, stop naming them.
		users := []string{ref.String()}
		if c, ok := coopbot.CauseOf(ctx); ok && c.User() != "" {
			users = append(users, c.User())
		}
		if _, err := tx.Exec(ctx, `UPDATE effects SET result = NULL, user_ref = '' WHERE user_ref = ANY($1)`, users); err != nil {
			return fmt.Errorf("erase effects: %w", err)
		}
		if erased {
			return nil
		}
		tag, err := tx.Exec(ctx, `
			UPDATE join_requests SET status = 'withdrawn', decided_by = resident_id, decided_at = now(), updated_at = now()
			WHERE resident_id = $1 AND status = 'pending'`, residentID)
		if err != nil {
			return err
		}
		res.Withdrawn = int(tag.RowsAffected())
		if res.Cancelled, err = db.cancelEnrollments(ctx, tx, residentID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			UPDATE join_requests SET full_name = '', national_id_enc = '', national_id_hash = '', phone_enc = '', phone_hash = '',
				skills_other = '', reason_text = '', updated_at = now()
			WHERE resident_id = $1`, residentID); err != nil {
			return err
		}
		tag, err = tx.Exec(ctx, `
			UPDATE need_reports SET description_enc = '', address_enc = NULL, location_enc = NULL, updated_at = now()
			WHERE resident_id = $1`, residentID)
		if err != nil {
			return err
		}
		res.Reports = int(tag.RowsAffected())
		tag, err = tx.Exec(ctx, `DELETE FROM need_attachments WHERE report_id IN (SELECT id FROM need_reports WHERE resident_id = $1)`, residentID)
		if err != nil {
			return fmt.Errorf("erase attachments: %w", err)
		}
		res.Attachments = int(tag.RowsAffected())
		if res.Questions, err = eraseQuestions(ctx, tx, residentID); err != nil {
			return err
		}
		subject := "resident:" + strconv.FormatInt(residentID, 10)
		for _, q := range []struct {
			what, sql string
			args      []any
		}{
			{"need notes", `UPDATE need_events SET note = '' WHERE note <> '' AND report_id IN (SELECT id FROM need_reports WHERE resident_id = $1)`, []any{residentID}},
			{"staff role", `DELETE FROM staff WHERE resident_id = $1`, []any{residentID}},
			{"cooperative admin rights", `DELETE FROM cooperative_admins WHERE resident_id = $1`, []any{residentID}},
			{"console sessions", `UPDATE console_sessions SET revoked_at = now() WHERE resident_id = $1 AND revoked_at IS NULL`, []any{residentID}},
			{"console links", `UPDATE console_links SET used_at = now() WHERE resident_id = $1 AND used_at IS NULL`, []any{residentID}},
			{"audit details", `UPDATE audit_log SET detail = detail - 'ref' WHERE (actor_id = $1 OR subject = $2) AND detail ? 'ref'`, []any{residentID, subject}},
			{"notices", `DELETE FROM river_job WHERE kind = 'notify' AND (args->>'resident_id')::bigint = $1 AND state <> 'running'`, []any{residentID}},
			{"broadcast progress chats", `UPDATE broadcasts SET progress_chat = 0 WHERE created_by = $1`, []any{residentID}},
			{"resident", `UPDATE residents SET name = '', phone_enc = NULL, phone_hash = NULL, user_id = 0, chat_id = 0,
				unreachable_at = COALESCE(unreachable_at, now()), erased_at = now(), updated_at = now()
			WHERE id = $1`, []any{residentID}},
		} {
			if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
				return fmt.Errorf("erase %s: %w", q.what, err)
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, detail) VALUES ($1, 'resident_erase', $2, $3)`,
			residentID, subject, map[string]any{"withdrawn": res.Withdrawn, "cancelled": res.Cancelled, "reports": res.Reports, "attachments": res.Attachments, "questions": res.Questions})
		return err
	})
	return res, err
}

// cancelEnrollments cancels a resident's enrolments in trainings that have not started,
// each as CancelEnrollment does (the trainings locked in id order), and returns how many
// it cancelled. Enrolments in trainings that began stay: they are attendance records.
func (db *DB) cancelEnrollments(ctx context.Context, tx pgx.Tx, residentID int64) (int, error) {
	rows, err := tx.Query(ctx, `
		SELECT e.id FROM training_enrollments e JOIN trainings t ON t.id = e.training_id
		WHERE e.resident_id = $1 AND e.status <> 'cancelled' AND t.starts_at > now()
		ORDER BY e.training_id, e.id`, residentID)
	if err != nil {
		return 0, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		e := coopbot.Enrollment{ID: id, ResidentID: residentID}
		err := db.cancelEnrollment(ctx, tx, &e)
		switch {
		case coopbot.ErrorMsgID(err) == "training.cancel.started":
			continue // began since the list was read
		case err != nil:
			return 0, err
		case !e.Already:
			n++
		}
	}
	return n, nil
}
