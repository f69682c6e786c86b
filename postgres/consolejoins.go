package postgres

import (
	"context"
	"time"

	"coopbot"
)

// DecidedJoinRequests lists the decided (or withdrawn) requests a person may decide on,
// as PendingJoinRequests scopes them (their cooperatives', or all within their staff
// scope; never their own), newest decision first, without personal data: those of one
// cooperative when coopID is set, of one status when status is set, decided since since
// when it is set, at most limit.
func (db *DB) DecidedJoinRequests(ctx context.Context, actorID, coopID int64, status coopbot.JoinStatus, since time.Time, limit int) ([]coopbot.JoinRequest, error) {
	var st *string
	if status != "" {
		s := string(status)
		st = &s
	}
	var from *time.Time
	if !since.IsZero() {
		from = &since
	}
	return db.joinList(ctx, "list decided join requests", `WHERE j.status <> 'pending' AND j.resident_id <> $1 AND (
			EXISTS (SELECT 1 FROM cooperative_admins a WHERE a.cooperative_id = j.cooperative_id AND a.resident_id = $1)
			OR EXISTS (SELECT 1 FROM staff s WHERE s.resident_id = $1 AND (s.role = 'staff' OR s.neighborhood_id = c.neighborhood_id)))
		AND ($2::bigint = 0 OR j.cooperative_id = $2::bigint)
		AND ($3::text IS NULL OR j.status = $3::text)
		AND ($4::timestamptz IS NULL OR j.decided_at >= $4::timestamptz)
		ORDER BY j.decided_at DESC NULLS LAST, j.id DESC LIMIT $5`, actorID, coopID, st, from, limit)
}
