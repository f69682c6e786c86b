package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"coopbot"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Need reports: residents' livelihood needs, the staff queue over them, status changes
// with their history and notifications, counts and the export. Every staff method takes
// the caller's staff role and applies its scope in SQL: a neighborhood manager reads and
// changes only reports of their neighborhood, whatever ids a conversation names.

// needQuerier is what both the pool and a transaction offer.
type needQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// needScope is the neighborhood a staff member is limited to: nil for office staff.
func needScope(s *coopbot.Staff) (*int64, error) {
	if s != nil {
		switch s.Role {
		case coopbot.RoleStaff:
			return nil, nil
		case coopbot.RoleNeighborhoodManager:
			if s.NeighborhoodID != 0 {
				n := s.NeighborhoodID
				return &n, nil
			}
		}
	}
	return nil, &coopbot.Error{Code: coopbot.EForbidden, MsgID: "needs.denied", Err: errors.New("need reports: no staff role")}
}

// needCode draws a tracking code: six digits, the first not zero.
func needCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(900000))
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(n.Int64()+100000, 10), nil
}

func (db *DB) sealLocation(r *coopbot.NeedReport) []byte {
	if !r.HasLocation {
		return nil
	}
	return db.seal(strconv.FormatFloat(r.Lat, 'f', 6, 64) + "," + strconv.FormatFloat(r.Lon, 'f', 6, 64))
}

// CreateNeedReport saves a resident's report in their current neighborhood with its
// attachments (their file ids, sealed), logs its submission and alerts the neighborhood's managers (or, when it has none, the office
// staff), all in one transaction. The same SubmitKey again returns the first report.
func (db *DB) CreateNeedReport(ctx context.Context, r *coopbot.NeedReport) error {
	if !r.Category.Valid() || r.SubmitKey == "" || r.Description == "" {
		return &coopbot.Error{Code: coopbot.EInvalid, Err: errors.New("create need report: incomplete report")}
	}
	if len(r.Attachments) > coopbot.NeedAttachmentsMax {
		return &coopbot.Error{Code: coopbot.EInvalid, Err: fmt.Errorf("create need report: %d attachments", len(r.Attachments))}
	}
	for _, f := range r.Attachments {
		if !f.Valid() {
			return &coopbot.Error{Code: coopbot.EInvalid, Err: errors.New("create need report: an attachment names no file")}
		}
	}
	return db.once(ctx, "create need report", r, func(tx pgx.Tx) error {
		for attempt := 0; ; attempt++ {
			code, err := needCode()
			if err != nil {
				return err
			}
			// A savepoint per drawn code: a code that is taken is drawn again without
			// losing the transaction (and with it the effect's record).
			err = pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
				return db.createNeedReport(ctx, sp, r, code)
			})
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "need_reports_code_key" && attempt < 10 {
				continue
			}
			return err
		}
	})
}

