package redis

import (
	"context"
	"strconv"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"
)

// The journal of a polled token: the updates its poller took in and has not finished,
// sealed like conversation states (an update may hold a national ID or a phone number).
// Kept there, an update can be confirmed to the platform at once, and the poller goes on
// polling while it is handled; a poller that starts (after a crash, or taking over the
// lease) handles first what the one before left in it. One hash per token; on a Cluster
// its hash tag is the token's.

func (c *Client) journal(account string) string { return c.o.Prefix + "journal:{" + account + "}" }

// Keep writes updates (id → the update as the platform sent it) into account's journal
// in one round trip.
func (c *Client) Keep(ctx context.Context, account string, updates map[int64][]byte) error {
	if len(updates) == 0 {
		return nil
	}
	fields := make([]any, 0, 2*len(updates))
	for id, raw := range updates {
		fields = append(fields, strconv.FormatInt(id, 10), c.seal(raw))
	}
	return wrap(c.rdb.HSet(ctx, c.journal(account), fields...).Err(), "keep updates in the journal")
}

// Finished takes finished updates out of account's journal.
func (c *Client) Finished(ctx context.Context, account string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	fields := make([]string, len(ids))
	for i, id := range ids {
		fields[i] = strconv.FormatInt(id, 10)
	}
	return wrap(c.rdb.HDel(ctx, c.journal(account), fields...).Err(), "take finished updates out of the journal")
}

// Left returns the updates left in account's journal. One that does not open (sealed
// with another key) or whose id cannot be read is dropped from it.
func (c *Client) Left(ctx context.Context, account string) (map[int64][]byte, error) {
	all, err := c.rdb.HGetAll(ctx, c.journal(account)).Result()
	if err != nil {
		return nil, wrap(err, "read the journal")
	}
	out := make(map[int64][]byte, len(all))
	var bad []string
	for field, sealed := range all {
		id, err := strconv.ParseInt(field, 10, 64)
		raw, oerr := c.open([]byte(sealed))
		if err != nil || id <= 0 || oerr != nil {
			bad = append(bad, field)
			continue
		}
		out[id] = raw
	}
	if len(bad) > 0 {
		if err := c.rdb.HDel(ctx, c.journal(account), bad...).Err(); err != nil {
			return nil, wrap(err, "drop unreadable journal entries")
		}
	}
	return out, nil
}

// Journaled counts the updates in every journal under the client's prefix, on every
// primary of a Cluster (tests wait for it to be 0: every update taken in is finished).
func (c *Client) Journaled(ctx context.Context) (int, error) {
	var n atomic.Int64
	count := func(ctx context.Context, rdb goredis.UniversalClient) error {
		iter := rdb.Scan(ctx, 0, c.o.Prefix+"journal:*", 100).Iterator()
		for iter.Next(ctx) {
			l, err := rdb.HLen(ctx, iter.Val()).Result()
			if err != nil {
				return err
			}
			n.Add(l)
		}
		return iter.Err()
	}
	var err error
	if cc, ok := c.rdb.(*goredis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error { return count(ctx, node) })
	} else {
		err = count(ctx, c.rdb)
	}
	if err != nil {
		return 0, wrap(err, "count the journals")
	}
	return int(n.Load()), nil
}
