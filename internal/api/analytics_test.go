package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestAnalyticsAPIShowsTheDashboardFigures: the read API answers the same
// aggregates as the dashboard — views per day and per dimension, each
// form's funnel with abandonment, its validation errors and its time to
// complete — with every count below 5 given as null and suppressed, never
// as its number; another tenant's counts never show (both databases).
func TestAnalyticsAPIShowsTheDashboardFigures(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newFixture(t, env, Options{})
		view := func(tenantID, day, path, browser string) analytics.View {
			return analytics.View{TenantID: tenantID, Day: day, Path: path, Referrer: "direct", Browser: browser, Device: "mobile", Lang: "fr"}
		}
		fe := func(event string, page int, field string) analytics.FormEvent {
			return analytics.FormEvent{TenantID: fx.gent.ID, Day: "2026-03-02", FormKey: "vraag", Event: event, Page: page, Field: field}
		}
		dur := func(bucket int) analytics.Duration {
			return analytics.Duration{TenantID: fx.gent.ID, Day: "2026-03-02", FormKey: "vraag", Bucket: bucket}
		}
		if err := env.DB.AddAnalytics(ctx, analytics.Batch{
			Views: map[analytics.View]int64{view(fx.gent.ID, "2026-03-01", "/", "firefox"): 7, view(fx.gent.ID, "2026-03-02", "/", "chrome"): 5,
				view(fx.gent.ID, "2026-03-02", "/privacy", "firefox"): 3, view(fx.brugge.ID, "2026-03-02", "/brugge-only", "firefox"): 50},
			Forms: map[analytics.FormEvent]int64{fe(analytics.EventStarted, 0, ""): 20, fe(analytics.EventSubmitted, 0, ""): 15,
				fe(analytics.EventError, 0, "email"): 6, fe(analytics.EventError, 0, "name"): 2},
			Durations: map[analytics.Duration]int64{dur(60): 4, dur(180): 6, dur(900): 5},
			Countries: map[analytics.Country]int64{{TenantID: fx.gent.ID, Day: "2026-03-01", Code: "BE"}: 12, {TenantID: fx.gent.ID, Day: "2026-03-01", Code: "NL"}: 1},
		}); err != nil {
			t.Fatal(err)
		}
		resp := fx.do(t, call{method: "GET", target: "/api/v1/gent/analytics?from=2026-03-01&to=2026-03-31", token: fx.full})
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, resp.body)
		}
		var got Analytics
		if err := json.Unmarshal(resp.body, &got); err != nil {
			t.Fatal(err)
		}
		show := func(fs []AnalyticsFigure) string {
			var parts []string
			for _, f := range fs {
				if f.Suppressed {
					parts = append(parts, f.Value+"=<5")
				} else {
					parts = append(parts, fmt.Sprintf("%s=%d", f.Value, *f.Count))
				}
			}
			return strings.Join(parts, " ")
		}
		for name, c := range map[string]struct {
			got  []AnalyticsFigure
			want string
		}{
			"days":      {got.Days, "2026-03-01=7 2026-03-02=8"},
			"pages":     {got.Pages, "/=12 /privacy=<5"},
			"browsers":  {got.Browsers, "firefox=10 chrome=5"},
			"devices":   {got.Devices, "mobile=15"},
			"languages": {got.Languages, "fr=15"},
			"referrers": {got.Referrers, "direct=15"},
			"countries": {got.Countries, "BE=12 NL=<5"},
		} {
			if s := show(c.got); s != c.want {
				t.Errorf("%s: %s, want %s", name, s, c.want)
			}
		}
		if got.From != "2026-03-01" || got.To != "2026-03-31" || got.SuppressedBelow != 5 {
			t.Errorf("period %s..%s, suppressed below %d", got.From, got.To, got.SuppressedBelow)
		}
		if len(got.Forms) != 1 || got.Forms[0].Form != "vraag" {
			t.Fatalf("forms: %s", resp.body)
		}
		f := got.Forms[0]
		if len(f.Steps) != 2 || f.Steps[0].Step != "started" || *f.Steps[0].Count != 20 || f.Steps[0].AbandonedPercent != nil ||
			f.Steps[1].Step != "submitted" || *f.Steps[1].Count != 15 || *f.Steps[1].AbandonedPercent != 25 {
			t.Errorf("funnel: %s", resp.body)
		}
		if s := show(f.Errors); s != "email=6 name=<5" {
			t.Errorf("errors: %s", s)
		}
		if d := f.TimeToComplete; d == nil || d.Suppressed || *d.P50Seconds != 180 || *d.P90Seconds != 900 {
			t.Errorf("time to complete: %s", resp.body)
		}
		// The raw body never carries a suppressed number.
		if strings.Contains(string(resp.body), `"count":3`) || strings.Contains(string(resp.body), `"count":1,`) || strings.Contains(string(resp.body), "brugge-only") {
			t.Errorf("a suppressed count or another tenant's page shows: %s", resp.body)
		}
	})
}

