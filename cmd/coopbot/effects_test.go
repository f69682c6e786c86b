package main

import (
	"sync"
	"testing"
	"time"

	"coopbot/emulator"
	"coopbot/internal/chattest"
)

// Row "kill -9 between commit and reply": every step that commits (chattest.Commits) is
// taken in one deployment while the platform holds every reply to the people taking them;
// once Postgres has what each step committed, the process is killed the hard way. The
// process started next handles the unconfirmed updates again (after the dead one's poll
// lease and chat locks expire): nothing is committed twice, and everyone gets the reply
// they are owed.
func TestKill9BetweenCommitAndReply(t *testing.T) {
	t.Parallel()
	commits := chattest.Commits()
	base := func(i int) int64 { return 30000 + 100*int64(i) }
	var admins []int64
	for i, c := range commits {
		for _, a := range c.Admins {
			admins = append(admins, base(i)+a)
		}
	}
	h := chattest.New(t, chattest.Options{External: true, Admins: chattest.Staff(admins...)})
	f := &fixture{t: t, api: h.API, url: h.URL, token: chattest.Token, env: h.Env(), redis: h.Redis, cat: h.Cat}
	f.env["LOG_LEVEL"] = "debug"
	f.env["METRICS_ADDR"] = "127.0.0.1:0"
	f.env["WEB_ADDR"] = "127.0.0.1:0"
	f.env["BROADCAST_CLAIM_TTL"] = "2s"
	p := f.start()

	steps := make([]*chattest.Step, len(commits))
	for i, c := range commits {
		steps[i] = c.Prepare(h, base(i))
	}
	h.Idle()

	// From now on the platform holds every message to the people taking the steps, and
	// answers it only once the process that sent it is dead (with a 502: not delivered).
	held := map[int64]bool{}
	for _, s := range steps {
		held[s.Actor.ID] = true
	}
	var mu sync.Mutex
	reached := map[int64]bool{}
	release := make(chan struct{})
	var released sync.Once
	letGo := func() { released.Do(func() { close(release) }) }
	t.Cleanup(letGo) // before the fake Bot API closes, which waits for its requests
	h.API.SetHook(func(method string, chat int64) *emulator.APIError {
		if !held[chat] || (method != "sendMessage" && method != "editMessageText" && method != "sendDocument") {
			return nil
		}
		mu.Lock()
		reached[chat] = true
		mu.Unlock()
		<-release
		return &emulator.APIError{Code: 502}
	})
	h.Holding = true
	for i, s := range steps {
		if s.Committed() {
			t.Fatalf("%s: committed before the step was taken", commits[i].Name)
		}
		s.Take()
	}
	deadline := time.Now().Add(30 * time.Second)
	for i, s := range steps {
		for {
			mu.Lock()
			ok := reached[s.Actor.ID]
			mu.Unlock()
			if ok && s.Committed() {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: never committed with its reply on the way (reached the send: %v)", commits[i].Name, ok)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	p.kill9()
	h.API.SetHook(nil)
	letGo()
	if kept(t, h.API, h.Redis) == 0 {
		t.Fatal("the updates were let go (neither unconfirmed nor in the journal) although their replies were never sent")
	}

	h.Holding = false
	f.start()
	// The dead process's chat locks expire after 30 s; then every update is handled.
	f.idle(90 * time.Second)
	for i, s := range steps {
		t.Logf("reply of %s", commits[i].Name)
		s.Reply()
	}
	f.idle(30 * time.Second)
	// What chats show of a step (a broadcast's copies) may still be on its way.
	deadline = time.Now().Add(30 * time.Second)
	for _, s := range steps {
		for s.Check() != "" && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	time.Sleep(300 * time.Millisecond)
	for i, s := range steps {
		if wrong := s.Check(); wrong != "" {
			t.Errorf("%s: %s", commits[i].Name, wrong)
		}
	}
}
