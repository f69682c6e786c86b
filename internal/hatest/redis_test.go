package hatest

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"coopbot/internal/chattest"
	"coopbot/redis"

	goredis "github.com/redis/go-redis/v9"
)

// quiet keeps the Redis client's complaints during the outage (refused connections) out of
// the test's output.
var quiet = redis.Options{Log: slog.New(slog.DiscardHandler)}

// The Redis primary that Sentinel watches is killed while residents are onboarding: the
// sentinels promote its replica, the bot follows them by itself, and every resident ends
// onboarded exactly once, with every reply sent once.
func TestRedisSentinelFailoverDuringConversations(t *testing.T) {
	url := need(t, "COOPBOT_HA_SENTINEL_URL")
	u, err := redis.ParseURL(url)
	if err != nil || u.Failover == nil {
		t.Fatalf("COOPBOT_HA_SENTINEL_URL %q is no Sentinel url: %v", url, err)
	}
	sentinel := goredis.NewSentinelClient(&goredis.Options{Addr: u.Failover.SentinelAddrs[0]})
	defer sentinel.Close()
	ctx := context.Background()
	primary := func() string {
		addr, err := sentinel.GetMasterAddrByName(ctx, u.Failover.MasterName).Result()
		if err != nil {
			t.Fatalf("ask the sentinel for the primary: %v", err)
		}
		return net.JoinHostPort(addr[0], addr[1])
	}
	before := primary()

	h := chattest.New(t, chattest.Options{RedisURL: url, Redis: quiet})
	users := load(t, h, 910001, 40, 60*time.Millisecond, 1200*time.Millisecond, func() {
		// Killed outright (scripts/test-ha runs it on this machine): the sentinels see the
		// primary gone after a second and promote the replica.
		old := goredis.NewClient(&goredis.Options{Addr: before})
		defer old.Close()
		info := old.InfoMap(ctx, "server")
		if info.Err() != nil {
			t.Errorf("the primary's process id: %v", info.Err())
			return
		}
		pid := info.Item("Server", "process_id")
		n, _ := strconv.Atoi(pid)
		if err := syscall.Kill(n, syscall.SIGKILL); err != nil || n <= 1 {
			t.Errorf("kill the primary (process %q): %v", pid, err)
		}
	})
	onboardedOnce(t, h, users)
	if after := primary(); after == before {
		t.Fatalf("the sentinels still name %s as the primary: no fail-over happened", before)
	}
	t.Logf("primary moved from %s to %s", before, primary())
}

// On a Redis Cluster residents onboard at once, their conversations spread over the
// primaries; the flows' own conversation tests run there too (scripts/test-ha).
func TestRedisClusterConversations(t *testing.T) {
	url := need(t, "COOPBOT_HA_CLUSTER_URL")
	h := chattest.New(t, chattest.Options{RedisURL: url, Redis: quiet})
	if !h.Redis.Cluster() {
		t.Fatalf("%s did not open as a Cluster", url)
	}
	users := load(t, h, 920001, 30, 20*time.Millisecond, 300*time.Millisecond, func() {})
	onboardedOnce(t, h, users)
	// The conversations are spread over the primaries, each in the slot of its hash tag.
	cc := h.Redis.Redis().(*goredis.ClusterClient)
	ctx := context.Background()
	var nodes atomic.Int32
	err := cc.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error {
		keys, err := node.Keys(ctx, h.Redis.Prefix()+"conv:{telegram:*}").Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			nodes.Add(1)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if nodes.Load() < 2 {
		t.Errorf("the conversations are on %d primaries, want them spread over the cluster", nodes.Load())
	}
}
