// Command coopbot-load measures coopbot under load. It builds and starts one or more coopbot
// processes against a fake Bot API (the emulator) that it serves itself, drives many
// simulated residents through the real flows, and reports what issue #8 budgets:
//
//   - updates handled per second, and latency percentiles from the moment an update is
//     queued at the fake Bot API to the moment the bot's reply reaches it;
//   - bot CPU per handled update (process CPU seconds of every instance / updates);
//   - Redis round trips per update (the bots' own count, from /metrics);
//   - Postgres transactions per update (pg_stat_database);
//   - bot memory (RSS) per instance, and with -conversations N idle conversations;
//   - per-chat order, lost and duplicated replies (every typed text is echoed back).
//
// The measured step touches only Redis: a resident at the neighborhood question types a
// name that matches none, and the bot answers with that text and the same question.
//
// Example: coopbot-load -users 1000 -rate 1000 -duration 20s
//
//	coopbot-load -instances 3 -mode webhook -rate 0 -duration 20s
//	coopbot-load -conversations 10000 -duration 0
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"coopbot/emulator"

	"github.com/jackc/pgx/v5"
)

const token = "424242:load-test"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "coopbot-load:", err)
		os.Exit(1)
	}
}

type options struct {
	users, instances, conversations int
	rate                            float64
	duration                        time.Duration
	mode, bin, adminURL, redisURL   string
	keep                            bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("coopbot-load", flag.ContinueOnError)
	fs.IntVar(&o.users, "users", 1000, "simulated residents")
	fs.Float64Var(&o.rate, "rate", 1000, "updates offered per second (0: each resident answers as soon as the reply arrives)")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long to measure")
	fs.IntVar(&o.instances, "instances", 1, "coopbot processes")
	fs.StringVar(&o.mode, "mode", "polling", "polling or webhook")
	fs.IntVar(&o.conversations, "conversations", 0, "idle conversations to open before measuring memory")
	fs.StringVar(&o.bin, "bin", "", "coopbot binary (built from ./cmd/coopbot when empty)")
	fs.StringVar(&o.adminURL, "database-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "Postgres admin URL; a database coopbot_load is created anew")
	fs.StringVar(&o.redisURL, "redis-url", "redis://127.0.0.1:6379/0", "Redis")
	fs.BoolVar(&o.keep, "v", false, "show the bots' logs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.mode != "polling" && o.mode != "webhook" {
		return fmt.Errorf("-mode: polling or webhook")
	}
	if o.bin == "" {
		o.bin = filepath.Join(os.TempDir(), "coopbot-load-bin")
		fmt.Fprintln(stdout, "building coopbot…")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", o.bin, "./cmd/coopbot").CombinedOutput(); err != nil {
			return fmt.Errorf("build coopbot: %v\n%s", err, out)
		}
	}
	dbURL, err := freshDatabase(ctx, o.adminURL)
	if err != nil {
		return err
	}

	emu := emulator.New(emulator.Options{Token: token})
	defer emu.Close()
	lat := newLatencies()
	emu.SetHook(func(method string, chatID int64) *emulator.APIError {
		if method == "sendMessage" {
			lat.replied(chatID)
		}
		return nil
	})
	apiURL, closeAPI, err := serve(emu.Handler())
	if err != nil {
		return err
	}
	defer closeAPI()

	env := []string{
		"TELEGRAM_TOKEN=" + token, "TELEGRAM_API_URL=" + apiURL, "DATABASE_URL=" + dbURL,
		"REDIS_URL=" + o.redisURL, "REDIS_PREFIX=coopbot-load:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":",
		"DATA_KEY=" + strings.Repeat("ab", 32), "LOG_LEVEL=warn",
	}
	for _, sub := range []string{"migrate", "seed"} {
		cmd := exec.CommandContext(ctx, o.bin, sub)
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("coopbot %s: %v\n%s", sub, err, out)
		}
	}
	env = append(env, "MODE="+o.mode)
	var lb *roundRobin
	if o.mode == "webhook" {
		lb = &roundRobin{}
		lbURL, closeLB, err := serve(lb)
		if err != nil {
			return err
		}
		defer closeLB()
		env = append(env, "WEBHOOK_BASE_URL="+lbURL, "WEBHOOK_SECRET=load-test-webhook-secret-123")
	}
	var bots []*instance
	for i := range o.instances {
		b, err := startInstance(ctx, o.bin, env, o.keep, stderr)
		if err != nil {
			return fmt.Errorf("instance %d: %w", i, err)
		}
		defer b.stop()
		bots = append(bots, b)
		if lb != nil {
			lb.add(b.url)
		}
	}
	fmt.Fprintf(stdout, "%d instance(s), %s mode, %d residents\n", o.instances, o.mode, o.users)

	// Bring every resident to the neighborhood question (Postgres is touched here: profile
	// lookups), then measure a step that touches only Redis.
	users := make([]*emulator.User, o.users)
	for i := range users {
		users[i] = emu.User(int64(100000 + i))
	}
	if err := prepare(ctx, users); err != nil {
		return err
	}
	if o.conversations > 0 {
		if err := openConversations(ctx, emu, o.conversations); err != nil {
			return err
		}
	}
	for _, b := range bots {
		fmt.Fprintf(stdout, "instance %d: RSS %.1f MB after preparing\n", b.pid(), b.rssMB())
	}
	if o.duration <= 0 {
		return nil
	}

	before, err := measure(ctx, bots, dbURL)
	if err != nil {
		return err
	}
	lat.reset()
	polls := emu.Calls("getUpdates")
	sent := drive(ctx, users, lat, o.rate, o.duration)
	waitQuiet(ctx, emu, 10*time.Second)
	after, err := measure(ctx, bots, dbURL)
	if err != nil {
		return err
	}
	n := float64(after.handled - before.handled)
	elapsed := after.at.Sub(before.at).Seconds()
	lost, dup, disorder := checkEchoes(users)
	ps := lat.percentiles(50, 90, 99, 99.9, 100)
	fmt.Fprintf(stdout, "offered %.0f/s for %s: sent %d updates, handled %.0f (%.0f/s over %.1fs)\n",
		o.rate, o.duration, sent, n, n/elapsed, elapsed)
	fmt.Fprintf(stdout, "latency update→reply: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
		ps[0], ps[1], ps[2], ps[3], ps[4])
	fmt.Fprintf(stdout, "bot CPU per update: %.3f ms   Redis round trips per update: %.2f   Postgres transactions per update: %.3f\n",
		(after.cpu-before.cpu)*1000/n, float64(after.redis-before.redis)/n, float64(after.xacts-before.xacts)/n)
	if o.mode != "webhook" {
		fmt.Fprintf(stdout, "getUpdates calls per update: %.3f\n", float64(emu.Calls("getUpdates")-polls)/n)
	}
	for _, b := range bots {
		fmt.Fprintf(stdout, "instance %d: RSS %.1f MB\n", b.pid(), b.rssMB())
	}
	fmt.Fprintf(stdout, "replies lost %d, duplicated %d, out of order %d\n", lost, dup, disorder)
	if lost+dup+disorder > 0 {
		return errors.New("lost, duplicated or reordered replies")
	}
	return nil
}

