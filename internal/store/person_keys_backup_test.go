package store_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/backup"
	"github.com/kluis/kluis/internal/jobs"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseDSR1_ErasureReachesTheBackupTargets: per-person key
// destruction reuses the end of contract's crypto-shredding. A real backup
// taken before an erasure, at a target and a second site, is restored
// after it: once the erasure's keyring refresh has run, the restored copy
// cannot open the erased person's values while the other citizen's open —
// from either site.
func TestClauseDSR1_ErasureReachesTheBackupTargets(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, theirs := personOnThreeForms(t, env, personKeysOn(t, env))
		site1, err := objstore.Dir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		site2Dir := t.TempDir()
		site2, _ := objstore.Dir(site2Dir)
		id, _ := age.GenerateX25519Identity()
		m, err := backup.Make(ctx, backup.Options{DB: env.DB, DatabaseURL: env.URL, Keys: env.Keys, Stores: []objstore.Store{site1},
			Recipients: []string{id.Recipient().String()}, KeyName: "kluis.test/backup", TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := backup.ReplicateTo(ctx, site1, site2); err != nil {
			t.Fatal(err)
		}

		erase(t, env, fx.tn.ID, anPeeters)

		var queued int
		if err := env.Raw(t).QueryRow(`SELECT count(*) FROM jobs WHERE tenant_id = $1 AND kind = $2 AND status = 'pending'`,
			fx.tn.ID, store.KeyringRefreshJobKind).Scan(&queued); err != nil || queued != 1 {
			t.Fatalf("keyring refresh jobs queued by the erasure: %d %v", queued, err)
		}
		refresh := jobs.KeyringRefreshHandler(jobs.BackupSettings{Targets: []string{site1.Location()[len("dir:"):]},
			SecondSite: "file:" + site2Dir, Recipients: []string{id.Recipient().String()}})
		if err := refresh(ctx, env.DB, store.Job{TenantID: fx.tn.ID, Kind: store.KeyringRefreshJobKind}); err != nil {
			t.Fatal(err)
		}

		for _, site := range []objstore.Store{site1, site2} {
			dir := t.TempDir()
			o := backup.RestoreOptions{Store: site, ID: m.ID, Identities: []age.Identity{id}, Master: env.Master,
				KeysDir: filepath.Join(dir, "keys"), DataDir: filepath.Join(dir, "data"), TempDir: t.TempDir()}
			if env.Dialect == store.Postgres {
				o.DatabaseURL = storetest.NewPostgresDatabase(t)
			}
			got, err := backup.Restore(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			keys, err := seal.OpenKeyring(o.KeysDir, o.Master)
			if err != nil {
				t.Fatal(err)
			}
			cp, err := store.Open(ctx, got.DatabaseURL, store.Options{Keys: keys, Now: env.Clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			// The erased person's submissions, each by a clerk who may see it:
			// one erased, one kept by law (re-sealed with the tenant key in the
			// live database, but sealed with the destroyed key in the backup).
			for _, c := range []struct {
				actor  audit.Actor
				viewer string
				sub    string
			}{{fx.otherAct, fx.other.ID, mine[0]}, {fx.actor, fx.clerk.ID, mine[1]}} {
				if _, err := cp.OpenSubmission(ctx, c.actor, fx.tn.ID, store.UserViewer(c.viewer), c.sub, "restore"); !errors.Is(err, store.ErrUnreadable) {
					cp.Close()
					t.Fatalf("%s: the erased person's submission %s in the backup: %v, want ErrUnreadable", site.Location(), c.sub, err)
				}
			}
			other, err := cp.OpenSubmission(ctx, fx.otherAct, fx.tn.ID, store.UserViewer(fx.other.ID), theirs, "restore")
			cp.Close()
			if err != nil || !strings.Contains(string(other.Answers), "MARKER-theirs") {
				t.Fatalf("%s: the other citizen's submission in the backup: %v", site.Location(), err)
			}
		}
	})
}
