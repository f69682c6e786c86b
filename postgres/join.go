package postgres

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"coopbot"
	"coopbot/text"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// Membership requests, cooperative admins and their invite codes.

// inviteTTL is how long an admin invite code stays valid.
const inviteTTL = 7 * 24 * time.Hour

// DefaultPendingRemindDays is how long a request waits before its cooperative's admins
// are reminded of it daily.
const DefaultPendingRemindDays = 3

// remindFromHour is the hour (Asia/Tehran) before which nobody is reminded.
const remindFromHour = 9

const cooperativeColumns = `c.id, c.neighborhood_id, c.name_fa, c.name_az, c.activity_fa, c.activity_az, c.min_share, c.members`

func scanCooperative(row pgx.Row) (coopbot.Cooperative, error) {
	var co coopbot.Cooperative
	err := row.Scan(&co.ID, &co.NeighborhoodID, &co.NameFa, &co.NameAz, &co.ActivityFa, &co.ActivityAz, &co.MinShare, &co.Members)
	return co, err
}

// SealJoinAnswer seals personal data kept in a conversation until it is submitted.
func (db *DB) SealJoinAnswer(plain string) string {
	return base64.RawStdEncoding.EncodeToString(db.seal(plain))
}

// OpenJoinAnswer reverses SealJoinAnswer.
func (db *DB) OpenJoinAnswer(sealed string) (string, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil {
		return "", fmt.Errorf("open join answer: %w", err)
	}
	plain, err := db.open(b)
	if err != nil {
		return "", fmt.Errorf("open join answer: %w", err)
	}
	return plain, nil
}

const joinColumns = `j.id, j.cooperative_id, j.resident_id, j.full_name, j.national_id_enc, j.phone_enc,
	j.share, j.skills, j.skills_other, j.status, COALESCE(j.decided_by, 0), COALESCE(d.name, ''),
	j.decided_at, j.reason_code, j.reason_text, j.created_at, ` + cooperativeColumns

const joinFrom = ` FROM join_requests j JOIN cooperatives c ON c.id = j.cooperative_id
	LEFT JOIN residents d ON d.id = j.decided_by `

// scanJoin reads a request; personal data is opened only when open is set.
func (db *DB) scanJoin(row pgx.Row, open bool) (*coopbot.JoinRequest, error) {
	var (
		r          coopbot.JoinRequest
		nid, phone []byte
		decidedAt  *time.Time
		co         = &r.Cooperative
	)
	err := row.Scan(&r.ID, &r.CooperativeID, &r.ResidentID, &r.FullName, &nid, &phone,
		&r.Share, &r.Skills, &r.SkillsOther, &r.Status, &r.DecidedBy, &r.DeciderName,
		&decidedAt, &r.ReasonCode, &r.ReasonText, &r.CreatedAt,
		&co.ID, &co.NeighborhoodID, &co.NameFa, &co.NameAz, &co.ActivityFa, &co.ActivityAz, &co.MinShare, &co.Members)
	if err != nil {
		return nil, err
	}
	if decidedAt != nil {
		r.DecidedAt = *decidedAt
	}
	r.Overdue = r.Status == coopbot.JoinPending && time.Since(r.CreatedAt) > db.remindAge()
	if open {
		if r.NationalID, err = db.open(nid); err != nil {
			return nil, err
		}
		if r.Phone, err = db.open(phone); err != nil {
			return nil, err
		}
	}
	return &r, nil
}

// remindAge is how long a request waits before its deciders are reminded of it: from
// then on it is overdue.
func (db *DB) remindAge() time.Duration {
	days := db.remindDays
	if days <= 0 {
		days = DefaultPendingRemindDays
	}
	return time.Duration(days) * 24 * time.Hour
}