// freshDatabase drops and creates the database coopbot_load.
func freshDatabase(ctx context.Context, adminURL string) (string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("-database-url: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS coopbot_load WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE coopbot_load"); err != nil {
		return "", err
	}
	cfg := conn.Config()
	return fmt.Sprintf("postgres://%s@%s:%d/coopbot_load?sslmode=disable", cfg.User, cfg.Host, cfg.Port), nil
}

func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// roundRobin is a load balancer in front of the instances' webhooks.
type roundRobin struct {
	mu      sync.Mutex
	proxies []*httputil.ReverseProxy
	next    atomic.Uint64
}

func (r *roundRobin) add(target string) {
	u, _ := url.Parse(target)
	p := httputil.NewSingleHostReverseProxy(u)
	p.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
	r.mu.Lock()
	r.proxies = append(r.proxies, p)
	r.mu.Unlock()
}

func (r *roundRobin) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	ps := r.proxies
	r.mu.Unlock()
	if len(ps) == 0 {
		http.Error(w, "no instance", http.StatusServiceUnavailable)
		return
	}
	ps[r.next.Add(1)%uint64(len(ps))].ServeHTTP(w, req)
}

// instance is one coopbot process.
type instance struct {
	cmd     *exec.Cmd
	url     string
	metrics string // the private listener of /metrics
}

