package web

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/geoip"
	"github.com/kluis/kluis/internal/geoip/geoiptest"
	"github.com/kluis/kluis/internal/scan/scantest"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// analyticsEnv is gent with the demo forms published and an app that
// counts into counter.
func analyticsEnv(t *testing.T, env *storetest.Env, opts Options) (*App, *syncBuffer, *analytics.Counter, tenant.Tenant) {
	t.Helper()
	tn, err := env.DB.CreateTenant(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, tenant.New{Slug: "gent",
		LegalName: "Stad Gent", EnterpriseNumber: "0207451227", DPOName: "D", DPOEmail: "dpo@gent.be"})
	if err != nil {
		t.Fatal(err)
	}
	publishForms(t, env, tn)
	c := analytics.NewCounter()
	opts.Store, opts.Analytics = env.DB, c
	a, logs := newTestApp(t, opts)
	return a, logs, c, tn
}

// scriptedUA is a browser whose family and device class the test states
// itself (not through the classifier under test); %d makes each one vary.
var scriptedUAs = []struct{ ua, browser, device string }{
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:%d.0) Gecko/20100101 Firefox/%[1]d.0", "firefox", "desktop"},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.%d Safari/605.1.15", "safari", "desktop"},
	{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Mobile Safari/537.36", "chrome", "mobile"},
	{"Mozilla/5.0 (iPad; CPU OS 17_%d like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "safari", "tablet"},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36 Edg/%[1]d.0.0.0", "edge", "desktop"},
}

// Requests that are not visits: never counted.
var scriptedBots = []string{"Googlebot/2.1 (+http://www.google.com/bot.html) v%d", "curl/8.%d.0",
	"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) %d", ""}

