// Package postgres is coopbot's system of record: the schema (embedded SQL migrations), the
// stores the flows declare, durable jobs, and the translation of driver errors into
// coopbot error codes. It is the only package that imports pgx.
package postgres

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"sort"
	"strings"
	"syscall"
	"time"

	"coopbot"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the embedded schema migrations (test helpers hash them).
var Migrations fs.FS = migrations

// SchemaExtra names schema parts applied by code rather than files (River's tables), so
// that test templates are rebuilt when they change.
const SchemaExtra = "river v0.51.2"

// DB is the Postgres store.
type DB struct {
	Pool  *pgxpool.Pool
	log   *slog.Logger
	aead  cipher.AEAD
	mac   []byte
	check string  // the key's check value (see checkValue)
	cat   catalog // see catalog.go
	trace *tracer

	unreachable func(ctx context.Context, p coopbot.Platform, chatID int64) // see OnUnreachable

	river   *river.Client[pgx.Tx]
	sender  Sender
	notices Notices

	remindDays    int // see Options.PendingRemindDays
	escalateHours int // see Options.NeedEscalateHours
}

// defaultMaxConns bounds the connections of one store when DATABASE_URL sets no
// pool_max_conns (Postgres allows 100 by default).
const defaultMaxConns = 16

// Options configure the store.
type Options struct {
	// Key seals personal data at rest (32 bytes); a keyed hash derived from it serves
	// lookups and duplicate checks.
	Key      []byte
	Log      *slog.Logger
	MaxConns int32
	// PendingRemindDays: membership requests pending longer than this many days are
	// reminded to the cooperative's admins once a day (DefaultPendingRemindDays when 0).
	PendingRemindDays int
	// NeedEscalateHours: an urgent need report left at "received" this many hours is
	// reminded to its managers, and as long again to the office staff
	// (DefaultNeedEscalateHours when 0).
	NeedEscalateHours int
	// Name is the application_name of the connections (unless the URL sets one), so that
	// `coopbot rekey` sees serving instances (ServingName).
	Name string
}

// Open connects to Postgres. It does not migrate.
func Open(ctx context.Context, url string, o Options) (*DB, error) {
	if len(o.Key) != 32 {
		return nil, errors.New("postgres: data key must be 32 bytes")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	switch {
	case o.MaxConns > 0:
		cfg.MaxConns = o.MaxConns
	case !strings.Contains(url, "pool_max_conns"):
		// pgx's default is the number of CPUs, at least 4: on a small machine a join
		// submission's transaction, the turns in flight and the job workers then queue for
		// a connection, and under 600 updates/s a submission took about 0.5 s (1 in 100
		// replies more than 1 s). Connections are opened only as needed.
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	if _, set := cfg.ConnConfig.RuntimeParams["application_name"]; !set && o.Name != "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = o.Name
	}
	k, err := newKeyed(o.Key)
	if err != nil {
		return nil, err
	}
	db := &DB{aead: k.aead, mac: k.mac, check: k.check, remindDays: o.PendingRemindDays, escalateHours: o.NeedEscalateHours}
	db.trace = &tracer{cat: &db.cat, pending: map[*pgx.Conn]catalogPart{}}
	cfg.ConnConfig.Tracer = db.trace
	cfg.BeforeClose = func(c *pgx.Conn) { db.trace.forget(c) }
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	db.Pool, db.log = pool, log
	if db.river, err = db.jobs(); err != nil {
		pool.Close()
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return db, nil
}

// Close stops the catalog's listener and closes the pool.
func (db *DB) Close() {
	db.cat.close()
	db.Pool.Close()
}

// Ping checks that Postgres answers.
func (db *DB) Ping(ctx context.Context) error { return wrap(db.Pool.Ping(ctx), "ping") }

// migrationLock is the advisory lock key under which migrations run, so several instances
// starting together apply each migration once.
const migrationLock = 0x636f6f70 // "coop"

// Migrate applies every embedded migration not yet applied, each in its own transaction,
// under an advisory lock.
func (db *DB) Migrate(ctx context.Context) error {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return wrap(err, "migrate: acquire")
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return wrap(err, "migrate: lock")
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock)
	if err := db.migrateRiver(ctx); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return wrap(err, "migrate: create table")
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		var done bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = $1)", name).Scan(&done); err != nil {
			return wrap(err, "migrate: check "+name)
		}
		if done {
			continue
		}
		sql, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (name) VALUES ($1)", name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		db.log.Info("migration applied", "name", name)
	}
	return nil
}

