package web

import (
	"context"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/storetest"
)

// seedVisits stores aggregates for gent: on day1 12 views of /vraag from a
// phone, on day2 3 views of /privacy; a funnel of 40 started, 30 on the
// second page, 3 submitted.
func seedVisits(t *testing.T, env *storetest.Env, tenantID, day1, day2 string) {
	t.Helper()
	b := analytics.Batch{
		Views: map[analytics.View]int64{
			{TenantID: tenantID, Day: day1, Path: "/vraag", Referrer: "direct", Browser: "firefox", Device: "mobile", Lang: "nl"}:         12,
			{TenantID: tenantID, Day: day2, Path: "/privacy", Referrer: "zoek.example", Browser: "chrome", Device: "desktop", Lang: "fr"}: 3,
		},
		Forms: map[analytics.FormEvent]int64{
			{TenantID: tenantID, Day: day1, FormKey: "vraag", Event: analytics.EventStarted}:           40,
			{TenantID: tenantID, Day: day1, FormKey: "vraag", Event: analytics.EventPage, Page: 1}:     30,
			{TenantID: tenantID, Day: day1, FormKey: "vraag", Event: analytics.EventSubmitted}:         3,
			{TenantID: tenantID, Day: day1, FormKey: "vraag", Event: analytics.EventError, Field: "x"}: 9,
		},
	}
	if err := env.DB.AddAnalytics(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// TestVisitorStatisticsPage: admins and the DPO see visits per day as a
// chart with its table, the top tables and each form's funnel with its
// abandonment; a count below 5 is "< 5" and never its number, on the page
// and in the CSV; a clerk is refused.
func TestVisitorStatisticsPage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		now := env.Clock.Now().In(brussels)
		day1, day2 := now.AddDate(0, 0, -2).Format("2006-01-02"), now.Format("2006-01-02")
		seedVisits(t, env, fe.gent.ID, day1, day2)
		seedVisits(t, env, fe.brugge.ID, day1, day2) // another tenant's figures stay out
		for _, who := range []string{fe.admin, fe.dpo} {
			resp, page := fe.get(t, "/gent/admin/visits", who)
			if resp.StatusCode != 200 {
				t.Fatalf("page: %d\n%s", resp.StatusCode, page)
			}
			for _, want := range []string{`<label for="from">Van</label>`, "<svg role=\"img\"", "<title id=\"visits-chart-title\">Bezoeken per dag</title>", "<desc id=\"visits-chart-desc\">",
				`<tr><th scope="row">` + day1 + `</th><td class="num">12</td></tr>`,
				`<tr><th scope="row">` + day2 + `</th><td class="num">&lt; 5</td></tr>`,
				`<th scope="row">/vraag</th><td class="num">12</td>`, "Smartphone", "Rechtstreeks (geen verwijzing)", "Nederlands", "zoek.example",
				"Vraag of melding",
				`<tr><th scope="row">Gestart</th><td class="num">40</td><td class="num">–</td></tr>`,
				`<tr><th scope="row">Pagina 2 bereikt</th><td class="num">30</td><td class="num">25 %</td></tr>`,
				`<tr><th scope="row">Ingediend</th><td class="num">&lt; 5</td><td class="num">–</td></tr>`} {
				if !strings.Contains(page, want) {
					t.Fatalf("page lacks %q\n%s", want, page)
				}
			}
			if strings.Contains(page, `<td class="num">3</td>`) || strings.Contains(page, ": 3<") || strings.Contains(page, `<td class="num">24</td>`) {
				t.Fatalf("a suppressed count or another tenant's total is shown\n%s", page)
			}
		}
		resp, body := fe.get(t, "/gent/admin/visits.csv", fe.dpo)
		if resp.StatusCode != 200 || !strings.HasPrefix(body, "\ufeffOnderdeel;Waarde;Aantal;") ||
			!strings.Contains(body, "Bezoeken per dag;"+day1+";12;") || !strings.Contains(body, "Bezoeken per dag;"+day2+";< 5;") ||
			!strings.Contains(body, "Vraag of melding;Pagina 2 bereikt;30;25 %") || !strings.Contains(body, "Vraag of melding;Ingediend;< 5;") ||
			strings.Contains(body, ";3;") {
			t.Fatalf("CSV: %d %q", resp.StatusCode, body)
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "bezoeken-") || !strings.Contains(cd, ".csv") {
			t.Fatalf("CSV name: %q", cd)
		}
		if resp, _ := fe.get(t, "/gent/admin/visits", fe.clerk); resp.StatusCode != 403 {
			t.Fatalf("a clerk reads the statistics: %d", resp.StatusCode)
		}
	})
}

// TestVisitorStatisticsPeriodRefused: a bad date and an end before the
// start are refused field by field in the reader's language, for the page
// and the download alike.
func TestVisitorStatisticsPeriodRefused(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		resp, page := fe.get(t, "/gent/admin/visits?from=2026-13-01&to=gisteren", fe.admin)
		if resp.StatusCode != 400 || !strings.Contains(page, `href="#from"`) || !strings.Contains(page, `href="#to"`) ||
			!strings.Contains(page, `aria-describedby="from-error"`) || strings.Contains(page, "<svg role") {
			t.Fatalf("bad dates: %d\n%s", resp.StatusCode, page)
		}
		resp, page = fe.get(t, "/gent/admin/visits?from=2026-05-10&to=2026-05-01&lang=fr", fe.admin)
		if resp.StatusCode != 400 || !strings.Contains(page, `href="#to"`) || strings.Contains(page, `href="#from"`) || !strings.Contains(page, `lang="fr`) {
			t.Fatalf("end before start: %d\n%s", resp.StatusCode, page)
		}
		if resp, body := fe.get(t, "/gent/admin/visits.csv?from=nope", fe.admin); resp.StatusCode != 400 || strings.HasPrefix(body, "\ufeff") {
			t.Fatalf("bad date download: %d", resp.StatusCode)
		}
	})
}
