// Package postgrestest gives each test its own freshly migrated Postgres database, cloned
// from a template so that it takes milliseconds. Tests need a running Postgres: the URL
// comes from COOPBOT_TEST_DATABASE_URL or DATABASE_URL (default: local trust auth).
package postgrestest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	neturl "net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"coopbot/postgres"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the local Postgres the README and CI start.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// URL returns the admin database URL tests use.
func URL() string {
	for _, k := range []string{"COOPBOT_TEST_DATABASE_URL", "DATABASE_URL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return DefaultURL
}

// Key is the data key tests seal personal data with.
var Key = []byte("coopbot-test-key-32-bytes-long!!")

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// NewURL creates a fresh migrated database for tb, dropped when tb ends, and returns its URL.
func NewURL(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(ctx) })
	if templateErr != nil {
		tb.Fatalf("postgres template: %v", templateErr)
	}
	admin, err := pgx.Connect(ctx, URL())
	if err != nil {
		tb.Fatalf("connect to postgres at %s: %v", URL(), err)
	}
	defer admin.Close(ctx)
	name := "coopbot_test_" + randomHex(6)
	// CREATE DATABASE … TEMPLATE fails while anyone else is connected to the template;
	// nobody is, but concurrent clones from other test processes can collide briefly.
	for i := 0; ; i++ {
		_, err = admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, templateName))
		if err == nil || i == 50 || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, URL())
		if err != nil {
			return
		}
		defer admin.Close(ctx)
		admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return withDatabase(URL(), name)
}

// New opens a fresh migrated database for tb.
func New(tb testing.TB) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), NewURL(tb), postgres.Options{Key: Key, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	return db
}

// NewSeeded is New with the demo data loaded.
func NewSeeded(tb testing.TB) *postgres.DB {
	tb.Helper()
	db := New(tb)
	if err := db.Seed(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return db
}

// ensureTemplate creates, once per schema version, a migrated template database. Its name
// carries a hash of the migrations so a schema change makes a new one.
func ensureTemplate(ctx context.Context) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(postgres.Migrations, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(postgres.Migrations, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	if err != nil {
		return "", err
	}
	h.Write([]byte(postgres.SchemaExtra))
	name := "coopbot_tpl_" + hex.EncodeToString(h.Sum(nil))[:12]
	admin, err := pgx.Connect(ctx, URL())
	if err != nil {
		return "", fmt.Errorf("connect to postgres at %s: %w", URL(), err)
	}
	defer admin.Close(ctx)
	// Test processes of several packages start at once: one creates the template.
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock(7710)`); err != nil {
		return "", err
	}
	defer admin.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7710)`)
	var ok bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&ok); err != nil {
		return "", err
	}
	if ok {
		return name, nil
	}
	build := name + "_build"
	admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, build))
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, build)); err != nil {
		return "", err
	}
	db, err := postgres.Open(ctx, withDatabase(URL(), build), postgres.Options{Key: Key, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return "", err
	}
	err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, build, name)); err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s WITH is_template true`, name)); err != nil {
		return "", err
	}
	return name, nil
}

// withDatabase is the admin URL with the database name replaced. A URL naming several
// hosts (a primary and its standbys, with target_session_attrs) keeps them and its
// parameters, so that the test database is reached wherever the primary is.
func withDatabase(url, name string) string {
	if u, err := neturl.Parse(url); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") && strings.Contains(u.Host, ",") {
		u.Path, u.RawPath = "/"+name, ""
		return u.String()
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		panic(err)
	}
	host := cfg.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	user := cfg.User
	if cfg.Password != "" {
		user += ":" + cfg.Password
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", user, host, cfg.Port, name)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
