package postgres

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"coopbot"

	"github.com/jackc/pgx/v5"
)

// The catalog is what every resident reads and rarely changes: the neighborhoods, the
// active cooperatives (with their member counts, which change only when an admin approves
// a request) and the upcoming published trainings (without their seat counts, which change
// on every sign-up and are read live). Each instance keeps it in memory, loaded lazily,
// part by part, and drops a part
//
//   - when a statement of this instance writes its table (seen by the pool's tracer, so
//     every write counts, whichever method or test makes it): at once, and again when the
//     transaction it was in ends;
//   - when Postgres says another instance changed it: triggers (migration 0022) notify
//     catalogChannel with the table's name, and one connection per instance listens;
//   - all of it when that connection is lost or made again (notifications may have been
//     missed in between); while it is not listening, reads go to the database;
//   - after catalogTTL at the latest, should anything else be missed.
//
// A load that began before a drop does not fill the cache (its rows may be older than the
// change), so a reader never keeps what a committed change replaced.

// catalogChannel is the notification channel of the catalog's triggers.
const catalogChannel = "coopbot_catalog"

// catalogTTL bounds how long a loaded part is served.
var catalogTTL = 60 * time.Second

// catalogRetry is the first wait before the listener connects again; it doubles up to
// catalogRetryMax while connecting fails.
var catalogRetry, catalogRetryMax = 100 * time.Millisecond, 5 * time.Second

// catalogPart is one cached part, a bit of a set of parts.
type catalogPart uint8

const (
	partNeighborhoods catalogPart = 1 << iota
	partCooperatives
	partTrainings
	partAll = partNeighborhoods | partCooperatives | partTrainings
)

// catalogTables names each part's table, which its notifications carry.
var catalogTables = map[string]catalogPart{
	"neighborhoods": partNeighborhoods,
	"cooperatives":  partCooperatives,
	"trainings":     partTrainings,
}

// catalogEntry is one part as loaded.
type catalogEntry struct {
	gen   uint64 // bumped by every drop
	at    time.Time
	value any // nil: not loaded
}

type catalog struct {
	mu        sync.Mutex
	entries   [3]catalogEntry // by bit index of the part
	listening bool            // the listener is connected and listening
	started   bool
	closed    bool
	stop      context.CancelFunc
	done      chan struct{}
}

func partIndex(p catalogPart) int {
	switch p {
	case partNeighborhoods:
		return 0
	case partCooperatives:
		return 1
	}
	return 2
}

// drop forgets the parts.
func (c *catalog) drop(parts catalogPart) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked(parts)
}

func (c *catalog) dropLocked(parts catalogPart) {
	for _, p := range []catalogPart{partNeighborhoods, partCooperatives, partTrainings} {
		if parts&p != 0 {
			e := &c.entries[partIndex(p)]
			e.gen++
			e.value, e.at = nil, time.Time{}
		}
	}
}

// setListening records whether the listener listens, dropping everything either way.
func (c *catalog) setListening(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked(partAll)
	c.listening = on
}

// cached returns part p, loading it when it is not held (or nobody listens for changes).
func cached[T any](ctx context.Context, db *DB, p catalogPart, load func(context.Context) (T, error)) (T, error) {
	c := &db.cat
	c.mu.Lock()
	if !c.started && !c.closed {
		c.startLocked(db)
	}
	e := &c.entries[partIndex(p)]
	if c.listening && e.value != nil && time.Since(e.at) < catalogTTL {
		v := e.value.(T)
		c.mu.Unlock()
		return v, nil
	}
	gen, listening := e.gen, c.listening
	c.mu.Unlock()
	v, err := load(ctx)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if listening && c.listening && e.gen == gen {
		e.value, e.at = v, time.Now()
	}
	c.mu.Unlock()
	return v, nil
}

// startLocked starts the listener; it runs until close.
func (c *catalog) startLocked(db *DB) {
	ctx, cancel := context.WithCancel(context.Background())
	c.started, c.stop, c.done = true, cancel, make(chan struct{})
	go c.listen(ctx, db)
}

// close stops the listener, if it was started, and waits for it.
func (c *catalog) close() {
	c.mu.Lock()
	c.closed = true
	started := c.started
	c.mu.Unlock()
	if started {
		c.stop()
		<-c.done
	}
}

// listen keeps a connection listening on catalogChannel, connecting again when it is lost.
func (c *catalog) listen(ctx context.Context, db *DB) {
	defer close(c.done)
	wait := catalogRetry
	for {
		began := time.Now()
		err := c.listenOnce(ctx, db)
		c.setListening(false)
		if ctx.Err() != nil {
			return
		}
		if time.Since(began) > catalogRetryMax {
			wait = catalogRetry
		}
		db.log.Warn("catalog notifications lost, reading the catalog from the database until listening again", "err", err, "retry", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, catalogRetryMax)
	}
}

