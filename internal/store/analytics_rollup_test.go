package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// TestAnalyticsRollupsEqualTheDailyRows: the dashboard's report, read from
// the per-dimension rollups, shows exactly what a GROUP BY over every
// daily row of analytics_views (the computation before the rollups) shows,
// small counts suppressed alike, for random batches of two tenants over
// several periods; the form funnels and times to complete, read from the
// monthly rollups for whole months and the daily rows for the partial
// months at the ends, equal a GROUP BY over the daily rows too; migrations
// 0057 and 0058 rebuild the same rollups from existing daily rows; and
// after a retention cut-off in the middle of a month the monthly rows sum
// only the days kept (SEC-1).
func TestAnalyticsRollupsEqualTheDailyRows(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		var ids []string
		for i, slug := range []string{"gent", "aalst"} {
			tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: slug, LegalName: "Stad " + slug,
				EnterpriseNumber: []string{"0207451227", "0207451326"}[i], DPOName: "D", DPOEmail: "dpo@" + slug + ".be"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tn.ID)
		}
		rng := rand.New(rand.NewPCG(56, 1))
		pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		// Batches overlap in days and combinations, so that the rollups'
		// upserts add up as the daily rows' do.
		forms := []string{"vraag", "melding", "afspraak"}
		for range 6 {
			b := analytics.Batch{Views: map[analytics.View]int64{}, Forms: map[analytics.FormEvent]int64{}, Durations: map[analytics.Duration]int64{}}
			for range 300 {
				v := analytics.View{TenantID: ids[rng.IntN(2)], Day: start.AddDate(0, 0, rng.IntN(100)).Format(time.DateOnly),
					Path: fmt.Sprintf("/pagina/%d", rng.IntN(25)), Referrer: pick("direct", "internal", "google.com", "nieuws.be"),
					Browser: pick("chrome", "firefox", "safari", "edge"), Device: pick("desktop", "mobile", "tablet"), Lang: pick("nl", "fr", "en")}
				b.Views[v] += int64(1 + rng.IntN(9))
			}
			for range 300 {
				e := analytics.FormEvent{TenantID: ids[rng.IntN(2)], Day: start.AddDate(0, 0, rng.IntN(100)).Format(time.DateOnly),
					FormKey: forms[rng.IntN(len(forms))], Event: pick(analytics.EventStarted, analytics.EventPage, analytics.EventSubmitted, analytics.EventError)}
				switch e.Event {
				case analytics.EventPage:
					e.Page = rng.IntN(4)
				case analytics.EventError:
					e.Field = pick("naam", "adres", "vraag")
				}
				b.Forms[e] += int64(1 + rng.IntN(4))
				d := analytics.Duration{TenantID: e.TenantID, Day: e.Day, FormKey: e.FormKey, Bucket: analytics.DurationBuckets[rng.IntN(len(analytics.DurationBuckets))]}
				b.Durations[d] += int64(1 + rng.IntN(3))
			}
			if err := env.DB.AddAnalytics(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		// Whole months, partial ends around whole months, a period across
		// a month's end without a whole month, one day, and none.
		periods := [][2]string{{"2026-01-01", "2026-03-31"}, {"2026-01-10", "2026-01-10"}, {"2026-02-01", "2026-02-28"}, {"2025-01-01", "2025-12-31"},
			{"2026-01-15", "2026-04-05"}, {"2025-12-20", "2026-02-28"}, {"2026-01-31", "2026-02-01"}, {"2026-02-10", "2026-03-09"}, {"2026-01-02", "2026-04-30"}}
		raw := env.Raw(t)
		compare := func(when string) {
			t.Helper()
			for _, id := range ids {
				for _, p := range periods {
					rep, err := env.DB.AnalyticsReportOf(ctx, id, p[0], p[1])
					if err != nil {
						t.Fatal(err)
					}
					if want := dailyRowsBy(t, raw, id, "day", p[0], p[1], true); !reflect.DeepEqual(rep.Days, want) {
						t.Fatalf("%s: days of %v: %+v, want %+v", when, p, rep.Days, want)
					}
					for _, dim := range []string{"path", "referrer", "device", "browser", "lang"} {
						if want := dailyRowsBy(t, raw, id, dim, p[0], p[1], false); !reflect.DeepEqual(rep.By[dim], want) {
							t.Fatalf("%s: %s of %v: %+v, want %+v", when, dim, p, rep.By[dim], want)
						}
					}
					for _, form := range forms {
						got, err := env.DB.FormFunnel(ctx, id, form, p[0], p[1])
						if err != nil {
							t.Fatal(err)
						}
						if want := dailyFunnel(t, raw, id, form, p[0], p[1]); !reflect.DeepEqual(got, want) {
							t.Fatalf("%s: funnel of %s over %v: %+v, want %+v", when, form, p, got, want)
						}
					}
					got, err := env.DB.FormDurations(ctx, id, p[0], p[1])
					if err != nil {
						t.Fatal(err)
					}
					if want := dailyDurations(t, raw, id, p[0], p[1]); !reflect.DeepEqual(got, want) {
						t.Fatalf("%s: durations over %v: %+v, want %+v", when, p, got, want)
					}
				}
			}
		}
		compare("written by AddAnalytics")
		counts := func() (n [4]int) {
			t.Helper()
			for i, table := range []string{"analytics_view_rollups", "analytics_view_rollups_monthly", "analytics_form_events_monthly", "analytics_form_durations_monthly"} {
				// table is one of the fixed names above.
				if err := raw.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n[i]); err != nil || n[i] == 0 {
					t.Fatalf("%s rows: %d, %v", table, n[i], err)
				}
			}
			return n
		}
		n := counts()
		// Back to the schema before 0057 with the daily rows kept: the
		// migrations must rebuild the rollups from them. They run as
		// Migrate runs them, one transaction each, from their files; the
		// later migrations stay applied.
		for _, q := range []string{`DROP TABLE analytics_view_rollups`, `DROP INDEX analytics_form_events_period`,
			`DROP INDEX analytics_form_durations_period`, `DROP TABLE analytics_view_rollups_monthly`,
			`DROP TABLE analytics_form_events_monthly`, `DROP TABLE analytics_form_durations_monthly`} {
			if _, err := raw.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		dir := "sqlite"
		if env.Dialect == store.Postgres {
			dir = "postgres"
		}
		for _, name := range []string{"0057_analytics_rollups.sql", "0058_analytics_monthly.sql"} {
			q, err := os.ReadFile(filepath.Join("migrations", dir, name))
			if err != nil {
				t.Fatal(err)
			}
			tx, err := raw.Begin()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(string(q)); err != nil {
				tx.Rollback()
				t.Fatalf("migration %s: %v", name, err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		if m := counts(); m != n {
			t.Fatalf("rollup rows after the backfill: %v, want %v", m, n)
		}
		compare("backfilled by migrations 0057 and 0058")
		for _, id := range ids {
			if err := env.DB.PruneAnalytics(ctx, id, "2026-02-10"); err != nil {
				t.Fatal(err)
			}
		}
		compare("pruned before 2026-02-10")
	})
}

// dailyRowsBy is the breakdown as it was computed before the rollups: a
// GROUP BY over the period's rows of analytics_views, counts below
// store.SuppressBelow suppressed and listed last by name, the larger ones
// largest first; byKey orders by key instead (the days of a report).
func dailyRowsBy(t *testing.T, raw *sql.DB, tenantID, dim, from, to string, byKey bool) []store.AnalyticsCount {
	t.Helper()
	// dim is one of the test's fixed column names.
	rows, err := raw.Query(`SELECT `+dim+`, SUM(count) FROM analytics_views WHERE tenant_id = $1 AND day >= $2 AND day <= $3 GROUP BY `+dim, tenantID, from, to)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var shown, hidden []store.AnalyticsCount
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		if n < store.SuppressBelow {
			hidden = append(hidden, store.AnalyticsCount{Key: k, Suppressed: true})
		} else {
			shown = append(shown, store.AnalyticsCount{Key: k, Count: n})
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	byName := func(a, b store.AnalyticsCount) int { return strings.Compare(a.Key, b.Key) }
	slices.SortFunc(hidden, byName)
	slices.SortFunc(shown, func(a, b store.AnalyticsCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return byName(a, b)
	})
	out := append(shown, hidden...)
	if byKey {
		slices.SortStableFunc(out, byName)
	}
	return out
}

// dailyFunnel is a form's funnel as a GROUP BY over the period's daily
// rows of analytics_form_events, in FormFunnel's order, small counts
// suppressed.
func dailyFunnel(t *testing.T, raw *sql.DB, tenantID, formKey, from, to string) []store.FunnelStep {
	t.Helper()
	rows, err := raw.Query(`SELECT event, page, field, SUM(count) FROM analytics_form_events
		WHERE tenant_id = $1 AND form_key = $2 AND day >= $3 AND day <= $4 GROUP BY event, page, field`, tenantID, formKey, from, to)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []store.FunnelStep
	for rows.Next() {
		var s store.FunnelStep
		var n int64
		if err := rows.Scan(&s.Event, &s.Page, &s.Field, &n); err != nil {
			t.Fatal(err)
		}
		s.AnalyticsCount = store.AnalyticsCount{Key: s.Event, Count: n}
		if n < store.SuppressBelow {
			s.AnalyticsCount = store.AnalyticsCount{Key: s.Event, Suppressed: true}
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	order := map[string]int{analytics.EventStarted: 0, analytics.EventPage: 1, analytics.EventSubmitted: 2, analytics.EventError: 3}
	slices.SortFunc(out, func(a, b store.FunnelStep) int {
		if order[a.Event] != order[b.Event] {
			return order[a.Event] - order[b.Event]
		}
		if a.Page != b.Page {
			return a.Page - b.Page
		}
		return strings.Compare(a.Field, b.Field)
	})
	return out
}

// dailyDurations is each form's time to complete as a GROUP BY over the
// period's daily rows of analytics_form_durations.
func dailyDurations(t *testing.T, raw *sql.DB, tenantID, from, to string) map[string]store.FormDuration {
	t.Helper()
	rows, err := raw.Query(`SELECT form_key, bucket, SUM(count) FROM analytics_form_durations
		WHERE tenant_id = $1 AND day >= $2 AND day <= $3 GROUP BY form_key, bucket`, tenantID, from, to)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	hist := map[string]map[int]int64{}
	for rows.Next() {
		var key string
		var bucket int
		var n int64
		if err := rows.Scan(&key, &bucket, &n); err != nil {
			t.Fatal(err)
		}
		if hist[key] == nil {
			hist[key] = map[int]int64{}
		}
		hist[key][bucket] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	out := map[string]store.FormDuration{}
	for key, h := range hist {
		var total int64
		for _, n := range h {
			total += n
		}
		if total < store.SuppressBelow {
			out[key] = store.FormDuration{Suppressed: true}
			continue
		}
		out[key] = store.FormDuration{P50: analytics.Percentile(h, 50), P90: analytics.Percentile(h, 90)}
	}
	return out
}
