package coopbot

import (
	"context"
	"strconv"
	"sync/atomic"
)

// Cause names the update that causes what a conversation step commits: the platform, the
// bot account it reached (update ids restart when a bot is replaced) and the update id.
// Platforms deliver every update at least once and a process may die between committing a
// step and sending its reply, so every effect a step commits is recorded under its cause:
// handling the same update again finds the effect instead of repeating it, and the reply
// is built from what was committed the first time.
type Cause struct {
	Platform Platform
	Account  string
	UpdateID int64
	// UserID is who sent the update (not part of Key): an erasure of their data also
	// empties what their updates' effects stored.
	UserID int64
}

// Key is the cause as one string, for storage.
func (c Cause) Key() string {
	return string(c.Platform) + ":" + c.Account + ":" + strconv.FormatInt(c.UpdateID, 10)
}

// User is the sender as 'platform:user_id', "" when not known.
func (c Cause) User() string {
	if c.UserID == 0 {
		return ""
	}
	return UserRef{Platform: c.Platform, UserID: c.UserID}.String()
}

// causeKey is the context key of the update being handled.
type causeKey struct{}

// causeSeq counts the effects of one handling of an update. A step that commits twice
// (rare) gets two records; handling the update again runs the same steps in the same
// order, so the n-th effect finds the n-th record.
type causeSeq struct {
	cause Cause
	n     atomic.Int32
}

// WithCause returns a context in which store writes are recorded under c. Each handling
// of an update starts its count afresh.
func WithCause(ctx context.Context, c Cause) context.Context {
	return context.WithValue(ctx, causeKey{}, &causeSeq{cause: c})
}

// CauseOf returns the cause of ctx; ok is false outside the handling of an update.
func CauseOf(ctx context.Context) (c Cause, ok bool) {
	s, _ := ctx.Value(causeKey{}).(*causeSeq)
	if s == nil {
		return Cause{}, false
	}
	return s.cause, true
}

// NextEffect returns the cause of ctx and the number of the effect about to be committed
// (1, 2, …); ok is false outside the handling of an update (jobs, the console's own
// idempotency, tests of a store).
func NextEffect(ctx context.Context) (c Cause, n int, ok bool) {
	s, _ := ctx.Value(causeKey{}).(*causeSeq)
	if s == nil {
		return Cause{}, 0, false
	}
	return s.cause, int(s.n.Add(1)), true
}
