package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"coopbot"

	"github.com/jackc/pgx/v5"
)

// Residents' questions to the office, the staff inbox over them, answers and closing, and
// the office's messages to the resident behind a need report or a membership request.
// Every staff method takes the caller's staff role and applies its scope in SQL (needScope):
// a neighborhood manager reads and answers only their neighborhood's questions, whatever
// ids a conversation names.

func questionSubject(id int64) string { return "question:" + strconv.FormatInt(id, 10) }

// sealPhoto seals a question's photo as JSON (nil when there is none).
func (db *DB) sealPhoto(f *coopbot.File) ([]byte, error) {
	if f == nil {
		return nil, nil
	}
	b, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	return db.seal(string(b)), nil
}

func (db *DB) openPhoto(sealed []byte) (*coopbot.File, error) {
	s, err := db.open(sealed)
	if err != nil || s == "" {
		return nil, err
	}
	f := &coopbot.File{}
	if err := json.Unmarshal([]byte(s), f); err != nil {
		return nil, fmt.Errorf("decode question photo: %w", err)
	}
	return f, nil
}

// CreateQuestion files a resident's question under their current neighborhood, audits it
// and tells the neighborhood's managers (or, when it has none, the office staff), in one
// transaction. The same SubmitKey again returns the first question.
func (db *DB) CreateQuestion(ctx context.Context, q *coopbot.Question) error {
	if q.SubmitKey == "" || q.Body == "" || (q.Photo != nil && !q.Photo.Valid()) {
		return &coopbot.Error{Code: coopbot.EInvalid, Err: errors.New("create question: incomplete question")}
	}
	photo, err := db.sealPhoto(q.Photo)
	if err != nil {
		return wrap(err, "create question")
	}
	return db.once(ctx, "create question", q, func(tx pgx.Tx) error {
		var nbh *int64
		err := tx.QueryRow(ctx, `
			INSERT INTO questions (resident_id, submit_key, neighborhood_id, body_enc, photo_enc)
			SELECT id, $2, neighborhood_id, $3, $4 FROM residents WHERE id = $1 AND erased_at IS NULL
			ON CONFLICT (resident_id, submit_key) DO NOTHING
			RETURNING id, neighborhood_id, status, created_at, updated_at`,
			q.ResidentID, q.SubmitKey, db.seal(q.Body), photo).Scan(&q.ID, &nbh, &q.Status, &q.CreatedAt, &q.UpdatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			// Submitted before (or no such resident): return what was stored.
			err = tx.QueryRow(ctx, `SELECT id, neighborhood_id, status, created_at, updated_at FROM questions
				WHERE resident_id = $1 AND submit_key = $2`, q.ResidentID, q.SubmitKey).
				Scan(&q.ID, &nbh, &q.Status, &q.CreatedAt, &q.UpdatedAt)
			if nbh != nil {
				q.NeighborhoodID = *nbh
			}
			return err
		}
		if err != nil {
			return err
		}
		if nbh != nil {
			q.NeighborhoodID = *nbh
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, allowed, detail) VALUES ($1, 'question_ask', $2, true, $3)`,
			q.ResidentID, questionSubject(q.ID), map[string]any{"photo": q.Photo != nil}); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			WITH managers AS (
				SELECT resident_id FROM staff WHERE role = 'neighborhood_manager' AND neighborhood_id = $1
			)
			SELECT resident_id FROM managers WHERE resident_id <> $2
			UNION
			SELECT resident_id FROM staff WHERE role = 'staff' AND resident_id <> $2 AND NOT EXISTS (SELECT 1 FROM managers)`,
			nbh, q.ResidentID)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		notes := make([]NotifyArgs, len(ids))
		for i, id := range ids {
			notes[i] = NotifyArgs{ResidentID: id, Notice: coopbot.Notice{Kind: coopbot.NoticeQuestionNew, ID: q.ID}}
		}
		return db.notify(ctx, tx, notes...)
	})
}

