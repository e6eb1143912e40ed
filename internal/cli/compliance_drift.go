package cli

import (
	"context"
	"fmt"

	"github.com/kluis/kluis/internal/jobs"
	"github.com/kluis/kluis/internal/store"
)

// complianceDrift measures one tenant's clauses now and records, audits
// and mails every flip since the last measurement, as the hourly
// compliance.drift job does (ADT-1) — `kluis compliance drift --tenant X
// --grant G`: after fixing what an alert named, the operator sees it met
// again without waiting for the hour. It opens the names of admins without
// a second factor to measure, so it runs under the tenant's grant.
func complianceDrift(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "compliance drift")
	ref := fs.String("tenant", "", "tenant slug or id")
	grant := grantFlag(fs)
	cfg, rest, err := load(env, fs, args)
	if err != nil {
		return err
	}
	db, t, err := openTenant(ctx, cfg, rest, *ref)
	if err != nil {
		return err
	}
	defer db.Close()
	actor, err := granted(ctx, env, db, t, *grant, "kluis compliance drift")
	if err != nil {
		return err
	}
	states, err := jobs.MeasureCompliance(compliancePlatform(cfg))(ctx, db, actor, t.ID, db.Now())
	if err != nil {
		return err
	}
	run, err := db.RecordComplianceDrift(ctx, actor, t.ID, states, store.DriftMailer(cfg.BaseURL))
	if err != nil {
		return err
	}
	switch {
	case run.Baseline:
		fmt.Fprintf(env.Stdout, "%s: first measurement of %d clauses recorded; nobody mailed\n", t.Slug, len(states))
	case len(run.Flips) == 0:
		fmt.Fprintf(env.Stdout, "%s: no clause changed since the last measurement\n", t.Slug)
	default:
		for _, f := range run.Flips {
			fmt.Fprintf(env.Stdout, "%s: %s %s -> %s\n", t.Slug, f.Clause, f.From, f.To)
		}
		fmt.Fprintf(env.Stdout, "%s: %d changes mailed to %d addresses\n", t.Slug, len(run.Flips), run.Flips[0].Notified)
	}
	return nil
}
