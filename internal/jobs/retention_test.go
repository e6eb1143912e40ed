package jobs

import (
	"testing"
	"time"

	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseSEC1_DailyJobAppliesRetention: the daily retention job runs
// once per day's slot and applies the register (the demo's web forms and
// contact details: 730 days, anonymise) to every tenant; before the
// period ends it changes nothing.
func TestClauseSEC1_DailyJobAppliesRetention(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn, _, _ := exportSetup(t, env)
		h := Handlers()
		r := runner(env, map[string]Handler{KindRetention: h[KindRetention]})
		r.Schedule = []Periodic{{Kind: KindRetention, Every: 24 * time.Hour}}
		spent := func() int {
			var n int
			if err := env.Raw(t).QueryRow(`SELECT count(*) FROM submissions WHERE retention_spent_at IS NOT NULL`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		tick := func() {
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
		env.Clock.Advance(729 * 24 * time.Hour)
		tick()
		if spent() != 0 {
			t.Fatal("expired a day early")
		}
		env.Clock.Advance(2 * 24 * time.Hour)
		tick()
		if spent() != 3 {
			t.Fatalf("%d of 3 submissions spent after 731 days", spent())
		}
		var runs int
		env.Raw(t).QueryRow(`SELECT count(*) FROM retention_runs WHERE tenant_id = $1 AND status = 'done'`, tn.ID).Scan(&runs)
		if runs != 2 {
			t.Fatalf("%d runs recorded, want 2", runs)
		}
	})
}
