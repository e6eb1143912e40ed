package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/backup"
	"github.com/kluis/kluis/internal/config"
	"github.com/kluis/kluis/internal/jobs"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/store"
)

// kluis backup and kluis restore (END-2, SEC-4): see docs/backup.md.

func runBackup(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "backup")
	var to, recips fileList
	fs.Var(&to, "to", "a backup target: a directory or s3://… (repeat for several; default KLUIS_BACKUP_TARGETS)")
	fs.Var(&recips, "recipient", "an age recipient age1… to encrypt to (repeat for several; default KLUIS_BACKUP_RECIPIENTS)")
	list := fs.Bool("list", false, "list the backups in the first target instead of making one")
	test := fs.Bool("restore-test", false, "run the restore test of the latest backup now, as the scheduled one does, instead of making a backup")
	cfg, _, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if *test {
		return runRestoreTest(ctx, env, cfg)
	}
	if len(to) == 0 {
		to = cfg.BackupTargetList()
	}
	if len(recips) == 0 {
		recips = cfg.BackupRecipientList()
	}
	stores, err := openTargets(to)
	if err != nil {
		return err
	}
	if *list {
		ms, err := backup.List(ctx, stores[0])
		if err != nil {
			return err
		}
		for _, m := range ms {
			fmt.Fprintf(env.Stdout, "%s  %s  %s schema %d  %d tenants\n", m.ID, m.Created.Format(time.RFC3339), m.Database, m.Schema, len(m.Keys.Tenants))
		}
		return nil
	}
	if _, err := backup.ParseRecipients(recips); err != nil {
		return usageError{err.Error()}
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	files, err := attachmentStore(cfg)
	if err != nil {
		return err
	}
	rate, err := cfg.BackupRateBytes()
	if err != nil {
		return usageError{err.Error()}
	}
	start := time.Now()
	m, err := backup.MakeRecorded(ctx, operatorActor(env), backup.Options{DB: db, DatabaseURL: cfg.DatabaseURL, Keys: db.Keys(),
		Stores: stores, Recipients: recips, KeyName: backupKeyName(cfg), Files: files, Rate: rate})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backup %s: %s, %d bytes encrypted to %d recipient(s), manifest signed; keyring backed up apart (%d tenants) in %.1fs\n",
		m.ID, m.Database, m.Objects[0].Size, len(recips), len(m.Keys.Tenants), time.Since(start).Seconds())
	if m.Files.Objects > 0 {
		fmt.Fprintf(env.Stdout, "  with %d attachment files of the shared storage (%d bytes)\n", m.Files.Objects, m.Files.Bytes)
	}
	for _, st := range stores {
		fmt.Fprintf(env.Stdout, "  written to %s\n", st.Location())
	}
	return nil
}

// runRestoreTest runs the restore test now and records it, like the
// scheduled job (SEC-5): the result is on the operators' and controllers'
// pages and in the platform log.
func runRestoreTest(ctx context.Context, env *Env, cfg config.Config) error {
	bs, err := backupSettings(cfg)
	if err != nil {
		return err
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := jobs.RunRestoreTest(ctx, db, bs, operatorActor(env)); err != nil {
		return fmt.Errorf("restore test failed: %w", err)
	}
	latest, _, err := db.LatestBackupRuns(ctx, store.RunRestoreTest)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "restore test passed: %s\n", latest.Detail)
	return nil
}