// TestAnalyticsStoresNoIdentifier sends 10,000 scripted requests through
// the real handler with varied addresses, browsers, referrers and
// languages, and proves the analytics consent-free: no cookie is set on
// any public page, no analytics script or pixel is served, no IP address,
// User-Agent or referrer path appears anywhere in the database (every
// column of every table, read raw) nor in the logs, and every aggregate
// equals the scripted count exactly (HEAD, bots, prefetches, errors and
// staff pages not counted; query strings dropped).
func TestAnalyticsStoresNoIdentifier(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		// A real country database (MaxMind DB format) for the scripted
		// addresses: the address is looked up in memory, only the code kept.
		countries, err := geoip.Open(geoiptest.Write(t, map[string]string{"198.51.0.0/16": "BE", "198.51.100.0/24": "NL", "2001:db8::/32": "FR"}))
		if err != nil {
			t.Fatal(err)
		}
		a, logs, counter, tn := analyticsEnv(t, env, Options{GeoIP: countries})
		h := a.Handler()
		day := env.DB.AnalyticsDay()
		wantCountries := map[string]int64{}
		pages := []string{"/", "/privacy", "/vraag", "/toelage", "/parkeervergunning", "/lookup", "/privacy/request"}
		referrers := []struct{ header, want string }{
			{"", "direct"},
			{"https://www.google.com/search?q=REFQUERY-bijstand", "google.com"},
			{"https://nieuws.gent.be/artikel/REFPATH-42?uid=REFUID", "nieuws.gent.be"},
			{"http://example.com/gent/", "internal"},
			{"http://192.0.2.77/REFIP", "other"},
		}
		langs := []struct{ header, want string }{{"nl-BE,nl;q=0.9", "nl"}, {"fr-BE,fr;q=0.8", "fr"}, {"en-GB,en;q=0.7", "en"}}
		want := map[analytics.View]int64{}
		var ips, uas []string
		const total = 10000
		for i := range total {
			ip := fmt.Sprintf("198.51.%d.%d", 100+i%97, 1+i%251)
			if i%7 == 0 {
				ip = fmt.Sprintf("2001:db8:%x::%x", i%4099, i)
			}
			ips = append(ips, ip)
			page, ref, lang := pages[i%len(pages)], referrers[(i/7)%len(referrers)], langs[(i/3)%len(langs)]
			ua := scriptedUAs[(i/11)%len(scriptedUAs)]
			uaText := fmt.Sprintf(ua.ua, 100+i%53)
			method, counted, target := http.MethodGet, true, "/gent"+page
			header := map[string]string{}
			switch i % 50 {
			case 1: // a crawler or a client without a User-Agent
				uaText, counted = fmt.Sprintf(scriptedBots[i%len(scriptedBots)], i%9), false
				if strings.Count(scriptedBots[i%len(scriptedBots)], "%d") == 0 {
					uaText = ""
				}
			case 2:
				method, counted = http.MethodHead, false
			case 3:
				header["Sec-Purpose"], counted = "prefetch", false
			case 4:
				target, counted = "/gent/no-such-form", false
			case 5:
				target, counted = "/gent/login", false // not a public page
			case 6:
				target += "?utm_source=QUERYMARK&session=QUERYID" // the query is dropped
			}
			uas = append(uas, uaText)
			req := httptest.NewRequest(method, target, nil)
			req.RemoteAddr = netJoin(ip)
			if uaText != "" {
				req.Header.Set("User-Agent", uaText)
			} else {
				req.Header.Del("User-Agent")
			}
			if ref.header != "" {
				req.Header.Set("Referer", ref.header)
			}
			req.Header.Set("Accept-Language", lang.header)
			for k, v := range header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			if counted && res.StatusCode != http.StatusOK {
				t.Fatalf("%s %s: status %d", method, target, res.StatusCode)
			}
			if c := res.Header.Values("Set-Cookie"); len(c) > 0 && counted {
				t.Fatalf("%s %s sets a cookie: %q", method, target, c)
			}
			if i < 200 {
				body := strings.ToLower(rec.Body.String())
				for _, mark := range []string{"matomo", "piwik", "gtag", "sendbeacon", "plausible", "goatcounter", "width=\"1\"", "height=\"1\""} {
					if strings.Contains(body, mark) {
						t.Fatalf("%s %s serves %q", method, target, mark)
					}
				}
				// Only the site's own scripts, none inline.
				for _, tag := range scriptTagRE.FindAllString(body, -1) {
					if !strings.Contains(tag, `src="/static/`) {
						t.Fatalf("%s %s serves a script %s", method, target, tag)
					}
				}
			}
			if counted {
				switch {
				case strings.Contains(ip, ":"):
					wantCountries["FR"]++
				case strings.HasPrefix(ip, "198.51.100."):
					wantCountries["NL"]++
				default:
					wantCountries["BE"]++
				}
				want[analytics.View{TenantID: tn.ID, Day: day, Path: page, Referrer: ref.want, Browser: ua.browser,
					Device: ua.device, Lang: lang.want}]++
			}
			if i%2500 == 2499 { // the flusher's batches
				if err := counter.Flush(context.Background(), env.DB.AddAnalytics); err != nil {
					t.Fatal(err)
				}
			}
		}

		got := map[analytics.View]int64{}
		rows, err := env.Raw(t).Query(`SELECT tenant_id, day, path, referrer, browser, device, lang, count FROM analytics_views`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v analytics.View
			var n int64
			if err := rows.Scan(&v.TenantID, &v.Day, &v.Path, &v.Referrer, &v.Browser, &v.Device, &v.Lang, &n); err != nil {
				t.Fatal(err)
			}
			got[v] = n
		}
		rows.Close()
		var sum int64
		for _, n := range want {
			sum += n
		}
		if sum < 8000 || !maps.Equal(got, want) {
			for k, n := range want {
				if got[k] != n {
					t.Errorf("%+v: stored %d, scripted %d", k, got[k], n)
				}
			}
			for k, n := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%+v: stored %d, never scripted", k, n)
				}
			}
			t.Fatalf("the aggregates (%d keys) are not the scripted counts (%d keys, %d views)", len(got), len(want), sum)
		}

		// The countries are the scripted ones, per day alone.
		gotCountries := map[string]int64{}
		crows, err := env.Raw(t).Query(`SELECT tenant_id, day, country, count FROM analytics_countries`)
		if err != nil {
			t.Fatal(err)
		}
		for crows.Next() {
			var tenantID, d, code string
			var n int64
			if err := crows.Scan(&tenantID, &d, &code, &n); err != nil {
				t.Fatal(err)
			}
			if tenantID != tn.ID || d != day {
				t.Errorf("a country counted for %s on %s", tenantID, d)
			}
			gotCountries[code] += n
		}
		crows.Close()
		if !maps.Equal(gotCountries, wantCountries) || len(wantCountries) != 3 {
			t.Fatalf("countries %v, scripted %v", gotCountries, wantCountries)
		}

		// Nothing that identifies a visitor or carries a referrer's path
		// or query is anywhere: every column of every table (the country
		// and time-to-complete aggregates too), read raw.
		secrets := append(slices.Clone(ips), uas...)
		secrets = append(secrets, "REFQUERY", "REFPATH", "REFUID", "REFIP", "192.0.2.77", "QUERYMARK", "QUERYID", "Mozilla", "Googlebot")
		secrets = slices.DeleteFunc(slices.Compact(slices.Sorted(slices.Values(secrets))), func(s string) bool { return s == "" })
		dump := rawDump(t, env)
		for _, s := range secrets {
			if strings.Contains(dump, s) {
				t.Fatalf("the database holds %q", s)
			}
		}
		// And as an attacker with the files would: SQLite's file and WAL
		// (freed pages too), PostgreSQL column by column.
		if found := storetest.FindPlaintext(t, env, "Stad Gent", "REFQUERY", "REFPATH", "REFUID", "QUERYMARK", "QUERYID",
			"Mozilla", "Googlebot", "curl/", ips[0], ips[1], ips[7], ips[len(ips)-1]); len(found) > 0 {
			t.Fatalf("the database holds %v", found)
		}
		logText := logs.String()
		for _, s := range secrets {
			if strings.Contains(logText, s) {
				t.Fatalf("the logs hold %q", s)
			}
		}
	})
}

