package redis_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/redis"
)

func TestTurnSavesStateSealedAndRemembersUpdates(t *testing.T) {
	t.Parallel()
	c := chattest.NewRedis(t, redis.Options{})
	ctx := context.Background()
	turn, err := c.Begin(ctx, coopbot.Bale, -1001, 4503599627370497, 10)
	if err != nil || turn.State != nil || turn.Duplicate {
		t.Fatalf("first turn = %+v, %v", turn, err)
	}
	state := []byte(`{"v":1,"a":{"phone":"+989121112233","nid":"0012345679"}}`)
	if ok, err := c.Commit(ctx, turn, state); !ok || err != nil {
		t.Fatalf("commit = %v, %v", ok, err)
	}
	// Nothing personal is readable in Redis.
	keys, _ := c.Redis().Keys(ctx, c.Prefix()+"*").Result()
	for _, k := range keys {
		raw, _ := c.Redis().Dump(ctx, k).Result()
		if strings.Contains(raw, "9121112233") || strings.Contains(raw, "0012345679") {
			t.Fatalf("key %s holds personal data in plain text", k)
		}
	}
	// The same update again is a duplicate; the next one sees the state. 52-bit user ids and
	// negative chat ids are kept exactly.
	again, err := c.Begin(ctx, coopbot.Bale, -1001, 4503599627370497, 10)
	if err != nil || !again.Duplicate || string(again.State) != string(state) {
		t.Fatalf("duplicate turn = %+v, %v", again, err)
	}
	c.Abort(ctx, again)
	other, err := c.Begin(ctx, coopbot.Bale, -1001, 4503599627370496, 11)
	if err != nil || other.State != nil {
		t.Fatalf("another user's turn sees state %q, %v", other.State, err)
	}
	c.Abort(ctx, other)
}

func TestTurnsOfOneChatAreSerialized(t *testing.T) {
	t.Parallel()
	c := chattest.NewRedis(t, redis.Options{})
	ctx := context.Background()
	var mu sync.Mutex
	inside, maxInside := 0, 0
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			turn, err := c.Begin(ctx, coopbot.Telegram, 7, 7, int64(100+i))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inside++
			maxInside = max(maxInside, inside)
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
			mu.Lock()
			inside--
			mu.Unlock()
			if ok, err := c.Commit(ctx, turn, []byte("{}")); !ok || err != nil {
				t.Error(ok, err)
			}
		}()
	}
	wg.Wait()
	if maxInside != 1 {
		t.Fatalf("%d turns of one chat ran at once", maxInside)
	}
}

func TestLeaseHasOneHolder(t *testing.T) {
	t.Parallel()
	c := chattest.NewRedis(t, redis.Options{})
	ctx := context.Background()
	if ok, _ := c.AcquireLease(ctx, "poll:x", "a", time.Second); !ok {
		t.Fatal("a could not take a free lease")
	}
	if ok, _ := c.AcquireLease(ctx, "poll:x", "b", time.Second); ok {
		t.Fatal("b took a lease a holds")
	}
	if ok, _ := c.AcquireLease(ctx, "poll:x", "a", time.Second); !ok {
		t.Fatal("a could not renew its lease")
	}
	c.ReleaseLease(ctx, "poll:x", "b") // not b's: no effect
	if ok, _ := c.AcquireLease(ctx, "poll:x", "b", time.Second); ok {
		t.Fatal("b's release freed a's lease")
	}
	c.ReleaseLease(ctx, "poll:x", "a")
	if ok, _ := c.AcquireLease(ctx, "poll:x", "b", time.Second); !ok {
		t.Fatal("b could not take the released lease")
	}
}
