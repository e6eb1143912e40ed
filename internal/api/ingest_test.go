package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

const (
	chromeUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 MARKER-UA"
	botUA    = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)

// ingestBody is the JSON body of an ingest call with views.
func ingestBody(t *testing.T, views ...PageView) string {
	t.Helper()
	b, err := json.Marshal(PageViews{PageViews: views})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// analyticsRows counts the rows and the summed views of analytics_views,
// straight from the database.
func analyticsRows(t *testing.T, env *storetest.Env) (rows, views int64) {
	t.Helper()
	if err := env.Raw(t).QueryRow(`SELECT count(*), COALESCE(SUM(count), 0) FROM analytics_views`).Scan(&rows, &views); err != nil {
		t.Fatal(err)
	}
	return rows, views
}

func ingestCall(token, body string) call {
	return call{method: "POST", target: "/api/v1/gent/analytics/pageviews", token: token, body: body, ctype: "application/json"}
}

// TestAnalyticsIngestCountsPageViews: page views a tenant's other server
// sends are counted as the in-process counter counts: query strings
// dropped, referrer reduced to its host, bots left out, the User-Agent
// kept nowhere in the database.
func TestAnalyticsIngestCountsPageViews(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newFixture(t, env, Options{})
		at := env.Clock.Now().Add(-time.Hour).Format(time.RFC3339)
		var views []PageView
		for i := range 6 {
			views = append(views, PageView{Path: fmt.Sprintf("/nieuws?visitor=MARKER-Q%d", i), Referrer: "https://www.example.org/zoek?q=MARKER-REF",
				UserAgent: chromeUA, Language: "nl-BE", Time: at})
		}
		views = append(views, PageView{Path: "/nieuws", Referrer: "www.example.org", UserAgent: chromeUA, Language: "nl", Time: at},
			PageView{Path: "/nieuws", UserAgent: botUA, Language: "nl", Time: at})
		resp := fx.do(t, ingestCall(fx.full, ingestBody(t, views...)))
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, resp.body)
		}
		if m := resp.json(t); m["counted"] != float64(7) || m["bots"] != float64(1) {
			t.Fatalf("answer: %s", resp.body)
		}
		day := store.AnalyticsDayOf(env.Clock.Now().Add(-time.Hour))
		for by, want := range map[string]string{"path": "/nieuws", "referrer": "example.org", "browser": "chrome", "device": "desktop", "lang": "nl"} {
			got, err := env.DB.AnalyticsViews(ctx, fx.gent.ID, by, day, day)
			if err != nil || len(got) != 1 || got[0].Key != want || got[0].Count != 7 {
				t.Errorf("by %s: %+v %v, want %s 7", by, got, err, want)
			}
		}
		if other, _ := env.DB.AnalyticsViews(ctx, fx.brugge.ID, "path", day, day); len(other) != 0 {
			t.Errorf("counted for another tenant: %+v", other)
		}
		if found := storetest.FindPlaintext(t, env, "/nieuws", "MARKER-UA", "MARKER-Q", "MARKER-REF", "Googlebot"); len(found) > 1 {
			t.Errorf("stored what it must not: %v", found)
		}
	})
}

// TestAnalyticsIngestRefusesWrongKey: an ingest call without a valid key
// of the tenant holding analytics:ingest is refused with a clear problem,
// and nothing is saved (rows counted before and after, both databases).
func TestAnalyticsIngestRefusesWrongKey(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newFixture(t, env, Options{})
		body := ingestBody(t, PageView{Path: "/", UserAgent: chromeUA, Language: "nl", Time: env.Clock.Now().Format(time.RFC3339)})
		for name, c := range map[string]struct {
			token string
			want  int
		}{
			"no key":                {"", 401},
			"malformed key":         {"kluis_nope", 401},
			"wrong secret":          {fx.full[:len(fx.full)-4] + "0000", 401},
			"revoked key":           {fx.revoked, 401},
			"expired key":           {fx.expired, 401},
			"key of another tenant": {fx.bruggeKey, 404},
			"key without the scope": {fx.readOnly, 403},
		} {
			t.Run(name, func(t *testing.T) {
				rows, views := analyticsRows(t, env)
				resp := fx.do(t, ingestCall(c.token, body))
				if resp.StatusCode != c.want || resp.Header.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("%d %s, want %d problem", resp.StatusCode, resp.body, c.want)
				}
				p := resp.json(t)
				if p["title"] == "" || p["detail"] == "" {
					t.Errorf("no clear message: %s", resp.body)
				}
				if c.want == 403 && !strings.Contains(string(resp.body), store.ScopeAnalyticsIngest) {
					t.Errorf("403 does not name the scope: %s", resp.body)
				}
				if r2, v2 := analyticsRows(t, env); r2 != rows || v2 != views {
					t.Errorf("saved: rows %d → %d, views %d → %d", rows, r2, views, v2)
				}
			})
		}
	})
}

