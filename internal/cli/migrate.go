package cli

import (
	"context"
	"fmt"
)

func runMigrate(ctx context.Context, env *Env, args []string) error {
	cfg, _, err := load(env, flags(env, "migrate"), args)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, nil, true)
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
	return nil
}
