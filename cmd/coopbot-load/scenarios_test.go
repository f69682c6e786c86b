package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/locales"

	"github.com/jackc/pgx/v5"
)

// sampleData fills the template values of the scenarios' messages as the bot would.
var sampleData = map[string]any{
	"Title": "کارگاه آزمایشی سرخاب", "Day": "دوشنبه ۱۷ آذر ۱۴۰۵", "Time": "۱۰:۰۰", "Venue": "سالن محله",
	"Address": "سرخاب", "Minutes": "۶۰", "Description": "کارگاهی برای آزمون بار.", "Neighborhood": "سرخاب",
	"N": "۱", "Seats": "۹۹", "Max": "۵۰۰", "Code": "N-۱۲۳۴", "Position": "۲", "Count": "۱", "Name": "مریم رضایی",
}

// Every question and end of the walked scenarios, rendered as the bot sends it in either
// language, is recognized as itself, and every button the residents press has a label.
func TestScenarioQuestionsRecognised(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	for name, sc := range scenarios {
		scripts, err := newScripts(sc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, lang := range []coopbot.Lang{coopbot.Persian, coopbot.Azeri} {
			s := scripts[lang]
			for _, id := range slices.Concat(sc.ends, onboardingQuestions, sc.questions) {
				msg, err := cat.Text(lang, id, sampleData, nil)
				if err != nil {
					t.Fatalf("%s %s %s: %v", name, lang, id, err)
				}
				// A hint or a list may stand around the question.
				for _, shown := range []string{msg, "⚠️\n\n" + msg} {
					if got := s.asked(shown); got != id {
						t.Errorf("%s, %s: message %s is read as %q:\n%s", name, lang, id, got, shown)
					}
				}
			}
			for key, id := range sc.labels {
				if s.label[key] == "" || strings.Contains(s.label[key], anyValue) {
					t.Errorf("%s, %s: button %s (%s) has label %q", name, lang, key, id, s.label[key])
				}
			}
			if got := s.asked("سلام"); got != "" {
				t.Errorf("%s, %s: a greeting is read as %s", name, lang, got)
			}
		}
		if scripts[coopbot.Persian].label["menu"] == scripts[coopbot.Azeri].label["menu"] {
			t.Errorf("%s: the menu button reads the same in Persian and Azeri", name)
		}
		if len(sc.blind) == 0 || sc.blind[0] != 't' {
			t.Errorf("%s: nullbot's walk must start with /start, got %q", name, sc.blind)
		}
	}
	// The trainings list, as the bot sends it: the title above the cards.
	s, _ := newScript(cat, coopbot.Azeri, trainingsScenario)
	title, _ := cat.Text(coopbot.Azeri, "training.list.title", nil, nil)
	card, _ := cat.Text(coopbot.Azeri, "training.card", sampleData, nil)
	if got := s.asked(title + "\n\n" + card); got != "training.list.title" {
		t.Errorf("the trainings list is read as %q", got)
	}
}

// Each walked scenario runs end to end with a handful of residents against the real bot
// and nullbot, in polling and webhook mode, closed and open loop; what the residents did is
// then in Postgres. It builds both binaries (about 20 s): skipped with -short.
func TestScenariosEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds coopbot and nullbot and runs the stack")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin, null := filepath.Join(dir, "coopbot"), filepath.Join(dir, "nullbot")
	for pkg, out := range map[string]string{"coopbot/cmd/coopbot": bin, "coopbot/cmd/coopbot-load/nullbot": null} {
		if b, err := exec.CommandContext(ctx, "go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, b)
		}
	}
	const dbURL = "postgres://postgres@127.0.0.1:5432/coopbot_load?sslmode=disable"
	for _, c := range []struct {
		args  []string
		count string // what the residents left in Postgres
	}{
		{[]string{"-scenario", "trainings", "-closed", "2", "-users", "4"},
			`SELECT count(*) FROM training_enrollments e JOIN trainings t ON t.id = e.training_id
				WHERE e.status = 'confirmed' AND t.title_fa LIKE 'کارگاه آزمایشی %'`},
		{[]string{"-scenario", "need", "-users", "4", "-rate", "40", "-mode", "webhook"},
			`SELECT count(*) FROM need_reports`},
		{[]string{"-scenario", "join", "-users", "4", "-rate", "40", "-mode", "webhook"},
			`SELECT count(*) FROM join_requests`},
	} {
		name := strings.Join(c.args, " ")
		var out, errs bytes.Buffer
		args := append([]string{"-bin", bin, "-nullbot-bin", null, "-nullbot", "-rounds", "1"}, c.args...)
		if err := run(ctx, args, &out, &errs); err != nil {
			t.Fatalf("%s: %v\n%s%s", name, err, out.String(), errs.String())
		}
		for _, want := range []string{"round 1 coopbot: 4 residents reached the end; 0 replies doubled in a row, 0 extra updates",
			"round 1 nullbot: ", "Redis CPU per update", "Postgres CPU per update", "ratio"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: the report lacks %q:\n%s", name, want, out.String())
			}
		}
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = conn.QueryRow(ctx, c.count).Scan(&n)
		conn.Close(ctx)
		if err != nil || n != 4 {
			t.Errorf("%s: %d rows of the residents' doing (%v), want 4", name, n, err)
		}
		fmt.Fprintf(testWriter{t}, "%s\n%s", name, out.String())
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// Server CPU counts the postmaster, Postgres's background processes, the backends of the
// bot's database and the Redis on the bot's port; other databases' backends and other
// Redis servers on a shared machine are left out.
func TestServerProcessesCounted(t *testing.T) {
	for _, c := range []struct {
		comm, title string
		want        bool
	}{
		{"postgres", "/usr/lib/postgresql/15/bin/postgres\x00-D\x00/var/lib/postgresql/15/main", true},
		{"postgres", "postgres: 15/main: walwriter", true},
		{"postgres", "postgres: checkpointer", true},
		{"postgres", "postgres: 15/main: autovacuum worker coopbot_load", true},
		{"postgres", "postgres: 15/main: postgres coopbot_load 127.0.0.1(37640) idle", true},
		{"postgres", "postgres: postgres coopbot_load [local] idle in transaction", true},
		{"postgres", "postgres: 15/main: postgres coopbot_test_a5e49e043a05 127.0.0.1(37640) idle", false},
		{"postgres", "postgres: postgres postgres 127.0.0.1(5000) SELECT", false},
		{"redis-server", "redis-server 127.0.0.1:6379", true},
		{"redis-server", "redis-server 127.0.0.1:17001 [cluster]", false},
	} {
		if got := ours(c.comm, c.title, "coopbot_load", "6379"); got != c.want {
			t.Errorf("%s %q: counted %v, want %v", c.comm, c.title, got, c.want)
		}
	}
	// This machine's own servers are found.
	got := map[string]bool{}
	for _, s := range serverTimes("coopbot_load", "6379") {
		got[s.comm] = true
	}
	if !got["postgres"] || !got["redis-server"] {
		t.Errorf("server processes found: %v, want postgres and redis-server", got)
	}
}
