package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/emulator"
	"coopbot/postgres"
	"coopbot/postgres/postgrestest"
)

// Operator mistakes: the emulator on a real bot's database or on a public address, a real
// bot on the emulator's database, a wrong DATA_KEY, changing the key, someone taken out
// of ADMINS.

// newDataKey is the key `coopbot rekey` moves the test data to (32 bytes).
var newDataKey = []byte("rekey-test-new-key-32-bytes-long")

// without is env with the named variables removed.
func without(env map[string]string, names ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		if !slices.Contains(names, k) {
			out[k] = v
		}
	}
	return out
}

// with is env with more variables set.
func with(env map[string]string, kv ...string) map[string]string {
	out := without(env)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// runCmd runs coopbot with env and args to its end (a refused start ends at once).
func runCmd(t *testing.T, env map[string]string, args ...string) (stdout string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, logs := &syncBuffer{}, &syncBuffer{}
	err = run(ctx, append([]string{"coopbot"}, args...), func(k string) string { return env[k] }, out, logs)
	if ctx.Err() != nil {
		t.Fatalf("coopbot %v did not end: it was meant to refuse at once\n%s", args, logs.String())
	}
	return out.String(), err
}

// refused runs serve with env and checks that it ends with one line starting with the
// variable's name, having written nothing to the database.
func refused(t *testing.T, env map[string]string, variable string) error {
	t.Helper()
	before := databaseDump(t, env["DATABASE_URL"])
	_, err := runCmd(t, env, "serve")
	if err == nil || !strings.HasPrefix(err.Error(), variable+":") && !strings.HasPrefix(err.Error(), variable+" (") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("serve: %v; want one line naming %s", err, variable)
	}
	if after := databaseDump(t, env["DATABASE_URL"]); after != before {
		t.Fatalf("the refused start wrote to the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	return err
}

// databaseDump is every row of every table of the database at url, as text.
func databaseDump(t *testing.T, url string) string {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, url, postgres.Options{Key: postgrestest.Key})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		tables = append(tables, s)
	}
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		var s string
		if err := db.Pool.QueryRow(ctx, `SELECT COALESCE(string_agg(to_jsonb(t)::text, E'\n' ORDER BY to_jsonb(t)::text), '') FROM "`+table+`" t`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		b.WriteString(table + ":\n" + s + "\n")
	}
	return b.String()
}

// openStore opens the fixture's database with key.
func openStore(t *testing.T, url string, key []byte) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, postgres.Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// Row "no platform token with a production database": the emulator (no token) refuses a
// database a real bot has served, naming DATABASE_URL, and writes nothing there (no demo
// data, no staff for user 1); a real bot refuses the emulator's database the same way.
func TestEmulatorAndRealBotNeverShareADatabase(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "7401:real-bot")
	in := start(t, f.env)
	onboard(t, f.api.User(7402))
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	emu := without(f.env, "TELEGRAM_TOKEN", "TELEGRAM_API_URL", "DATA_KEY")
	emu["HTTP_ADDR"] = freeAddr(t)
	err := refused(t, emu, "DATABASE_URL")
	if !strings.Contains(err.Error(), "telegram bot 7401") || strings.Contains(err.Error(), "real-bot") {
		t.Fatalf("refusal %q: want it to name the bot account, never its token", err)
	}
	refused(t, with(emu, "DATA_KEY", testDataKey), "DATABASE_URL") // with the right key too
	if _, err := runCmd(t, emu, "serve"); err == nil {
		t.Fatal("the emulator started")
	}

	// The emulator's own database (demo data, staff for user 1), then a real token on it.
	dev := map[string]string{"DATABASE_URL": postgrestest.NewURL(t), "REDIS_PREFIX": f.env["REDIS_PREFIX"] + "dev:", "LOG_LEVEL": "debug"}
	in = start(t, dev)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	real := with(dev, "TELEGRAM_TOKEN", f.token, "TELEGRAM_API_URL", f.url, "DATA_KEY", testDataKey, "HTTP_ADDR", freeAddr(t))
	err = refused(t, real, "DATABASE_URL")
	if !strings.Contains(err.Error(), "local emulator") {
		t.Fatalf("refusal %q: want it to say the emulator used this database", err)
	}
}

