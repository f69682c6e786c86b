package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"coopbot/emulator"
	"coopbot/postgres"
	"coopbot/postgres/postgrestest"
	"coopbot/text"
)

// chat follows one person's conversation: sees waits for a message newer than the last
// one seen.
type chat struct {
	f    *fixture
	u    *emulator.User
	read int
}

func (c *chat) sees(id string, kv ...any) { c.f.t.Helper(); c.seesFrom(c.read, id, kv...) }

// seesEdited is sees that also looks at the last message seen, edited in place since.
func (c *chat) seesEdited(id string, kv ...any) { c.f.t.Helper(); c.seesFrom(c.read-1, id, kv...) }

func (c *chat) seesFrom(from int, id string, kv ...any) {
	c.f.t.Helper()
	want := c.f.text(id, kv...)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	at := -1
	err := c.u.Wait(ctx, func(ms []emulator.Message) bool {
		for i := max(from, 0); i < len(ms); i++ {
			if strings.Contains(ms[i].Text, want) {
				at = i
				return true
			}
		}
		return false
	})
	if err != nil {
		c.f.t.Fatalf("user %d: no new message %s: %v", c.u.ID(), id, err)
	}
	c.read = at + 1
}

func (c *chat) press(label string) {
	c.f.t.Helper()
	if err := c.u.Press(label); err != nil {
		c.f.t.Fatal(err)
	}
}

// digitsOnly folds what may stand between the digits of a number as people and the bot
// write it (Persian and Arabic-Indic digits, spaces, dashes, direction marks, ZWNJ), so
// that a phone or national ID is found however it was formatted.
func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '۰' && r <= '۹':
			return '0' + r - '۰'
		case r >= '٠' && r <= '٩':
			return '0' + r - '٠'
		case r == ' ', r == '-', r == '\u00a0', r == '\u202f', r == '\u200c', r == '\u200e', r == '\u200f',
			r >= '\u2066' && r <= '\u2069', r >= '\u202a' && r <= '\u202e':
			return -1
		}
		return r
	}, s)
}

