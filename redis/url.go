package redis

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// URL is a parsed REDIS_URL: exactly one of its three option sets is set.
type URL struct {
	Single   *goredis.Options         // one server
	Failover *goredis.FailoverOptions // the primary that Redis Sentinel names
	Cluster  *goredis.ClusterOptions  // a Redis Cluster, from its seed nodes
}

// ParseURL reads the forms REDIS_URL may take:
//
//	redis://[user:password@]host:6379/0                  one server (rediss:// for TLS)
//	redis-sentinel://[user:password@]s1:26379,s2:26379,s3:26379/0?master_name=mymaster
//	redis://s1:26379/0?master_name=mymaster&addr=s2:26379&addr=s3:26379
//	                                                     the primary the sentinels name; the
//	                                                     user and password are the sentinels',
//	                                                     the primary's go in ?username=&password=
//	redis-cluster://[user:password@]n1:6379,n2:6379,n3:6379
//	redis://n1:6379?addr=n2:6379&addr=n3:6379            a Cluster, from any of its nodes
//
// "+" may stand for "-" in the scheme (redis+sentinel://), and rediss-sentinel:// and
// rediss-cluster:// use TLS. The other query parameters are go-redis's (dial_timeout, …).
func ParseURL(raw string) (*URL, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, errors.New("redis: no scheme in url (want redis://, redis-sentinel:// or redis-cluster://)")
	}
	scheme = strings.ReplaceAll(strings.ToLower(scheme), "+", "-")
	base, kind, _ := strings.Cut(scheme, "-")
	if base != "redis" && base != "rediss" {
		return nil, fmt.Errorf("redis: unknown url scheme %q", scheme)
	}
	if kind != "" {
		if kind != "sentinel" && kind != "cluster" {
			return nil, fmt.Errorf("redis: unknown url scheme %q", scheme)
		}
		// The hosts are a comma-separated list: the first stays the URL's host, the others
		// become addr parameters, as go-redis reads them.
		end := strings.IndexAny(rest, "/?")
		if end < 0 {
			end = len(rest)
		}
		authority, tail := rest[:end], rest[end:]
		userinfo := ""
		if at := strings.LastIndex(authority, "@"); at >= 0 {
			userinfo, authority = authority[:at+1], authority[at+1:]
		}
		hosts := strings.Split(authority, ",")
		var extra []string
		for _, h := range hosts[1:] {
			if h == "" {
				return nil, errors.New("redis: empty host in url")
			}
			extra = append(extra, "addr="+url.QueryEscape(h))
		}
		if len(extra) > 0 {
			sep := "?"
			if strings.Contains(tail, "?") {
				sep = "&"
			}
			tail += sep + strings.Join(extra, "&")
		}
		raw = base + "://" + userinfo + hosts[0] + tail
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	switch {
	case kind == "sentinel" || q.Has("master_name"):
		if q.Get("master_name") == "" {
			return nil, errors.New("redis: a Sentinel url needs master_name")
		}
		o, err := goredis.ParseFailoverURL(raw)
		if err != nil {
			return nil, err
		}
		if o.RouteByLatency || o.RouteRandomly || o.ReplicaOnly {
			// Every update writes: coopbot talks to the primary only.
			return nil, errors.New("redis: route_by_latency, route_randomly and replica_only do not fit coopbot, which writes on every update")
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = timeouts()
		o.PoolSize, o.Protocol = poolSize, protocol
		return &URL{Failover: o}, nil
	case kind == "cluster" || q.Has("addr"):
		if p := strings.Trim(u.Path, "/"); p != "" && p != "0" {
			return nil, fmt.Errorf("redis: a Cluster has only database 0, not %q", p)
		}
		u.Path = ""
		o, err := goredis.ParseClusterURL(u.String())
		if err != nil {
			return nil, err
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = timeouts()
		o.PoolSize, o.Protocol = poolSize, protocol
		return &URL{Cluster: o}, nil
	}
	o, err := goredis.ParseURL(raw)
	if err != nil {
		return nil, err
	}
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = timeouts()
	o.PoolSize, o.Protocol = poolSize, protocol
	return &URL{Single: o}, nil
}

const (
	poolSize = 64
	// RESP2: no push notifications to look for after every reply (RESP3's default costs
	// CPU on every command and coopbot subscribes to nothing).
	protocol = 2
)

// timeouts are the dial, read and write timeouts: a server that does not answer within
// them is down for this update, which comes again.
func timeouts() (dial, read, write time.Duration) {
	return 2 * time.Second, 2 * time.Second, 2 * time.Second
}

// client connects as the URL says.
func (u *URL) client() goredis.UniversalClient {
	switch {
	case u.Failover != nil:
		return goredis.NewFailoverClient(u.Failover)
	case u.Cluster != nil:
		return goredis.NewClusterClient(u.Cluster)
	}
	return goredis.NewClient(u.Single)
}