// TestAnalyticsIngestBadInput: a batch with a bad item is refused whole,
// each bad item and field named in the problem, and nothing is saved.
func TestAnalyticsIngestBadInput(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newFixture(t, env, Options{BodyLimit: 256 << 10})
		now := env.Clock.Now()
		ok := PageView{Path: "/", UserAgent: chromeUA, Language: "nl", Time: now.Format(time.RFC3339)}
		with := func(f func(*PageView)) PageView { v := ok; f(&v); return v }
		many := make([]PageView, IngestMaxViews+1)
		for i := range many {
			many[i] = ok
		}
		for name, c := range map[string]struct {
			body   string
			want   int
			fields []string
		}{
			"empty batch":      {ingestBody(t), 422, []string{"pageviews"}},
			"too many":         {ingestBody(t, many...), 422, []string{"pageviews"}},
			"not JSON":         {`{"pageviews":`, 400, nil},
			"unknown member":   {`{"pageviews":[{"path":"/","time":"` + ok.Time + `","ip":"192.0.2.1"}]}`, 400, nil},
			"relative path":    {ingestBody(t, ok, with(func(v *PageView) { v.Path = "nieuws" })), 422, []string{"pageviews[1].path"}},
			"path too long":    {ingestBody(t, with(func(v *PageView) { v.Path = "/" + strings.Repeat("a", 200) })), 422, []string{"pageviews[0].path"}},
			"no time":          {ingestBody(t, with(func(v *PageView) { v.Time = "" })), 422, []string{"pageviews[0].time"}},
			"time not RFC3339": {ingestBody(t, with(func(v *PageView) { v.Time = "05.12.2026 09:00" })), 422, []string{"pageviews[0].time"}},
			"future":           {ingestBody(t, with(func(v *PageView) { v.Time = now.Add(time.Hour).Format(time.RFC3339) })), 422, []string{"pageviews[0].time"}},
			"older than 48h":   {ingestBody(t, with(func(v *PageView) { v.Time = now.Add(-49 * time.Hour).Format(time.RFC3339) })), 422, []string{"pageviews[0].time"}},
			"two bad items": {ingestBody(t, with(func(v *PageView) { v.Path = "" }), ok,
				with(func(v *PageView) { v.Referrer = strings.Repeat("x", 2049) })), 422, []string{"pageviews[0].path", "pageviews[2].referrer"}},
		} {
			t.Run(name, func(t *testing.T) {
				rows, views := analyticsRows(t, env)
				resp := fx.do(t, ingestCall(fx.full, c.body))
				if resp.StatusCode != c.want {
					t.Fatalf("%d %s, want %d", resp.StatusCode, resp.body, c.want)
				}
				var p Problem
				if err := json.Unmarshal(resp.body, &p); err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, e := range p.Errors {
					if e.Message == "" || strings.HasPrefix(e.Message, "ingest.") {
						t.Errorf("no message for %s: %q", e.Field, e.Message)
					}
					got = append(got, e.Field)
				}
				if strings.Join(got, ",") != strings.Join(c.fields, ",") {
					t.Errorf("fields %v, want %v", got, c.fields)
				}
				if r2, v2 := analyticsRows(t, env); r2 != rows || v2 != views {
					t.Errorf("saved: rows %d → %d, views %d → %d", rows, r2, views, v2)
				}
			})
		}
	})
}

// TestAnalyticsIngestKeyNeedsNoForm: a key that only sends page views is
// created without forms and works; a key that reads submissions still
// needs its forms (ORG-6).
func TestAnalyticsIngestKeyNeedsNoForm(t *testing.T) {
	env := storetest.SQLite(t)
	fx := newFixture(t, env, Options{})
	_, tok := newKey(t, env, fx.gent, "website", []string{store.ScopeAnalyticsIngest}, nil, time.Time{})
	resp := fx.do(t, ingestCall(tok, ingestBody(t, PageView{Path: "/", UserAgent: chromeUA, Time: env.Clock.Now().Format(time.RFC3339)})))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, resp.body)
	}
	if got := fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions", token: tok}); got.StatusCode != 403 {
		t.Errorf("an ingest key lists submissions: %d", got.StatusCode)
	}
	_, _, err := env.DB.CreateAPIKey(ctx, admin, fx.gent.ID, store.NewAPIKey{Name: "x", Scopes: []string{store.ScopeAnalyticsIngest, store.ScopeSubmissionsRead}})
	var ve *store.APIKeyValidationError
	if !errors.As(err, &ve) || ve.Fields["forms"] != "apikeys.error.forms_required" {
		t.Errorf("a submissions key without forms: %v", err)
	}
}