// Row "national ID and phone: never in logs; not readable in plain text from a database
// dump or from Redis". A resident shares their phone at onboarding and applies to a
// cooperative with their national ID (staff get the request card); then every log line,
// every value under the deployment's Redis prefix and every row of every table is searched
// for the two numbers, in any digit script and formatting.
func TestPersonalDataNotInLogsRedisOrDatabase(t *testing.T) {
	t.Parallel()
	const (
		token    = "7501:personal-data"
		phone    = "9145556677"
		phoneTyp = "+98 914 555 6677"
		nid      = "2741953864"
		staffID  = 7501
		resID    = 7502
	)
	if v, r := text.ParseNationalID(nid); v != nid {
		t.Fatalf("test national ID %s is not valid: %s", nid, r)
	}
	f := newFixture(t, token)
	env := map[string]string{"ADMINS": "telegram:7501"}
	for k, v := range f.env {
		env[k] = v
	}
	in := start(t, env)

	staff := &chat{f: f, u: f.api.User(staffID)}
	onboard(t, staff.u)

	c := &chat{f: f, u: f.api.User(resID)}
	c.u.Send("/start")
	c.sees("onboarding.welcome")
	c.press(f.text("lang.fa.name"))
	c.sees("onboarding.neighborhood.prompt")
	c.u.Send("سرخاب")
	c.sees("onboarding.phone.prompt")
	c.u.ShareContact(phoneTyp, resID)
	c.sees("onboarding.done_phone")
	c.sees("menu.title")

	c.press(f.text("join.menu"))
	c.sees("join.coop.prompt")
	c.press("تعاونی فرش‌بافی بانوان سرخاب")
	c.sees("join.name.prompt")
	c.u.Send("زهرا احمدی")
	c.sees("join.nid.prompt")
	c.u.Send("۲۷۴-۱۹۵۳۸۶-۴") // Persian digits with dashes, as people type it
	c.sees("join.phone.prompt_known", "Phone", text.Phone("+98"+phone))
	c.u.Send(f.text("join.phone.use_mine", "Phone", text.Phone("+98"+phone)))
	c.sees("join.share.prompt", "Coop", "تعاونی فرش‌بافی بانوان سرخاب", "CoopAz", "سورخاب خانیملار خالچا توخوما تعاونیسی", "Min", "۵٬۰۰۰٬۰۰۰")
	c.u.Send("۶ میلیون تومان")
	c.sees("join.skills.prompt")
	c.press(f.text("join.skill.carpet"))
	c.seesEdited("join.skills.chosen")
	c.press(f.text("join.skills.done"))
	c.sees("join.consent.data")
	c.press(f.text("join.consent.yes"))
	c.sees("join.consent.rules")
	c.press(f.text("join.consent.yes"))
	c.sees("join.review.title")
	c.press(f.text("join.review.submit"))
	c.sees("menu.title")

	// Staff get the card (personal data travels to them in the chat, as it must) through a
	// job: the job table is part of the dump below.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := staff.u.Wait(ctx, func(ms []emulator.Message) bool {
		for _, m := range ms {
			if strings.Contains(digitsOnly(m.Text), nid) {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("staff never got the request card: %v", err)
	}
	f.idle(10 * time.Second)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}

	secrets := map[string]string{"phone": phone, "national ID": nid}
	find := func(where, s string) {
		t.Helper()
		d := digitsOnly(s)
		for what, v := range secrets {
			if i := strings.Index(d, v); i >= 0 {
				t.Errorf("the %s is readable in %s: …%s…", what, where, d[max(0, i-120):min(len(d), i+40)])
			}
		}
	}
	logs := in.logs.String() + in.stdout.String()
	if !strings.Contains(logs, `"level":"DEBUG"`) {
		t.Fatal("no debug logs captured: the search below would prove nothing")
	}
	find("the logs", logs)

	// Redis: every value of every key of this deployment.
	rdb := f.redis.Redis()
	keys, err := rdb.Keys(ctx, f.redis.Prefix()+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("redis keys: %v, %v", keys, err)
	}
	for _, k := range keys {
		var vals []string
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "string":
			vals = []string{rdb.Get(ctx, k).Val()}
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				vals = append(vals, f, v)
			}
		case "list":
			vals = rdb.LRange(ctx, k, 0, -1).Val()
		case "set":
			vals = rdb.SMembers(ctx, k).Val()
		case "zset":
			vals = rdb.ZRange(ctx, k, 0, -1).Val()
		default:
			t.Fatalf("redis key %s of type %s not searched", k, typ)
		}
		find("Redis key "+k, k+" "+strings.Join(vals, " "))
	}

	// Postgres: every row of every table, as JSON.
	db, err := postgres.Open(ctx, f.env["DATABASE_URL"], postgres.Options{Key: postgrestest.Key})
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
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 5 {
		t.Fatalf("tables = %v", tables)
	}
	dumped := 0
	for _, table := range tables {
		rows, err := db.Pool.Query(ctx, `SELECT to_jsonb(t)::text FROM "`+table+`" t`)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for rows.Next() {
			var row string
			if err := rows.Scan(&row); err != nil {
				t.Fatal(err)
			}
			b.WriteString(row)
			b.WriteByte('\n')
			dumped++
		}
		rows.Close()
		find("table "+table, b.String())
	}
	// The numbers are stored (sealed): the search above looked where they are.
	var sealed int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM residents WHERE user_id = $1 AND phone_enc IS NOT NULL`, resID).Scan(&sealed); err != nil || sealed != 1 {
		t.Fatalf("sealed phone rows: %d, %v", sealed, err)
	}
	t.Logf("searched %d bytes of logs, %d Redis keys, %d rows of %d tables", len(logs), len(keys), dumped, len(tables))
}
