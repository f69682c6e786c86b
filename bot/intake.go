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
// With a journal (Config.Journal), the updates of a poll are written there before they are
// taken, and the next poll confirms them at once: polling goes on while they are handled,
// and a finished update is taken out of the journal. A poller that starts handles first
// what its predecessor left in the journal.
//
// Without one (or while it is unavailable), the offset the poll loop confirms is a
// watermark: the lowest update id not finished yet. Updates above it that finished come
// again from getUpdates until the watermark passes them; they are recognised as taken
// (every id up to the highest taken one was taken) and skipped.
type intake struct {
	b   *Bot
	p   *platform
	ctx context.Context // ends when polling stops: retries give up, queued updates are tried once

	mu       sync.Mutex
	chats    map[convKey]*queue
	inFlight map[int64]struct{} // taken, not finished and not in the journal: the offset stays below them
	left     int64              // the lowest such id left unfinished on the way out (MaxInt64: none)
	top      int64              // the highest id taken (or skipped); 0 before the first
	changed  chan struct{}      // signalled when an update finishes
	wg       sync.WaitGroup     // conversation goroutines

	// The journal's side: updates taken from it at the start (skipped when a poll brings
	// them again), and the finished ones on their way out of it.
	replayed  map[int64]struct{}
	finished  chan int64
	stopped   bool          // finished is closed
	forgotten chan struct{} // closed when the forgetter has stopped

	// The updates the last poll brought: polling again waits for them (or batchWait), so
	// that a poll normally brings only new updates, not again the ones still in flight.
	batch     int // generation of the last poll's updates
	batchLeft int
	batchDone chan struct{} // signalled when the last poll's updates all finished
}

type convKey struct{ chat, user int64 }

type queue struct{ items []*queued }

type queued struct {
	up        flows.Update
	batch     int
	journaled bool
}

// maxForget bounds the finished updates waiting to be taken out of the journal; past it
// they stay there (a poller starting later finds them handled already).
const maxForget = 4096

func newIntake(ctx context.Context, b *Bot, p *platform) *intake {
	in := &intake{b: b, p: p, ctx: ctx, chats: map[convKey]*queue{}, inFlight: map[int64]struct{}{},
		left: math.MaxInt64, changed: make(chan struct{}, 1), batchDone: make(chan struct{}, 1),
		replayed: map[int64]struct{}{}, forgotten: make(chan struct{})}
	if b.cfg.Journal != nil {
		in.finished = make(chan int64, maxForget)
		go in.forget()
	} else {
		close(in.forgotten)
	}
	return in
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

// taken reports whether update id was taken already (below the highest taken, or from
// the journal at the start); it becomes the highest taken.
func (in *intake) taken(id int64) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if id <= in.top {
		return true
	}
	in.top = id
	_, replayed := in.replayed[id]
	return replayed
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

// take queues an update behind the earlier ones of its conversation; journaled: it is in
// the journal, so the offset may pass it. It waits for a slot while MaxInFlight updates
// are in flight, and reports false when ctx ended first (the update is then left
// unfinished: in the journal, or with the watermark below it).
func (in *intake) take(ctx context.Context, up flows.Update, journaled bool) bool {
	select {
	case in.b.slots <- struct{}{}:
	case <-ctx.Done():
		if !journaled {
			in.mu.Lock()
			in.left = min(in.left, up.ID)
			in.mu.Unlock()
		}
		return false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if !journaled {
		in.inFlight[up.ID] = struct{}{}
	}
	key := convKey{up.ChatID, up.UserID}
	q := in.chats[key]
	if q == nil {
		q = &queue{}
		in.chats[key] = q
		in.wg.Add(1)
		go in.work(key, q)
	}
	q.items = append(q.items, &queued{up: up, batch: in.batch, journaled: journaled})
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
		switch {
		case finished && it.journaled:
			if !in.stopped {
				select {
				case in.finished <- it.up.ID:
				default: // full: it stays in the journal, known as handled when found again
				}
			}
		case !finished && !it.journaled:
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

// forget takes the finished updates out of the journal, those finished together in one
// round trip; while the journal is unavailable it keeps them and tries again. It stops
// once finished is closed and what it holds is out (or could not be taken out).
func (in *intake) forget() {
	defer close(in.forgotten)
	var ids []int64
	closed := false
	failing := false
	for {
		if len(ids) == 0 {
			id, ok := <-in.finished
			if !ok {
				return
			}
			ids = append(ids, id)
		}
	more:
		for len(ids) < 1000 && !closed {
			select {
			case id, ok := <-in.finished:
				if !ok {
					closed = true
					break more
				}
				ids = append(ids, id)
			default:
				break more
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := in.b.cfg.Journal.Finished(ctx, in.p.account, ids)
		cancel()
		if err == nil {
			if failing {
				in.p.log.Info("journal reachable again", "platform", in.p.name)
			}
			ids, failing = ids[:0], false
			if closed {
				return
			}
			continue
		}
		if !failing {
			in.p.log.Warn("finished updates not taken out of the journal; trying again", "platform", in.p.name, "err", err)
			failing = true
		}
		if closed {
			return // left there: a poller starting later finds them handled already
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// stopForgetting closes the journal's side once the conversations are done (or given
// up on), and waits at most d for the finished updates to be taken out of it.
func (in *intake) stopForgetting(d time.Duration) {
	in.mu.Lock()
	if in.finished != nil && !in.stopped {
		in.stopped = true
		close(in.finished)
	}
	in.mu.Unlock()
	select {
	case <-in.forgotten:
	case <-time.After(d):
	}
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
