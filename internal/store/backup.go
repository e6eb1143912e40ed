package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"modernc.org/sqlite"
)

// Backups (END-2, SEC-4, SEC-5). The store takes the consistent snapshot
// and counts each tenant's rows in it; package backup encrypts, signs and
// ships it. Counting in the snapshot itself (the copy on SQLite, the
// exported snapshot on PostgreSQL) makes the counts those of the backup,
// however busy the server is meanwhile.

// RowCounts is tenant id → table → rows, over every table with a
// tenant_id column.
type RowCounts map[string]map[string]int64

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// SnapshotSQLite writes a consistent copy of the SQLite database to dest
// (which must not exist) with SQLite's online backup API while the server
// keeps serving, and returns the row counts of the copy.
func (db *DB) SnapshotSQLite(ctx context.Context, dest string) (RowCounts, error) {
	if db.dialect != SQLite {
		return nil, errors.New("snapshot: not an SQLite database")
	}
	if err := db.copySQLite(ctx, dest); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	if err := os.Chmod(dest, 0o600); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	cp, err := sql.Open("sqlite", "file:"+dest+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer cp.Close()
	conn, err := cp.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer conn.Close()
	return countRows(ctx, conn, SQLite)
}

// sqliteBackuper is the modernc driver's connection, which exposes
// sqlite3_backup_*.
type sqliteBackuper interface {
	NewBackup(dstURI string) (*sqlite.Backup, error)
}

// copySQLite copies the database's pages to dest in one backup step: one
// read transaction (WAL: the server's writers go on), so the copy is
// consistent. It replaces VACUUM INTO, which rebuilt every table and
// index row by row in the same read transaction and took the backup
// longer and more CPU away from the server (END-2). One step, not many
// with pauses between them: a write by another connection between steps
// makes SQLite start the copy again, and the server writes all the time.
func (db *DB) copySQLite(ctx context.Context, dest string) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(sqliteBackuper)
		if !ok {
			return errors.New("the SQLite driver has no online backup")
		}
		b, err := c.NewBackup(dest)
		if err != nil {
			return err
		}
		if _, err := b.Step(-1); err != nil {
			b.Finish()
			return err
		}
		dst, err := b.Commit()
		if err != nil {
			return err
		}
		defer dst.Close()
		// The pages carry the server's WAL mode; the copy is one file, as
		// VACUUM INTO made it, for the tar and for a restore.
		ex, ok := dst.(driver.ExecerContext)
		if !ok {
			return errors.New("the SQLite driver cannot execute on the copy")
		}
		_, err = ex.ExecContext(ctx, `PRAGMA journal_mode=DELETE`, nil)
		return err
	})
}

// SnapshotPostgres opens a REPEATABLE READ transaction, exports its
// snapshot and calls dump with the snapshot's name (for pg_dump
// --snapshot) while it stays open; it returns the row counts read in that
// same snapshot.
func (db *DB) SnapshotPostgres(ctx context.Context, dump func(snapshot string) error) (RowCounts, error) {
	if db.dialect != Postgres {
		return nil, errors.New("snapshot: not a PostgreSQL database")
	}
	tx, err := db.sql.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer tx.Rollback()
	var snap string
	if err := tx.QueryRowContext(ctx, `SELECT pg_export_snapshot()`).Scan(&snap); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	counts, err := countRows(ctx, tx, Postgres)
	if err != nil {
		return nil, err
	}
	if err := dump(snap); err != nil {
		return nil, err
	}
	return counts, nil
}

