// Package redis keeps what coopbot may lose: conversation state (one JSON value per chat
// and user, with a TTL), the ids of recently handled updates (duplicate markers) and the
// per-chat locks that keep one chat's updates in order across instances. It is the only
// package that imports go-redis. One update costs two script calls, Begin and Commit; the
// calls of conversations handled at the same time share pipelines (batch.go), so under
// load an update costs less than two round trips.
package redis

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"coopbot"

	goredis "github.com/redis/go-redis/v9"
)

// Options configure the session store.
type Options struct {
	Prefix   string        // key prefix, "coopbot:" by default; tests use their own
	StateTTL time.Duration // an abandoned conversation expires after this (24 h)
	LockTTL  time.Duration // longer than the slowest handler (30 s)
	Seen     int           // how many recent update ids each chat remembers (32)
	// FloodWindow is the window over which Turn.Recent counts a chat's updates (10 s).
	FloodWindow time.Duration
	// Log receives the Redis client's own messages (connection failures), which it would
	// otherwise print unstructured to stderr. The client's logger is process-wide.
	Log *slog.Logger
	// Key seals conversation states (AES-GCM, 32 bytes): answers in progress may hold a
	// national ID or a phone number, which must not be readable from Redis.
	Key []byte
}

// Client is a Redis connection with the session scripts loaded.
type Client struct {
	rdb     goredis.UniversalClient
	cluster bool // keys of one conversation carry a hash tag (see chatKey)
	o       Options
	aead    cipher.AEAD
	trips   atomic.Int64
	batch   *batcher // the turns' script calls, pipelined under load
}

// Open connects to Redis at url, which names one server, a Sentinel-watched primary or a
// Cluster (see ParseURL).
func Open(url string, o Options) (*Client, error) {
	u, err := ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	if o.Prefix == "" {
		o.Prefix = "coopbot:"
	}
	if u.Cluster != nil && strings.ContainsAny(o.Prefix, "{}") {
		return nil, fmt.Errorf("redis: prefix %q holds a brace, which would change the cluster hash tags of the keys", o.Prefix)
	}
	if o.StateTTL == 0 {
		o.StateTTL = 24 * time.Hour
	}
	if o.LockTTL == 0 {
		o.LockTTL = 30 * time.Second
	}
	if o.Seen == 0 {
		o.Seen = 32
	}
	if o.FloodWindow == 0 {
		o.FloodWindow = 10 * time.Second
	}
	if len(o.Key) != 32 {
		return nil, errors.New("redis: state key must be 32 bytes")
	}
	block, err := aes.NewCipher(o.Key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if o.Log != nil {
		goredis.SetLogger(clientLog{o.Log})
	}
	c := &Client{rdb: u.client(), cluster: u.Cluster != nil, o: o, aead: aead}
	c.rdb.AddHook(roundTrips{&c.trips})
	c.batch = newBatcher(c.rdb)
	return c, nil
}

// RoundTrips counts the requests this client sent to Redis (a pipeline is one), for the
// metrics page and the load tool's budget of two per update.
func (c *Client) RoundTrips() int64 { return c.trips.Load() }

type roundTrips struct{ n *atomic.Int64 }

func (roundTrips) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h roundTrips) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h roundTrips) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// seal encrypts a state for storage; nil stays nil (keep the stored one).
func (c *Client) seal(state []byte) []byte {
	if state == nil {
		return nil
	}
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(state)+c.aead.Overhead())
	rand.Read(nonce)
	return c.aead.Seal(nonce, nonce, state, nil)
}

func (c *Client) open(sealed []byte) ([]byte, error) {
	n := c.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed state too short")
	}
	return c.aead.Open(nil, sealed[:n], sealed[n:], nil)
}

// Close closes the connection pool.
func (c *Client) Close() error {
	c.batch.close()
	return c.rdb.Close()
}

// Ping checks that Redis answers.
func (c *Client) Ping(ctx context.Context) error { return wrap(c.rdb.Ping(ctx).Err(), "ping") }

// Redis exposes the client to other Redis-backed parts and to tests: a *goredis.Client
// (one server, or the primary Sentinel names) or a *goredis.ClusterClient.
func (c *Client) Redis() goredis.UniversalClient { return c.rdb }

