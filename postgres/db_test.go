package postgres_test

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/internal/faultproxy"
	"coopbot/postgres"
	"coopbot/postgres/postgrestest"
)

// saveBlocked saves a resident while another transaction holds the residents table, so the
// save is in the middle of its query; cut is then called with the saving connection's
// backend pid. It returns the save's error.
func saveBlocked(t *testing.T, db, admin *postgres.DB, cut func(pid int)) error {
	t.Helper()
	ctx := context.Background()
	tx, err := admin.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE residents IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := db.SaveResident(ctx, &coopbot.Resident{Platform: coopbot.Telegram, UserID: 7001, ChatID: 7001, Lang: coopbot.Persian, Name: "R"})
		errc <- err
	}()
	var pid int
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := admin.Pool.QueryRow(ctx, `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' LIMIT 1`).Scan(&pid)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the save never waited for the lock: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cut(pid)
	select {
	case err := <-errc:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the save did not return after its connection was cut")
		return nil
	}
}

func open(t *testing.T, rawURL string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), rawURL, postgres.Options{Key: postgrestest.Key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// Row "a database connection closed or reset mid-query": the server ends the backend
// (pg_terminate_backend, as an administrator or a fail-over does: 57P01, then EOF), or the
// network cuts the connection: both are unavailable (try again), never a bug.
func TestConnectionClosedMidQueryIsUnavailable(t *testing.T) {
	t.Parallel()
	t.Run("terminated by the server", func(t *testing.T) {
		t.Parallel()
		dbURL := postgrestest.NewURL(t)
		db, admin := open(t, dbURL), open(t, dbURL)
		err := saveBlocked(t, db, admin, func(pid int) {
			if _, err := admin.Pool.Exec(context.Background(), `SELECT pg_terminate_backend($1)`, pid); err != nil {
				t.Fatal(err)
			}
		})
		if code := coopbot.ErrorCode(err); code != coopbot.EUnavailable {
			t.Fatalf("save on a terminated backend: code %q (%v), want unavailable", code, err)
		}
		// The pool recovers by itself.
		if _, err := db.SaveResident(context.Background(), &coopbot.Resident{Platform: coopbot.Telegram, UserID: 7001, ChatID: 7001, Lang: coopbot.Persian, Name: "R"}); err != nil {
			t.Fatalf("save after the terminated connection: %v", err)
		}
	})
	t.Run("cut by the network", func(t *testing.T) {
		t.Parallel()
		dbURL := postgrestest.NewURL(t)
		u, _ := url.Parse(dbURL)
		host := u.Host
		if !strings.Contains(host, ":") {
			host = net.JoinHostPort(host, "5432")
		}
		proxy, err := faultproxy.New(host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(proxy.Close)
		through, _ := proxy.URL(dbURL)
		db, admin := open(t, through), open(t, dbURL)
		err = saveBlocked(t, db, admin, func(int) { proxy.Stop() })
		if code := coopbot.ErrorCode(err); code != coopbot.EUnavailable {
			t.Fatalf("save on a cut connection: code %q (%v), want unavailable", code, err)
		}
	})
}

// A connection that landed on a server taking no writes (a standby: the old primary came
// back demoted, or a URL without target_session_attrs=read-write) fails as an outage, so
// the update comes again, rather than as a bug.
func TestReadOnlyServerIsUnavailable(t *testing.T) {
	t.Parallel()
	dbURL := postgrestest.NewURL(t)
	db := open(t, dbURL+"&default_transaction_read_only=on")
	_, err := db.SaveResident(context.Background(), &coopbot.Resident{Platform: coopbot.Telegram, UserID: 7002, ChatID: 7002, Lang: coopbot.Persian, Name: "R"})
	if code := coopbot.ErrorCode(err); code != coopbot.EUnavailable {
		t.Fatalf("save on a read-only server: code %q (%v), want unavailable", code, err)
	}
}

// A failed update is recorded once per platform and update id; recording it again counts
// the attempts and keeps the newest error.
func TestRecordFailedUpdate(t *testing.T) {
	t.Parallel()
	db := postgrestest.New(t)
	ctx := context.Background()
	long := strings.Repeat("ی", 3000) + "\x00"
	if err := db.RecordFailedUpdate(ctx, coopbot.Bale, 41, "button", "panic: index out of range", 1); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordFailedUpdate(ctx, coopbot.Bale, 41, "button", long, 3); err != nil {
		t.Fatalf("record again with a long error: %v", err)
	}
	if err := db.RecordFailedUpdate(ctx, coopbot.Telegram, 41, "text", "x", 1); err != nil {
		t.Fatal(err)
	}
	var kind, text string
	var attempts, rows int
	if err := db.Pool.QueryRow(ctx, `SELECT kind, error, attempts, (SELECT count(*) FROM failed_updates)
		FROM failed_updates WHERE platform = 'bale' AND update_id = 41`).Scan(&kind, &text, &attempts, &rows); err != nil {
		t.Fatal(err)
	}
	if kind != "button" || attempts != 4 || rows != 2 || len(text) > 2000 || !strings.HasPrefix(text, "ی") {
		t.Fatalf("recorded kind %q, %d attempts, %d rows, error of %d bytes", kind, attempts, rows, len(text))
	}
}
