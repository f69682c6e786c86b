package postgres

import (
	"context"
	"time"

	"coopbot"

	"github.com/jackc/pgx/v5"
)

// Profile returns what the conversation engine caches of a resident; a zero Profile when
// the person never finished onboarding. The engine loads it only for an update of the
// person themselves, so a resident marked unreachable is reachable again here (one more
// statement, only when the mark is set).
func (db *DB) Profile(ctx context.Context, ref coopbot.UserRef) (coopbot.Profile, error) {
	var (
		p           coopbot.Profile
		phone       []byte
		nbh         *int64
		role        *string
		scope       *int64
		unreachable bool
	)
	err := db.Pool.QueryRow(ctx, `
		SELECT r.id, r.lang, r.neighborhood_id, r.phone_enc, s.role, s.neighborhood_id,
			EXISTS (SELECT 1 FROM cooperative_admins a WHERE a.resident_id = r.id),
			r.unreachable_at IS NOT NULL
		FROM residents r LEFT JOIN staff s ON s.resident_id = r.id
		WHERE r.platform = $1 AND r.user_id = $2 AND r.erased_at IS NULL`, ref.Platform, ref.UserID).
		Scan(&p.ResidentID, &p.Lang, &nbh, &phone, &role, &scope, &p.CoopAdmin, &unreachable)
	if err == pgx.ErrNoRows {
		return coopbot.Profile{}, nil
	}
	if err != nil {
		return p, wrap(err, "load profile")
	}
	if unreachable {
		if err := db.MarkReachable(ctx, p.ResidentID); err != nil {
			return p, err
		}
	}
	if nbh != nil {
		p.Neighborhood = *nbh
	}
	if role != nil {
		p.Role = coopbot.Role(*role)
	}
	if scope != nil {
		p.RoleScope = *scope
	}
	if p.Phone, err = db.open(phone); err != nil {
		return p, wrap(err, "load profile")
	}
	return p, nil
}

// SaveResident creates or updates the resident (platform, user id) and returns its id. A
// person named in ADMINS becomes staff here.
func (db *DB) SaveResident(ctx context.Context, r *coopbot.Resident) (int64, error) {
	var id int64
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		var nbh *int64
		if r.NeighborhoodID != 0 {
			nbh = &r.NeighborhoodID
		}
		err := tx.QueryRow(ctx, `
			INSERT INTO residents (platform, user_id, chat_id, lang, neighborhood_id, name, phone_enc, phone_hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (platform, user_id) WHERE erased_at IS NULL DO UPDATE SET
				chat_id = EXCLUDED.chat_id, lang = EXCLUDED.lang,
				neighborhood_id = COALESCE(EXCLUDED.neighborhood_id, residents.neighborhood_id),
				name = EXCLUDED.name,
				phone_enc = COALESCE(EXCLUDED.phone_enc, residents.phone_enc),
				phone_hash = COALESCE(EXCLUDED.phone_hash, residents.phone_hash),
				unreachable_at = NULL, updated_at = now()
			RETURNING id`,
			r.Platform, r.UserID, r.ChatID, r.Lang, nbh, r.Name, db.seal(r.Phone), db.hash(r.Phone)).Scan(&id)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			WITH granted AS (
				INSERT INTO staff (resident_id, role, source)
				SELECT $1, 'staff', 'config' FROM staff_grants WHERE platform = $2 AND user_id = $3
				ON CONFLICT (resident_id) DO NOTHING
				RETURNING resident_id)
			INSERT INTO audit_log (action, subject, detail)
			SELECT 'staff_grant', 'resident:' || resident_id, jsonb_build_object('source', 'ADMINS', 'ref', $2 || ':' || $3::bigint)
			FROM granted`, id, r.Platform, r.UserID)
		return err
	})
	return id, wrap(err, "save resident")
}

// SetLanguage remembers a resident's language (once per update, as every step's write).
func (db *DB) SetLanguage(ctx context.Context, residentID int64, l coopbot.Lang) error {
	return db.once(ctx, "set language", nil, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE residents SET lang = $2, updated_at = now() WHERE id = $1`, residentID, l)
		return err
	})
}

