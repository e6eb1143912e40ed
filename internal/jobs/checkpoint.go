package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/kluis/kluis/internal/store"
)

// KindAuditCheckpoint signs a checkpoint of every audit log that grew since
// its last one (AUD-2, ADT-1).
const KindAuditCheckpoint = "audit.checkpoint"

// CheckpointHandler signs, with the platform's checkpoint key (made on
// first use, named keyName), a checkpoint of every tenant's log — the
// operators' realm's, the platform log, included — that grew since its
// latest checkpoint. Each costs the same whatever the log's length: the
// store keeps the tree beside the chain's head. The job writes no event of
// its own (it would grow every log it signs); the checkpoints it keeps are
// its record, listed on each tenant's audit page.
func CheckpointHandler(keyName string) Handler {
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		key, err := db.CheckpointKey(keyName)
		if err != nil {
			return fmt.Errorf("checkpoint key: %w", err)
		}
		ids, err := db.UncheckpointedLogs(ctx)
		if err != nil {
			return err
		}
		var errs []error
		for _, id := range ids {
			if _, _, err := db.SignCheckpoint(ctx, id, key.Signer, nil); err != nil {
				errs = append(errs, fmt.Errorf("tenant %s: %w", id, err))
			}
		}
		return errors.Join(errs...)
	}
}
