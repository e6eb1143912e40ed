package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/kluis/kluis/internal/jobs"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// retentionRun applies the register's retention now, as the daily job does
// (SEC-1): `kluis retention run [--tenant X] [--dry-run]`. A dry run says
// what would happen and changes nothing. Exit status 1 when a tenant's run
// failed (the others still ran). It needs no grant (a documented exception,
// docs/operations.md): it applies the controller's own register exactly as
// the nightly job does, the operator chooses nothing of what expires and
// sees only counts, and every run and chunk is in the tenant's log.
func retentionRun(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "retention run")
	ref := fs.String("tenant", "", "tenant slug or id (default: every active tenant)")
	dry := fs.Bool("dry-run", false, "report what would expire, change nothing")
	cfg, rest, err := load(env, fs, args)
	if err != nil {
		return err
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	actor := operatorActor(env)
	opts := store.RetentionOptions{DryRun: *dry}
	var outcomes []jobs.TenantRetention
	if *ref != "" || len(rest) > 0 {
		t, ferr := findTenant(ctx, db, rest, *ref)
		if ferr != nil {
			return ferr
		}
		if t.Status != tenant.StatusActive {
			return fmt.Errorf("tenant %s is %s: its data is not touched", t.Slug, t.Status)
		}
		o := jobs.RetainOne(ctx, db, actor, t, opts)
		outcomes = append(outcomes, o)
		err = o.Err
	} else {
		outcomes, err = jobs.RetainAll(ctx, db, actor, opts)
	}
	busy := 0
	for _, o := range outcomes {
		printRetention(env.Stdout, o)
		if o.Busy != nil {
			busy++
		}
	}
	if err != nil {
		return fmt.Errorf("retention did not finish: %w", err)
	}
	if busy > 0 {
		return fmt.Errorf("retention did not run for %d tenant(s): another run was in progress; run again when it has finished", busy)
	}
	return nil
}

func printRetention(w io.Writer, o jobs.TenantRetention) {
	switch {
	case o.Skipped:
		fmt.Fprintf(w, "%s: no processing register yet, nothing expires\n", o.Tenant.Slug)
		return
	case o.Busy != nil:
		fmt.Fprintf(w, "%s: not run: another retention run of this tenant is in progress (started %s by %s); nothing was done twice\n",
			o.Tenant.Slug, o.Busy.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), o.Busy.StartedBy)
		return
	case o.Err != nil:
		fmt.Fprintf(w, "%s: failed; what was done is kept and the next run continues\n", o.Tenant.Slug)
		return
	}
	verb := "applied"
	if o.Report.DryRun {
		verb = "dry run, nothing changed; would apply"
	}
	var parts []string
	for _, c := range o.Report.Counts {
		what := "category " + c.Category
		if c.Category == "" {
			what = c.Table
		}
		parts = append(parts, fmt.Sprintf("%s %s: %d", what, c.Action, c.Count))
	}
	if len(parts) == 0 {
		parts = []string{"nothing has expired"}
	}
	run := ""
	if o.Report.RunID != "" {
		run = " (run " + o.Report.RunID
		if o.Report.Resumed {
			run += ", resumed"
		}
		run += ")"
	}
	unreadable := ""
	if o.Report.Unreadable > 0 {
		unreadable = fmt.Sprintf("; %d could not be opened and were left (see the log)", o.Report.Unreadable)
	}
	fmt.Fprintf(w, "%s: %s%s: %s; %d on legal hold%s\n", o.Tenant.Slug, verb, run, strings.Join(parts, ", "), o.Report.Held, unreadable)
}
