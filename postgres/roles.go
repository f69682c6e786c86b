package postgres

import (
	"context"
	"errors"
	"strconv"

	"coopbot"

	"github.com/jackc/pgx/v5"
)

// People and roles: the office appoints and removes neighborhood managers, and removes
// cooperative admins and unused invite codes. Every method checks on the server who
// acts (refusals are audited), and every change is audited and keyed by the update that
// caused it. A removed role is gone at the person's next update: every staff and admin
// action reads the role from here.

// actorStaff returns the actor's role when it covers neighborhood nbh (0: office-wide
// staff only); otherwise the refusal is audited and a forbidden error returned.
func (db *DB) actorStaff(ctx context.Context, actorID, nbh int64, action, subject string) (*coopbot.Staff, error) {
	s, err := db.Staff(ctx, actorID)
	if err != nil {
		return nil, err
	}
	if s != nil && (s.Role == coopbot.RoleStaff || nbh != 0 && s.CanSee(nbh)) {
		return s, nil
	}
	if err := db.Audit(ctx, actorID, action, subject, false, map[string]any{"neighborhood_id": nbh}); err != nil {
		return nil, err
	}
	return nil, &coopbot.Error{Code: coopbot.EForbidden, MsgID: "roles.denied", Err: errors.New(action + ": not allowed")}
}

// StaffMembers lists everyone with a staff role, office-wide staff first, by name. Only
// office-wide staff may.
func (db *DB) StaffMembers(ctx context.Context, actorID int64) ([]coopbot.StaffMember, error) {
	if _, err := db.actorStaff(ctx, actorID, 0, "staff_list", ""); err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `
		SELECT s.resident_id, n.name, r.platform, s.role, COALESCE(s.neighborhood_id, 0), s.source
		FROM staff s JOIN residents r ON r.id = s.resident_id JOIN resident_names n ON n.resident_id = s.resident_id
		ORDER BY s.role = 'staff' DESC, n.name, s.resident_id`)
	if err != nil {
		return nil, wrap(err, "list staff")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.StaffMember, error) {
		var m coopbot.StaffMember
		err := row.Scan(&m.ResidentID, &m.Name, &m.Platform, &m.Role, &m.NeighborhoodID, &m.Source)
		return m, err
	})
	return list, wrap(err, "list staff")
}

// NeighborhoodResidents lists a neighborhood's residents by name (those whose name
// contains query when it is not empty), a page at a time, with the total. Office-wide
// staff only: they appoint managers from it.
func (db *DB) NeighborhoodResidents(ctx context.Context, actorID, nbh int64, query string, offset, limit int) ([]coopbot.Person, int, error) {
	if _, err := db.actorStaff(ctx, actorID, 0, "residents_list", "neighborhood:"+strconv.FormatInt(nbh, 10)); err != nil {
		return nil, 0, err
	}
	if offset < 0 || limit <= 0 {
		return nil, 0, nil
	}
	var total int
	if err := db.Pool.QueryRow(ctx, `
		SELECT count(*) FROM residents r JOIN resident_names n ON n.resident_id = r.id
		WHERE r.neighborhood_id = $1 AND ($2 = '' OR strpos(n.name, $2) > 0)`, nbh, query).Scan(&total); err != nil {
		return nil, 0, wrap(err, "count residents")
	}
	rows, err := db.Pool.Query(ctx, `
		SELECT r.id, n.name, r.platform FROM residents r JOIN resident_names n ON n.resident_id = r.id
		WHERE r.neighborhood_id = $1 AND ($2 = '' OR strpos(n.name, $2) > 0)
		ORDER BY n.name, r.id OFFSET $3 LIMIT $4`, nbh, query, offset, limit)
	if err != nil {
		return nil, 0, wrap(err, "list residents")
	}
	list, err := pgx.CollectRows(rows, scanPerson)
	return list, total, wrap(err, "list residents")
}

func scanPerson(row pgx.CollectableRow) (coopbot.Person, error) {
	var p coopbot.Person
	err := row.Scan(&p.ResidentID, &p.Name, &p.Platform)
	return p, err
}

