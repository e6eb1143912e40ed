package store_test

import (
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseSEC5_BackupFactsNameTheLatestAndTheLatestGoodRuns: the facts
// the compliance report and the controllers' pages show are the latest
// backup and restore test, the latest of each that passed, and the recent
// runs newest first; none at all is zero values, not an error.
func TestClauseSEC5_BackupFactsNameTheLatestAndTheLatestGoodRuns(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		f, err := env.DB.BackupFacts(ctx, 10)
		if err != nil || f.LastBackup.ID != "" || f.LastTest.ID != "" || len(f.Recent) != 0 {
			t.Fatalf("no runs yet: %+v, %v", f, err)
		}
		at := time.Date(2026, 12, 1, 3, 30, 0, 0, time.UTC)
		record := func(kind, id string, hour int, ok bool) {
			t.Helper()
			start := at.Add(time.Duration(hour) * time.Hour)
			if _, err := env.DB.RecordBackupRun(ctx, op, store.BackupRun{Kind: kind, BackupID: id, Location: "dir:/b",
				StartedAt: start, FinishedAt: start.Add(time.Minute), OK: ok, Detail: "d"}); err != nil {
				t.Fatal(err)
			}
		}
		record(store.RunBackup, "b1", 0, true)
		record(store.RunRestoreTest, "b1", 1, true)
		record(store.RunBackup, "b2", 24, false)
		record(store.RunRestoreTest, "b1", 25, false)
		f, err = env.DB.BackupFacts(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		if f.LastBackup.OK || f.LastBackup.BackupID != "b2" || !f.LastGoodBackup.OK || f.LastGoodBackup.BackupID != "b1" {
			t.Errorf("backups: latest %+v, latest good %+v", f.LastBackup, f.LastGoodBackup)
		}
		if f.LastTest.OK || !f.LastTest.FinishedAt.Equal(at.Add(25*time.Hour+time.Minute)) ||
			!f.LastGoodTest.OK || !f.LastGoodTest.FinishedAt.Equal(at.Add(time.Hour+time.Minute)) {
			t.Errorf("restore tests: latest %+v, latest good %+v", f.LastTest, f.LastGoodTest)
		}
		if len(f.Recent) != 3 || f.Recent[0].Kind != store.RunRestoreTest || f.Recent[1].BackupID != "b2" || f.Recent[2].Kind != store.RunRestoreTest {
			t.Errorf("recent runs: %+v", f.Recent)
		}
	})
}
