package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"coopbot/emulator"
)

// The echo scenario measures a step that touches only Redis: a resident at the
// neighborhood question types a name that matches none, and the bot answers with that
// text and the same question.

// echoPhase brings users to the neighborhood question, then drives them for d at rate
// (0: closed loop) and checks every echo came back once, in order.
func echoPhase(ctx context.Context, t *target, users []*emulator.User, rate float64, d time.Duration) (figures, error) {
	if err := prepare(ctx, users); err != nil {
		return figures{}, fmt.Errorf("%s: %w", t.name, err)
	}
	waitQuiet(ctx, t.emu, 10*time.Second)
	t.touch()
	t.settle()
	before, err := t.measure(ctx)
	if err != nil {
		return figures{}, err
	}
	t.lat.reset()
	t.taken.reset()
	start := time.Now()
	sent := drive(ctx, users, t.lat, rate, d)
	waitQuiet(ctx, t.emu, 10*time.Second)
	elapsed := time.Since(start).Seconds()
	time.Sleep(time.Second) // Postgres publishes its counters when a backend goes idle, at most every second
	after, err := t.measure(ctx)
	if err != nil {
		return figures{}, err
	}
	t.touch()
	t.settle()
	if xa, err := t.measure(ctx); err == nil {
		after.xacts = xa.xacts
	}
	f := since(before, after)
	f.updates, f.elapsed = int64(sent), elapsed
	f.latency, f.delivery = t.lat.take(), t.taken.take()
	lost, dup, disorder := checkEchoes(users)
	if lost+dup+disorder > 0 {
		return f, fmt.Errorf("%s: replies lost %d, duplicated %d, out of order %d", t.name, lost, dup, disorder)
	}
	return f, nil
}

// prepare brings every resident to the neighborhood question.
func prepare(ctx context.Context, users []*emulator.User) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	sem := make(chan struct{}, 200)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for _, u := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			u.Send("/start")
			if _, err := u.WaitCount(ctx, 1); err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			if err := u.Press("فارسی"); err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			if _, err := u.WaitCount(ctx, 2); err != nil {
				firstErr.CompareAndSwap(nil, err)
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return fmt.Errorf("prepare residents: %w", err)
	}
	return nil
}

// openConversations leaves n more residents in the middle of onboarding.
func openConversations(ctx context.Context, emu *emulator.Server, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	users := make([]*emulator.User, n)
	for i := range users {
		users[i] = emu.User(int64(5_000_000 + i))
		users[i].Send("/start")
	}
	for _, u := range users {
		if _, err := u.WaitCount(ctx, 1); err != nil {
			return fmt.Errorf("open conversations: %w", err)
		}
	}
	return nil
}

// drive sends typed texts at the offered rate (or as fast as replies come, rate 0) for d;
// each text carries the resident's sequence number, which the bot echoes back.
func drive(ctx context.Context, users []*emulator.User, lat *latencies, rate float64, d time.Duration) int {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var sent atomic.Int64
	seq := make([]int, len(users))
	if rate <= 0 {
		var wg sync.WaitGroup
		for i, u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					seq[i]++
					n := len(u.Messages())
					lat.sent(u.ID())
					u.Send(fmt.Sprintf("ن%d", seq[i]))
					sent.Add(1)
					if _, err := u.WaitCount(ctx, n+1); err != nil {
						return
					}
				}
			}()
		}
		wg.Wait()
		return int(sent.Load())
	}
	interval := time.Duration(float64(time.Second) / rate)
	next := time.Now()
	for i := 0; ctx.Err() == nil; i++ {
		k := i % len(users)
		seq[k]++
		lat.sent(users[k].ID())
		users[k].Send(fmt.Sprintf("ن%d", seq[k]))
		sent.Add(1)
		next = next.Add(interval)
		if wait := time.Until(next); wait > 0 {
			time.Sleep(wait)
		}
	}
	return int(sent.Load())
}

// waitQuiet waits until the fake Bot API has no unconfirmed updates.
func waitQuiet(ctx context.Context, emu *emulator.Server, max time.Duration) {
	deadline := time.Now().Add(max)
	for emu.Pending() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
}

var echoed = regexp.MustCompile(`«ن(\d+)»`)

// checkEchoes reads every resident's replies: each typed number must come back once, in order.
func checkEchoes(users []*emulator.User) (lost, dup, disorder int) {
	for _, u := range users {
		want := 1
		seen := map[int]bool{}
		for _, m := range u.Messages() {
			g := echoed.FindStringSubmatch(m.Text)
			if g == nil {
				continue
			}
			n, _ := strconv.Atoi(g[1])
			switch {
			case seen[n]:
				dup++
			case n != want:
				disorder++
			}
			seen[n] = true
			want = n + 1
		}
		for n := 1; n < want; n++ {
			if !seen[n] {
				lost++
			}
		}
	}
	return lost, dup, disorder
}
