package redis

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"coopbot"

	goredis "github.com/redis/go-redis/v9"
)

// The send-rate limiter: one budget per bot account (platform and a hash of its token, see
// bot.Account), shared by every instance through Redis, so that several instances together
// stay within what the platform allows.
//
// It is GCRA (the generic cell rate algorithm) kept in one Redis hash per account: "tat",
// the theoretical arrival time of the next send, moves on by 1/rate per send. Bulk senders
// (broadcasts) reserve the next slot and sleep until it comes, so sends are evenly spaced
// and a late wake-up costs no throughput; conversation replies never wait, they only push
// tat on (Spent), which leaves the broadcast the rest of the budget. A rate-limit answer
// (Limited) pauses the account for everyone until its retry_after has passed, longer when
// such answers repeat without one (Bale's "bot limit exceed"), and steps the rate down;
// the rate climbs back by a tenth of the configured rate per quiet Recover period.
//
// github.com/go-redis/redis_rate implements the same algorithm, but takes whole sends per
// period, cannot push the schedule for sends that did not ask (replies), and has no pause
// or changing rate; the three steps have to be one atomic script, so the limiter keeps its
// own (short) Lua on the same model.

// RateOptions configure a RateLimiter.
type RateOptions struct {
	// Rates are the sends per second each platform's accounts allow (TELEGRAM_RATE,
	// BALE_RATE).
	Rates map[coopbot.Platform]float64
	// MinRate is the floor of the step-downs (0.5 sends a second).
	MinRate float64
	// StepDown multiplies the rate after a rate-limit answer (0.75).
	StepDown float64
	// Recover is how long the rate must go without a rate-limit answer before it climbs a
	// tenth of the configured rate back (30 s).
	Recover time.Duration
	// MaxAhead bounds how far replies may push the schedule into the future (5 s).
	MaxAhead time.Duration
	// MaxBackoff bounds the pause that repeated rate-limit answers grow to (60 s).
	MaxBackoff time.Duration
	// OnWait, when set, is told how long a Wait waited (for the metrics page).
	OnWait func(account string, waited time.Duration)
}

// RateLimiter paces sends per bot account. It is safe for concurrent use.
type RateLimiter struct {
	c *Client
	o RateOptions

	mu     sync.Mutex
	turns  map[string]chan struct{} // one local waiter per account at a time
	paused map[string]time.Time     // local copy of a pause, effective before Redis has it

	spent    map[string]int // replies counted since the last flush
	flushing bool
}

