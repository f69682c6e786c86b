package main

// Reliability tests that need process control: kill -9, SIGTERM, logs of a whole process.
// The subprocess is this test binary re-executed as the coopbot program (TestMain calls
// main when COOPBOT_TEST_MAIN is set): the same main() as the built binary, without a
// second compilation of every dependency.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"coopbot"
	"coopbot/emulator"
	"coopbot/internal/chattest"
	"coopbot/locales"
	"coopbot/postgres/postgrestest"
	"coopbot/redis"
)

func TestMain(m *testing.M) {
	if os.Getenv("COOPBOT_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testDataKey is DATA_KEY in these tests (32 bytes, base64).
const testDataKey = "Y29vcGJvdC10ZXN0LWtleS0zMi1ieXRlcy1sb25nISE="

// fixture is one deployment under test: a fake Bot API, a database, a Redis prefix and the
// environment coopbot processes of this deployment share.
type fixture struct {
	t     *testing.T
	api   *emulator.Server
	url   string // the fake Bot API's base URL
	token string
	env   map[string]string
	redis *redis.Client // the deployment's key space, deleted when the test ends
	cat   *locales.Catalog
}

func newFixture(t *testing.T, token string) *fixture {
	t.Helper()
	f := &fixture{t: t, token: token, api: emulator.New(emulator.Options{Token: token})}
	hs := httptest.NewServer(f.api.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(f.api.Close)
	f.url = hs.URL
	prefix := fmt.Sprintf("coopbot-test:%s:%d:", t.Name(), time.Now().UnixNano())
	f.redis = chattest.NewRedis(t, redis.Options{Prefix: prefix})
	f.env = map[string]string{
		"DATABASE_URL":     postgrestest.NewURL(t),
		"REDIS_URL":        chattest.RedisURL(),
		"REDIS_PREFIX":     prefix,
		"DATA_KEY":         testDataKey,
		"LOG_LEVEL":        "debug",
		"TELEGRAM_TOKEN":   token,
		"TELEGRAM_API_URL": hs.URL,
		"METRICS_ADDR":     "127.0.0.1:0",
		"WEB_ADDR":         "127.0.0.1:0",
	}
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	f.cat = cat
	return f
}

// text renders a Persian message.
func (f *fixture) text(id string, kv ...any) string {
	f.t.Helper()
	m := coopbot.M(id, kv...)
	s, err := f.cat.Text(coopbot.Persian, id, m.Data, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// count is how many of u's bot messages contain message id.
func (f *fixture) count(u *emulator.User, id string, kv ...any) int {
	want := f.text(id, kv...)
	n := 0
	for _, m := range u.Messages() {
		if strings.Contains(m.Text, want) {
			n++
		}
	}
	return n
}

// sees waits until u has at least n bot messages containing message id.
func (f *fixture) sees(u *emulator.User, d time.Duration, n int, id string, kv ...any) {
	f.t.Helper()
	want := f.text(id, kv...)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err := u.Wait(ctx, func(ms []emulator.Message) bool {
		c := 0
		for _, m := range ms {
			if strings.Contains(m.Text, want) {
				c++
			}
		}
		return c >= n
	})
	if err != nil {
		f.t.Fatalf("user %d: no message %s: %v", u.ID(), id, err)
	}
}

// idle waits until the fake Bot API saw every update confirmed.
func (f *fixture) idle(d time.Duration) {
	f.t.Helper()
	deadline := time.Now().Add(d)
	for f.kept() > 0 {
		if time.Now().After(deadline) {
			f.t.Fatalf("%d updates still unconfirmed or unfinished in the journal after %s", f.kept(), d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kept counts the updates the deployment still has to finish: unconfirmed at the
// platform, or confirmed and kept in the journal.
func (f *fixture) kept() int {
	f.t.Helper()
	return kept(f.t, f.api, f.redis)
}

func kept(t *testing.T, api *emulator.Server, rdb *redis.Client) int {
	t.Helper()
	n, err := rdb.Journaled(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return api.Pending() + n
}

// proc is a coopbot process.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	logs *syncBuffer
	addr string
	done chan struct{}
	err  error // the exit status, once done is closed
}

// command runs coopbot with the fixture's environment (plus extra) and args.
func (f *fixture) command(extra map[string]string, args ...string) (*exec.Cmd, *syncBuffer) {
	cmd := exec.Command(os.Args[0], args...)
	env := []string{"COOPBOT_TEST_MAIN=1", "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range f.env {
		if _, ok := extra[k]; !ok {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	cmd.Env = env
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, out
}

// seed runs `coopbot seed`.
func (f *fixture) seed() {
	f.t.Helper()
	cmd, out := f.command(nil, "seed")
	if err := cmd.Run(); err != nil {
		f.t.Fatalf("coopbot seed: %v\n%s", err, out.String())
	}
}

// launch starts `coopbot serve` without waiting for it to be ready.
func (f *fixture) launch(extra map[string]string) *proc {
	f.t.Helper()
	p := &proc{t: f.t, addr: freeAddr(f.t), done: make(chan struct{})}
	if extra == nil {
		extra = map[string]string{}
	}
	if extra["HTTP_ADDR"] == "" {
		extra["HTTP_ADDR"] = p.addr
	}
	p.cmd, p.logs = f.command(extra, "serve")
	if err := p.cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	f.t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if f.t.Failed() {
			f.t.Logf("coopbot (pid %d) output:\n%s", p.cmd.Process.Pid, p.logs.String())
		}
	})
	return p
}

// start launches coopbot serve and waits until it is ready.
func (f *fixture) start() *proc {
	f.t.Helper()
	p := f.launch(nil)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.done:
			f.t.Fatalf("coopbot exited before it was ready: %v\n%s", p.err, p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("coopbot not ready after 30 s\n%s", p.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill9 kills the process the hard way.
func (p *proc) kill9() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatal(err)
	}
	<-p.done
}

// term sends SIGTERM and waits up to d for the process to exit; it returns the exit error.
func (p *proc) term(d time.Duration) error {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		p.t.Fatalf("coopbot still running %s after SIGTERM", d)
		return nil
	}
}

// leases lists the poll leases held in the deployment's Redis.
func (f *fixture) leases() []string {
	f.t.Helper()
	keys, err := f.redis.Redis().Keys(context.Background(), f.redis.Prefix()+"lease:*").Result()
	if err != nil {
		f.t.Fatal(err)
	}
	return keys
}

// press presses a button labelled with a Persian message.
func (f *fixture) press(u *emulator.User, id string) {
	f.t.Helper()
	if err := u.Press(f.text(id)); err != nil {
		f.t.Fatal(err)
	}
}

// Row "kill -9 of the bot in the middle of a conversation": after a restart the resident
// continues at the same step. (The restarted process polls once the dead one's poll lease
// expires, within 9 s.)
func TestKill9MidConversationContinuesAtSameStep(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "6101:kill-mid-conversation")
	f.seed()
	p := f.start()
	u := f.api.User(6101)
	u.Send("/start")
	f.sees(u, 10*time.Second, 1, "onboarding.welcome")
	f.press(u, "lang.fa.name")
	f.sees(u, 10*time.Second, 1, "onboarding.neighborhood.prompt")
	f.idle(10 * time.Second)
	p.kill9()

	f.start()
	u.Send("سرخاب")
	f.sees(u, 30*time.Second, 1, "onboarding.phone.prompt")
	if w, n := f.count(u, "onboarding.welcome"), f.count(u, "onboarding.neighborhood.prompt"); w != 1 || n != 1 {
		t.Fatalf("after the restart the bot asked again: %d welcomes, %d neighborhood questions", w, n)
	}
	u.Send(f.text("onboarding.phone.skip"))
	f.sees(u, 10*time.Second, 1, "menu.title")
}

// Row "kill -9 between receiving an update and finishing it": the update was not
// confirmed, so it is processed after the restart; its reply may arrive twice (once from
// the send the dead process had started), not more.
func TestKill9InFlightUpdateIsProcessedAfterRestart(t *testing.T) {
	t.Parallel()
	const id = 6201
	f := newFixture(t, "6201:kill-in-flight")
	f.seed()
	p := f.start()
	u := f.api.User(id)
	u.Send("/start")
	f.sees(u, 10*time.Second, 1, "onboarding.welcome")
	f.press(u, "lang.fa.name")
	f.sees(u, 10*time.Second, 1, "onboarding.neighborhood.prompt")
	f.idle(10 * time.Second)

	// The reply to the next answer is held on its way (the platform is slow): the process
	// is killed while the update is being handled.
	inFlight := make(chan struct{})
	var once sync.Once
	f.api.SetHook(func(method string, chat int64) *emulator.APIError {
		if method == "sendMessage" && chat == id {
			once.Do(func() { close(inFlight) })
			return &emulator.APIError{Delay: 2 * time.Second}
		}
		return nil
	})
	u.Send("سرخاب")
	select {
	case <-inFlight:
	case <-time.After(10 * time.Second):
		t.Fatal("the update never reached the send")
	}
	p.kill9()
	f.api.SetHook(nil)
	if f.kept() == 0 {
		t.Fatal("the update was let go (neither unconfirmed nor in the journal) although its handling never finished")
	}

	// Another resident is not held up by the chat the dead process left locked.
	f.start()
	other := f.api.User(6202)
	other.Send("/start")
	f.sees(other, 20*time.Second, 1, "onboarding.welcome")

	f.sees(u, 60*time.Second, 1, "onboarding.phone.prompt")
	f.idle(60 * time.Second)
	u.Send(f.text("onboarding.phone.skip"))
	f.sees(u, 10*time.Second, 1, "menu.title")
	if n := f.count(u, "onboarding.phone.prompt"); n < 1 || n > 2 {
		t.Fatalf("the interrupted update was answered %d times, want once or twice", n)
	}
	if n := f.count(u, "menu.title"); n != 1 {
		t.Fatalf("%d menus after one answer", n)
	}
}

// Row "SIGTERM under load": the process stops taking updates, finishes the ones in flight
// (replies sent and state saved, so the restarted process neither loses nor repeats them),
// exits with status 0 and releases its poll lease at once.
func TestSIGTERMUnderLoadFinishesInFlightAndExitsCleanly(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "6301:sigterm-under-load")
	f.seed()
	p := f.start()
	// Every reply takes a moment to send: updates are in flight when SIGTERM comes.
	var sends atomic.Int32
	f.api.SetHook(func(method string, chat int64) *emulator.APIError {
		if method == "sendMessage" {
			sends.Add(1)
			return &emulator.APIError{Delay: 300 * time.Millisecond}
		}
		return nil
	})
	var users []*emulator.User
	for i := range 20 {
		u := f.api.User(int64(6310 + i))
		users = append(users, u)
		u.Send("/start")
	}
	deadline := time.Now().Add(10 * time.Second)
	for sends.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("no update reached the send")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Updates sent after SIGTERM are left for the next process.
	var late []*emulator.User
	for i := range 5 {
		u := f.api.User(int64(6340 + i))
		late = append(late, u)
		u.Send("/start")
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("coopbot still running 30 s after SIGTERM")
	}
	if p.err != nil {
		t.Fatalf("exit after SIGTERM: %v, want status 0\n%s", p.err, p.logs.String())
	}
	for _, u := range late {
		if n := len(u.Messages()); n != 0 {
			t.Fatalf("user %d, who wrote after SIGTERM, was answered by the stopping process", u.ID())
		}
	}
	if l := f.leases(); len(l) != 0 {
		t.Fatalf("poll lease still held after a clean exit: %v", l)
	}
	answered := 0
	for _, u := range users {
		answered += min(f.count(u, "onboarding.welcome"), 1)
	}
	if answered == 0 {
		t.Fatal("nothing in flight was finished")
	}

	// The next process takes over at once (the lease was released) and answers everyone
	// exactly once: nothing lost, nothing finished twice.
	f.api.SetHook(nil)
	started := time.Now()
	f.start()
	for _, u := range append(users, late...) {
		f.sees(u, 20*time.Second, 1, "onboarding.welcome")
	}
	if took := time.Since(started); took > 8*time.Second {
		t.Errorf("the next process took %s to answer: the lease was not released", took)
	}
	f.idle(10 * time.Second)
	for _, u := range append(users, late...) {
		if n := f.count(u, "onboarding.welcome"); n != 1 {
			t.Errorf("user %d got %d welcomes, want 1", u.ID(), n)
		}
	}
}

// closedPortURL is an http URL on which nothing listens.
func closedPortURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// flakyAPI is a Bot API in a bad state: answers that are HTML error pages of a proxy
// (502), and connections dropped without an answer; getMe works so the bot starts.
func flakyAPI(api *emulator.Server) http.Handler {
	var n atomic.Int64
	real := api.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		if method == "getMe" || method == "deleteWebhook" {
			real.ServeHTTP(w, r)
			return
		}
		switch n.Add(1) % 3 {
		case 0:
			real.ServeHTTP(w, r)
		case 1:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>")
		default:
			panic(http.ErrAbortHandler) // the connection drops without an answer
		}
	})
}

// Row "any network error: the bot token never appears in logs". The library's errors
// carry the request URL, which holds the token: a platform that cannot be reached, a
// proxy answering 502 with HTML and connections that drop must all be logged without it.
func TestTokenNeverInLogsOnNetworkErrors(t *testing.T) {
	t.Parallel()
	const token = "6401:AAH-secret-token-part-x9"
	const secret = "AAH-secret-token-part-x9"
	f := newFixture(t, token)
	f.seed()

	// Nothing listens where the Bot API should be: connect retries and logs why.
	down := f.launch(map[string]string{"TELEGRAM_API_URL": closedPortURL(t)})
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(down.logs.String(), "platform unreachable") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no retries logged:\n%s", down.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := down.term(10 * time.Second); err != nil {
		t.Fatalf("exit while connecting: %v", err)
	}

	// The Bot API answers, but badly: polls and sends fail every way a network can fail.
	flaky := httptest.NewServer(flakyAPI(f.api))
	t.Cleanup(flaky.Close)
	up := f.launch(map[string]string{"TELEGRAM_API_URL": flaky.URL})
	for i := range 5 {
		f.api.User(int64(6410 + i)).Send("/start")
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		logs := up.logs.String()
		if strings.Contains(logs, "getUpdates failed") && strings.Contains(logs, "reply not sent") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the failures were not logged:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := up.term(20 * time.Second); err != nil {
		t.Fatalf("exit: %v", err)
	}
	for name, logs := range map[string]string{"unreachable": down.logs.String(), "flaky": up.logs.String()} {
		if strings.Contains(logs, secret) {
			i := strings.Index(logs, secret)
			t.Errorf("%s API: the bot token appears in the logs: …%s…", name, logs[max(0, i-200):min(len(logs), i+100)])
		}
	}
}