// TestAnalyticsAPIBadPeriod: a bad period is refused with 422, each bad
// field named with a message in the caller's language.
func TestAnalyticsAPIBadPeriod(t *testing.T) {
	env := storetest.SQLite(t)
	fx := newFixture(t, env, Options{})
	for name, c := range map[string]struct {
		query  string
		fields []string
	}{
		"from not a date":    {"from=01.03.2026&to=2026-03-31", []string{"from"}},
		"both not dates":     {"from=yesterday&to=2026-13-01", []string{"from", "to"}},
		"to before from":     {"from=2026-03-31&to=2026-03-01", []string{"to"}},
		"more than 400 days": {"from=2025-01-01&to=2026-03-01", []string{"to"}},
	} {
		t.Run(name, func(t *testing.T) {
			resp := fx.do(t, call{method: "GET", target: "/api/v1/gent/analytics?" + c.query, token: fx.full,
				header: map[string]string{"Accept-Language": "fr-BE"}})
			if resp.StatusCode != 422 {
				t.Fatalf("%d %s", resp.StatusCode, resp.body)
			}
			var p Problem
			if err := json.Unmarshal(resp.body, &p); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range p.Errors {
				if e.Message == "" || strings.HasPrefix(e.Message, "analyticsapi.") || !strings.Contains(e.Message, "date") && !strings.Contains(e.Message, "jours") {
					t.Errorf("no French message for %s: %q", e.Field, e.Message)
				}
				got = append(got, e.Field)
			}
			if strings.Join(got, ",") != strings.Join(c.fields, ",") {
				t.Errorf("fields %v, want %v", got, c.fields)
			}
		})
	}
}

// TestAnalyticsAPIRefusesWrongKey: no key or a bad one is 401, another
// tenant's key 404, a key without analytics:read 403 naming the scope;
// a key with only analytics:read needs no form and reads.
func TestAnalyticsAPIRefusesWrongKey(t *testing.T) {
	env := storetest.SQLite(t)
	fx := newFixture(t, env, Options{})
	_, ingestOnly := newKey(t, env, fx.gent, "website", []string{store.ScopeAnalyticsIngest}, nil, time.Time{})
	_, readOnly := newKey(t, env, fx.gent, "dashboard", []string{store.ScopeAnalyticsRead}, nil, time.Time{})
	for name, c := range map[string]struct {
		token string
		want  int
	}{
		"no key": {"", 401}, "wrong secret": {fx.full[:len(fx.full)-4] + "0000", 401}, "revoked": {fx.revoked, 401},
		"other tenant": {fx.bruggeKey, 404}, "ingest only": {ingestOnly, 403}, "submissions only": {fx.readOnly, 403},
		"analytics:read alone": {readOnly, 200},
	} {
		resp := fx.do(t, call{method: "GET", target: "/api/v1/gent/analytics", token: c.token})
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d %s, want %d", name, resp.StatusCode, resp.body, c.want)
		}
		if c.want == 403 && !strings.Contains(string(resp.body), store.ScopeAnalyticsRead) {
			t.Errorf("%s: 403 does not name the scope: %s", name, resp.body)
		}
	}
}

// TestAnalyticsIngestBodyLimit: a call of IngestMaxViews page views with
// long User-Agents fits the ingest route's limit (though not the API's
// usual 64 KiB), and a body just over IngestBodyLimit is refused with 413
// and nothing counted.
func TestAnalyticsIngestBodyLimit(t *testing.T) {
	env := storetest.SQLite(t)
	fx := newFixture(t, env, Options{})
	now := env.Clock.Now().Format(time.RFC3339)
	views := make([]PageView, IngestMaxViews)
	for i := range views {
		views[i] = PageView{Path: fmt.Sprintf("/nieuws/%d", i%10), Referrer: "https://www.example.org/", UserAgent: chromeUA + strings.Repeat(" x", 200), Language: "nl", Time: now}
	}
	body := ingestBody(t, views...)
	if int64(len(body)) <= DefaultBodyLimit {
		t.Fatalf("the batch is only %d bytes", len(body))
	}
	if resp := fx.do(t, ingestCall(fx.full, body)); resp.StatusCode != 200 {
		t.Fatalf("a full batch of %d bytes: %d %s", len(body), resp.StatusCode, resp.body)
	}
	rows, counted := analyticsRows(t, env)
	// Just over the limit: valid JSON padded with spaces.
	over := `{"pageviews":[{"path":"/","user_agent":"` + chromeUA + `","time":"` + now + `"}]}`
	over += strings.Repeat(" ", int(IngestBodyLimit)+1-len(over))
	for name, c := range map[string]call{
		"declared": ingestCall(fx.full, over),
		"streamed": {method: "POST", target: "/api/v1/gent/analytics/pageviews", token: fx.full, body: over, ctype: "application/json", header: map[string]string{"Transfer-Encoding": "chunked"}},
	} {
		resp := fx.do(t, c)
		if resp.StatusCode != 413 {
			t.Errorf("%s: a body of %d bytes: %d %s", name, len(over), resp.StatusCode, resp.body)
		}
	}
	if r2, v2 := analyticsRows(t, env); r2 != rows || v2 != counted || counted != IngestMaxViews {
		t.Errorf("rows %d → %d, views %d → %d (want %d)", rows, r2, counted, v2, IngestMaxViews)
	}
	// Other routes keep the API's limit.
	big := `{"status":"in_progress","reason":"` + strings.Repeat("x", int(DefaultBodyLimit)) + `"}`
	if resp := fx.do(t, call{method: "POST", target: "/api/v1/gent/submissions/" + fx.sub + "/status", token: fx.full, body: big, ctype: "application/json"}); resp.StatusCode != 413 {
		t.Errorf("a status change of %d bytes: %d", len(big), resp.StatusCode)
	}
}