func startInstance(ctx context.Context, bin string, env []string, verbose bool, stderr io.Writer) (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	maddr := mln.Addr().String()
	mln.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(append(os.Environ(), env...), "HTTP_ADDR="+addr, "METRICS_ADDR="+maddr)
	cmd.Stdout = io.Discard
	cmd.Stderr = io.Discard
	if verbose {
		cmd.Stderr = stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	in := &instance{cmd: cmd, url: "http://" + addr, metrics: "http://" + maddr}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(in.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return in, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	in.stop()
	return nil, errors.New("not ready within 30 s")
}

func (in *instance) pid() int { return in.cmd.Process.Pid }

func (in *instance) stop() {
	in.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { in.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		in.cmd.Process.Kill()
	}
}

// cpuSeconds reads the process's user+system CPU time from /proc.
func (in *instance) cpuSeconds() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", in.pid()))
	if err != nil {
		return 0
	}
	// Fields after the command name (which is in parentheses): utime is the 14th field.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // clock ticks (USER_HZ is 100 on Linux)
}

func (in *instance) rssMB() float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", in.pid()))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

var metricLine = regexp.MustCompile(`(?m)^(coopbot_updates_total\{outcome="handled"[^}]*\}|coopbot_redis_roundtrips_total) ([0-9.e+]+)$`)

// scrape reads handled updates and Redis round trips from an instance's /metrics.
func (in *instance) scrape() (handled, redis int64, err error) {
	resp, err := http.Get(in.metrics + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, m := range metricLine.FindAllStringSubmatch(string(b), -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		if strings.HasPrefix(m[1], "coopbot_updates_total") {
			handled += int64(v)
		} else {
			redis += int64(v)
		}
	}
	return handled, redis, nil
}

type sample struct {
	at                    time.Time
	handled, redis, xacts int64
	cpu                   float64
}

func measure(ctx context.Context, bots []*instance, dbURL string) (sample, error) {
	s := sample{at: time.Now()}
	for _, b := range bots {
		h, r, err := b.scrape()
		if err != nil {
			return s, err
		}
		s.handled += h
		s.redis += r
		s.cpu += b.cpuSeconds()
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return s, err
	}
	defer conn.Close(ctx)
	// The measuring connection's own statement is one transaction: subtracted by both
	// samples alike.
	err = conn.QueryRow(ctx, `SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()`).Scan(&s.xacts)
	return s, err
}

// prepare brings every resident to the neighborhood question.
func prepare(ctx context.Context, users []*emulator.User) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	sem := make(chan struct{}, 200)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for _, u := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			u.Send("/start")
			if _, err := u.WaitCount(ctx, 1); err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			if err := u.Press("فارسی"); err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			if _, err := u.WaitCount(ctx, 2); err != nil {
				firstErr.CompareAndSwap(nil, err)
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return fmt.Errorf("prepare residents: %w", err)
	}
	return nil
}

// openConversations leaves n more residents in the middle of onboarding.
func openConversations(ctx context.Context, emu *emulator.Server, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	users := make([]*emulator.User, n)
	for i := range users {
		users[i] = emu.User(int64(5_000_000 + i))
		users[i].Send("/start")
	}
	for _, u := range users {
		if _, err := u.WaitCount(ctx, 1); err != nil {
			return fmt.Errorf("open conversations: %w", err)
		}
	}
	return nil
}

// drive sends typed texts at the offered rate (or as fast as replies come, rate 0) for d;
// each text carries the resident's sequence number, which the bot echoes back.
func drive(ctx context.Context, users []*emulator.User, lat *latencies, rate float64, d time.Duration) int {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var sent atomic.Int64
	seq := make([]int, len(users))
	if rate <= 0 {
		var wg sync.WaitGroup
		for i, u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					seq[i]++
					n := len(u.Messages())
					lat.sent(u.ID())
					u.Send(fmt.Sprintf("ن%d", seq[i]))
					sent.Add(1)
					if _, err := u.WaitCount(ctx, n+1); err != nil {
						return
					}
				}
			}()
		}
		wg.Wait()
		return int(sent.Load())
	}
	interval := time.Duration(float64(time.Second) / rate)
	next := time.Now()
	for i := 0; ctx.Err() == nil; i++ {
		k := i % len(users)
		seq[k]++
		lat.sent(users[k].ID())
		users[k].Send(fmt.Sprintf("ن%d", seq[k]))
		sent.Add(1)
		next = next.Add(interval)
		if wait := time.Until(next); wait > 0 {
			time.Sleep(wait)
		}
	}
	return int(sent.Load())
}