// GrantManager makes a resident the manager of a neighborhood (office-wide staff only).
// A person who is office-wide staff keeps that role: conflict "roles.already_staff"; a
// manager of another neighborhood moves to this one.
func (db *DB) GrantManager(ctx context.Context, actorID, residentID, nbh int64) error {
	subject := "resident:" + strconv.FormatInt(residentID, 10)
	if _, err := db.actorStaff(ctx, actorID, 0, "manager_grant", subject); err != nil {
		return err
	}
	return db.once(ctx, "grant manager", nil, func(tx pgx.Tx) error {
		var role string
		err := tx.QueryRow(ctx, `SELECT role FROM staff WHERE resident_id = $1 FOR UPDATE`, residentID).Scan(&role)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if role == string(coopbot.RoleStaff) {
			return &coopbot.Error{Code: coopbot.EConflict, MsgID: "roles.already_staff", Err: errors.New("grant manager: already staff")}
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO staff (resident_id, role, neighborhood_id, source)
			SELECT id, 'neighborhood_manager', $2, 'app' FROM residents WHERE id = $1
			ON CONFLICT (resident_id) DO UPDATE SET neighborhood_id = EXCLUDED.neighborhood_id`, residentID, nbh)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return &coopbot.Error{Code: coopbot.ENotFound, MsgID: "roles.person_gone", Err: errors.New("grant manager: no such resident")}
		}
		if _, err = tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, detail) VALUES ($1, 'manager_grant', $2, $3)`,
			actorID, subject, map[string]any{"neighborhood_id": nbh}); err != nil {
			return err
		}
		return db.notify(ctx, tx, NotifyArgs{ResidentID: residentID, Notice: coopbot.Notice{Kind: coopbot.NoticeManagerGranted, ID: nbh}})
	})
}

// RevokeStaff takes a role given in the chat away (office-wide staff only; nobody their
// own). A role from ADMINS is changed only there: conflict "roles.from_config".
func (db *DB) RevokeStaff(ctx context.Context, actorID, residentID int64) error {
	subject := "resident:" + strconv.FormatInt(residentID, 10)
	if _, err := db.actorStaff(ctx, actorID, 0, "staff_revoke", subject); err != nil {
		return err
	}
	if actorID == residentID {
		return &coopbot.Error{Code: coopbot.EConflict, MsgID: "roles.not_yourself", Err: errors.New("revoke staff: own role")}
	}
	return db.once(ctx, "revoke staff", nil, func(tx pgx.Tx) error {
		var role, source string
		err := tx.QueryRow(ctx, `DELETE FROM staff WHERE resident_id = $1 AND source = 'app' RETURNING role, source`, residentID).Scan(&role, &source)
		if errors.Is(err, pgx.ErrNoRows) {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM staff WHERE resident_id = $1)`, residentID).Scan(&exists); err != nil {
				return err
			}
			if exists {
				return &coopbot.Error{Code: coopbot.EConflict, MsgID: "roles.from_config", Err: errors.New("revoke staff: role from ADMINS")}
			}
			return &coopbot.Error{Code: coopbot.ENotFound, MsgID: "roles.gone", Err: errors.New("revoke staff: no role")}
		}
		if err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, detail) VALUES ($1, 'staff_revoke', $2, $3)`,
			actorID, subject, map[string]any{"role": role}); err != nil {
			return err
		}
		return db.notify(ctx, tx, NotifyArgs{ResidentID: residentID, Notice: coopbot.Notice{Kind: coopbot.NoticeRoleRevoked}})
	})
}

// coopNeighborhood is the neighborhood of a cooperative.
func (db *DB) coopNeighborhood(ctx context.Context, coopID int64) (int64, error) {
	var nbh int64
	err := db.Pool.QueryRow(ctx, `SELECT neighborhood_id FROM cooperatives WHERE id = $1`, coopID).Scan(&nbh)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, &coopbot.Error{Code: coopbot.ENotFound, MsgID: "roles.coop_gone", Err: errors.New("no such cooperative")}
	}
	return nbh, wrap(err, "load cooperative")
}

// CoopAdmins lists a cooperative's admins by name (staff whose scope covers it).
func (db *DB) CoopAdmins(ctx context.Context, actorID, coopID int64) ([]coopbot.Person, error) {
	nbh, err := db.coopNeighborhood(ctx, coopID)
	if err != nil {
		return nil, err
	}
	if _, err := db.actorStaff(ctx, actorID, nbh, "coop_admins_list", "cooperative:"+strconv.FormatInt(coopID, 10)); err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `
		SELECT a.resident_id, n.name, r.platform FROM cooperative_admins a
		JOIN residents r ON r.id = a.resident_id JOIN resident_names n ON n.resident_id = a.resident_id
		WHERE a.cooperative_id = $1 ORDER BY n.name, a.resident_id`, coopID)
	if err != nil {
		return nil, wrap(err, "list cooperative admins")
	}
	list, err := pgx.CollectRows(rows, scanPerson)
	return list, wrap(err, "list cooperative admins")
}

