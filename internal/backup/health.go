package backup

import (
	"context"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/store"
)

// Health is the "backup" readiness check for monitoring (SEC-5): it fails
// while the latest backup or restore test failed, and, when backups are
// scheduled, when no backup or restore test has passed within maxAge
// (counted from since, the process start, when none ever has).
func Health(ctx context.Context, db *store.DB, scheduled bool, maxAge time.Duration, since time.Time) error {
	now := db.Now()
	for _, kind := range []string{store.RunBackup, store.RunRestoreTest} {
		latest, ok, err := db.LatestBackupRuns(ctx, kind)
		if err != nil {
			return err
		}
		if latest.ID != "" && !latest.OK {
			return fmt.Errorf("the latest %s (%s) failed: %s", what(kind), latest.FinishedAt.Format(time.RFC3339), latest.Detail)
		}
		if !scheduled {
			continue
		}
		last := ok.FinishedAt
		if ok.ID == "" {
			last = since
		}
		if now.Sub(last) > maxAge {
			return fmt.Errorf("no %s has passed since %s", what(kind), last.Format(time.RFC3339))
		}
	}
	return nil
}

func what(kind string) string {
	if kind == store.RunRestoreTest {
		return "restore test"
	}
	return "backup"
}
