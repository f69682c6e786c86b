package hatest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coopbot"
	"coopbot/emulator"
	"coopbot/internal/chattest"
)

// need skips the test unless scripts/test-ha named the servers in env.
func need(t *testing.T, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		t.Skipf("%s is not set: scripts/test-ha starts the servers this test needs", env)
	}
	return v
}

// neighborhood is a seeded neighborhood's Persian name.
const neighborhood = "سرخاب"

// onboardingSteps are the bot's messages of an onboarding, in order; each comes exactly
// once.
var onboardingSteps = []string{"onboarding.welcome", "onboarding.neighborhood.prompt", "onboarding.phone.prompt", "menu.title"}

// load walks n residents through onboarding at once, as people do (a pause between
// answers), the i-th starting i×stagger after the first. While they are under way, fault
// runs once (after delay): it must not stop any of them. It returns the residents; every
// one of them has finished onboarding.
func load(t *testing.T, h *chattest.Harness, first int64, n int, stagger, delay time.Duration, fault func()) []*emulator.User {
	t.Helper()
	// The texts are rendered here, in the test's goroutine, for the residents' goroutines.
	texts := map[string]string{}
	for _, id := range append([]string{"lang.fa.name", "onboarding.phone.skip"}, onboardingSteps...) {
		s, err := h.Cat.Text(coopbot.Persian, id, nil, nil)
		if err != nil {
			t.Fatalf("message %s: %v", id, err)
		}
		texts[id] = s
	}
	text := func(id string) string { return texts[id] }
	users := make([]*emulator.User, n)
	var started, finished atomic.Int64
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		users[i] = h.API.User(first + int64(i))
		wg.Add(1)
		go func(u *emulator.User, start time.Duration) {
			defer wg.Done()
			time.Sleep(start)
			started.Add(1)
			if err := onboard(u, text); err != nil {
				errs <- fmt.Errorf("resident %d: %w", u.ID(), err)
				return
			}
			finished.Add(1)
		}(users[i], time.Duration(i)*stagger)
	}
	time.Sleep(delay)
	under := started.Load() - finished.Load()
	if under == 0 {
		t.Fatalf("no conversation under way when the fault came (%d started, %d finished): the load is too light", started.Load(), finished.Load())
	}
	t.Logf("fault with %d conversations under way, %d finished", under, finished.Load())
	fault()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	// Every reply came exactly once: a retried update sent nothing twice.
	for _, u := range users {
		for _, id := range onboardingSteps {
			want := text(id)
			got := 0
			for _, m := range u.Messages() {
				if strings.Contains(m.Text, want) {
					got++
				}
			}
			if got != 1 {
				t.Errorf("resident %d saw %q %d times, want once", u.ID(), id, got)
			}
		}
	}
	return users
}

// onboard walks one resident through onboarding, waiting as long as a fail-over may take
// for each answer.
func onboard(u *emulator.User, text func(string) string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	pause := func() { time.Sleep(150 * time.Millisecond) }
	sees := func(id string) error {
		want := text(id)
		err := u.Wait(ctx, func(ms []emulator.Message) bool {
			for _, m := range ms {
				if strings.Contains(m.Text, want) {
					return true
				}
			}
			return false
		})
		if err != nil {
			return fmt.Errorf("no %s: %w", id, err)
		}
		return nil
	}
	u.Send("/start")
	if err := sees("onboarding.welcome"); err != nil {
		return err
	}
	pause()
	label := text("lang.fa.name")
	err := u.Wait(ctx, func(ms []emulator.Message) bool {
		for _, m := range ms {
			for _, row := range m.Inline {
				for _, b := range row {
					if b.Text == label {
						return true
					}
				}
			}
		}
		return false
	})
	if err != nil {
		return fmt.Errorf("no language button: %w", err)
	}
	if err := u.Press(label); err != nil {
		return err
	}
	if err := sees("onboarding.neighborhood.prompt"); err != nil {
		return err
	}
	pause()
	u.Send(neighborhood)
	if err := sees("onboarding.phone.prompt"); err != nil {
		return err
	}
	pause()
	u.Send(text("onboarding.phone.skip"))
	return sees("menu.title")
}

// onboardedOnce checks in Postgres that each of the residents is registered once, in the
// neighborhood they chose, and that no update was given up.
func onboardedOnce(t *testing.T, h *chattest.Harness, users []*emulator.User) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID()
	}
	var n, placed int
	err := h.DB.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE n.name_fa = $2)
		FROM residents r LEFT JOIN neighborhoods n ON n.id = r.neighborhood_id
		WHERE r.platform = 'telegram' AND r.user_id = ANY($1)`, ids, neighborhood).Scan(&n, &placed)
	if err != nil {
		t.Fatalf("count residents: %v", err)
	}
	if n != len(users) || placed != len(users) {
		t.Errorf("%d residents registered (%d in %s), want %d", n, placed, neighborhood, len(users))
	}
	var failed int
	if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM failed_updates`).Scan(&failed); err != nil {
		t.Fatalf("count failed updates: %v", err)
	}
	if failed != 0 {
		t.Errorf("%d updates were given up", failed)
	}
}
