package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/tenant"
)

// Checkpoints reach the controller where the supplier cannot take them
// back (AUD-2, ADT-1): a daily digest mailed to the DPO, and a push to the
// tenant's checkpoint webhook (checkpoint_hook.go).

// digestActor is the party that reads the DPO's address and queues the
// digest.
var digestActor = audit.System("checkpoint.digest")

// DigestLimit caps the checkpoints one digest carries (the newest): with
// one every 15 minutes a day has 96.
const DigestLimit = 200

// DigestCompose writes the digest mail for the tenant (DPO contact
// opened) and its checkpoints, oldest first.
type DigestCompose func(t tenant.Tenant, cps []Checkpoint) OutgoingMail

// QueueCheckpointDigest queues, at most once per tenant and day, a mail
// to the tenant's DPO with the checkpoints signed since its last digest —
// at least the latest one, so that the DPO gets one every day and notices
// a day without. Reading the sealed DPO address is recorded
// (tenant.contact.read), queueing the mail too (mail.queue), in the same
// transaction as the digest's row. queued is false when the day's digest
// was queued already or the tenant has no checkpoint yet.
func (db *DB) QueueCheckpointDigest(ctx context.Context, tenantID, day string, compose DigestCompose) (queued bool, err error) {
	if err := db.requireKeys(); err != nil {
		return false, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		queued = false
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM audit_checkpoint_digests WHERE tenant_id = $1 AND day = $2`, tenantID, day).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		var since int64
		if err := tx.queryRow(`SELECT COALESCE(max(up_to_size), -1) FROM audit_checkpoint_digests WHERE tenant_id = $1`, tenantID).Scan(&since); err != nil {
			return err
		}
		cps, err := tx.checkpointsAfter(tenantID, since, DigestLimit)
		if err != nil {
			return err
		}
		if len(cps) == 0 {
			latest, err := tx.latestCheckpoint(tenantID)
			if errors.Is(err, ErrNotFound) {
				return nil
			} else if err != nil {
				return err
			}
			cps = []Checkpoint{latest}
		}
		t, err := tx.openContact(tenantID, digestActor, "daily checkpoint digest to the DPO")
		if err != nil {
			return err
		}
		mailID, err := tx.enqueueMail(tenantID, compose(t, cps), digestActor)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO audit_checkpoint_digests (tenant_id, day, up_to_size, mail_id, created_at)
			VALUES ($1, $2, $3, $4, $5)`, tenantID, day, cps[len(cps)-1].Size, mailID, micros(db.now())); err != nil {
			return err
		}
		queued = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("checkpoint digest: %w", err)
	}
	return queued, nil
}

// checkpointsAfter lists tenant's checkpoints larger than size, oldest
// first, the newest limit of them.
func (tx *Tx) checkpointsAfter(tenantID string, size int64, limit int) ([]Checkpoint, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT `+checkpointColumns+` FROM audit_checkpoints
		WHERE tenant_id = $1 AND size > $2 ORDER BY size DESC LIMIT $3`, tenantID, size, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	slices.Reverse(out)
	return out, rows.Err()
}

// openContact reads the tenant's row with its DPO contact opened,
// recording the read (tenant.contact.read); ErrNotFound for no such
// tenant, ErrUnreadable (the failed read kept) when the keys are gone.
func (tx *Tx) openContact(tenantID string, actor audit.Actor, purpose string) (tenant.Tenant, error) {
	t, err := scanTenant(tx.queryRow(`SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("tenant %q: %w", tenantID, ErrNotFound)
	}
	if err != nil {
		return t, err
	}
	t.DPOName, t.DPOEmail, err = tx.tenantContact(t.ID, actor, purpose)
	return t, err
}