func (c *catalog) listenOnce(ctx context.Context, db *DB) error {
	cfg := db.Pool.Config().ConnConfig.Copy()
	cfg.Tracer = nil // not one of the store's statements
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return wrap(err, "connect for catalog notifications")
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+catalogChannel); err != nil {
		return wrap(err, "listen for catalog changes")
	}
	c.setListening(true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return wrap(err, "wait for catalog notifications")
		}
		part, ok := catalogTables[n.Payload]
		if !ok {
			part = partAll
		}
		c.drop(part)
	}
}

// catalogWrite finds the catalog tables a statement writes. An update that sets only a
// training's seats (sign-ups, cancellations) leaves the cached trainings alone, as the
// triggers do: seat counts are not cached.
var (
	catalogWrite = regexp.MustCompile(`(?i)\b(?:insert\s+into|update|delete\s+from|truncate(?:\s+table)?)\s+(?:only\s+)?(?:public\.)?(neighborhoods|cooperatives|trainings)\b`)
	seatsOnly    = regexp.MustCompile(`(?is)^\s+set\s+seats_taken\s*=[^,]*?\swhere\b`)
)

// writtenParts returns the catalog parts sql writes.
func writtenParts(sql string) catalogPart {
	if !strings.Contains(sql, "neighborhoods") && !strings.Contains(sql, "cooperatives") && !strings.Contains(sql, "trainings") {
		return 0
	}
	var parts catalogPart
	for _, m := range catalogWrite.FindAllStringSubmatchIndex(sql, -1) {
		p := catalogTables[strings.ToLower(sql[m[2]:m[3]])]
		if p == partTrainings && seatsOnly.MatchString(sql[m[1]:]) {
			continue
		}
		parts |= p
	}
	return parts
}

// tracer counts the store's statements and drops the catalog parts they write: when the
// statement ends, and again when the transaction it ran in ends (a reader may have loaded
// the part in between, before the commit).
type tracer struct {
	cat     *catalog
	queries atomic.Int64

	mu      sync.Mutex
	pending map[*pgx.Conn]catalogPart // written in a transaction still open
	npend   atomic.Int32
}

type writesKey struct{}

func (t *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	t.queries.Add(1)
	if parts := writtenParts(data.SQL); parts != 0 {
		return context.WithValue(ctx, writesKey{}, parts)
	}
	return ctx
}

func (t *tracer) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, _ pgx.TraceQueryEndData) {
	parts, _ := ctx.Value(writesKey{}).(catalogPart)
	t.ended(conn, parts)
}

func (t *tracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

// TraceBatchQuery counts and checks each statement of a batch, as it ends.
func (t *tracer) TraceBatchQuery(_ context.Context, conn *pgx.Conn, data pgx.TraceBatchQueryData) {
	t.queries.Add(1)
	t.ended(conn, writtenParts(data.SQL))
}

func (t *tracer) TraceBatchEnd(_ context.Context, conn *pgx.Conn, _ pgx.TraceBatchEndData) {
	t.ended(conn, 0)
}

// ended drops what a statement that ended on conn wrote, and what its transaction wrote
// when it is over; a write in a transaction still open is dropped again when it ends.
func (t *tracer) ended(conn *pgx.Conn, parts catalogPart) {
	if parts == 0 && t.npend.Load() == 0 {
		return
	}
	inTx := conn.PgConn().TxStatus() != 'I'
	t.mu.Lock()
	if inTx {
		if parts != 0 {
			if t.pending[conn] == 0 {
				t.npend.Add(1)
			}
			t.pending[conn] |= parts
		}
	} else if p := t.pending[conn]; p != 0 {
		parts |= p
		delete(t.pending, conn)
		t.npend.Add(-1)
	}
	t.mu.Unlock()
	if parts != 0 {
		t.cat.drop(parts)
	}
}

// forget drops what is pending on a connection the pool closes (its transaction is over).
func (t *tracer) forget(conn *pgx.Conn) {
	t.mu.Lock()
	p, ok := t.pending[conn]
	if ok {
		delete(t.pending, conn)
		t.npend.Add(-1)
	}
	t.mu.Unlock()
	if p != 0 {
		t.cat.drop(p)
	}
}

// Queries counts the statements this store has sent (its job queue's among them), for
// tests and measurements.
func (db *DB) Queries() int64 { return db.trace.queries.Load() }

// Neighborhoods lists the neighborhoods by city and Persian name.
func (db *DB) Neighborhoods(ctx context.Context) ([]coopbot.Neighborhood, error) {
	list, err := cached(ctx, db, partNeighborhoods, db.loadNeighborhoods)
	return cloneNil(list), err
}

func (db *DB) loadNeighborhoods(ctx context.Context) ([]coopbot.Neighborhood, error) {
	rows, err := db.Pool.Query(ctx, `SELECT id, city, name_fa, name_az FROM neighborhoods ORDER BY city, name_fa`)
	if err != nil {
		return nil, wrap(err, "list neighborhoods")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.Neighborhood, error) {
		var n coopbot.Neighborhood
		err := row.Scan(&n.ID, &n.City, &n.NameFa, &n.NameAz)
		return n, err
	})
	return list, wrap(err, "list neighborhoods")
}

