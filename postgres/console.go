package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"coopbot"
	"coopbot/text"

	"github.com/jackc/pgx/v5"
)

// The web console: one-time sign-in links, the sessions they open, and the reads its
// pages need beyond the chat's (counts, a paged need list, the audit log). Every read
// takes the person and applies their role and scope in SQL, as the chat's methods do;
// changes go through the chat's own methods (ChangeNeedStatus, …).

// consoleToken draws a secret for a link or a session: 32 random bytes, URL-safe.
func consoleToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// consoleRole reports whether a resident may use the console: staff, a neighborhood
// manager or a cooperative admin, not erased.
func consoleRole(ctx context.Context, q needQuerier, residentID int64) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM residents r WHERE r.id = $1 AND r.erased_at IS NULL AND (
			EXISTS (SELECT 1 FROM staff s WHERE s.resident_id = r.id)
			OR EXISTS (SELECT 1 FROM cooperative_admins a WHERE a.resident_id = r.id)))`, residentID).Scan(&ok)
	return ok, err
}

// CreateConsoleLink makes a one-time sign-in link for a staff member, neighborhood
// manager or cooperative admin, valid for coopbot.ConsoleLinkTTL; anyone else is refused
// (audited). The same update again returns the same link.
func (db *DB) CreateConsoleLink(ctx context.Context, residentID int64) (coopbot.ConsoleLink, error) {
	var link coopbot.ConsoleLink
	ok, err := consoleRole(ctx, db.Pool, residentID)
	if err != nil {
		return link, wrap(err, "create console link")
	}
	if !ok {
		if err := db.Audit(ctx, residentID, "console_link", "", false, nil); err != nil {
			return link, err
		}
		return link, &coopbot.Error{Code: coopbot.EForbidden, MsgID: "console.denied", Err: errors.New("create console link: no role")}
	}
	err = db.once(ctx, "create console link", &link, func(tx pgx.Tx) error {
		token, err := consoleToken()
		if err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO console_links (token_hash, resident_id, expires_at)
			VALUES ($1, $2, now() + $3::interval) RETURNING id, expires_at`,
			db.hash(token), residentID, coopbot.ConsoleLinkTTL.String()).Scan(&id, &link.ExpiresAt); err != nil {
			return err
		}
		link.Token = token
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, detail) VALUES ($1, 'console_link', $2, '{}')`,
			residentID, "console_link:"+strconv.FormatInt(id, 10))
		return err
	})
	return link, err
}

// OpenConsoleLink uses a sign-in link once and opens a session for its person, valid for
// coopbot.ConsoleSessionTTL, in their language. A link that is unknown, used, expired,
// or whose person no longer has a role is refused: not_found "console.link.invalid"
// (audited when the link names a person).
func (db *DB) OpenConsoleLink(ctx context.Context, token string) (*coopbot.ConsoleSession, error) {
	invalid := &coopbot.Error{Code: coopbot.ENotFound, MsgID: "console.link.invalid", Err: errors.New("console link: unknown, used or expired")}
	if token == "" || len(token) > 100 {
		return nil, invalid
	}
	h := db.hash(token)
	var s *coopbot.ConsoleSession
	err := db.once(ctx, "open console link", &s, func(tx pgx.Tx) error {
		var linkID, resident int64
		err := tx.QueryRow(ctx, `UPDATE console_links SET used_at = now()
			WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING id, resident_id`, h).Scan(&linkID, &resident)
		if errors.Is(err, pgx.ErrNoRows) {
			return invalid
		}
		if err != nil {
			return err
		}
		ok, err := consoleRole(ctx, tx, resident)
		if err != nil {
			return err
		}
		if !ok {
			return invalid
		}
		session, err := consoleToken()
		if err != nil {
			return err
		}
		s = &coopbot.ConsoleSession{Token: session, ResidentID: resident}
		if err := tx.QueryRow(ctx, `INSERT INTO console_sessions (token_hash, resident_id, link_id, lang, expires_at)
			SELECT $1, id, $3, lang, now() + $4::interval FROM residents WHERE id = $2 RETURNING id, lang, expires_at`,
			db.hash(session), resident, linkID, coopbot.ConsoleSessionTTL.String()).Scan(&s.ID, &s.Lang, &s.ExpiresAt); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, detail) VALUES ($1, 'console_signin', $2, '{}')`,
			resident, "console_session:"+strconv.FormatInt(s.ID, 10))
		return err
	})
	if coopbot.ErrorMsgID(err) == "console.link.invalid" {
		// A used or expired link of a known person: recorded against them.
		var resident int64
		qerr := db.Pool.QueryRow(ctx, `SELECT resident_id FROM console_links WHERE token_hash = $1`, h).Scan(&resident)
		if qerr == nil {
			if aerr := db.Audit(ctx, resident, "console_signin", "", false, nil); aerr != nil {
				return nil, aerr
			}
		} else if !errors.Is(qerr, pgx.ErrNoRows) {
			return nil, wrap(qerr, "open console link")
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ConsoleSession returns the live session with this token: not_found when there is none,
// or it expired or was ended.
func (db *DB) ConsoleSession(ctx context.Context, token string) (*coopbot.ConsoleSession, error) {
	if token == "" || len(token) > 100 {
		return nil, &coopbot.Error{Code: coopbot.ENotFound, Err: errors.New("console session: none")}
	}
	s := &coopbot.ConsoleSession{}
	err := db.Pool.QueryRow(ctx, `SELECT id, resident_id, lang, expires_at FROM console_sessions
		WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()`, db.hash(token)).Scan(&s.ID, &s.ResidentID, &s.Lang, &s.ExpiresAt)
	if err != nil {
		return nil, wrap(err, "load console session")
	}
	return s, nil
}

// SetConsoleLang switches a session's language (the chat keeps its own).
func (db *DB) SetConsoleLang(ctx context.Context, sessionID int64, l coopbot.Lang) error {
	if !l.Valid() {
		return &coopbot.Error{Code: coopbot.EInvalid, Err: errors.New("console language: " + string(l))}
	}
	_, err := db.Pool.Exec(ctx, `UPDATE console_sessions SET lang = $2 WHERE id = $1`, sessionID, l)
	return wrap(err, "set console language")
}

// EndConsoleSession ends a session (sign-out), audited; ending one that is over already
// does nothing.
func (db *DB) EndConsoleSession(ctx context.Context, sessionID int64) error {
	return db.once(ctx, "end console session", nil, func(tx pgx.Tx) error {
		var resident int64
		err := tx.QueryRow(ctx, `UPDATE console_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
			RETURNING resident_id`, sessionID).Scan(&resident)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, detail) VALUES ($1, 'console_signout', $2, '{}')`,
			resident, "console_session:"+strconv.FormatInt(sessionID, 10))
		return err
	})
}

// AdministeredCooperatives lists the ids of the cooperatives a resident is an admin of.
func (db *DB) AdministeredCooperatives(ctx context.Context, residentID int64) ([]int64, error) {
	rows, err := db.Pool.Query(ctx, `SELECT cooperative_id FROM cooperative_admins WHERE resident_id = $1 ORDER BY 1`, residentID)
	if err != nil {
		return nil, wrap(err, "list administered cooperatives")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, wrap(err, "list administered cooperatives")
}

// ResidentsByNeighborhood counts the residents (not erased) of each neighborhood within
// the staff scope.
func (db *DB) ResidentsByNeighborhood(ctx context.Context, s *coopbot.Staff) ([]coopbot.ResidentsCount, error) {
	scope, err := needScope(s)
	if err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `SELECT neighborhood_id, count(*) FROM residents
		WHERE neighborhood_id IS NOT NULL AND erased_at IS NULL AND ($1::bigint IS NULL OR neighborhood_id = $1)
		GROUP BY 1 ORDER BY 1`, scope)
	if err != nil {
		return nil, wrap(err, "count residents")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.ResidentsCount, error) {
		var c coopbot.ResidentsCount
		return c, row.Scan(&c.Neighborhood, &c.N)
	})
	return list, wrap(err, "count residents")
}

// PendingJoinCounts counts the pending membership requests of each cooperative a person
// may decide on (their own cooperatives', or those within their staff scope), the
// cooperatives with none included.
func (db *DB) PendingJoinCounts(ctx context.Context, actorID int64) ([]coopbot.PendingJoins, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT c.id, c.neighborhood_id, c.name_fa, c.name_az,
			(SELECT count(*) FROM join_requests j WHERE j.cooperative_id = c.id AND j.status = 'pending' AND j.resident_id <> $1)
		FROM cooperatives c
		WHERE c.status = 'active' AND (
			EXISTS (SELECT 1 FROM cooperative_admins a WHERE a.cooperative_id = c.id AND a.resident_id = $1)
			OR EXISTS (SELECT 1 FROM staff s WHERE s.resident_id = $1 AND (s.role = 'staff' OR s.neighborhood_id = c.neighborhood_id)))
		ORDER BY 5 DESC, c.name_fa`, actorID)
	if err != nil {
		return nil, wrap(err, "count pending join requests")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.PendingJoins, error) {
		var p coopbot.PendingJoins
		c := &p.Cooperative
		return p, row.Scan(&c.ID, &c.NeighborhoodID, &c.NameFa, &c.NameAz, &p.N)
	})
	return list, wrap(err, "count pending join requests")
}

// needOrders are the ORDER BY clauses of the need list's orders.
var needOrders = map[coopbot.NeedSort]string{
	coopbot.NeedByUrgency: "n.urgency, n.created_at, n.id",
	coopbot.NeedNewest:    "n.created_at DESC, n.id DESC",
	coopbot.NeedOldest:    "n.created_at, n.id",
}

// NeedList lists the reports within the staff scope that pass the filter, in an order, a
// page at a time, with the total. The rows carry no personal data (no description,
// address, location or reporter): the report page shows those.
func (db *DB) NeedList(ctx context.Context, s *coopbot.Staff, f coopbot.NeedFilter, sort coopbot.NeedSort, offset, limit int) ([]coopbot.NeedReport, int, error) {
	scope, err := needScope(s)
	if err != nil {
		return nil, 0, err
	}
	order, ok := needOrders[sort]
	if !ok {
		order = needOrders[coopbot.NeedByUrgency]
	}
	if offset < 0 || limit <= 0 || limit > 500 {
		return nil, 0, &coopbot.Error{Code: coopbot.EInvalid, Err: errors.New("need list: bad page")}
	}
	where, args := needWhere(scope, f, nil)
	var total int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM need_reports n WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, wrap(err, "count need list")
	}
	args = append(args, offset, limit)
	rows, err := db.Pool.Query(ctx, `SELECT n.id, n.code, n.neighborhood_id, n.category, n.household_size, n.urgency,
			n.status, n.created_at, n.updated_at FROM need_reports n WHERE `+where+` ORDER BY `+order+
		` OFFSET $`+strconv.Itoa(len(args)-1)+` LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, 0, wrap(err, "need list")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.NeedReport, error) {
		var r coopbot.NeedReport
		return r, row.Scan(&r.ID, &r.Code, &r.NeighborhoodID, &r.Category, &r.Household, &r.Urgency, &r.Status, &r.CreatedAt, &r.UpdatedAt)
	})
	return list, total, wrap(err, "need list")
}

// AuditLog lists the audit log, newest first, a page at a time, with the total. Only
// office-wide staff may read it (a refusal is audited).
func (db *DB) AuditLog(ctx context.Context, actorID int64, f coopbot.AuditFilter, offset, limit int) ([]coopbot.AuditEntry, int, error) {
	if _, err := db.actorStaff(ctx, actorID, 0, "audit_list", ""); err != nil {
		return nil, 0, err
	}
	if offset < 0 || limit <= 0 || limit > 500 {
		return nil, 0, &coopbot.Error{Code: coopbot.EInvalid, Err: errors.New("audit log: bad page")}
	}
	conds, args := []string{"true"}, []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if f.Action != "" {
		add("l.action = $?", f.Action)
	}
	if f.ActorID != 0 {
		add("l.actor_id = $?", f.ActorID)
	}
	if f.Allowed != nil {
		add("l.allowed = $?", *f.Allowed)
	}
	where := strings.Join(conds, " AND ")
	var total int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log l WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, wrap(err, "count audit log")
	}
	args = append(args, offset, limit)
	rows, err := db.Pool.Query(ctx, `SELECT l.id, l.at, COALESCE(l.actor_id, 0), COALESCE(n.name, ''), l.action, l.subject, l.allowed, l.detail::text
		FROM audit_log l LEFT JOIN resident_names n ON n.resident_id = l.actor_id
		WHERE `+where+` ORDER BY l.at DESC, l.id DESC OFFSET $`+strconv.Itoa(len(args)-1)+` LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, 0, wrap(err, "audit log")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.AuditEntry, error) {
		var e coopbot.AuditEntry
		return e, row.Scan(&e.ID, &e.At, &e.ActorID, &e.ActorName, &e.Action, &e.Subject, &e.Allowed, &e.Detail)
	})
	return list, total, wrap(err, "audit log")
}

