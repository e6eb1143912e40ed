package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
)

// Tx is a write transaction as seen by one request of a group commit. Its
// methods use the writer's context: a request's own context is checked
// before its function runs, not in the middle of it, so a cancelled request
// never poisons the shared transaction.
type Tx struct {
	ctx context.Context
	tx  *sql.Tx
	db  *DB
}

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(tx.ctx, query, args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(tx.ctx, query, args...)
}

type writeReq struct {
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
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.wq <- req:
	case <-db.stop:
		return ErrStoreClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the request is answered even if ctx ends: the caller must
	// know whether its write was committed.
	return <-req.done
}

func (db *DB) writer() {
	defer close(db.stopped)
	for {
		var first *writeReq
		select {
		case first = <-db.wq:
		case <-db.stop:
			// Finish what is already queued, then stop.
			for {
				select {
				case r := <-db.wq:
					db.commitBatch([]*writeReq{r})
				default:
					return
				}
			}
		}
		batch := []*writeReq{first}
	drain:
		for len(batch) < db.maxBatch {
			select {
			case r := <-db.wq:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		db.commitBatch(batch)
	}
}

func (db *DB) commitBatch(batch []*writeReq) {
	ctx := context.Background()
	sqlTx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		err = fmt.Errorf("begin transaction: %w", err)
		for _, r := range batch {
			r.done <- err
		}
		return
	}
	tx := &Tx{ctx: ctx, tx: sqlTx, db: db}
	results := make([]error, len(batch))
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		sp := "w" + strconv.Itoa(i)
		if _, err := tx.exec("SAVEPOINT " + sp); err != nil {
			results[i] = fmt.Errorf("savepoint: %w", err)
			continue
		}
		err := runGuarded(r.fn, tx)
		var k keepError
		switch {
		case err == nil:
			_, err = tx.exec("RELEASE SAVEPOINT " + sp)
			results[i] = err
		case errors.As(err, &k):
			if _, rerr := tx.exec("RELEASE SAVEPOINT " + sp); rerr != nil {
				err = rerr
			}
			results[i] = err
		default:
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
				return
			}
			tx.exec("RELEASE SAVEPOINT " + sp)
			results[i] = err
		}
	}
	if err := sqlTx.Commit(); err != nil {
		err = fmt.Errorf("commit: %w", err)
		for _, r := range batch {
			r.done <- err
		}
		return
	}
	for i, r := range batch {
		var k keepError
		if errors.As(results[i], &k) {
			results[i] = k.err
		}
		r.done <- results[i]
	}
}

func runGuarded(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in store write: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(tx)
}
