package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"coopbot/emulator"
)

// receiver is a webhook endpoint that records what it gets.
type receiver struct {
	mu       sync.Mutex
	got      []tgbotapi.Update
	secrets  []string
	attempts map[int]int // update id -> deliveries
	inflight int
	maxIn    int
	perChat  map[int64]int // chat -> deliveries in flight
	overlap  bool
	fail     func(u tgbotapi.Update, attempt int) int // status to answer; 0 = 200
	hold     time.Duration
}

func chatOf(u tgbotapi.Update) int64 {
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID
	case u.EditedMessage != nil:
		return u.EditedMessage.Chat.ID
	case u.CallbackQuery != nil:
		return u.CallbackQuery.From.ID
	}
	return 0
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var u tgbotapi.Update
	if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	chat := chatOf(u)
	rc.mu.Lock()
	rc.attempts[u.UpdateID]++
	attempt := rc.attempts[u.UpdateID]
	rc.inflight++
	rc.maxIn = max(rc.maxIn, rc.inflight)
	rc.perChat[chat]++
	if rc.perChat[chat] > 1 {
		rc.overlap = true
	}
	fail := rc.fail
	rc.mu.Unlock()

	time.Sleep(rc.hold)
	status := 200
	if fail != nil {
		if s := fail(u, attempt); s != 0 {
			status = s
		}
	}
	rc.mu.Lock()
	rc.inflight--
	rc.perChat[chat]--
	if status == 200 {
		rc.got = append(rc.got, u)
		rc.secrets = append(rc.secrets, r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
	}
	rc.mu.Unlock()
	w.WriteHeader(status)
}

func newReceiver(t *testing.T) (*receiver, *httptest.Server) {
	rc := &receiver{attempts: map[int]int{}, perChat: map[int64]int{}}
	hs := httptest.NewServer(rc)
	t.Cleanup(hs.Close)
	return rc, hs
}

func waitPending0(t *testing.T, s *emulator.Server) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Pending() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("pending %d after 10s", s.Pending())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWebhookPushRetryAndSecret(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	rc, hook := newReceiver(t)
	rc.fail = func(u tgbotapi.Update, attempt int) int {
		if u.UpdateID == 1 && attempt <= 2 {
			return 500
		}
		return 0
	}
	// Updates queued before the webhook are delivered after it is set.
	e.s.User(1001).Send("قبل از وب‌هوک")
	if _, err := e.bot.MakeRequest("setWebhook", tgbotapi.Params{"url": hook.URL + "/hook", "secret_token": "s3cret-TOKEN_1"}); err != nil {
		t.Fatal(err)
	}
	if e.s.WebhookURL() != hook.URL+"/hook" {
		t.Fatalf("webhook url %q", e.s.WebhookURL())
	}
	for i := range 3 {
		e.s.User(1001).Send("a" + string(rune('0'+i)))
		e.s.User(1002).Send("b" + string(rune('0'+i)))
	}
	// getUpdates is refused while a webhook is set (Telegram).
	_, err := e.bot.GetUpdates(tgbotapi.NewUpdate(0))
	wantAPIError(t, err, 409, "Conflict: can't use getUpdates method while webhook is active")

	waitPending0(t, e.s)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) != 7 {
		t.Fatalf("delivered %d updates, want 7", len(rc.got))
	}
	if rc.attempts[1] != 3 {
		t.Fatalf("update 1 delivered %d times, want 3 (two 500s then 200)", rc.attempts[1])
	}
	for _, sec := range rc.secrets {
		if sec != "s3cret-TOKEN_1" {
			t.Fatalf("secret header %q", sec)
		}
	}
	if rc.overlap {
		t.Fatal("two updates of one chat were in flight at once")
	}
	// Per chat order: update ids increase; chat 1001's first update came
	// only after its 500s were retried.
	last := map[int64]int{}
	for _, u := range rc.got {
		c := chatOf(u)
		if u.UpdateID <= last[c] {
			t.Fatalf("chat %d: update %d after %d", c, u.UpdateID, last[c])
		}
		last[c] = u.UpdateID
	}
	info, err := e.bot.GetWebhookInfo()
	if err != nil {
		t.Fatal(err)
	}
	if info.URL != hook.URL+"/hook" || info.PendingUpdateCount != 0 || info.LastErrorDate == 0 || info.MaxConnections != 40 {
		t.Fatalf("webhook info: %+v", info)
	}
}