// JoinRequest loads one request with its personal data opened, and where else its
// national ID has applied or is a member.
func (db *DB) JoinRequest(ctx context.Context, id int64) (*coopbot.JoinRequest, error) {
	r, err := db.scanJoin(db.Pool.QueryRow(ctx, `SELECT `+joinColumns+joinFrom+`WHERE j.id = $1`, id), true)
	if err != nil {
		return nil, wrap(err, "load join request")
	}
	if r.Elsewhere, err = db.joinElsewhere(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// maxElsewhere bounds the cooperatives a card names, so that it stays one message.
const maxElsewhere = 10

// joinElsewhere finds the open requests and memberships under r's national ID other than
// r and other than its own resident's at its own cooperative: one per cooperative (a
// membership before a request), members first, by name. An erased request's empty hash
// matches nothing.
func (db *DB) joinElsewhere(ctx context.Context, r *coopbot.JoinRequest) ([]coopbot.JoinElsewhere, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT o.member, `+cooperativeColumns+` FROM (
			SELECT DISTINCT ON (o.cooperative_id) o.cooperative_id, o.status = 'approved' AS member
			FROM join_requests j JOIN join_requests o ON o.national_id_hash = j.national_id_hash
			WHERE j.id = $1 AND j.national_id_hash <> '' AND o.id <> j.id
			  AND o.status IN ('pending', 'approved')
			  AND NOT (o.cooperative_id = j.cooperative_id AND o.resident_id = j.resident_id)
			ORDER BY o.cooperative_id, o.status = 'approved' DESC) o
		JOIN cooperatives c ON c.id = o.cooperative_id
		ORDER BY c.id <> $2, o.member DESC, c.name_fa LIMIT $3`, r.ID, r.CooperativeID, maxElsewhere)
	if err != nil {
		return nil, wrap(err, "find the national ID elsewhere")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.JoinElsewhere, error) {
		var e coopbot.JoinElsewhere
		co := &e.Cooperative
		err := row.Scan(&e.Member, &co.ID, &co.NeighborhoodID, &co.NameFa, &co.NameAz, &co.ActivityFa, &co.ActivityAz, &co.MinShare, &co.Members)
		e.Same = co.ID == r.CooperativeID
		return e, err
	})
	return list, wrap(err, "find the national ID elsewhere")
}

// JoinRequests lists a resident's requests, newest first, without personal data.
func (db *DB) JoinRequests(ctx context.Context, residentID int64) ([]coopbot.JoinRequest, error) {
	return db.joinList(ctx, "list join requests", `WHERE j.resident_id = $1 ORDER BY j.created_at DESC, j.id DESC`, residentID)
}

// PendingJoinRequests lists the pending requests a person may decide (their
// cooperatives', or all within their staff scope; never their own), oldest first,
// without personal data.
func (db *DB) PendingJoinRequests(ctx context.Context, actorID int64) ([]coopbot.JoinRequest, error) {
	return db.joinList(ctx, "list pending join requests", `WHERE j.status = 'pending' AND j.resident_id <> $1 AND (
			EXISTS (SELECT 1 FROM cooperative_admins a WHERE a.cooperative_id = j.cooperative_id AND a.resident_id = $1)
			OR EXISTS (SELECT 1 FROM staff s WHERE s.resident_id = $1 AND (s.role = 'staff' OR s.neighborhood_id = c.neighborhood_id)))
		ORDER BY j.created_at, j.id LIMIT 500`, actorID)
}

func (db *DB) joinList(ctx context.Context, what, where string, args ...any) ([]coopbot.JoinRequest, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+joinColumns+joinFrom+where, args...)
	if err != nil {
		return nil, wrap(err, what)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.JoinRequest, error) {
		r, err := db.scanJoin(row, false)
		if err != nil {
			return coopbot.JoinRequest{}, err
		}
		return *r, nil
	})
	return list, wrap(err, what)
}

// ActiveJoinRequest returns the resident's pending request to a cooperative, or else
// their approved one; nil when there is neither.
func (db *DB) ActiveJoinRequest(ctx context.Context, residentID, coopID int64) (*coopbot.JoinRequest, error) {
	r, err := db.scanJoin(db.Pool.QueryRow(ctx, `SELECT `+joinColumns+joinFrom+`
		WHERE j.resident_id = $1 AND j.cooperative_id = $2 AND j.status IN ('pending', 'approved')
		ORDER BY j.status = 'pending' DESC, j.created_at DESC LIMIT 1`, residentID, coopID), false)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return r, wrap(err, "find open join request")
}

// JoinCardArgs is the job that shows a new request to one admin. It carries ids only:
// the card, with the national ID and phone, is built when it is sent, so personal data
// never sits in plain text in the job table, and a request withdrawn or decided before
// then sends nothing.
type JoinCardArgs struct {
	RequestID int64 `json:"request_id"`
	AdminID   int64 `json:"admin_id"`
}

// Kind is the River job kind.
func (JoinCardArgs) Kind() string { return "join_card" }

// InsertOpts: retried like notifications.
func (JoinCardArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 12} }

type joinCardWorker struct {
	river.WorkerDefaults[JoinCardArgs]
	db *DB
}

func (w *joinCardWorker) Work(ctx context.Context, job *river.Job[JoinCardArgs]) error {
	r, err := w.db.JoinRequest(ctx, job.Args.RequestID)
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if r.Status != coopbot.JoinPending {
		return nil
	}
	// Delivery (unreachable admins, rate limits) works as for every notification.
	nw := &notifyWorker{db: w.db}
	return nw.Work(ctx, &river.Job[NotifyArgs]{JobRow: job.JobRow, Args: NotifyArgs{ResidentID: job.Args.AdminID, Notice: coopbot.Notice{Kind: coopbot.NoticeJoinCard, ID: r.ID}}})
}

// JoinRemindArgs is the periodic job that reminds admins of requests left pending.
type JoinRemindArgs struct{}

// Kind is the River job kind.
func (JoinRemindArgs) Kind() string { return "join_remind" }

type joinRemindWorker struct {
	river.WorkerDefaults[JoinRemindArgs]
	db *DB
}

func (w *joinRemindWorker) Work(ctx context.Context, job *river.Job[JoinRemindArgs]) error {
	_, err := w.db.RemindPendingJoins(ctx, time.Now())
	return err
}

func addJoinWorkers(db *DB, w *river.Workers) error {
	if err := river.AddWorkerSafely(w, &joinCardWorker{db: db}); err != nil {
		return err
	}
	return river.AddWorkerSafely(w, &joinRemindWorker{db: db})
}

// joinRemindJob runs the reminder every hour; RemindPendingJoins keeps it to once a day
// per cooperative.
func joinRemindJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return JoinRemindArgs{}, nil },
		&river.PeriodicJobOpts{ID: "join_remind", RunOnStart: true})
}

// deciders are the people a cooperative's requests go to: its admins, or, while it has
// none, the staff whose scope covers it, so that no request waits unseen (the route says
// which). The applicant (applicant, 0 for none) never decides on their own request.
func deciders(ctx context.Context, tx pgx.Tx, coopID, applicant int64) ([]int64, coopbot.JoinRoute, error) {
	rows, err := tx.Query(ctx, `
		WITH a AS (SELECT resident_id FROM cooperative_admins WHERE cooperative_id = $1 AND resident_id <> $2)
		SELECT resident_id, true FROM a
		UNION
		SELECT s.resident_id, false FROM staff s JOIN cooperatives c ON c.id = $1
		WHERE NOT EXISTS (SELECT 1 FROM a) AND s.resident_id <> $2
		  AND (s.role = 'staff' OR s.neighborhood_id = c.neighborhood_id)
		ORDER BY 1`, coopID, applicant)
	if err != nil {
		return nil, "", err
	}
	route := coopbot.JoinToOffice
	ids, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (int64, error) {
		var (
			id    int64
			admin bool
		)
		if err := row.Scan(&id, &admin); err != nil {
			return 0, err
		}
		if admin {
			route = coopbot.JoinToAdmins
		}
		return id, nil
	})
	return ids, route, err
}

// SubmitJoinRequest stores a pending request and queues a card for every admin of the
// cooperative in the same transaction, or, while it has none, for the office's staff.
func (db *DB) SubmitJoinRequest(ctx context.Context, r *coopbot.JoinRequest) (int64, coopbot.JoinRoute, error) {
	var res struct {
		ID    int64
		Route coopbot.JoinRoute
	}
	err := db.once(ctx, "submit join request", &res, func(tx pgx.Tx) error {
		id := &res.ID
		var (
			status   string
			minShare int64
		)
		err := tx.QueryRow(ctx, `SELECT status, min_share FROM cooperatives WHERE id = $1 FOR SHARE`, r.CooperativeID).Scan(&status, &minShare)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if status != "active" {
			return coopbot.Errorf(coopbot.EInvalid, "join.coop.closed")
		}
		if r.Share < minShare {
			return coopbot.Errorf(coopbot.EInvalid, "join.share.below_min")
		}
		var member bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM join_requests WHERE cooperative_id = $1 AND resident_id = $2 AND status = 'approved')`,
			r.CooperativeID, r.ResidentID).Scan(&member); err != nil {
			return err
		}
		if member {
			return coopbot.Errorf(coopbot.EConflict, "join.already_member")
		}
		// One national ID is one person: at a cooperative it has one open request or one
		// membership, whichever account it comes from. Submissions of the same ID to the
		// same cooperative wait for each other here, so two accounts sending it at once
		// cannot both pass.
		nidHash := db.hash(r.NationalID)
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('join_nid:' || $1::bigint || ':' || encode($2, 'hex'), 0))`,
			r.CooperativeID, nidHash); err != nil {
			return err
		}
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM join_requests WHERE national_id_hash = $1 AND cooperative_id = $2
				AND resident_id <> $3 AND status IN ('pending', 'approved'))`,
			nidHash, r.CooperativeID, r.ResidentID).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return coopbot.Errorf(coopbot.EConflict, "join.nid.taken")
		}
		skills := r.Skills
		if skills == nil {
			skills = []string{}
		}
		err = tx.QueryRow(ctx, `
			INSERT INTO join_requests (cooperative_id, resident_id, full_name, national_id_enc, national_id_hash,
				phone_enc, phone_hash, share, skills, skills_other)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (cooperative_id, resident_id) WHERE status = 'pending' DO NOTHING
			RETURNING id`,
			r.CooperativeID, r.ResidentID, r.FullName, db.seal(r.NationalID), nidHash,
			db.seal(r.Phone), db.hash(r.Phone), r.Share, skills, r.SkillsOther).Scan(id)
		if errors.Is(err, pgx.ErrNoRows) {
			return coopbot.Errorf(coopbot.EConflict, "join.duplicate")
		}
		if err != nil {
			return err
		}
		admins, route, err := deciders(ctx, tx, r.CooperativeID, r.ResidentID)
		if err != nil {
			return err
		}
		res.Route = route
		if len(admins) == 0 {
			return nil
		}
		params := make([]river.InsertManyParams, len(admins))
		for i, a := range admins {
			params[i] = river.InsertManyParams{Args: JoinCardArgs{RequestID: *id, AdminID: a}}
		}
		if _, err := db.river.InsertManyTx(ctx, tx, params); err != nil {
			return fmt.Errorf("queue join cards: %w", err)
		}
		return nil
	})
	if coopbot.ErrorMsgID(err) == "join.nid.taken" {
		// Recorded, without the ID: the office may want to know who tried.
		if aerr := db.Audit(ctx, r.ResidentID, "join_nid_taken", "cooperative:"+strconv.FormatInt(r.CooperativeID, 10), false, nil); aerr != nil {
			return 0, "", aerr
		}
	}
	if coopbot.ErrorMsgID(err) != "" {
		return 0, "", err
	}
	return res.ID, res.Route, wrap(err, "submit join request")
}

