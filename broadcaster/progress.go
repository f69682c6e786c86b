package broadcaster

import (
	"context"
	"fmt"
	"time"

	"coopbot"
)

// progress edits the progress messages of running broadcasts that are due (one instance
// edits each, at most every ProgressEvery), and posts one for a scheduled broadcast that
// has none yet.
func (b *Runner) progress(ctx context.Context) {
	due, err := b.store.DueProgress(ctx, b.cfg.ProgressEvery)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("progress", "err", err)
		}
		return
	}
	for _, pm := range due {
		st, err := b.status(ctx, pm.Broadcast)
		if err != nil {
			b.log.Warn("progress", "broadcast", pm.Broadcast, "err", err)
			continue
		}
		// An edit costs a send of the account's budget: skip it when nothing shown changed
		// (a paused broadcast).
		key := fmt.Sprint(st.Status, st.Pending, st.Sent, st.Unreachable, st.Failed, st.Unknown, st.Finish.Truncate(time.Minute).Unix())
		b.mu.Lock()
		same := b.shown[pm.Broadcast] == key && pm.MessageID != 0
		b.shown[pm.Broadcast] = key
		b.mu.Unlock()
		if !same {
			b.show(ctx, pm, b.cfg.Messages.BroadcastProgress(*st, time.Now()))
		}
	}
}

// status is the broadcast's status with the estimated finish: what is left on each
// platform at the rate its account is allowed now.
func (b *Runner) status(ctx context.Context, id int64) (*coopbot.BroadcastStatus, error) {
	st, err := b.store.BroadcastStatus(ctx, id)
	if err != nil || st.Status != coopbot.BroadcastRunning {
		return st, err
	}
	left, err := b.store.PendingDeliveries(ctx, id)
	if err != nil {
		return nil, err
	}
	var longest time.Duration
	for p, n := range left {
		account := b.cfg.Sender.Account(p)
		if account == "" {
			continue
		}
		rate, err := b.cfg.Limiter.Rate(ctx, account)
		if err != nil || rate <= 0 {
			continue
		}
		longest = max(longest, time.Duration(float64(n)/rate*float64(time.Second)))
	}
	st.Finish = time.Now().Add(longest)
	return st, nil
}

// show edits a progress message, or posts a new one when there is none (or it can no
// longer be edited) and remembers it.
func (b *Runner) show(ctx context.Context, pm coopbot.ProgressMessage, reply coopbot.Reply) {
	staff := &coopbot.Resident{Platform: pm.Platform, ChatID: pm.ChatID, Lang: pm.Lang}
	if pm.MessageID != 0 {
		err := b.cfg.Sender.Edit(ctx, staff, pm.MessageID, reply)
		switch coopbot.ErrorCode(err) {
		case "", coopbot.EUnreachable, coopbot.ERateLimited, coopbot.EUnavailable, coopbot.EUncertain:
			if err != nil {
				b.log.Info("progress message not edited", "broadcast", pm.Broadcast, "err", err)
			}
			return
		}
		b.log.Info("progress message not editable, posting a new one", "broadcast", pm.Broadcast, "err", err)
	}
	msg, err := b.cfg.Sender.Post(ctx, staff, reply)
	if err != nil {
		b.log.Info("progress message not sent", "broadcast", pm.Broadcast, "err", err)
		return
	}
	if err := b.store.SetProgressMessage(ctx, pm.Broadcast, msg); err != nil {
		b.log.Warn("remember progress message", "broadcast", pm.Broadcast, "err", err)
	}
}

// report has each ended broadcast's final report queued once (the store sends it as a
// job, retried until it is sent) and shows the final counts in its progress message. It
// waits for the last progress edit to be ProgressEvery old (2 s at most), so that an edit
// still on its way cannot overwrite the final one.
func (b *Runner) report(ctx context.Context) {
	due, err := b.store.ReportEnded(ctx, min(b.cfg.ProgressEvery, 2*time.Second))
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("report", "err", err)
		}
		return
	}
	for _, pm := range due {
		b.mu.Lock()
		delete(b.shown, pm.Broadcast)
		b.mu.Unlock()
		st, err := b.store.BroadcastStatus(ctx, pm.Broadcast)
		if err != nil {
			b.log.Warn("report", "broadcast", pm.Broadcast, "err", err)
			continue
		}
		b.show(ctx, pm, b.cfg.Messages.BroadcastProgress(*st, time.Now()))
		b.log.Info("broadcast ended", "broadcast", pm.Broadcast, "status", st.Status, "total", st.Total, "sent", st.Sent,
			"unreachable", st.Unreachable, "failed", st.Failed, "unknown", st.Unknown, "cancelled", st.Cancelled)
	}
}