// JoinCooperatives lists the active cooperatives with their member counts.
func (db *DB) JoinCooperatives(ctx context.Context) ([]coopbot.Cooperative, error) {
	list, err := cached(ctx, db, partCooperatives, db.loadJoinCooperatives)
	return cloneNil(list), err
}

func (db *DB) loadJoinCooperatives(ctx context.Context) ([]coopbot.Cooperative, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+cooperativeColumns+` FROM cooperatives c WHERE c.status = 'active' ORDER BY c.name_fa`)
	if err != nil {
		return nil, wrap(err, "list cooperatives")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.Cooperative, error) { return scanCooperative(row) })
	return list, wrap(err, "list cooperatives")
}

// UpcomingTrainings lists the published trainings that have not started, those of
// neighborhood own first, then by start time; total counts them all. The trainings come
// from the catalog; the seats taken and the wait-lists of the page are read live.
func (db *DB) UpcomingTrainings(ctx context.Context, own int64, offset, limit int) (list []coopbot.Training, total int, err error) {
	all, err := cached(ctx, db, partTrainings, db.loadUpcomingTrainings)
	if err != nil {
		return nil, 0, err
	}
	now := time.Now()
	for _, t := range all {
		if t.StartsAt.After(now) {
			list = append(list, t)
		}
	}
	// all is by start time and id: a stable partition keeps that order on both sides.
	mine := make([]coopbot.Training, 0, len(list))
	var rest []coopbot.Training
	for _, t := range list {
		if t.NeighborhoodID == own {
			mine = append(mine, t)
		} else {
			rest = append(rest, t)
		}
	}
	list, total = append(mine, rest...), len(list)
	list = list[min(max(offset, 0), total):min(max(offset, 0)+max(limit, 0), total)]
	if len(list) == 0 {
		return list, total, nil
	}
	return list, total, db.trainingSeats(ctx, list)
}

// loadUpcomingTrainings reads the published trainings that have not started, by start
// time and id, without their seat counts.
func (db *DB) loadUpcomingTrainings(ctx context.Context) ([]coopbot.Training, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+trainingCols+` FROM trainings t
		WHERE t.status = 'published' AND t.starts_at > now() ORDER BY t.starts_at, t.id`)
	if err != nil {
		return nil, wrap(err, "list upcoming trainings")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (coopbot.Training, error) {
		var t coopbot.Training
		var minutes int
		err := row.Scan(trainingDest(&t, &minutes, false)...)
		t.Duration = time.Duration(minutes) * time.Minute
		t.SeatsTaken = 0 // read live for the page shown
		return t, err
	})
	return list, wrap(err, "list upcoming trainings")
}

// trainingSeats fills in the seats taken and the wait-list lengths of list, as they are now.
func (db *DB) trainingSeats(ctx context.Context, list []coopbot.Training) error {
	ids := make([]int64, len(list))
	at := make(map[int64]int, len(list))
	for i, t := range list {
		ids[i], at[t.ID] = t.ID, i
	}
	rows, err := db.Pool.Query(ctx, `SELECT t.id, t.seats_taken`+trainingWaitCol+` FROM trainings t WHERE t.id = ANY($1)`, ids)
	if err != nil {
		return wrap(err, "count training seats")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var seats, wait int
		if err := rows.Scan(&id, &seats, &wait); err != nil {
			return wrap(err, "count training seats")
		}
		list[at[id]].SeatsTaken, list[at[id]].Waitlisted = seats, wait
	}
	if err := rows.Err(); err != nil {
		return wrap(err, "count training seats")
	}
	return nil
}

// cloneNil copies a cached list so that callers may sort or change it.
func cloneNil[T any](list []T) []T {
	if list == nil {
		return nil
	}
	return append(make([]T, 0, len(list)), list...)
}
