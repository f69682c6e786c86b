package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	"coopbot"
	"coopbot/internal/faultproxy"
	"coopbot/locales"

	"github.com/jackc/pgx/v5"
)

// chaosLog counts what the chaos did.
type chaosLog struct {
	mu                         sync.Mutex
	kills, pgDown, redisDown   int
	pgDownFor, redisDownFor    time.Duration
	restartErrs, exitedRestart int
}

// runChaos runs the join scenario on several instances while instances are killed with
// SIGKILL and restarted, and Postgres and Redis are taken away (through fault proxies
// between the bots and them) for a few seconds at random moments; then it checks in
// Postgres that every resident who finished has exactly one join request, and that every
// resident reached the end with no reply doubled.
func runChaos(ctx context.Context, o options, dbURL string, env []string, stdout, stderr io.Writer) error {
	pg, err := proxyFor(dbURL)
	if err != nil {
		return err
	}
	defer pg.Close()
	rd, err := proxyFor(o.redisURL)
	if err != nil {
		return err
	}
	defer rd.Close()
	botDB, _ := pg.URL(dbURL)
	botRedis, _ := rd.URL(o.redisURL)
	t, err := newTarget(ctx, "coopbot", o.bin, append(env, "DATABASE_URL="+botDB, "REDIS_URL="+botRedis), o.mode, o.instances, o.keep, stderr)
	if err != nil {
		return err
	}
	defer t.close()
	t.dbURL = dbURL
	j, err := newJoinRun(ctx, o, dbURL)
	if err != nil {
		return err
	}
	j.firstID = 100000
	if err := onboardStaff(ctx, t, j, staffID); err != nil {
		return err
	}
	waitQuiet(ctx, t.emu, 10*time.Second)
	staffBefore := t.emu.SentTo(staffID)
	fmt.Fprintf(stdout, "chaos: %d instances, %s mode, %d residents at a time for %s; SIGKILL and restart every 3–7 s, Postgres or Redis away 2–5 s every 6–12 s\n",
		o.instances, o.mode, j.concurrency, o.duration)

	var log chaosLog
	cctx, stop := context.WithTimeout(ctx, o.duration)
	defer stop()
	monkeyDone := make(chan struct{})
	go func() { defer close(monkeyDone); monkey(cctx, t, pg, rd, &log) }()
	t.lat.reset()
	t.taken.reset()
	out, elapsed := j.walkAll(ctx, t)
	<-monkeyDone
	waitQuiet(ctx, t.emu, 30*time.Second)

	var sent int64
	for _, r := range out.all {
		sent += int64(r.sent)
	}
	lat, del := t.lat.take(), t.taken.take()
	fmt.Fprintf(stdout, "chaos done: %d SIGKILLs (%d restarts failed, %d exited instances restarted), Postgres away %d× (%.1fs), Redis away %d× (%.1fs)\n",
		log.kills, log.restartErrs, log.exitedRestart, log.pgDown, log.pgDownFor.Seconds(), log.redisDown, log.redisDownFor.Seconds())
	fmt.Fprintf(stdout, "residents: %d started, %d reached the end, %d did not; %d updates in %.1fs (%.0f/s)\n",
		out.started, out.completed, out.failed, sent, elapsed, float64(sent)/elapsed)
	for _, f := range out.failures {
		fmt.Fprintln(stdout, "  ", firstLine(f))
	}
	lp, dp := percentiles(lat, pcts...), percentiles(del, pcts...)
	fmt.Fprintf(stdout, "reply latency p50 %s p99 %s max %s; delivery delay p50 %s p99 %s max %s\n",
		lp[0].Round(time.Millisecond), lp[2].Round(time.Millisecond), lp[4].Round(time.Millisecond),
		dp[0].Round(time.Millisecond), dp[2].Round(time.Millisecond), dp[4].Round(time.Millisecond))

	c, err := checkEffects(ctx, dbURL, out)
	if err != nil {
		return err
	}
	cards := waitCards(ctx, dbURL)
	staffGot := t.emu.SentTo(staffID) - staffBefore
	rep, err := checkReplies(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "effects (Postgres): of %d residents who finished, %d have exactly one join request, %d none (lost), %d more than one (doubled)\n",
		out.completed, c.one, c.none, c.more)
	fmt.Fprintf(stdout, "  residents who did not finish but have a request: %d; requests in all %d; cards per request: %d with one, %d with none, %d with more (%d jobs not finished %s); cards the staff received: %d\n",
		c.unfinishedWithRequest, c.requests, cards.one, cards.none, cards.more, cards.pending, cards.states, staffGot)
	for _, ex := range rep.examples {
		fmt.Fprintln(stdout, ex)
	}
	fmt.Fprintf(stdout, "replies: %d residents reached the end, %d did not (lost); %d submissions confirmed twice, %d replies doubled in a row, %d extra updates sent answering a question again; %d \"unavailable\" and %d \"error\" messages\n",
		out.completed, out.failed, rep.submittedTwice, rep.doubled, rep.extra, rep.unavailable, rep.internal)
	if c.none+c.more+out.failed+cards.none+cards.more > 0 {
		return fmt.Errorf("chaos: lost or doubled effects, or residents who did not reach the end")
	}
	if rep.doubled > 0 {
		return fmt.Errorf("chaos: %d replies doubled (effects were not)", rep.doubled)
	}
	return nil
}

