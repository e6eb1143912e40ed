package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// KindRetention applies every tenant's register retention to its stored
// data once a day (SEC-1): see store.RunRetention. Idempotent: a category
// applied to a row is recorded on it, and an interrupted run is taken up
// again by the next.
const KindRetention = "retention.run"

// TenantRetention is one tenant's outcome of RetainAll.
type TenantRetention struct {
	Tenant tenant.Tenant
	Report store.RetentionReport
	// Skipped: the tenant has no register yet, so nothing can expire.
	Skipped bool
	// Busy: another run of the tenant (the command, or the job on another
	// node) holds its lease; this one did nothing, and that is no failure.
	Busy *store.RetentionBusyError
	Err  error
}

// RetainAll runs the retention of every active controller tenant (or the
// dry run), one after the other; a tenant's failure does not stop the
// others and is in its outcome and in the joined error.
func RetainAll(ctx context.Context, db *store.DB, actor audit.Actor, opts store.RetentionOptions) ([]TenantRetention, error) {
	ts, err := db.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	var out []TenantRetention
	var errs []error
	for _, t := range ts {
		if t.Status != tenant.StatusActive || t.IsPlatform() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
		r := TenantRetention{Tenant: t}
		r.Report, r.Err = db.RunRetention(ctx, actor, t.ID, opts)
		r.classify()
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t.Slug, r.Err))
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

// classify turns the outcomes that are no failure (no register, another
// run busy) into their flags.
func (r *TenantRetention) classify() {
	if errors.Is(r.Err, store.ErrRetentionNoRegister) {
		r.Skipped, r.Err = true, nil
	}
	if errors.As(r.Err, &r.Busy) {
		r.Err = nil
	}
}

// RetainOne runs the retention of tenant t (or the dry run), with its
// outcome classified as RetainAll does.
func RetainOne(ctx context.Context, db *store.DB, actor audit.Actor, t tenant.Tenant, opts store.RetentionOptions) TenantRetention {
	r := TenantRetention{Tenant: t}
	r.Report, r.Err = db.RunRetention(ctx, actor, t.ID, opts)
	r.classify()
	return r
}

// retention is the handler of KindRetention.
func retention(ctx context.Context, db *store.DB, j store.Job) error {
	actor := audit.System(KindRetention)
	actor.RequestID = "job-" + j.ID
	out, err := RetainAll(ctx, db, actor, store.RetentionOptions{})
	obs := observerFrom(ctx)
	for _, r := range out {
		if !r.Skipped && r.Busy == nil {
			obs.RetentionRan(r.Report.Counts, r.Err)
		}
	}
	return err
}
