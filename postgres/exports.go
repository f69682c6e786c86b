package postgres

import (
	"context"
	"errors"
	"strconv"
	"time"

	"coopbot"

	"github.com/jackc/pgx/v5"
)

// Exports that are not need reports or enrollees: a cooperative's membership requests and
// a broadcast's deliveries. Each checks who asks; a refusal is audited here, a delivered
// export by the flow that sends it.

// JoinExport loads a cooperative and every request to it, oldest first, with personal
// data opened, for one of its admins or staff whose scope covers it. Anyone else (and a
// cooperative that does not exist) is forbidden, audited as join_export.
func (db *DB) JoinExport(ctx context.Context, actorID, coopID int64) (*coopbot.Cooperative, []coopbot.JoinRequest, error) {
	ok, err := canDecide(ctx, db.Pool, actorID, coopID)
	if err != nil {
		return nil, nil, wrap(err, "export join requests: check rights")
	}
	if !ok {
		if err := db.Audit(ctx, actorID, "join_export", "cooperative:"+strconv.FormatInt(coopID, 10), false, nil); err != nil {
			return nil, nil, err
		}
		return nil, nil, &coopbot.Error{Code: coopbot.EForbidden, MsgID: "admin.denied", Err: errors.New("export join requests: not an admin of the cooperative nor staff")}
	}
	co, err := scanCooperative(db.Pool.QueryRow(ctx, `SELECT `+cooperativeColumns+` FROM cooperatives c WHERE c.id = $1`, coopID))
	if err != nil {
		return nil, nil, wrap(err, "export join requests: load cooperative")
	}
	rows, err := db.Pool.Query(ctx, `SELECT `+joinColumns+joinFrom+`WHERE j.cooperative_id = $1 ORDER BY j.created_at, j.id`, coopID)
	if err != nil {
		return nil, nil, wrap(err, "export join requests")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.JoinRequest, error) {
		r, err := db.scanJoin(row, true)
		if err != nil {
			return coopbot.JoinRequest{}, err
		}
		return *r, nil
	})
	if err != nil {
		return nil, nil, wrap(err, "export join requests")
	}
	return &co, list, nil
}

// BroadcastRecipients lists a broadcast's deliveries in the order they were queued, for
// office staff, or the neighborhood manager of the one neighborhood it went to. Anyone
// else (and a broadcast that does not exist) is forbidden, audited as broadcast_export.
func (db *DB) BroadcastRecipients(ctx context.Context, actorID, id int64) ([]coopbot.BroadcastRecipient, error) {
	s, err := db.Staff(ctx, actorID)
	if err != nil {
		return nil, err
	}
	var nbh *int64
	err = db.Pool.QueryRow(ctx, `SELECT neighborhood_id FROM broadcasts WHERE id = $1`, id).Scan(&nbh)
	found := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, wrap(err, "export broadcast: load broadcast")
	}
	if !found || s == nil || (s.Role != coopbot.RoleStaff && (nbh == nil || s.NeighborhoodID == 0 || s.NeighborhoodID != *nbh)) {
		if err := db.Audit(ctx, actorID, "broadcast_export", "broadcast:"+strconv.FormatInt(id, 10), false, nil); err != nil {
			return nil, err
		}
		return nil, &coopbot.Error{Code: coopbot.EForbidden, MsgID: "broadcast.denied", Err: errors.New("export broadcast: not staff of its audience")}
	}
	rows, err := db.Pool.Query(ctx, `
		SELECT COALESCE(rn.name, ''), COALESCE(n.name_fa, ''), COALESCE(n.name_az, ''), d.state, d.done_at
		FROM deliveries d
		LEFT JOIN residents r ON r.id = d.resident_id
		LEFT JOIN resident_names rn ON rn.resident_id = d.resident_id
		LEFT JOIN neighborhoods n ON n.id = r.neighborhood_id
		WHERE d.broadcast_id = $1 ORDER BY d.id`, id)
	if err != nil {
		return nil, wrap(err, "export broadcast")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.BroadcastRecipient, error) {
		var (
			r     coopbot.BroadcastRecipient
			state string
			at    *time.Time
		)
		if err := row.Scan(&r.Name, &r.Neighborhood.Fa, &r.Neighborhood.Az, &state, &at); err != nil {
			return r, err
		}
		switch state {
		case "sent", "unreachable", "failed", "unknown":
			r.State = coopbot.DeliveryOutcome(state)
		case "cancelled":
			r.State = coopbot.DeliveryNotSent
		default:
			r.State = coopbot.DeliveryWaiting
		}
		if at != nil && r.State != coopbot.DeliveryWaiting {
			r.At = *at
		}
		return r, nil
	})
	return list, wrap(err, "export broadcast")
}

// AdminCooperatives lists the active cooperatives a resident is an admin of, by name.
func (db *DB) AdminCooperatives(ctx context.Context, residentID int64) ([]coopbot.Cooperative, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+cooperativeColumns+` FROM cooperatives c
		JOIN cooperative_admins a ON a.cooperative_id = c.id
		WHERE a.resident_id = $1 AND c.status = 'active' ORDER BY c.name_fa`, residentID)
	if err != nil {
		return nil, wrap(err, "list the cooperatives of an admin")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.Cooperative, error) { return scanCooperative(row) })
	return list, wrap(err, "list the cooperatives of an admin")
}
