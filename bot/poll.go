package bot

import (
	"context"
	"maps"
	"slices"
	"time"

	"coopbot/flows"

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
// is confirmed (offset past it) only once it and every earlier one were finished: handled,
// or given up and recorded.
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
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), confirmTimeout)
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

// repollEvery is the pause before polling again when a poll brought only updates already
// taken (some are still being handled, or wait to be tried again), unless one finishes
// sooner. getUpdates answers at once then, so this is what bounds the polling rate; it is
// also the most a new update waits to be fetched meanwhile.
const repollEvery = 25 * time.Millisecond

// batchWait bounds the wait for the updates of one poll before polling again: normally
// they finish sooner and the next poll brings only new updates; when one is slow or
// stuck, the others' chats are not held up longer than this.
const batchWait = 50 * time.Millisecond

// confirmTimeout bounds the last getUpdates on the way out, which confirms what finished,
// and the release of the poll lease.
const confirmTimeout = 1500 * time.Millisecond

// pollHeld polls while ctx lasts (the lease is held). It keeps fetching while earlier
// updates are handled (each conversation in its own queue) and confirms the watermark: the
// lowest update id not finished yet.
//
// Bound: getUpdates answers at most 100 updates from the confirmed offset on, so while one
// update is unfinished (its chat locked by a dead instance: up to the lock's 30 s; an
// outage: as long as it lasts) at most 99 later updates are taken past it; when those are
// handled too, later ones wait until the stuck update is finished or given up.
func (b *Bot) pollHeld(ctx context.Context, p *platform) error {
	if err := retry(ctx, p, "deleteWebhook", func() error {
		_, err := p.api.Request(tgbotapi.DeleteWebhookConfig{})
		return err
	}); err != nil {
		return err
	}
	in := newIntake(ctx, b, p)
	defer b.stopPolling(p, in)
	if !b.resume(ctx, p, in) {
		return nil
	}
	backoff := time.Second
	journalDown := false
	unreadable := 0 // consecutive polls ending in an update whose id could not be read
	for ctx.Err() == nil {
		started := time.Now()
		offset := in.watermark()
		list, err := p.getUpdates(ctx, offset, 100, pollTimeout)
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
		if len(list) == 0 {
			// Bale documents no timeout for getUpdates: never spin on a poll that returns
			// at once.
			if time.Since(started) < 500*time.Millisecond {
				sleep(ctx, 500*time.Millisecond)
			}
			continue
		}
		var fresh []flows.Update
		raws := map[int64][]byte{}
		prevNew := offset > in.highest() // the update before this one was not taken before
		endsUnreadable := false
		for i, raw := range list {
			if id := updateID(raw); id > 0 && id <= in.highest() {
				prevNew = false
				continue // taken already: not decoded again
			}
			id, u, err := parseUpdate(raw)
			if id == 0 {
				// Not even its id can be read: skipped; the offset moves past it with a
				// later update. Logged once: when the one before it was new, or the first
				// time it ends a list.
				if prevNew && !(i == 0 && unreadable > 0) {
					p.log.Warn("malformed update skipped", "platform", p.name, "err", err)
					b.metrics.Update(p.name, outcomeMalformed, 0)
				}
				endsUnreadable = i == len(list)-1
				continue
			}
			if prevNew = !in.taken(id); !prevNew {
				continue
			}
			if err != nil {
				p.log.Warn("malformed update skipped", "platform", p.name, "update_id", id, "err", err)
				b.metrics.Update(p.name, outcomeMalformed, 0)
				continue
			}
			up, ok := decode(p.name, u)
			if !ok {
				b.metrics.Update(p.name, outcomeIgnored, 0) // not something the bot reads (channel posts, group chats, no sender, …)
				continue
			}
			fresh = append(fresh, up)
			raws[up.ID] = raw
		}
		if endsUnreadable {
			unreadable++
		} else {
			unreadable = 0
		}
		// In the journal, this poll's updates are confirmed by the next poll, at once.
		journaled := false
		if b.cfg.Journal != nil && len(fresh) > 0 {
			jctx, cancel := context.WithTimeout(ctx, journalTimeout)
			err := b.cfg.Journal.Keep(jctx, p.account, raws)
			cancel()
			switch {
			case err == nil:
				journaled = true
				if journalDown {
					p.log.Info("journal reachable again: updates confirmed as they are taken", "platform", p.name)
				}
				journalDown = false
			case !journalDown:
				p.log.Warn("journal unavailable: updates confirmed once finished", "platform", p.name, "err", err)
				journalDown = true
			}
		}
		in.newBatch(len(fresh))
		for _, up := range fresh {
			if !in.take(ctx, up, journaled) {
				return nil
			}
		}
		if len(fresh) == 0 {
			// Only updates already taken: wait for one to finish (the watermark may move)
			// or a moment, so a new update is fetched soon but the loop does not spin.
			t := time.NewTimer(max(repollEvery, time.Duration(min(unreadable, 40))*repollEvery))
			select {
			case <-ctx.Done():
			case <-in.changed:
				sleep(ctx, pollLinger) // let the updates finishing together go in one poll
			case <-t.C:
			}
			t.Stop()
			continue
		}
		if !journaled {
			// Wait for this poll's updates, so that the next poll brings new ones rather
			// than these again, but at most batchWait: a slow or stuck update holds up only
			// itself.
			t := time.NewTimer(batchWait)
			select {
			case <-ctx.Done():
			case <-in.batchDone:
			case <-t.C:
			}
			t.Stop()
		}
		if len(fresh) < pollLingerBelow {
			// Under steady load a poll right away would fetch one update at a time: wait
			// a moment so the next poll takes several (less CPU per update, about a
			// millisecond more latency).
			sleep(ctx, pollLinger)
		}
	}
	return nil
}

