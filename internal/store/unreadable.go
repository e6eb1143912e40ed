package store

import (
	"context"
	"errors"
	"log/slog"
	"strconv"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
)

// A sealed value that does not open — its ciphertext damaged, its key id
// unknown to the keyring, its tenant's keys gone — fails only the object it
// belongs to: lists show the row as unreadable and go on (SEC-3), the
// failure is audited like any other read (AUD-1), and the operator is
// alerted through the log, since it means damage, tampering or lost keys.

// unreadable describes one sealed value that did not open, for the
// operator's alert: ids and the key id only, never content.
type unreadable struct {
	tenantID, objectType, objectID string
	keyID                          string // "" when the ciphertext names none
	reason                         string
	requestID                      string // the reader's, to match the page's reference
}

// openError is ErrUnreadable with what a list needs to alert on: the
// ciphertext that did not open and seal's reason.
type openError struct {
	sealed []byte
	err    error
}

func (e *openError) Error() string   { return ErrUnreadable.Error() + ": " + e.err.Error() }
func (e *openError) Unwrap() []error { return []error{ErrUnreadable, e.err} }

// unreadableOf describes the value sealed of objectType objectID that
// failed to open with err.
func unreadableOf(actor audit.Actor, tenantID, objectType, objectID string, sealed []byte, err error) unreadable {
	u := unreadable{tenantID: tenantID, objectType: objectType, objectID: objectID, reason: "authentication failed", requestID: actor.RequestID}
	if id, kerr := seal.KeyIDOf(sealed); kerr == nil {
		u.keyID = strconv.FormatUint(uint64(id), 10)
	} else {
		u.reason = "malformed"
	}
	switch {
	case errors.Is(err, seal.ErrUnknownKey):
		u.reason = "unknown key id"
	case errors.Is(err, seal.ErrUnknownTenant):
		u.reason = "tenant has no keys"
	}
	return u
}

// SetLogger sets where the store reports what an operator must act on
// (unreadable sealed values); slog.Default() until it is called. Call it
// before serving.
func (db *DB) SetLogger(l *slog.Logger) { db.log.Store(l) }

func (db *DB) logger() *slog.Logger {
	if l := db.log.Load(); l != nil {
		return l
	}
	return slog.Default()
}

// alertUnreadable raises the operator alert for each value that did not
// open: one error line "sealed value cannot be opened" with alert=unreadable
// (docs/operations.md), and the count UnreadableSeen reports. Called after
// the reading transaction committed, so a retried batch alerts once.
func (db *DB) alertUnreadable(ctx context.Context, found []unreadable) {
	for _, u := range found {
		db.unreadableSeen.Add(1)
		db.logger().LogAttrs(ctx, slog.LevelError, "sealed value cannot be opened",
			slog.String("alert", "unreadable"),
			slog.String("tenant_id", u.tenantID),
			slog.String("object_type", u.objectType),
			slog.String("object_id", u.objectID),
			slog.String("key_id", u.keyID),
			slog.String("reason", u.reason),
			slog.String("request_id", u.requestID))
	}
}

// UnreadableSeen counts the sealed values this process failed to open
// since it started (each also logged as an alert).
func (db *DB) UnreadableSeen() int64 { return db.unreadableSeen.Load() }

// markable is a listed object that can be kept without its sealed values
// when they do not open: markUnreadable marks it and returns its id.
type markable[T any] interface {
	*T
	markUnreadable() string
}

// openedList reads the rows of query with scan, which opens each row's
// sealed values. A row that does not open fails alone (SEC-3): it is kept,
// marked unreadable, recorded in tenantID's log as a failed read (action on
// objectType) and returned among bad for the operator's alert. The caller
// records the list's own read.
func openedList[T any, P markable[T]](tx *Tx, actor audit.Actor, tenantID, action, objectType string,
	scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) (list []T, bad []unreadable, err error) {
	rows, err := tx.tx.QueryContext(tx.ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		var oe *openError
		if errors.As(err, &oe) {
			bad = append(bad, unreadableOf(actor, tenantID, objectType, P(&v).markUnreadable(), oe.sealed, oe.err))
		} else if err != nil {
			return nil, nil, err
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows.Close() // before the next statement: PostgreSQL runs one at a time per connection
	for _, u := range bad {
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: action,
			ObjectType: objectType, ObjectID: u.objectID, Purpose: "access review", Outcome: audit.OutcomeFailure}); err != nil {
			return nil, nil, err
		}
	}
	return list, bad, nil
}

// reviewedList is an access-review list (grants, maintenance notices): the
// rows of query opened for display in one transaction with the read's
// event (action on listType, object the tenant), rows that do not open kept
// and recorded as failed reads (openedList), and the operator alerted of
// them once committed.
func reviewedList[T any, P markable[T]](ctx context.Context, db *DB, actor audit.Actor, tenantID, action, objectType, listType string,
	scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	var list []T
	var bad []unreadable
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		if list, bad, err = openedList[T, P](tx, actor, tenantID, action, objectType, scan, query, args...); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: listType,
			ObjectID: tenantID, Purpose: "access review"})
	})
	db.alertUnreadable(ctx, bad)
	return list, err
}
