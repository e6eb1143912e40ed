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
	// audit: the period is the tenant's audit log retention (AUD-2), not
	// days: the row is evidence about what the log records.
	audit bool
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
	// A data-subject package ends at its own expires_at (PackageTTL from
	// execution), so its period counts 0 days from there.
	{table: "subject_packages", action: "delete", code: "retention.package", days: 0, key: "id",
		due:   `SELECT id FROM subject_packages WHERE tenant_id = $1 AND expires_at <= $2`,
		apply: `DELETE FROM subject_packages WHERE id IN (%s)`},
	// Links and codes that ended: nothing can use them any more; they name
	// a staff member (user_id) or hold a citizen's sealed address.
	{table: "invitations", action: "delete", code: "retention.token", days: TokenRetentionDays, key: "token_hash",
		due:   `SELECT token_hash FROM invitations WHERE tenant_id = $1 AND (expires_at <= $2 OR used_at <= $2)`,
		apply: `DELETE FROM invitations WHERE token_hash IN (%s)`},
	{table: "password_resets", action: "delete", code: "retention.token", days: TokenRetentionDays, key: "token_hash",
		due:   `SELECT token_hash FROM password_resets WHERE tenant_id = $1 AND (expires_at <= $2 OR used_at <= $2)`,
		apply: `DELETE FROM password_resets WHERE token_hash IN (%s)`},
	{table: "oidc_flows", action: "delete", code: "retention.token", days: TokenRetentionDays, key: "state_hash",
		due:   `SELECT state_hash FROM oidc_flows WHERE tenant_id = $1 AND (expires_at <= $2 OR used_at <= $2)`,
		apply: `DELETE FROM oidc_flows WHERE state_hash IN (%s)`},
	{table: "subject_request_codes", action: "delete", code: "retention.token", days: CodeRetentionDays, key: "id",
		due:   `SELECT id FROM subject_request_codes WHERE tenant_id = $1 AND (expires_at <= $2 OR used_at <= $2)`,
		apply: `DELETE FROM subject_request_codes WHERE id IN (%s)`},
	// The supplier's access and maintenance evidence (AUD-3, AUD-4) goes
	// when the audit log's events about it may go.
	{table: "operator_grants", action: "delete", code: "retention.evidence", audit: true, key: "id",
		due:   `SELECT id FROM operator_grants WHERE tenant_id = $1 AND (expires_at <= $2 OR revoked_at <= $2)`,
		apply: `DELETE FROM operator_grants WHERE id IN (%s)`},
	{table: "maintenance_notices", action: "delete", code: "retention.evidence", audit: true, key: "id",
		due:   `SELECT id FROM maintenance_notices WHERE tenant_id = $1 AND ends_at <= $2`,
		apply: `DELETE FROM maintenance_notices WHERE id IN (%s)`},
}

// fixedCutoff is the moment at or before which rule r's rows are due.
func (db *DB) fixedCutoff(ctx context.Context, tenantID string, r fixedRule, now time.Time) (int64, error) {
	if !r.audit {
		return micros(now.AddDate(0, 0, -r.days)), nil
	}
	ar, err := db.AuditRetention(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	return micros(ar.Cutoff(now)), nil
}

// retainFixed applies the fixed rules, chunk by chunk, each chunk audited
// with its count; a dry run counts.
func (db *DB) retainFixed(ctx context.Context, actor audit.Actor, tenantID string, now time.Time, opts RetentionOptions,
	rep *RetentionReport, counts retentionCounter) error {
	for _, r := range fixedRules {
		cut, err := db.fixedCutoff(ctx, tenantID, r, now)
		if err != nil {
			return fmt.Errorf("%s: %w", r.table, err)
		}
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
				purpose := fmt.Sprintf("%s: %s after %d days", r.table, r.action, r.days)
				if r.audit {
					purpose = fmt.Sprintf("%s: %s with the audit log's events", r.table, r.action)
				}
				if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: r.code, ObjectType: r.table,
					ObjectID: fmt.Sprint(n), Purpose: purpose}); err != nil {
					return err
				}
				return tx.saveRunCounts(tenantID, rep.lease(), next, "running", now)
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

// requestDue selects the closed data-subject requests whose period has
// passed, with the tenant and the cutoff as the parameters named:
// refused, closed, or executed — except an executed restriction, which is
// in force until it is closed (art. 18 GDPR) and finds the person's
// submissions by its indexes.
func requestDue(tenant, cutoff string) string {
	return `SELECT id FROM subject_requests WHERE tenant_id = ` + tenant + ` AND person_erased_at IS NULL
	AND (status IN ('refused', 'closed') OR (status = 'executed' AND kind <> 'restriction'))
	AND CASE status WHEN 'executed' THEN executed_at WHEN 'refused' THEN decided_at ELSE updated_at END <= ` + cutoff
}

// retainRequests erases the person of the data-subject requests closed
// more than SubjectRequestRetentionDays ago: the person is sealed again as
// nobody (the request still opens), the indexes and reasons go, and the
// skeleton (kind, dates, status, outcome counts) stays for the
// controller's statistics. Chunk by chunk, each audited with its count.
func (db *DB) retainRequests(ctx context.Context, actor audit.Actor, tenantID string, now time.Time, opts RetentionOptions,
	rep *RetentionReport, counts retentionCounter) error {
	cut := micros(now.AddDate(0, 0, -SubjectRequestRetentionDays))
	key := countKey("", "subject_requests", "anonymise")
	if opts.DryRun {
		var n int64
		if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM (`+requestDue("$1", "$2")+`) d`, tenantID, cut).Scan(&n); err != nil {
			return fmt.Errorf("subject_requests: %w", err)
		}
		if n > 0 {
			counts[key] += n
		}
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows, err := db.sql.QueryContext(ctx, requestDue("$1", "$2")+fmt.Sprintf(` ORDER BY id LIMIT %d`, opts.Chunk), tenantID, cut)
		if err != nil {
			return fmt.Errorf("subject_requests: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("subject_requests: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("subject_requests: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		nobody := make([][]byte, len(ids))
		for i, id := range ids {
			if nobody[i], err = db.keys.Seal(tenantID, requestAD(tenantID, "person", id), []byte("{}")); err != nil {
				return fmt.Errorf("subject_requests: %w", err)
			}
		}
		var next retentionCounter
		err = db.writeBulk(ctx, func(tx *Tx) error {
			var n int64
			for i, id := range ids {
				res, err := tx.exec(`UPDATE subject_requests SET person = $1, subject_index = NULL, email_index = NULL, reason = NULL,
					extend_reason = NULL, person_erased_at = $2 WHERE tenant_id = $3 AND id = $4 AND person_erased_at IS NULL
					AND id IN (`+requestDue("$3", "$5")+`)`, nobody[i], micros(now), tenantID, id, cut)
				if err != nil {
					return err
				}
				k, _ := res.RowsAffected()
				n += k
			}
			next = counts.plus(retentionCounter{key: n})
			if n > 0 {
				if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "retention.request", ObjectType: "subject_requests",
					ObjectID: fmt.Sprint(n), Purpose: fmt.Sprintf("subject_requests: person erased %d days after closing", SubjectRequestRetentionDays)}); err != nil {
					return err
				}
			}
			return tx.saveRunCounts(tenantID, rep.lease(), next, "running", now)
		})
		if err != nil {
			return fmt.Errorf("subject_requests: %w", err)
		}
		maps.Copy(counts, next)
		if opts.AfterChunk != nil {
			opts.AfterChunk()
		}
		if len(ids) < opts.Chunk {
			return nil
		}
	}
}