func (db *DB) createNeedReport(ctx context.Context, tx pgx.Tx, r *coopbot.NeedReport, code string) error {
	var address []byte
	if r.Address != "" {
		address = db.seal(r.Address)
	}
	err := tx.QueryRow(ctx, `
		INSERT INTO need_reports (code, resident_id, submit_key, neighborhood_id, category, household_size,
			urgency, description_enc, address_enc, location_enc)
		SELECT $1, id, $3, neighborhood_id, $4, $5, $6, $7, $8, $9 FROM residents WHERE id = $2
		ON CONFLICT (resident_id, submit_key) DO NOTHING
		RETURNING id, code, neighborhood_id, status, created_at, updated_at`,
		code, r.ResidentID, r.SubmitKey, r.Category, r.Household, r.Urgency, db.seal(r.Description), address, db.sealLocation(r)).
		Scan(&r.ID, &r.Code, &r.NeighborhoodID, &r.Status, &r.CreatedAt, &r.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		// Submitted before (or no such resident): return what was stored, which was
		// logged, attached and alerted then.
		return tx.QueryRow(ctx, `
			SELECT id, code, neighborhood_id, status, created_at, updated_at FROM need_reports
			WHERE resident_id = $1 AND submit_key = $2`, r.ResidentID, r.SubmitKey).
			Scan(&r.ID, &r.Code, &r.NeighborhoodID, &r.Status, &r.CreatedAt, &r.UpdatedAt)
	}
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO need_events (report_id, at, status) VALUES ($1, $2, 'received')`, r.ID, r.CreatedAt); err != nil {
		return err
	}
	for i, f := range r.Attachments {
		var name []byte
		if f.Name != "" {
			name = db.seal(f.Name)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO need_attachments (report_id, position, platform, kind, file_id_enc, name_enc)
			VALUES ($1, $2, $3, $4, $5, $6)`, r.ID, i+1, f.Platform, f.Kind, db.seal(f.ID), name); err != nil {
			return err
		}
	}
	rows, err := tx.Query(ctx, `
		WITH managers AS (
			SELECT resident_id FROM staff WHERE role = 'neighborhood_manager' AND neighborhood_id = $1
		)
		SELECT resident_id FROM managers WHERE resident_id <> $2
		UNION
		SELECT resident_id FROM staff WHERE role = 'staff' AND resident_id <> $2 AND NOT EXISTS (SELECT 1 FROM managers)`,
		r.NeighborhoodID, r.ResidentID)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	notes := make([]NotifyArgs, len(ids))
	for i, id := range ids {
		notes[i] = NotifyArgs{ResidentID: id, Notice: coopbot.Notice{Kind: coopbot.NoticeNeedNew, ID: r.ID}}
	}
	return db.notify(ctx, tx, notes...)
}

const needColumns = `n.id, n.code, n.resident_id, n.neighborhood_id, n.category, n.household_size, n.urgency,
	n.description_enc, n.address_enc, n.location_enc, n.status, n.referred_to, n.created_at, n.updated_at`

// needReporter are the columns of the reporter that follow needColumns: the name the office
// knows them by (resident_names) and their sealed phone.
type needReporter int

const (
	needNoReporter needReporter = iota
	needReporterName
	needReporterNamePhone
)

// scanNeed reads needColumns and the reporter's columns.
func (db *DB) scanNeed(row pgx.Row, reporter needReporter) (*coopbot.NeedReport, error) {
	r := &coopbot.NeedReport{}
	var desc, addr, loc, phone []byte
	dest := []any{&r.ID, &r.Code, &r.ResidentID, &r.NeighborhoodID, &r.Category, &r.Household, &r.Urgency,
		&desc, &addr, &loc, &r.Status, &r.ReferredTo, &r.CreatedAt, &r.UpdatedAt}
	switch reporter {
	case needReporterName:
		dest = append(dest, &r.ReporterName)
	case needReporterNamePhone:
		dest = append(dest, &r.ReporterName, &phone)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	var err error
	if r.Description, err = db.open(desc); err != nil {
		return nil, err
	}
	if r.Address, err = db.open(addr); err != nil {
		return nil, err
	}
	l, err := db.open(loc)
	if err != nil {
		return nil, err
	}
	if lat, lon, ok := strings.Cut(l, ","); ok {
		r.Lat, _ = strconv.ParseFloat(lat, 64)
		r.Lon, _ = strconv.ParseFloat(lon, 64)
		r.HasLocation = true
	}
	if r.ReporterPhone, err = db.open(phone); err != nil {
		return nil, err
	}
	return r, nil
}

// needAttachments fills the attachments of reports.
func (db *DB) needAttachments(ctx context.Context, q needQuerier, reps ...*coopbot.NeedReport) error {
	if len(reps) == 0 {
		return nil
	}
	byID, ids := indexByID(reps, func(r *coopbot.NeedReport) int64 { r.Attachments = nil; return r.ID })
	rows, err := q.Query(ctx, `SELECT report_id, platform, kind, file_id_enc, name_enc FROM need_attachments
		WHERE report_id = ANY($1) ORDER BY report_id, position`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id       int64
			f        coopbot.File
			fid, fnm []byte
		)
		if err := rows.Scan(&id, &f.Platform, &f.Kind, &fid, &fnm); err != nil {
			return err
		}
		if f.ID, err = db.open(fid); err != nil {
			return err
		}
		if f.Name, err = db.open(fnm); err != nil {
			return err
		}
		byID[id].Attachments = append(byID[id].Attachments, f)
	}
	return rows.Err()
}

