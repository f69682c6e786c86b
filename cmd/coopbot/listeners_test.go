package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"coopbot/emulator"
	"coopbot/internal/faultproxy"
)

// cutAfter writes head to addr, then one byte of more a second, and returns how long the
// server kept the connection: until it answered or closed it.
func cutAfter(t *testing.T, addr, head, more string) time.Duration {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	started := time.Now()
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		io.Copy(io.Discard, c) // until the server answers and closes, or cuts
	}()
	for i := 0; ; i++ {
		select {
		case <-answered:
			return time.Since(started)
		case <-time.After(time.Second):
		}
		if time.Since(started) > 30*time.Second {
			t.Fatal("a slow client was kept 30 s")
		}
		if _, err := io.WriteString(c, more[i%len(more):i%len(more)+1]); err != nil {
			<-answered
			return time.Since(started)
		}
	}
}

// Row "slow clients on an HTTP port": a webhook body sent at one byte a second and
// headers sent at one byte a second are cut within 10 s, while other requests are answered
// as usual; metrics and the profiler are not on the public listener but on METRICS_ADDR,
// and the web console is on WEB_ADDR.
func TestSlowClientsAreCutAndMetricsArePrivate(t *testing.T) {
	t.Parallel()
	api := emulator.New(emulator.Options{Token: "779:listener-token"})
	hs := httptest.NewServer(api.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(api.Close)
	addr, metricsAddr, webAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	const secret = "listener-webhook-secret-0123"
	in := start(t, map[string]string{
		"TELEGRAM_TOKEN": "779:listener-token", "TELEGRAM_API_URL": hs.URL, "MODE": "webhook",
		"HTTP_ADDR": addr, "WEBHOOK_BASE_URL": "http://" + addr, "WEBHOOK_SECRET": secret,
		"METRICS_ADDR": metricsAddr, "WEB_ADDR": webAddr,
	})

	type result struct {
		what string
		took time.Duration
	}
	results := make(chan result, 2)
	go func() {
		results <- result{"a webhook body at a byte a second", cutAfter(t, in.addr,
			"POST /webhook/telegram HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\nX-Telegram-Bot-Api-Secret-Token: "+secret+"\r\n\r\n{",
			`"update_id": 1`)}
	}()
	go func() {
		results <- result{"headers at a byte a second", cutAfter(t, in.addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n", "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")}
	}()
	// Meanwhile the others are served.
	time.Sleep(1500 * time.Millisecond)
	started := time.Now()
	onboard(t, api.User(5101))
	if took := time.Since(started); took > 5*time.Second {
		t.Errorf("a resident's onboarding took %s beside two slow clients", took)
	}
	for range 2 {
		r := <-results
		t.Logf("%s: cut after %s", r.what, r.took.Round(100*time.Millisecond))
		if r.took > 10*time.Second {
			t.Errorf("%s: kept %s, want cut within 10 s", r.what, r.took)
		}
	}

	get := func(base, path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{"/metrics", "/debug/pprof/"} {
		if code, _ := get(in.addr, path); code != http.StatusNotFound {
			t.Errorf("%s on HTTP_ADDR: %d, want 404 (it is private)", path, code)
		}
		if code, _ := get(metricsAddr, path); code != http.StatusOK {
			t.Errorf("%s on METRICS_ADDR: %d, want 200", path, code)
		}
	}
	if _, body := get(metricsAddr, "/metrics"); !strings.Contains(body, `coopbot_updates_total{outcome="handled",platform="telegram"}`) || !strings.Contains(body, "coopbot_active_conversations 1") {
		t.Errorf("metrics page lacks the handled updates or the one active conversation:\n%s", body)
	}
	if code, _ := get(in.addr, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz on HTTP_ADDR: %d", code)
	}
	// The web console is on WEB_ADDR only, never on the listener that takes webhooks.
	for _, path := range []string{"/login?t=x", "/needs", "/static/console.css"} {
		if code, _ := get(in.addr, path); code != http.StatusNotFound {
			t.Errorf("%s on HTTP_ADDR: %d, want 404 (the console is on WEB_ADDR)", path, code)
		}
	}
	if code, _ := get(webAddr, "/needs"); code != http.StatusUnauthorized {
		t.Errorf("/needs on WEB_ADDR without a session: %d, want 401", code)
	}
	if code, _ := get(webAddr, "/static/console.css"); code != http.StatusOK {
		t.Errorf("/static/console.css on WEB_ADDR: %d, want 200", code)
	}
}

// proxied puts a fault proxy in front of the host of rawURL and returns it with the URL
// that goes through it.
func proxied(t *testing.T, rawURL, defaultPort string) (*faultproxy.Proxy, string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Host
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, defaultPort)
	}
	p, err := faultproxy.New(host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	through, err := p.URL(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return p, through
}

// Row "SIGTERM while Postgres or Redis is gone": the process still exits within about
// 10 s, with updates in flight that cannot finish.
func TestSIGTERMWithADependencyGoneExitsInTime(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, env, port string
		token           string
	}{
		{"postgres", "DATABASE_URL", "5432", "6501:sigterm-postgres-gone"},
		{"redis", "REDIS_URL", "6379", "6502:sigterm-redis-gone"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, c.token)
			proxy, through := proxied(t, f.env[c.env], c.port)
			f.env[c.env] = through
			f.seed()
			p := f.start()
			u := f.api.User(6510)
			u.Send("/start")
			f.sees(u, 10*time.Second, 1, "onboarding.welcome")
			f.idle(10 * time.Second)

			proxy.Stop()
			f.press(u, "lang.fa.name") // in flight, and cannot finish
			for i := range 5 {
				f.api.User(int64(6520 + i)).Send("/start")
			}
			time.Sleep(500 * time.Millisecond)
			started := time.Now()
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case <-p.done:
			case <-time.After(15 * time.Second):
				t.Fatalf("coopbot still running 15 s after SIGTERM with %s gone", c.name)
			}
			took := time.Since(started)
			t.Logf("exit %s after SIGTERM with %s gone: %v", took.Round(100*time.Millisecond), c.name, p.err)
			if took > 11*time.Second {
				t.Fatalf("coopbot took %s to exit after SIGTERM with %s gone, want about 10 s at most", took, c.name)
			}
			if f.kept() == 0 {
				t.Fatal("updates that could not be handled were let go (neither unconfirmed nor in the journal)")
			}
			if testing.Verbose() {
				t.Logf("output:\n%s", p.logs.String())
			}
		})
	}
}
