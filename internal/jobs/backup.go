package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/backup"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
)

// The scheduled backup and restore test (END-2, SEC-4, SEC-5, SEC-6).
// Both record their result in backup_runs with a platform audit event;
// a failure is mailed to the operators and fails the "backup" readiness
// check (backup.Health) until a later run passes.
const (
	// KindBackup makes the daily backup to every target and applies the
	// retention.
	KindBackup = "backup.make"
	// KindRestoreTest restores the latest backup into a scratch place and
	// verifies it, an hour after the backup; on Sundays from the last
	// target (the second site, SEC-6).
	KindRestoreTest = "backup.restore_test"
)

// BackupSettings is what the backup jobs need from the configuration.
type BackupSettings struct {
	Targets []string // locations, objstore.Open
	// SecondSite is where every backup is replicated after it is made
	// (SEC-6); "" when there is none.
	SecondSite string
	// Files is the shared storage's attachment objects, nil when none;
	// every backup holds them (backup.Options.Files).
	Files       objstore.Store
	Recipients  []string
	KeyName     string
	DatabaseURL string
	Retention   backup.Retention
	// AlertTo hears of failures; "" sends no mail (the audit event and
	// the readiness check remain).
	AlertTo string
	// IdentityFile and Master open the backups for the restore test.
	IdentityFile       string
	Master             seal.MasterKey
	ScratchDatabaseURL string
	TempDir            string
	// Rate limits the backup's stream to the targets (bytes/s; 0: none).
	Rate int64
}

// WithBackups adds the daily backup at offset (from midnight UTC) and the
// restore test an hour later to a schedule.
func WithBackups(s []Periodic, offset time.Duration) []Periodic {
	return append(s,
		Periodic{Kind: KindBackup, Every: 24 * time.Hour, Offset: offset},
		Periodic{Kind: KindRestoreTest, Every: 24 * time.Hour, Offset: (offset + time.Hour) % (24 * time.Hour)})
}

func (s BackupSettings) stores() ([]objstore.Store, error) {
	if len(s.Targets) == 0 {
		return nil, errors.New("no backup target configured (KLUIS_BACKUP_TARGETS)")
	}
	out := make([]objstore.Store, 0, len(s.Targets))
	for _, l := range s.Targets {
		st, err := objstore.Open(l)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// secondSite opens the second site (SEC-6); nil when none is configured.
func (s BackupSettings) secondSite() (objstore.Store, error) {
	if s.SecondSite == "" {
		return nil, nil
	}
	return objstore.Open(s.SecondSite)
}

// KeyringRefreshHandler is the handler of store.KeyringRefreshJobKind:
// after an erasure destroyed person keys, the tenant's keyring object is
// written again at every target and the second site, so that no backup
// target still holds the keys the erasure destroyed (DSR-1, END-4).
// Without a backup target there is nothing to refresh.
func KeyringRefreshHandler(s BackupSettings) Handler {
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		if len(s.Targets) == 0 {
			return nil
		}
		stores, err := s.stores()
		if err != nil {
			return err
		}
		second, err := s.secondSite()
		if err != nil {
			return err
		}
		if second != nil {
			stores = append(stores, second)
		}
		return backup.RefreshTenantKeys(ctx, db.Keys(), stores, s.Recipients, j.TenantID)
	}
}

// BackupHandler is the handler of KindBackup.
func BackupHandler(s BackupSettings) Handler {
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		actor := audit.System(KindBackup)
		actor.RequestID = "job-" + j.ID
		stores, err := s.stores()
		if err == nil {
			_, err = backup.MakeRecorded(ctx, actor, backup.Options{DB: db, DatabaseURL: s.DatabaseURL, Keys: db.Keys(),
				Stores: stores, Recipients: s.Recipients, KeyName: s.KeyName, TempDir: s.TempDir, Files: s.Files, Rate: s.Rate})
		} else if _, rerr := db.RecordBackupRun(ctx, actor, store.BackupRun{Kind: store.RunBackup, StartedAt: db.Now(),
			FinishedAt: db.Now(), Detail: err.Error()}); rerr != nil {
			err = errors.Join(err, rerr)
		}
		var second objstore.Store
		if err == nil {
			// The backups and keyring objects of the first target, each copy
			// verified, go to the second site (SEC-6).
			if second, err = s.secondSite(); err == nil && second != nil {
				_, err = backup.ReplicateTo(ctx, stores[0], second)
			}
			if err != nil {
				err = fmt.Errorf("second site: %w", err)
			}
		}
		if err != nil {
			return errors.Join(err, alert(ctx, db, actor, s.AlertTo, store.RunBackup, "", err))
		}
		if second != nil {
			stores = append(stores, second)
		}
		_, err = backup.Prune(ctx, stores, db.Now(), s.Retention)
		return err
	}
}