// proxyFor starts a fault proxy in front of the host of a URL.
func proxyFor(raw string) (*faultproxy.Proxy, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	return faultproxy.New(u.Host)
}

// monkey kills and restarts instances and takes Postgres and Redis away until ctx ends,
// then gives everything back.
func monkey(ctx context.Context, t *target, pg, rd *faultproxy.Proxy, log *chaosLog) {
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		pg.Start()
		rd.Start()
		restartExited(t, log)
	}()
	nextKill := time.Now().Add(jitter(3, 7))
	nextOutage := time.Now().Add(jitter(4, 8))
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		restartExited(t, log)
		now := time.Now()
		if now.After(nextKill) {
			i := rand.IntN(len(t.instances()))
			if err := t.replace(i); err != nil {
				log.mu.Lock()
				log.restartErrs++
				log.mu.Unlock()
			}
			log.mu.Lock()
			log.kills++
			log.mu.Unlock()
			nextKill = now.Add(jitter(3, 7))
		}
		if now.After(nextOutage) {
			p, isPG := rd, false
			if rand.IntN(2) == 0 {
				p, isPG = pg, true
			}
			d := jitter(2, 5)
			nextOutage = now.Add(d + jitter(4, 8))
			p.Stop()
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case <-time.After(d):
				case <-ctx.Done():
				}
				p.Start()
			}()
			log.mu.Lock()
			if isPG {
				log.pgDown++
				log.pgDownFor += d
			} else {
				log.redisDown++
				log.redisDownFor += d
			}
			log.mu.Unlock()
		}
	}
}

// restartExited starts again an instance that ended by itself (one that could not reach
// Postgres or Redis at start).
func restartExited(t *target, log *chaosLog) {
	for i, b := range t.instances() {
		if b.exited() {
			if err := t.replace(i); err == nil {
				log.mu.Lock()
				log.exitedRestart++
				log.mu.Unlock()
			}
		}
	}
}

func jitter(minS, maxS float64) time.Duration {
	return time.Duration((minS + rand.Float64()*(maxS-minS)) * float64(time.Second))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// effects is what Postgres holds for the residents of a run.
type effects struct {
	one, none, more       int // residents who finished, by their join requests
	unfinishedWithRequest int
	requests              int
}

func checkEffects(ctx context.Context, dbURL string, out outcome) (effects, error) {
	var e effects
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return e, err
	}
	defer conn.Close(ctx)
	counts := map[int64]int{}
	rows, err := conn.Query(ctx, `SELECT r.user_id, count(*) FROM join_requests j JOIN residents r ON r.id = j.resident_id
		WHERE r.platform = 'telegram' GROUP BY r.user_id`)
	if err != nil {
		return e, err
	}
	for rows.Next() {
		var user int64
		var n int
		if err := rows.Scan(&user, &n); err != nil {
			return e, err
		}
		counts[user] = n
		e.requests += n
	}
	if err := rows.Err(); err != nil {
		return e, err
	}
	finished := map[int64]bool{}
	for _, r := range out.done {
		finished[r.u.ID()] = true
		switch n := counts[r.u.ID()]; {
		case n == 1:
			e.one++
		case n == 0:
			e.none++
		default:
			e.more++
		}
	}
	for user := range counts {
		if !finished[user] {
			e.unfinishedWithRequest++
		}
	}
	return e, nil
}