// Row "no platform token": the emulator's web chat has no sign-in, so it listens on
// loopback only: a port alone is bound to 127.0.0.1, any other host is refused.
func TestEmulatorListensOnLoopbackOnly(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		":8080": "127.0.0.1:8080", "localhost:8080": "localhost:8080", "127.0.0.1:9": "127.0.0.1:9",
		"[::1]:8080": "[::1]:8080", "0.0.0.0:8080": "", "[::]:8080": "", "192.168.1.5:8080": "", "bot.example.org:80": "", "8080": "",
	} {
		got, err := loopbackAddr(addr)
		if want == "" {
			if err == nil || !strings.HasPrefix(err.Error(), "HTTP_ADDR:") {
				t.Errorf("HTTP_ADDR %q: %q, %v; want refused naming HTTP_ADDR", addr, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("HTTP_ADDR %q: %q, %v; want %q", addr, got, err, want)
		}
	}

	_, port, _ := net.SplitHostPort(freeAddr(t))
	url := postgrestest.NewURL(t)
	env := map[string]string{"DATABASE_URL": url, "REDIS_PREFIX": fmt.Sprintf("coopbot-test:%s:%d:", t.Name(), time.Now().UnixNano())}
	refused(t, with(env, "HTTP_ADDR", "0.0.0.0:"+port), "HTTP_ADDR")

	in := start(t, with(env, "HTTP_ADDR", ":"+port))
	if !strings.Contains(in.stdout.String(), "http://127.0.0.1:"+port+"/") {
		t.Fatalf("printed address: %q", in.stdout.String())
	}
	addrs, _ := net.InterfaceAddrs()
	tried := 0
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		tried++
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ipn.IP.String(), port), time.Second)
		if err == nil {
			c.Close()
			t.Errorf("the emulator answers on %s, not only on loopback", ipn.IP)
		}
	}
	t.Logf("dialled %d non-loopback addresses of this machine", tried)
}

// Row "a wrong DATA_KEY at start": refused with one line naming DATA_KEY (never the key),
// and nothing is written.
func TestWrongDataKeyRefusesToStart(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "7501:wrong-key")
	in := start(t, f.env)
	u := f.api.User(7502)
	c := &chat{f: f, u: u}
	u.Send("/start")
	c.sees("onboarding.welcome")
	c.press(f.text("lang.fa.name"))
	c.sees("onboarding.neighborhood.prompt")
	u.Send("سرخاب")
	c.sees("onboarding.phone.prompt")
	u.ShareContact("+989145550011", 7502)
	c.sees("menu.title")
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{hex.EncodeToString(newDataKey), base64.StdEncoding.EncodeToString(newDataKey)} {
		err := refused(t, with(f.env, "DATA_KEY", key), "DATA_KEY")
		if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), string(newDataKey)) {
			t.Fatalf("the refusal shows the key: %q", err)
		}
	}
	start(t, f.env) // the right key still works
	u.Send("/start")
	c.sees("menu.title")
}

