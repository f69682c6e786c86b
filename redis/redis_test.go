package redis_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/internal/faultproxy"
	"coopbot/postgres/postgrestest"
	"coopbot/redis"

	goredis "github.com/redis/go-redis/v9"
)

func TestTurnSavesStateSealedAndRemembersUpdates(t *testing.T) {
	t.Parallel()
	c := chattest.NewRedis(t, redis.Options{})
	ctx := context.Background()
	turn, err := c.Begin(ctx, coopbot.Bale, -1001, 4503599627370497, 10)
	if err != nil || turn.State() != nil || turn.Duplicate() {
		t.Fatalf("first turn = %+v, %v", turn, err)
	}
	state := []byte(`{"v":1,"a":{"phone":"+989121112233","nid":"0012345679"}}`)
	if ok, err := turn.Commit(ctx, state); !ok || err != nil {
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
	if err != nil || !again.Duplicate() || string(again.State()) != string(state) {
		t.Fatalf("duplicate turn = %+v, %v", again, err)
	}
	again.Abort(ctx)
	other, err := c.Begin(ctx, coopbot.Bale, -1001, 4503599627370496, 11)
	if err != nil || other.State() != nil {
		t.Fatalf("another user's turn sees state %q, %v", other.State(), err)
	}
	other.Abort(ctx)
}

// Forgetting a conversation (the person's data was erased) drops its state and its place
// among the active conversations, but the update stays known as handled.
func TestTurnForgetDropsTheStateAndKeepsTheUpdates(t *testing.T) {
	t.Parallel()
	c := chattest.NewRedis(t, redis.Options{})
	ctx := context.Background()
	turn, err := c.Begin(ctx, coopbot.Telegram, 55, 55, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := turn.Commit(ctx, []byte(`{"v":2}`)); !ok || err != nil {
		t.Fatalf("commit = %v, %v", ok, err)
	}
	if n, err := c.Conversations(ctx); n != 1 || err != nil {
		t.Fatalf("active conversations = %d, %v", n, err)
	}
	turn, err = c.Begin(ctx, coopbot.Telegram, 55, 55, 2)
	if err != nil || turn.State() == nil {
		t.Fatalf("second turn: %v, state %q", err, turn.State())
	}
	if ok, err := turn.Forget(ctx); !ok || err != nil {
		t.Fatalf("forget = %v, %v", ok, err)
	}
	if _, err := c.Redis().HGet(ctx, c.Prefix()+"conv:telegram:55:55", "state").Result(); err != goredis.Nil {
		t.Fatalf("state after forget: %v", err)
	}
	if n, err := c.Conversations(ctx); n != 0 || err != nil {
		t.Fatalf("active conversations after forget = %d, %v", n, err)
	}
	again, err := c.Begin(ctx, coopbot.Telegram, 55, 55, 2)
	if err != nil || !again.Duplicate() || again.State() != nil {
		t.Fatalf("the forgetting update again: duplicate %v, state %q, %v", again.Duplicate(), again.State(), err)
	}
	again.Abort(ctx)
	next, err := c.Begin(ctx, coopbot.Telegram, 55, 55, 3)
	if err != nil || next.Duplicate() || next.State() != nil {
		t.Fatalf("the next update: duplicate %v, state %q, %v", next.Duplicate(), next.State(), err)
	}
	next.Abort(ctx)
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
			if ok, err := turn.Commit(ctx, []byte("{}")); !ok || err != nil {
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

// An update counts against the flood window only the first time it is tried: after an
// outage, the redelivered update and its retries are not flooding.
func TestRetriedUpdateDoesNotCountAsFlood(t *testing.T) {
	t.Parallel()
	c := chattest.NewRedis(t, redis.Options{FloodWindow: time.Minute})
	ctx := context.Background()
	try := func(update int64) int {
		t.Helper()
		turn, err := c.Begin(ctx, coopbot.Telegram, 8, 8, update)
		if err != nil {
			t.Fatal(err)
		}
		defer turn.Abort(ctx) // not handled: it will come again
		return turn.Recent()
	}
	if n := try(500); n != 1 {
		t.Fatalf("first try counted %d, want 1", n)
	}
	for range 30 {
		if n := try(500); n != 0 {
			t.Fatalf("a retry of the same update counted %d, want 0", n)
		}
	}
	for i, want := range []int{2, 3, 4, 5} {
		if n := try(int64(501 + i)); n != want {
			t.Fatalf("update %d counted %d, want %d", 501+i, n, want)
		}
	}
	// Only the newest ids are remembered: one tried long ago counts again.
	for i := range 40 {
		try(int64(600 + i))
	}
	if n := try(500); n == 0 {
		t.Fatal("an update tried 45 updates ago is still remembered: the list of tried ids is not trimmed")
	}
}

// Counting the conversations in progress reads one sorted set, trimmed to the state TTL.
func TestConversationsAreCountedWithoutScanning(t *testing.T) {
	t.Parallel()
	c := chattest.NewRedis(t, redis.Options{StateTTL: time.Minute})
	ctx := context.Background()
	for i := range 5 {
		turn, err := c.Begin(ctx, coopbot.Telegram, int64(10+i), int64(10+i), 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := turn.Commit(ctx, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	// The same conversation again is still one.
	turn, _ := c.Begin(ctx, coopbot.Telegram, 10, 10, 2)
	turn.Commit(ctx, nil)
	if n, err := c.Conversations(ctx); n != 5 || err != nil {
		t.Fatalf("conversations = %d, %v; want 5", n, err)
	}
	// A conversation last seen longer ago than the TTL is gone from the count, and from the
	// set at the next commit.
	old := time.Now().Add(-2 * time.Minute).UnixMilli()
	if err := c.Redis().ZAdd(ctx, c.Prefix()+"active", goredis.Z{Score: float64(old), Member: "telegram:99:99"}).Err(); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Conversations(ctx); n != 5 {
		t.Fatalf("conversations = %d with an expired one; want 5", n)
	}
	turn, _ = c.Begin(ctx, coopbot.Telegram, 11, 11, 3)
	turn.Commit(ctx, nil)
	if n, _ := c.Redis().ZCard(ctx, c.Prefix()+"active").Result(); n != 5 {
		t.Fatalf("%d members in the set, want the expired one trimmed (5)", n)
	}
}

// A connection cut in the middle of a command is an outage (the update comes again); a
// reply the server gives for a bug (a key of the wrong type) is not.
func TestErrorsAreClassified(t *testing.T) {
	t.Parallel()
	proxy, err := faultproxy.New("127.0.0.1:6379")
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	url, _ := proxy.URL(chattest.RedisURL())
	c := chattest.NewRedis(t, redis.Options{})
	through, err := redis.Open(url, redis.Options{Prefix: c.Prefix(), Key: postgrestest.Key})
	if err != nil {
		t.Fatal(err)
	}
	defer through.Close()
	ctx := context.Background()
	if err := through.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	proxy.Blackhole()
	errc := make(chan error, 1)
	go func() {
		_, err := through.Begin(ctx, coopbot.Telegram, 20, 20, 1)
		errc <- err
	}()
	time.Sleep(300 * time.Millisecond) // the script is on its way
	proxy.Stop()
	err = <-errc
	if code := coopbot.ErrorCode(err); code != coopbot.EUnavailable {
		t.Fatalf("connection cut mid-command: code %q (%v), want unavailable", code, err)
	}

	if err := c.Redis().Set(ctx, c.Prefix()+"conv:telegram:21:21", "not a hash", 0).Err(); err != nil {
		t.Fatal(err)
	}
	_, err = c.Begin(ctx, coopbot.Telegram, 21, 21, 1)
	if code := coopbot.ErrorCode(err); code != coopbot.EInternal {
		t.Fatalf("wrong type of key: code %q (%v), want internal", code, err)
	}
}

// A server that lost its script cache (a replica promoted by a fail-over does not have the
// scripts its primary loaded) still takes the commit, and the conversation still counts
// as active.
func TestCommitAfterTheScriptCacheIsGone(t *testing.T) {
	c := chattest.NewRedis(t, redis.Options{})
	ctx := context.Background()
	turn, err := c.Begin(ctx, coopbot.Telegram, 77, 77, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Redis().ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if ok, err := turn.Commit(ctx, []byte(`{"v":1}`)); !ok || err != nil {
		t.Fatalf("commit after SCRIPT FLUSH = %v, %v", ok, err)
	}
	next, err := c.Begin(ctx, coopbot.Telegram, 77, 77, 2)
	if err != nil || string(next.State()) != `{"v":1}` {
		t.Fatalf("next turn = %q, %v", next.State(), err)
	}
	next.Abort(ctx)
	if n, err := c.Conversations(ctx); n != 1 || err != nil {
		t.Fatalf("conversations = %d, %v", n, err)
	}
}
