package redis

import (
	"strings"
	"testing"
)

// Every form of REDIS_URL the README shows reaches the right kind of client with the
// right addresses.
func TestParseURLForms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url, kind, addrs, master string
		db                       int
	}{
		{url: "redis://127.0.0.1:6379/2", kind: "single", addrs: "127.0.0.1:6379", db: 2},
		{url: "rediss://:secret@cache.example:6380/0", kind: "single", addrs: "cache.example:6380"},
		{url: "redis-sentinel://s1:26379,s2:26379,s3:26379/1?master_name=coopbot", kind: "sentinel", addrs: "s1:26379,s2:26379,s3:26379", master: "coopbot", db: 1},
		{url: "redis+sentinel://u:p@s1:26379,s2:26380?master_name=m&dial_timeout=3", kind: "sentinel", addrs: "s1:26379,s2:26380", master: "m"},
		{url: "redis://s1:26379/0?master_name=m&addr=s2:26379", kind: "sentinel", addrs: "s1:26379,s2:26379", master: "m"},
		{url: "redis-cluster://n1:7000,n2:7001,n3:7002", kind: "cluster", addrs: "n1:7000,n2:7001,n3:7002"},
		{url: "redis+cluster://n1:7000/0", kind: "cluster", addrs: "n1:7000"},
		{url: "redis://n1:7000?addr=n2:7001&addr=n3:7002", kind: "cluster", addrs: "n1:7000,n2:7001,n3:7002"},
	} {
		u, err := ParseURL(tc.url)
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		var kind, addrs, master string
		var db int
		switch {
		case u.Single != nil:
			kind, addrs, db = "single", u.Single.Addr, u.Single.DB
		case u.Failover != nil:
			kind, addrs, master, db = "sentinel", strings.Join(u.Failover.SentinelAddrs, ","), u.Failover.MasterName, u.Failover.DB
		case u.Cluster != nil:
			kind, addrs = "cluster", strings.Join(u.Cluster.Addrs, ",")
		}
		if kind != tc.kind || addrs != tc.addrs || master != tc.master || db != tc.db {
			t.Errorf("%s: %s %s master %q db %d, want %s %s master %q db %d", tc.url, kind, addrs, master, db, tc.kind, tc.addrs, tc.master, tc.db)
		}
	}
	for _, bad := range []string{
		"127.0.0.1:6379",
		"memcached://127.0.0.1:11211",
		"redis-sentinel://s1:26379,s2:26379/0",
		"redis-cluster://n1:7000,n2:7001/3",
		"redis-cluster://n1:7000,,n2:7001",
		"redis-ring://n1:7000",
		"redis-sentinel://s1:26379?master_name=m&route_randomly=true",
		"redis-sentinel://s1:26379?master_name=m&replica_only=true",
		"redis-sentinel://s1:26379?master_name=m&no_such_option=1",
	} {
		if _, err := ParseURL(bad); err == nil {
			t.Errorf("%s: parsed, want an error", bad)
		}
	}
}

// On a Cluster a conversation's keys share its hash tag (one slot per script); elsewhere
// they keep the names of earlier releases.
func TestChatKeysShareAHashTagOnACluster(t *testing.T) {
	t.Parallel()
	single := &Client{o: Options{Prefix: "coopbot:"}}
	if got := single.chatKey("conv", "telegram:5:5"); got != "coopbot:conv:telegram:5:5" {
		t.Errorf("single server key %q", got)
	}
	cluster := &Client{o: Options{Prefix: "coopbot:"}, cluster: true}
	for _, kind := range []string{"conv", "lock", "flood"} {
		if got, want := cluster.chatKey(kind, "bale:-100:7"), "coopbot:"+kind+":{bale:-100:7}"; got != want {
			t.Errorf("cluster key %q, want %q", got, want)
		}
	}
	if _, err := Open("redis-cluster://127.0.0.1:7000", Options{Prefix: "a{b}:", Key: make([]byte, 32)}); err == nil {
		t.Error("a cluster prefix with braces was accepted")
	}
}