func TestWebhookMaxConnectionsAndDelete(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	rc, hook := newReceiver(t)
	rc.hold = 30 * time.Millisecond
	for i := range 8 {
		e.s.User(int64(2000 + i)).Send("x")
	}
	wh, _ := tgbotapi.NewWebhook(hook.URL)
	wh.MaxConnections = 2
	if _, err := e.bot.Request(wh); err != nil {
		t.Fatal(err)
	}
	waitPending0(t, e.s)
	rc.mu.Lock()
	maxIn, n := rc.maxIn, len(rc.got)
	rc.mu.Unlock()
	if maxIn != 2 || n != 8 {
		t.Fatalf("max in flight %d (want 2), delivered %d", maxIn, n)
	}
	// With the webhook deleted, polling works again and nothing is pushed.
	if _, err := e.bot.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		t.Fatal(err)
	}
	e.s.User(2000).Send("after delete")
	ups := getUpdates(t, e.bot, 0, 0)
	if len(ups) != 1 || ups[0].Message.Text != "after delete" || ups[0].UpdateID != 9 {
		t.Fatalf("updates after delete: %+v", ups)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) != 8 {
		t.Fatalf("pushed after delete: %d", len(rc.got))
	}
}

func TestWebhookUnreachableKeepsRetrying(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	rc, hook := newReceiver(t)
	down := true
	var mu sync.Mutex
	rc.fail = func(tgbotapi.Update, int) int {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return 503
		}
		return 0
	}
	if _, err := e.bot.MakeRequest("setWebhook", tgbotapi.Params{"url": hook.URL}); err != nil {
		t.Fatal(err)
	}
	e.s.User(1001).Send("one")
	e.s.User(1001).Send("two")
	time.Sleep(300 * time.Millisecond)
	if e.s.Pending() != 2 {
		t.Fatalf("pending %d while the webhook fails", e.s.Pending())
	}
	rc.mu.Lock()
	tries := rc.attempts[1]
	other := rc.attempts[2]
	rc.mu.Unlock()
	if tries < 1 || other != 0 {
		t.Fatalf("attempts: update 1 %d, update 2 %d", tries, other)
	}
	mu.Lock()
	down = false
	mu.Unlock()
	waitPending0(t, e.s)
}

func TestBaleQuirks(t *testing.T) {
	e := newEnv(t, emulator.Options{Bale: true})
	rc, hook := newReceiver(t)
	rc.fail = func(tgbotapi.Update, int) int { return 500 } // keep updates pending
	if _, err := e.bot.MakeRequest("setWebhook", tgbotapi.Params{"url": hook.URL, "secret_token": "ignored"}); err != nil {
		t.Fatal(err)
	}
	e.s.User(1001).Send("سلام")
	// getUpdates answers [] at once while a webhook is set, even with a timeout.
	start := time.Now()
	ups := getUpdates(t, e.bot, 0, 5)
	if len(ups) != 0 || time.Since(start) > time.Second {
		t.Fatalf("bale getUpdates with webhook: %+v after %v", ups, time.Since(start))
	}
	rc.mu.Lock()
	rc.fail = nil
	rc.mu.Unlock()
	waitPending0(t, e.s)
	rc.mu.Lock()
	if len(rc.secrets) != 1 || rc.secrets[0] != "" {
		t.Fatalf("bale sent a secret header: %q", rc.secrets)
	}
	rc.mu.Unlock()
	// parse_mode is not interpreted on Bale: invalid HTML passes through.
	m := tgbotapi.NewMessage(1001, "<b>x")
	m.ParseMode = tgbotapi.ModeHTML
	if _, err := e.bot.Send(m); err != nil {
		t.Fatalf("bale parse_mode: %v", err)
	}
	if _, err := e.bot.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		t.Fatal(err)
	}
	e.s.User(1001).Send("poll")
	if ups := getUpdates(t, e.bot, 0, 0); len(ups) != 1 {
		t.Fatalf("after deleteWebhook: %+v", ups)
	}
}

func TestTelegramRefusesBadSecret(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	_, err := e.bot.MakeRequest("setWebhook", tgbotapi.Params{"url": "http://127.0.0.1:1/x", "secret_token": "bad token!"})
	wantAPIError(t, err, 400, "Bad Request: secret token contains unallowed characters")
}
