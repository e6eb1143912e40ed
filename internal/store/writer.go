package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"strconv"
	"time"
)

// Tx is a write transaction as seen by one request of a group commit. Its
// methods use the writer's context: a request's own context is checked
// before its function runs, not in the middle of it, so a cancelled request
// never poisons the shared transaction.
type Tx struct {
	ctx context.Context
	tx  *sql.Tx
	db  *DB
	// heads are the audit chain heads this transaction has moved, published
	// to the writer's cache only when the transaction commits.
	heads map[string]chainHead
	// objects are the attachment objects fetched before the transaction
	// for the request running in it (withObjects); nil otherwise.
	objects *objectCache
}

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	if st := tx.db.stmt(query); st != nil {
		return tx.tx.StmtContext(tx.ctx, st).ExecContext(tx.ctx, args...)
	}
	return tx.tx.ExecContext(tx.ctx, query, args...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	if st := tx.db.stmt(query); st != nil {
		return tx.tx.StmtContext(tx.ctx, st).QueryContext(tx.ctx, args...)
	}
	return tx.tx.QueryContext(tx.ctx, query, args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	if st := tx.db.stmt(query); st != nil {
		return tx.tx.StmtContext(tx.ctx, st).QueryRowContext(tx.ctx, args...)
	}
	return tx.tx.QueryRowContext(tx.ctx, query, args...)
}

// stmt returns a prepared statement for query on SQLite, where parsing the
// SQL again for every call costs more than running it; nil means run the
// text directly (PostgreSQL: pgx caches prepared statements itself).
func (db *DB) stmt(query string) *sql.Stmt {
	if db.dialect != SQLite {
		return nil
	}
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	if st, ok := db.stmts[query]; ok {
		return st
	}
	st, err := db.sql.Prepare(query)
	if err != nil {
		return nil // let the direct call report the error
	}
	if db.stmts == nil {
		db.stmts = map[string]*sql.Stmt{}
	}
	db.stmts[query] = st
	return st
}

type writeReq struct {
	bulk bool // sent by writeBulk
	// a is the announcement of a write sent by writeAnnounced, counted in
	// db.coming until the writer receives it; only the sender's goroutine
	// touches its fields.
	a    *announcement
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// keepError wraps an error whose request's writes must still be committed:
// a refused or failed action whose audit event has to stay.
type keepError struct{ err error }

func (k keepError) Error() string { return k.err.Error() }
func (k keepError) Unwrap() error { return k.err }

// keep marks err so the request's writes (its audit event) are committed
// while the caller still gets err.
func keep(err error) error { return keepError{err} }

// write runs fn in a transaction shared with whatever other writes are
// waiting, and returns once the transaction is durably committed (or fn's
// error). fn's writes are undone when it returns an error not made by keep.
func (db *DB) write(ctx context.Context, fn func(*Tx) error) error {
	return db.send(ctx, db.wq, &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

// writeAnnounced is write for a write announced before it was prepared
// (see announce).
func (db *DB) writeAnnounced(ctx context.Context, a *announcement, fn func(*Tx) error) error {
	return db.send(ctx, db.wq, &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1), a: a})
}

// send queues req on q and waits for its answer.
func (db *DB) send(ctx context.Context, q chan *writeReq, req *writeReq) error {
	select {
	case q <- req:
		if req.a != nil {
			req.a.handed = true // the writer withdraws it when it takes req
		}
	case <-db.stop:
		return ErrStoreClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the request is answered even if ctx ends: the caller must
	// know whether its write was committed.
	return <-req.done
}

// writeBulk is write for bulk work that may take the writer for a while
// (a retention chunk): it never shares a transaction with interactive
// writes, and the writer takes it only when no interactive write waits, so
// a clerk's audited read waits at most for the one bulk transaction that
// is running, never for a queue of them nor for a bulk transaction joined
// to its own (SEC-1: the inbox stays responsive during a sweep).
func (db *DB) writeBulk(ctx context.Context, fn func(*Tx) error) error {
	return db.send(ctx, db.bq, &writeReq{bulk: true, ctx: ctx, fn: fn, done: make(chan error, 1)})
}

// interactiveWaiting reports, inside a bulk transaction, whether an
// interactive write is queued: the bulk work then commits what it did and
// lets it go first.
func (tx *Tx) interactiveWaiting() bool { return len(tx.db.wq) > 0 }

func (db *DB) writer() {
	defer close(db.stopped)
	// last is the largest batch of the recent ones (forgotten every
	// peakWindow batches): how many writers are taking turns.
	last, peak, n := 0, 0, 0
	seen := func(size int) {
		peak, n = max(peak, size), n+1
		if n%peakWindow == 0 {
			peak = size
		}
		last = peak
	}
	for {
		var first *writeReq
		// Interactive writes first: a bulk request is taken only when
		// none is waiting.
		select {
		case first = <-db.wq:
		default:
			select {
			case first = <-db.wq:
			case r := <-db.bq:
				// Both lanes may have become ready at once (select
				// picks at random): the interactive batch still goes first.
				select {
				case i := <-db.wq:
					batch := db.gather(i, last)
					seen(len(batch))
					db.commitBatch(batch)
				default:
				}
				db.commitBatch([]*writeReq{r})
				continue
			case <-db.stop:
				// Finish what is already queued, then stop.
				for {
					select {
					case r := <-db.wq:
						db.received(r)
						db.commitBatch([]*writeReq{r})
					case r := <-db.bq:
						db.commitBatch([]*writeReq{r})
					default:
						return
					}
				}
			}
		}
		batch := db.gather(first, last)
		seen(len(batch))
		db.commitBatch(batch)
	}
}

// lingerMax bounds how long the writer waits for more requests to join a
// batch. A durable commit costs far more than this, in CPU as well as in
// time: at 200 µs, eight clients split into two groups of four taking
// turns, each group paying a commit (WAL frames of the shared pages, a
// transaction, an fsync); at 1 ms they share one and the intake's server
// CPU per submission fell by a quarter (docs/benchmarks.md).
const lingerMax = time.Millisecond

// peakWindow is how many batches the writer remembers the largest of.
const peakWindow = 64

// comingMax bounds how long the writer waits for announced writes (see
// announce) still being prepared: a submission is sealed in its caller's
// goroutine before it is queued, which on a loaded machine takes longer
// than lingerMax. Each one that joins saves the server the CPU of a commit
// of its own (WAL frames of the pages it shares with the others, a
// transaction, an fsync): the intake's CPU per submission is mostly that.
const comingMax = time.Millisecond

// announcement is a write being prepared that the writer holds its batch
// open for (at most comingMax) until it receives it.
type announcement struct {
	db     *DB
	handed bool // queued: the writer withdraws it when it takes it
}

// announce tells the writer a write is being prepared and will be queued
// soon with writeAnnounced; withdraw it (deferred) in case it is not.
func (db *DB) announce() *announcement {
	db.coming.Add(1)
	return &announcement{db: db}
}

// withdraw takes back an announcement whose write was never queued.
func (a *announcement) withdraw() {
	if !a.handed {
		a.handed = true
		a.db.coming.Add(-1)
	}
}

// received is called by the writer for every request it takes off the
// interactive queue: an announced one is no longer coming.
func (db *DB) received(r *writeReq) {
	if r.a != nil {
		db.coming.Add(-1)
	}
}

// gather collects what is waiting into one batch. When fewer requests are
// waiting than the largest recent batch carried (last), their writers are most likely just
// getting their previous answers and about to send the next request: wait
// up to lingerMax for them, so that the callers share one commit instead
// of splitting into two groups that each pay for one. Announced writes
// being prepared are waited for up to comingMax.
func (db *DB) gather(first *writeReq, last int) []*writeReq {
	db.received(first)
	batch := []*writeReq{first}
	var deadline, comingDeadline <-chan time.Time
	var poll *time.Ticker
	defer func() {
		if poll != nil {
			poll.Stop()
		}
	}()
	for len(batch) < db.maxBatch {
		select {
		case r := <-db.wq:
			db.received(r)
			batch = append(batch, r)
			continue
		default:
		}
		if db.coming.Load() > 0 {
			// An announced write gives no signal when it is queued other
			// than the queue itself; poll the counter in case it is
			// withdrawn instead.
			if comingDeadline == nil {
				comingDeadline = time.After(comingMax)
				poll = time.NewTicker(lingerMax)
			}
			select {
			case r := <-db.wq:
				db.received(r)
				batch = append(batch, r)
			case <-poll.C:
			case <-comingDeadline:
				return batch
			case <-db.stop:
				return batch
			}
			continue
		}
		if len(batch) >= last {
			return batch
		}
		if deadline == nil {
			deadline = time.After(lingerMax)
		}
		select {
		case r := <-db.wq:
			db.received(r)
			batch = append(batch, r)
		case <-deadline:
			return batch
		case <-db.stop:
			return batch
		}
	}
	return batch
}

// commitBatch commits a batch of requests in one transaction. It first runs
// them all straight through; only when one fails does it roll back and run
// the batch again with a savepoint around each request, so a failing
// request costs the others a retry but never their writes.
func (db *DB) commitBatch(batch []*writeReq) {
	if f := db.onBatch.Load(); f != nil {
		(*f)(len(batch))
	}
	if len(batch) > 1 && db.runBatch(batch, false) {
		return
	}
	db.runBatch(batch, true)
}

// runBatch runs batch in one transaction and answers every request, unless
// isolate is false and a request failed: then it rolls back, answers
// nobody and returns false.
func (db *DB) runBatch(batch []*writeReq, isolate bool) bool {
	ctx := context.Background()
	if batch[0].bulk && db.dialect == SQLite {
		// A bulk transaction commits without waiting for the disk: it is
		// redone by the next run if a power cut takes it (retention is
		// idempotent, and its audit events go with it, atomically), and
		// the next durable commit syncs it anyway. The interactive write
		// after it then waits for a few rows, not for an fsync.
		if _, err := db.wconn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err == nil {
			defer db.wconn.ExecContext(ctx, "PRAGMA synchronous = FULL")
		}
	}

	sqlTx, err := db.wconn.BeginTx(ctx, nil)
	if err != nil {
		// The writer's connection may have died (a database restart):
		// take a fresh one from the pool and try once more.
		db.wconn.Close()
		if c, cerr := db.sql.Conn(ctx); cerr == nil {
			db.wconn = c
			db.heads = nil
			sqlTx, err = db.wconn.BeginTx(ctx, nil)
		}
	}
	if err != nil {
		err = fmt.Errorf("begin transaction: %w", err)
		for _, r := range batch {
			r.done <- err
		}
		return true
	}
	tx := &Tx{ctx: ctx, tx: sqlTx, db: db, heads: map[string]chainHead{}}
	if batch[0].bulk && db.dialect == Postgres {
		// As on SQLite above: a bulk commit need not wait for the WAL
		// flush; the next synchronous commit flushes it.
		if _, err := sqlTx.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
			sqlTx.Rollback()
			for _, r := range batch {
				r.done <- fmt.Errorf("bulk transaction: %w", err)
			}
			return true
		}
	}
	results := make([]error, len(batch))
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		// A request alone in its transaction needs no savepoint: when it
		// fails, rolling the whole transaction back undoes the same writes.
		// A savepoint is not free on SQLite: every page the request changes
		// is first copied to a sub-journal file (a retention chunk spent a
		// fifth of its time there, SEC-1).
		if !isolate || len(batch) == 1 {
			err := runGuarded(r.fn, tx)
			var k keepError
			if err != nil && !errors.As(err, &k) {
				sqlTx.Rollback()
				if !isolate {
					return false
				}
				r.done <- err
				return true
			}
			results[i] = err
			continue
		}
		sp := "w" + strconv.Itoa(i)
		if _, err := tx.exec("SAVEPOINT " + sp); err != nil {
			results[i] = fmt.Errorf("savepoint: %w", err)
			continue
		}
		saved := maps.Clone(tx.heads)
		err := runGuarded(r.fn, tx)
		var k keepError
		switch {
		case err == nil || errors.As(err, &k):
			if _, rerr := tx.exec("RELEASE SAVEPOINT " + sp); rerr != nil {
				err = rerr
			}
			results[i] = err
		default:
			tx.heads = saved
			if _, rerr := tx.exec("ROLLBACK TO SAVEPOINT " + sp); rerr != nil {
				// The transaction is unusable: fail everyone in it.
				sqlTx.Rollback()
				for j, r := range batch {
					if j == i {
						r.done <- err
					} else {
						r.done <- fmt.Errorf("transaction aborted: %w", rerr)
					}
				}
				return true
			}
			tx.exec("RELEASE SAVEPOINT " + sp)
			results[i] = err
		}
	}
	if err := sqlTx.Commit(); err != nil {
		db.heads = nil // what the cache holds may not have been committed
		err = fmt.Errorf("commit: %w", err)
		for _, r := range batch {
			r.done <- err
		}
		return true
	}
	db.commits.Add(1)
	db.writes.Add(int64(len(batch)))
	if db.heads == nil {
		db.heads = map[string]chainHead{}
	}
	maps.Copy(db.heads, tx.heads)
	for i, r := range batch {
		var k keepError
		if errors.As(results[i], &k) {
			results[i] = k.err
		}
		r.done <- results[i]
	}
	return true
}

func runGuarded(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in store write: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(tx)
}
