package bot

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"coopbot"
	"coopbot/flows"
)

// One update goes through a chain of layers, each of the shape func(next handler) handler,
// applied in one place (New): recover → metrics and log → answer the button press → turn
// (lock, state, engine, send, save). What becomes of the update after an attempt (done,
// again later, or given up and recorded) is decided once, by settle.

// handler handles one attempt at one update.
type handler func(ctx context.Context, r *request) error

// middleware wraps a handler in a layer.
type middleware func(next handler) handler

// chain applies the layers to h, the first outermost.
func chain(h handler, layers ...middleware) handler {
	for i := len(layers) - 1; i >= 0; i-- {
		h = layers[i](h)
	}
	return h
}

// request is one attempt at one update, as the layers see it.
type request struct {
	p       *platform
	up      flows.Update
	attempt int // 1 for the first
	log     updateLog
	stored  []byte       // the conversation state, once the turn has begun
	lang    coopbot.Lang // the reader's language, once the engine has run
	outcome string       // set by the layer that decides it (duplicate, flooded); else by observe
	pressed bool         // the button press was answered
	forget  bool         // the engine asked to drop the conversation (the person's data was erased)
}

func (b *Bot) newRequest(p *platform, up flows.Update) *request {
	up.Account = p.account // effects are recorded per bot account: update ids restart with a new bot
	return &request{p: p, up: up, attempt: b.marks.attempt(p.name, up.ID), log: updateLog{b.log, p.name, up.ID, up.ChatID}}
}

// answer answers the button press (once; nothing for other updates).
func (r *request) answer(text string) {
	if r.up.Kind != flows.KindCallback || r.pressed {
		return
	}
	r.pressed = true
	r.p.answer(r.up.CallbackID, text)
}

// language is the reader's language as far as it is known.
func (b *Bot) language(r *request) coopbot.Lang {
	if r.lang.Valid() {
		return r.lang
	}
	return b.engine.Lang(r.stored)
}

// panicError is a panic recovered while handling an update.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// finalError is a failure that trying again cannot mend (a bug in a step, a message that
// does not render): the update is given up at once.
type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }

// isOutage reports an error after which the same update can succeed later: a dependency
// did not answer, the platform asked to wait, a send's fate is unknown.
func isOutage(err error) bool {
	switch coopbot.ErrorCode(err) {
	case coopbot.EUnavailable, coopbot.ERateLimited, coopbot.EUncertain:
		return true
	}
	return false
}

// recoverer turns a panic anywhere below into an error and logs it with its stack.
func (b *Bot) recoverer(next handler) handler {
	return func(ctx context.Context, r *request) (err error) {
		defer func() {
			if v := recover(); v != nil {
				pe := &panicError{value: v, stack: debug.Stack()}
				r.log.Error("update handling panicked", "panic", fmt.Sprint(v), "attempt", r.attempt, "stack", string(pe.stack))
				err = pe
			}
		}()
		return next(ctx, r)
	}
}

// observe counts the attempt by outcome, with its time, and logs it. A panic passing
// through is counted as failed (recoverer, outside, logs it). An update that took longer
// than slowUpdate is logged.
func (b *Bot) observe(next handler) handler {
	return func(ctx context.Context, r *request) error {
		start := time.Now()
		returned := false
		defer func() {
			if !returned {
				r.outcome = outcomeFailed
			}
			b.metrics.Update(r.p.name, r.outcome, time.Since(start))
		}()
		err := next(ctx, r)
		returned = true
		if took := time.Since(start); took > slowUpdate {
			// A button's data names the step (never anything the person typed).
			r.log.Warn("slow update", "took", took.Round(time.Millisecond), "kind", kindName(r.up.Kind), "button", buttonData(r.up))
		}
		switch {
		case err == nil:
			if r.outcome == "" {
				r.outcome = outcomeHandled
			}
			r.log.Debug("update " + r.outcome)
		case isOutage(err):
			r.outcome = outcomeUnavailable
			r.log.Warn("update not handled", "err", err, "attempt", r.attempt)
		default:
			r.outcome = outcomeFailed
			r.log.Error("update failed", "err", err, "attempt", r.attempt)
		}
		return err
	}
}

// answerPress answers a button press however the attempt ends, so the client's spinner
// stops.
func (b *Bot) answerPress(next handler) handler {
	return func(ctx context.Context, r *request) error {
		defer r.answer("")
		return next(ctx, r)
	}
}

// finishTimeout is the time left after an update's deadline to save or release its turn
// and tell the resident, so that a step that ran out of time still ends cleanly.
const finishTimeout = 5 * time.Second

