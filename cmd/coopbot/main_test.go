package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"coopbot/emulator"
	"coopbot/postgres/postgrestest"
)

// syncBuffer collects the program's output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// instance is coopbot started through run() with a test environment.
type instance struct {
	addr   string
	stdout *syncBuffer
	logs   *syncBuffer
	stop   func() error
}

// start runs coopbot serve with env (on top of a fresh database and Redis prefix) and
// waits until it is ready.
func start(t *testing.T, env map[string]string) *instance {
	t.Helper()
	in := &instance{addr: freeAddr(t), stdout: &syncBuffer{}, logs: &syncBuffer{}}
	full := map[string]string{
		"DATABASE_URL": postgrestest.NewURL(t),
		"REDIS_PREFIX": fmt.Sprintf("coopbot-test:%s:%d:", t.Name(), time.Now().UnixNano()),
		"HTTP_ADDR":    in.addr,
		"METRICS_ADDR": "127.0.0.1:0",
		"WEB_ADDR":     "127.0.0.1:0",
		"DATA_KEY":     "Y29vcGJvdC10ZXN0LWtleS0zMi1ieXRlcy1sb25nISE=",
		"LOG_LEVEL":    "debug",
	}
	for k, v := range env {
		full[k] = v
	}
	in.addr = full["HTTP_ADDR"]
	getenv := func(k string) string { return full[k] }
	if err := run(context.Background(), []string{"coopbot", "seed"}, getenv, in.stdout, in.logs); err != nil {
		t.Fatalf("coopbot seed: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"coopbot"}, getenv, in.stdout, in.logs)
	}()
	var once sync.Once
	var stopErr error
	in.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(30 * time.Second):
				stopErr = fmt.Errorf("coopbot did not stop within 30 s")
			}
		})
		return stopErr
	}
	t.Cleanup(func() {
		if err := in.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		if t.Failed() {
			t.Logf("coopbot logs:\n%s", in.logs.String())
		}
	})
	ready := "http://" + in.addr + "/readyz"
	if strings.HasPrefix(in.addr, ":") {
		// A port alone is served on loopback; "http://:port" would be sent to the proxy
		// of the environment (http_proxy), if there is one.
		ready = "http://127.0.0.1" + in.addr + "/readyz"
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return in
			}
		}
		select {
		case err := <-done:
			t.Fatalf("coopbot exited before it was ready: %v\n%s", err, in.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("coopbot not ready after 30 s\n%s", in.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// onboard talks to the bot as a new Persian-speaking resident through the fake Bot API.
func onboard(t *testing.T, u *emulator.User) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	wait := func(text string) {
		t.Helper()
		if err := u.Wait(ctx, func(ms []emulator.Message) bool {
			return len(ms) > 0 && strings.Contains(ms[len(ms)-1].Text, text)
		}); err != nil {
			t.Fatal(err)
		}
	}
	u.Send("/start")
	wait("زبان خود را انتخاب کنید")
	if err := u.Press("فارسی"); err != nil {
		t.Fatal(err)
	}
	wait("محلهٔ زندگی خود")
	u.Send("ائلگلی")
	wait("شمارهٔ تلفن همراه")
	u.Send("فعلاً نه، ادامه")
	wait("منوی اصلی")
}

// TestRunPolling is the whole program with a Telegram token, pointed at a fake Bot API:
// it deletes any webhook, polls with its own loop and completes onboarding.
func TestRunPolling(t *testing.T) {
	t.Parallel()
	api := emulator.New(emulator.Options{Token: "777:polling-token"})
	hs := httptest.NewServer(api.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(api.Close)
	in := start(t, map[string]string{"TELEGRAM_TOKEN": "777:polling-token", "TELEGRAM_API_URL": hs.URL})
	onboard(t, api.User(5001))
	if api.Calls("deleteWebhook") == 0 {
		t.Error("polling mode did not delete the webhook first")
	}
	if fa, az := api.CommandsFor("all_private_chats", "fa"), api.CommandsFor("all_private_chats", "az"); len(fa) != 5 || len(az) != 5 || fa[0].Description == az[0].Description || fa[3].Command != "help" {
		t.Errorf("command menus: fa %v, az %v; want five commands (help among them) described in each language", fa, az)
	}
	if err := in.stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if strings.Contains(in.logs.String(), "polling-token") {
		t.Error("the bot token appears in the logs")
	}
}

// TestRunWebhook is the whole program in webhook mode: the fake Bot API posts updates with
// the secret header, each answered only after it was handled.
func TestRunWebhook(t *testing.T) {
	t.Parallel()
	api := emulator.New(emulator.Options{Token: "778:webhook-token"})
	hs := httptest.NewServer(api.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(api.Close)
	addr := freeAddr(t)
	secret := "s3cret-webhook-token-0123456789"
	in := start(t, map[string]string{
		"TELEGRAM_TOKEN": "778:webhook-token", "TELEGRAM_API_URL": hs.URL, "MODE": "webhook",
		"HTTP_ADDR": addr, "WEBHOOK_BASE_URL": "http://" + addr, "WEBHOOK_SECRET": secret,
	})
	deadline := time.Now().Add(10 * time.Second)
	for api.WebhookURL() == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if want := "http://" + addr + "/webhook/telegram"; api.WebhookURL() != want {
		t.Fatalf("webhook url = %q, want %q", api.WebhookURL(), want)
	}
	onboard(t, api.User(5002))

	hook := "http://" + in.addr + "/webhook/telegram"
	post := func(secret, body string) int {
		req, _ := http.NewRequest(http.MethodPost, hook, strings.NewReader(body))
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	update := `{"update_id": 999001, "message": {"message_id": 1, "date": 1, "text": "/start",
		"chat": {"id": 5003, "type": "private"}, "from": {"id": 5003, "first_name": "x"}}}`
	for _, c := range []struct {
		name, secret, body string
		want               int
	}{
		{"no secret", "", update, http.StatusForbidden},
		{"wrong secret", "wrong-secret-value-xxxxxxxx", update, http.StatusForbidden},
		{"malformed JSON", secret, `{"update_id": `, http.StatusBadRequest},
		{"5 MB body", secret, `{"update_id": 1, "x": "` + strings.Repeat("a", 5<<20) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		if got := post(c.secret, c.body); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
	if n := len(api.User(5003).Messages()); n != 0 {
		t.Errorf("a rejected webhook call was processed: %d replies", n)
	}
	resp, err := http.Get(hook)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET on the webhook: status %d, want 405", resp.StatusCode)
	}
}

// TestConfigErrors: bad configuration fails at start with one line naming the variable.
func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"MODE": "push"}, "MODE"},
		{map[string]string{"MODE": "webhook"}, "WEBHOOK_BASE_URL"},
		{map[string]string{"TELEGRAM_TOKEN": "1:x", "DATA_KEY": "k", "MODE": "webhook", "WEBHOOK_BASE_URL": "https://bot.example.org"}, "WEBHOOK_SECRET"},
		{map[string]string{"TELEGRAM_TOKEN": "1:x"}, "DATA_KEY"},
		{map[string]string{"TELEGRAM_TOKEN": "1:x", "DATA_KEY": "short"}, "DATA_KEY"},
		{map[string]string{"TELEGRAM_TOKEN": "1:x", "TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL"},
		{map[string]string{"ADMINS": "whatsapp:12"}, "ADMINS"},
		{map[string]string{"ADMINS": "bale:abc"}, "ADMINS"},
		{map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{map[string]string{"STATE_TTL": "forever"}, "STATE_TTL"},
	} {
		_, err := loadConfig(func(k string) string { return c.env[k] })
		if err == nil || !strings.HasPrefix(err.Error(), c.want+":") || strings.Contains(err.Error(), "\n") {
			t.Errorf("env %v: error %v, want one line starting with %s:", c.env, err, c.want)
		}
	}
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{"ADMINS": "bale:123, telegram:456", "BALE_TOKEN": "9:y", "DATA_KEY": strings.Repeat("ab", 32)}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.admins) != 2 || cfg.admins[0].UserID != 123 || len(cfg.platforms) != 1 || cfg.platforms[0].APIURL != "https://tapi.bale.ai" {
		t.Errorf("config = %+v", cfg)
	}
}