// waitQuiet waits until the fake Bot API has no unconfirmed updates.
func waitQuiet(ctx context.Context, emu *emulator.Server, max time.Duration) {
	deadline := time.Now().Add(max)
	for emu.Pending() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
}

var echoed = regexp.MustCompile(`«ن(\d+)»`)

// checkEchoes reads every resident's replies: each typed number must come back once, in order.
func checkEchoes(users []*emulator.User) (lost, dup, disorder int) {
	for _, u := range users {
		want := 1
		seen := map[int]bool{}
		for _, m := range u.Messages() {
			g := echoed.FindStringSubmatch(m.Text)
			if g == nil {
				continue
			}
			n, _ := strconv.Atoi(g[1])
			switch {
			case seen[n]:
				dup++
			case n != want:
				disorder++
			}
			seen[n] = true
			want = n + 1
		}
		for n := 1; n < want; n++ {
			if !seen[n] {
				lost++
			}
		}
	}
	return lost, dup, disorder
}

// latencies pairs each sent update with the next reply in its chat.
type latencies struct {
	mu      sync.Mutex
	pending map[int64][]time.Time
	got     []time.Duration
}

func newLatencies() *latencies { return &latencies{pending: map[int64][]time.Time{}} }

func (l *latencies) reset() {
	l.mu.Lock()
	l.pending, l.got = map[int64][]time.Time{}, nil
	l.mu.Unlock()
}

func (l *latencies) sent(chat int64) {
	l.mu.Lock()
	l.pending[chat] = append(l.pending[chat], time.Now())
	l.mu.Unlock()
}

func (l *latencies) replied(chat int64) {
	now := time.Now()
	l.mu.Lock()
	if q := l.pending[chat]; len(q) > 0 {
		l.got = append(l.got, now.Sub(q[0]))
		l.pending[chat] = q[1:]
	}
	l.mu.Unlock()
}

func (l *latencies) percentiles(ps ...float64) []time.Duration {
	l.mu.Lock()
	d := slices.Clone(l.got)
	l.mu.Unlock()
	slices.Sort(d)
	out := make([]time.Duration, len(ps))
	if len(d) == 0 {
		return out
	}
	for i, p := range ps {
		k := int(p / 100 * float64(len(d)-1))
		out[i] = d[k].Round(10 * time.Microsecond)
	}
	return out
}
