package jobs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseBRE1_AttemptJobOpensOneDraftPerStorm: the scheduled job finds
// a lockout storm in a tenant's log and opens one draft breach, described
// in Dutch with its cause and count; later runs over the same events open
// no second one.
func TestClauseBRE1_AttemptJobOpensOneDraftPerStorm(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env)
		for i := 0; i < 12; i++ {
			if err := env.DB.Audit(ctx, audit.Event{TenantID: m.tenant.ID, Actor: audit.Actor{Kind: audit.KindUser, ID: fmt.Sprintf("u%d", i), Role: "user"},
				Action: "login.locked", ObjectType: "user", ObjectID: fmt.Sprintf("u%d", i), Purpose: "lockout: lock 1", Outcome: audit.OutcomeSuccess}); err != nil {
				t.Fatal(err)
			}
			env.Clock.Advance(30 * time.Second)
		}
		for run := 0; run < 3; run++ {
			m.tick(t)
			env.Clock.Advance(5 * time.Minute)
		}
		list, err := env.DB.Breaches(ctx, audit.Actor{Kind: audit.KindUser, ID: "dpo", Role: "admin"}, m.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].OpenedByKind != "system" || list[0].NotifiedAt != nil ||
			!strings.Contains(list[0].Report.Description, "veel accounts op korte tijd vergrendeld werden (12 in 15 minuten)") {
			t.Fatalf("drafts: %+v", list)
		}
	})
}
