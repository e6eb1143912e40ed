// Package store is the only package that speaks SQL. It persists tenants,
// registers, personal data (sealed with the tenant's keys from package seal),
// the audit log and durable jobs, on SQLite (embedded default) or PostgreSQL,
// with the same SQL text wherever the two agree.
//
// Every exported method owns its transaction. Every method that reads or
// writes personal data takes an audit.Actor and appends its audit event in
// the same transaction: if the event cannot be written, the operation fails
// and nothing is left behind. Writes go through one writer goroutine that
// groups whatever is waiting into one transaction (group commit), each
// request inside its own savepoint, so durable commits are shared without
// letting one failing request undo another.
//
// It may import the domain packages (audit, tenant, register, seal) and the
// database drivers, nothing above it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/seal"
	_ "modernc.org/sqlite" // SQLite driver, pure Go
)

// Dialect names the database engine.
type Dialect string

// The two supported databases.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Errors returned by store methods. Driver errors never cross the boundary
// untranslated except as wrapped detail of an internal error.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")
	ErrSchema      = errors.New("database schema is not up to date")
	ErrUnreadable  = errors.New("sealed data cannot be opened")
	ErrStoreClosed = errors.New("store is closed")
)

// Options configure Open.
type Options struct {
	// Keys seals and opens personal data. Required for methods that touch
	// personal data; methods that need it fail closed when it is nil.
	Keys *seal.Keyring
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxBatch bounds how many write requests share one transaction.
	MaxBatch int
	// Attachments, when set, is the object store shared by the nodes
	// (KLUIS_STORAGE, below its "attachments/" prefix): an attachment
	// larger than AttachmentThreshold bytes keeps its sealed bytes there
	// (see attachment_objects.go). nil: every attachment in the database.
	Attachments         objstore.Store
	AttachmentThreshold int64
}

// DB is a handle on the database.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	keys    *keyring // nil without Options.Keys
	// blobs and blobOver: Options.Attachments and AttachmentThreshold.
	blobs    objstore.Store
	blobOver int64
	now      func() time.Time
	where    string // redacted description for messages

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt
	// heads caches each tenant's audit chain head as last committed by
	// this process's writer (owned by the writer goroutine).
	heads map[string]chainHead

	commits, writes atomic.Int64
	// onBatch, when set, hears the size of every batch the writer
	// commits (the operators' metrics, see ObserveBatches).
	onBatch atomic.Pointer[func(size int)]
	// wconn is the writer's own connection: its page cache stays warm and
	// its prepared statements stay prepared.
	wconn *sql.Conn

	wq chan *writeReq
	// bq is the bulk lane (retention chunks): a bulk write runs alone in
	// its own transaction and only when no interactive write is waiting.
	bq       chan *writeReq
	maxBatch int
	stop     chan struct{}
	stopped  chan struct{}
	closeMu  sync.Once

	// loginWaits wakes login attempts waiting for an account's in-flight
	// attempts (see Login).
	loginWaits loginWaits
	// resetDecoys counts the decoy reset mails sealed (see
	// decoyPasswordReset), for tests.
	resetDecoys atomic.Int64
	// registers caches register versions, which never change once saved
	// (tenant id + "/" + version -> register.Register).
	registers sync.Map

	// log receives the operator alerts (see alertUnreadable); nil means
	// slog.Default().
	log            atomic.Pointer[slog.Logger]
	unreadableSeen atomic.Int64
}

// ParseURL tells which dialect a database URL names and gives the driver's
// data source name. Accepted: postgres:// and postgresql:// URLs, sqlite:PATH,
// sqlite://PATH, file:PATH, or a plain path ending in .db/.sqlite/.sqlite3.
func ParseURL(raw string) (Dialect, string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "", errors.New("database URL is empty")
	}
	lower := strings.ToLower(raw)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return "", "", fmt.Errorf("database URL %q is not a valid postgres:// URL (want postgres://user@host:port/dbname)", Redact(raw))
		}
		return Postgres, raw, nil
	case strings.HasPrefix(lower, "sqlite://"):
		return sqliteDSN(raw[len("sqlite://"):])
	case strings.HasPrefix(lower, "sqlite:"):
		return sqliteDSN(raw[len("sqlite:"):])
	case strings.HasPrefix(lower, "file:"):
		return sqliteDSN(strings.SplitN(raw[len("file:"):], "?", 2)[0])
	case strings.Contains(raw, "://"):
		return "", "", fmt.Errorf("database URL %q has an unsupported scheme (use sqlite:PATH or postgres://…)", Redact(raw))
	default:
		ext := strings.ToLower(filepath.Ext(raw))
		if ext == ".db" || ext == ".sqlite" || ext == ".sqlite3" {
			return sqliteDSN(raw)
		}
		return "", "", fmt.Errorf("database URL %q is not understood (use sqlite:PATH or postgres://…)", Redact(raw))
	}
}

