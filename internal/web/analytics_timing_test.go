package web

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/storetest"
)

// TestAnalyticsTimeToComplete: citizens who take scripted times to fill
// in the demo question form land in exactly the expected buckets of the
// per form × day histogram; a forged, missing or borrowed start time is
// not timed, a double click is timed once; the page shows p50 and p90
// and hides them below 5 timed submissions; and neither a start time nor
// a duration of one submission is anywhere in the database (both
// databases).
func TestAnalyticsTimeToComplete(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		tn := fe.gent
		publishForms(t, env, tn)
		counter := analytics.NewCounter()
		h := New(Options{Store: env.DB, Analytics: counter, FormRateLimit: 1000}).Handler()
		staffPage := func(target string) string {
			t.Helper()
			resp, body := fe.get(t, target, fe.admin)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d", target, resp.StatusCode)
			}
			return body
		}
		ua := fmt.Sprintf(scriptedUAs[0].ua, 120)
		open := func() url.Values {
			req := httptest.NewRequest(http.MethodGet, "/gent/vraag", nil)
			req.Header.Set("User-Agent", ua)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			v := carriedOn(rec.Body.String())
			if len(v.Get("token")) != 43 || !strings.Contains(v.Get(startedField), ".") {
				t.Fatalf("the form carries no signed start: %v", v)
			}
			return v
		}
		send := func(form url.Values) {
			t.Helper()
			v := maps.Clone(form)
			v.Set("name", "Tijd Test")
			v.Set("email", "tijd@example.be")
			v.Set("topic", "street")
			v.Set("message", "De straatverlichting brandt niet.")
			req := httptest.NewRequest(http.MethodPost, "/gent/vraag", strings.NewReader(v.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("User-Agent", ua)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("send: %d %s", rec.Code, rec.Body.String())
			}
		}
		var starts []string
		timed := func(d time.Duration) {
			u := open()
			starts = append(starts, strings.SplitN(u.Get(startedField), ".", 2)[0])
			env.Clock.Advance(d)
			send(u)
		}
		readHist := func() map[int]int64 {
			t.Helper()
			if err := counter.Flush(context.Background(), env.DB.AddAnalytics); err != nil {
				t.Fatal(err)
			}
			got := map[int]int64{}
			rows, err := env.Raw(t).Query(`SELECT bucket, count FROM analytics_form_durations WHERE tenant_id = $1 AND form_key = $2`, tn.ID, "vraag")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var b int
				var n int64
				if err := rows.Scan(&b, &n); err != nil {
					t.Fatal(err)
				}
				got[b] += n
			}
			return got
		}
		for _, d := range []time.Duration{40 * time.Second, 100 * time.Second, 100 * time.Second, 170 * time.Second} {
			timed(d)
		}
		if got := readHist(); !maps.Equal(got, map[int]int64{60: 1, 120: 2, 180: 1}) {
			t.Fatalf("histogram %v", got)
		}
		// Four timed: the page hides the times.
		page := staffPage("/gent/admin/visits")
		if strings.Contains(page, "binnen") && !strings.Contains(page, "minder dan 5 verzendingen gemeten") {
			t.Fatalf("the times of 4 submissions show:\n%s", page)
		}

		// Not timed: a forged start, none, another page's start; a double
		// click is timed once.
		forged := open()
		forged.Set(startedField, strconv.FormatInt(env.Clock.Now().Add(-time.Hour).Unix(), 10)+".AAAAAAAAAAAAAAAAAAAAAA")
		env.Clock.Advance(time.Minute)
		send(forged)
		none := open()
		none.Del(startedField)
		send(none)
		first, second := open(), open()
		second.Set(startedField, first.Get(startedField))
		send(second)
		twice := open()
		env.Clock.Advance(800 * time.Second)
		send(twice)
		send(twice)
		if got := readHist(); !maps.Equal(got, map[int]int64{60: 1, 120: 2, 180: 1, 900: 1}) {
			t.Fatalf("histogram %v", got)
		}

		// Five timed: p50 in the 2-minute bucket, p90 in the 15-minute one,
		// on the page and in the CSV.
		page = staffPage("/gent/admin/visits")
		for _, want := range []string{"de helft was klaar binnen: <strong>2 minuten</strong>", "9 op 10 binnen: <strong>15 minuten</strong>"} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		csv := staffPage("/gent/admin/visits.csv")
		if !strings.Contains(csv, "de helft was klaar binnen;2 minuten") || !strings.Contains(csv, "9 op 10 binnen;15 minuten") {
			t.Errorf("the CSV lacks the times:\n%s", csv)
		}

		// A start older than a day says nothing about the form: not timed.
		stale := open()
		env.Clock.Advance(25 * time.Hour)
		send(stale)
		if got := readHist(); !maps.Equal(got, map[int]int64{60: 1, 120: 2, 180: 1, 900: 1}) {
			t.Fatalf("a stale start was timed: %v", got)
		}

		// Only buckets: the histogram's columns are the day, form, bucket
		// and count, and no start time of any form is there.
		rows, err := env.Raw(t).Query(`SELECT * FROM analytics_form_durations`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		if strings.Join(cols, ",") != "tenant_id,day,form_key,bucket,count" {
			t.Errorf("columns %v", cols)
		}
		var dump strings.Builder
		for rows.Next() {
			var tenantID, day, key string
			var bucket, n int64
			if err := rows.Scan(&tenantID, &day, &key, &bucket, &n); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&dump, tenantID, day, key, bucket, n)
		}
		rows.Close()
		for _, s := range starts {
			if strings.Contains(dump.String(), s) {
				t.Fatalf("the histogram holds a start time %s", s)
			}
		}
	})
}

