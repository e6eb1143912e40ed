package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

var ctx = context.Background()

func runner(env *storetest.Env, h map[string]Handler) *Runner {
	return &Runner{DB: env.DB, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Node: "n1", Handlers: h, Schedule: Schedule}
}

func TestSchedulerEnqueuesOncePerSlot(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		r := runner(env, Handlers())
		for i := 0; i < 3; i++ {
			if err := r.EnqueueDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
		runs := 0
		for {
			did, err := r.RunOne(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !did {
				break
			}
			runs++
		}
		if runs != len(Schedule) {
			t.Fatalf("ran %d jobs in one slot, want %d", runs, len(Schedule))
		}
		env.Clock.Advance(25 * time.Hour)
		r.EnqueueDue(ctx)
		if did, _ := r.RunOne(ctx); !did {
			t.Fatal("no job in the next slot")
		}
	})
}

func TestFailedJobRetriesWithBackoffThenFails(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		calls := 0
		r := runner(env, map[string]Handler{"flaky": func(context.Context, *store.DB, store.Job) error {
			calls++
			return errors.New("remote down")
		}})
		if _, _, err := env.DB.EnqueueJob(ctx, store.NewJob{Kind: "flaky", DedupeKey: "flaky-1", MaxAttempts: 2}); err != nil {
			t.Fatal(err)
		}
		r.RunOne(ctx)
		if did, _ := r.RunOne(ctx); did {
			t.Fatal("retried before its back-off")
		}
		env.Clock.Advance(3 * time.Minute)
		if did, _ := r.RunOne(ctx); !did {
			t.Fatal("not retried after back-off")
		}
		j, err := env.DB.JobByDedupeKey(ctx, "flaky-1")
		if err != nil || j.Status != "failed" || j.LastError != "remote down" || calls != 2 {
			t.Fatalf("job: %+v err=%v calls=%d", j, err, calls)
		}
	})
}

func TestAuditVerifyJobRecordsResultInTenantLog(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn, err := env.DB.CreateTenant(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, tenant.New{
			Slug: "gent", LegalName: "Stad Gent", EnterpriseNumber: "0207451227", DPOName: "D", DPOEmail: "d@gent.be"})
		if err != nil {
			t.Fatal(err)
		}
		r := runner(env, Handlers())
		// Only the check: the checkpoint digest shares its daily slot.
		r.Schedule = []Periodic{{Kind: KindAuditVerify, Every: 24 * time.Hour}}
		r.EnqueueDue(ctx)
		if did, err := r.RunOne(ctx); !did || err != nil {
			t.Fatalf("did=%v err=%v", did, err)
		}
		var last audit.Event
		env.DB.EachAuditEvent(ctx, tn.ID, func(e *audit.Event) error { last = *e; return nil })
		if last.Action != "audit.verify" || last.Outcome != audit.OutcomeSuccess || last.Actor.Kind != audit.KindSystem {
			t.Fatalf("last event: %+v", last)
		}
	})
}

func TestOnlyOneLeaderOnPostgres(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		lead, ok, err := env.DB.Leader(ctx)
		if err != nil || !ok || !lead.Alive(ctx) {
			t.Fatalf("first leader: %v %v", ok, err)
		}
		defer lead.Release()
		if env.Dialect == store.SQLite {
			return // one node; always leads
		}
		other, err := store.Open(ctx, env.URL, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if _, ok, _ := other.Leader(ctx); ok {
			t.Fatal("a second node also became leader")
		}
		// The leader's session dies (network, restart): it notices, and the
		// other node can take over.
		if _, err := env.Raw(t).Exec(`SELECT pg_terminate_backend(pid, 10000) FROM pg_locks WHERE locktype = 'advisory' AND objid = 7405002`); err != nil {
			t.Fatal(err)
		}
		if lead.Alive(ctx) {
			t.Fatal("leadership still alive after its session was terminated")
		}
		lead2, ok, err := other.Leader(ctx)
		if err != nil || !ok {
			t.Fatalf("take over: %v %v", ok, err)
		}
		lead2.Release()
	})
}