// RowCounts counts each tenant's rows (a restored database, for the
// restore test).
func (db *DB) RowCounts(ctx context.Context) (RowCounts, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return countRows(ctx, conn, db.dialect)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func countRows(ctx context.Context, q querier, d Dialect) (RowCounts, error) {
	listQ := `SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND c.name = 'tenant_id' ORDER BY m.name`
	if d == Postgres {
		listQ = `SELECT table_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND column_name = 'tenant_id' ORDER BY table_name`
	}
	rows, err := q.QueryContext(ctx, listQ)
	if err != nil {
		return nil, fmt.Errorf("row counts: %w", err)
	}
	tables, err := scanStrings(rows)
	if err != nil {
		return nil, fmt.Errorf("row counts: %w", err)
	}
	out := RowCounts{}
	// The tenants table is keyed by id: each tenant's own row.
	tables = append(tables, "tenants")
	for _, t := range tables {
		if !tableName.MatchString(t) {
			return nil, fmt.Errorf("row counts: unexpected table name %q", t)
		}
		col := "tenant_id"
		if t == "tenants" {
			col = "id"
		}
		rows, err := q.QueryContext(ctx, `SELECT `+col+`, count(*) FROM `+t+` GROUP BY `+col)
		if err != nil {
			return nil, fmt.Errorf("row counts of %s: %w", t, err)
		}
		for rows.Next() {
			var id sql.NullString
			var n int64
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("row counts of %s: %w", t, err)
			}
			if out[id.String] == nil {
				out[id.String] = map[string]int64{}
			}
			out[id.String][t] = n
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("row counts of %s: %w", t, err)
		}
	}
	return out, nil
}

