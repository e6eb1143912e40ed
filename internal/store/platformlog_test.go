package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// TestClauseAUD3_PlatformLogShowsEachTenantItsEntries: platform actions go
// to the operators' realm's own log (hash-chained like every tenant's); a
// tenant sees the entries for every tenant and its own, never another
// tenant's; a version's first start is recorded once, an upgrade again.
func TestClauseAUD3_PlatformLogShowsEachTenantItsEntries(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent, brugge := newTenant(t, env, "gent"), newTenant(t, env, "brugge")
		cli := audit.Actor{Kind: audit.KindOperator, ID: "cli:root", Role: "operator"}
		if es, err := env.DB.PlatformEvents(ctx, gent.ID, 10); err != nil || len(es) != 0 {
			t.Fatalf("before any platform event: %v %v", es, err)
		}
		steps := []func() error{
			func() error { return env.DB.PlatformLog(ctx, cli, "platform.migrate", store.PlatformAll, "22, 23, 24") },
			func() error { _, err := env.DB.PlatformStarted(ctx, cli, "v1.0.0"); return err },
			func() error { _, err := env.DB.PlatformStarted(ctx, cli, "v1.0.0"); return err }, // a restart: nothing new
			func() error { return env.DB.PlatformLog(ctx, cli, "platform.keys.rotate", gent.ID, "2") },
			func() error { return env.DB.PlatformLog(ctx, cli, "platform.keys.rotate", brugge.ID, "2") },
			func() error { _, err := env.DB.PlatformStarted(ctx, cli, "v1.1.0"); return err }, // the upgrade
		}
		for _, step := range steps {
			env.Clock.Advance(time.Minute)
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
		got := func(tenantID string) string {
			es, err := env.DB.PlatformEvents(ctx, tenantID, 10)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range es {
				out = append(out, e.Action+" "+e.ObjectID+" "+e.Purpose)
			}
			return strings.Join(out, "\n")
		}
		wantGent := strings.Join([]string{"platform.start * v1.1.0", "platform.keys.rotate " + gent.ID + " 2",
			"platform.start * v1.0.0", "platform.migrate * 22, 23, 24"}, "\n")
		if g := got(gent.ID); g != wantGent {
			t.Fatalf("gent sees:\n%s\nwant:\n%s", g, wantGent)
		}
		if g := got(brugge.ID); strings.Contains(g, gent.ID) || !strings.Contains(g, "platform.keys.rotate "+brugge.ID) {
			t.Fatalf("brugge sees:\n%s", g)
		}
		// The entries are the realm's, in its chain, not in a tenant's log.
		realm, err := env.DB.TenantBySlug(ctx, tenant.OperatorSlug)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := env.DB.VerifyAudit(ctx, realm.ID); err != nil || n != 6 { // realm.create + 5
			t.Fatalf("the realm's chain: %d events, %v", n, err)
		}
		env.DB.EachAuditEvent(ctx, gent.ID, func(e *audit.Event) error {
			if strings.HasPrefix(e.Action, "platform.") {
				t.Errorf("platform event %s in the tenant's own log", e.Action)
			}
			return nil
		})
	})
}