// DurationBucket and Percentile at the edges of the buckets.
func TestAnalyticsDurationBuckets(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 30, 30 * time.Second: 30, 31 * time.Second: 60, 59 * time.Minute: 3600, 48 * time.Hour: 86400} {
		if got := analytics.DurationBucket(d); got != want {
			t.Errorf("%v: bucket %d, want %d", d, got, want)
		}
	}
	h := map[int]int64{60: 1, 120: 2, 180: 1, 900: 1}
	if p50, p90 := analytics.Percentile(h, 50), analytics.Percentile(h, 90); p50 != 120 || p90 != 900 {
		t.Errorf("p50 %d p90 %d", p50, p90)
	}
	if analytics.Percentile(map[int]int64{}, 50) != 0 {
		t.Error("an empty histogram has a percentile")
	}
}

// TestAnalyticsCountryOnThePage: with country counts the page and the CSV
// show a table of countries by name, small counts as "< 5"; without any
// (no GeoIP database configured) there is no country table at all.
func TestAnalyticsCountryOnThePage(t *testing.T) {
	env := storetest.SQLite(t)
	fe := newFormsEnv(t, env)
	publishForms(t, env, fe.gent)
	day := env.Clock.Now().In(brussels).Format("2006-01-02")
	seedVisits(t, env, fe.gent.ID, day, day)
	_, page := fe.get(t, "/gent/admin/visits", fe.admin)
	if strings.Contains(page, "Landen") {
		t.Fatal("a country table without GeoIP")
	}
	if err := env.DB.AddAnalytics(context.Background(), analytics.Batch{Countries: map[analytics.Country]int64{
		{TenantID: fe.gent.ID, Day: day, Code: "BE"}: 12, {TenantID: fe.gent.ID, Day: day, Code: "NL"}: 2,
		{TenantID: fe.brugge.ID, Day: day, Code: "DE"}: 40}}); err != nil {
		t.Fatal(err)
	}
	_, page = fe.get(t, "/gent/admin/visits", fe.admin)
	for _, want := range []string{"<h2 id=\"visits-country\"", "<th scope=\"row\">België</th><td class=\"num\">12</td>", "<th scope=\"row\">Nederland</th><td class=\"num\">&lt; 5</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, "Duitsland") {
		t.Error("another tenant's country shows")
	}
	_, csv := fe.get(t, "/gent/admin/visits.csv", fe.admin)
	if !strings.Contains(csv, "Landen;België;12") || !strings.Contains(csv, "Landen;Nederland;< 5") {
		t.Errorf("the CSV lacks the countries:\n%s", csv)
	}
}
