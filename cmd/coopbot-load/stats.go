package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// durations collects measured delays.
type durations struct {
	mu  sync.Mutex
	got []time.Duration
}

func (d *durations) add(v time.Duration) {
	d.mu.Lock()
	d.got = append(d.got, v)
	d.mu.Unlock()
}

func (d *durations) reset() {
	d.mu.Lock()
	d.got = nil
	d.mu.Unlock()
}

func (d *durations) take() []time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.got
	d.got = nil
	return out
}

// percentiles of a set of durations (unsorted; sorted in place).
func percentiles(d []time.Duration, ps ...float64) []time.Duration {
	slices.Sort(d)
	out := make([]time.Duration, len(ps))
	if len(d) == 0 {
		return out
	}
	for i, p := range ps {
		k := int(p / 100 * float64(len(d)-1))
		out[i] = d[k]
	}
	return out
}

// latencies pairs each sent update with the next reply in its chat (the first Bot API call
// that writes to the chat after it).
type latencies struct {
	mu      sync.Mutex
	pending map[int64][]time.Time
	got     []time.Duration
}

func newLatencies() *latencies { return &latencies{pending: map[int64][]time.Time{}} }

func (l *latencies) reset() {
	l.mu.Lock()
	l.pending, l.got = map[int64][]time.Time{}, nil
	l.mu.Unlock()
}

func (l *latencies) sent(chat int64) {
	l.mu.Lock()
	l.pending[chat] = append(l.pending[chat], time.Now())
	l.mu.Unlock()
}

// sentOnce is sent for a closed-loop resident: at most one update of theirs is
// unanswered, so an update that got no reply (a lost one) does not pair with the next.
func (l *latencies) sentOnce(chat int64) {
	l.mu.Lock()
	l.pending[chat] = append(l.pending[chat][:0], time.Now())
	l.mu.Unlock()
}

func (l *latencies) replied(chat int64) {
	now := time.Now()
	l.mu.Lock()
	if q := l.pending[chat]; len(q) > 0 {
		l.got = append(l.got, now.Sub(q[0]))
		l.pending[chat] = q[1:]
	}
	l.mu.Unlock()
}

func (l *latencies) take() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.got
	l.got = nil
	return out
}

// figures are what one target measured over one or more phases.
type figures struct {
	updates  int64   // updates the residents sent
	handled  int64   // updates the bots counted as handled
	elapsed  float64 // seconds of driving
	cpu      float64 // bot CPU seconds
	redisCPU float64 // CPU seconds of the redis-server processes (0 for nullbot)
	pgCPU    float64 // CPU seconds of the postgres processes (0 for nullbot)
	redis    int64   // Redis round trips
	xacts    int64   // Postgres transactions (-1: no database)
	polls    int64   // getUpdates calls
	latency  []time.Duration
	delivery []time.Duration
	rss      float64 // the largest instance RSS seen, MB
}

func (f *figures) add(g figures) {
	f.updates += g.updates
	f.handled += g.handled
	f.elapsed += g.elapsed
	f.cpu += g.cpu
	f.redisCPU += g.redisCPU
	f.pgCPU += g.pgCPU
	f.redis += g.redis
	if g.xacts < 0 || f.xacts < 0 {
		f.xacts = -1
	} else {
		f.xacts += g.xacts
	}
	f.polls += g.polls
	f.latency = append(f.latency, g.latency...)
	f.delivery = append(f.delivery, g.delivery...)
	f.rss = max(f.rss, g.rss)
}

// row is one line of the report: a figure for coopbot and, when measured, nullbot.
type row struct {
	name string
	unit string // "ms", "/s", "" (plain number)
	bot  float64
	null float64
	has  bool // null is measured
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

var pcts = []float64{50, 90, 99, 99.9, 100}
var pctNames = []string{"p50", "p90", "p99", "p99.9", "max"}

// rows turns the figures into report lines; null may be nil.
func rows(bot, null *figures, polling bool) []row {
	per := func(f *figures, v float64) float64 {
		if f.updates == 0 {
			return math.NaN()
		}
		return v / float64(f.updates)
	}
	val := func(get func(f *figures) float64) (float64, float64, bool) {
		if null == nil {
			return get(bot), 0, false
		}
		return get(bot), get(null), true
	}
	var out []row
	addRow := func(name, unit string, get func(f *figures) float64) {
		b, n, has := val(get)
		out = append(out, row{name: name, unit: unit, bot: b, null: n, has: has})
	}
	addRow("updates/s", "/s", func(f *figures) float64 { return float64(f.updates) / f.elapsed })
	for _, kind := range []string{"delivery delay", "reply latency"} {
		for i, p := range pctNames {
			addRow(kind+" "+p, "ms", func(f *figures) float64 {
				d := f.delivery
				if kind == "reply latency" {
					d = f.latency
				}
				if len(d) == 0 {
					return math.NaN()
				}
				return ms(percentiles(d, pcts...)[i])
			})
		}
	}
	addRow("bot CPU per update", "ms", func(f *figures) float64 { return per(f, f.cpu*1000) })
	addRow("Redis CPU per update", "ms", func(f *figures) float64 { return per(f, f.redisCPU*1000) })
	addRow("Postgres CPU per update", "ms", func(f *figures) float64 { return per(f, f.pgCPU*1000) })
	addRow("bot+Redis+Postgres CPU per update", "ms", func(f *figures) float64 { return per(f, (f.cpu+f.redisCPU+f.pgCPU)*1000) })
	addRow("Redis round trips per update", "", func(f *figures) float64 { return per(f, float64(f.redis)) })
	addRow("Postgres transactions per update", "", func(f *figures) float64 {
		if f.xacts < 0 {
			return 0
		}
		return per(f, float64(f.xacts))
	})
	if polling {
		addRow("getUpdates calls per update", "", func(f *figures) float64 { return per(f, float64(f.polls)) })
	}
	addRow("largest instance RSS", "MB", func(f *figures) float64 { return f.rss })
	return out
}

func format(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case unit == "ms":
		return fmt.Sprintf("%.2f ms", v)
	case unit == "/s":
		return fmt.Sprintf("%.0f/s", v)
	case unit == "MB":
		return fmt.Sprintf("%.1f MB", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// report prints the figures as a table, with nullbot's and the ratio when measured.
func report(w io.Writer, bot, null *figures, polling bool) {
	rs := rows(bot, null, polling)
	if null == nil {
		fmt.Fprintf(w, "%-34s %14s\n", "", "coopbot")
		for _, r := range rs {
			fmt.Fprintf(w, "%-34s %14s\n", r.name, format(r.bot, r.unit))
		}
		return
	}
	fmt.Fprintf(w, "%-34s %14s %14s %9s\n", "", "coopbot", "nullbot", "ratio")
	for _, r := range rs {
		ratio := "—"
		if r.null != 0 && !math.IsNaN(r.null) && !math.IsNaN(r.bot) {
			ratio = fmt.Sprintf("%.2f×", r.bot/r.null)
		}
		fmt.Fprintf(w, "%-34s %14s %14s %9s\n", r.name, format(r.bot, r.unit), format(r.null, r.unit), ratio)
	}
	fmt.Fprintf(w, "%s\n", strings.Repeat("-", 74))
	fmt.Fprintf(w, "updates sent: coopbot %d (handled %d), nullbot %d (handled %d)\n", bot.updates, bot.handled, null.updates, null.handled)
}