// Cluster reports that the client talks to a Redis Cluster.
func (c *Client) Cluster() bool { return c.cluster }

// chatKey names one of a conversation's keys ("conv", "lock", "flood"). On a Cluster the
// conversation's id is the key's hash tag, so that the three keys a script touches are in
// one slot; elsewhere the names stay as they always were ("coopbot:conv:telegram:5:5"),
// so that an upgrade keeps the conversations in progress.
func (c *Client) chatKey(kind, id string) string {
	if c.cluster {
		return c.o.Prefix + kind + ":{" + id + "}"
	}
	return c.o.Prefix + kind + ":" + id
}

// DeleteAll deletes every key under the client's prefix, on every primary of a Cluster
// (tests clean their key space with it).
func (c *Client) DeleteAll(ctx context.Context) error {
	del := func(ctx context.Context, rdb goredis.UniversalClient) error {
		iter := rdb.Scan(ctx, 0, c.o.Prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			if err := rdb.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	if cc, ok := c.rdb.(*goredis.ClusterClient); ok {
		return wrap(cc.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error { return del(ctx, node) }), "delete keys")
	}
	return wrap(del(ctx, c.rdb), "delete keys")
}

// Prefix is the key prefix of this client.
func (c *Client) Prefix() string { return c.o.Prefix }

// errBusy means another instance holds the chat's lock.
var errBusy = errors.New("chat is busy")

// begin takes the chat's lock and reads its state and recent update ids in one round trip.
// The update counts against the chat's flood window only the first time its id is tried:
// the ids tried lately are kept in the conversation's hash ("tried"), so an update that
// comes again after an outage is not taken for flooding. A retried update returns 0.
var begin = goredis.NewScript(`
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) == false then
  return false
end
local r = redis.pcall('HMGET', KEYS[1], 'state', 'seen', 'tried')
if r['err'] then
  -- A script's writes stay when it fails: free the chat again.
  redis.call('DEL', KEYS[2])
  return r
end
local tried = r[3]
if tried == false then
  tried = ''
end
local n = 0
if string.find(',' .. tried .. ',', ',' .. ARGV[4] .. ',', 1, true) == nil then
  n = redis.call('INCR', KEYS[3])
  if n == 1 then
    redis.call('PEXPIRE', KEYS[3], ARGV[3])
  end
  if tried == '' then
    tried = ARGV[4]
  else
    tried = tried .. ',' .. ARGV[4]
  end
  local _, commas = string.gsub(tried, ',', '')
  for _ = 1, commas + 1 - tonumber(ARGV[5]) do
    tried = string.sub(tried, string.find(tried, ',', 1, true) + 1)
  end
  redis.call('HSET', KEYS[1], 'tried', tried)
  if redis.call('PTTL', KEYS[1]) == -1 then
    redis.call('PEXPIRE', KEYS[1], ARGV[6])
  end
end
return {r[1], r[2], n}
`)

// commit saves the state and the update id, refreshes the TTL and releases the lock, only
// while the lock is still ours. The set of active conversations is another key (in another
// slot of a Cluster), updated in the same pipeline (Commit).
var commit = goredis.NewScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
if ARGV[2] == '' then
  redis.call('HSET', KEYS[1], 'seen', ARGV[3])
else
  redis.call('HSET', KEYS[1], 'state', ARGV[2], 'seen', ARGV[3])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('DEL', KEYS[2])
return 1
`)

// forget drops the state, keeps the update ids (so that the same update coming again is
// still known as handled) and releases the lock, only while the lock is still ours.
var forget = goredis.NewScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
redis.call('HDEL', KEYS[1], 'state')
redis.call('HSET', KEYS[1], 'seen', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('DEL', KEYS[2])
return 1
`)

var release = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// Turn is one update's exclusive hold on a conversation (chat and user), from Begin to
// Commit or Abort. Its key names and lock token stay inside this package.
type Turn struct {
	c                             *Client
	id                            string // platform:chat:user
	updateID                      int64
	state                         []byte
	duplicate                     bool
	recent                        int
	key, lock, flood, token, seen string
}

