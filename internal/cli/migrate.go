package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/kluis/kluis/internal/store"
)

func runMigrate(ctx context.Context, env *Env, args []string) error {
	cfg, _, err := load(env, flags(env, "migrate"), args)
	if err != nil {
		return err
	}
	// The keyring is optional for migrating, needed for the platform log.
	keys, kerr := openKeys(cfg)
	if kerr != nil {
		keys = nil
	}
	db, err := openStore(ctx, cfg, keys, true)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(env.Stdout, "database already at schema version %d\n", db.LatestVersion())
		return nil
	}
	fmt.Fprintf(env.Stdout, "applied migrations %v; database at schema version %d\n", applied, db.LatestVersion())
	return recordMigration(ctx, env, db, applied, kerr)
}

// recordMigration puts applied migrations in the platform log (AUD-3): they
// concern every tenant. Without a keyring (a schema made before `kluis
// keys init`) there is no log to write to yet: said, not failed.
func recordMigration(ctx context.Context, env *Env, db *store.DB, applied []int, keysErr error) error {
	if keysErr != nil {
		fmt.Fprintf(env.Stderr, "no keyring yet, so the migration is not in the platform log: %v\n", keysErr)
		return nil
	}
	versions := make([]string, len(applied))
	for i, v := range applied {
		versions[i] = fmt.Sprint(v)
	}
	return db.PlatformLog(ctx, operatorActor(env), "platform.migrate", store.PlatformAll, strings.Join(versions, ", "))
}
