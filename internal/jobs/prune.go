package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/kluis/kluis/internal/store"
)

// KindAuditPrune prunes every audit log as its tenant's audit retention
// allows, at a checkpoint boundary (AUD-2).
const KindAuditPrune = "audit.prune"

// PruneHandler prunes, once a day, the events of every tenant's log that
// are older than its audit retention (the register's audit-log category,
// else the tenant's setting, else two years; never under six months) — but
// only up to the largest signed checkpoint all of whose events are that
// old, and leaving a pruning record signed with the platform's checkpoint
// key (made on first use, named keyName) in their place (store.PruneAudit).
// A log with nothing old enough is left alone; running it twice prunes
// nothing more. It is self-contained: the retention engine of the rest of
// the data does not drive it.
func PruneHandler(keyName string) Handler {
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		ids, err := db.PrunableLogs(ctx)
		if err != nil || len(ids) == 0 {
			return err
		}
		key, err := db.CheckpointKey(keyName)
		if err != nil {
			return fmt.Errorf("checkpoint key: %w", err)
		}
		var errs []error
		for _, id := range ids {
			if _, err := db.PruneAudit(ctx, id, key.Signer); err != nil && !errors.Is(err, store.ErrNotFound) {
				errs = append(errs, fmt.Errorf("tenant %s: %w", id, err))
			}
		}
		return errors.Join(errs...)
	}
}
