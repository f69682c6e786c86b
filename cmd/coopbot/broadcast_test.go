package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/emulator"
	"coopbot/postgres"
	"coopbot/postgres/postgrestest"
)

// Row "kill -9 of the broadcasting process at 30 %": a coopbot process is killed the hard
// way while it delivers a broadcast; a new process finishes it by itself. The counts add up
// to the audience, nobody got the text twice unless recorded unknown, and the unknown ones
// are at most the sends the dead process had on their way.
func TestKill9MidBroadcastFinishesAfterRestart(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fmt.Sprintf("5151:kill9-broadcast-%d", time.Now().UnixNano()))
	f.env["TELEGRAM_RATE"] = "100"
	f.env["BROADCAST_CLAIM_TTL"] = "2s"
	ctx := context.Background()
	db, err := postgres.Open(ctx, f.env["DATABASE_URL"], postgres.Options{Key: postgrestest.Key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)

	// 600 residents of a neighborhood and the staff member (chat 1, of none) who started
	// the bot earlier; their /start updates were handled long ago.
	const from, to = 1000, 1599
	var staff, nbh int64
	if err := db.Pool.QueryRow(ctx, `INSERT INTO residents (platform, user_id, chat_id, lang, name)
		VALUES ('telegram', 1, 1, 'fa', 'staff') RETURNING id`).Scan(&staff); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `INSERT INTO neighborhoods (city, name_fa, name_az) VALUES ('تبریز', 'ولیعصر', 'ولیعصر') RETURNING id`).Scan(&nbh); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO residents (platform, user_id, chat_id, lang, name, neighborhood_id)
		SELECT 'telegram', g, g, 'fa', 'resident', $3 FROM generate_series($1::bigint, $2::bigint) g`, from, to, nbh); err != nil {
		t.Fatal(err)
	}
	f.api.User(1).Send("/start")
	for id := int64(from); id <= to; id++ {
		f.api.User(id).Send("/start")
	}
	resp, err := http.Post(f.url+"/bot"+f.token+"/deleteWebhook?drop_pending_updates=true", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	const text = "فراخوان مجمع عمومی تعاونی مصرف محله: پنجشنبه ساعت ۱۷ در سرای محله."
	id, total, err := db.CreateBroadcast(ctx, coopbot.NewBroadcast{
		CreatedBy: staff, Audience: coopbot.Audience{Kind: coopbot.AudienceNeighborhoods, IDs: []int64{nbh}}, TextFa: text, TextAz: text,
		Progress: coopbot.ProgressMessage{Platform: coopbot.Telegram, ChatID: 1, Lang: coopbot.Persian},
	})
	if err != nil || total != 600 {
		t.Fatalf("queued %d, %v; want 600", total, err)
	}
	delivered := func() int {
		n := 0
		for id := int64(from); id <= to; id++ {
			n += f.api.SentTo(id)
		}
		return n
	}

	// The platform takes 40 ms per send, so that sends are on their way when the process
	// dies; the fake Bot API carries them out all the same.
	f.api.SetHook(func(method string, chat int64) *emulator.APIError {
		if method == "sendMessage" && chat != 1 {
			return &emulator.APIError{Delay: 40 * time.Millisecond}
		}
		return nil
	})
	p := f.start()
	deadline := time.Now().Add(30 * time.Second)
	for delivered() < 180 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d delivered after 30 s\n%s", delivered(), p.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.kill9()
	atKill := delivered()
	var inFlight, claimed int
	db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'sending'), count(*) FILTER (WHERE state = 'claimed')
		FROM deliveries WHERE broadcast_id = $1`, id).Scan(&inFlight, &claimed)
	t.Logf("killed at %d of 600 delivered; %d on their way, %d claimed", atKill, inFlight, claimed)
	if atKill >= 600 {
		t.Fatal("the broadcast ended before the kill")
	}

	f.start()
	var st *coopbot.BroadcastStatus
	deadline = time.Now().Add(60 * time.Second)
	for {
		st, err = db.BroadcastStatus(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Finished {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("broadcast not finished 60 s after the restart: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st.Status != coopbot.BroadcastDone || st.Sent+st.Unreachable+st.Failed+st.Unknown != 600 || st.Unreachable+st.Failed != 0 {
		t.Fatalf("status = %+v, want done with sent + unknown = 600", st)
	}
	// Unknown: the sends the dead process had on their way (at most its Concurrency, 8).
	if st.Unknown > 8 || st.Unknown != inFlight {
		t.Fatalf("%d unknown, the dead process had %d on their way", st.Unknown, inFlight)
	}
	rows, err := db.Pool.Query(ctx, `SELECT r.user_id, d.state FROM deliveries d JOIN residents r ON r.id = d.resident_id WHERE d.broadcast_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	states, err := collect(rows)
	if err != nil {
		t.Fatal(err)
	}
	for user, state := range states {
		n := f.api.SentTo(user)
		switch {
		case state == "sent" && n != 1:
			t.Errorf("user %d: recorded sent, got the text %d times", user, n)
		case state == "unknown" && n > 1:
			t.Errorf("user %d: recorded unknown, got the text %d times", user, n)
		case state != "sent" && state != "unknown":
			t.Errorf("user %d: state %s", user, state)
		}
	}
	// The staff member gets the final report from the new process.
	staffChat := f.api.User(1)
	ctxw, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	title := f.text("broadcast.report.title", "ID", faDigits(id))
	if err := staffChat.Wait(ctxw, func(ms []emulator.Message) bool {
		return len(ms) > 0 && strings.Contains(ms[len(ms)-1].Text, title)
	}); err != nil {
		t.Fatalf("no final report: %v\n%s", err, staffChat.Dump())
	}
}

func collect(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close()
}) (map[int64]string, error) {
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var user int64
		var state string
		if err := rows.Scan(&user, &state); err != nil {
			return nil, err
		}
		out[user] = state
	}
	return out, rows.Err()
}

func faDigits(n int64) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '۰'
		}
		return r
	}, fmt.Sprint(n))
}

// TELEGRAM_RATE (30) and BALE_RATE (20) take messages a second; BROADCAST_CLAIM_TTL a
// duration (30s). Anything else fails at start, naming the variable.
func TestConfigBroadcastSettings(t *testing.T) {
	t.Parallel()
	load := func(env map[string]string) (*config, error) {
		return loadConfig(func(k string) string { return env[k] })
	}
	cfg, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.sendRates[coopbot.Telegram] != 30 || cfg.sendRates[coopbot.Bale] != 20 || cfg.claimTTL != 30*time.Second {
		t.Fatalf("defaults: rates %v, claim TTL %v", cfg.sendRates, cfg.claimTTL)
	}
	cfg, err = load(map[string]string{"TELEGRAM_RATE": "25", "BALE_RATE": " 7.5 ", "BROADCAST_CLAIM_TTL": "2m"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.sendRates[coopbot.Telegram] != 25 || cfg.sendRates[coopbot.Bale] != 7.5 || cfg.claimTTL != 2*time.Minute {
		t.Fatalf("set: rates %v, claim TTL %v", cfg.sendRates, cfg.claimTTL)
	}
	for name, bad := range map[string][]string{
		"TELEGRAM_RATE":       {"0", "-3", "fast", "1e9", "NaN"},
		"BALE_RATE":           {"0.01", "۲۰"},
		"BROADCAST_CLAIM_TTL": {"30", "500ms", "1h"},
	} {
		for _, v := range bad {
			if _, err := load(map[string]string{name: v}); err == nil || !strings.HasPrefix(err.Error(), name+":") {
				t.Errorf("%s=%q: error %v, want one naming the variable", name, v, err)
			}
		}
	}
}
