package postgres

import (
	"context"
	"strings"

	"coopbot"
)

// maxFailureText bounds the error text kept for a failed update.
const maxFailureText = 2000

// RecordFailedUpdate records an update the bot gave up on, so that it can be confirmed to
// the platform and still be found later. Recording the same update again (another instance,
// a restart) counts its attempts and keeps the newest error.
func (db *DB) RecordFailedUpdate(ctx context.Context, p coopbot.Platform, updateID int64, kind, errText string, attempts int) error {
	if len(errText) > maxFailureText {
		errText = errText[:maxFailureText]
	}
	// Postgres text holds neither invalid UTF-8 (a cut rune) nor NUL.
	errText = strings.ReplaceAll(strings.ToValidUTF8(errText, ""), "\x00", "")
	_, err := db.Pool.Exec(ctx, `
		INSERT INTO failed_updates (platform, update_id, kind, error, attempts)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (platform, update_id) DO UPDATE
		SET error = EXCLUDED.error, kind = EXCLUDED.kind,
		    attempts = failed_updates.attempts + EXCLUDED.attempts, last_at = now()`,
		string(p), updateID, kind, errText, attempts)
	return wrap(err, "record failed update")
}
