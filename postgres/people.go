package postgres

import (
	"context"
	"errors"
	"strings"

	"coopbot"
	"coopbot/text"

	"github.com/jackc/pgx/v5"
)

// FindResidents finds residents for the office's people pages: by a part of the name
// (loosely, under text.Key: Arabic and Persian letter variants, spaces, ZWNJ and digits
// of any script fold), by phone (the resident's own or one given in a membership
// request) or by national ID (given in a membership request), the last two through
// their keyed hashes only. Office-wide staff search everyone and see phones; a
// neighborhood manager searches their neighborhood's residents, without phones; anyone
// else is refused (audited). Every search is audited by what it searched by and how many
// it found, never by the value. It returns up to limit residents by name, with the
// number found in all.
func (db *DB) FindResidents(ctx context.Context, actorID int64, q coopbot.ResidentQuery, limit int) ([]coopbot.FoundResident, int, error) {
	s, err := db.Staff(ctx, actorID)
	if err != nil {
		return nil, 0, err
	}
	if s == nil {
		if err := db.Audit(ctx, actorID, "resident_search", "", false, map[string]any{"by": q.By()}); err != nil {
			return nil, 0, err
		}
		return nil, 0, &coopbot.Error{Code: coopbot.EForbidden, MsgID: "roles.denied", Err: errors.New("find residents: not staff")}
	}
	var scope int64
	if s.Role != coopbot.RoleStaff {
		scope = s.NeighborhoodID
	}
	key := text.Key(q.Name)
	if key == "" && q.Phone == "" && q.NationalID == "" {
		return nil, 0, &coopbot.Error{Code: coopbot.EInvalid, Err: errors.New("find residents: empty query")}
	}
	const cols = `SELECT r.id, n.name, r.platform, COALESCE(r.neighborhood_id, 0)
		FROM residents r JOIN resident_names n ON n.resident_id = r.id
		WHERE r.erased_at IS NULL AND ($1 = 0 OR r.neighborhood_id = $1)`
	var rows pgx.Rows
	if key != "" {
		// Names are matched here, under the same key the chat matches typed names by;
		// the office's residents are few enough to read their names once per search.
		rows, err = db.Pool.Query(ctx, cols+` ORDER BY n.name, r.id`, scope)
	} else {
		rows, err = db.Pool.Query(ctx, cols+` AND (
			r.phone_hash = $2 OR r.id IN (SELECT resident_id FROM join_requests WHERE phone_hash = $2)
			OR r.id IN (SELECT resident_id FROM join_requests WHERE national_id_hash = $3))
			ORDER BY n.name, r.id`, scope, db.hash(q.Phone), db.hash(q.NationalID))
	}
	if err != nil {
		return nil, 0, wrap(err, "find residents")
	}
	all, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.FoundResident, error) {
		var f coopbot.FoundResident
		err := row.Scan(&f.ResidentID, &f.Name, &f.Platform, &f.NeighborhoodID)
		return f, err
	})
	if err != nil {
		return nil, 0, wrap(err, "find residents")
	}
	found := all[:0]
	for _, f := range all {
		if key == "" || strings.Contains(text.Key(f.Name), key) {
			found = append(found, f)
		}
	}
	total := len(found)
	if limit >= 0 && len(found) > limit {
		found = found[:limit]
	}
	if err := db.foundRoles(ctx, found, s.Role == coopbot.RoleStaff); err != nil {
		return nil, 0, err
	}
	if err := db.Audit(ctx, actorID, "resident_search", "", true, map[string]any{"by": q.By(), "found": total}); err != nil {
		return nil, 0, err
	}
	return found, total, nil
}

// foundRoles fills the roles of found residents, and their phones when phones is set:
// the resident's own, else the one of their latest membership request.
func (db *DB) foundRoles(ctx context.Context, found []coopbot.FoundResident, phones bool) error {
	if len(found) == 0 {
		return nil
	}
	ids := make([]int64, len(found))
	at := map[int64]*coopbot.FoundResident{}
	for i := range found {
		ids[i] = found[i].ResidentID
		at[ids[i]] = &found[i]
	}
	rows, err := db.Pool.Query(ctx, `SELECT resident_id, role, COALESCE(neighborhood_id, 0), source FROM staff WHERE resident_id = ANY($1)`, ids)
	if err != nil {
		return wrap(err, "found residents' roles")
	}
	var (
		id     int64
		role   coopbot.Role
		nbh    int64
		source string
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &role, &nbh, &source}, func() error {
		f := at[id]
		f.Role, f.RoleSource = role, source
		if role == coopbot.RoleNeighborhoodManager {
			f.ManagerOf = nbh
		}
		return nil
	})
	if err != nil {
		return wrap(err, "found residents' roles")
	}
	var coop int64
	rows, err = db.Pool.Query(ctx, `SELECT resident_id, cooperative_id FROM cooperative_admins WHERE resident_id = ANY($1) ORDER BY 1, 2`, ids)
	if err != nil {
		return wrap(err, "found residents' cooperatives")
	}
	if _, err = pgx.ForEachRow(rows, []any{&id, &coop}, func() error {
		at[id].AdminOf = append(at[id].AdminOf, coop)
		return nil
	}); err != nil {
		return wrap(err, "found residents' cooperatives")
	}
	if !phones {
		return nil
	}
	var sealed []byte
	rows, err = db.Pool.Query(ctx, `
		SELECT r.id, COALESCE(r.phone_enc, (SELECT j.phone_enc FROM join_requests j
			WHERE j.resident_id = r.id AND length(j.phone_enc) > 0 ORDER BY j.created_at DESC, j.id DESC LIMIT 1))
		FROM residents r WHERE r.id = ANY($1)`, ids)
	if err != nil {
		return wrap(err, "found residents' phones")
	}
	_, err = pgx.ForEachRow(rows, []any{&id, &sealed}, func() error {
		phone, err := db.open(sealed)
		at[id].Phone = phone
		return err
	})
	return wrap(err, "found residents' phones")
}
