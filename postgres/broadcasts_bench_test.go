package postgres_test

import (
	"testing"
	"time"

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

func BenchmarkBroadcastQueue300k(b *testing.B) {
	db, staff := postgrestest.NewAudience(b, benchResidents)
	b.ResetTimer()
	var worst time.Duration
	for range b.N {
		_, took := postgrestest.QueueBroadcast(b, db, staff, textFa, textAz, benchResidents)
		worst = max(worst, took)
	}
	b.ReportMetric(worst.Seconds(), "worst-s")
	if worst > 10*time.Second {
		b.Errorf("queuing 300,000 recipients took %v, want under 10 s", worst)
	}
}
