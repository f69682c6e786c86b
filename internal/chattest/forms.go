package chattest

import (
	"context"
	"strings"
	"testing"

	"coopbot"
	"coopbot/emulator"
)

// Any stands for a value of template data that a test does not know in advance (an id,
// a date): Sees matches the text around it.
const Any = "\x00any\x00"

// matches reports whether text contains want, or, where want holds Any, its parts in
// order.
func matches(text, want string) bool {
	for _, part := range strings.Split(want, Any) {
		i := strings.Index(text, part)
		if i < 0 {
			return false
		}
		text = text[i+len(part):]
	}
	return true
}

// unread is the index of the first bot message not matched yet by Sees (or the last one
// matched, when it was edited since).
func (u *User) unread(ms []emulator.Message) int {
	if u.read > 0 && u.read <= len(ms) && ms[u.read-1].Edits > u.readEdits {
		return u.read - 1
	}
	return u.read
}

// question is message id as a pattern: its text in the user's language with every
// template value left open.
func (u *User) question(id string) string {
	u.h.T.Helper()
	s, err := u.h.Cat.Text(u.Lang, id, nil, nil)
	if err != nil {
		u.h.T.Fatalf("message %s: %v", id, err)
	}
	return strings.ReplaceAll(s, "<no value>", Any)
}

// Fill answers the questions of a form as the bot asks them, whatever their order: each
// question is a message ID of answers, whose function answers it. It returns once the
// bot sends message until (not answered). A question the map lacks leaves the test
// waiting for one it has, and failing.
func (u *User) Fill(until string, answers map[string]func()) {
	u.h.T.Helper()
	ids := []string{until}
	for id := range answers {
		ids = append(ids, id)
	}
	patterns := make([]string, len(ids))
	for i, id := range ids {
		patterns[i] = u.question(id)
	}
	for {
		var asked string
		at, edits := -1, 0
		err := u.E.Wait(u.ctx(), func(ms []emulator.Message) bool {
			for i := u.unread(ms); i < len(ms); i++ {
				// A message holding two questions' texts (a hint above a question) asks
				// the one that comes last.
				best := -1
				for j, p := range patterns {
					if !matches(ms[i].Text, p) {
						continue
					}
					if k := strings.LastIndex(ms[i].Text, strings.Split(p, Any)[0]); k > best {
						best, asked = k, ids[j]
					}
				}
				if best >= 0 {
					at, edits = i, ms[i].Edits
					return true
				}
			}
			return false
		})
		if err != nil {
			u.h.T.Fatalf("user %d: none of the questions %q came: %v\n%s", u.ID, ids, err, u.E.Dump())
		}
		u.read, u.readEdits = at+1, edits
		if asked == until {
			return
		}
		answers[asked]()
	}
}

// ResidentID is the user's resident id (they must have finished onboarding).
func (u *User) ResidentID() int64 {
	u.h.T.Helper()
	p, err := u.h.DB.Profile(context.Background(), coopbot.UserRef{Platform: u.h.platform, UserID: u.ID})
	if err != nil || p.ResidentID == 0 {
		u.h.T.Fatalf("user %d: no resident (%v)", u.ID, err)
	}
	return p.ResidentID
}

// For is the harness as seen by another test (a parallel subtest sharing the
// deployment): users made from it fail that test.
func (h *Harness) For(t testing.TB) *Harness {
	c := *h
	c.T = t
	return &c
}
