package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/config"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

func keysInitCommand(_ context.Context, env *Env, args []string) error {
	cfg, _, err := load(env, flags(env, "keys init"), args)
	if err != nil {
		return err
	}
	return keysInit(env, cfg)
}

// keysInit makes sure a master key exists (KLUIS_MASTER_KEY, or the key
// file, created when missing) and creates an empty keyring.
func keysInit(env *Env, cfg config.Config) error {
	m, created, err := ensureMasterKey(cfg)
	if err != nil {
		return err
	}
	if err := seal.Init(cfg.KeysDir, m); err != nil {
		if created {
			os.Remove(cfg.MasterKeyFile) // leave nothing half-made
		}
		return err
	}
	if created {
		fmt.Fprintf(env.Stdout, "master key written to %s (mode 0600): back it up apart from the data and the keyring\n", cfg.MasterKeyFile)
	}
	fmt.Fprintf(env.Stdout, "keyring created in %s\n", cfg.KeysDir)
	return nil
}

func ensureMasterKey(cfg config.Config) (m seal.MasterKey, created bool, err error) {
	m, err = masterKey(cfg)
	if err == nil || cfg.MasterKey != "" {
		return m, false, err
	}
	if _, serr := os.Stat(cfg.MasterKeyFile); !errors.Is(serr, os.ErrNotExist) {
		return m, false, err // the file exists but is bad: say so, never overwrite
	}
	if m, err = seal.GenerateMasterKey(); err != nil {
		return m, false, err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.MasterKeyFile), 0o700); err != nil {
		return m, false, fmt.Errorf("create master key directory: %w", err)
	}
	f, err := os.OpenFile(cfg.MasterKeyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return m, false, fmt.Errorf("write master key: %w", err)
	}
	if _, err := f.WriteString(m.String() + "\n"); err != nil {
		f.Close()
		os.Remove(cfg.MasterKeyFile)
		return m, false, fmt.Errorf("write master key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(cfg.MasterKeyFile)
		return m, false, fmt.Errorf("write master key: %w", err)
	}
	return m, true, f.Close()
}

func keysRotate(ctx context.Context, env *Env, args []string) error {
	// A platform action: a new key, no data read (see docs/operations.md).
	return onTenant(ctx, env, "keys rotate", args, platform, func(db *store.DB, t tenant.Tenant, _ audit.Actor) error {
		return rotateKey(ctx, env, db, t)
	})
}

func rotateKey(ctx context.Context, env *Env, db *store.DB, t tenant.Tenant) error {
	id, err := db.Keys().Rotate(t.ID)
	if err != nil {
		return err
	}
	actor := operatorActor(env)
	if err := db.Audit(ctx, audit.Event{TenantID: t.ID, Actor: actor, Action: "keys.rotate", ObjectType: "data_key",
		ObjectID: fmt.Sprint(id), Purpose: "key management", Outcome: audit.OutcomeSuccess}); err != nil {
		return fmt.Errorf("key %d is in the keyring but the audit event failed: %w", id, err)
	}
	// And in the platform log, as the supplier's action on the platform (AUD-3).
	if err := db.PlatformLog(ctx, actor, "platform.keys.rotate", t.ID, fmt.Sprint(id)); err != nil {
		return fmt.Errorf("key %d is in the keyring and the tenant's log but not in the platform log: %w", id, err)
	}
	fmt.Fprintf(env.Stdout, "tenant %s: new primary data key %d; older keys still open existing data\n", t.Slug, id)
	return nil
}
