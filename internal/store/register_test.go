package store_test

import (
	"errors"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseREG1_SaveRegisterOverRefusesStaleBase: a change compared
// against one version is saved only while that version is still the
// current one; otherwise nothing is saved and nothing audited.
func TestClauseREG1_SaveRegisterOverRefusesStaleBase(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		// The first version of a tenant without a register is made over 0.
		if _, err := env.DB.SaveRegisterOver(ctx, clerk("admin"), tn.ID, register.Demo(), 1); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("over 1 without a register: %v", err)
		}
		if v, err := env.DB.SaveRegisterOver(ctx, clerk("admin"), tn.ID, register.Demo(), 0); err != nil || v != 1 {
			t.Fatalf("over 0: %d %v", v, err)
		}
		if v, err := env.DB.SaveRegisterOver(ctx, clerk("admin"), tn.ID, register.Demo(), 1); err != nil || v != 2 {
			t.Fatalf("over 1: %d %v", v, err)
		}
		if _, err := env.DB.SaveRegisterOver(ctx, clerk("admin"), tn.ID, register.Demo(), 1); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("over a stale 1: %v", err)
		}
		hist, err := env.DB.RegisterHistory(ctx, tn.ID)
		if err != nil || len(hist) != 2 {
			t.Fatalf("history: %d versions, %v; want 2", len(hist), err)
		}
		saves := 0
		if err := env.DB.EachAuditEvent(ctx, tn.ID, func(e *audit.Event) error {
			if e.Action == "register.save" {
				saves++
			}
			return nil
		}); err != nil || saves != 2 {
			t.Fatalf("register.save events: %d, %v; want 2", saves, err)
		}
	})
}