// RestoreTestHandler is the handler of KindRestoreTest.
func RestoreTestHandler(s BackupSettings) Handler {
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		actor := audit.System(KindRestoreTest)
		actor.RequestID = "job-" + j.ID
		return RunRestoreTest(ctx, db, s, actor)
	}
}

// RunRestoreTest runs the restore test now, records its result by actor
// (backup_runs and the platform log) and alerts the operators when it
// fails: the job, and `kluis backup --restore-test` (SEC-5).
func RunRestoreTest(ctx context.Context, db *store.DB, s BackupSettings, actor audit.Actor) error {
	start := db.Now()
	res, where, err := restoreTest(ctx, db, s, start)
	run := store.BackupRun{Kind: store.RunRestoreTest, BackupID: res.BackupID, Location: where,
		StartedAt: start, FinishedAt: db.Now(), OK: err == nil, Detail: res.String()}
	if err != nil {
		run.Detail = err.Error()
	}
	if _, rerr := db.RecordBackupRun(ctx, actor, run); rerr != nil {
		return errors.Join(err, rerr)
	}
	if err != nil {
		return errors.Join(err, alert(ctx, db, actor, s.AlertTo, store.RunRestoreTest, res.BackupID, err))
	}
	return nil
}

func restoreTest(ctx context.Context, db *store.DB, s BackupSettings, now time.Time) (backup.TestResult, string, error) {
	stores, err := s.stores()
	if err != nil {
		return backup.TestResult{}, "", err
	}
	st := stores[0]
	if now.Weekday() == time.Sunday { // the second site, at least weekly (SEC-6)
		st = stores[len(stores)-1]
		second, err := s.secondSite()
		if err != nil {
			return backup.TestResult{}, "", err
		}
		if second != nil {
			st = second
		}
	}
	if s.IdentityFile == "" {
		return backup.TestResult{}, st.Location(), errors.New("no age identity for the restore test (KLUIS_BACKUP_IDENTITY_FILE)")
	}
	ids, err := backup.ReadIdentities(s.IdentityFile)
	if err != nil {
		return backup.TestResult{}, st.Location(), err
	}
	res, err := backup.RestoreTest(ctx, backup.TestOptions{Store: st, Identities: ids, Master: s.Master,
		ScratchDatabaseURL: s.ScratchDatabaseURL, LiveDatabaseURL: s.DatabaseURL, TempDir: s.TempDir})
	return res, st.Location(), err
}

// alert mails the operators about a failed backup or restore test, in
// Dutch (the supplier's language), through the outbox of the operators'
// realm. The reason names no personal data: ids, tables and counts.
func alert(ctx context.Context, db *store.DB, actor audit.Actor, to, kind, backupID string, cause error) error {
	if to == "" {
		return nil
	}
	realm, err := db.OperatorRealm(ctx, actor)
	if err != nil {
		return err
	}
	args := []any{db.Now().UTC().Format("02.01.2006 15:04"), oneLine(cause)}
	if kind == store.RunRestoreTest {
		args = append(args, backupID)
	}
	_, err = db.QueueMail(ctx, actor, realm.ID, store.OutgoingMail{To: to, Lang: string(locale.NL), Kind: "backup.alert",
		Subject: locale.T(locale.NL, "backup.alert."+kind+".subject"),
		Body:    locale.T(locale.NL, "backup.alert."+kind+".body", args...)})
	if err != nil {
		return fmt.Errorf("mail the backup alert: %w", err)
	}
	return nil
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " ")
}