// Diff lists, sorted, where got differs from c ("tenant T, table X: 12
// rows, expected 13"); nil when they agree.
func (c RowCounts) Diff(got RowCounts) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range []RowCounts{c, got} {
		for tenant, tables := range m {
			for table := range tables {
				k := tenant + "\x00" + table
				if seen[k] {
					continue
				}
				seen[k] = true
				if want, have := c[tenant][table], got[tenant][table]; want != have {
					out = append(out, fmt.Sprintf("tenant %s, table %s: %d rows, expected %d", tenant, table, have, want))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// Backup run kinds.
const (
	RunBackup      = "backup"
	RunRestoreTest = "restore_test"
)

// BackupRun is one backup made or one restore test, as recorded.
type BackupRun struct {
	ID, Kind, BackupID, Location string
	StartedAt, FinishedAt        time.Time
	OK                           bool
	// Detail says what failed (or what was checked), without personal data.
	Detail string
}

// RecordBackupRun keeps a backup's or restore test's result and writes
// its platform audit event in the same transaction (SEC-5):
// "platform.backup" or "platform.restore_test" by actor, with outcome
// failure when it failed.
func (db *DB) RecordBackupRun(ctx context.Context, actor audit.Actor, r BackupRun) (BackupRun, error) {
	realm, err := db.OperatorRealm(ctx, actor)
	if err != nil {
		return r, fmt.Errorf("record %s: %w", r.Kind, err)
	}
	action := "platform." + r.Kind
	if r.ID == "" {
		r.ID = newID(db.now())
	}
	ok := 0
	if r.OK {
		ok = 1
	}
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO backup_runs (id, kind, backup_id, location, started_at, finished_at, ok, detail)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r.ID, r.Kind, r.BackupID, r.Location,
			micros(r.StartedAt), micros(r.FinishedAt), ok, r.Detail); err != nil {
			return err
		}
		outcome := audit.OutcomeSuccess
		if !r.OK {
			outcome = audit.OutcomeFailure
		}
		return tx.appendAudit(audit.Event{TenantID: realm.ID, Actor: actor, Action: action, ObjectType: "platform",
			ObjectID: PlatformAll, Purpose: r.BackupID, Outcome: outcome})
	})
	if err != nil {
		return r, fmt.Errorf("record %s: %w", r.Kind, err)
	}
	return r, nil
}

const backupRunColumns = `id, kind, backup_id, location, started_at, finished_at, ok, detail`

func scanBackupRun(row interface{ Scan(...any) error }) (BackupRun, error) {
	var r BackupRun
	var s, f int64
	var ok int
	err := row.Scan(&r.ID, &r.Kind, &r.BackupID, &r.Location, &s, &f, &ok, &r.Detail)
	r.StartedAt, r.FinishedAt, r.OK = fromMicros(s), fromMicros(f), ok == 1
	return r, err
}

// LatestBackupRuns returns the latest run of kind and the latest that
// passed (zero values when there is none).
func (db *DB) LatestBackupRuns(ctx context.Context, kind string) (latest, lastOK BackupRun, err error) {
	scan := func(q string) (BackupRun, error) {
		r, err := scanBackupRun(db.sql.QueryRowContext(ctx, `SELECT `+backupRunColumns+` FROM backup_runs WHERE kind = $1`+q+
			` ORDER BY finished_at DESC, id DESC LIMIT 1`, kind))
		if errors.Is(err, sql.ErrNoRows) {
			return BackupRun{}, nil
		}
		return r, err
	}
	if latest, err = scan(""); err != nil {
		return latest, lastOK, fmt.Errorf("backup runs: %w", err)
	}
	if lastOK, err = scan(" AND ok = 1"); err != nil {
		return latest, lastOK, fmt.Errorf("backup runs: %w", err)
	}
	return latest, lastOK, nil
}

// BackupRuns lists the latest backups and restore tests, newest first, at
// most limit of them: what the controllers' evidence pack shows (SEC-5).
func (db *DB) BackupRuns(ctx context.Context, limit int) ([]BackupRun, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+backupRunColumns+` FROM backup_runs
		ORDER BY finished_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("backup runs: %w", err)
	}
	defer rows.Close()
	var out []BackupRun
	for rows.Next() {
		r, err := scanBackupRun(rows)
		if err != nil {
			return nil, fmt.Errorf("backup runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// EmptyScratch drops everything in the current schema of the PostgreSQL
// database at url: the restore test's scratch database, before and after
// each test. It refuses any other dialect.
func EmptyScratch(ctx context.Context, url string) error {
	if d, _, err := ParseURL(url); err != nil || d != Postgres {
		return errors.New("the restore test's scratch database must be PostgreSQL")
	}
	sdb, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer sdb.Close()
	if _, err := sdb.ExecContext(ctx, `DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public`); err != nil {
		return fmt.Errorf("empty the scratch database %s: %s", Redact(url), firstLine(err))
	}
	return nil
}

// BackupFacts is what the platform can show of its backups and restore
// tests (SEC-4, SEC-5): the latest of each kind, the latest that passed,
// and the recent runs. Nothing in it is personal data.
type BackupFacts struct {
	LastBackup, LastGoodBackup BackupRun
	LastTest, LastGoodTest     BackupRun
	// Recent are the latest runs of both kinds, newest first.
	Recent []BackupRun
}

// BackupFacts reads the backup facts, with at most recent runs listed.
// Zero runs where there is none.
func (db *DB) BackupFacts(ctx context.Context, recent int) (BackupFacts, error) {
	var f BackupFacts
	var err error
	if f.LastBackup, f.LastGoodBackup, err = db.LatestBackupRuns(ctx, RunBackup); err != nil {
		return f, err
	}
	if f.LastTest, f.LastGoodTest, err = db.LatestBackupRuns(ctx, RunRestoreTest); err != nil {
		return f, err
	}
	f.Recent, err = db.BackupRuns(ctx, recent)
	return f, err
}

// RequestRestoreTest queues the restore test job (of kind, the job
// runner's name for it) to run now, on an operator's request, with its
// platform audit event "platform.restore_test_requested" in the same
// transaction (SEC-5). queued is false when a requested test is already
// waiting: one request per minute is one test.
func (db *DB) RequestRestoreTest(ctx context.Context, actor audit.Actor, kind string) (queued bool, err error) {
	realm, err := db.OperatorRealm(ctx, actor)
	if err != nil {
		return false, fmt.Errorf("request a restore test: %w", err)
	}
	now := db.now()
	id := newID(now)
	err = db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`INSERT INTO jobs (id, tenant_id, kind, dedupe_key, payload, status, run_at, max_attempts, created_at)
			VALUES ($1, NULL, $2, $3, '', 'pending', $4, 1, $4) ON CONFLICT (dedupe_key) DO NOTHING`,
			id, kind, kind+"/requested/"+now.UTC().Format("2006-01-02T15:04"), micros(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		queued = true
		// No detail: the job's id means nothing to the controllers who
		// read the platform log; the run it starts is recorded by itself.
		return tx.appendAudit(audit.Event{TenantID: realm.ID, Actor: actor, Action: "platform.restore_test_requested",
			ObjectType: "platform", ObjectID: PlatformAll})
	})
	if err != nil {
		return false, fmt.Errorf("request a restore test: %w", err)
	}
	return queued, nil
}
