package flows_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"coopbot/emulator"
	"coopbot/internal/chattest"
)

// failReplies makes every message the bot sends to (or edits in) chat fail with fault,
// from the first such call for the next second (an edit that fails falls back to a new
// message, which fails too), then lets everything through. It returns how many calls
// failed so far.
func failReplies(h *chattest.Harness, chat int64, fault emulator.APIError) func() int {
	var first atomic.Int64
	var failed atomic.Int32
	h.API.SetHook(func(method string, chatID int64) *emulator.APIError {
		if chatID != chat || (method != "sendMessage" && method != "editMessageText") {
			return nil
		}
		now := time.Now().UnixNano()
		first.CompareAndSwap(0, now)
		if now-first.Load() > int64(time.Second) {
			return nil
		}
		failed.Add(1)
		f := fault
		return &f
	})
	return func() int { return int(failed.Load()) }
}

// count runs a counting query.
func countRows(t *testing.T, h *chattest.Harness, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := h.DB.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The reply to confirming a broadcast fails (a 5xx, a 429, a dropped connection after the
// request was written): the update comes again, finds the broadcast it created and sends
// the owed reply; every resident gets the announcement once.
func TestBroadcastConfirmedOnceWhenItsReplyFails(t *testing.T) {
	t.Parallel()
	for name, fault := range map[string]emulator.APIError{
		"5xx":     {Code: 502},
		"429":     {Code: 429, RetryAfter: 1},
		"dropped": {Code: -1},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := bcHarness(t, 1000)
			staff := h.User(1)
			staff.Onboard("ولیعصر")
			residents := bcResidents(t, h, 5001, 3, "سرخاب")

			staff.Press("broadcast.menu")
			staff.Press("broadcast.audience.all")
			staff.Press("broadcast.mode.one")
			staff.Send(bcTextFa)
			staff.Press("broadcast.when.now")
			staff.Sees("broadcast.preview.total", "Total", "۴")
			failed := failReplies(h, 1, fault)
			staff.Press("broadcast.confirm")
			staff.Sees("menu.title")
			for _, r := range residents {
				r.SeesText(bcTextFa)
			}
			h.Idle()
			if failed() == 0 {
				t.Fatal("no reply failed")
			}
			residents[0].Quiet(300 * time.Millisecond)
			if n := countRows(t, h, `SELECT count(*) FROM broadcasts`); n != 1 {
				t.Fatalf("%d broadcasts, want 1", n)
			}
			for _, r := range residents {
				got := 0
				for _, m := range r.E.Messages() {
					if m.Text == bcTextFa {
						got++
					}
				}
				if got != 1 {
					t.Fatalf("resident %d got the announcement %d times, want once", r.ID, got)
				}
			}
		})
	}
}
