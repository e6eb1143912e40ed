package jobs

import (
	"errors"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// AUD-2: the daily job prunes each log once its checkpointed events are
// older than the retention (two years by default), at that checkpoint, and
// a run with nothing old enough prunes nothing.
func TestClauseAUD2_PruneJobPrunesDailyAtTheCheckpoint(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: "gent", LegalName: "Stad Gent",
			EnterpriseNumber: "0207451227", DPOName: "D", DPOEmail: "d@gent.be"})
		if err != nil {
			t.Fatal(err)
		}
		r := runner(env, map[string]Handler{KindAuditCheckpoint: CheckpointHandler("test.example/audit"),
			KindAuditPrune: PruneHandler("test.example/audit")})
		r.Schedule = Schedule
		day := func() {
			t.Helper()
			if err := r.EnqueueDue(ctx); err != nil {
				t.Fatal(err)
			}
			for {
				did, err := r.RunOne(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if !did {
					return
				}
			}
		}
		day() // signs the first checkpoint
		first, err := env.DB.LatestCheckpoint(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(365 * 24 * time.Hour)
		if err := env.DB.Audit(ctx, audit.Event{TenantID: tn.ID, Actor: op, Action: "audit.verify", Purpose: "p"}); err != nil {
			t.Fatal(err)
		}
		day()
		if _, err := env.DB.LatestAuditPruning(ctx, tn.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("pruned after a year: %v", err)
		}
		env.Clock.Advance(370 * 24 * time.Hour) // two years and a few days
		day()
		p, err := env.DB.LatestAuditPruning(ctx, tn.ID)
		if err != nil || p.Size != first.Size {
			t.Fatalf("after two years: pruning %+v, %v; want at the first checkpoint, %d", p, err, first.Size)
		}
		env.Clock.Advance(24 * time.Hour)
		day()
		if again, _ := env.DB.LatestAuditPruning(ctx, tn.ID); again.Size != p.Size {
			t.Fatalf("the next day pruned again, to %d", again.Size)
		}
		if _, err := env.DB.VerifyAudit(ctx, tn.ID); err != nil {
			t.Fatal(err)
		}
	})
}
