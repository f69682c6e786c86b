package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"coopbot/emulator"

	"github.com/jackc/pgx/v5"
)

// target is one bot under test (coopbot, or nullbot as the floor): its own fake Bot API,
// its processes and what they measure.
type target struct {
	name    string
	bin     string
	env     []string
	emu     *emulator.Server
	lb      *roundRobin // webhook mode
	bots    []*instance
	dbURL   string // "" for nullbot
	lat     *latencies
	taken   durations // delivery delays
	closers []func()
	verbose bool
	stderr  io.Writer
	mu      sync.Mutex // guards bots while chaos replaces them
	// profile, when set, is where a CPU profile of the first instance is written, taken
	// over the first profileFor of each measured phase (the file of the last phase stays).
	profile    string
	profileFor time.Duration

	// dbName and redisPort pick the server processes whose CPU counts (see serverTimes).
	dbName, redisPort string
	active            time.Time // when the bot was last busy (settle)
}

// statsSettle is how long after its last transaction a Postgres backend may keep its
// counters before publishing them in pg_stat_database: one that published less than a
// second before goes idle with them pending and publishes after PGSTAT_IDLE_INTERVAL (10 s).
const statsSettle = 11 * time.Second

// touch notes that the bot has just been busy (see settle).
func (t *target) touch() { t.active = time.Now() }

// settle waits until the counters of the bot's last busy moment are in pg_stat_database:
// without it a short phase read 0 transactions, and the next phase counted them.
func (t *target) settle() {
	if t.dbURL == "" || t.active.IsZero() {
		// No database: just long enough for the last turns to be counted as handled.
		time.Sleep(200 * time.Millisecond)
		return
	}
	time.Sleep(time.Until(t.active.Add(statsSettle)))
}

// replyMethods write to a chat: the first of them after an update is its reply.
var replyMethods = map[string]bool{"sendMessage": true, "editMessageText": true, "editMessageReplyMarkup": true, "sendDocument": true, "sendPhoto": true}

// newTarget serves a fake Bot API for bin and starts n instances on it. env holds
// everything but the Bot API and the listeners.
func newTarget(ctx context.Context, name, bin string, env []string, mode string, n int, verbose bool, stderr io.Writer) (*target, error) {
	t := &target{name: name, bin: bin, lat: newLatencies(), verbose: verbose, stderr: stderr}
	t.emu = emulator.New(emulator.Options{Token: token})
	t.closers = append(t.closers, t.emu.Close)
	t.emu.SetHook(func(method string, chatID int64) *emulator.APIError {
		if chatID != 0 && replyMethods[method] {
			t.lat.replied(chatID)
		}
		return nil
	})
	t.emu.SetTakenHook(func(chatID int64, updateID int, waited time.Duration) { t.taken.add(waited) })
	apiURL, closeAPI, err := serve(t.emu.Handler())
	if err != nil {
		return nil, err
	}
	t.closers = append(t.closers, closeAPI)
	t.env = append(env, "TELEGRAM_TOKEN="+token, "TELEGRAM_API_URL="+apiURL)
	for _, sub := range []string{"migrate", "seed"} {
		cmd := exec.CommandContext(ctx, bin, sub)
		cmd.Env = append(os.Environ(), t.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("%s %s: %v\n%s", name, sub, err, out)
		}
	}
	t.env = append(t.env, "MODE="+mode)
	if mode == "webhook" {
		t.lb = &roundRobin{}
		lbURL, closeLB, err := serve(t.lb)
		if err != nil {
			return nil, err
		}
		t.closers = append(t.closers, closeLB)
		t.env = append(t.env, "WEBHOOK_BASE_URL="+lbURL, "WEBHOOK_SECRET=load-test-webhook-secret-123")
	}
	for i := range n {
		b, err := t.start(true)
		if err != nil {
			t.close()
			return nil, fmt.Errorf("%s instance %d: %w", name, i, err)
		}
		t.bots = append(t.bots, b)
		if t.lb != nil {
			t.lb.set(i, b.url)
		}
	}
	return t, nil
}

func (t *target) close() {
	t.mu.Lock()
	bots := t.bots
	t.mu.Unlock()
	for _, b := range bots {
		b.stop()
	}
	for i := len(t.closers) - 1; i >= 0; i-- {
		t.closers[i]()
	}
}

// instances returns the running instances.
func (t *target) instances() []*instance {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*instance(nil), t.bots...)
}

// start starts one more process of the target; ready waits until it answers /readyz.
func (t *target) start(ready bool) (*instance, error) {
	return startInstance(t.bin, t.env, ready, t.verbose, t.stderr)
}

