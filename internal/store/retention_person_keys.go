package store

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
)

// personKeysDue selects the tenant's live person keys that no submission
// still holding values names: the person's last submission was removed or
// spent by retention (or never committed). Nothing is left for them to
// open, so the key goes (SEC-1, DSR-1) and the keyring forgets it.
const personKeysDue = `SELECT k.id FROM person_keys k WHERE k.tenant_id = $1 AND k.wrapped IS NOT NULL
	AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.tenant_id = k.tenant_id AND s.person_key_id = k.id
		AND s.retention_spent_at IS NULL)`

// retainPersonKeys destroys, chunk by chunk, the person keys no submission
// with values needs any more, each chunk audited with its count
// ("retention.person_key"), as a run's last step; a dry run counts. What a
// spent submission still holds under such a key (a value outside every
// register category) is first re-sealed with the tenant key, as an erasure
// does for what the law keeps. The keyring then forgets every destroyed
// key (also ones an earlier run or erasure could not puncture).
func (db *DB) retainPersonKeys(ctx context.Context, actor audit.Actor, tenantID string, now time.Time, opts RetentionOptions,
	rep *RetentionReport, counts retentionCounter) error {
	key := countKey("", "person_keys", "delete")
	if opts.DryRun {
		var n int64
		if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM (`+personKeysDue+`) d`, tenantID).Scan(&n); err != nil {
			return fmt.Errorf("person_keys: %w", err)
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
		var n int64
		var next retentionCounter
		// What is re-sealed may be a large file in the object store,
		// fetched before the transaction (attachment_objects.go).
		err := db.withObjects(ctx, func(c *objectCache) error {
			return db.writeBulk(ctx, func(tx *Tx) error {
				return tx.withObjects(c, func() error {
					n = 0
					rows, err := tx.query(personKeysDue+` ORDER BY k.id LIMIT `+fmt.Sprint(opts.Chunk), tenantID)
					if err != nil {
						return err
					}
					var ids []int64
					for rows.Next() {
						var id int64
						if err := rows.Scan(&id); err != nil {
							rows.Close()
							return err
						}
						ids = append(ids, id)
					}
					rows.Close()
					if err := rows.Err(); err != nil || len(ids) == 0 {
						return err
					}
					for _, id := range ids {
						if err := tx.resealWithTenantKey(tenantID, uint64(id)); err != nil {
							return err
						}
					}
					marks := make([]string, len(ids))
					args := []any{micros(now), tenantID}
					for i, id := range ids {
						marks[i] = fmt.Sprintf("$%d", i+3)
						args = append(args, id)
					}
					res, err := tx.exec(`UPDATE person_keys SET wrapped = NULL, person_index = NULL, destroyed_at = $1
				WHERE tenant_id = $2 AND wrapped IS NOT NULL AND id IN (`+strings.Join(marks, ", ")+`)`, args...)
					if err != nil {
						return err
					}
					if n, _ = res.RowsAffected(); n == 0 {
						return nil
					}
					next = counts.plus(retentionCounter{key: n})
					if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "retention.person_key", ObjectType: "person_keys",
						ObjectID: fmt.Sprint(n), Purpose: "person_keys: destroyed after the person's last submission expired"}); err != nil {
						return err
					}
					return tx.saveRunCounts(tenantID, rep.lease(), next, "running", now)
				})
			})
		})
		if err != nil {
			return fmt.Errorf("person_keys: %w", err)
		}
		if n > 0 {
			maps.Copy(counts, next)
			if opts.AfterChunk != nil {
				opts.AfterChunk()
			}
		}
		if n < int64(opts.Chunk) {
			break
		}
	}
	if err := db.punctureDestroyed(ctx, tenantID); err != nil {
		return fmt.Errorf("person_keys: %w", err)
	}
	return nil
}