// WithdrawJoinRequest withdraws the resident's own pending request.
func (db *DB) WithdrawJoinRequest(ctx context.Context, residentID, id int64) (*coopbot.JoinRequest, error) {
	var withdrawn bool
	err := db.once(ctx, "withdraw join request", &withdrawn, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE join_requests SET status = 'withdrawn', decided_by = resident_id, decided_at = now(), updated_at = now()
			WHERE id = $1 AND resident_id = $2 AND status = 'pending'`, id, residentID)
		withdrawn = tag.RowsAffected() == 1
		return err
	})
	if err != nil {
		return nil, err
	}
	r, err := db.JoinRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.ResidentID != residentID {
		return nil, &coopbot.Error{Code: coopbot.ENotFound, Err: errors.New("withdraw join request: not the resident's")}
	}
	r.NationalID, r.Phone = "", ""
	if !withdrawn {
		return r, &coopbot.Error{Code: coopbot.EConflict, Err: fmt.Errorf("withdraw join request: already %s", r.Status)}
	}
	return r, nil
}

func canDecide(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, actorID, coopID int64) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM cooperative_admins WHERE cooperative_id = $2 AND resident_id = $1)
		OR EXISTS (SELECT 1 FROM staff s JOIN cooperatives c ON c.id = $2
			WHERE s.resident_id = $1 AND (s.role = 'staff' OR s.neighborhood_id = c.neighborhood_id))`,
		actorID, coopID).Scan(&ok)
	return ok, err
}