// Resident loads a resident by id.
func (db *DB) Resident(ctx context.Context, id int64) (*coopbot.Resident, error) {
	r := &coopbot.Resident{ID: id}
	var (
		nbh         *int64
		phone       []byte
		unreachable *time.Time
	)
	err := db.Pool.QueryRow(ctx, `
		SELECT platform, user_id, chat_id, lang, neighborhood_id, name, phone_enc, unreachable_at, created_at
		FROM residents WHERE id = $1`, id).
		Scan(&r.Platform, &r.UserID, &r.ChatID, &r.Lang, &nbh, &r.Name, &phone, &unreachable, &r.CreatedAt)
	if err != nil {
		return nil, wrap(err, "load resident")
	}
	if nbh != nil {
		r.NeighborhoodID = *nbh
	}
	r.Unreachable = unreachable != nil
	if r.Phone, err = db.open(phone); err != nil {
		return nil, wrap(err, "load resident")
	}
	return r, nil
}

// MarkUnreachable records that a resident blocked the bot or their chat vanished; later
// sends skip them until they write again (Profile) or a send reaches them.
func (db *DB) MarkUnreachable(ctx context.Context, residentID int64) error {
	_, err := db.Pool.Exec(ctx, `UPDATE residents SET unreachable_at = now() WHERE id = $1 AND unreachable_at IS NULL`, residentID)
	return wrap(err, "mark unreachable")
}

// MarkReachable clears a resident's unreachable mark.
func (db *DB) MarkReachable(ctx context.Context, residentID int64) error {
	_, err := db.Pool.Exec(ctx, `UPDATE residents SET unreachable_at = NULL WHERE id = $1 AND unreachable_at IS NOT NULL`, residentID)
	return wrap(err, "mark reachable")
}

// GrantStaff makes the people in refs staff by ADMINS (source 'config'): those who already
// onboarded at once, the others when they finish onboarding. It only adds; at start the
// program uses SyncAdmins, which also takes the role from those no longer named.
func (db *DB) GrantStaff(ctx context.Context, refs []coopbot.UserRef) error {
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		for _, ref := range refs {
			if _, err := tx.Exec(ctx, `INSERT INTO staff_grants (platform, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, ref.Platform, ref.UserID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `
				INSERT INTO staff (resident_id, role, source)
				SELECT id, 'staff', 'config' FROM residents WHERE platform = $1 AND user_id = $2
				ON CONFLICT (resident_id) DO UPDATE SET role = 'staff', neighborhood_id = NULL, source = 'config'`, ref.Platform, ref.UserID); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(err, "grant staff")
}

// Audit records a staff or admin action, or a denied attempt.
func (db *DB) Audit(ctx context.Context, actorID int64, action, subject string, allowed bool, detail map[string]any) error {
	var actor *int64
	if actorID != 0 {
		actor = &actorID
	}
	if detail == nil {
		detail = map[string]any{}
	}
	return db.once(ctx, "audit "+action, nil, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, allowed, detail) VALUES ($1, $2, $3, $4, $5)`,
			actor, action, subject, allowed, detail)
		return err
	})
}

// Staff returns the staff role of a resident, or nil when they have none. Every staff
// action checks it on the server, whatever the conversation state says.
func (db *DB) Staff(ctx context.Context, residentID int64) (*coopbot.Staff, error) {
	s := &coopbot.Staff{ResidentID: residentID}
	var scope *int64
	err := db.Pool.QueryRow(ctx, `SELECT role, neighborhood_id FROM staff WHERE resident_id = $1`, residentID).Scan(&s.Role, &scope)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, wrap(err, "load staff role")
	}
	if scope != nil {
		s.NeighborhoodID = *scope
	}
	return s, nil
}