// lockWait bounds the wait for a chat another instance is answering (or that a killed
// instance left locked): the update is then refused and comes again, while the other chats
// go on.
const lockWait = 5 * time.Second

// turn handles the update in its conversation. It has one exit: the turn is saved (the
// update recorded as handled) or released, also when a step panics.
func (b *Bot) turn(ctx context.Context, r *request) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.HandleTimeout)
	defer cancel()
	up := r.up
	bctx, bcancel := context.WithTimeout(ctx, min(lockWait, b.cfg.HandleTimeout))
	t, err := b.begin(bctx, up.Platform, up.ChatID, up.UserID, up.ID)
	bcancel()
	if err != nil {
		if isOutage(err) {
			b.tellOnce(r, "error.unavailable") // nothing is known of the reader yet: Persian
		}
		return fmt.Errorf("begin turn: %w", err)
	}
	r.stored = t.State()
	// fctx finishes the turn even when ctx has run out.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.HandleTimeout+finishTimeout)
	defer fcancel()
	finished := false
	defer func() {
		if !finished { // a panic in the step: free the chat for the next update
			t.Abort(fctx)
		}
	}()
	save, state, err := b.step(ctx, r, t)
	finished = true
	if !save {
		if aerr := t.Abort(fctx); aerr != nil {
			r.log.Warn("chat lock not released", "err", aerr)
		}
		return err
	}
	saved, cerr := b.save(fctx, r, t, state)
	if cerr != nil {
		return errors.Join(err, fmt.Errorf("state not saved: %w", cerr))
	}
	if !saved {
		r.log.Warn("chat lock expired before the update finished; state not saved")
	}
	return err
}