func runRestore(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "restore")
	from := fs.String("from", "", "where the backup is: a directory or s3://… (required)")
	id := fs.String("backup", "", "the backup's id, or latest (required; kluis backup --list shows them)")
	identity := fs.String("identity", "", "age identity file of one of the backup's recipients (default KLUIS_BACKUP_IDENTITY_FILE)")
	filesTo := fs.String("files", "", "the new instance's shared storage (its KLUIS_STORAGE) to restore the backup's attachment files to; needed when it holds any")
	cfg, _, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if *from == "" || *id == "" {
		return usageError{"give --from LOCATION and --backup ID (or latest), and the new --data-dir and --keys-dir to restore into"}
	}
	if *identity == "" {
		*identity = cfg.BackupIdentityFile
	}
	if *identity == "" {
		return usageError{"give --identity FILE: the age identity of one of the backup's recipients"}
	}
	ids, err := backup.ReadIdentities(*identity)
	if err != nil {
		return usageError{err.Error()}
	}
	m, err := masterKey(cfg)
	if err != nil {
		return err
	}
	stores, err := openTargets([]string{*from})
	if err != nil {
		return err
	}
	o := backup.RestoreOptions{Store: stores[0], ID: *id, Identities: ids, Master: m,
		KeysDir: cfg.KeysDir, DataDir: cfg.DataDir}
	if *filesTo != "" {
		dst, err := objstore.Open(*filesTo)
		if err != nil {
			return usageError{err.Error()}
		}
		o.Files = objstore.Sub(dst, "attachments")
	}
	if d, _, err := store.ParseURL(cfg.DatabaseURL); err == nil && d == store.Postgres {
		o.DatabaseURL = cfg.DatabaseURL
	}
	start := time.Now()
	r, err := backup.Restore(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "restored backup %s of %s (%s, schema %d) in %.1fs: database %s, keyring %s; row counts match the signed manifest\n",
		r.Manifest.ID, r.Manifest.Created.Format(time.RFC3339), r.Manifest.Database, r.Manifest.Schema,
		time.Since(start).Seconds(), store.Redact(r.DatabaseURL), cfg.KeysDir)
	for _, t := range r.MissingKeys {
		fmt.Fprintf(env.Stdout, "tenant %s: its keys were destroyed (no keyring backup): its sealed data cannot be opened\n", t)
	}
	fmt.Fprintln(env.Stdout, "next: kluis migrate (if this binary is newer), kluis audit verify --all, then kluis serve")
	return nil
}

func openTargets(locs []string) ([]objstore.Store, error) {
	if len(locs) == 0 {
		return nil, usageError{"no backup target: give --to LOCATION or set KLUIS_BACKUP_TARGETS"}
	}
	out := make([]objstore.Store, 0, len(locs))
	for _, l := range locs {
		st, err := objstore.Open(l)
		if err != nil {
			return nil, usageError{err.Error()}
		}
		out = append(out, st)
	}
	return out, nil
}

// backupKeyName names the backup-signing key after the platform's address,
// as the checkpoint key is.
func backupKeyName(cfg config.Config) string {
	name := cfg.CheckpointKeyName()
	return name[:len(name)-len("/audit")] + "/backup"
}

// backupSettings gathers what the scheduled backup and restore test need,
// checking the recipients and targets at start rather than at 03:30.
func backupSettings(cfg config.Config) (jobs.BackupSettings, error) {
	m, err := masterKey(cfg)
	if err != nil {
		return jobs.BackupSettings{}, err
	}
	if _, err := backup.ParseRecipients(cfg.BackupRecipientList()); err != nil {
		return jobs.BackupSettings{}, fmt.Errorf("KLUIS_BACKUP_RECIPIENTS: %w", err)
	}
	if _, err := openTargets(cfg.BackupTargetList()); err != nil {
		return jobs.BackupSettings{}, fmt.Errorf("KLUIS_BACKUP_TARGETS: %w", err)
	}
	d, w, mo, err := cfg.BackupRetention()
	if err != nil {
		return jobs.BackupSettings{}, err
	}
	files, err := attachmentStore(cfg)
	if err != nil {
		return jobs.BackupSettings{}, err
	}
	rate, err := cfg.BackupRateBytes()
	if err != nil {
		return jobs.BackupSettings{}, err
	}
	return jobs.BackupSettings{Rate: rate, Targets: cfg.BackupTargetList(), SecondSite: cfg.BackupSecondSite, Files: files, Recipients: cfg.BackupRecipientList(),
		KeyName: backupKeyName(cfg), DatabaseURL: cfg.DatabaseURL, Retention: backup.Retention{Daily: d, Weekly: w, Monthly: mo},
		AlertTo: cfg.BackupAlertTo(), IdentityFile: cfg.BackupIdentityFile, Master: m,
		ScratchDatabaseURL: cfg.BackupScratchDatabaseURL}, nil
}
