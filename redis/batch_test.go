package redis_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/redis"
)

// Two hundred conversations take a turn at the same time: every turn begins, sees its own
// state and commits as if alone, and their script calls share pipelines, so the 400 calls
// cost far fewer round trips.
func TestConcurrentTurnsSharePipelines(t *testing.T) {
	t.Parallel()
	c := chattest.NewRedis(t, redis.Options{})
	ctx := context.Background()
	const chats = 200
	for i := range chats {
		turn, err := c.Begin(ctx, coopbot.Telegram, int64(1000+i), int64(1000+i), 1)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := turn.Commit(ctx, []byte(`{"n":`+strconv.Itoa(i)+`}`)); !ok || err != nil {
			t.Fatalf("commit %d: %v, %v", i, ok, err)
		}
	}
	before := c.RoundTrips()
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, chats)
	for i := range chats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			turn, err := c.Begin(ctx, coopbot.Telegram, int64(1000+i), int64(1000+i), 2)
			if err != nil {
				errs <- err.Error()
				return
			}
			if want := `{"n":` + strconv.Itoa(i) + `}`; string(turn.State()) != want || turn.Duplicate() {
				errs <- "chat " + strconv.Itoa(i) + " saw " + string(turn.State())
			}
			if ok, err := turn.Commit(ctx, []byte(`{"n":`+strconv.Itoa(i)+`,"again":true}`)); !ok || err != nil {
				errs <- "commit failed"
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	trips := c.RoundTrips() - before
	if trips >= 2*chats {
		t.Errorf("%d concurrent turns cost %d round trips: no call shared a pipeline", chats, trips)
	}
	t.Logf("%d turns (%d script calls) in %d round trips", chats, 2*chats, trips)
	for i := range chats {
		turn, err := c.Begin(ctx, coopbot.Telegram, int64(1000+i), int64(1000+i), 2)
		if err != nil || !turn.Duplicate() {
			t.Fatalf("chat %d: update 2 not recorded (%v)", i, err)
		}
		turn.Abort(ctx)
	}
}

// A turn whose caller gives up while its call still waits for a pipeline is never sent:
// the chat is not left locked by a call nobody waits for.
func TestAbandonedCallTakesNoLock(t *testing.T) {
	t.Parallel()
	c := chattest.NewRedis(t, redis.Options{})
	ctx := context.Background()
	// Keep the batcher busy: many turns at once, and one whose context is already over.
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if turn, err := c.Begin(ctx, coopbot.Bale, int64(i), int64(i), 1); err == nil {
				turn.Abort(ctx)
			}
		}()
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Begin(gone, coopbot.Bale, 9999, 9999, 1); err == nil {
		t.Fatal("a turn began with a context already over")
	}
	wg.Wait()
	// The chat is free at once: nobody holds its lock.
	quick, stop := context.WithTimeout(ctx, 500*time.Millisecond)
	defer stop()
	turn, err := c.Begin(quick, coopbot.Bale, 9999, 9999, 2)
	if err != nil {
		t.Fatalf("the chat is locked after an abandoned call: %v", err)
	}
	turn.Abort(ctx)
}