func sqliteDSN(path string) (Dialect, string, error) {
	if path == "" {
		return "", "", errors.New("database URL names no SQLite file (use sqlite:PATH)")
	}
	q := url.Values{}
	// WAL for concurrent readers, a busy timeout instead of instant
	// SQLITE_BUSY, foreign keys enforced, and synchronous=FULL so that an
	// acknowledged commit survives a power cut.
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(FULL)", "cache_size(-16000)", "wal_autocheckpoint(4000)"} {
		q.Add("_pragma", p)
	}
	// Writers take the lock at BEGIN, so two writers never deadlock on a
	// read-to-write upgrade.
	q.Set("_txlock", "immediate")
	return SQLite, "file:" + path + "?" + q.Encode(), nil
}

// Redact removes a password from a URL for messages and logs.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Open connects to the database named by rawURL and starts the writer. It
// does not migrate; call Migrate or check SchemaVersion.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	dialect, dsn, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	driver := "sqlite"
	if dialect == Postgres {
		driver = "pgx"
	} else if err := createPrivate(SQLitePath(rawURL)); err != nil {
		return nil, fmt.Errorf("open database %s: %w", Redact(rawURL), err)
	}
	sdb, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", Redact(rawURL), err)
	}
	if dialect == SQLite {
		sdb.SetMaxOpenConns(8)
		sdb.SetMaxIdleConns(8)
		sdb.SetConnMaxLifetime(0)
	} else {
		sdb.SetMaxOpenConns(32)
		sdb.SetMaxIdleConns(8)
		sdb.SetConnMaxIdleTime(5 * time.Minute)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sdb.PingContext(pctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("cannot reach the database %s: %s", Redact(rawURL), firstLine(err))
	}
	db := &DB{
		sql: sdb, dialect: dialect, now: opts.Now, where: Redact(rawURL),
		blobs: opts.Attachments, blobOver: opts.AttachmentThreshold,
		wq: make(chan *writeReq, 1024), bq: make(chan *writeReq, 16), maxBatch: opts.MaxBatch,
		stop: make(chan struct{}), stopped: make(chan struct{}),
	}
	if db.now == nil {
		db.now = time.Now
	}
	if opts.Keys != nil {
		db.keys = &keyring{Keyring: opts.Keys, db: db}
	}
	if db.maxBatch <= 0 {
		db.maxBatch = 256
	}
	if db.wconn, err = sdb.Conn(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open database %s: %w", Redact(rawURL), err)
	}
	go db.writer()
	return db, nil
}

// createPrivate creates a missing SQLite database file readable by its
// owner only (0600), before the driver would create it 0644 under the
// usual umask: the file holds pseudonyms, sealed data and the audit log
// (SEC-2). SQLite gives the -wal and -shm files it creates later the
// main file's mode. An existing file is left as the operator set it.
func createPrivate(path string) error {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, ":memory:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// Close stops the writer (finishing what is queued) and closes the pool.
func (db *DB) Close() error {
	db.closeMu.Do(func() { close(db.stop) })
	<-db.stopped
	db.stmtMu.Lock()
	for _, st := range db.stmts {
		st.Close()
	}
	db.stmts = nil
	db.stmtMu.Unlock()
	db.wconn.Close()
	return db.sql.Close()
}

// Dialect reports which database this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// Now is the store's clock.
func (db *DB) Now() time.Time { return db.now() }

// Keys returns the keyring the store seals with (may be nil).
func (db *DB) Keys() *seal.Keyring {
	if db.keys == nil {
		return nil
	}
	return db.keys.Keyring
}

// Ping checks the database answers (for /readyz).
func (db *DB) Ping(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	return nil
}

// micros stores times as microseconds since the epoch on both dialects.
func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// isUniqueViolation recognises a unique-constraint error from either driver.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505") ||
		strings.Contains(s, "duplicate key value")
}

// SQLitePath returns the file path of an SQLite database URL ("" for
// PostgreSQL or a malformed URL).
func SQLitePath(rawURL string) string {
	d, dsn, err := ParseURL(rawURL)
	if err != nil || d != SQLite {
		return ""
	}
	p := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// WriterStats counts the writer's work since Open: durable commits and the
// write requests they carried. Writes/Commits is the mean group-commit size.
type WriterStats struct{ Commits, Writes int64 }

// WriterStats reports the writer's counters.
func (db *DB) WriterStats() WriterStats {
	return WriterStats{Commits: db.commits.Load(), Writes: db.writes.Load()}
}