// State is the stored conversation state (nil when there is none).
func (t *Turn) State() []byte { return t.state }

// Duplicate reports that this update id was handled already.
func (t *Turn) Duplicate() bool { return t.duplicate }

// Recent counts the chat's updates first tried within the flood window, this one
// included; 0 when this update was tried before (a redelivery is not flooding).
func (t *Turn) Recent() int { return t.recent }

// Begin locks the conversation of (platform, chat, user) for one update and loads it.
// While another instance holds the lock it waits, until ctx ends.
func (c *Client) Begin(ctx context.Context, p coopbot.Platform, chatID, userID, updateID int64) (*Turn, error) {
	id := string(p) + ":" + strconv.FormatInt(chatID, 10) + ":" + strconv.FormatInt(userID, 10)
	t := &Turn{c: c, id: id, updateID: updateID,
		key: c.chatKey("conv", id), lock: c.chatKey("lock", id), flood: c.chatKey("flood", id), token: token()}
	wait := 2 * time.Millisecond
	for {
		err := c.begin(ctx, t)
		if err != errBusy {
			if err != nil {
				return nil, err
			}
			return t, nil
		}
		select {
		case <-ctx.Done():
			return nil, wrap(ctx.Err(), "wait for chat lock")
		case <-time.After(wait):
		}
		wait = min(wait*2, 100*time.Millisecond)
	}
}

func (c *Client) begin(ctx context.Context, t *Turn) error {
	res, err := c.batch.run(ctx, begin, []string{t.key, t.lock, t.flood}, t.token,
		c.o.LockTTL.Milliseconds(), c.o.FloodWindow.Milliseconds(), t.updateID, c.o.Seen, c.o.StateTTL.Milliseconds()).Slice()
	if errors.Is(err, goredis.Nil) {
		return errBusy
	}
	if err != nil {
		return wrap(err, "begin turn")
	}
	if len(res) != 3 {
		return &coopbot.Error{Code: coopbot.EInternal, Err: fmt.Errorf("redis begin turn: %d values, want 3", len(res))}
	}
	if s, ok := res[0].(string); ok {
		// A state that does not open (another key, or written by hand) is no state: the
		// engine starts the person over politely.
		t.state, _ = c.open([]byte(s))
	}
	if s, ok := res[1].(string); ok {
		t.seen = s
	}
	if n, ok := res[2].(int64); ok {
		t.recent = int(n)
	}
	u := strconv.FormatInt(t.updateID, 10)
	for _, f := range strings.Split(t.seen, ",") {
		if f == u {
			t.duplicate = true
		}
	}
	return nil
}

// Commit saves the new state (nil keeps the old one), records the update as handled and
// releases the lock. It reports false when the lock had expired (a handler slower than
// LockTTL): nothing was saved.
//
// The same pipeline notes the conversation as active: a sorted set scored by the time of
// its last turn, trimmed to the state TTL, so that counting conversations needs no scan.
// It is not in the script, whose keys must share one Cluster slot; a turn whose lock had
// expired is noted too, which only counts a conversation that is going on anyway.
func (t *Turn) Commit(ctx context.Context, state []byte) (bool, error) {
	c := t.c
	now := time.Now().UnixMilli()
	n, err := c.batch.runWith(ctx, commit, []string{t.key, t.lock}, []any{t.token, c.seal(state), t.seenWith(), c.o.StateTTL.Milliseconds()},
		func(p goredis.Pipeliner) {
			p.ZAdd(ctx, c.active(), goredis.Z{Score: float64(now), Member: t.id})
			p.ZRemRangeByScore(ctx, c.active(), "-inf", "("+strconv.FormatInt(now-c.o.StateTTL.Milliseconds(), 10))
		}).Int()
	if err != nil {
		return false, wrap(err, "commit turn")
	}
	return n == 1, nil
}

// Forget drops the conversation's state (the person's data was erased: their next update
// starts without one, as a newcomer's), records the update as handled, releases the lock
// and takes the conversation out of the active set. It reports false when the lock had
// expired: nothing was changed.
func (t *Turn) Forget(ctx context.Context) (bool, error) {
	c := t.c
	n, err := c.batch.run(ctx, forget, []string{t.key, t.lock}, t.token, t.seenWith(), c.o.StateTTL.Milliseconds()).Int()
	if err != nil {
		return false, wrap(err, "forget conversation")
	}
	if n != 1 {
		return false, nil
	}
	// The state is gone already: should this fail, the entry is trimmed after StateTTL.
	c.rdb.ZRem(ctx, c.active(), t.id)
	return true, nil
}