// RateLimiter returns a limiter keeping its state under this client's prefix.
func (c *Client) RateLimiter(o RateOptions) *RateLimiter {
	if o.MinRate <= 0 {
		o.MinRate = 0.5
	}
	if o.StepDown <= 0 || o.StepDown >= 1 {
		o.StepDown = 0.75
	}
	if o.Recover <= 0 {
		o.Recover = 30 * time.Second
	}
	if o.MaxAhead <= 0 {
		o.MaxAhead = 5 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	return &RateLimiter{c: c, o: o, turns: map[string]chan struct{}{}, paused: map[string]time.Time{}, spent: map[string]int{}}
}

// Time in the scripts is seconds since 2017-01-01 from Redis's own clock (as in
// redis_rate), so that every instance agrees whatever its clock says.
const rateLua = `
local function now()
  local t = redis.call('TIME')
  return (tonumber(t[1]) - 1483228800) + tonumber(t[2]) / 1000000
end
-- current rate: the stored one, climbed back by a step per quiet recover period
local function rate(key, t, cfg, recover)
  local r = tonumber(redis.call('HGET', key, 'rate') or '')
  if r == nil or r >= cfg then return cfg end
  local changed = tonumber(redis.call('HGET', key, 'changed') or '') or t
  local steps = math.floor((t - changed) / recover)
  if steps > 0 then
    r = math.min(cfg, r + steps * cfg / 10)
    redis.call('HSET', key, 'rate', tostring(r), 'changed', tostring(changed + steps * recover))
  end
  return r
end
`

// reserveScript takes the next send slot of an account. ARGV: configured rate, recover
// seconds, mode ("reserve": a bulk send that waits for its slot; "spend": a reply already
// sent), max ahead seconds. Returns {kind, seconds, rate}: kind "pause" (seconds until the
// pause ends; nothing reserved) or "slot" (seconds until the reserved slot).
var reserveScript = goredis.NewScript(rateLua + `
local key = KEYS[1]
local cfg, recover, mode, ahead = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local t = now()
local pause = tonumber(redis.call('HGET', key, 'pause') or '') or 0
if mode == 'reserve' and pause > t then
  return {'pause', tostring(pause - t), '0'}
end
local r = rate(key, t, cfg, recover)
local tat = tonumber(redis.call('HGET', key, 'tat') or '') or t
if tat < t then tat = t end
local slot = tat
local n = tonumber(ARGV[5] or '1') or 1
local nxt = tat + n / r
if mode == 'spend' then
  slot = t
  if nxt > t + ahead then nxt = t + ahead end
end
redis.call('HSET', key, 'tat', tostring(nxt))
redis.call('EXPIRE', key, 86400)
return {'slot', tostring(slot - t), tostring(r)}
`)

// pausedScript returns the seconds left of an account's pause (0 when none).
var pausedScript = goredis.NewScript(rateLua + `
local t = now()
local pause = tonumber(redis.call('HGET', KEYS[1], 'pause') or '') or 0
if pause > t then return tostring(pause - t) end
return '0'
`)

// limitedScript records a rate-limit answer. ARGV: configured rate, retry after seconds,
// minimum rate, step down factor, max backoff seconds, recover seconds. An answer that
// arrives while the account is already paused (other sends that were on the way) only
// lengthens the pause if it asks for more. Otherwise strikes within twice the last pause
// (plus 10 s) grow the pause 0, 1, 3, 7, 15 … s beyond what retry_after asks, and the rate
// steps down (its climb back counts from the end of the pause). Returns {pause seconds,
// new rate}.
var limitedScript = goredis.NewScript(rateLua + `
local key = KEYS[1]
local cfg, retry, minr, down, maxb, recover = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local t = now()
local pause = tonumber(redis.call('HGET', key, 'pause') or '') or 0
if pause > t then
  if t + retry > pause then
    pause = t + retry
    redis.call('HSET', key, 'pause', tostring(pause))
    local tat = tonumber(redis.call('HGET', key, 'tat') or '') or t
    if tat < pause then redis.call('HSET', key, 'tat', tostring(pause)) end
  end
  return {tostring(pause - t), redis.call('HGET', key, 'rate') or tostring(cfg)}
end
local last = tonumber(redis.call('HGET', key, 'strike_at') or '') or 0
local strikes = tonumber(redis.call('HGET', key, 'strikes') or '') or 0
local span = tonumber(redis.call('HGET', key, 'span') or '') or 0
if t - last <= 2 * span + 10 then strikes = strikes + 1 else strikes = 1 end
local wait = math.max(retry, math.min(maxb, 2 ^ (strikes - 1) - 1))
pause = t + wait
local r = math.max(minr, rate(key, t, cfg, recover) * down)
local tat = tonumber(redis.call('HGET', key, 'tat') or '') or t
if tat < pause then tat = pause end
redis.call('HSET', key, 'pause', tostring(pause), 'rate', tostring(r), 'changed', tostring(pause),
  'strikes', tostring(strikes), 'strike_at', tostring(t), 'span', tostring(wait), 'tat', tostring(tat))
redis.call('EXPIRE', key, 86400)
return {tostring(wait), tostring(r)}
`)

// rateScript returns an account's current rate.
var rateScript = goredis.NewScript(rateLua + `
return tostring(rate(KEYS[1], now(), tonumber(ARGV[1]), tonumber(ARGV[2])))
`)

func (l *RateLimiter) key(account string) string { return l.c.o.Prefix + "rate:" + account }

// configured returns the configured rate of an account's platform.
func (l *RateLimiter) configured(account string) (float64, error) {
	p, _, _ := strings.Cut(account, ":")
	r := l.o.Rates[coopbot.Platform(p)]
	if r <= 0 {
		return 0, fmt.Errorf("rate limiter: no rate configured for %q", p)
	}
	return r, nil
}

// turn lets one goroutine per account wait for a slot at a time, so that waiters do not
// all poll Redis; it returns the function that ends the turn.
func (l *RateLimiter) turn(ctx context.Context, account string) (func(), error) {
	l.mu.Lock()
	ch := l.turns[account]
	if ch == nil {
		ch = make(chan struct{}, 1)
		l.turns[account] = ch
	}
	l.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *RateLimiter) localPause(account string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Until(l.paused[account])
}

// Wait blocks until one bulk send may go out on account, or ctx ends: while the account is
// paused, and until the next free slot of its rate.
func (l *RateLimiter) Wait(ctx context.Context, account string) error {
	cfg, err := l.configured(account)
	if err != nil {
		return err
	}
	if l.o.OnWait != nil {
		start := time.Now()
		defer func() {
			if waited := time.Since(start); waited > time.Millisecond {
				l.o.OnWait(account, waited)
			}
		}()
	}
	done, err := l.turn(ctx, account)
	if err != nil {
		return err
	}
	defer done()
	key := l.key(account)
	forfeited := false
	for {
		if d := l.localPause(account); d > 0 {
			if err := sleepFor(ctx, d); err != nil {
				return err
			}
			continue
		}
		asked := time.Now()
		res, err := reserveScript.Run(ctx, l.c.rdb, []string{key}, cfg, l.o.Recover.Seconds(), "reserve", l.o.MaxAhead.Seconds()).StringSlice()
		if err != nil {
			return wrap(err, "rate limit wait")
		}
		d := seconds(res[1])
		if res[0] == "pause" {
			if err := sleep(ctx, d); err != nil {
				return err
			}
			continue
		}
		if d <= 0 {
			return nil
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
		// A wake-up that came a whole interval late (a busy machine) would bunch this
		// send with the next ones: the slot is forfeit and another taken, once, so that
		// sends keep within one interval of their slots.
		due := asked.Add(time.Duration(d * float64(time.Second)))
		if r := seconds(res[2]); !forfeited && r > 0 && time.Since(due) > time.Duration(float64(time.Second)/r) {
			forfeited = true
			continue
		}
		// A pause may have begun while this slot was coming: the slot is then forfeit
		// (the pause moved the schedule past it anyway).
		if l.localPause(account) > 0 {
			continue
		}
		left, err := pausedScript.Run(ctx, l.c.rdb, []string{key}).Text()
		if err != nil {
			return wrap(err, "rate limit wait")
		}
		if seconds(left) <= 0 {
			return nil
		}
	}
}

// Spent counts a send that went out without waiting (a conversation reply): bulk sends
// leave its slot to it. It returns at once; the count reaches Redis in the background.
func (l *RateLimiter) Spent(account string) {
	if _, err := l.configured(account); err != nil {
		return
	}
	// Replies are counted here and pushed to Redis together every spendFlush, so that a
	// reply costs no Redis round trip of its own.
	l.mu.Lock()
	l.spent[account]++
	if !l.flushing {
		l.flushing = true
		go l.flushSpent()
	}
	l.mu.Unlock()
}

// spendFlush is how often counted replies are pushed to the shared schedule.
const spendFlush = 100 * time.Millisecond

func (l *RateLimiter) flushSpent() {
	for {
		time.Sleep(spendFlush)
		l.mu.Lock()
		spent := l.spent
		l.spent = map[string]int{}
		if len(spent) == 0 {
			l.flushing = false
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		for account, n := range spent {
			cfg, err := l.configured(account)
			if err != nil {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			reserveScript.Run(ctx, l.c.rdb, []string{l.key(account)}, cfg, l.o.Recover.Seconds(), "spend", l.o.MaxAhead.Seconds(), n)
			cancel()
		}
	}
}

// Limited records a rate-limit answer (429 with retry_after, or Bale's flood answers):
// nothing goes out on account until the pause has passed, on this instance at once and on
// the others as soon as Redis has it; the rate steps down. It returns the pause. ctx only
// bounds the Redis call.
func (l *RateLimiter) Limited(ctx context.Context, account string, retryAfter time.Duration) (time.Duration, error) {
	cfg, err := l.configured(account)
	if err != nil {
		return 0, err
	}
	retryAfter = max(retryAfter, 0)
	l.setLocalPause(account, retryAfter)
	res, err := limitedScript.Run(ctx, l.c.rdb, []string{l.key(account)}, cfg, retryAfter.Seconds(), l.o.MinRate,
		l.o.StepDown, l.o.MaxBackoff.Seconds(), l.o.Recover.Seconds()).StringSlice()
	if err != nil {
		return retryAfter, wrap(err, "rate limit record")
	}
	pause := time.Duration(seconds(res[0]) * float64(time.Second))
	l.setLocalPause(account, pause)
	return pause, nil
}

// LimitedAsync is Limited for callers that must not wait (the bot's Meter).
func (l *RateLimiter) LimitedAsync(account string, retryAfter time.Duration) {
	l.setLocalPause(account, retryAfter)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		l.Limited(ctx, account, retryAfter)
	}()
}

func (l *RateLimiter) setLocalPause(account string, d time.Duration) {
	until := time.Now().Add(d)
	l.mu.Lock()
	if until.After(l.paused[account]) {
		l.paused[account] = until
	}
	l.mu.Unlock()
}

// Rate returns the sends per second account is allowed now (the configured rate, or less
// after rate-limit answers).
func (l *RateLimiter) Rate(ctx context.Context, account string) (float64, error) {
	cfg, err := l.configured(account)
	if err != nil {
		return 0, err
	}
	s, err := rateScript.Run(ctx, l.c.rdb, []string{l.key(account)}, cfg, l.o.Recover.Seconds()).Text()
	if err != nil {
		return 0, wrap(err, "rate limit rate")
	}
	return seconds(s), nil
}

// Meter adapts the limiter to the bot's Meter: replies are counted, their rate-limit
// answers pause bulk sends.
func (l *RateLimiter) Meter() ReplyMeter { return ReplyMeter{l} }

// ReplyMeter is the limiter as the bot sees it (bot.Meter): it never blocks.
type ReplyMeter struct{ l *RateLimiter }

// Spent counts a reply sent outside the limiter.
func (m ReplyMeter) Spent(account string) { m.l.Spent(account) }

// Limited records a rate-limit answer to a reply.
func (m ReplyMeter) Limited(account string, retryAfter time.Duration) {
	m.l.LimitedAsync(account, retryAfter)
}

func seconds(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0
	}
	return f
}

func sleep(ctx context.Context, seconds float64) error {
	return sleepFor(ctx, time.Duration(seconds*float64(time.Second)))
}

func sleepFor(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
