package postgrestest

import (
	"context"
	"testing"
	"time"

	"coopbot"
	"coopbot/postgres"
)

// NewAudience returns a fresh database holding n residents on Telegram (user ids from
// 100001, every third Azeri) and a staff member (user 1, marked unreachable, so that no
// progress message is sent to anyone), with the staff member's resident id: the audience
// of the broadcast benchmarks.
func NewAudience(tb testing.TB, n int) (*postgres.DB, int64) {
	tb.Helper()
	ctx := context.Background()
	db := New(tb)
	var staff int64
	if err := db.Pool.QueryRow(ctx, `INSERT INTO residents (platform, user_id, chat_id, lang, name, unreachable_at)
		VALUES ('telegram', 1, 1, 'fa', 'staff', now()) RETURNING id`).Scan(&staff); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO residents (platform, user_id, chat_id, lang, name)
		SELECT 'telegram', g, g, CASE WHEN g % 3 = 0 THEN 'az' ELSE 'fa' END, 'resident ' || g
		FROM generate_series(100001::bigint, $1::bigint) g`, 100000+n); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `ANALYZE residents`); err != nil {
		tb.Fatal(err)
	}
	return db, staff
}

// QueueBroadcast confirms a broadcast of the texts from staff to every resident, checks
// that want recipients were queued, and returns its id and how long the confirmation took.
func QueueBroadcast(tb testing.TB, db *postgres.DB, staff int64, fa, az string, want int) (int64, time.Duration) {
	tb.Helper()
	start := time.Now()
	id, total, err := db.CreateBroadcast(context.Background(), coopbot.NewBroadcast{
		CreatedBy: staff, Audience: coopbot.Audience{Kind: coopbot.AudienceAll}, TextFa: fa, TextAz: az,
		Progress: coopbot.ProgressMessage{Platform: coopbot.Telegram, ChatID: 1, Lang: coopbot.Persian},
	})
	took := time.Since(start)
	if err != nil || total != want {
		tb.Fatalf("queued %d, %v", total, err)
	}
	return id, took
}
