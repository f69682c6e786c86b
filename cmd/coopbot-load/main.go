// Command coopbot-load measures coopbot under load. It builds and starts one or more coopbot
// processes against a fake Bot API (the emulator) that it serves itself, drives many
// simulated residents, and reports:
//
//   - updates per second;
//   - delivery delay: from an update being available at the fake Bot API to the bot taking
//     it (a getUpdates answer, or the start of its webhook request);
//   - reply latency: from an update being queued to the bot's first reply in that chat;
//   - bot CPU per update (process CPU seconds of every instance / updates), and the CPU
//     of the redis-server and postgres processes (all backends) per update;
//   - Redis round trips per update (the bots' own count, from /metrics);
//   - Postgres transactions per update (pg_stat_database);
//   - bot memory (RSS) per instance, and with -conversations N idle conversations.
//
// Scenarios:
//
//   - echo (the default): a step that touches only Redis. A resident at the neighborhood
//     question types a name that matches none, and the bot answers with that text and the
//     same question; every echo must come back once, in order.
//   - join: the real conversation of a newcomer, from /start through onboarding and the
//     whole membership form to its submission (15 updates per resident), each resident
//     reading what the bot asks in their language and answering it.
//   - trainings: onboarding, then the trainings list, the training the tool seeds in the
//     resident's neighborhood (seats for everyone), its details, sign up, the
//     confirmation (7 updates).
//   - need: onboarding, then a need report to its submission: category, household size,
//     description, urgency, location skipped, attachments skipped, consent, submit
//     (13 updates).
//
// Residents run in a closed loop (-closed N: N residents, each waiting for its reply
// before the next update) or an open loop (-rate: updates offered per second). With
// -nullbot the same load is also run, interleaved round by round, against nullbot, a bot
// that does no work through the same client, and every figure is printed with its ratio to
// nullbot's. With -chaos (join scenario) instances are killed with SIGKILL and restarted,
// and Postgres and Redis are taken away for a few seconds at random moments, and the tool
// then checks in Postgres that every resident who finished has exactly one join request.
//
//	coopbot-load -users 1000 -rate 1000 -duration 20s
//	coopbot-load -scenario join -closed 500 -nullbot
//	coopbot-load -scenario join -closed 100 -instances 3 -mode webhook -chaos -duration 60s
//	coopbot-load -conversations 10000 -duration 0
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"coopbot/emulator"
)

const token = "424242:load-test"

// staffID is the office's staff member (ADMINS) who gets the join requests' cards.
const staffID = 7

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "coopbot-load:", err)
		os.Exit(1)
	}
}

type options struct {
	scenario                               string
	users, instances, conversations        int
	closed, rounds                         int
	rate                                   float64
	duration, step                         time.Duration
	durationSet, usersSet                  bool
	mode, bin, nullBin, adminURL, redisURL string
	nullbot, chaos, keep                   bool
	profile                                string
	profileFor                             time.Duration
}

