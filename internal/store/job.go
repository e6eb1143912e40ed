package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Job is a durable unit of background work.
type Job struct {
	ID          string
	TenantID    string // "" for platform jobs
	Kind        string
	DedupeKey   string
	Payload     string
	Status      string
	RunAt       time.Time
	Attempts    int
	MaxAttempts int
	LastError   string
}

// NewJob is the input of EnqueueJob. A DedupeKey makes enqueueing
// idempotent: a second job with the same key is not created.
type NewJob struct {
	Kind        string
	TenantID    string
	DedupeKey   string
	Payload     string
	RunAt       time.Time
	MaxAttempts int
}

// EnqueueJob stores a pending job. created is false when a job with the same
// dedupe key already exists.
func (db *DB) EnqueueJob(ctx context.Context, j NewJob) (id string, created bool, err error) {
	if j.Kind == "" {
		return "", false, errors.New("enqueue job: kind is required")
	}
	now := db.now()
	if j.RunAt.IsZero() {
		j.RunAt = now
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = 5
	}
	var tenantID, dedupe any
	if j.TenantID != "" {
		tenantID = j.TenantID
	}
	if j.DedupeKey != "" {
		dedupe = j.DedupeKey
	}
	id = newID(now)
	err = db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`INSERT INTO jobs (id, tenant_id, kind, dedupe_key, payload, status, run_at, max_attempts, created_at)
			VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING`,
			id, tenantID, j.Kind, dedupe, j.Payload, micros(j.RunAt), j.MaxAttempts, micros(now))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		created = n == 1
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("enqueue job %s: %w", j.Kind, err)
	}
	return id, created, nil
}

// ClaimJob takes the oldest due job (or one whose lease ran out) for node,
// leasing it for lease. ErrNotFound when nothing is due.
func (db *DB) ClaimJob(ctx context.Context, node string, lease time.Duration) (Job, error) {
	var j Job
	err := db.write(ctx, func(tx *Tx) error {
		now := micros(db.now())
		q := `SELECT id FROM jobs WHERE (status = 'pending' AND run_at <= $1) OR (status = 'running' AND locked_until < $1)
			ORDER BY run_at LIMIT 1`
		if db.dialect == Postgres {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		var id string
		if err := tx.queryRow(q, now).Scan(&id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		if _, err := tx.exec(`UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1
			WHERE id = $3`, node, now+lease.Microseconds(), id); err != nil {
			return err
		}
		var tenantID, dedupe sql.NullString
		var runAt int64
		err := tx.queryRow(`SELECT id, tenant_id, kind, dedupe_key, payload, status, run_at, attempts, max_attempts, last_error
			FROM jobs WHERE id = $1`, id).Scan(&j.ID, &tenantID, &j.Kind, &dedupe, &j.Payload, &j.Status, &runAt,
			&j.Attempts, &j.MaxAttempts, &j.LastError)
		j.TenantID, j.DedupeKey, j.RunAt = tenantID.String, dedupe.String, fromMicros(runAt)
		return err
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("claim job: %w", err)
	}
	return j, err
}

// FinishJob records a job's outcome: done, or on failure a retry with
// exponential back-off until its attempts are used up.
func (db *DB) FinishJob(ctx context.Context, j Job, runErr error) error {
	return db.write(ctx, func(tx *Tx) error {
		now := db.now()
		if runErr == nil {
			_, err := tx.exec(`UPDATE jobs SET status = 'done', finished_at = $1, last_error = '', locked_by = '' WHERE id = $2`,
				micros(now), j.ID)
			return err
		}
		msg := runErr.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		if j.Attempts >= j.MaxAttempts {
			_, err := tx.exec(`UPDATE jobs SET status = 'failed', finished_at = $1, last_error = $2, locked_by = '' WHERE id = $3`,
				micros(now), msg, j.ID)
			return err
		}
		backoff := time.Duration(1<<min(j.Attempts, 10)) * time.Minute
		_, err := tx.exec(`UPDATE jobs SET status = 'pending', run_at = $1, last_error = $2, locked_by = '' WHERE id = $3`,
			micros(now.Add(backoff)), msg, j.ID)
		return err
	})
}

// JobByDedupeKey returns the job with that dedupe key, or ErrNotFound.
func (db *DB) JobByDedupeKey(ctx context.Context, key string) (Job, error) {
	var j Job
	var tenantID, dedupe sql.NullString
	var runAt int64
	err := db.sql.QueryRowContext(ctx, `SELECT id, tenant_id, kind, dedupe_key, payload, status, run_at, attempts, max_attempts, last_error
		FROM jobs WHERE dedupe_key = $1`, key).Scan(&j.ID, &tenantID, &j.Kind, &dedupe, &j.Payload, &j.Status, &runAt,
		&j.Attempts, &j.MaxAttempts, &j.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		return j, ErrNotFound
	}
	j.TenantID, j.DedupeKey, j.RunAt = tenantID.String, dedupe.String, fromMicros(runAt)
	return j, err
}

// Leadership is held by the node that runs the scheduler.
type Leadership struct {
	conn *sql.Conn // PostgreSQL: the session holding the advisory lock
}

// Alive reports whether the leadership still holds: on PostgreSQL, whether
// the session holding the lock still answers (a lost connection releases
// the lock, and another node may take it).
func (l *Leadership) Alive(ctx context.Context) bool {
	if l.conn == nil {
		return true
	}
	return l.conn.PingContext(ctx) == nil
}

// Release gives the leadership up.
func (l *Leadership) Release() {
	if l.conn == nil {
		return
	}
	l.conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(7405002)`)
	l.conn.Close()
	l.conn = nil
}

// Leader tries to become the node that runs the scheduler. On PostgreSQL it
// takes a session advisory lock on a dedicated connection, held until
// Release or until that connection dies; SQLite serves one node, which
// always leads. ok is false when another node leads.
func (db *DB) Leader(ctx context.Context) (l *Leadership, ok bool, err error) {
	if db.dialect == SQLite {
		return &Leadership{}, true, nil
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(7405002)`).Scan(&ok); err != nil || !ok {
		conn.Close()
		return nil, false, err
	}
	return &Leadership{conn: conn}, true, nil
}