// needHistory fills the history and the attachments of reports.
func (db *DB) needHistory(ctx context.Context, q needQuerier, reps ...*coopbot.NeedReport) error {
	if len(reps) == 0 {
		return nil
	}
	if err := db.needAttachments(ctx, q, reps...); err != nil {
		return err
	}
	byID, ids := indexByID(reps, func(r *coopbot.NeedReport) int64 { r.History = nil; return r.ID })
	rows, err := q.Query(ctx, `
		SELECT e.report_id, e.id, e.at, e.status, e.referred_to, e.note, COALESCE(e.actor_id, 0), COALESCE(a.name, '')
		FROM need_events e LEFT JOIN resident_names a ON a.resident_id = e.actor_id
		WHERE e.report_id = ANY($1) ORDER BY e.report_id, e.id`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var e coopbot.NeedEvent
		if err := rows.Scan(&id, &e.ID, &e.At, &e.Status, &e.ReferredTo, &e.Note, &e.ActorID, &e.ActorName); err != nil {
			return err
		}
		byID[id].History = append(byID[id].History, e)
	}
	return rows.Err()
}

// MyNeedReports lists a resident's own reports, newest first, with their history.
func (db *DB) MyNeedReports(ctx context.Context, residentID int64) ([]coopbot.NeedReport, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+needColumns+` FROM need_reports n
		WHERE n.resident_id = $1 ORDER BY n.created_at DESC, n.id DESC`, residentID)
	if err != nil {
		return nil, wrap(err, "list my need reports")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.NeedReport, error) {
		r, err := db.scanNeed(row, needNoReporter)
		if err != nil {
			return coopbot.NeedReport{}, err
		}
		return *r, nil
	})
	if err != nil {
		return nil, wrap(err, "list my need reports")
	}
	ptrs := make([]*coopbot.NeedReport, len(list))
	for i := range list {
		ptrs[i] = &list[i]
	}
	return list, wrap(db.needHistory(ctx, db.Pool, ptrs...), "list my need reports")
}

// MyNeedReport returns a resident's own report by tracking code.
func (db *DB) MyNeedReport(ctx context.Context, residentID int64, code string) (*coopbot.NeedReport, error) {
	r, err := db.scanNeed(db.Pool.QueryRow(ctx, `SELECT `+needColumns+` FROM need_reports n
		WHERE n.resident_id = $1 AND n.code = $2`, residentID, code), needNoReporter)
	if err != nil {
		return nil, wrap(err, "load my need report")
	}
	return r, wrap(db.needHistory(ctx, db.Pool, r), "load my need report")
}

// MyNeedReportByID returns a resident's own report by id, with its history.
func (db *DB) MyNeedReportByID(ctx context.Context, residentID, id int64) (*coopbot.NeedReport, error) {
	r, err := db.scanNeed(db.Pool.QueryRow(ctx, `SELECT `+needColumns+` FROM need_reports n
		WHERE n.resident_id = $1 AND n.id = $2`, residentID, id), needNoReporter)
	if err != nil {
		return nil, wrap(err, "load my need report")
	}
	return r, wrap(db.needHistory(ctx, db.Pool, r), "load my need report")
}

// needForStaff loads one report within the scope, with the reporter and history.
func (db *DB) needForStaff(ctx context.Context, q needQuerier, scope *int64, where string, arg any, lock bool) (*coopbot.NeedReport, error) {
	sql := `SELECT ` + needColumns + `, rn.name, r.phone_enc FROM need_reports n JOIN residents r ON r.id = n.resident_id
		JOIN resident_names rn ON rn.resident_id = n.resident_id
		WHERE ` + where + ` AND ($2::bigint IS NULL OR n.neighborhood_id = $2)`
	if lock {
		sql += ` FOR UPDATE OF n`
	}
	rep, err := db.scanNeed(q.QueryRow(ctx, sql, arg, scope), needReporterNamePhone)
	if err != nil {
		return nil, err
	}
	return rep, db.needHistory(ctx, q, rep)
}

