package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"coopbot"
	"coopbot/locales"
)

// joinRun says how residents walk a scenario's conversation in one phase.
type joinRun struct {
	residents   int           // residents who walk (0: as many as fit in duration)
	concurrency int           // residents in conversation at once
	duration    time.Duration // with residents 0: keep starting new residents this long
	rate        float64       // open loop: updates offered per second (0: closed loop)
	blind       bool          // the bot asks nothing (nullbot): send the walk's updates blindly
	firstID     int64         // user id of the first resident
	step        time.Duration // the longest wait for one answer
	scripts     map[coopbot.Lang]*script
	coops       []coopChoice
}

// outcome is what became of the residents of a phase.
type outcome struct {
	started, completed int
	failures           []string // the first few
	failed             int
	done               []*resident // those who reached the end
	all                []*resident
}

// newScripts prepares what residents of both languages read and press in scenario sc.
func newScripts(sc *scenario) (map[coopbot.Lang]*script, error) {
	cat, err := locales.Load()
	if err != nil {
		return nil, err
	}
	out := map[coopbot.Lang]*script{}
	for _, l := range []coopbot.Lang{coopbot.Persian, coopbot.Azeri} {
		if out[l], err = newScript(cat, l, sc); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// newResident is resident number n of a run: every other one speaks Azeri, and they are
// spread over the cooperatives' neighborhoods.
func (j joinRun) newResident(t *target, n int) *resident {
	lang := coopbot.Persian
	if n%2 == 1 {
		lang = coopbot.Azeri
	}
	return &resident{u: t.emu.User(j.firstID + int64(n)), s: j.scripts[lang], n: int(j.firstID) + n, coop: j.coops[n%len(j.coops)]}
}

// walkAll runs the residents of a phase and returns what became of them and the seconds
// it took.
func (j joinRun) walkAll(ctx context.Context, t *target) (outcome, float64) {
	var (
		mu   sync.Mutex
		out  outcome
		next atomic.Int64
		wg   sync.WaitGroup
	)
	start := time.Now()
	end := start.Add(j.duration)
	var p *pacer
	if j.rate > 0 {
		pctx, cancel := context.WithCancel(ctx)
		defer cancel()
		p = newPacer(pctx, j.rate)
	}
	for range j.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := int(next.Add(1) - 1)
				if j.residents > 0 && n >= j.residents || j.residents == 0 && time.Now().After(end) {
					return
				}
				r := j.newResident(t, n)
				mu.Lock()
				out.started++
				out.all = append(out.all, r)
				mu.Unlock()
				var err error
				if j.blind {
					err = r.walkBlind(ctx, t.lat, p, j.step)
				} else {
					err = r.walk(ctx, t.lat, p, j.step)
				}
				mu.Lock()
				if err != nil {
					out.failed++
					if len(out.failures) < 3 {
						out.failures = append(out.failures, fmt.Sprintf("resident %d: %v", r.u.ID(), err))
					}
				} else {
					out.completed++
					out.done = append(out.done, r)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out, time.Since(start).Seconds()
}

// joinPhase measures one phase of a scenario walked by residents (join, trainings, need)
// on a target.
func joinPhase(ctx context.Context, t *target, j joinRun) (figures, outcome, error) {
	waitQuiet(ctx, t.emu, 10*time.Second)
	t.settle()
	before, err := t.measure(ctx)
	if err != nil {
		return figures{}, outcome{}, err
	}
	t.lat.reset()
	t.taken.reset()
	profiled := make(chan error, 1)
	if t.profile != "" {
		go func() { profiled <- t.cpuProfile(ctx, t.profile, t.profileFor) }()
	} else {
		profiled <- nil
	}
	out, elapsed := j.walkAll(ctx, t)
	t.touch()
	if err := <-profiled; err != nil {
		fmt.Fprintln(t.stderr, "coopbot-load:", err)
	}
	after, err := t.measure(ctx)
	if err != nil {
		return figures{}, out, err
	}
	t.settle()
	if xa, err := t.measure(ctx); err == nil {
		// The last turns are counted as handled once saved, after their replies.
		after.xacts, after.handled = xa.xacts, xa.handled
	}
	f := since(before, after)
	f.elapsed = elapsed
	for _, r := range out.all {
		f.updates += int64(r.sent)
	}
	f.latency, f.delivery = t.lat.take(), t.taken.take()
	if out.failed > 0 {
		return f, out, fmt.Errorf("%s: %d of %d residents did not reach the end: %v", t.name, out.failed, out.started, out.failures)
	}
	return f, out, nil
}

// onboardStaff takes the office's staff member (ADMINS) through onboarding, so that join
// requests and need reports have someone to send their cards and alerts to.
func onboardStaff(ctx context.Context, t *target, j joinRun, id int64) error {
	r := &resident{u: t.emu.User(id), s: j.scripts[coopbot.Persian], n: int(id), coop: j.coops[0], until: "menu.title"}
	if err := r.walk(ctx, t.lat, nil, 30*time.Second); err != nil {
		return fmt.Errorf("onboard staff: %w", err)
	}
	t.touch()
	return nil
}
