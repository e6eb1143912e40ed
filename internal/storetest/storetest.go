// Package storetest gives tests real databases: a fresh SQLite file and,
// when KLUIS_TEST_POSTGRES_URL names a PostgreSQL server, a fresh PostgreSQL
// database, each migrated, with a fresh keyring beside it and a settable
// clock. Store tests run the same body on both through EachDialect. There
// are no database mocks.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
)

// EnvPostgresURL names the variable with an admin URL of a PostgreSQL server
// on which tests may create and drop databases.
const EnvPostgresURL = "KLUIS_TEST_POSTGRES_URL"

// EnvRequirePostgres, when "1", turns a missing PostgreSQL into a failure.
const EnvRequirePostgres = "KLUIS_TEST_REQUIRE_POSTGRES"

// Clock is a settable clock for db.Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at a fixed, realistic moment.
func NewClock() *Clock {
	return &Clock{t: time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Env is one test's database and keyring.
type Env struct {
	Dialect store.Dialect
	URL     string // database URL for store.Open
	Path    string // SQLite file path ("" on PostgreSQL)
	DB      *store.DB
	Keys    *seal.Keyring
	KeysDir string
	Master  seal.MasterKey
	Clock   *Clock
}

// Raw opens a separate plain connection to the same database, for tests
// that inspect or tamper with what is stored, as an attacker with database
// access would.
func (e *Env) Raw(t testing.TB) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", e.URL
	if e.Dialect == store.SQLite {
		driver, dsn = "sqlite", "file:"+e.Path+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// WithAttachments is env with its database opened again, with the same
// keyring and clock, keeping attachments larger than threshold bytes in
// the object store s (KLUIS_STORAGE).
func (e *Env) WithAttachments(t testing.TB, s objstore.Store, threshold int64) *Env {
	t.Helper()
	db, err := store.Open(context.Background(), e.URL, store.Options{Keys: e.Keys, Now: e.Clock.Now, Attachments: s,
		AttachmentThreshold: threshold})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := *e
	c.DB = db
	return &c
}

// EachDialect runs fn as subtest "sqlite" and subtest "postgres", each with
// a fresh, migrated database.
func EachDialect(t *testing.T, fn func(t *testing.T, env *Env)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, newSQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		env := newPostgres(t)
		fn(t, env)
	})
}

// SQLite returns a fresh SQLite environment (for tests that need only one).
func SQLite(t testing.TB) *Env { return newSQLite(t) }

func newKeys(t testing.TB) (*seal.Keyring, string, seal.MasterKey) {
	t.Helper()
	m, err := seal.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "keys")
	if err := seal.Init(dir, m); err != nil {
		t.Fatal(err)
	}
	k, err := seal.OpenKeyring(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	return k, dir, m
}

func newSQLite(t testing.TB) *Env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kluis.db")
	return open(t, store.SQLite, "sqlite:"+path, path)
}

func open(t testing.TB, d store.Dialect, u, path string) *Env {
	t.Helper()
	keys, dir, m := newKeys(t)
	clock := NewClock()
	db, err := store.Open(context.Background(), u, store.Options{Keys: keys, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &Env{Dialect: d, URL: u, Path: path, DB: db, Keys: keys, KeysDir: dir, Master: m, Clock: clock}
}

var (
	pgOnce  sync.Once
	pgAdmin *sql.DB
	pgErr   error
)

// PostgresURL returns the admin URL, skipping (or failing, when required)
// the test when none is configured.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvPostgresURL)
	if u == "" {
		if os.Getenv(EnvRequirePostgres) == "1" {
			t.Fatalf("%s is not set but %s=1: PostgreSQL is required", EnvPostgresURL, EnvRequirePostgres)
		}
		t.Skipf("PostgreSQL NOT TESTED: %s is not set (run the tests with `make test`)", EnvPostgresURL)
	}
	return u
}

// NewPostgresDatabase creates an empty database on the test server and
// returns its URL; it is dropped when the test ends.
func NewPostgresDatabase(t testing.TB) string {
	t.Helper()
	admin := PostgresURL(t)
	pgOnce.Do(func() {
		pgAdmin, pgErr = sql.Open("pgx", admin)
		if pgErr == nil {
			pgAdmin.SetMaxOpenConns(4)
			pgErr = pgAdmin.Ping()
		}
	})
	if pgErr != nil {
		t.Fatalf("PostgreSQL at %s: %v", store.Redact(admin), pgErr)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "kluis_test_" + hex.EncodeToString(b[:])
	if _, err := pgAdmin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		pgAdmin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	pu, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	pu.Path = "/" + name
	return pu.String()
}

func newPostgres(t testing.TB) *Env {
	t.Helper()
	return open(t, store.Postgres, NewPostgresDatabase(t), "")
}

// EachDialectB runs a benchmark body as sub-benchmark "sqlite" and
// "postgres", each with a fresh, migrated database.
func EachDialectB(b *testing.B, fn func(b *testing.B, env *Env)) {
	b.Helper()
	b.Run("sqlite", func(b *testing.B) { fn(b, newSQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, newPostgres(b)) })
}

// FindPlaintext scans everything the database holds for each needle, as an
// attacker with a copy of the files would: on SQLite the raw database file
// and its WAL, on PostgreSQL every column of every table (text and bytea).
// It returns where each needle was found. control must be a value that IS
// stored in plaintext: the scan fails the test when it cannot find it, so a
// scan that sees nothing cannot pass.
func FindPlaintext(t testing.TB, env *Env, control string, needles ...string) map[string][]string {
	t.Helper()
	all := append([]string{control}, needles...)
	found := map[string][]string{}
	if env.Dialect == store.SQLite {
		files, _ := filepath.Glob(env.Path + "*") // the database, its WAL and shared memory
		if len(files) == 0 {
			t.Fatal("no database files found")
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range all {
				if bytes.Contains(b, []byte(m)) {
					found[m] = append(found[m], filepath.Base(f))
				}
			}
		}
	} else {
		raw := env.Raw(t)
		rows, err := raw.Query(`SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'`)
		if err != nil {
			t.Fatal(err)
		}
		var cols [][3]string
		for rows.Next() {
			var c [3]string
			if err := rows.Scan(&c[0], &c[1], &c[2]); err != nil {
				t.Fatal(err)
			}
			cols = append(cols, c)
		}
		rows.Close()
		for _, c := range cols {
			q := fmt.Sprintf(`SELECT count(*) FROM %q WHERE strpos(%q::text, $1) > 0`, c[0], c[1])
			if c[2] == "bytea" {
				q = fmt.Sprintf(`SELECT count(*) FROM %q WHERE position(convert_to($1, 'UTF8') in %q) > 0`, c[0], c[1])
			}
			for _, m := range all {
				var n int
				if err := raw.QueryRow(q, m).Scan(&n); err != nil {
					t.Fatalf("scan %s.%s: %v", c[0], c[1], err)
				}
				if n > 0 {
					found[m] = append(found[m], c[0]+"."+c[1])
				}
			}
		}
	}
	if len(found[control]) == 0 {
		t.Fatal("the scan did not find the plaintext control value: it cannot see anything")
	}
	delete(found, control)
	return found
}

// Another returns a fresh, migrated environment of the same dialect as e,
// with a keyring of its own: a second, empty instance (an import's target).
func (e *Env) Another(t testing.TB) *Env {
	t.Helper()
	if e.Dialect == store.Postgres {
		return newPostgres(t)
	}
	return newSQLite(t)
}
