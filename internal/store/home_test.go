package store_test

import (
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestHomeFacts: the staff home's figures find the last check of the
// audit chain with its outcome — for the asking tenant only — and no
// supplier grant where none was given.
func TestHomeFacts(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		other := newInboxFixture(t, env, "brugge")
		other.submit(t, env, "vraag", "other@brugge.be", "marker-home-b1")

		f, err := env.DB.HomeFacts(ctx, fx.tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if f.ActiveGrants != 0 || f.LastVerify != nil {
			t.Fatalf("empty tenant: %+v", f)
		}

		fx.submit(t, env, "vraag", "a@gent.be", "marker-home-1")
		fx.submit(t, env, "vraag", "b@gent.be", "marker-home-2")
		moved := fx.submit(t, env, "toelage", "85073003328", "marker-home-3")
		if err := env.DB.ChangeSubmission(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), moved,
			store.SubmissionChange{Status: "in_progress"}); err != nil {
			t.Fatal(err)
		}
		verify := audit.Event{TenantID: fx.tn.ID, Actor: audit.Actor{Kind: audit.KindSystem, ID: "job"}, Action: "audit.verify",
			ObjectType: "audit_log", ObjectID: fx.tn.ID, Purpose: "integrity", Outcome: audit.OutcomeSuccess}
		if err := env.DB.Audit(ctx, verify); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Hour)
		verify.Outcome = audit.OutcomeFailure
		if err := env.DB.Audit(ctx, verify); err != nil {
			t.Fatal(err)
		}

		f, err = env.DB.HomeFacts(ctx, fx.tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if f.LastVerify == nil || f.LastVerify.OK || !f.LastVerify.At.Equal(env.Clock.Now().Truncate(time.Microsecond)) {
			t.Errorf("last verification = %+v, want the failed one at %v", f.LastVerify, env.Clock.Now())
		}
	})
}