// save commits the turn. The replies are sent by now, so a Redis outage here is waited out
// (with backoff, until ctx ends) instead of given up: an update handled again would send
// them a second time, and the chat would stay locked by this turn until the lock expires.
func (b *Bot) save(ctx context.Context, r *request, t Turn, state []byte) (bool, error) {
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		var saved bool
		var err error
		if r.forget {
			saved, err = t.Forget(ctx)
		} else {
			saved, err = t.Commit(ctx, state)
		}
		if err == nil || !isOutage(err) {
			return saved, err
		}
		if attempt == 1 {
			r.log.Warn("turn not saved yet: Redis away; trying again", "err", err)
		}
		select {
		case <-ctx.Done():
			return saved, err
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// step runs the engine and sends the replies. It says whether to save the turn (with
// state; nil keeps the old one) or release it.
func (b *Bot) step(ctx context.Context, r *request, t Turn) (save bool, state []byte, err error) {
	up := r.up
	if t.Duplicate() {
		r.outcome = outcomeDuplicate
		return false, nil, nil
	}
	if n := t.Recent(); n > b.cfg.FloodLimit {
		// One person sending far more than anyone types: their updates are dropped (the
		// first time with a note), so they cannot slow the bot down for others.
		r.outcome = outcomeFlooded
		if n == b.cfg.FloodLimit+1 {
			b.note(ctx, r, "error.flood")
		}
		r.log.Info("update dropped: flood", "recent", n)
		return false, nil, nil
	}
	res, err := b.engine.Handle(ctx, t.State(), up)
	r.lang, r.forget = res.Lang, res.Forget
	if err != nil {
		if isOutage(err) || ctx.Err() != nil {
			// Not handled: the platform (or the poll loop) brings it again.
			b.tellOnce(r, "error.unavailable")
			if !isOutage(err) {
				err = &coopbot.Error{Code: coopbot.EUnavailable, Err: fmt.Errorf("update took longer than %s: %w", b.cfg.HandleTimeout, err)}
			}
			return false, nil, err
		}
		// A bug: keep the old state, record the update as handled, give it up.
		return true, nil, &finalError{fmt.Errorf("engine: %w", err)}
	}
	out, err := b.renderAll(res)
	if err != nil {
		return true, nil, &finalError{err}
	}
	if err := b.deliver(ctx, r, out); err != nil {
		if isOutage(err) || ctx.Err() != nil {
			// The same update comes again and is answered then (a reply whose fate is
			// unknown may then arrive twice).
			if !isOutage(err) {
				err = &coopbot.Error{Code: coopbot.EUnavailable, Err: err}
			}
			return false, nil, fmt.Errorf("reply not sent: %w", err)
		}
		// Blocked by the person, or refused by the platform: nothing to try again.
		r.log.Warn("reply refused by the platform", "err", err)
	}
	return true, res.State, nil
}

// maxFailures is how often an update may fail for a reason that is not an outage before
// it is given up.
const maxFailures = 3

// settle decides what becomes of an update after an attempt: finished (confirm it), or
// again later (false). An update that panicked, failed for good, or failed maxFailures
// times for a reason that is not an outage is given up: logged, recorded, the resident
// told, and finished. Outages are tried again for as long as they last.
func (b *Bot) settle(r *request, err error) (finished bool) {
	if err == nil {
		b.marks.forget(r.p.name, r.up.ID)
		return true
	}
	var pe *panicError
	var fe *finalError
	switch {
	case errors.As(err, &pe), errors.As(err, &fe):
	case isOutage(err):
		return false
	default:
		if b.marks.fail(r.p.name, r.up.ID) < maxFailures {
			return false
		}
	}
	b.giveUp(r, err)
	return true
}

// buttonData is a pressed button's data, cut short, for logs; "" for other updates.
func buttonData(up flows.Update) string {
	if up.Kind != flows.KindCallback {
		return ""
	}
	d := up.Data
	if len(d) > 32 {
		d = d[:32]
	}
	return strings.ToValidUTF8(d, "?")
}

// slowUpdate is how long an update may take before it is logged as slow.
const slowUpdate = time.Second

// recordTimeout bounds recording a failed update.
const recordTimeout = 3 * time.Second

// giveUp records an update the bot will not try again and tells the resident, once.
func (b *Bot) giveUp(r *request, err error) {
	r.log.Error("update given up", "err", err, "attempts", r.attempt, "kind", kindName(r.up.Kind))
	if b.cfg.Failures != nil {
		ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
		if rerr := b.cfg.Failures.RecordFailedUpdate(ctx, r.p.name, r.up.ID, kindName(r.up.Kind), err.Error(), r.attempt); rerr != nil {
			r.log.Error("failed update not recorded", "err", rerr)
		}
		cancel()
	}
	b.tellOnce(r, "error.internal")
	b.marks.forget(r.p.name, r.up.ID)
}

// kindName names an update's kind in records and logs (never its content).
func kindName(k flows.Kind) string {
	switch k {
	case flows.KindText:
		return "text"
	case flows.KindCallback:
		return "button"
	case flows.KindContact:
		return "contact"
	case flows.KindLocation:
		return "location"
	}
	return "other"
}

// tellOnce tells the resident a note (error.unavailable, error.internal) at most once per
// update: the update may come again several times, the note should not.
func (b *Bot) tellOnce(r *request, id string) {
	if !b.marks.tell(r.p.name, r.up.ID, id) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
	defer cancel()
	b.note(ctx, r, id)
}

// note tells the resident something went wrong, best effort, in their language.
func (b *Bot) note(ctx context.Context, r *request, id string) {
	rr, err := render(b.cat, b.language(r), coopbot.Text(coopbot.M(id)))
	if err == nil {
		r.p.send(ctx, r.up.ChatID, 0, rr)
	}
	r.answer("")
}

// marks remembers, per update still being tried, how often it was tried and failed and
// which notes its resident got. Entries go when the update is settled; the map is bounded.
type marks struct {
	mu sync.Mutex
	m  map[string]*mark
}

type mark struct {
	attempts, failures int
	told               []string
}

const maxMarks = 10000

func (ms *marks) get(p coopbot.Platform, id int64) *mark {
	key := string(p) + ":" + strconv.FormatInt(id, 10)
	m := ms.m[key]
	if m == nil {
		if len(ms.m) >= maxMarks {
			clear(ms.m) // far more updates failing at once than ever expected: start over
		}
		m = &mark{}
		ms.m[key] = m
	}
	return m
}

// attempt counts an attempt and returns its number.
func (ms *marks) attempt(p coopbot.Platform, id int64) int {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	m := ms.get(p, id)
	m.attempts++
	return m.attempts
}

// fail counts a failure that is not an outage and returns how many there were.
func (ms *marks) fail(p coopbot.Platform, id int64) int {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	m := ms.get(p, id)
	m.failures++
	return m.failures
}

// tell reports whether note id is still to be told for this update, and marks it told.
func (ms *marks) tell(p coopbot.Platform, id int64, note string) bool {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	m := ms.get(p, id)
	for _, t := range m.told {
		if t == note {
			return false
		}
	}
	m.told = append(m.told, note)
	return true
}

func (ms *marks) forget(p coopbot.Platform, id int64) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	delete(ms.m, string(p)+":"+strconv.FormatInt(id, 10))
}