const questionColumns = `q.id, q.resident_id, COALESCE(q.neighborhood_id, 0), q.body_enc, q.photo_enc, q.status, q.created_at, q.updated_at`

// scanQuestion reads questionColumns, and the asker's name when withName.
func (db *DB) scanQuestion(row pgx.Row, withName bool) (*coopbot.Question, error) {
	q := &coopbot.Question{}
	var body, photo []byte
	dest := []any{&q.ID, &q.ResidentID, &q.NeighborhoodID, &body, &photo, &q.Status, &q.CreatedAt, &q.UpdatedAt}
	if withName {
		dest = append(dest, &q.AskerName)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	var err error
	if q.Body, err = db.open(body); err != nil {
		return nil, err
	}
	if q.Photo, err = db.openPhoto(photo); err != nil {
		return nil, err
	}
	return q, nil
}

// questionAnswers fills the answers of questions, oldest first.
func (db *DB) questionAnswers(ctx context.Context, q needQuerier, qs ...*coopbot.Question) error {
	if len(qs) == 0 {
		return nil
	}
	byID, ids := indexByID(qs, func(x *coopbot.Question) int64 { x.Answers = nil; return x.ID })
	rows, err := q.Query(ctx, `
		SELECT a.question_id, a.id, a.created_at, a.body_enc, a.author_id, COALESCE(n.name, '')
		FROM question_answers a LEFT JOIN resident_names n ON n.resident_id = a.author_id
		WHERE a.question_id = ANY($1) ORDER BY a.question_id, a.id`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var qid int64
		var a coopbot.QuestionAnswer
		var body []byte
		if err := rows.Scan(&qid, &a.ID, &a.At, &body, &a.AuthorID, &a.AuthorName); err != nil {
			return err
		}
		if a.Body, err = db.open(body); err != nil {
			return err
		}
		byID[qid].Answers = append(byID[qid].Answers, a)
	}
	return rows.Err()
}

// collectQuestions reads rows of questionColumns (and the name) with their answers.
func (db *DB) collectQuestions(ctx context.Context, rows pgx.Rows, withName bool) ([]coopbot.Question, error) {
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.Question, error) {
		q, err := db.scanQuestion(row, withName)
		if err != nil {
			return coopbot.Question{}, err
		}
		return *q, nil
	})
	if err != nil {
		return nil, err
	}
	ptrs := make([]*coopbot.Question, len(list))
	for i := range list {
		ptrs[i] = &list[i]
	}
	return list, db.questionAnswers(ctx, db.Pool, ptrs...)
}

// MyQuestions lists a resident's own questions, newest first, with their answers.
func (db *DB) MyQuestions(ctx context.Context, residentID int64) ([]coopbot.Question, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+questionColumns+` FROM questions q
		WHERE q.resident_id = $1 ORDER BY q.created_at DESC, q.id DESC`, residentID)
	if err != nil {
		return nil, wrap(err, "list my questions")
	}
	list, err := db.collectQuestions(ctx, rows, false)
	return list, wrap(err, "list my questions")
}

// MyQuestion returns a resident's own question by id, with its answers.
func (db *DB) MyQuestion(ctx context.Context, residentID, id int64) (*coopbot.Question, error) {
	q, err := db.scanQuestion(db.Pool.QueryRow(ctx, `SELECT `+questionColumns+` FROM questions q
		WHERE q.resident_id = $1 AND q.id = $2`, residentID, id), false)
	if err != nil {
		return nil, wrap(err, "load my question")
	}
	return q, wrap(db.questionAnswers(ctx, db.Pool, q), "load my question")
}