// keyed is what a data key gives: the cipher that seals personal data, the key of the
// lookup hash, and the key's check value.
type keyed struct {
	aead  cipher.AEAD
	mac   []byte
	check string
}

func newKeyed(key []byte) (*keyed, error) {
	if len(key) != 32 {
		return nil, errors.New("postgres: data key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("coopbot lookup hash"))
	return &keyed{aead: aead, mac: m.Sum(nil), check: checkValue(key)}, nil
}

// checkValue is stored in meta to recognise the data key: a keyed hash of a constant,
// which says nothing of the key.
func checkValue(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("coopbot data key check v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// seal encrypts personal data for storage; empty stays NULL.
func (db *DB) seal(plain string) []byte {
	if plain == "" {
		return nil
	}
	nonce := make([]byte, db.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return db.aead.Seal(nonce, nonce, []byte(plain), nil)
}

// open decrypts what seal produced.
func (db *DB) open(sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	n := db.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("sealed value too short")
	}
	plain, err := db.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return "", fmt.Errorf("open sealed value: %w", err)
	}
	return string(plain), nil
}

// hash is the keyed lookup hash of personal data; empty stays NULL.
func (db *DB) hash(plain string) []byte {
	if plain == "" {
		return nil
	}
	m := hmac.New(sha256.New, db.mac)
	m.Write([]byte(plain))
	return m.Sum(nil)
}

// wrap translates driver errors into coopbot errors with context: no rows → not found,
// unique violation → conflict; a connection that failed, was refused, reset or closed in the
// middle of a query (unexpected EOF, the server ending the backend: 57P01–57P03, class 08),
// timeouts, cancellations, too many connections, deadlocks and serialization failures →
// unavailable (the same work can succeed when tried again). Everything else is internal.
func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	return &coopbot.Error{Code: errorCode(err), Err: fmt.Errorf("%s: %w", what, err)}
}

func errorCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.Is(err, pgx.ErrNoRows) {
		return coopbot.ENotFound
	}
	if errors.As(err, &pgErr) {
		switch c := pgErr.Code; {
		case c == "23505":
			return coopbot.EConflict
		case strings.HasPrefix(c, "08"), strings.HasPrefix(c, "57P"), c == "57014", c == "53300", c == "40001", c == "40P01", c == "25P03", c == "25006":
			// Connection exceptions, the server shutting down or ending this backend,
			// statement cancelled (timeout), too many connections, serialization failure,
			// deadlock, idle-in-transaction timeout, and a read-only transaction: a
			// connection made before a fail-over to a server that is now a standby.
			return coopbot.EUnavailable
		}
		return coopbot.EInternal
	}
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, net.ErrClosed), errors.As(err, &netErr),
		pgconn.SafeToRetry(err), pgconn.Timeout(err):
		return coopbot.EUnavailable
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return coopbot.EUnavailable
	}
	if msg := err.Error(); strings.Contains(msg, "failed to connect") || strings.Contains(msg, "closed pool") ||
		strings.Contains(msg, "conn closed") || strings.Contains(msg, "unexpected EOF") {
		// The same, from drivers (River's) that lose the error's type on the way.
		return coopbot.EUnavailable
	}
	return coopbot.EInternal
}

// indexByID indexes records by their id (id may also clear what is about to be filled in) and
// lists the ids, for filling in the records' parts with one query.
func indexByID[T any](list []*T, id func(*T) int64) (map[int64]*T, []int64) {
	m := make(map[int64]*T, len(list))
	ids := make([]int64, len(list))
	for i, x := range list {
		ids[i] = id(x)
		m[ids[i]] = x
	}
	return m, ids
}