// FindNeedReport returns the report with this tracking code within the staff scope.
func (db *DB) FindNeedReport(ctx context.Context, s *coopbot.Staff, code string) (*coopbot.NeedReport, error) {
	scope, err := needScope(s)
	if err != nil {
		return nil, err
	}
	r, err := db.needForStaff(ctx, db.Pool, scope, "n.code = $1", code, false)
	return r, wrap(err, "find need report")
}

// needWhere is the SQL condition of a staff filter within a scope; its parameters are
// appended to args.
func needWhere(scope *int64, f coopbot.NeedFilter, args []any) (string, []any) {
	conds := []string{"true"}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if scope != nil {
		add("n.neighborhood_id = $?", *scope)
	}
	if f.Neighborhood != 0 {
		add("n.neighborhood_id = $?", f.Neighborhood)
	}
	if f.Category != "" {
		add("n.category = $?", f.Category)
	}
	if len(f.Statuses) > 0 {
		add("n.status = ANY($?)", f.Statuses)
	}
	return strings.Join(conds, " AND "), args
}

// NeedCard returns a report of the staff queue (most urgent, then oldest first) with its
// neighbors under the filter: report id, or the first of the queue when id is 0.
func (db *DB) NeedCard(ctx context.Context, s *coopbot.Staff, f coopbot.NeedFilter, id int64) (coopbot.NeedCard, error) {
	var card coopbot.NeedCard
	scope, err := needScope(s)
	if err != nil {
		return card, err
	}
	if id == 0 {
		where, args := needWhere(scope, f, nil)
		err := db.Pool.QueryRow(ctx, `SELECT n.id FROM need_reports n WHERE `+where+`
			ORDER BY n.urgency, n.created_at, n.id LIMIT 1`, args...).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return card, nil
		}
		if err != nil {
			return card, wrap(err, "need queue")
		}
	}
	rep, err := db.needForStaff(ctx, db.Pool, scope, "n.id = $1", id, false)
	if err != nil {
		return card, wrap(err, "load need report")
	}
	card.Report = rep
	where, args := needWhere(scope, f, []any{rep.Urgency, rep.CreatedAt, rep.ID})
	const key = `(n.urgency, n.created_at, n.id)`
	var prev, next *int64
	var before int
	err = db.Pool.QueryRow(ctx, `SELECT
		(SELECT n.id FROM need_reports n WHERE `+where+` AND `+key+` < ($1::smallint, $2::timestamptz, $3::bigint)
			ORDER BY n.urgency DESC, n.created_at DESC, n.id DESC LIMIT 1),
		(SELECT n.id FROM need_reports n WHERE `+where+` AND `+key+` > ($1::smallint, $2::timestamptz, $3::bigint)
			ORDER BY n.urgency, n.created_at, n.id LIMIT 1),
		(SELECT count(*) FROM need_reports n WHERE `+where+` AND `+key+` < ($1::smallint, $2::timestamptz, $3::bigint)),
		(SELECT count(*) FROM need_reports n WHERE `+where+`)`, args...).
		Scan(&prev, &next, &before, &card.Total)
	if err != nil {
		return card, wrap(err, "need queue")
	}
	if prev != nil {
		card.Prev = *prev
	}
	if next != nil {
		card.Next = *next
	}
	if f.Matches(rep) {
		card.Pos = before + 1
	}
	return card, nil
}