// StaffQuestions lists the questions within the staff scope whose status is one of
// statuses (all when none), oldest first, a page of per from page, and how many there are.
func (db *DB) StaffQuestions(ctx context.Context, s *coopbot.Staff, statuses []coopbot.QuestionStatus, page, per int) ([]coopbot.Question, int, error) {
	scope, err := needScope(s)
	if err != nil {
		return nil, 0, err
	}
	var st []string
	for _, x := range statuses {
		st = append(st, string(x))
	}
	const where = `($1::bigint IS NULL OR q.neighborhood_id = $1) AND (cardinality($2::text[]) = 0 OR q.status = ANY($2))`
	var total int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM questions q WHERE `+where, scope, st).Scan(&total); err != nil {
		return nil, 0, wrap(err, "count questions")
	}
	rows, err := db.Pool.Query(ctx, `SELECT `+questionColumns+`, rn.name FROM questions q
		JOIN resident_names rn ON rn.resident_id = q.resident_id
		WHERE `+where+` ORDER BY q.created_at, q.id LIMIT $3 OFFSET $4`, scope, st, per, page*per)
	if err != nil {
		return nil, 0, wrap(err, "list questions")
	}
	list, err := db.collectQuestions(ctx, rows, true)
	return list, total, wrap(err, "list questions")
}

// staffQuestion loads one question within the scope, with the asker's name and answers.
func (db *DB) staffQuestion(ctx context.Context, q needQuerier, scope *int64, id int64, lock bool) (*coopbot.Question, error) {
	sql := `SELECT ` + questionColumns + `, rn.name FROM questions q JOIN resident_names rn ON rn.resident_id = q.resident_id
		WHERE q.id = $1 AND ($2::bigint IS NULL OR q.neighborhood_id = $2)`
	if lock {
		sql += ` FOR UPDATE OF q`
	}
	x, err := db.scanQuestion(q.QueryRow(ctx, sql, id, scope), true)
	if err != nil {
		return nil, err
	}
	return x, db.questionAnswers(ctx, q, x)
}

// StaffQuestion returns a question within the staff scope (not_found outside it).
func (db *DB) StaffQuestion(ctx context.Context, s *coopbot.Staff, id int64) (*coopbot.Question, error) {
	scope, err := needScope(s)
	if err != nil {
		return nil, err
	}
	q, err := db.staffQuestion(ctx, db.Pool, scope, id, false)
	return q, wrap(err, "load question")
}

// AnswerQuestion adds a staff answer to a question within the scope, marks it answered,
// audits it and queues the resident's notice, in one transaction. conflict when the
// question was closed; not_found outside the scope. Nothing of the resident's words is
// kept with the effect (it is the staff member's, and outlives the resident's erasure).
func (db *DB) AnswerQuestion(ctx context.Context, s *coopbot.Staff, id int64, body string) error {
	scope, err := needScope(s)
	if err != nil {
		return err
	}
	if body == "" {
		return &coopbot.Error{Code: coopbot.EInvalid, Err: errors.New("answer question: empty answer")}
	}
	return db.once(ctx, "answer question", nil, func(tx pgx.Tx) error {
		q, err := db.staffQuestion(ctx, tx, scope, id, true)
		if err != nil {
			return err
		}
		if q.Status == coopbot.QuestionClosed {
			return &coopbot.Error{Code: coopbot.EConflict, MsgID: "questions.card.closed_already", Err: fmt.Errorf("question %d is closed", id)}
		}
		var answer int64
		if err := tx.QueryRow(ctx, `INSERT INTO question_answers (question_id, author_id, body_enc) VALUES ($1, $2, $3) RETURNING id`,
			id, s.ResidentID, db.seal(body)).Scan(&answer); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE questions SET status = 'answered', updated_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, allowed, detail) VALUES ($1, 'question_answer', $2, true, $3)`,
			s.ResidentID, questionSubject(id), map[string]any{"answer": answer, "from": q.Status}); err != nil {
			return err
		}
		notice := coopbot.Notice{Kind: coopbot.NoticeQuestionAnswer, ID: id, N: []int64{answer}}
		return db.notify(ctx, tx, NotifyArgs{ResidentID: q.ResidentID, Notice: notice})
	})
}