// CanDecideJoin reports whether a person may decide on a cooperative's requests.
func (db *DB) CanDecideJoin(ctx context.Context, actorID, coopID int64) (bool, error) {
	ok, err := canDecide(ctx, db.Pool, actorID, coopID)
	return ok, wrap(err, "check join decider")
}

// DecideJoinRequest decides a pending request; the first decision wins. Authorization is
// checked again inside the transaction; a refusal is audited. The applicant's notice is
// queued with the decision and worded when it is sent.
func (db *DB) DecideJoinRequest(ctx context.Context, d coopbot.JoinDecision) (*coopbot.JoinRequest, bool, error) {
	if err := d.Check(); err != nil {
		return nil, false, err
	}
	status := d.Status()
	subject := "join_request:" + strconv.FormatInt(d.RequestID, 10)
	detail := map[string]any{"status": status, "reason": d.ReasonCode}
	var res struct{ Won, Allowed bool }
	err := db.once(ctx, "decide join request", &res, func(tx pgx.Tx) error {
		var coopID, residentID int64
		if err := tx.QueryRow(ctx, `SELECT cooperative_id, resident_id FROM join_requests WHERE id = $1`, d.RequestID).Scan(&coopID, &residentID); err != nil {
			return err
		}
		var err error
		if res.Allowed, err = canDecide(ctx, tx, d.ActorID, coopID); err != nil || !res.Allowed {
			return err
		}
		if res.Allowed = residentID != d.ActorID; !res.Allowed {
			return nil // nobody decides on their own request
		}
		// The row lock makes a concurrent decision wait here and then find the request
		// no longer pending.
		tag, err := tx.Exec(ctx, `
			UPDATE join_requests SET status = $2, decided_by = $3, decided_at = now(), updated_at = now(),
				reason_code = $4, reason_text = $5
			WHERE id = $1 AND status = 'pending'`, d.RequestID, status, d.ActorID, d.ReasonCode, d.ReasonText)
		if err != nil {
			return err
		}
		if res.Won = tag.RowsAffected() == 1; !res.Won {
			return nil
		}
		if d.Approve {
			if _, err := tx.Exec(ctx, `UPDATE cooperatives SET members = members + 1 WHERE id = $1`, coopID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, allowed, detail) VALUES ($1, 'join_decide', $2, true, $3)`,
			d.ActorID, subject, detail); err != nil {
			return err
		}
		return db.notify(ctx, tx, NotifyArgs{ResidentID: residentID, Notice: coopbot.Notice{Kind: coopbot.NoticeJoinDecision, ID: d.RequestID}})
	})
	if err != nil {
		return nil, false, err
	}
	if !res.Allowed {
		if err := db.Audit(ctx, d.ActorID, "join_decide", subject, false, detail); err != nil {
			return nil, false, err
		}
		return nil, false, &coopbot.Error{Code: coopbot.EForbidden, MsgID: "admin.denied", Err: errors.New("decide join request: not an admin of the cooperative")}
	}
	r, err := db.JoinRequest(ctx, d.RequestID)
	return r, res.Won, err
}

// CreateCoopInvite makes a one-time admin invite code for a cooperative. Only a keyed
// hash of the code is stored; it expires after seven days.
func (db *DB) CreateCoopInvite(ctx context.Context, actorID, coopID int64) (coopbot.InviteCode, time.Time, error) {
	subject := "cooperative:" + strconv.FormatInt(coopID, 10)
	staff, err := db.Staff(ctx, actorID)
	if err != nil {
		return "", time.Time{}, err
	}
	var nbh int64
	if err := db.Pool.QueryRow(ctx, `SELECT neighborhood_id FROM cooperatives WHERE id = $1`, coopID).Scan(&nbh); err != nil {
		return "", time.Time{}, wrap(err, "create invite: load cooperative")
	}
	if !staff.CanSee(nbh) {
		if err := db.Audit(ctx, actorID, "coop_invite_create", subject, false, nil); err != nil {
			return "", time.Time{}, err
		}
		return "", time.Time{}, &coopbot.Error{Code: coopbot.EForbidden, MsgID: "admin.denied", Err: errors.New("create invite: not staff")}
	}
	// The code is part of the effect's result: an update handled again shows the same code
	// instead of making a second one.
	var inv struct {
		Code    coopbot.InviteCode
		Expires time.Time
	}
	err = db.once(ctx, "create invite", &inv, func(tx pgx.Tx) error {
		inv.Code = coopbot.NewInviteCode()
		var inviteID int64
		if err := tx.QueryRow(ctx, `
			INSERT INTO coop_invites (code_hash, cooperative_id, created_by, expires_at)
			VALUES ($1, $2, $3, now() + $4::interval) RETURNING id, expires_at`,
			db.hash(string(inv.Code)), coopID, actorID, fmt.Sprintf("%d seconds", int(inviteTTL.Seconds()))).Scan(&inviteID, &inv.Expires); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, detail) VALUES ($1, 'coop_invite_create', $2, $3)`,
			actorID, subject, map[string]any{"invite_id": inviteID})
		return err
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return inv.Code, inv.Expires, nil
}

// RedeemCoopInvite makes the resident an admin of the invite's cooperative and uses the
// code up.
func (db *DB) RedeemCoopInvite(ctx context.Context, residentID int64, code coopbot.InviteCode) (*coopbot.Cooperative, bool, error) {
	var res struct {
		Co      coopbot.Cooperative
		Already bool
	}
	err := db.once(ctx, "redeem invite", &res, func(tx pgx.Tx) error {
		var inviteID int64
		co := &res.Co
		if err := tx.QueryRow(ctx, `
			UPDATE coop_invites SET used_by = $2, used_at = now()
			WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()
			RETURNING id, cooperative_id`, db.hash(string(code)), residentID).Scan(&inviteID, &co.ID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO cooperative_admins (cooperative_id, resident_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, co.ID, residentID)
		if err != nil {
			return err
		}
		res.Already = tag.RowsAffected() == 0
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, detail) VALUES ($1, 'coop_invite_redeem', $2, $3)`,
			residentID, "cooperative:"+strconv.FormatInt(co.ID, 10), map[string]any{"invite_id": inviteID, "already": res.Already}); err != nil {
			return err
		}
		*co, err = scanCooperative(tx.QueryRow(ctx, `SELECT `+cooperativeColumns+` FROM cooperatives c WHERE c.id = $1`, co.ID))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		// Unknown, used or expired: recorded, as guessing codes would be.
		if err := db.Audit(ctx, residentID, "coop_invite_redeem", "", false, nil); err != nil {
			return nil, false, err
		}
		return nil, false, &coopbot.Error{Code: coopbot.ENotFound, MsgID: "admin.invite.invalid", Err: errors.New("redeem invite: no such valid code")}
	}
	if err != nil {
		return nil, false, err
	}
	return &res.Co, res.Already, nil
}

// RemindPendingJoins reminds each cooperative's admins, once a day (Asia/Tehran) and not
// before 9:00, of its requests pending for more than the configured number of days. It
// returns how many cooperatives were reminded.
func (db *DB) RemindPendingJoins(ctx context.Context, now time.Time) (int, error) {
	local := now.In(text.Tehran)
	if local.Hour() < remindFromHour {
		return 0, nil
	}
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	age := db.remindAge()
	days := int(age / (24 * time.Hour))
	reminded := 0
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT `+cooperativeColumns+`, due.n FROM (
				SELECT cooperative_id, count(*) AS n FROM join_requests
				WHERE status = 'pending' AND created_at < $1
				GROUP BY cooperative_id) due
			JOIN cooperatives c ON c.id = due.cooperative_id
			ORDER BY c.id`, now.Add(-age))
		if err != nil {
			return err
		}
		type due struct {
			co coopbot.Cooperative
			n  int
		}
		list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (due, error) {
			var d due
			co := &d.co
			err := row.Scan(&co.ID, &co.NeighborhoodID, &co.NameFa, &co.NameAz, &co.ActivityFa, &co.ActivityAz, &co.MinShare, &co.Members, &d.n)
			return d, err
		})
		if err != nil {
			return err
		}
		for _, d := range list {
			// Claim today's reminder of this cooperative; another run today finds it taken.
			tag, err := tx.Exec(ctx, `
				INSERT INTO join_reminders (cooperative_id, reminded_on) VALUES ($1, $2)
				ON CONFLICT (cooperative_id) DO UPDATE SET reminded_on = EXCLUDED.reminded_on
				WHERE join_reminders.reminded_on < EXCLUDED.reminded_on`, d.co.ID, today)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				continue
			}
			admins, _, err := deciders(ctx, tx, d.co.ID, 0)
			if err != nil {
				return err
			}
			msgs := make([]NotifyArgs, len(admins))
			for i, a := range admins {
				msgs[i] = NotifyArgs{ResidentID: a, Notice: coopbot.Notice{Kind: coopbot.NoticeJoinReminder, ID: d.co.ID, N: []int64{int64(d.n), int64(days)}}}
			}
			if err := db.notify(ctx, tx, msgs...); err != nil {
				return err
			}
			reminded++
		}
		return nil
	})
	if err != nil {
		return 0, wrap(err, "remind pending join requests")
	}
	return reminded, nil
}

// seedJoin gives the demo cooperatives their members so far (only while they have none).
func seedJoin(ctx context.Context, tx pgx.Tx) error {
	for name, n := range map[string]int{
		"تعاونی فرش‌بافی بانوان سرخاب":      34,
		"تعاونی مصرف محله ائل‌گلی":          112,
		"تعاونی صنایع دستی ششگلان":          21,
		"تعاونی خدمات فنی جوانان مارالان":   17,
		"تعاونی نان و شیرینی محلی حکم‌آباد": 26,
	} {
		if _, err := tx.Exec(ctx, `UPDATE cooperatives SET members = $2 WHERE name_fa = $1 AND members = 0`, name, n); err != nil {
			return fmt.Errorf("seed cooperative members: %w", err)
		}
	}
	return nil
}
