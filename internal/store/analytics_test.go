package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// TestAnalyticsSuppressesSmallCounts: a reader of the aggregates sees a
// count below five only as suppressed (shown as "< 5"), so that a rare
// combination cannot single out a visitor; batches add up; another
// tenant's counts never show; PruneAnalytics removes days past retention.
func TestAnalyticsSuppressesSmallCounts(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		gent, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: "gent", LegalName: "Stad Gent", EnterpriseNumber: "0207451227", DPOName: "D", DPOEmail: "dpo@gent.be"})
		if err != nil {
			t.Fatal(err)
		}
		aalst, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: "aalst", LegalName: "Stad Aalst", EnterpriseNumber: "0207451326", DPOName: "D", DPOEmail: "dpo@aalst.be"})
		if err != nil {
			t.Fatal(err)
		}
		v := func(tn tenant.Tenant, day, path string) analytics.View {
			return analytics.View{TenantID: tn.ID, Day: day, Path: path, Referrer: "direct", Browser: "firefox", Device: "desktop", Lang: "nl"}
		}
		batches := []analytics.Batch{
			{Views: map[analytics.View]int64{v(gent, "2026-01-01", "/"): 3, v(gent, "2026-01-01", "/privacy"): 4, v(gent, "2025-01-01", "/old"): 9,
				v(aalst, "2026-01-01", "/privacy"): 100},
				Forms: map[analytics.FormEvent]int64{{TenantID: gent.ID, Day: "2026-01-01", FormKey: "vraag", Event: analytics.EventStarted}: 7,
					{TenantID: gent.ID, Day: "2026-01-01", FormKey: "vraag", Event: analytics.EventError, Field: "email"}: 2}},
			{Views: map[analytics.View]int64{v(gent, "2026-01-02", "/"): 3, v(gent, "2026-01-02", "/lookup"): 1},
				Forms: map[analytics.FormEvent]int64{{TenantID: gent.ID, Day: "2026-01-02", FormKey: "vraag", Event: analytics.EventSubmitted}: 5}},
		}
		for _, b := range batches {
			if err := env.DB.AddAnalytics(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		got, err := env.DB.AnalyticsViews(ctx, gent.ID, "path", "2026-01-01", "2026-01-31")
		if err != nil {
			t.Fatal(err)
		}
		want := []store.AnalyticsCount{{Key: "/", Count: 6}, {Key: "/lookup", Suppressed: true}, {Key: "/privacy", Suppressed: true}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("views %+v, want %+v", got, want)
		}
		funnel, err := env.DB.FormFunnel(ctx, gent.ID, "vraag", "2026-01-01", "2026-01-31")
		if err != nil {
			t.Fatal(err)
		}
		wantF := []store.FunnelStep{
			{Event: "started", AnalyticsCount: store.AnalyticsCount{Key: "started", Count: 7}},
			{Event: "submitted", AnalyticsCount: store.AnalyticsCount{Key: "submitted", Count: 5}},
			{Event: "error", Field: "email", AnalyticsCount: store.AnalyticsCount{Key: "error", Suppressed: true}},
		}
		if !reflect.DeepEqual(funnel, wantF) {
			t.Fatalf("funnel %+v, want %+v", funnel, wantF)
		}
		if _, err := env.DB.AnalyticsViews(ctx, gent.ID, "path; DROP TABLE x", "2026-01-01", "2026-01-31"); err == nil {
			t.Fatal("an unknown dimension was accepted")
		}
		if err := env.DB.PruneAnalytics(ctx, gent.ID, "2025-06-01"); err != nil {
			t.Fatal(err)
		}
		old, err := env.DB.AnalyticsViews(ctx, gent.ID, "path", "2000-01-01", "2025-12-31")
		if err != nil || len(old) != 0 {
			t.Fatalf("after pruning: %+v, %v", old, err)
		}
		other, err := env.DB.AnalyticsViews(ctx, aalst.ID, "path", "2026-01-01", "2026-01-31")
		if err != nil || !reflect.DeepEqual(other, []store.AnalyticsCount{{Key: "/privacy", Count: 100}}) {
			t.Fatalf("aalst: %+v, %v", other, err)
		}
	})
}

// TestClauseSEC1_AnalyticsFollowTheRegisterCategory: the retention run
// deletes the aggregates of days past the register's analytics category
// (395 days in the demo register), the dashboard's rollups with them, and
// keeps the later ones.
func TestClauseSEC1_AnalyticsFollowTheRegisterCategory(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: "gent", LegalName: "Stad Gent", EnterpriseNumber: "0207451227", DPOName: "D", DPOEmail: "dpo@gent.be"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.SaveRegister(ctx, op, tn.ID, register.Demo()); err != nil {
			t.Fatal(err)
		}
		if got := store.AnalyticsRetention(register.Demo()); got != 395 {
			t.Fatalf("the demo register's analytics period is %d days", got)
		}
		now := env.DB.Now()
		old, kept := now.AddDate(0, 0, -400).Format(time.DateOnly), now.AddDate(0, 0, -390).Format(time.DateOnly)
		b := analytics.Batch{Views: map[analytics.View]int64{
			{TenantID: tn.ID, Day: old, Path: "/old", Referrer: "direct", Browser: "firefox", Device: "desktop", Lang: "nl"}:   9,
			{TenantID: tn.ID, Day: kept, Path: "/kept", Referrer: "direct", Browser: "firefox", Device: "desktop", Lang: "nl"}: 9,
		}, Forms: map[analytics.FormEvent]int64{
			{TenantID: tn.ID, Day: old, FormKey: "vraag", Event: analytics.EventStarted}:  9,
			{TenantID: tn.ID, Day: kept, FormKey: "vraag", Event: analytics.EventStarted}: 9,
		}}
		if err := env.DB.AddAnalytics(ctx, b); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.RunRetention(ctx, op, tn.ID, store.RetentionOptions{}); err != nil {
			t.Fatal(err)
		}
		views, err := env.DB.AnalyticsViews(ctx, tn.ID, "path", "2000-01-01", "2999-01-01")
		if err != nil || !reflect.DeepEqual(views, []store.AnalyticsCount{{Key: "/kept", Count: 9}}) {
			t.Fatalf("views after retention: %+v, %v", views, err)
		}
		for _, table := range []string{"analytics_views", "analytics_view_rollups", "analytics_form_events"} {
			var gone, left int
			if err := env.Raw(t).QueryRow(`SELECT count(*) FROM `+table+` WHERE day = $1`, old).Scan(&gone); err != nil || gone != 0 {
				t.Fatalf("%s rows of the old day: %d, %v", table, gone, err)
			}
			if err := env.Raw(t).QueryRow(`SELECT count(*) FROM `+table+` WHERE day = $1`, kept).Scan(&left); err != nil || left == 0 {
				t.Fatalf("%s rows of the kept day: %d, %v", table, left, err)
			}
		}
	})
}