// CloseQuestion closes a question within the scope, audited. conflict when it was closed
// already; not_found outside the scope.
func (db *DB) CloseQuestion(ctx context.Context, s *coopbot.Staff, id int64) error {
	scope, err := needScope(s)
	if err != nil {
		return err
	}
	return db.once(ctx, "close question", nil, func(tx pgx.Tx) error {
		q, err := db.staffQuestion(ctx, tx, scope, id, true)
		if err != nil {
			return err
		}
		if q.Status == coopbot.QuestionClosed {
			return &coopbot.Error{Code: coopbot.EConflict, MsgID: "questions.card.closed_already", Err: fmt.Errorf("question %d is closed", id)}
		}
		if _, err := tx.Exec(ctx, `UPDATE questions SET status = 'closed', closed_by = $2, updated_at = now() WHERE id = $1`, id, s.ResidentID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, allowed, detail) VALUES ($1, 'question_close', $2, true, $3)`,
			s.ResidentID, questionSubject(id), map[string]any{"from": q.Status})
		return err
	})
}

// MessageResident writes to the resident behind a need report (staff whose scope covers
// its neighborhood), a membership request (its cooperative's admins, or staff whose
// scope covers the cooperative) or a confirmed or wait-listed training enrolment (staff
// whose scope covers the training's neighborhood), audits it and queues the message as a notice, in one
// transaction, and returns the message's id. forbidden (and audited) when the author may
// not, also for a record that does not exist. The effect keeps the id only: the words are
// the resident's to erase.
func (db *DB) MessageResident(ctx context.Context, authorID int64, about coopbot.OfficeAbout, aboutID int64, body string) (int64, error) {
	if body == "" || (about != coopbot.AboutNeed && about != coopbot.AboutJoinRequest && about != coopbot.AboutEnrollment) {
		return 0, &coopbot.Error{Code: coopbot.EInvalid, Err: errors.New("message resident: empty message or unknown record")}
	}
	subject := string(about) + ":" + strconv.FormatInt(aboutID, 10) // need:12, join_request:5, enrollment:7
	var res struct {
		Allowed bool  `json:"allowed"`
		ID      int64 `json:"id"`
	}
	err := db.once(ctx, "message resident", &res, func(tx pgx.Tx) error {
		var resident int64
		var err error
		switch about {
		case coopbot.AboutNeed:
			err = tx.QueryRow(ctx, `SELECT n.resident_id FROM need_reports n WHERE n.id = $1 AND EXISTS (
				SELECT 1 FROM staff s WHERE s.resident_id = $2 AND (s.role = 'staff' OR s.neighborhood_id = n.neighborhood_id))`,
				aboutID, authorID).Scan(&resident)
		case coopbot.AboutJoinRequest:
			var coop int64
			if err = tx.QueryRow(ctx, `SELECT resident_id, cooperative_id FROM join_requests WHERE id = $1`, aboutID).Scan(&resident, &coop); err == nil {
				var ok bool
				if ok, err = canDecide(ctx, tx, authorID, coop); err == nil && !ok {
					err = pgx.ErrNoRows
				}
			}
		case coopbot.AboutEnrollment:
			err = tx.QueryRow(ctx, `SELECT e.resident_id FROM training_enrollments e JOIN trainings t ON t.id = e.training_id
				WHERE e.id = $1 AND e.status IN ('confirmed', 'waitlisted') AND EXISTS (
				SELECT 1 FROM staff s WHERE s.resident_id = $2 AND (s.role = 'staff' OR s.neighborhood_id = t.neighborhood_id))`,
				aboutID, authorID).Scan(&resident)
		}
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && resident == authorID) {
			_, err := tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, allowed, detail) VALUES ($1, 'resident_message', $2, false, '{}')`,
				authorID, subject)
			return err
		}
		if err != nil {
			return err
		}
		m := &coopbot.OfficeMessage{ResidentID: resident, AuthorID: authorID, About: about, AboutID: aboutID, Body: body}
		if err := tx.QueryRow(ctx, `INSERT INTO office_messages (resident_id, author_id, about_kind, about_id, body_enc)
			VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at`, resident, authorID, about, aboutID, db.seal(body)).Scan(&m.ID, &m.CreatedAt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, allowed, detail) VALUES ($1, 'resident_message', $2, true, $3)`,
			authorID, subject, map[string]any{"message": m.ID}); err != nil {
			return err
		}
		if err := db.notify(ctx, tx, NotifyArgs{ResidentID: resident, Notice: coopbot.Notice{Kind: coopbot.NoticeOfficeMessage, ID: m.ID}}); err != nil {
			return err
		}
		res.Allowed, res.ID = true, m.ID
		return nil
	})
	if err != nil {
		return 0, err
	}
	if !res.Allowed {
		return 0, &coopbot.Error{Code: coopbot.EForbidden, MsgID: "admin.denied", Err: fmt.Errorf("message resident: %d may not write about %s", authorID, subject)}
	}
	return res.ID, nil
}

// OfficeMessage returns a message to a resident (not_found when it is not theirs).
func (db *DB) OfficeMessage(ctx context.Context, residentID, id int64) (*coopbot.OfficeMessage, error) {
	m := &coopbot.OfficeMessage{}
	var body []byte
	err := db.Pool.QueryRow(ctx, `SELECT m.id, m.resident_id, m.author_id, m.about_kind, m.about_id, m.body_enc, m.created_at,
			coalesce((SELECT e.training_id FROM training_enrollments e WHERE m.about_kind = 'enrollment' AND e.id = m.about_id), 0)
		FROM office_messages m WHERE m.id = $1 AND m.resident_id = $2`, id, residentID).
		Scan(&m.ID, &m.ResidentID, &m.AuthorID, &m.About, &m.AboutID, &body, &m.CreatedAt, &m.TrainingID)
	if err != nil {
		return nil, wrap(err, "load office message")
	}
	if m.Body, err = db.open(body); err != nil {
		return nil, wrap(err, "load office message")
	}
	return m, nil
}

// questionSummaries lists a resident's questions for their data summary.
func (db *DB) questionSummaries(ctx context.Context, residentID int64) ([]coopbot.QuestionSummary, error) {
	rows, err := db.Pool.Query(ctx, `SELECT q.id, q.status, q.created_at,
		(SELECT count(*) FROM question_answers a WHERE a.question_id = q.id)
		FROM questions q WHERE q.resident_id = $1 ORDER BY q.created_at DESC, q.id DESC`, residentID)
	if err != nil {
		return nil, wrap(err, "data summary: questions")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.QuestionSummary, error) {
		var s coopbot.QuestionSummary
		err := row.Scan(&s.ID, &s.Status, &s.CreatedAt, &s.Answers)
		return s, err
	})
	return list, wrap(err, "data summary: questions")
}

// eraseQuestions empties what a resident wrote to the office and what it wrote to them:
// their questions' bodies and photos (the questions closed), the answers to them and the
// office messages to them. It returns how many questions it emptied.
func eraseQuestions(ctx context.Context, tx pgx.Tx, residentID int64) (int, error) {
	if _, err := tx.Exec(ctx, `UPDATE question_answers SET body_enc = '' WHERE question_id IN (SELECT id FROM questions WHERE resident_id = $1)`, residentID); err != nil {
		return 0, fmt.Errorf("erase question answers: %w", err)
	}
	tag, err := tx.Exec(ctx, `UPDATE questions SET body_enc = '', photo_enc = NULL, status = 'closed', updated_at = now() WHERE resident_id = $1`, residentID)
	if err != nil {
		return 0, fmt.Errorf("erase questions: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE office_messages SET body_enc = '' WHERE resident_id = $1`, residentID); err != nil {
		return 0, fmt.Errorf("erase office messages: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
