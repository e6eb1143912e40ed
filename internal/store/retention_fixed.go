package store

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/kluis/kluis/internal/audit"
)

// fixedRule is a table whose personal data ends after a fixed period (see
// RetentionInventory): which rows are due, what happens to them, and the
// action code that records it.
type fixedRule struct {
	table, action, code string
	days                int
	// due selects the due rows' keys ($1 tenant, $2 cutoff); apply changes
	// the rows whose key is in it (%s: the due query with its LIMIT).
	key, due, apply string
}

var fixedRules = []fixedRule{
	{table: "mail_outbox", action: "anonymise", code: "retention.mail", days: MailRetentionDays, key: "id",
		due: `SELECT id FROM mail_outbox WHERE tenant_id = $1 AND status IN ('sent', 'failed')
			AND COALESCE(sent_at, created_at) <= $2 AND length(recipient) > 0`,
		apply: `UPDATE mail_outbox SET recipient = $3, recipient_index = $3, subject = $3, body = $3 WHERE id IN (%s)`},
	{table: "sessions", action: "delete", code: "retention.session", days: SessionRetentionDays, key: "id_hash",
		due: `SELECT id_hash FROM sessions WHERE tenant_id = $1 AND (revoked_at <= $2 OR absolute_expiry <= $2
			OR last_seen_at + idle_timeout_us <= $2)`,
		apply: `DELETE FROM sessions WHERE id_hash IN (%s)`},
	{table: "webhook_deliveries", action: "delete", code: "retention.delivery", days: DeliveryRetentionDays, key: "id",
		due: `SELECT id FROM webhook_deliveries WHERE tenant_id = $1 AND status IN ('delivered', 'failed', 'cancelled')
			AND created_at <= $2`,
		apply: `DELETE FROM webhook_deliveries WHERE id IN (%s)`},
	{table: "passkeys", action: "delete", code: "retention.credential", days: RemovedUserCredentialDays, key: "id",
		due: `SELECT p.id FROM passkeys p JOIN users u ON u.tenant_id = p.tenant_id AND u.id = p.user_id
			WHERE p.tenant_id = $1 AND u.removed_at <= $2`,
		apply: `DELETE FROM passkeys WHERE id IN (%s)`},
	{table: "passkey_users", action: "delete", code: "retention.credential", days: RemovedUserCredentialDays, key: "user_id",
		due: `SELECT p.user_id FROM passkey_users p JOIN users u ON u.tenant_id = p.tenant_id AND u.id = p.user_id
			WHERE p.tenant_id = $1 AND u.removed_at <= $2`,
		apply: `DELETE FROM passkey_users WHERE user_id IN (%s)`},
	{table: "oidc_identities", action: "delete", code: "retention.credential", days: RemovedUserCredentialDays, key: "id",
		due: `SELECT o.id FROM oidc_identities o JOIN users u ON u.tenant_id = o.tenant_id AND u.id = o.user_id
			WHERE o.tenant_id = $1 AND u.removed_at <= $2`,
		apply: `DELETE FROM oidc_identities WHERE id IN (%s)`},
}

// retainFixed applies the fixed rules, chunk by chunk, each chunk audited
// with its count; a dry run counts.
func (db *DB) retainFixed(ctx context.Context, actor audit.Actor, tenantID string, now time.Time, opts RetentionOptions,
	rep *RetentionReport, counts retentionCounter) error {
	for _, r := range fixedRules {
		cut := micros(now.AddDate(0, 0, -r.days))
		if opts.DryRun {
			var n int64
			if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM (`+r.due+`) d`, tenantID, cut).Scan(&n); err != nil {
				return fmt.Errorf("%s: %w", r.table, err)
			}
			if n > 0 {
				counts[countKey("", r.table, r.action)] += n
			}
			continue
		}
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			var n int64
			var next retentionCounter
			err := db.writeBulk(ctx, func(tx *Tx) error {
				n = 0
				args := []any{tenantID, cut}
				if r.table == "mail_outbox" {
					args = append(args, []byte{})
				}
				q := fmt.Sprintf(r.apply, fmt.Sprintf(`SELECT %s FROM (%s LIMIT %d) d`, r.key, r.due, opts.Chunk))
				res, err := tx.exec(q, args...)
				if err != nil {
					return err
				}
				n, _ = res.RowsAffected()
				if n == 0 {
					return nil
				}
				next = counts.plus(retentionCounter{countKey("", r.table, r.action): n})
				if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: r.code, ObjectType: r.table,
					ObjectID: fmt.Sprint(n), Purpose: fmt.Sprintf("%s: %s after %d days", r.table, r.action, r.days)}); err != nil {
					return err
				}
				return tx.saveRunCounts(tenantID, rep.RunID, next, "running", now)
			})
			if err != nil {
				return fmt.Errorf("%s: %w", r.table, err)
			}
			if n > 0 {
				maps.Copy(counts, next)
			}
			if opts.AfterChunk != nil && n > 0 {
				opts.AfterChunk()
			}
			if n < int64(opts.Chunk) {
				break
			}
		}
	}
	return nil
}
