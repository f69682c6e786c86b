package flows_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coopbot/emulator"
	"coopbot/internal/chattest"
)

// replyFaults makes the replies of chosen chats fail: once armed for a chat, every message
// the bot sends to (or edits in) it fails with the fault, from the first such call for
// the next second (an edit that fails falls back to a new message, which fails too); then
// everything goes through again.
type replyFaults struct {
	fault emulator.APIError
	mu    sync.Mutex
	chats map[int64]*replyWindow
}

type replyWindow struct {
	first  time.Time
	failed atomic.Int32
}

func newReplyFaults(h *chattest.Harness, fault emulator.APIError) *replyFaults {
	f := &replyFaults{fault: fault, chats: map[int64]*replyWindow{}}
	h.API.SetHook(func(method string, chat int64) *emulator.APIError {
		if method != "sendMessage" && method != "editMessageText" && method != "sendDocument" {
			return nil
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		w := f.chats[chat]
		if w == nil {
			return nil
		}
		if w.first.IsZero() {
			w.first = time.Now()
		}
		if time.Since(w.first) > time.Second {
			return nil
		}
		w.failed.Add(1)
		fault := f.fault
		return &fault
	})
	return f
}

// arm makes the next reply to chat fail; it returns how many calls failed so far.
func (f *replyFaults) arm(chat int64) func() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := &replyWindow{}
	f.chats[chat] = w
	return func() int { return int(w.failed.Load()) }
}

// Every step that commits something (chattest.Commits: join requests and decisions,
// invites, needs, trainings, sign-ups, attendance, broadcasts, roles), with the reply to
// its update failing — a 5xx, a 429 with retry_after, a send that times out after it was
// carried out: the update comes again, finds what its first handling committed, commits
// nothing more and sends the reply the person is owed. Each fault runs every step in one
// deployment, as residents would use it at the same time.
func TestCommittedStepsHappenOnceWhenTheirReplyFails(t *testing.T) {
	t.Parallel()
	const sendTimeout = 2 * time.Second
	for name, fault := range map[string]emulator.APIError{
		"5xx":     {Code: 502},
		"429":     {Code: 429, RetryAfter: 1},
		"timeout": {Delay: sendTimeout + time.Second}, // carried out, but too late for the bot
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			commits := chattest.Commits()
			var admins []int64
			for i, c := range commits {
				for _, a := range c.Admins {
					admins = append(admins, commitBase(i)+a)
				}
			}
			h := chattest.New(t, chattest.Options{Admins: chattest.Staff(admins...), SendTimeout: sendTimeout})
			faults := newReplyFaults(h, fault)
			for i, c := range commits {
				t.Run(c.Name, func(t *testing.T) {
					t.Parallel()
					rh := h.For(t)
					step := c.Prepare(rh, commitBase(i))
					rh.Idle()
					if step.Committed() {
						t.Fatal("committed before the step was taken")
					}
					failed := faults.arm(step.Actor.ID)
					step.Take()
					step.Reply()
					rh.Idle()
					if failed() == 0 {
						t.Fatal("no reply failed")
					}
					// A 429 pauses the bot's sending for its retry_after, so with every step of the
					// deployment answered 429 (about forty steps, each pausing the platform for a
					// second, overlapping) a broadcast reaches its audience later: wait long enough
					// (a busy CI machine once took more than 30 s).
					deadline := time.Now().Add(6 * chattest.Wait)
					for step.Check() != "" && time.Now().Before(deadline) {
						time.Sleep(20 * time.Millisecond)
					}
					// Nothing more comes later either.
					time.Sleep(300 * time.Millisecond)
					if wrong := step.Check(); wrong != "" {
						t.Fatal(wrong)
					}
				})
			}
		})
	}
}

// commitBase is the first user id of the i-th committing step's people.
func commitBase(i int) int64 { return 20000 + 100*int64(i) }