// seenWith is the list of recent update ids with this turn's added (the oldest dropped).
func (t *Turn) seenWith() string {
	seen := strconv.FormatInt(t.updateID, 10)
	if t.seen != "" {
		ids := strings.Split(t.seen, ",")
		if len(ids) >= t.c.o.Seen {
			ids = ids[len(ids)-t.c.o.Seen+1:]
		}
		seen = strings.Join(ids, ",") + "," + seen
	}
	return seen
}

// Abort releases the lock without saving anything: the update was not handled.
func (t *Turn) Abort(ctx context.Context) error {
	return wrap(release.Run(ctx, t.c.rdb, []string{t.lock}, t.token).Err(), "abort turn")
}

// ForgetChat drops the conversation state of a private chat (its user id is its chat id),
// keeping the record of handled updates. The wiring calls it when a send finds the person
// unreachable: their next update then starts without a state, so the engine reloads their
// profile, which clears the mark.
func (c *Client) ForgetChat(ctx context.Context, p coopbot.Platform, chatID int64) error {
	id := strconv.FormatInt(chatID, 10)
	key := c.chatKey("conv", string(p)+":"+id+":"+id)
	return wrap(c.rdb.HDel(ctx, key, "state").Err(), "forget conversation")
}

// active is the sorted set of conversations by the time of their last turn.
func (c *Client) active() string { return c.o.Prefix + "active" }

// Conversations counts the conversations in progress (for the metrics page): those whose
// last turn is younger than the state TTL. One ZCOUNT, whatever the size of the key space.
func (c *Client) Conversations(ctx context.Context) (int64, error) {
	since := time.Now().Add(-c.o.StateTTL).UnixMilli()
	n, err := c.rdb.ZCount(ctx, c.active(), strconv.FormatInt(since, 10), "+inf").Result()
	return n, wrap(err, "count conversations")
}

func token() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// wrap gives a Redis error its code: a refused or dropped connection, a timeout, a closed
// client and the replies of a server that cannot serve now (loading, read-only replica,
// fail-over, out of memory, a busy script) are unavailable: the update comes again. Other
// replies of the server (a wrong type, a script error) are internal: a bug, not an outage.
func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	code := coopbot.EUnavailable
	var rerr goredis.Error
	if errors.As(err, &rerr) {
		code = coopbot.EInternal
		for _, prefix := range transientReplies {
			if goredis.HasErrorPrefix(err, prefix) {
				code = coopbot.EUnavailable
				break
			}
		}
	}
	return &coopbot.Error{Code: code, Err: fmt.Errorf("redis %s: %w", what, err)}
}

// transientReplies are the error replies of a Redis server that cannot serve for now.
var transientReplies = []string{"LOADING", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "BUSY", "NOREPLICAS", "OOM", "MOVED", "ASK"}

// leaseScript takes the lease when free, or renews it when this holder has it.
var leaseScript = goredis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`)

// AcquireLease takes or renews the named lease for holder for ttl. It reports whether the
// holder has it. One instance polls each platform token under such a lease.
func (c *Client) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	n, err := leaseScript.Run(ctx, c.rdb, []string{c.o.Prefix + "lease:" + name}, holder, ttl.Milliseconds()).Int()
	if err != nil {
		return false, wrap(err, "lease "+name)
	}
	return n == 1, nil
}

// ReleaseLease gives the lease up if holder has it, so a standby takes over at once.
func (c *Client) ReleaseLease(ctx context.Context, name, holder string) error {
	return wrap(release.Run(ctx, c.rdb, []string{c.o.Prefix + "lease:" + name}, holder).Err(), "release lease "+name)
}

// clientLog passes the Redis client's messages to slog as warnings.
type clientLog struct{ log *slog.Logger }

func (l clientLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client", "msg", fmt.Sprintf(format, v...))
}