// cardCounts are the join requests by the cards queued for them.
type cardCounts struct {
	one, none, more, pending int
	states                   string // the unfinished jobs by state
}

// waitCards waits (up to a minute) for the card jobs to be worked, and counts the cards
// queued per request.
func waitCards(ctx context.Context, dbURL string) cardCounts {
	var c cardCounts
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return c
	}
	defer conn.Close(ctx)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		if conn.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'join_card' AND state NOT IN ('completed', 'discarded', 'cancelled')`).Scan(&c.pending) != nil || c.pending == 0 {
			break
		}
	}
	conn.QueryRow(ctx, `SELECT coalesce(string_agg(state || ' ' || n || ' (attempt ' || a || ')', ', '), '') FROM (SELECT state, count(*) AS n, max(attempt) AS a FROM river_job
		WHERE kind = 'join_card' AND state NOT IN ('completed', 'discarded', 'cancelled') GROUP BY state) s`).Scan(&c.states)
	conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE n = 1), count(*) FILTER (WHERE n = 0), count(*) FILTER (WHERE n > 1)
		FROM (SELECT j.id, count(k.id) AS n FROM join_requests j
		LEFT JOIN river_job k ON k.kind = 'join_card' AND (k.args->>'request_id')::bigint = j.id GROUP BY j.id) x`).Scan(&c.one, &c.none, &c.more)
	return c
}

// replies is what the residents' chats show.
type replies struct {
	submittedTwice, doubled, extra, unavailable, internal int
	examples                                              []string // the first doubled replies, with what came before
}

func checkReplies(out outcome) (replies, error) {
	var rep replies
	cat, err := locales.Load()
	if err != nil {
		return rep, err
	}
	texts := func(id string) []string {
		var out []string
		for _, l := range []coopbot.Lang{coopbot.Persian, coopbot.Azeri} {
			s, _ := cat.Text(l, id, nil, nil)
			out = append(out, s)
		}
		return out
	}
	unavailable, internal := texts("error.unavailable"), texts("error.internal")
	has := func(s string, list []string) bool {
		for _, t := range list {
			if strings.Contains(s, t) {
				return true
			}
		}
		return false
	}
	for _, r := range out.all {
		submitted := 0
		ms := r.u.Messages()
		for i, m := range ms {
			if r.s.ended(r.s.asked(m.Text)) {
				submitted++
			}
			if i > 0 && m.Text == ms[i-1].Text && m.Text != "" && !has(m.Text, unavailable) {
				rep.doubled++
				if len(rep.examples) < 2 {
					rep.examples = append(rep.examples, doubledExample(r, m.ID))
				}
			}
			if has(m.Text, unavailable) {
				rep.unavailable++
			}
			if has(m.Text, internal) {
				rep.internal++
			}
		}
		if submitted > 1 {
			rep.submittedTwice++
		}
		if n := len(r.s.sc.blind); r.sent > n {
			rep.extra += r.sent - n
		}
	}
	return rep, nil
}

// doubledExample is the part of a resident's chat around a reply that came twice.
func doubledExample(r *resident, id int) string {
	tr := r.u.Transcript()
	at := 0
	for i := range tr {
		if tr[i].ID == id {
			at = i
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  doubled reply in chat %d:\n", r.u.ID())
	for _, m := range tr[max(0, at-3):min(len(tr), at+2)] {
		who := "bot "
		if m.FromUser {
			who = "user"
		}
		t := m.Text
		if m.Contact != nil {
			t = "[contact]"
		}
		if rs := []rune(t); len(rs) > 60 {
			t = string(rs[:60]) + "…"
		}
		fmt.Fprintf(&b, "    #%d %s %s: %q\n", m.ID, m.Date.Format("15:04:05.000"), who, t)
	}
	return b.String()
}