// AuditActions lists the actions the audit log holds, for its filter.
func (db *DB) AuditActions(ctx context.Context, actorID int64) ([]string, error) {
	if _, err := db.actorStaff(ctx, actorID, 0, "audit_list", ""); err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `SELECT DISTINCT action FROM audit_log ORDER BY 1`)
	if err != nil {
		return nil, wrap(err, "audit actions")
	}
	list, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return list, wrap(err, "audit actions")
}

// WeeklyActivity counts, for each of the weeks weeks ending with the one that holds now
// (weeks start on Saturday, Tehran), the residents who signed up, the need reports, the
// membership requests and the training sign-ups within the staff scope, oldest week
// first.
func (db *DB) WeeklyActivity(ctx context.Context, s *coopbot.Staff, now time.Time, weeks int) ([]coopbot.WeekActivity, error) {
	scope, err := needScope(s)
	if err != nil {
		return nil, err
	}
	if weeks < 1 || weeks > 104 {
		return nil, &coopbot.Error{Code: coopbot.EInvalid, Err: fmt.Errorf("weekly activity: %d weeks", weeks)}
	}
	local := now.In(text.Tehran)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, text.Tehran)
	// Go's Saturday is 6: days since the last Saturday.
	first := day.AddDate(0, 0, -((int(day.Weekday())+1)%7)-7*(weeks-1))
	starts := make([]time.Time, weeks+1)
	for i := range starts {
		starts[i] = first.AddDate(0, 0, 7*i)
	}
	rows, err := db.Pool.Query(ctx, `
		WITH w AS (SELECT s AS since, lead(s) OVER (ORDER BY s) AS until FROM unnest($2::timestamptz[]) s)
		SELECT w.since,
			(SELECT count(*) FROM residents r WHERE r.erased_at IS NULL AND r.created_at >= w.since AND r.created_at < w.until
				AND ($1::bigint IS NULL OR r.neighborhood_id = $1)),
			(SELECT count(*) FROM need_reports n WHERE n.created_at >= w.since AND n.created_at < w.until
				AND ($1::bigint IS NULL OR n.neighborhood_id = $1)),
			(SELECT count(*) FROM join_requests j JOIN cooperatives c ON c.id = j.cooperative_id
				WHERE j.created_at >= w.since AND j.created_at < w.until AND ($1::bigint IS NULL OR c.neighborhood_id = $1)),
			(SELECT count(*) FROM training_enrollments e JOIN trainings t ON t.id = e.training_id
				WHERE e.created_at >= w.since AND e.created_at < w.until AND ($1::bigint IS NULL OR t.neighborhood_id = $1))
		FROM w WHERE w.until IS NOT NULL ORDER BY w.since`, scope, starts)
	if err != nil {
		return nil, wrap(err, "weekly activity")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.WeekActivity, error) {
		var a coopbot.WeekActivity
		err := row.Scan(&a.Start, &a.Residents, &a.Needs, &a.Joins, &a.Enrollments)
		a.Start = a.Start.In(text.Tehran)
		return a, err
	})
	return list, wrap(err, "weekly activity")
}
