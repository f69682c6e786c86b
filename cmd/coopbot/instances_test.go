package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coopbot/text"
)

// roundRobin is a load balancer in front of several instances' webhooks. It also plays
// the faults a platform and a network produce, per chat: the 4th request of a chat is
// handled but its answer is lost (502: the platform delivers it again, to another
// instance), the 7th is delivered to two instances at once.
type roundRobin struct {
	backends []string
	served   []atomic.Int64
	next     atomic.Int64
	client   *http.Client

	mu      sync.Mutex
	perChat map[int64]int
}

func newRoundRobin(backends ...string) *roundRobin {
	return &roundRobin{backends: backends, served: make([]atomic.Int64, len(backends)),
		client: &http.Client{Timeout: 30 * time.Second}, perChat: map[int64]int{}}
}

func (l *roundRobin) forward(i int, r *http.Request, body []byte) int {
	i %= len(l.backends)
	req, err := http.NewRequest(http.MethodPost, l.backends[i]+r.URL.Path, bytes.NewReader(body))
	if err != nil {
		return http.StatusBadGateway
	}
	req.Header = r.Header.Clone()
	resp, err := l.client.Do(req)
	if err != nil {
		return http.StatusBadGateway
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	l.served[i].Add(1)
	return resp.StatusCode
}

func (l *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	var u struct {
		Message *struct {
			Chat struct{ ID int64 } `json:"chat"`
		} `json:"message"`
		Callback *struct {
			From struct{ ID int64 } `json:"from"`
		} `json:"callback_query"`
	}
	json.Unmarshal(body, &u)
	var chat int64
	switch {
	case u.Message != nil:
		chat = u.Message.Chat.ID
	case u.Callback != nil:
		chat = u.Callback.From.ID
	}
	l.mu.Lock()
	l.perChat[chat]++
	n := l.perChat[chat]
	l.mu.Unlock()
	i := int(l.next.Add(1))
	switch n {
	case 4:
		if status := l.forward(i, r, body); status != http.StatusOK {
			w.WriteHeader(status)
			return
		}
		w.WriteHeader(http.StatusBadGateway) // handled, but the platform never hears so
	case 7:
		var wg sync.WaitGroup
		var ok atomic.Bool
		for j := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if l.forward(i+j, r, body) == http.StatusOK {
					ok.Store(true)
				}
			}()
		}
		wg.Wait()
		if !ok.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	default:
		w.WriteHeader(l.forward(i, r, body))
	}
}

// Row "several instances in webhook mode": three coopbot processes (run()) behind a
// round-robin balancer share one database and one Redis. 30 residents send 10 updates
// each, with the platform's redeliveries, lost answers and double deliveries: no update
// is lost, none is answered twice, and each chat's answers come in the order it wrote.
func TestWebhookInstancesKeepOrderAndDedupe(t *testing.T) {
	t.Parallel()
	const token = "7101:webhook-instances"
	f := newFixture(t, token)
	lb := httptest.NewUnstartedServer(nil)
	lbURL := "http://" + lb.Listener.Addr().String()
	var backends []string
	for range 3 {
		addr := freeAddr(t)
		env := map[string]string{"MODE": "webhook", "HTTP_ADDR": addr, "WEBHOOK_BASE_URL": lbURL, "WEBHOOK_SECRET": "instances-webhook-secret-0123"}
		for k, v := range f.env {
			if k != "LOG_LEVEL" {
				env[k] = v
			}
		}
		env["LOG_LEVEL"] = "info"
		start(t, env)
		backends = append(backends, "http://"+addr)
	}
	rr := newRoundRobin(backends...)
	lb.Config.Handler = rr
	lb.Start()
	t.Cleanup(lb.Close)
	deadline := time.Now().Add(10 * time.Second)
	for f.api.WebhookURL() != lbURL+"/webhook/telegram" {
		if time.Now().After(deadline) {
			t.Fatalf("webhook url = %q", f.api.WebhookURL())
		}
		time.Sleep(10 * time.Millisecond)
	}

	const users, texts = 30, 8
	typed := func(i, k int) string { return fmt.Sprintf("محلهٔ خیالی %d-%d", i, k) }
	var wg sync.WaitGroup
	errs := make(chan error, users)
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := f.api.User(int64(7100 + i))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			u.Send("/start")
			if _, err := u.WaitCount(ctx, 1); err != nil {
				errs <- err
				return
			}
			if err := u.Press(f.text("lang.fa.name")); err != nil {
				errs <- err
				return
			}
			for k := range texts {
				u.Send(typed(i, k))
				if k == 3 {
					u.Redeliver()
				}
			}
			if _, err := u.WaitCount(ctx, 2+texts); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	f.idle(20 * time.Second)
	time.Sleep(200 * time.Millisecond) // a late duplicate reply would show now

	for i := range users {
		u := f.api.User(int64(7100 + i))
		ms := u.Messages()
		if len(ms) != 2+texts {
			t.Fatalf("user %d got %d messages, want %d (one per update):\n%s", u.ID(), len(ms), 2+texts, u.Dump())
		}
		if !strings.Contains(ms[0].Text, f.text("onboarding.welcome")) || !strings.Contains(ms[1].Text, f.text("onboarding.neighborhood.prompt")) {
			t.Fatalf("user %d: the first answers are out of order:\n%s", u.ID(), u.Dump())
		}
		for k := range texts {
			want := f.text("onboarding.neighborhood.not_found", "Typed", text.Isolate(text.Clean(typed(i, k))))
			if !strings.Contains(ms[2+k].Text, want) {
				t.Fatalf("user %d: answer %d is not about %q: lost, repeated or out of order:\n%s", u.ID(), k, typed(i, k), u.Dump())
			}
		}
	}
	for i := range rr.served {
		if rr.served[i].Load() == 0 {
			t.Errorf("instance %d handled nothing", i)
		}
	}
}