// journalTimeout bounds a write to or read of the journal.
const journalTimeout = 2 * time.Second

// resume takes in what the poller before left in the journal (it crashed, or lost its
// lease), oldest first, before the first poll: each is handled, or found handled already.
// While the journal cannot be read it waits: what is there was confirmed to the platform
// and comes from nowhere else. It reports false when ctx ended first.
func (b *Bot) resume(ctx context.Context, p *platform, in *intake) bool {
	if b.cfg.Journal == nil {
		return true
	}
	backoff := 500 * time.Millisecond
	var left map[int64][]byte
	for {
		jctx, cancel := context.WithTimeout(ctx, journalTimeout)
		var err error
		left, err = b.cfg.Journal.Left(jctx, p.account)
		cancel()
		if err == nil {
			break
		}
		p.log.Warn("journal unreadable; waiting for it before polling", "platform", p.name, "err", err)
		if !sleep(ctx, backoff) {
			return false
		}
		backoff = min(backoff*2, 5*time.Second)
	}
	if len(left) == 0 {
		return true
	}
	ids := slices.Sorted(maps.Keys(left))
	p.log.Info("resuming the updates left in the journal", "platform", p.name, "updates", len(ids))
	var drop []int64
	for _, id := range ids {
		_, u, err := parseUpdate(left[id])
		up, ok := decode(p.name, u)
		if err != nil || !ok {
			drop = append(drop, id)
			continue
		}
		in.replayed[id] = struct{}{}
		if !in.take(ctx, up, true) {
			return false
		}
	}
	if len(drop) > 0 {
		jctx, cancel := context.WithTimeout(ctx, journalTimeout)
		if err := b.cfg.Journal.Finished(jctx, p.account, drop); err != nil {
			p.log.Warn("unreadable journal entries not dropped", "platform", p.name, "err", err)
		}
		cancel()
	}
	return true
}

// stopPolling lets the updates taken in finish (at most DrainTimeout), then confirms the
// watermark, so the next poller does not get them again (those in the journal it finds
// there).
func (b *Bot) stopPolling(p *platform, in *intake) {
	if !in.drain(b.cfg.DrainTimeout) {
		p.log.Warn("updates still in flight on the way out: left for the next process", "platform", p.name)
	}
	in.stopForgetting(confirmTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), confirmTimeout)
	defer cancel()
	if _, err := p.getUpdates(ctx, in.watermark(), 1, 0); err != nil {
		p.log.Info("last offset not confirmed", "platform", p.name, "err", redact(err, p.token))
	}
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
