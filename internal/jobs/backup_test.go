package jobs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/backup"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// SEC-5 (and SEC-4): the daily backup and the restore test run at their
// configured time by the injectable clock; the restore test restores the
// latest backup into a scratch place, checks its row counts and every
// tenant's audit chain against its checkpoints, and records a pass. When
// it fails, the operators get a mail through the real relay, the platform
// log records a failed restore test and the readiness check fails.
func TestClauseSEC5_RestoreTestIsScheduledAndItsFailureRaisesTheAlert(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env)
		ck, err := env.DB.CheckpointKey("test.example/audit")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.DB.SignCheckpoint(ctx, m.tenant.ID, ck.Signer, nil); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		id, _ := age.GenerateX25519Identity()
		idFile := filepath.Join(dir, "identity")
		os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600)
		bs := BackupSettings{Targets: []string{filepath.Join(dir, "site1"), filepath.Join(dir, "site2")},
			Recipients: []string{id.Recipient().String()}, KeyName: "test.example/backup", DatabaseURL: env.URL,
			Retention: backup.Retention{Daily: 7, Weekly: 4, Monthly: 6}, AlertTo: "ops@leverancier.example",
			IdentityFile: idFile, Master: env.Master, TempDir: t.TempDir()}
		if env.Dialect == store.Postgres {
			bs.ScratchDatabaseURL = storetest.NewPostgresDatabase(t)
		}
		m.runner.Handlers[KindBackup] = BackupHandler(bs)
		m.runner.Handlers[KindRestoreTest] = RestoreTestHandler(bs)
		m.runner.Schedule = WithBackups(m.runner.Schedule, 3*time.Hour+30*time.Minute)
		started := env.Clock.Now() // Monday 2 November 2026, 09:30 UTC

		// 09:30: today's 03:30 backup and 04:30 restore test are due.
		m.tick(t)
		last, ok, err := env.DB.LatestBackupRuns(ctx, store.RunRestoreTest)
		if err != nil {
			t.Fatal(err)
		}
		if !last.OK || ok.ID != last.ID || !strings.Contains(last.Detail, "1 checkpoints verified") {
			t.Fatalf("restore test: %+v", last)
		}
		b, _, _ := env.DB.LatestBackupRuns(ctx, store.RunBackup)
		if !b.OK || b.BackupID != last.BackupID {
			t.Fatalf("backup %+v, restore test of %s", b, last.BackupID)
		}
		for _, site := range bs.Targets {
			st, _ := objstore.Open(site)
			if ms, _ := backup.List(ctx, st); len(ms) != 1 {
				t.Errorf("%s holds %d backups", site, len(ms))
			}
		}
		if err := backup.Health(ctx, env.DB, true, 26*time.Hour, started); err != nil {
			t.Fatalf("health after a passing restore test: %v", err)
		}
		// Not again in the same day.
		env.Clock.Advance(2 * time.Hour)
		m.tick(t)
		if again, _, _ := env.DB.LatestBackupRuns(ctx, store.RunRestoreTest); again.ID != last.ID {
			t.Fatal("the restore test ran twice in a day")
		}
		// A backup older than the allowed age fails the check too.
		if err := backup.Health(ctx, env.DB, true, time.Hour, started); err == nil || !strings.Contains(err.Error(), "no backup has passed since") {
			t.Fatalf("health with a stale backup: %v", err)
		}
		// On Sundays the restore test reads the last target: the second site (SEC-6).
		if _, where, _ := restoreTest(ctx, env.DB, bs, time.Date(2026, 11, 8, 4, 30, 0, 0, time.UTC)); !strings.HasSuffix(where, "site2") {
			t.Errorf("Sunday's restore test read %s", where)
		}
		if last.Location == "" || strings.HasSuffix(last.Location, "site2") {
			t.Errorf("Monday's restore test read %q", last.Location)
		}

		// The next day the backups can no longer be opened with the
		// identity the test is given: the test fails, and says so.
		other, _ := age.GenerateX25519Identity()
		os.WriteFile(idFile, []byte(other.String()+"\n"), 0o600)
		env.Clock.Advance(22 * time.Hour)
		m.tick(t)
		env.Clock.Advance(time.Minute)
		m.tick(t) // the mail job of the next slot sends the alert
		failed, _, _ := env.DB.LatestBackupRuns(ctx, store.RunRestoreTest)
		if failed.OK || failed.ID == last.ID || !strings.Contains(failed.Detail, "encrypted to other recipients") {
			t.Fatalf("failed restore test: %+v", failed)
		}
		var alerts []string
		for _, msg := range m.relay.Messages() {
			if len(msg.To) == 1 && msg.To[0] == "ops@leverancier.example" {
				alerts = append(alerts, msg.Subject+"\n"+msg.Body)
			}
		}
		if len(alerts) != 1 || !strings.Contains(alerts[0], "hersteltest") || !strings.Contains(alerts[0], failed.BackupID) {
			t.Fatalf("alerts %q", alerts)
		}
		realm, err := env.DB.OperatorRealm(ctx, audit.System("test"))
		if err != nil {
			t.Fatal(err)
		}
		var outcomes []string
		for _, e := range env.Events(t, realm.ID, "platform.restore_test") {
			outcomes = append(outcomes, e.Outcome)
		}
		if strings.Join(outcomes, ",") != "success,failure" {
			t.Errorf("platform log of restore tests: %v", outcomes)
		}
		if err := backup.Health(ctx, env.DB, true, 26*time.Hour, started); err == nil || !strings.Contains(err.Error(), "restore test") {
			t.Fatalf("health after a failed restore test: %v", err)
		}
	})
}

