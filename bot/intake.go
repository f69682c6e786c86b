package bot

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"coopbot/flows"
)

// intake takes in the polled updates of one platform: one queue per conversation (chat and
// user), worked by a goroutine of its own that exists while the queue has updates, so a
// slow or stuck conversation holds up only itself. An update that must be tried again (an
// outage) stays at the head of its queue and is tried after a backoff, keeping the order of
// that conversation while the others go on.
//
// The offset the poll loop confirms is a watermark: the lowest update id not finished yet.
// Updates above it that finished come again from getUpdates until the watermark passes
// them; they are recognised as taken (every id up to the highest taken one was taken) and
// skipped.
type intake struct {
	b   *Bot
	p   *platform
	ctx context.Context // ends when polling stops: retries give up, queued updates are tried once

	mu       sync.Mutex
	chats    map[convKey]*queue
	inFlight map[int64]struct{} // taken, not finished
	left     int64              // the lowest id left unfinished on the way out (MaxInt64: none)
	top      int64              // the highest id taken (or skipped); 0 before the first
	changed  chan struct{}      // signalled when an update finishes
	wg       sync.WaitGroup     // conversation goroutines

	// The updates the last poll brought: polling again waits for them (or batchWait), so
	// that a poll normally brings only new updates, not again the ones still in flight.
	batch     int // generation of the last poll's updates
	batchLeft int
	batchDone chan struct{} // signalled when the last poll's updates all finished
}

type convKey struct{ chat, user int64 }

type queue struct{ items []*queued }

type queued struct {
	up    flows.Update
	batch int
}

func newIntake(ctx context.Context, b *Bot, p *platform) *intake {
	return &intake{b: b, p: p, ctx: ctx, chats: map[convKey]*queue{}, inFlight: map[int64]struct{}{},
		left: math.MaxInt64, changed: make(chan struct{}, 1), batchDone: make(chan struct{}, 1)}
}

// watermark is the offset to confirm: every update below it is finished.
func (in *intake) watermark() int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	w := min(in.top+1, in.left)
	for id := range in.inFlight {
		w = min(w, id)
	}
	return w
}

// highest is the highest update id taken.
func (in *intake) highest() int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.top
}

// taken reports whether update id was taken already; otherwise it becomes the highest taken.
func (in *intake) taken(id int64) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if id <= in.top {
		return true
	}
	in.top = id
	return false
}

// newBatch starts counting the updates of a poll, n of them; the ones taken after it
// belong to it.
func (in *intake) newBatch(n int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.batch++
	in.batchLeft = n
	select {
	case <-in.batchDone: // a signal left from an earlier batch
	default:
	}
}

// take queues an update behind the earlier ones of its conversation. It waits for a slot
// while MaxInFlight updates are in flight, and reports false when ctx ended first (the
// update is then left unfinished, so the watermark stays below it).
func (in *intake) take(ctx context.Context, up flows.Update) bool {
	select {
	case in.b.slots <- struct{}{}:
	case <-ctx.Done():
		in.mu.Lock()
		in.left = min(in.left, up.ID)
		in.mu.Unlock()
		return false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.inFlight[up.ID] = struct{}{}
	key := convKey{up.ChatID, up.UserID}
	q := in.chats[key]
	if q == nil {
		q = &queue{}
		in.chats[key] = q
		in.wg.Add(1)
		go in.work(key, q)
	}
	q.items = append(q.items, &queued{up: up, batch: in.batch})
	return true
}

// work handles a conversation's queue in order and ends when it is empty.
func (in *intake) work(key convKey, q *queue) {
	defer in.wg.Done()
	for {
		in.mu.Lock()
		if len(q.items) == 0 {
			delete(in.chats, key)
			in.mu.Unlock()
			return
		}
		it := q.items[0]
		in.mu.Unlock()
		finished := in.handle(it.up)
		in.mu.Lock()
		q.items[0] = nil
		q.items = q.items[1:]
		delete(in.inFlight, it.up.ID)
		if !finished {
			in.left = min(in.left, it.up.ID)
		}
		if it.batch == in.batch {
			if in.batchLeft--; in.batchLeft == 0 {
				select {
				case in.batchDone <- struct{}{}:
				default:
				}
			}
		}
		in.mu.Unlock()
		<-in.b.slots
		select {
		case in.changed <- struct{}{}:
		default:
		}
	}
}

// handle tries an update until it is settled, with a backoff between attempts. On the way
// out it is not tried again: it stays unfinished and comes again to the next process.
func (in *intake) handle(up flows.Update) bool {
	for n := 1; ; n++ {
		r := in.b.newRequest(in.p, up)
		if in.b.settle(r, in.b.handle(context.Background(), r)) {
			return true
		}
		if !sleep(in.ctx, retryDelay(n)) {
			return false
		}
	}
}

// retryDelay is the pause before attempt n+1 of an update: 0.5 s doubling up to 5 s, with
// jitter, so that a conversation answers within seconds of an outage's end.
func retryDelay(n int) time.Duration {
	d := min(500*time.Millisecond<<min(n-1, 4), 5*time.Second)
	return d + time.Duration(rand.Int64N(int64(d/4)+1))
}

// drain waits for the conversation goroutines, at most d.
func (in *intake) drain(d time.Duration) bool {
	done := make(chan struct{})
	go func() { in.wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}
