package redis

import (
	"context"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Turns of many conversations run at the same time; each needs a script call to begin and
// one to commit. Sent one by one they cost a round trip each (and the system calls that go
// with it, which dominate the bot's CPU under load). The batcher sends the calls that are
// waiting together as one pipeline: a call waits only while the pipeline before it is on
// its way, never for a timer, so a lone call goes out at once (one round trip, as before)
// and under load the calls that queued up meanwhile share one.

// maxBatch bounds the calls of one pipeline.
const maxBatch = 128

// batchTimeout bounds one pipeline (the client's own read and write timeouts bound it
// too): the calls in it wait for its answer whatever their own context says, so that a
// call that took a lock is never left unanswered.
const batchTimeout = 5 * time.Second

type pipeliner interface {
	Pipeline() goredis.Pipeliner
}

type batcher struct {
	rdb   pipeliner
	calls chan *call
	stop  chan struct{}
	done  chan struct{}
}

// call is one script call waiting for, or sent in, a pipeline.
type call struct {
	ctx    context.Context
	script *goredis.Script
	keys   []string
	args   []any
	also   func(goredis.Pipeliner) // commands sent in the same pipeline, right after the script
	res    *goredis.Cmd
	state  atomic.Int32 // callQueued, callSent or callAbandoned
	answer chan struct{}
}

const (
	callQueued int32 = iota
	callSent
	callAbandoned // its caller gave up before it was sent: never sent
)

func newBatcher(rdb pipeliner) *batcher {
	b := &batcher{rdb: rdb, calls: make(chan *call, 4*maxBatch), stop: make(chan struct{}), done: make(chan struct{})}
	go b.loop()
	return b
}

// close stops the batcher once the calls queued are answered.
func (b *batcher) close() {
	close(b.stop)
	<-b.done
}

// run calls script with keys and args in the next pipeline and returns its result. A call
// still queued when ctx ends is dropped (never sent) and returns ctx's error; a call sent
// already is waited for.
func (b *batcher) run(ctx context.Context, script *goredis.Script, keys []string, args ...any) *goredis.Cmd {
	return b.runWith(ctx, script, keys, args, nil)
}

// runWith is run with more commands (also, when not nil) sent right after the script in
// the same pipeline; their results are not read.
func (b *batcher) runWith(ctx context.Context, script *goredis.Script, keys []string, args []any, also func(goredis.Pipeliner)) *goredis.Cmd {
	if err := ctx.Err(); err != nil {
		return failed(ctx, err)
	}
	c := &call{ctx: ctx, script: script, keys: keys, args: args, also: also, answer: make(chan struct{})}
	select {
	case b.calls <- c:
	case <-ctx.Done():
		return failed(ctx, ctx.Err())
	case <-b.stop:
		return failed(ctx, goredis.ErrClosed)
	}
	select {
	case <-c.answer:
		return c.res
	case <-ctx.Done():
		if c.state.CompareAndSwap(callQueued, callAbandoned) {
			return failed(ctx, ctx.Err())
		}
		<-c.answer
		return c.res
	}
}

func failed(ctx context.Context, err error) *goredis.Cmd {
	cmd := goredis.NewCmd(ctx)
	cmd.SetErr(err)
	return cmd
}

func (b *batcher) loop() {
	defer close(b.done)
	batch := make([]*call, 0, maxBatch)
	for {
		batch = batch[:0]
		select {
		case c := <-b.calls:
			batch = append(batch, c)
		case <-b.stop:
			// Answer what is still queued: nothing more is sent.
			for {
				select {
				case c := <-b.calls:
					c.res = failed(c.ctx, goredis.ErrClosed)
					close(c.answer)
				default:
					return
				}
			}
		}
	more:
		for len(batch) < maxBatch {
			select {
			case c := <-b.calls:
				batch = append(batch, c)
			default:
				break more
			}
		}
		b.send(batch)
	}
}

// send sends the calls whose callers still wait as one pipeline (EVALSHA each, with its
// other commands) and answers them; a script the server does not know yet (after a
// restart or a fail-over: the script cache is not replicated) is sent whole, again with
// that call's other commands.
func (b *batcher) send(batch []*call) {
	live := batch[:0]
	for _, c := range batch {
		if c.state.CompareAndSwap(callQueued, callSent) {
			live = append(live, c)
		}
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	if len(live) == 1 && live[0].also == nil {
		c := live[0]
		c.res = c.script.Run(ctx, asScripter(b.rdb), c.keys, c.args...)
		close(c.answer)
		return
	}
	pipe := b.rdb.Pipeline()
	for _, c := range live {
		c.res = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
		if c.also != nil {
			c.also(pipe)
		}
	}
	_, _ = pipe.Exec(ctx) // each call's error is in its own result
	for _, c := range live {
		if goredis.HasErrorPrefix(c.res.Err(), "NOSCRIPT") {
			pipe := b.rdb.Pipeline()
			c.res = c.script.Eval(ctx, pipe, c.keys, c.args...)
			if c.also != nil {
				c.also(pipe)
			}
			_, _ = pipe.Exec(ctx)
		}
		close(c.answer)
	}
}

// asScripter is the client as the script helpers want it.
func asScripter(p pipeliner) goredis.Scripter { return p.(goredis.Scripter) }