// SEC-6: with a second site configured, the scheduled backup is copied
// there (data, manifest and keyring objects, each copy verified), and
// Sunday's restore test reads the second site.
func TestClauseSEC6_ScheduledBackupIsReplicatedToTheSecondSite(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env)
		dir := t.TempDir()
		id, _ := age.GenerateX25519Identity()
		bs := BackupSettings{Targets: []string{filepath.Join(dir, "site1")}, SecondSite: "file:" + filepath.Join(dir, "site2"),
			Recipients: []string{id.Recipient().String()}, KeyName: "test.example/backup", DatabaseURL: env.URL,
			Retention: backup.Retention{Daily: 7, Weekly: 4, Monthly: 6}, Master: env.Master, TempDir: t.TempDir()}
		m.runner.Handlers[KindBackup] = BackupHandler(bs)
		m.runner.Schedule = WithBackups(nil, 3*time.Hour+30*time.Minute)
		m.tick(t)
		first, _ := objstore.Open(bs.Targets[0])
		second, _ := objstore.Open(bs.SecondSite)
		want, _ := first.List(ctx, "")
		got, _ := second.List(ctx, "")
		if len(want) == 0 || len(got) != len(want) {
			t.Fatalf("second site holds %d objects, the first %d", len(got), len(want))
		}
		for i := range want {
			if got[i].Key != want[i].Key || got[i].Size != want[i].Size {
				t.Errorf("object %d: second site %s (%d), first %s (%d)", i, got[i].Key, got[i].Size, want[i].Key, want[i].Size)
			}
		}
		if ms, _ := backup.List(ctx, second); len(ms) != 1 {
			t.Fatalf("second site lists %d backups", len(ms))
		}
		tk, _ := backup.TenantKeysObject(m.tenant.ID)
		if _, err := second.Stat(ctx, tk); err != nil {
			t.Errorf("tenant keyring object at the second site: %v", err)
		}
		if _, where, _ := restoreTest(ctx, env.DB, bs, time.Date(2026, 11, 8, 4, 30, 0, 0, time.UTC)); !strings.HasSuffix(where, "site2") {
			t.Errorf("Sunday's restore test read %s", where)
		}
	})
}