var scriptTagRE = regexp.MustCompile(`<script[^>]*>`)

// netJoin is ip with a port, as RemoteAddr has it.
func netJoin(ip string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]:40000"
	}
	return ip + ":40000"
}

// rawDump reads every column of every table of the database as text.
func rawDump(t *testing.T, env *storetest.Env) string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if env.Dialect == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`
	}
	raw := env.Raw(t)
	rows, err := raw.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	for _, want := range []string{"analytics_views", "analytics_view_rollups", "analytics_form_events", "analytics_form_durations", "analytics_countries",
		"analytics_view_rollups_monthly", "analytics_form_events_monthly", "analytics_form_durations_monthly"} {
		if !slices.Contains(tables, want) {
			t.Fatalf("the scan does not read %s", want)
		}
	}
	if len(tables) < 30 {
		t.Fatalf("only %d tables: the scan does not see the schema", len(tables))
	}
	var b strings.Builder
	for _, table := range tables {
		rows, err := raw.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				b.Write(v)
				b.WriteByte('\n')
			}
		}
		rows.Close()
	}
	if !strings.Contains(b.String(), "Stad Gent") {
		t.Fatal("the raw scan does not read the rows")
	}
	return b.String()
}

// TestAnalyticsFormFunnel: scripted citizen sessions of the demo parking
// permit (three pages, an attachment scanned by a real clamd) give exactly
// the expected funnel: started, each page reached, submitted, and the
// validation errors per field.
func TestAnalyticsFormFunnel(t *testing.T) {
	clamd := scantest.Start(t)
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		a, _, counter, tn := analyticsEnv(t, env, Options{FormRateLimit: 1000, Scanner: clamd})
		inner := a.Handler()
		se := stepsEnv{env: env, h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set("User-Agent", scriptedUAs[0].ua)
			inner.ServeHTTP(w, r)
		})}
		start := func() string { return bodyOf(t, request{target: "/gent/parkeervergunning"}.do(t, se.h)) }
		complete := func() {
			page := start()
			_, page = se.step(t, page, parkingPage1, "next", "", "")
			_, page = se.step(t, page, parkingPage2, "next", "", "")
			_, page = se.step(t, page, nil, "next", "inschrijving.pdf", "")
			resp, _ := se.step(t, page, nil, "send", "", "")
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("send: %d", resp.StatusCode)
			}
		}
		for range 3 {
			complete()
		}
		for range 2 { // gone after the first page
			page := start()
			se.step(t, page, parkingPage1, "next", "", "")
		}
		start() // gone at once
		{       // a wrong address, corrected; then gone on the second page after a missing plate
			page := start()
			resp, page := se.step(t, page, url.Values{"name": {"X"}, "email": {"not-an-address"}}, "next", "", "")
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("bad email: %d", resp.StatusCode)
			}
			_, page = se.step(t, page, parkingPage1, "next", "", "")
			v := maps.Clone(parkingPage2)
			v.Del("plate")
			se.step(t, page, v, "next", "", "")
			// Back and forth and a language switch reach no new page.
			_, page = se.step(t, page, nil, "prev", "", "")
			se.step(t, page, url.Values{"switch_lang": {"fr"}}, "", "", "")
		}
		if err := counter.Flush(context.Background(), env.DB.AddAnalytics); err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		rows, err := env.Raw(t).Query(`SELECT event, page, field, count FROM analytics_form_events WHERE tenant_id = $1 AND form_key = $2`,
			tn.ID, "parkeervergunning")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var ev, field string
			var page int
			var n int64
			if err := rows.Scan(&ev, &page, &field, &n); err != nil {
				t.Fatal(err)
			}
			got[fmt.Sprintf("%s/%d/%s", ev, page, field)] = n
		}
		rows.Close()
		want := map[string]int64{
			"started/0/":    7,
			"page/1/":       6, // 3 complete + 2 gone after page 1 + 1 corrected
			"page/2/":       3,
			"page/3/":       3, // the review
			"submitted/0/":  3,
			"error/0/email": 1,
			"error/0/plate": 1,
		}
		if !maps.Equal(got, want) {
			t.Fatalf("funnel %v, want %v", got, want)
		}
	})
}
