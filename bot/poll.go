package bot

import (
	"context"
	"math/rand/v2"
	"sort"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// A poll that brought fewer than pollLingerBelow updates is followed by a pause of
// pollLinger before the next one.
const (
	pollLingerBelow = 8
	pollLinger      = 2 * time.Millisecond
)

// pollTimeout is the long-poll wait asked of getUpdates.
const pollTimeout = 10 * time.Second

// poll is the polling loop of one platform: its own loop on getUpdates with a context
// (the library's channel helper has none, retries forever and logs the token). An update
// is confirmed (offset past it) only once it and every earlier one were handled; a failed
// one is fetched again after a pause, and the ones after it that succeeded are dropped as
// duplicates then.
func (b *Bot) poll(ctx context.Context, p *platform) error {
	if b.cfg.Leases == nil {
		return b.pollHeld(ctx, p)
	}
	// Exactly one instance polls a token (a second poller would only get 409s): the others
	// stand by and take over within a lease period when the holder dies.
	name := "poll:" + p.account
	standby := false
	for ctx.Err() == nil {
		ok, err := b.cfg.Leases.AcquireLease(ctx, name, b.cfg.Holder, leaseTTL)
		if err != nil || !ok {
			if err != nil {
				p.log.Warn("poll lease unavailable", "platform", p.name, "err", err)
			} else if !standby {
				p.log.Info("another instance polls this token; standing by", "platform", p.name)
			}
			standby = true
			sleep(ctx, leaseTTL/4)
			continue
		}
		standby = false
		p.log.Info("polling", "platform", p.name, "holder", b.cfg.Holder)
		held, lost := context.WithCancel(ctx)
		go func() {
			defer lost()
			for sleep(held, leaseTTL/3) {
				ok, err := b.cfg.Leases.AcquireLease(held, name, b.cfg.Holder, leaseTTL)
				if err == nil && !ok {
					p.log.Warn("poll lease lost", "platform", p.name)
					return
				}
				if err != nil {
					p.log.Warn("poll lease not renewed", "platform", p.name, "err", err)
				}
			}
		}()
		err = b.pollHeld(held, p)
		lost()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		b.cfg.Leases.ReleaseLease(rctx, name, b.cfg.Holder)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// leaseTTL bounds how long a dead poller keeps its token from the standbys.
const leaseTTL = 9 * time.Second

// pollHeld polls while ctx lasts (the lease is held).
func (b *Bot) pollHeld(ctx context.Context, p *platform) error {
	if err := retry(ctx, p, "deleteWebhook", func() error {
		_, err := p.api.Request(tgbotapi.DeleteWebhookConfig{})
		return err
	}); err != nil {
		return err
	}
	offset := 0
	backoff := time.Second
	for ctx.Err() == nil {
		started := time.Now()
		updates, err := p.api.GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Limit: 100, Timeout: int(pollTimeout / time.Second)})
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			p.log.Warn("getUpdates failed", "platform", p.name, "err", redact(err, p.token), "retry_in", backoff)
			sleep(ctx, backoff)
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
		if len(updates) == 0 {
			// Bale documents no timeout for getUpdates: never spin on a poll that returns
			// at once.
			if time.Since(started) < 500*time.Millisecond {
				sleep(ctx, 500*time.Millisecond)
			}
			continue
		}
		next, failed := b.handleBatch(ctx, p, updates)
		offset = next
		switch {
		case failed:
			sleep(ctx, time.Second+time.Duration(rand.Int64N(int64(time.Second))))
		case len(updates) < pollLingerBelow:
			// Under steady load a poll right away would fetch one update at a time: wait
			// a moment so the next poll takes several (less CPU per update, about a
			// millisecond more latency).
			sleep(ctx, pollLinger)
		}
	}
	return nil
}

// handleBatch hands a batch to the chat workers concurrently (per-chat order is kept by the
// shards) and returns the offset that confirms everything up to the first failure.
func (b *Bot) handleBatch(ctx context.Context, p *platform, updates []tgbotapi.Update) (offset int, failed bool) {
	sort.Slice(updates, func(i, j int) bool { return updates[i].UpdateID < updates[j].UpdateID })
	// Queue in update order (that keeps each chat's order), then wait for all.
	waits := make([]<-chan error, len(updates))
	for i, u := range updates {
		waits[i] = b.enqueue(context.WithoutCancel(ctx), p, u)
	}
	offset = updates[len(updates)-1].UpdateID + 1
	failed = false
	for i, w := range waits {
		if err := <-w; err != nil && !failed {
			offset, failed = updates[i].UpdateID, true
		}
	}
	return offset, failed
}

func retry(ctx context.Context, p *platform, what string, f func() error) error {
	delay := 500 * time.Millisecond
	for {
		err := f()
		if err == nil {
			return nil
		}
		p.log.Warn(what+" failed, retrying", "platform", p.name, "err", redact(err, p.token), "in", delay)
		if !sleep(ctx, delay) {
			return ctx.Err()
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// sleep waits d or until ctx ends; it reports whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
