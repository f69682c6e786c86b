package broadcaster

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"coopbot"
)

// claimed is a delivery this instance holds, with the broadcast it belongs to.
type claimed struct {
	coopbot.Delivery
	broadcast *coopbot.RunningBroadcast
}

// next claims up to n deliveries on platform p from the oldest running broadcast that has
// some. cursors remembers, per broadcast, the last row claimed.
func (b *Runner) next(ctx context.Context, p coopbot.Platform, n int, cursors map[int64]int64) ([]claimed, error) {
	running := b.runningBroadcasts()
	for id := range cursors {
		if !slices.ContainsFunc(running, func(a coopbot.RunningBroadcast) bool { return a.ID == id }) {
			delete(cursors, id) // ended
		}
	}
	for i := range running {
		a := &running[i]
		rows, err := b.store.ClaimDeliveries(ctx, a.ID, p, n, cursors[a.ID], b.cfg.Instance, b.cfg.ClaimTTL)
		if err != nil {
			return nil, err
		}
		if len(rows) == 0 && cursors[a.ID] > 0 {
			// Rows given back (a lost claim, a send to retry) sit behind the cursor.
			if rows, err = b.store.ClaimDeliveries(ctx, a.ID, p, n, 0, b.cfg.Instance, b.cfg.ClaimTTL); err != nil {
				return nil, err
			}
		}
		if len(rows) > 0 {
			cursors[a.ID] = rows[len(rows)-1].ID
			out := make([]claimed, len(rows))
			for j, d := range rows {
				out[j] = claimed{Delivery: d, broadcast: a}
			}
			return out, nil
		}
		delete(cursors, a.ID)
	}
	return nil, nil
}

// sendLoop delivers one platform's rows: it keeps at most Batch claimed and Concurrency
// on their way, each after its turn from the rate limiter.
func (b *Runner) sendLoop(ctx context.Context, p coopbot.Platform, account string) {
	sem := make(chan struct{}, b.cfg.Concurrency)
	freed := make(chan struct{}, 1)
	var held atomic.Int64 // claimed and not yet recorded
	var queue []claimed
	cursors := map[int64]int64{}
	defer func() {
		for range b.cfg.Concurrency {
			sem <- struct{}{} // the sends on their way are recorded
		}
	}()
	for ctx.Err() == nil {
		if until := b.troubledUntil(p); time.Now().Before(until) {
			sleepCtx(ctx, time.Until(until))
			continue
		}
		if len(queue) == 0 {
			n := b.cfg.Batch - int(held.Load())
			if n < max(1, b.cfg.Batch/2) {
				select {
				case <-freed:
				case <-ctx.Done():
				}
				continue
			}
			rows, err := b.next(ctx, p, n, cursors)
			if err != nil {
				if ctx.Err() == nil {
					b.log.Warn("claim deliveries", "platform", p, "err", err)
					sleepCtx(ctx, b.cfg.Poll)
				}
				continue
			}
			if len(rows) == 0 {
				b.idle(ctx)
				continue
			}
			held.Add(int64(len(rows)))
			queue = rows
		}
		row := queue[0]
		if row.Unreachable {
			// Marked unreachable since it was queued (by another broadcast), or gone: skipped.
			queue = queue[1:]
			b.record(row, coopbot.DeliveryUnreachable, "resident unreachable")
			held.Add(-1)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		if err := b.cfg.Limiter.Wait(ctx, account); err != nil {
			<-sem
			if ctx.Err() == nil {
				b.log.Warn("rate limiter", "platform", p, "err", err)
				sleepCtx(ctx, b.cfg.Poll)
			}
			continue
		}
		queue = queue[1:]
		go func() {
			defer func() {
				held.Add(-1)
				<-sem
				select {
				case freed <- struct{}{}:
				default:
				}
			}()
			b.deliver(ctx, p, account, row)
		}()
	}
	// Rows still queued stay claimed; Run releases them once every loop stopped.
}

// deliver sends one claimed row and records what happened.
func (b *Runner) deliver(ctx context.Context, p coopbot.Platform, account string, row claimed) {
	// Recording must survive shutdown: the send may already be on its way.
	rctx := context.WithoutCancel(ctx)
	ok, err := b.store.StartSending(rctx, row.ID, b.cfg.Instance)
	if err != nil {
		// Still claimed: it returns to pending when the claim expires.
		b.log.Warn("mark delivery sending", "delivery", row.ID, "err", err)
		return
	}
	if !ok {
		return // cancelled, or the claim was lost and taken by another instance
	}
	if row.broadcast.Plain() {
		err = b.cfg.Sender.SendText(rctx, p, row.ChatID, row.broadcast.Text(row.Lang))
	} else {
		err = b.cfg.Sender.SendAnnouncement(rctx, p, row.ChatID, row.Lang, b.cfg.Messages.Announcement(row.broadcast, row.Lang))
	}
	switch coopbot.ErrorCode(err) {
	case "":
		b.fine(p)
		b.record(row, coopbot.DeliverySent, "")
	case coopbot.EUnreachable:
		b.fine(p)
		b.record(row, coopbot.DeliveryUnreachable, errDetail(err))
	case coopbot.EUncertain:
		b.record(row, coopbot.DeliveryUnknown, errDetail(err))
	case coopbot.ERateLimited:
		var e *coopbot.Error
		errors.As(err, &e)
		pause, lerr := b.cfg.Limiter.Limited(rctx, account, e.RetryAfter)
		if lerr != nil {
			b.log.Warn("record rate limit", "platform", p, "err", lerr)
		}
		b.log.Info("platform rate limit: pausing", "platform", p, "retry_after", e.RetryAfter, "pause", pause)
		b.giveBack(row, false, errDetail(err))
	case coopbot.EUnavailable:
		b.trouble(p)
		b.giveBack(row, true, errDetail(err))
	default:
		b.record(row, coopbot.DeliveryFailed, errDetail(err))
	}
}

// errDetail is an error's text for the delivery row (tokens are redacted by the bot).
func errDetail(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// record stores a delivery's outcome, even on the way out.
func (b *Runner) record(row claimed, outcome coopbot.DeliveryOutcome, detail string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.store.RecordDelivery(ctx, row.ID, b.cfg.Instance, outcome, detail); err != nil {
		b.log.Error("record delivery", "delivery", row.ID, "outcome", outcome, "err", err)
	}
}

// giveBack returns a delivery that was surely not sent (counted: the attempt counts
// towards MaxAttempts).
func (b *Runner) giveBack(row claimed, counted bool, detail string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.store.GiveBack(ctx, row.ID, b.cfg.Instance, counted, b.cfg.MaxAttempts, detail); err != nil {
		b.log.Error("give back delivery", "delivery", row.ID, "err", err)
	}
}

// trouble backs the platform's loop off after a send that found the platform
// unreachable: 1 s, doubling to 30 s while it lasts (the sends that fail together during
// one back-off count once).
func (b *Runner) trouble(p coopbot.Platform) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Now().Before(b.troubled[p]) {
		return
	}
	d := min(max(2*b.backoff[p], time.Second), 30*time.Second)
	b.backoff[p] = d
	b.troubled[p] = time.Now().Add(d)
}

func (b *Runner) fine(p coopbot.Platform) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backoff[p] = 0
}

func (b *Runner) troubledUntil(p coopbot.Platform) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.troubled[p]
}
