package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/webhook"
)

// A tenant's checkpoint webhook (AUD-2, ADT-1): every checkpoint signed of
// its log is pushed, in order of size, to an https address of the
// controller's own systems, signed like every webhook (Standard Webhooks,
// the secret sealed). It carries no personal data, so unlike a submission
// hook it needs no recipient in the register (REG-2); the address is
// still dialled only outside internal networks (the webhook client).
//
// Pushes are not recorded in the log, their outcome is kept on the hook:
// an event per push would grow the log, which gets a new checkpoint, which
// is pushed — a log that never stops growing. Setting and removing the
// hook are recorded.

// ErrBadHookURL is returned for a checkpoint webhook address that is not
// an absolute https URL.
var ErrBadHookURL = errors.New("the address is not an absolute https URL")

// CheckpointHook is a tenant's checkpoint webhook, without its secret.
type CheckpointHook struct {
	TenantID, URL string
	// PushedSize is where the pushes stand: the checkpoints larger are
	// due. Until the first delivery (DeliveredAt nil) it is the size
	// before the latest checkpoint when the hook was set.
	PushedSize    int64
	DeliveredAt   *time.Time
	Attempts      int // failed attempts at the next checkpoint
	NextAttemptAt time.Time
	LastStatus    int
	LastError     string
	CreatedAt     time.Time
	CreatedBy     string
}

// CheckpointPush is a checkpoint due to be pushed, with the hook's opened
// secret.
type CheckpointPush struct {
	TenantID, Slug, URL, Secret string
	Checkpoint                  Checkpoint
	Attempts                    int
}

func checkpointHookAD(tenantID string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "audit_checkpoint_hooks", Column: "secret", Row: tenantID}
}