// Row "DATA_KEY changed with coopbot rekey": data sealed under the old key opens under the
// new one (phone, national ID, lookups), the old key is refused afterwards, nothing is in
// plain text in any table, and a conversation in progress starts over politely.
func TestRekeyRoundTrip(t *testing.T) {
	t.Parallel()
	const (
		phone = "9145556677"
		nid   = "2741953864"
	)
	f := newFixture(t, "7601:rekey")
	in := start(t, f.env)
	u := f.api.User(7602)
	c := &chat{f: f, u: u}
	u.Send("/start")
	c.sees("onboarding.welcome")
	c.press(f.text("lang.fa.name"))
	c.sees("onboarding.neighborhood.prompt")
	u.Send("سرخاب")
	c.sees("onboarding.phone.prompt")
	u.ShareContact("+98"+phone, 7602)
	c.sees("menu.title")
	// Someone in the middle of a conversation.
	w := &chat{f: f, u: f.api.User(7603)}
	onboard(t, w.u)
	w.read = len(w.u.Messages())
	w.press(f.text("join.menu"))
	w.sees("join.coop.prompt")
	f.idle(10 * time.Second)
	newKey := base64.StdEncoding.EncodeToString(newDataKey)
	if _, err := runCmd(t, with(f.env, "NEW_DATA_KEY", newKey), "rekey"); err == nil || !strings.Contains(err.Error(), "stop every instance first") {
		t.Fatalf("rekey while an instance serves: %v", err)
	}
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	old := openStore(t, f.env["DATABASE_URL"], postgrestest.Key)
	p, err := old.Profile(ctx, coopbot.UserRef{Platform: coopbot.Telegram, UserID: 7602})
	if err != nil || p.Phone != "+98"+phone {
		t.Fatalf("profile: %+v %v", p, err)
	}
	coops, err := old.JoinCooperatives(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req, _, err := old.SubmitJoinRequest(ctx, &coopbot.JoinRequest{CooperativeID: coops[0].ID, ResidentID: p.ResidentID,
		FullName: "زهرا احمدی", NationalID: nid, Phone: "+98" + phone, Share: coops[0].MinShare})
	if err != nil {
		t.Fatal(err)
	}
	old.Close()

	if _, err := runCmd(t, f.env, "rekey"); err == nil || !strings.HasPrefix(err.Error(), "NEW_DATA_KEY:") {
		t.Fatalf("rekey without NEW_DATA_KEY: %v", err)
	}
	out, err := runCmd(t, with(f.env, "NEW_DATA_KEY", newKey), "rekey")
	if err != nil || !strings.HasPrefix(out, "rekeyed: 3 values sealed and 3 lookup hashes") {
		t.Fatalf("rekey: %q, %v", out, err)
	}
	refused(t, f.env, "DATA_KEY")
	if _, err := runCmd(t, with(f.env, "NEW_DATA_KEY", newKey), "rekey"); err == nil || !strings.HasPrefix(err.Error(), "DATA_KEY:") {
		t.Fatalf("a second rekey from the old key: %v", err)
	}

	next := with(f.env, "DATA_KEY", newKey)
	in = start(t, next)
	u.Send("/start")
	c.sees("menu.title")      // the profile, with the sealed phone, opens
	w.u.Send(coops[0].NameFa) // the answer to the question asked before the rekey
	w.sees("conv.reset")
	w.sees("menu.title")
	f.idle(10 * time.Second)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	db := openStore(t, f.env["DATABASE_URL"], newDataKey)
	r, err := db.JoinRequest(ctx, req)
	if err != nil || r.NationalID != nid || r.Phone != "+98"+phone {
		t.Fatalf("join request under the new key: %+v, %v", r, err)
	}
	if p, err := db.Profile(ctx, coopbot.UserRef{Platform: coopbot.Telegram, UserID: 7602}); err != nil || p.Phone != "+98"+phone {
		t.Fatalf("profile under the new key: %+v, %v", p, err)
	}
	d := digitsOnly(databaseDump(t, f.env["DATABASE_URL"]))
	for what, v := range map[string]string{"phone": phone, "national ID": nid} {
		if strings.Contains(d, v) {
			t.Errorf("the %s is readable in the database after the rekey", what)
		}
	}
}

// Row "a person removed from ADMINS": at the next start the role they had by ADMINS is
// gone (audited); at their next update, in a staff wizard they opened before, they are
// refused, their menu no longer offers staff entries, and a forged press of one is refused
// and recorded. Whoever is still named keeps the role.
func TestRemovedAdminLosesStaffRights(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "7701:admins")
	in := start(t, with(f.env, "ADMINS", "telegram:7701,telegram:7702"))
	s := &chat{f: f, u: f.api.User(7701)}
	onboard(t, s.u)
	kept := &chat{f: f, u: f.api.User(7702)}
	onboard(t, kept.u)
	msgs := s.u.Messages()
	staffMenu := msgs[len(msgs)-1]
	if !slices.Contains(labels(staffMenu), f.text("broadcast.menu")) {
		t.Fatalf("staff menu %q lacks the broadcast entry", labels(staffMenu))
	}
	s.read = len(msgs)
	s.press(f.text("broadcast.menu"))
	s.sees("broadcast.audience.prompt")
	f.idle(10 * time.Second)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}

	start(t, with(f.env, "ADMINS", "telegram:7702"))
	ctx := context.Background()
	db := openStore(t, f.env["DATABASE_URL"], postgrestest.Key)
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.Pool.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM audit_log a JOIN residents r ON a.subject = 'resident:' || r.id
		WHERE r.user_id = 7701 AND a.action = 'staff_revoke' AND a.actor_id IS NULL AND a.detail->>'source' = 'ADMINS'`); n != 1 {
		t.Fatalf("revocation audited %d times, want 1", n)
	}
	if n := count(`SELECT count(*) FROM staff s JOIN residents r ON r.id = s.resident_id WHERE r.user_id = 7701`); n != 0 {
		t.Fatal("the removed admin is still staff")
	}

	s.press(f.text("broadcast.audience.neighborhoods")) // the wizard's question from before
	s.sees("broadcast.denied")
	s.sees("menu.title")
	menu := s.u.Messages()[s.read-1]
	if l := labels(menu); slices.Contains(l, f.text("broadcast.menu")) || slices.Contains(l, f.text("needs.menu.inbox")) || len(l) == 0 {
		t.Fatalf("menu after the refusal: %q; want no staff entries", l)
	}
	prefix := ""
	for _, row := range menu.Inline {
		for _, b := range row {
			if i := strings.LastIndex(b.Data, ":"); i > 0 {
				prefix = b.Data[:i+1]
			}
		}
	}
	s.u.PressData(menu.ID, prefix+"broadcast") // forged, with the current question number
	s.sees("menu.unknown")
	f.idle(10 * time.Second)
	if n := count(`SELECT count(*) FROM audit_log a JOIN residents r ON r.id = a.actor_id
		WHERE r.user_id = 7701 AND NOT a.allowed AND a.action IN ('broadcast_create', 'menu_broadcast')`); n != 2 {
		t.Fatalf("%d refusals recorded, want 2 (the wizard's press, the forged one)", n)
	}
	if got := count(`SELECT count(*) FROM broadcasts`); got != 0 {
		t.Fatal("a broadcast was created")
	}

	kept.read = len(kept.u.Messages())
	kept.u.Send("/start")
	kept.sees("menu.title")
	km := kept.u.Messages()[kept.read-1]
	if !slices.Contains(labels(km), f.text("broadcast.menu")) {
		t.Fatalf("the admin still named lost the staff entries: %q", labels(km))
	}
}

// labels are the inline button labels of m.
func labels(m emulator.Message) []string {
	var out []string
	for _, row := range m.Inline {
		for _, b := range row {
			out = append(out, b.Text)
		}
	}
	return out
}