// ChangeNeedStatus moves a report within the staff scope, logs the change with who and
// when, records it in the audit log and queues the resident's notice, in one transaction.
func (db *DB) ChangeNeedStatus(ctx context.Context, s *coopbot.Staff, ch coopbot.NeedChange) (*coopbot.NeedReport, error) {
	scope, err := needScope(s)
	if err != nil {
		return nil, err
	}
	// The update's record keeps only the report's id: the report itself (the resident's
	// words, their name) would outlive an erasure there.
	var id int64
	err = db.once(ctx, "change need status", &id, func(tx pgx.Tx) error {
		r, err := db.needForStaff(ctx, tx, scope, "n.id = $1", ch.ReportID, true)
		if err != nil {
			return err
		}
		if r.Status != ch.From {
			return &coopbot.Error{Code: coopbot.EConflict, MsgID: "needs.card.conflict", Err: fmt.Errorf("report is %s, not %s", r.Status, ch.From)}
		}
		if !r.Status.CanMoveTo(ch.To) {
			return &coopbot.Error{Code: coopbot.EInvalid, MsgID: "needs.card.cannot_move", Err: fmt.Errorf("%s to %s", r.Status, ch.To)}
		}
		if ch.To == coopbot.NeedReferred {
			r.ReferredTo = ch.ReferredTo
		}
		err = tx.QueryRow(ctx, `UPDATE need_reports SET status = $2, referred_to = $3, updated_at = now()
			WHERE id = $1 RETURNING status, updated_at`, r.ID, ch.To, r.ReferredTo).Scan(&r.Status, &r.UpdatedAt)
		if err != nil {
			return err
		}
		var ref string
		if ch.To == coopbot.NeedReferred {
			ref = ch.ReferredTo
		}
		var event int64
		if err := tx.QueryRow(ctx, `INSERT INTO need_events (report_id, at, actor_id, status, referred_to, note)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, r.ID, r.UpdatedAt, s.ResidentID, ch.To, ref, ch.Note).Scan(&event); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, allowed, detail) VALUES ($1, 'need_status', $2, true, $3)`,
			s.ResidentID, "need:"+strconv.FormatInt(r.ID, 10), map[string]any{"from": ch.From, "to": ch.To}); err != nil {
			return err
		}
		notice := coopbot.Notice{Kind: coopbot.NoticeNeedStatus, ID: r.ID, N: []int64{event}}
		if err := db.notify(ctx, tx, NotifyArgs{ResidentID: r.ResidentID, Notice: notice}); err != nil {
			return err
		}
		id = r.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	r, err := db.needForStaff(ctx, db.Pool, scope, "n.id = $1", id, false) // with its history
	return r, wrap(err, "change need status")
}

// NeedCounts counts the reports within the staff scope by neighborhood, category and status.
func (db *DB) NeedCounts(ctx context.Context, s *coopbot.Staff) ([]coopbot.NeedCount, error) {
	scope, err := needScope(s)
	if err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `
		SELECT neighborhood_id, category, status, count(*) FROM need_reports
		WHERE $1::bigint IS NULL OR neighborhood_id = $1
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, scope)
	if err != nil {
		return nil, wrap(err, "count need reports")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.NeedCount, error) {
		var c coopbot.NeedCount
		err := row.Scan(&c.Neighborhood, &c.Category, &c.Status, &c.N)
		return c, err
	})
	return list, wrap(err, "count need reports")
}

// NeedExport lists the reports within the staff scope and the filter created in [from, to), oldest first,
// with the reporter's name but not their phone.
func (db *DB) NeedExport(ctx context.Context, s *coopbot.Staff, f coopbot.NeedFilter, from, to time.Time) ([]coopbot.NeedReport, error) {
	scope, err := needScope(s)
	if err != nil {
		return nil, err
	}
	where, args := needWhere(scope, f, []any{from, to})
	rows, err := db.Pool.Query(ctx, `SELECT `+needColumns+`, rn.name FROM need_reports n
		JOIN resident_names rn ON rn.resident_id = n.resident_id
		WHERE n.created_at >= $1 AND n.created_at < $2 AND `+where+`
		ORDER BY n.created_at, n.id`, args...)
	if err != nil {
		return nil, wrap(err, "export need reports")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.NeedReport, error) {
		r, err := db.scanNeed(row, needReporterName)
		if err != nil {
			return coopbot.NeedReport{}, err
		}
		return *r, nil
	})
	return list, wrap(err, "export need reports")
}
