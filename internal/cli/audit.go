package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/audit"
)

func runAudit(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError{"say what to do: kluis audit verify --tenant SLUG"}
	}
	fs := flags(env, "audit verify")
	ref := fs.String("tenant", "", "tenant slug or id")
	all := fs.Bool("all", false, "verify every tenant")
	cfg, rest, err := load(env, fs, args[1:])
	if err != nil {
		return err
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	var ids []string
	if *all {
		ts, err := db.AuditChains(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			ids = append(ids, t.ID)
		}
	} else {
		t, err := findTenant(ctx, db, rest, *ref)
		if err != nil {
			return err
		}
		ids = []string{t.ID}
	}
	var failed int
	for _, id := range ids {
		t, _ := db.Tenant(ctx, id)
		start := time.Now()
		n, err := db.VerifyAudit(ctx, id)
		var broken *audit.BrokenError
		switch {
		case errors.As(err, &broken):
			failed++
			fmt.Fprintf(env.Stdout, "%s: BROKEN at event %d: %s (%d events before it are intact)\n", t.Slug, broken.Seq, broken.Reason, n)
		case err != nil:
			return err
		default:
			d := time.Since(start)
			fmt.Fprintf(env.Stdout, "%s: %d events verified, chain intact (%.0f events/s)\n", t.Slug, n, float64(n)/max(d.Seconds(), 1e-9))
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d audit log(s) failed verification", failed)
	}
	return nil
}
