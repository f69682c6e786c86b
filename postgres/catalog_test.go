package postgres_test

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"coopbot"
	"coopbot/postgres"
	"coopbot/postgres/postgrestest"

	"github.com/jackc/pgx/v5"
)

// catalogDB opens a store on url that shares nothing with other stores on it: another
// instance.
func catalogDB(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, postgres.Options{Key: postgrestest.Key, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// eventually polls cond until it holds, failing the test after a deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// costs returns how many statements f made db send.
func costs(t *testing.T, db *postgres.DB, f func() error) int64 {
	t.Helper()
	n := db.Queries()
	if err := f(); err != nil {
		t.Fatal(err)
	}
	return db.Queries() - n
}

func neighborhoodsOf(t *testing.T, db *postgres.DB) []coopbot.Neighborhood {
	t.Helper()
	list, err := db.Neighborhoods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func cooperativesOf(t *testing.T, db *postgres.DB) []coopbot.Cooperative {
	t.Helper()
	list, err := db.JoinCooperatives(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func upcomingOf(t *testing.T, db *postgres.DB) []coopbot.Training {
	t.Helper()
	list, total, err := db.UpcomingTrainings(context.Background(), 0, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if total != len(list) {
		t.Fatalf("upcoming: %d listed of %d", len(list), total)
	}
	return list
}

// warm waits until db serves the whole catalog from memory (its listener is up).
func warm(t *testing.T, db *postgres.DB) {
	t.Helper()
	ctx := context.Background()
	eventually(t, "catalog cached", func() bool {
		neighborhoodsOf(t, db)
		cooperativesOf(t, db)
		upcomingOf(t, db)
		return costs(t, db, func() error { _, err := db.Neighborhoods(ctx); return err }) == 0 &&
			costs(t, db, func() error { _, err := db.JoinCooperatives(ctx); return err }) == 0 &&
			costs(t, db, func() error { _, _, err := db.UpcomingTrainings(ctx, 0, 0, 100); return err }) == 1
	})
}

func hasNeighborhood(list []coopbot.Neighborhood, az string) bool {
	return slices.ContainsFunc(list, func(n coopbot.Neighborhood) bool { return n.NameAz == az })
}

func hasCooperative(list []coopbot.Cooperative, fa string) bool {
	return slices.ContainsFunc(list, func(c coopbot.Cooperative) bool { return c.NameFa == fa })
}

func findTraining(list []coopbot.Training, id int64) *coopbot.Training {
	if i := slices.IndexFunc(list, func(t coopbot.Training) bool { return t.ID == id }); i >= 0 {
		return &list[i]
	}
	return nil
}

// TestCatalogCachedReadCostsNoQuery: once loaded, the neighborhoods and the cooperatives
// cost no statement, the upcoming trainings one (their seats, read live) instead of three;
// and what a caller does to a returned list does not change the next one.
func TestCatalogCachedReadCostsNoQuery(t *testing.T) {
	db := postgrestest.NewSeeded(t)
	ctx := context.Background()
	warm(t, db)
	list := neighborhoodsOf(t, db)
	if len(list) < 5 {
		t.Fatalf("neighborhoods: %v", list)
	}
	list[0].NameFa = "changed by a caller"
	if got := neighborhoodsOf(t, db); got[0].NameFa == "changed by a caller" {
		t.Fatal("a caller changed the cached neighborhoods")
	}
	if n := costs(t, db, func() error { _, err := db.JoinCooperatives(ctx); return err }); n != 0 {
		t.Fatalf("cached cooperatives cost %d statements", n)
	}
	tr := upcomingOf(t, db)
	if len(tr) == 0 {
		t.Fatal("no upcoming training in the seed")
	}
	// A page beyond the end costs nothing at all.
	if n := costs(t, db, func() error { _, _, err := db.UpcomingTrainings(ctx, 0, 1000, 10); return err }); n != 0 {
		t.Fatalf("an empty page cost %d statements", n)
	}
	// Own neighborhood first, then by start time, as before.
	own := tr[len(tr)-1].NeighborhoodID
	mine, total, err := db.UpcomingTrainings(ctx, own, 0, 100)
	if err != nil || total != len(tr) || mine[0].NeighborhoodID != own {
		t.Fatalf("own first: %v, %d, %v", mine, total, err)
	}
	for i := 1; i < len(mine); i++ {
		a, b := mine[i-1], mine[i]
		if (a.NeighborhoodID == own) == (b.NeighborhoodID == own) && b.StartsAt.Before(a.StartsAt) {
			t.Fatalf("not by start time: %v before %v", a.StartsAt, b.StartsAt)
		}
	}
}

// TestCatalogAcrossInstances: what one instance changes it sees at once, and another
// instance on the same database within moments, by the notification; a sign-up changes
// only the live seat counts and notifies nobody.
func TestCatalogAcrossInstances(t *testing.T) {
	url := postgrestest.NewURL(t)
	ctx := context.Background()
	a, b := catalogDB(t, url), catalogDB(t, url)
	if err := b.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	var staff, resident int64
	if err := b.Pool.QueryRow(ctx, `INSERT INTO residents (platform, user_id, chat_id, lang, name) VALUES
		('telegram', 900001, 900001, 'fa', 'staff') RETURNING id`).Scan(&staff); err != nil {
		t.Fatal(err)
	}
	if err := b.Pool.QueryRow(ctx, `INSERT INTO residents (platform, user_id, chat_id, lang, name) VALUES
		('telegram', 900002, 900002, 'az', 'resident') RETURNING id`).Scan(&resident); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Pool.Exec(ctx, `INSERT INTO staff (resident_id, role) VALUES ($1, 'staff')`, staff); err != nil {
		t.Fatal(err)
	}
	warm(t, a)
	warm(t, b)
	nbh := neighborhoodsOf(t, a)[0]

	// Both see a change: the one that made it at once, the other after the notification.
	both := func(what string, sees func(*postgres.DB) bool) {
		t.Helper()
		if !sees(b) {
			t.Fatalf("%s: not seen at once by the instance that made it", what)
		}
		eventually(t, what+" seen by the other instance", func() bool { return sees(a) })
	}

	if _, err := b.Pool.Exec(ctx, `UPDATE neighborhoods SET name_az = 'یئنی آد' WHERE id = $1`, nbh.ID); err != nil {
		t.Fatal(err)
	}
	both("neighborhood renamed", func(db *postgres.DB) bool { return hasNeighborhood(neighborhoodsOf(t, db), "یئنی آد") })

	const coop = "تعاونی تازهٔ آزمایشی"
	if _, err := b.Pool.Exec(ctx, `INSERT INTO cooperatives (neighborhood_id, name_fa, name_az, activity_fa, activity_az, min_share)
		VALUES ($1, $2, 'تازا تعاونی', 'آزمایش', 'سیناق', 1000000)`, nbh.ID, coop); err != nil {
		t.Fatal(err)
	}
	both("cooperative added", func(db *postgres.DB) bool { return hasCooperative(cooperativesOf(t, db), coop) })
	if _, err := b.Pool.Exec(ctx, `UPDATE cooperatives SET status = 'closed' WHERE name_fa = $1`, coop); err != nil {
		t.Fatal(err)
	}
	both("cooperative deactivated", func(db *postgres.DB) bool { return !hasCooperative(cooperativesOf(t, db), coop) })

	tr := &coopbot.Training{
		NeighborhoodID: nbh.ID, TitleFa: "آموزش بسته‌بندی", TitleAz: "قابلاما تعلیمی",
		DescriptionFa: "بسته‌بندی محصولات", DescriptionAz: "محصوللارین قابلانماسی",
		VenueName: "سرای محله", VenueAddress: "کوچهٔ دوم", StartsAt: time.Now().Add(72 * time.Hour),
		Duration: time.Hour, Capacity: 5,
	}
	id, err := b.CreateTraining(ctx, tr)
	if err != nil {
		t.Fatal(err)
	}
	tr.ID = id
	both("training created", func(db *postgres.DB) bool { return findTraining(upcomingOf(t, db), id) != nil })

	got, err := b.Training(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	got.TitleFa = "آموزش بسته‌بندی و برچسب"
	if _, err := b.UpdateTraining(ctx, staff, got); err != nil {
		t.Fatal(err)
	}
	both("training edited", func(db *postgres.DB) bool {
		x := findTraining(upcomingOf(t, db), id)
		return x != nil && x.TitleFa == "آموزش بسته‌بندی و برچسب"
	})

	// A sign-up: the seat shows at once in both, and nobody is told to drop anything.
	listen, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer listen.Close(ctx)
	if _, err := listen.Exec(ctx, "LISTEN coopbot_catalog"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SignUp(ctx, id, resident); err != nil {
		t.Fatal(err)
	}
	for _, db := range []*postgres.DB{a, b} {
		if x := findTraining(upcomingOf(t, db), id); x == nil || x.SeatsTaken != 1 {
			t.Fatalf("after a sign-up: %+v", x)
		}
		if n := costs(t, db, func() error { _, _, err := db.UpcomingTrainings(ctx, 0, 0, 100); return err }); n != 1 {
			t.Fatalf("a sign-up dropped the cached trainings: the list cost %d statements", n)
		}
	}
	if _, err := b.Pool.Exec(ctx, `UPDATE neighborhoods SET name_az = $2 WHERE id = $1`, nbh.ID, nbh.NameAz); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := listen.WaitForNotification(wctx)
	if err != nil || n.Payload != "neighborhoods" {
		t.Fatalf("first notification after the sign-up: %+v, %v (want the neighborhoods')", n, err)
	}
	both("neighborhood renamed back", func(db *postgres.DB) bool { return hasNeighborhood(neighborhoodsOf(t, db), nbh.NameAz) })

	if _, err := b.CancelTraining(ctx, staff, id); err != nil {
		t.Fatal(err)
	}
	both("training cancelled", func(db *postgres.DB) bool { return findTraining(upcomingOf(t, db), id) == nil })
}

// TestCatalogListenerReconnects: when the listener's connection is killed, the catalog is
// dropped (a change nobody was told of shows up, long before the safety TTL) and, once the
// listener is back, cached again.
func TestCatalogListenerReconnects(t *testing.T) {
	url := postgrestest.NewURL(t)
	ctx := context.Background()
	db := catalogDB(t, url)
	if err := db.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	warm(t, db)
	nbh := neighborhoodsOf(t, db)[0]

	// A change that notifies nobody (triggers off in that session), from outside the store.
	raw, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close(ctx)
	if _, err := raw.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(ctx, `UPDATE neighborhoods SET name_az = 'گیزلی آد' WHERE id = $1`, nbh.ID); err != nil {
		t.Fatal(err)
	}
	if hasNeighborhood(neighborhoodsOf(t, db), "گیزلی آد") {
		t.Fatal("the cache saw a change nobody told it of: it was not serving from memory")
	}

	var pid int
	if err := raw.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()
		AND query = 'LISTEN coopbot_catalog'`).Scan(&pid); err != nil {
		t.Fatalf("the catalog listener's connection: %v", err)
	}
	if _, err := raw.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	eventually(t, "change seen after the listener's connection was lost", func() bool {
		return hasNeighborhood(neighborhoodsOf(t, db), "گیزلی آد")
	})
	warm(t, db) // listening again: served from memory
	var again int
	if err := raw.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()
		AND query = 'LISTEN coopbot_catalog'`).Scan(&again); err != nil || again == pid {
		t.Fatalf("listener after the reconnect: pid %d (was %d), %v", again, pid, err)
	}
	// And it hears changes again.
	if _, err := raw.Exec(ctx, `SET session_replication_role = DEFAULT`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(ctx, `UPDATE neighborhoods SET name_az = 'باشقا آد' WHERE id = $1`, nbh.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "change notified after the reconnect", func() bool {
		return hasNeighborhood(neighborhoodsOf(t, db), "باشقا آد")
	})
}

// TestCatalogOwnWriteInTransaction: a write of this instance inside a transaction drops the
// part when the transaction commits, even if a reader loaded it in between and nothing is
// notified.
func TestCatalogOwnWriteInTransaction(t *testing.T) {
	db := postgrestest.NewSeeded(t)
	ctx := context.Background()
	warm(t, db)
	nbh := neighborhoodsOf(t, db)[0]
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE neighborhoods SET name_az = 'ایچ‌ده آد' WHERE id = $1`, nbh.ID); err != nil {
		t.Fatal(err)
	}
	// Loaded while the change is not committed: the old name, and cached again.
	if hasNeighborhood(neighborhoodsOf(t, db), "ایچ‌ده آد") {
		t.Fatal("saw an uncommitted change")
	}
	if n := costs(t, db, func() error { _, err := db.Neighborhoods(ctx); return err }); n != 0 {
		t.Fatalf("reloaded during the transaction: %d statements", n)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if !hasNeighborhood(neighborhoodsOf(t, db), "ایچ‌ده آد") {
		t.Fatal("a committed change of this instance is not seen at once")
	}
}

// TestCatalogWritesAmidReaders: while others read the neighborhoods all the time, each
// rename this instance commits is seen by its next read, and the last one by the other
// instance: no reader puts back a list the rename replaced.
func TestCatalogWritesAmidReaders(t *testing.T) {
	url := postgrestest.NewURL(t)
	ctx := context.Background()
	a, b := catalogDB(t, url), catalogDB(t, url)
	if err := a.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	warm(t, a)
	warm(t, b)
	nbh := neighborhoodsOf(t, a)[0]
	stop := make(chan struct{})
	done := make(chan error, 8)
	for i := 0; i < 8; i++ {
		db := []*postgres.DB{a, b}[i%2]
		go func() {
			for {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
				if _, err := db.Neighborhoods(ctx); err != nil {
					done <- err
					return
				}
			}
		}()
	}
	var last string
	for i := range 40 {
		last = "آد " + strconv.Itoa(i)
		if _, err := a.Pool.Exec(ctx, `UPDATE neighborhoods SET name_az = $2 WHERE id = $1`, nbh.ID, last); err != nil {
			t.Fatal(err)
		}
		if !hasNeighborhood(neighborhoodsOf(t, a), last) {
			close(stop)
			t.Fatalf("rename %d not seen at once by the instance that made it", i)
		}
	}
	close(stop)
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "last rename seen by the other instance", func() bool { return hasNeighborhood(neighborhoodsOf(t, b), last) })
}
