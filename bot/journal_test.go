package bot_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"coopbot"
	"coopbot/bot"
	"coopbot/flows"
	"coopbot/internal/chattest"
)

// heldEngine answers "unavailable" for the updates of one user while held is set (a
// step that cannot be done yet), and runs the real engine otherwise.
type heldEngine struct {
	bot.Engine
	user int64
	held *atomic.Bool
}

func (e heldEngine) Handle(ctx context.Context, stored []byte, up flows.Update) (flows.Result, error) {
	if up.UserID == e.user && e.held.Load() {
		return flows.Result{Lang: e.Lang(stored)}, &coopbot.Error{Code: coopbot.EUnavailable, Err: fmt.Errorf("held")}
	}
	return e.Engine.Handle(ctx, stored, up)
}

// An update the bot could not handle yet is kept in the journal and confirmed to the
// platform at once (the platform does not keep it). The process stops with it
// unfinished; the next one finds it in the journal and answers it, once.
func TestJournaledUpdateIsResumedByTheNextProcess(t *testing.T) {
	t.Parallel()
	var held atomic.Bool
	h := chattest.New(t, chattest.Options{Engine: func(e bot.Engine) bot.Engine { return heldEngine{e, 3601, &held} }})
	u := h.User(3601)
	u.Onboard("سرخاب")
	h.Idle()
	h.Stop()

	held.Store(true)
	stopA := runBot(t, h.NewBot(bot.Config{Journal: h.Redis, DrainTimeout: 200 * time.Millisecond}))
	u.Press("menu.language")
	u.Sees("error.unavailable")
	waitFor(t, chattest.Wait, "the update confirmed to the platform and kept in the journal", func() bool {
		return h.API.Pending() == 0 && journaled(t, h) == 1
	})
	stopA()
	if n := journaled(t, h); n != 1 {
		t.Fatalf("%d updates in the journal after the process stopped, want the unfinished one", n)
	}

	held.Store(false)
	runBot(t, h.NewBot(bot.Config{Journal: h.Redis}))
	u.Sees("language.prompt")
	waitFor(t, chattest.Wait, "the resumed update taken out of the journal", func() bool { return journaled(t, h) == 0 })
	h.Idle()
	if n := count(t, h, u, coopbot.Persian, "language.prompt"); n != 1 {
		t.Fatalf("the resumed update was answered %d times, want once", n)
	}
}

// A conversation that cannot go on holds up only itself, however many updates come
// after it: with the journal the poller confirms them as it takes them, so it is not
// stuck 100 updates past the held one (as it is when updates are confirmed only once
// finished).
func TestHeldConversationDoesNotStopPolling(t *testing.T) {
	t.Parallel()
	var held atomic.Bool
	h := chattest.New(t, chattest.Options{Engine: func(e bot.Engine) bot.Engine { return heldEngine{e, 3701, &held} }})
	stuck := h.User(3701)
	stuck.Onboard("سرخاب")
	h.Idle()
	held.Store(true)
	stuck.Press("menu.language")
	stuck.Sees("error.unavailable")
	// 150 residents start after it: more than one getUpdates answer holds.
	var users []*chattest.User
	for i := range 150 {
		u := h.User(int64(3710 + i))
		u.Send("/start")
		users = append(users, u)
	}
	for _, u := range users {
		u.Sees("onboarding.welcome")
	}
	held.Store(false)
	stuck.Sees("language.prompt")
}