// replace kills instance i with SIGKILL and starts another in its place (not waiting for
// it to be ready: Postgres or Redis may be away).
func (t *target) replace(i int) error {
	t.mu.Lock()
	old := t.bots[i]
	t.mu.Unlock()
	old.kill()
	b, err := t.start(false)
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.bots[i] = b
	t.mu.Unlock()
	if t.lb != nil {
		t.lb.set(i, b.url)
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

// roundRobin is a load balancer in front of the instances' webhooks; a slot is replaced
// when its instance is.
type roundRobin struct {
	mu      sync.Mutex
	proxies []*httputil.ReverseProxy
	next    atomic.Uint64
}

func (r *roundRobin) set(i int, target string) {
	u, _ := url.Parse(target)
	p := httputil.NewSingleHostReverseProxy(u)
	p.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
	p.ErrorLog = nil
	p.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		http.Error(w, "instance unavailable", http.StatusBadGateway)
	}
	r.mu.Lock()
	for len(r.proxies) <= i {
		r.proxies = append(r.proxies, nil)
	}
	r.proxies[i] = p
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

// instance is one bot process.
type instance struct {
	cmd     *exec.Cmd
	url     string
	metrics string // the private listener of /metrics
	done    chan struct{}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func startInstance(bin string, env []string, ready, verbose bool, stderr io.Writer) (*instance, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	maddr, err := freePort()
	if err != nil {
		return nil, err
	}
	waddr, err := freePort() // the web console of each instance
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(append(os.Environ(), env...), "HTTP_ADDR="+addr, "METRICS_ADDR="+maddr, "WEB_ADDR="+waddr)
	cmd.Stdout = io.Discard
	cmd.Stderr = io.Discard
	if verbose {
		cmd.Stderr = stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	in := &instance{cmd: cmd, url: "http://" + addr, metrics: "http://" + maddr, done: make(chan struct{})}
	go func() { cmd.Wait(); close(in.done) }()
	if !ready {
		return in, nil
	}
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

// exited reports whether the process has ended.
func (in *instance) exited() bool {
	select {
	case <-in.done:
		return true
	default:
		return false
	}
}

func (in *instance) stop() {
	in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.done:
	case <-time.After(20 * time.Second):
		in.cmd.Process.Kill()
		<-in.done
	}
}

// kill ends the process with SIGKILL: no shutdown, nothing confirmed or released.
func (in *instance) kill() {
	in.cmd.Process.Kill()
	<-in.done
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
	at                           time.Time
	handled, redis, xacts, polls int64
	cpu, rss                     float64
	servers                      map[proc]serverTime // nil for nullbot
}

// proc is a process, told apart from a later one with the same pid by its start time.
type proc struct {
	pid   int
	start string
}

// serverTime is the CPU seconds a server process (redis-server or a postgres backend) has
// used so far.
type serverTime struct {
	comm string
	cpu  float64
}

// serverComms are the server processes whose CPU is reported per update.
var serverComms = map[string]bool{"redis-server": true, "postgres": true}

// serverTimes reads the CPU time of the redis-server and postgres processes from /proc:
// for Postgres the postmaster, its background processes and the backends of database db
// (backends of other databases, other people's work on a shared server, are left out:
// their process title names their database); for Redis the servers listening on redisPort
// (a server's title is its address).
func serverTimes(db, redisPort string) map[proc]serverTime {
	out := map[proc]serverTime{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue // ended meanwhile
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open || !serverComms[s[open+1:end]] {
			continue
		}
		comm := s[open+1 : end]
		title, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if err != nil || !ours(comm, string(title), db, redisPort) {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 20 {
			continue
		}
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		out[proc{pid, f[19]}] = serverTime{comm: comm, cpu: (ut + st) / 100}
	}
	return out
}

// ours reports whether a server process with this title works for the bot under test.
func ours(comm, title, db, redisPort string) bool {
	if comm == "redis-server" {
		return redisPort == "" || strings.Contains(title, ":"+redisPort)
	}
	rest, ok := strings.CutPrefix(title, "postgres: ")
	if !ok {
		return true // the postmaster
	}
	f := strings.Fields(rest)
	if len(f) > 0 && strings.HasSuffix(f[0], ":") {
		f = f[1:] // cluster_name
	}
	// A client backend: "user database host(port) activity".
	if len(f) >= 3 && (strings.Contains(f[2], "(") || f[2] == "[local]") {
		return f[1] == db
	}
	return true
}

// measure samples the target's counters; xacts is -1 without a database.
func (t *target) measure(ctx context.Context) (sample, error) {
	s := sample{at: time.Now(), xacts: -1, polls: int64(t.emu.Calls("getUpdates"))}
	for _, b := range t.instances() {
		h, r, err := b.scrape()
		if err != nil {
			return s, fmt.Errorf("%s metrics: %w", t.name, err)
		}
		s.handled += h
		s.redis += r
		s.cpu += b.cpuSeconds()
		s.rss = max(s.rss, b.rssMB())
	}
	if t.dbURL == "" {
		return s, nil
	}
	s.servers = serverTimes(t.dbName, t.redisPort)
	conn, err := pgx.Connect(ctx, t.dbURL)
	if err != nil {
		return s, err
	}
	defer conn.Close(ctx)
	// The measuring connection's own statement is one transaction: counted by both
	// samples alike.
	err = conn.QueryRow(ctx, `SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()`).Scan(&s.xacts)
	return s, err
}

// since is what happened between two samples, as figures (updates and delays are the
// caller's).
func since(before, after sample) figures {
	f := figures{
		handled: after.handled - before.handled,
		cpu:     after.cpu - before.cpu,
		redis:   after.redis - before.redis,
		polls:   after.polls - before.polls,
		xacts:   -1,
		rss:     after.rss,
	}
	if before.xacts >= 0 {
		f.xacts = after.xacts - before.xacts
	}
	// A process that started in between counts whole; one that ended in between is lost
	// (a backend of a connection closed meanwhile).
	for p, a := range after.servers {
		d := a.cpu - before.servers[p].cpu
		if a.comm == "redis-server" {
			f.redisCPU += d
		} else {
			f.pgCPU += d
		}
	}
	return f
}

// cpuProfile takes a CPU profile of the first instance over d (its /debug/pprof on the
// private metrics address) and writes it to path.
func (t *target) cpuProfile(ctx context.Context, path string, d time.Duration) error {
	bots := t.instances()
	if len(bots) == 0 {
		return errors.New("cpu profile: no instance")
	}
	u := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", bots[0].metrics, max(1, int(d.Seconds())))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("cpu profile: %s", resp.Status)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	return os.WriteFile(path, data, 0o644)
}