// RevokeCoopAdmin removes an admin from a cooperative (staff whose scope covers it);
// not_found when they were not one (any more).
func (db *DB) RevokeCoopAdmin(ctx context.Context, actorID, coopID, residentID int64) error {
	nbh, err := db.coopNeighborhood(ctx, coopID)
	if err != nil {
		return err
	}
	subject := "cooperative:" + strconv.FormatInt(coopID, 10)
	if _, err := db.actorStaff(ctx, actorID, nbh, "coop_admin_revoke", subject); err != nil {
		return err
	}
	return db.once(ctx, "revoke cooperative admin", nil, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM cooperative_admins WHERE cooperative_id = $1 AND resident_id = $2`, coopID, residentID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return &coopbot.Error{Code: coopbot.ENotFound, MsgID: "roles.gone", Err: errors.New("revoke cooperative admin: not an admin")}
		}
		if _, err = tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, detail) VALUES ($1, 'coop_admin_revoke', $2, $3)`,
			actorID, subject, map[string]any{"resident_id": residentID}); err != nil {
			return err
		}
		return db.notify(ctx, tx, NotifyArgs{ResidentID: residentID, Notice: coopbot.Notice{Kind: coopbot.NoticeRoleRevoked, ID: coopID}})
	})
}

// CoopInvites lists a cooperative's invite codes that can still be used, newest first.
func (db *DB) CoopInvites(ctx context.Context, actorID, coopID int64) ([]coopbot.Invite, error) {
	nbh, err := db.coopNeighborhood(ctx, coopID)
	if err != nil {
		return nil, err
	}
	if _, err := db.actorStaff(ctx, actorID, nbh, "coop_invites_list", "cooperative:"+strconv.FormatInt(coopID, 10)); err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `
		SELECT i.id, i.cooperative_id, n.name, i.created_at, i.expires_at FROM coop_invites i
		JOIN resident_names n ON n.resident_id = i.created_by
		WHERE i.cooperative_id = $1 AND i.used_at IS NULL AND i.expires_at > now()
		ORDER BY i.created_at DESC, i.id DESC`, coopID)
	if err != nil {
		return nil, wrap(err, "list invites")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.Invite, error) {
		var v coopbot.Invite
		err := row.Scan(&v.ID, &v.CoopID, &v.CreatedBy, &v.CreatedAt, &v.ExpiresAt)
		return v, err
	})
	return list, wrap(err, "list invites")
}

// RevokeCoopInvite ends an unused invite code now: sent later, it reads as expired.
// not_found when it was used or had ended already.
func (db *DB) RevokeCoopInvite(ctx context.Context, actorID, inviteID int64) error {
	var coopID int64
	err := db.Pool.QueryRow(ctx, `SELECT cooperative_id FROM coop_invites WHERE id = $1`, inviteID).Scan(&coopID)
	if errors.Is(err, pgx.ErrNoRows) {
		return &coopbot.Error{Code: coopbot.ENotFound, MsgID: "roles.gone", Err: errors.New("revoke invite: no such invite")}
	}
	if err != nil {
		return wrap(err, "revoke invite")
	}
	nbh, err := db.coopNeighborhood(ctx, coopID)
	if err != nil {
		return err
	}
	subject := "cooperative:" + strconv.FormatInt(coopID, 10)
	if _, err := db.actorStaff(ctx, actorID, nbh, "coop_invite_revoke", subject); err != nil {
		return err
	}
	return db.once(ctx, "revoke invite", nil, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE coop_invites SET expires_at = now() WHERE id = $1 AND used_at IS NULL AND expires_at > now()`, inviteID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return &coopbot.Error{Code: coopbot.ENotFound, MsgID: "roles.gone", Err: errors.New("revoke invite: used or ended")}
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, detail) VALUES ($1, 'coop_invite_revoke', $2, $3)`,
			actorID, subject, map[string]any{"invite_id": inviteID})
		return err
	})
}
