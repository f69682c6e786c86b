package hatest

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/text"

	"github.com/jackc/pgx/v5"
)

// The PostgreSQL primary stops while residents are onboarding and its streaming standby is
// promoted: the bot, on a DATABASE_URL naming both with target_session_attrs=read-write,
// reconnects by itself, and every resident ends onboarded exactly once.
func TestPostgresFailoverDuringConversations(t *testing.T) {
	url := need(t, "COOPBOT_HA_PG_URL")
	stop := need(t, "COOPBOT_HA_PG_STOP_PRIMARY")
	standby := need(t, "COOPBOT_HA_PG_STANDBY_URL")
	if !strings.Contains(url, ",") || !strings.Contains(url, "target_session_attrs=read-write") {
		t.Fatalf("COOPBOT_HA_PG_URL %q names one host or lacks target_session_attrs=read-write", url)
	}
	// The test database is made on the pair (COOPBOT_TEST_DATABASE_URL is the same URL),
	// so the bot reaches it through both hosts.
	const staffID = 939999
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(staffID)})
	ctx := context.Background()
	var before int
	if err := h.DB.Pool.QueryRow(ctx, "SELECT inet_server_port()").Scan(&before); err != nil {
		t.Fatal(err)
	}
	users := load(t, h, 930001, 40, 60*time.Millisecond, 1200*time.Millisecond, func() {
		// A fast stop: the standby has received every commit when the primary is gone.
		if out, err := exec.Command("sh", "-c", stop).CombinedOutput(); err != nil {
			t.Errorf("stop the primary: %v\n%s", err, out)
			return
		}
		time.Sleep(time.Second) // the bot meets the outage before the standby takes over
		conn, err := pgx.Connect(ctx, standby)
		if err != nil {
			t.Errorf("connect to the standby: %v", err)
			return
		}
		defer conn.Close(ctx)
		var promoted bool
		if err := conn.QueryRow(ctx, "SELECT pg_promote(true, 30)").Scan(&promoted); err != nil || !promoted {
			t.Errorf("promote the standby: %v, %v", promoted, err)
		}
	})
	onboardedOnce(t, h, users)
	var after int
	var standbyNow bool
	if err := h.DB.Pool.QueryRow(ctx, "SELECT inet_server_port(), pg_is_in_recovery()").Scan(&after, &standbyNow); err != nil {
		t.Fatal(err)
	}
	if after == before || standbyNow {
		t.Fatalf("the bot is on port %d (in recovery: %v), was on %d: no fail-over happened", after, standbyNow, before)
	}

	// The job workers came back: a role granted now reaches the resident through a job.
	staff := h.User(staffID)
	staff.Onboard(neighborhood)
	profile := func(id int64) int64 {
		p, err := h.DB.Profile(ctx, coopbot.UserRef{Platform: coopbot.Telegram, UserID: id})
		if err != nil || p.ResidentID == 0 {
			t.Fatalf("profile of %d: %+v, %v", id, p, err)
		}
		return p.ResidentID
	}
	var nbh int64
	if err := h.DB.Pool.QueryRow(ctx, "SELECT id FROM neighborhoods WHERE name_fa = $1", neighborhood).Scan(&nbh); err != nil {
		t.Fatal(err)
	}
	if err := h.DB.GrantManager(ctx, profile(staffID), profile(users[0].ID()), nbh); err != nil {
		t.Fatalf("grant manager after the fail-over: %v", err)
	}
	h.User(users[0].ID()).Sees("roles.notice.manager", "Neighborhood", text.Isolate(neighborhood))

	// The broadcast listener is listening again, on the new primary.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'LISTEN coopbot_broadcasts'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no connection listens for broadcasts on the new primary")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
