package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"
	"github.com/kluis/kluis/internal/auditproof"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
	"golang.org/x/mod/sumdb/note"
)

// The restore test (SEC-4, SEC-5): a backup nobody restored is a hope, not
// a backup. It restores the latest backup into a scratch place, checks
// each tenant's row counts against the signed manifest (Restore does) and
// each tenant's audit chain and checkpoints in the restored copy, and
// throws the copy away.

// TestOptions configure RestoreTest.
type TestOptions struct {
	Store      objstore.Store
	Identities []age.Identity
	Master     seal.MasterKey
	// ScratchDatabaseURL is an empty PostgreSQL database the test restores
	// into and empties again; needed for PostgreSQL backups only.
	ScratchDatabaseURL string
	// LiveDatabaseURL is the running database, which the scratch one must
	// never be.
	LiveDatabaseURL string
	TempDir         string
}

// TestResult is what a restore test checked.
type TestResult struct {
	BackupID                     string
	Tenants, Rows, Events, Marks int64
	// MissingKeys: tenants whose keys were destroyed (end of contract);
	// their chains are still checked, their sealed values not opened.
	MissingKeys []string
}

func (r TestResult) String() string {
	return fmt.Sprintf(testResultFormat, r.BackupID, r.Tenants, r.Rows, r.Events, r.Marks)
}

// RestoreTest restores the store's latest backup into scratch directories
// (and ScratchDatabaseURL for PostgreSQL) and verifies it; the result
// names the backup even when the test fails.
func RestoreTest(ctx context.Context, o TestOptions) (res TestResult, err error) {
	all, err := List(ctx, o.Store)
	if err != nil {
		return res, err
	}
	if len(all) == 0 {
		return res, fmt.Errorf("no backup in %s to test", o.Store.Location())
	}
	m := all[len(all)-1]
	res.BackupID = m.ID
	sweepStale(o.TempDir)
	scratch, err := os.MkdirTemp(o.TempDir, "kluis-restore-test-*")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(scratch)
	ro := RestoreOptions{Store: o.Store, ID: m.ID, Identities: o.Identities, Master: o.Master,
		KeysDir: filepath.Join(scratch, "keys"), DataDir: filepath.Join(scratch, "data"), TempDir: scratch,
		FilesCheckOnly: true}
	if m.Database == string(store.Postgres) {
		if o.ScratchDatabaseURL == "" {
			return res, errors.New("the backup is of PostgreSQL: set KLUIS_BACKUP_SCRATCH_DATABASE_URL to an empty database for the restore test")
		}
		if o.ScratchDatabaseURL == o.LiveDatabaseURL {
			return res, errors.New("KLUIS_BACKUP_SCRATCH_DATABASE_URL is the live database: the restore test needs a database of its own")
		}
		if err := store.EmptyScratch(ctx, o.ScratchDatabaseURL); err != nil {
			return res, err
		}
		defer store.EmptyScratch(context.WithoutCancel(ctx), o.ScratchDatabaseURL)
		ro.DatabaseURL = o.ScratchDatabaseURL
	}
	r, err := Restore(ctx, ro)
	if err != nil {
		return res, err
	}
	res.MissingKeys = r.MissingKeys
	for _, tables := range m.Rows {
		for _, n := range tables {
			res.Rows += n
		}
	}
	keys, err := seal.OpenKeyring(ro.KeysDir, o.Master)
	if err != nil {
		return res, err
	}
	db, err := store.Open(ctx, r.DatabaseURL, store.Options{Keys: keys})
	if err != nil {
		return res, err
	}
	defer db.Close()
	return res, verifyChains(ctx, db, &res)
}

// verifyChains walks every tenant's audit chain in the restored copy and
// checks it against the checkpoints kept there, signed by the restored
// checkpoint key.
func verifyChains(ctx context.Context, db *store.DB, res *TestResult) error {
	tenants, err := db.AuditChains(ctx)
	if err != nil {
		return err
	}
	var v note.Verifier
	if ck, err := db.CheckpointKey(""); err == nil {
		if v, err = auditproof.ParseVerifierKey(ck.VerifierKey); err != nil {
			return err
		}
	} else if !errors.Is(err, seal.ErrNoCheckpointKey) {
		return err
	}
	for _, t := range tenants {
		res.Tenants++
		n, err := db.VerifyAudit(ctx, t.ID)
		if err != nil {
			return fmt.Errorf("tenant %s: audit chain: %w", t.Slug, err)
		}
		res.Events += n
		cps, err := db.Checkpoints(ctx, t.ID, time.Time{}, 100_000)
		if err != nil {
			return err
		}
		if len(cps) == 0 {
			continue
		}
		if v == nil {
			return fmt.Errorf("tenant %s has checkpoints but the restored keyring no checkpoint key", t.Slug)
		}
		kept := make([]auditproof.SignedCheckpoint, len(cps))
		for i, c := range cps {
			kept[i] = auditproof.SignedCheckpoint{Name: fmt.Sprintf("checkpoint of size %d", c.Size), Note: c.Note}
		}
		rep, err := db.VerifyAgainstCheckpoints(ctx, t.ID, v, kept)
		if err != nil {
			return fmt.Errorf("tenant %s: audit log against its checkpoints: %w", t.Slug, err)
		}
		res.Marks += int64(rep.Checkpoints)
	}
	return nil
}
