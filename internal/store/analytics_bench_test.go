package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// BenchmarkAnalyticsDashboard measures the visitor statistics' dashboard
// (store.AnalyticsReportOf: views per day and by each dimension, the
// funnel and time to complete of every form) over a year of aggregates
// for 200 pages and 50 forms, with a second tenant's year beside it, and
// reports the p95 of one whole dashboard (target: ≤ 100 ms) and of a
// month. Run: go test ./internal/store -run '^$' -bench AnalyticsDashboard
// -benchtime 40x (scripts/test.sh for PostgreSQL too).
func BenchmarkAnalyticsDashboard(b *testing.B) {
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		ctx := context.Background()
		gent := seedAnalyticsYear(b, env, "gent")
		seedAnalyticsYear(b, env, "brugge")
		end := env.Clock.Now().In(time.UTC)
		from, to := end.AddDate(-1, 0, 1).Format(time.DateOnly), end.Format(time.DateOnly)
		monthFrom := end.AddDate(0, 0, -29).Format(time.DateOnly)
		var year, month []time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			start := time.Now()
			rep, err := env.DB.AnalyticsReportOf(ctx, gent, from, to)
			year = append(year, time.Since(start))
			if err != nil || len(rep.Forms) != 50 || len(rep.By["path"]) != 200 || len(rep.Days) < 360 {
				b.Fatalf("report: %v, %d forms, %d pages, %d days", err, len(rep.Forms), len(rep.By["path"]), len(rep.Days))
			}
			start = time.Now()
			if _, err := env.DB.AnalyticsReportOf(ctx, gent, monthFrom, to); err != nil {
				b.Fatal(err)
			}
			month = append(month, time.Since(start))
		}
		b.StopTimer()
		b.ReportMetric(float64(p95(year).Microseconds())/1000, "p95-year-ms")
		b.ReportMetric(float64(p95(month).Microseconds())/1000, "p95-month-ms")
	})
}

// seedAnalyticsYear makes a tenant with 50 forms and adds a year of
// aggregates: each day every one of 200 pages seen from 6 combinations of
// referrer, browser, device and language; each form started, through 3
// pages, submitted, with 2 fields' errors and 5 time buckets; 4 countries.
func seedAnalyticsYear(b *testing.B, env *storetest.Env, slug string) string {
	b.Helper()
	ctx := context.Background()
	op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
	tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: slug, LegalName: "Stad " + slug, EnterpriseNumber: "0207451227", DPOName: "D", DPOEmail: "dpo@" + slug + ".be"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := env.DB.SaveRegister(ctx, op, tn.ID, register.Demo()); err != nil {
		b.Fatal(err)
	}
	demo := form.DemoForms()[0]
	var keys []string
	for i := range 50 {
		f := demo
		f.Key = fmt.Sprintf("formulier-%02d", i)
		if _, err := env.DB.SaveFormDraft(ctx, op, tn.ID, f); err != nil {
			b.Fatal(err)
		}
		keys = append(keys, f.Key)
	}
	combos := []struct{ ref, browser, device, lang string }{
		{"direct", "chrome", "desktop", "nl"}, {"google.com", "chrome", "mobile", "nl"}, {"internal", "safari", "mobile", "nl"},
		{"direct", "firefox", "desktop", "fr"}, {"google.com", "edge", "desktop", "en"}, {"nieuws.be", "safari", "tablet", "nl"},
	}
	end := env.Clock.Now().In(time.UTC)
	for m := range 12 { // a batch per month, as a busy flusher would write a year
		batch := analytics.Batch{Views: map[analytics.View]int64{}, Forms: map[analytics.FormEvent]int64{},
			Durations: map[analytics.Duration]int64{}, Countries: map[analytics.Country]int64{}}
		for d := m * 31; d < min((m+1)*31, 365); d++ {
			day := end.AddDate(0, 0, -d).Format(time.DateOnly)
			for p := range 200 {
				for c, k := range combos {
					batch.Views[analytics.View{TenantID: tn.ID, Day: day, Path: fmt.Sprintf("/pagina/%03d", p), Referrer: k.ref,
						Browser: k.browser, Device: k.device, Lang: k.lang}] = int64(1 + (p+c+d)%20)
				}
			}
			for _, key := range keys {
				fe := func(ev string, page int, field string, n int64) {
					batch.Forms[analytics.FormEvent{TenantID: tn.ID, Day: day, FormKey: key, Event: ev, Page: page, Field: field}] = n
				}
				fe(analytics.EventStarted, 0, "", 30)
				for pg := 1; pg <= 3; pg++ {
					fe(analytics.EventPage, pg, "", int64(30-5*pg))
				}
				fe(analytics.EventSubmitted, 0, "", 12)
				fe(analytics.EventError, 0, "email", 4)
				fe(analytics.EventError, 0, "name", 2)
				for _, bucket := range []int{60, 120, 300, 600, 1800} {
					batch.Durations[analytics.Duration{TenantID: tn.ID, Day: day, FormKey: key, Bucket: bucket}] = 2
				}
			}
			for _, c := range []string{"BE", "NL", "FR", "DE"} {
				batch.Countries[analytics.Country{TenantID: tn.ID, Day: day, Code: c}] = 50
			}
		}
		if err := env.DB.AddAnalytics(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	return tn.ID
}