func parse(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("coopbot-load", flag.ContinueOnError)
	fs.StringVar(&o.scenario, "scenario", "echo", "echo (a Redis-only step), join (onboarding and the whole join form), trainings (onboarding and a training sign-up) or need (onboarding and a need report)")
	fs.IntVar(&o.users, "users", 1000, "simulated residents (join, trainings, need: residents who walk the conversation; default -closed)")
	fs.IntVar(&o.closed, "closed", 0, "closed loop: this many residents, each waiting for its reply before the next update")
	fs.Float64Var(&o.rate, "rate", 1000, "open loop: updates offered per second (0: each resident answers as soon as the reply arrives)")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long to measure (join, trainings, need: when given, residents keep coming this long)")
	fs.IntVar(&o.instances, "instances", 1, "coopbot processes")
	fs.StringVar(&o.mode, "mode", "polling", "polling or webhook")
	fs.IntVar(&o.conversations, "conversations", 0, "echo: idle conversations to open before measuring memory")
	fs.BoolVar(&o.nullbot, "nullbot", false, "also run the same load on nullbot, interleaved, and print ratios to it")
	fs.IntVar(&o.rounds, "rounds", 0, "rounds (each: coopbot, then nullbot); 3 with -nullbot, else 1")
	fs.BoolVar(&o.chaos, "chaos", false, "join: kill instances and take Postgres and Redis away during the run, then check for lost and doubled effects")
	fs.DurationVar(&o.step, "step-timeout", 0, "join, trainings, need: the longest a resident waits for one answer (30s; 120s with -chaos)")
	fs.StringVar(&o.bin, "bin", "", "coopbot binary (built from ./cmd/coopbot when empty)")
	fs.StringVar(&o.nullBin, "nullbot-bin", "", "nullbot binary (built from ./cmd/coopbot-load/nullbot when empty)")
	fs.StringVar(&o.adminURL, "database-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "Postgres admin URL; a database coopbot_load is created anew")
	fs.StringVar(&o.redisURL, "redis-url", "redis://127.0.0.1:6379/0", "Redis")
	fs.BoolVar(&o.keep, "v", false, "show the bots' logs")
	fs.StringVar(&o.profile, "cpuprofile", "", "join: write a CPU profile of the first coopbot instance, taken over the start of each measured phase, to this file")
	fs.DurationVar(&o.profileFor, "cpuprofile-for", 10*time.Second, "how long the CPU profile runs")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	fs.Visit(func(f *flag.Flag) {
		o.durationSet = o.durationSet || f.Name == "duration"
		o.usersSet = o.usersSet || f.Name == "users"
	})
	switch {
	case o.mode != "polling" && o.mode != "webhook":
		return o, errors.New("-mode: polling or webhook")
	case o.scenario != "echo" && scenarios[o.scenario] == nil:
		return o, errors.New("-scenario: echo, join, trainings or need")
	case o.chaos && o.scenario != "join":
		return o, errors.New("-chaos needs -scenario join")
	case o.chaos && o.nullbot:
		return o, errors.New("-chaos and -nullbot do not go together")
	}
	if o.closed > 0 {
		o.rate = 0
		if o.scenario == "echo" || !o.usersSet {
			o.users = o.closed
		}
	}
	if o.rounds <= 0 {
		o.rounds = 1
		if o.nullbot {
			o.rounds = 3
		}
	}
	if o.step <= 0 {
		o.step = 30 * time.Second
		if o.chaos {
			o.step = 120 * time.Second
		}
	}
	if o.chaos {
		o.durationSet = true
	}
	return o, nil
}

func build(ctx context.Context, stdout io.Writer, pkg, name string) (string, error) {
	bin := filepath.Join(os.TempDir(), name)
	fmt.Fprintf(stdout, "building %s…\n", pkg)
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %v\n%s", pkg, err, out)
	}
	return bin, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	if o.bin == "" {
		if o.bin, err = build(ctx, stdout, "./cmd/coopbot", "coopbot-load-bin"); err != nil {
			return err
		}
	}
	if o.nullbot && o.nullBin == "" {
		if o.nullBin, err = build(ctx, stdout, "./cmd/coopbot-load/nullbot", "coopbot-load-nullbot"); err != nil {
			return err
		}
	}
	dbURL, err := freshDatabase(ctx, o.adminURL)
	if err != nil {
		return err
	}
	env := []string{
		"REDIS_PREFIX=coopbot-load:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":",
		"DATA_KEY=" + strings.Repeat("ab", 32), "LOG_LEVEL=warn", "ADMINS=telegram:" + strconv.Itoa(staffID),
	}
	if o.chaos {
		return runChaos(ctx, o, dbURL, env, stdout, stderr)
	}
	bot, err := newTarget(ctx, "coopbot", o.bin, append(env, "DATABASE_URL="+dbURL, "REDIS_URL="+o.redisURL), o.mode, o.instances, o.keep, stderr)
	if err != nil {
		return err
	}
	defer bot.close()
	bot.dbURL = dbURL
	bot.dbName, bot.redisPort = "coopbot_load", redisPort(o.redisURL)
	bot.profile, bot.profileFor = o.profile, o.profileFor
	targets := []*target{bot}
	if o.nullbot {
		null, err := newTarget(ctx, "nullbot", o.nullBin, nil, o.mode, o.instances, o.keep, stderr)
		if err != nil {
			return err
		}
		defer null.close()
		targets = append(targets, null)
	}
	loop := fmt.Sprintf("open loop at %.0f updates/s", o.rate)
	if o.rate <= 0 {
		loop = "closed loop"
	}
	fmt.Fprintf(stdout, "%s scenario: %d coopbot instance(s), %s mode, %d residents, %s, %d round(s)\n",
		o.scenario, o.instances, o.mode, o.users, loop, o.rounds)

	var j joinRun
	if o.scenario != "echo" {
		if j, err = newJoinRun(ctx, o, dbURL); err != nil {
			return err
		}
		if err := onboardStaff(ctx, bot, j, staffID); err != nil {
			return err
		}
	} else if o.conversations > 0 {
		if err := openConversations(ctx, bot.emu, o.conversations); err != nil {
			return err
		}
	}
	if o.scenario == "echo" && o.duration <= 0 {
		for _, b := range bot.instances() {
			fmt.Fprintf(stdout, "instance %d: RSS %.1f MB\n", b.pid(), b.rssMB())
		}
		return nil
	}
	total := make([]figures, len(targets))
	for round := range o.rounds {
		for i, t := range targets {
			first := int64(100000 + round*o.users)
			var f figures
			if o.scenario == "echo" {
				users := make([]*emulator.User, o.users)
				for k := range users {
					users[k] = t.emu.User(first + int64(k))
				}
				f, err = echoPhase(ctx, t, users, o.rate, o.duration)
			} else {
				jr := j
				jr.firstID, jr.blind = first, t.name == "nullbot"
				var out outcome
				f, out, err = joinPhase(ctx, t, jr)
				if err == nil && !jr.blind {
					rep, cerr := checkReplies(out)
					if cerr != nil {
						return cerr
					}
					fmt.Fprintf(stdout, "round %d %s: %d residents reached the end; %d replies doubled in a row, %d extra updates, %d \"unavailable\" messages\n",
						round+1, t.name, out.completed, rep.doubled, rep.extra, rep.unavailable)
					for _, ex := range rep.examples {
						fmt.Fprint(stdout, ex)
					}
				}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "round %d %s: %d updates in %.1fs (%.0f/s), handled %d, CPU %.3f ms/update (Redis %.3f, Postgres %.3f)\n",
				round+1, t.name, f.updates, f.elapsed, float64(f.updates)/f.elapsed, f.handled,
				f.cpu*1000/float64(f.updates), f.redisCPU*1000/float64(f.updates), f.pgCPU*1000/float64(f.updates))
			total[i].add(f)
		}
	}
	var null *figures
	if len(total) > 1 {
		null = &total[1]
	}
	report(stdout, &total[0], null, o.mode == "polling")
	return nil
}

// redisPort is the port of a Redis URL ("6379" when it names none).
func redisPort(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	if port := p.Port(); port != "" {
		return port
	}
	return "6379"
}

// newJoinRun prepares the residents of a walked scenario (join, trainings, need).
func newJoinRun(ctx context.Context, o options, dbURL string) (joinRun, error) {
	scripts, err := newScripts(scenarios[o.scenario])
	if err != nil {
		return joinRun{}, err
	}
	coops, err := seedCooperatives(ctx, dbURL)
	if err != nil {
		return joinRun{}, err
	}
	if o.scenario == "trainings" {
		if err := seedTrainings(ctx, dbURL, coops); err != nil {
			return joinRun{}, err
		}
	}
	j := joinRun{residents: o.users, concurrency: o.users, rate: o.rate, step: o.step, scripts: scripts, coops: coops}
	if o.closed > 0 {
		j.concurrency = o.closed
	}
	if o.durationSet {
		j.residents, j.duration = 0, o.duration
	}
	return j, nil
}