// SetCheckpointHook sets the tenant's checkpoint webhook to rawURL with a
// new secret, returned once, replacing the one before. The next push is
// the latest checkpoint, then every new one. Recorded as
// checkpoint.hook.set (the URL's origin only).
func (db *DB) SetCheckpointHook(ctx context.Context, actor audit.Actor, tenantID, rawURL string) (CheckpointHook, string, error) {
	if err := db.requireKeys(); err != nil {
		return CheckpointHook{}, "", err
	}
	rawURL = strings.TrimSpace(rawURL)
	if !webhook.ValidURL(rawURL) {
		return CheckpointHook{}, "", ErrBadHookURL
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		return CheckpointHook{}, "", err
	}
	sealed, err := db.keys.Seal(tenantID, checkpointHookAD(tenantID), []byte(secret))
	if err != nil {
		return CheckpointHook{}, "", err
	}
	now := db.now()
	h := CheckpointHook{TenantID: tenantID, URL: rawURL, PushedSize: -1, NextAttemptAt: now, CreatedAt: now, CreatedBy: actorName(actor)}
	err = db.write(ctx, func(tx *Tx) error {
		latest, err := tx.latestCheckpoint(tenantID)
		if err == nil {
			h.PushedSize = latest.Size - 1
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if _, err := tx.exec(`DELETE FROM audit_checkpoint_hooks WHERE tenant_id = $1`, tenantID); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO audit_checkpoint_hooks (tenant_id, url, secret, pushed_size, attempts, next_attempt_at,
			last_status, last_error, created_at, created_by) VALUES ($1, $2, $3, $4, 0, $5, 0, '', $5, $6)`,
			tenantID, h.URL, sealed, h.PushedSize, micros(now), h.CreatedBy); err != nil {
			return err
		}
		origin, _ := webhook.Origin(rawURL)
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "checkpoint.hook.set", ObjectType: "checkpoint_hook",
			ObjectID: tenantID, Purpose: "checkpoints pushed to " + origin})
	})
	if err != nil {
		return CheckpointHook{}, "", fmt.Errorf("set checkpoint hook: %w", err)
	}
	return h, secret, nil
}

// DeleteCheckpointHook removes the tenant's checkpoint webhook and its
// secret; recorded as checkpoint.hook.delete. ErrNotFound when it has none.
func (db *DB) DeleteCheckpointHook(ctx context.Context, actor audit.Actor, tenantID string) error {
	err := db.removeTenantSetting(ctx, "audit_checkpoint_hooks", audit.Event{TenantID: tenantID, Actor: actor,
		Action: "checkpoint.hook.delete", ObjectType: "checkpoint_hook", ObjectID: tenantID, Purpose: "checkpoints no longer pushed"})
	if err != nil {
		return fmt.Errorf("delete checkpoint hook: %w", err)
	}
	return nil
}

// removeTenantSetting deletes the tenant's one row of a per-tenant
// setting table (a constant name, never input) and records ev in the same
// transaction; ErrNotFound, nothing recorded, when the tenant has none.
func (db *DB) removeTenantSetting(ctx context.Context, table string, ev audit.Event) error {
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM `+table+` WHERE tenant_id = $1`, ev.TenantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return tx.appendAudit(ev)
	})
}

// CheckpointHookOf is the tenant's checkpoint webhook; ErrNotFound when it
// has none.
func (db *DB) CheckpointHookOf(ctx context.Context, tenantID string) (CheckpointHook, error) {
	var h CheckpointHook
	var next, created int64
	var delivered sql.NullInt64
	err := db.sql.QueryRowContext(ctx, `SELECT tenant_id, url, pushed_size, attempts, next_attempt_at, last_status, last_error,
		delivered_at, created_at, created_by FROM audit_checkpoint_hooks WHERE tenant_id = $1`, tenantID).Scan(&h.TenantID, &h.URL,
		&h.PushedSize, &h.Attempts, &next, &h.LastStatus, &h.LastError, &delivered, &created, &h.CreatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return h, ErrNotFound
	}
	if err != nil {
		return h, fmt.Errorf("checkpoint hook: %w", err)
	}
	h.NextAttemptAt, h.CreatedAt = fromMicros(next), fromMicros(created)
	if delivered.Valid {
		at := fromMicros(delivered.Int64)
		h.DeliveredAt = &at
	}
	return h, nil
}

// DueCheckpointPushes lists, for up to limit hooks whose next attempt is
// due, the oldest checkpoint they have not delivered yet, with the opened
// secret. A hook whose secret cannot be opened is skipped (alerted).
func (db *DB) DueCheckpointPushes(ctx context.Context, limit int) ([]CheckpointPush, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT h.tenant_id, t.slug, h.url, h.secret, h.attempts, c.size, c.root, c.note, c.signed_at
		FROM audit_checkpoint_hooks h JOIN tenants t ON t.id = h.tenant_id AND t.status = 'active'
		JOIN audit_checkpoints c ON c.tenant_id = h.tenant_id AND c.size = (SELECT min(size) FROM audit_checkpoints
			WHERE tenant_id = h.tenant_id AND size > h.pushed_size)
		WHERE h.next_attempt_at <= $1 ORDER BY h.next_attempt_at, h.tenant_id LIMIT $2`, micros(db.now()), limit)
	if err != nil {
		return nil, fmt.Errorf("due checkpoint pushes: %w", err)
	}
	defer rows.Close()
	var out []CheckpointPush
	var bad []unreadable
	for rows.Next() {
		var p CheckpointPush
		var secret []byte
		var note string
		var at int64
		if err := rows.Scan(&p.TenantID, &p.Slug, &p.URL, &secret, &p.Attempts, &p.Checkpoint.Size, &p.Checkpoint.Root, &note, &at); err != nil {
			return nil, fmt.Errorf("due checkpoint pushes: %w", err)
		}
		p.Checkpoint.TenantID, p.Checkpoint.Note, p.Checkpoint.SignedAt = p.TenantID, []byte(note), fromMicros(at)
		s, err := db.keys.Open(p.TenantID, checkpointHookAD(p.TenantID), secret)
		if err != nil {
			bad = append(bad, unreadableOf(audit.Actor{}, p.TenantID, "checkpoint_hook", p.TenantID, secret, err))
			continue
		}
		p.Secret = string(s)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due checkpoint pushes: %w", err)
	}
	rows.Close()
	db.alertUnreadable(ctx, bad)
	return out, nil
}

// CheckpointPushed records that the tenant's hook accepted the checkpoint
// of size with HTTP status: the next one is due at once.
func (db *DB) CheckpointPushed(ctx context.Context, tenantID string, size int64, status int) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.exec(`UPDATE audit_checkpoint_hooks SET pushed_size = $1, attempts = 0, next_attempt_at = $2, last_status = $3,
			last_error = '', delivered_at = $2 WHERE tenant_id = $4 AND pushed_size < $1`, size, micros(db.now()), status, tenantID)
		return err
	})
}

// CheckpointPushFailed records a failed push (HTTP status, 0 for none, and
// a reason of the sender's own wording): the same checkpoint is due again
// after webhook.Backoff, and after the last backoff step at its longest
// interval — a checkpoint is never given up: the page shows the failure.
func (db *DB) CheckpointPushFailed(ctx context.Context, tenantID string, status int, reason string) error {
	if len(reason) > 200 {
		reason = reason[:200]
	}
	return db.write(ctx, func(tx *Tx) error {
		var attempts int
		if err := tx.queryRow(`SELECT attempts FROM audit_checkpoint_hooks WHERE tenant_id = $1`, tenantID).Scan(&attempts); err != nil {
			return err
		}
		attempts++
		wait, ok := webhook.Backoff(attempts)
		for n := attempts - 1; !ok && n > 0; n-- {
			wait, ok = webhook.Backoff(n)
		}
		_, err := tx.exec(`UPDATE audit_checkpoint_hooks SET attempts = $1, next_attempt_at = $2, last_status = $3, last_error = $4
			WHERE tenant_id = $5`, attempts, micros(db.now().Add(wait)), status, reason, tenantID)
		return err
	})
}
