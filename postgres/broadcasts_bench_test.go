package postgres_test

import (
	"context"
	"testing"
	"time"

	"coopbot"
	"coopbot/postgres"
	"coopbot/postgres/postgrestest"
)

// BenchmarkBroadcastQueue300k (run on demand):
//
//	go test -run '^$' -bench 'Broadcast' -benchtime 1x ./postgres/
//
// confirming a broadcast to 300,000 residents (one INSERT … SELECT of the delivery rows in
// the confirm transaction). The runner's sustained rate is benchmarked in package
// broadcaster.

const benchResidents = 300_000

// benchDB is a database with 300,000 residents on Telegram (every third Azeri) and a
// staff member (user 1).
func benchDB(b *testing.B) (*postgres.DB, int64) {
	b.Helper()
	ctx := context.Background()
	db := postgrestest.New(b)
	var staff int64
	if err := db.Pool.QueryRow(ctx, `INSERT INTO residents (platform, user_id, chat_id, lang, name, unreachable_at)
		VALUES ('telegram', 1, 1, 'fa', 'staff', now()) RETURNING id`).Scan(&staff); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO residents (platform, user_id, chat_id, lang, name)
		SELECT 'telegram', g, g, CASE WHEN g % 3 = 0 THEN 'az' ELSE 'fa' END, 'resident ' || g
		FROM generate_series(100001::bigint, $1::bigint) g`, 100000+benchResidents); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `ANALYZE residents`); err != nil {
		b.Fatal(err)
	}
	return db, staff
}

func benchBroadcast(b *testing.B, db *postgres.DB, staff int64) (int64, time.Duration) {
	b.Helper()
	start := time.Now()
	id, total, err := db.CreateBroadcast(context.Background(), coopbot.NewBroadcast{
		CreatedBy: staff, Audience: coopbot.Audience{Kind: coopbot.AudienceAll}, TextFa: textFa, TextAz: textAz,
		Progress: coopbot.ProgressMessage{Platform: coopbot.Telegram, ChatID: 1, Lang: coopbot.Persian},
	})
	took := time.Since(start)
	if err != nil || total != benchResidents {
		b.Fatalf("queued %d, %v", total, err)
	}
	return id, took
}

func BenchmarkBroadcastQueue300k(b *testing.B) {
	db, staff := benchDB(b)
	b.ResetTimer()
	var worst time.Duration
	for range b.N {
		_, took := benchBroadcast(b, db, staff)
		worst = max(worst, took)
	}
	b.ReportMetric(worst.Seconds(), "worst-s")
	if worst > 10*time.Second {
		b.Errorf("queuing 300,000 recipients took %v, want under 10 s", worst)
	}
}
