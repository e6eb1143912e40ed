package jobs

import (
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// AUD-2: every period the job signs a checkpoint of each log that grew —
// and only of those — at the period the platform is configured with.
func TestClauseAUD2_CheckpointJobSignsGrownLogsEachPeriod(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		var ids []string
		for _, slug := range []string{"gent", "brugge"} {
			tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: slug, LegalName: "Stad " + slug,
				EnterpriseNumber: "0207451227", DPOName: "D", DPOEmail: "d@" + slug + ".be"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tn.ID)
		}
		r := runner(env, map[string]Handler{KindAuditCheckpoint: CheckpointHandler("test.example/audit")})
		r.Schedule = ScheduleWith(5 * time.Minute)
		period := func() {
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
		sizes := func() []int64 {
			t.Helper()
			var out []int64
			for _, id := range ids {
				cp, err := env.DB.LatestCheckpoint(ctx, id)
				if err != nil {
					t.Fatalf("tenant %s: %v", id, err)
				}
				head, _ := env.DB.AuditHead(ctx, id)
				if cp.Size != head.Seq {
					t.Fatalf("tenant %s: checkpoint of %d events, log of %d", id, cp.Size, head.Seq)
				}
				out = append(out, cp.Size)
			}
			return out
		}
		period()
		first := sizes()
		count := func(id string) int {
			list, err := env.DB.Checkpoints(ctx, id, time.Time{}, 100)
			if err != nil {
				t.Fatal(err)
			}
			return len(list)
		}
		// Gent's log grows; the next period (5 minutes later, not 15)
		// signs Gent's and leaves Brugge's alone.
		if err := env.DB.Audit(ctx, audit.Event{TenantID: ids[0], Actor: op, Action: "audit.verify", Purpose: "p"}); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(5 * time.Minute)
		period()
		now := sizes()
		if now[0] != first[0]+1 || now[1] != first[1] || count(ids[0]) != 2 || count(ids[1]) != 1 {
			t.Fatalf("after Gent grew: sizes %v → %v, checkpoints %d and %d", first, now, count(ids[0]), count(ids[1]))
		}
		realm, err := env.DB.OperatorRealm(ctx, op)
		if err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(5 * time.Minute)
		period()
		if _, err := env.DB.LatestCheckpoint(ctx, realm.ID); err != nil {
			t.Fatalf("the operators' realm (platform log) has no checkpoint: %v", err)
		}
		if _, err := env.DB.LatestCheckpoint(ctx, "no-such-tenant"); err != store.ErrNotFound {
			t.Fatalf("checkpoint of no log: %v", err)
		}
	})
}
