package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
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
// several periods; and migration 0057 rebuilds the same rollups from
// existing daily rows.
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
		for range 6 {
			b := analytics.Batch{Views: map[analytics.View]int64{}}
			for range 300 {
				v := analytics.View{TenantID: ids[rng.IntN(2)], Day: start.AddDate(0, 0, rng.IntN(70)).Format(time.DateOnly),
					Path: fmt.Sprintf("/pagina/%d", rng.IntN(25)), Referrer: pick("direct", "internal", "google.com", "nieuws.be"),
					Browser: pick("chrome", "firefox", "safari", "edge"), Device: pick("desktop", "mobile", "tablet"), Lang: pick("nl", "fr", "en")}
				b.Views[v] += int64(1 + rng.IntN(9))
			}
			if err := env.DB.AddAnalytics(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		periods := [][2]string{{"2026-01-01", "2026-03-31"}, {"2026-01-10", "2026-01-10"}, {"2026-02-01", "2026-02-28"}, {"2025-01-01", "2025-12-31"}}
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
				}
			}
		}
		compare("written by AddAnalytics")
		var n int
		if err := raw.QueryRow(`SELECT count(*) FROM analytics_view_rollups`).Scan(&n); err != nil || n == 0 {
			t.Fatalf("rollup rows: %d, %v", n, err)
		}
		// Back to the schema before 0057 with the daily rows kept: the
		// migration must rebuild the rollups from them.
		for _, q := range []string{`DROP TABLE analytics_view_rollups`, `DROP INDEX analytics_form_events_period`,
			`DROP INDEX analytics_form_durations_period`, `DELETE FROM schema_migrations WHERE version = 57`} {
			if _, err := raw.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		if applied, err := env.DB.Migrate(ctx); err != nil || !reflect.DeepEqual(applied, []int{57}) {
			t.Fatalf("migrate: %v, %v", applied, err)
		}
		var m int
		if err := raw.QueryRow(`SELECT count(*) FROM analytics_view_rollups`).Scan(&m); err != nil || m != n {
			t.Fatalf("rollup rows after the backfill: %d, want %d (%v)", m, n, err)
		}
		compare("backfilled by migration 0057")
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
