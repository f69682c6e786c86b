package emulator_test

import (
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"coopbot/emulator"
)

// takenLog records the taken hook's calls.
type takenLog struct {
	mu     sync.Mutex
	ids    []int
	chats  []int64
	waited []time.Duration
}

func (l *takenLog) hook(chat int64, id int, waited time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids, l.chats, l.waited = append(l.ids, id), append(l.chats, chat), append(l.waited, waited)
}

func (l *takenLog) snapshot() ([]int, []int64, []time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int(nil), l.ids...), append([]int64(nil), l.chats...), append([]time.Duration(nil), l.waited...)
}

// The taken hook reports each update once, when getUpdates first hands it out, with how
// long it waited; serving it again (not confirmed) does not report it again.
func TestTakenHookPolling(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	var log takenLog
	e.s.SetTakenHook(log.hook)
	e.s.User(1001).Send("یک")
	time.Sleep(30 * time.Millisecond)
	e.s.User(1002).Send("دو")
	if ids, _, _ := log.snapshot(); len(ids) != 0 {
		t.Fatalf("reported %v before any getUpdates", ids)
	}
	if ups := getUpdates(t, e.bot, 0, 0); len(ups) != 2 {
		t.Fatalf("got %d updates, want 2", len(ups))
	}
	getUpdates(t, e.bot, 0, 0) // the same two again, unconfirmed
	ids, chats, waited := log.snapshot()
	if len(ids) != 2 || ids[0] != 1 || ids[1] != 2 || chats[0] != 1001 || chats[1] != 1002 {
		t.Fatalf("reported ids %v chats %v, want 1, 2 of chats 1001, 1002 once each", ids, chats)
	}
	if waited[0] < 30*time.Millisecond || waited[0] < waited[1] {
		t.Fatalf("waited %v: the first update waited at least 30 ms and longer than the second", waited)
	}
}

// In webhook mode an update is reported when its first request starts, not again when
// the request is retried.
func TestTakenHookWebhook(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	var log takenLog
	e.s.SetTakenHook(log.hook)
	rc, hook := newReceiver(t)
	rc.fail = func(u tgbotapi.Update, attempt int) int {
		if attempt == 1 {
			return 500
		}
		return 0
	}
	e.s.User(1001).Send("یک")
	time.Sleep(20 * time.Millisecond)
	if _, err := e.bot.MakeRequest("setWebhook", tgbotapi.Params{"url": hook.URL + "/hook"}); err != nil {
		t.Fatal(err)
	}
	e.s.User(1001).Send("دو")
	waitPending0(t, e.s)
	ids, _, waited := log.snapshot()
	if len(ids) != 2 || ids[0] != 1 || ids[1] != 2 {
		t.Fatalf("reported %v, want updates 1 and 2 once each (each was retried once)", ids)
	}
	if waited[0] < 20*time.Millisecond {
		t.Fatalf("update 1 queued before the webhook waited %v, want at least 20 ms", waited[0])
	}
}
