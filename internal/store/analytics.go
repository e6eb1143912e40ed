package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/register"
)

// Consent-free analytics (issue "website and analytics", register category
// "analytische gegevens"): counts of public page views and form funnel
// steps. They hold no personal data and no visitor identifier, so writing
// and reading them is not audited.

// SuppressBelow is the smallest count a reader sees as a number: smaller
// ones are shown as "< 5", so that a rare combination cannot single out a
// visitor.
const SuppressBelow = 5

// AnalyticsRetentionDays is how long the aggregates are kept when the
// register has no analytics category (13 months: a year compared with the
// year before).
const AnalyticsRetentionDays = 396

// AnalyticsCategory is the register category whose retention the
// analytics aggregates follow.
const AnalyticsCategory = "analytics"

// AnalyticsRetention is how many days the aggregates are kept under reg:
// its analytics category's period, else AnalyticsRetentionDays.
func AnalyticsRetention(reg register.Register) int {
	for _, c := range reg.Categories {
		if c.Key == AnalyticsCategory && c.RetentionDays > 0 {
			return c.RetentionDays
		}
	}
	return AnalyticsRetentionDays
}

// AddAnalytics adds a batch of counts in one transaction: the background
// flusher's write, never a request's.
func (db *DB) AddAnalytics(ctx context.Context, b analytics.Batch) error {
	err := db.write(ctx, func(tx *Tx) error {
		monthly := map[viewRollup]int64{}
		for v, n := range b.Views {
			if _, err := tx.exec(`INSERT INTO analytics_views (tenant_id, day, path, referrer, browser, device, lang, count)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (tenant_id, day, path, referrer, browser, device, lang) DO UPDATE SET count = analytics_views.count + $8`,
				v.TenantID, v.Day, v.Path, v.Referrer, v.Browser, v.Device, v.Lang, n); err != nil {
				return err
			}
		}
		// The dashboard's rollups (one row per day × dimension value), in
		// the same transaction so that they always equal the daily rows
		// they sum: summed over the batch first, one write per row.
		for r, n := range viewRollups(b.Views) {
			if _, err := tx.exec(`INSERT INTO analytics_view_rollups (tenant_id, dim, day, dim_value, count)
				VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (tenant_id, dim, day, dim_value) DO UPDATE SET count = analytics_view_rollups.count + $5`,
				r.tenantID, r.dim, r.day, r.value, n); err != nil {
				return err
			}
			if r.dim == "day" {
				continue // the days of a report are read per day
			}
			monthly[viewRollup{r.tenantID, r.dim, monthOf(r.day), r.value}] += n
		}
		// The monthly rollups (a long period's whole months), also in
		// this transaction, so that they always equal the daily rows.
		for r, n := range monthly {
			if _, err := tx.exec(`INSERT INTO analytics_view_rollups_monthly (tenant_id, dim, month_start, dim_value, count)
				VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (tenant_id, dim, month_start, dim_value) DO UPDATE SET count = analytics_view_rollups_monthly.count + $5`,
				r.tenantID, r.dim, r.day, r.value, n); err != nil {
				return err
			}
		}
		formMonths := map[analytics.FormEvent]int64{}
		for e, n := range b.Forms {
			e.Day = monthOf(e.Day)
			formMonths[e] += n
		}
		for e, n := range formMonths {
			if _, err := tx.exec(`INSERT INTO analytics_form_events_monthly (tenant_id, month_start, form_key, event, page, field, count)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (tenant_id, month_start, form_key, event, page, field) DO UPDATE SET count = analytics_form_events_monthly.count + $7`,
				e.TenantID, e.Day, e.FormKey, e.Event, e.Page, e.Field, n); err != nil {
				return err
			}
		}
		durationMonths := map[analytics.Duration]int64{}
		for d, n := range b.Durations {
			d.Day = monthOf(d.Day)
			durationMonths[d] += n
		}
		for d, n := range durationMonths {
			if _, err := tx.exec(`INSERT INTO analytics_form_durations_monthly (tenant_id, month_start, form_key, bucket, count)
				VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (tenant_id, month_start, form_key, bucket) DO UPDATE SET count = analytics_form_durations_monthly.count + $5`,
				d.TenantID, d.Day, d.FormKey, d.Bucket, n); err != nil {
				return err
			}
		}
		for e, n := range b.Forms {
			if _, err := tx.exec(`INSERT INTO analytics_form_events (tenant_id, day, form_key, event, page, field, count)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (tenant_id, day, form_key, event, page, field) DO UPDATE SET count = analytics_form_events.count + $7`,
				e.TenantID, e.Day, e.FormKey, e.Event, e.Page, e.Field, n); err != nil {
				return err
			}
		}
		for d, n := range b.Durations {
			if _, err := tx.exec(`INSERT INTO analytics_form_durations (tenant_id, day, form_key, bucket, count)
				VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (tenant_id, day, form_key, bucket) DO UPDATE SET count = analytics_form_durations.count + $5`,
				d.TenantID, d.Day, d.FormKey, d.Bucket, n); err != nil {
				return err
			}
		}
		for c, n := range b.Countries {
			if _, err := tx.exec(`INSERT INTO analytics_countries (tenant_id, day, country, count)
				VALUES ($1, $2, $3, $4)
				ON CONFLICT (tenant_id, day, country) DO UPDATE SET count = analytics_countries.count + $4`,
				c.TenantID, c.Day, c.Code, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add analytics: %w", err)
	}
	return nil
}

// viewRollup is one row of analytics_view_rollups: a tenant's views of a
// day with one dimension's value.
type viewRollup struct{ tenantID, dim, day, value string }

// viewRollups sums views by day and by each dimension of a day, the rows
// AnalyticsViews reads.
func viewRollups(views map[analytics.View]int64) map[viewRollup]int64 {
	out := map[viewRollup]int64{}
	for v, n := range views {
		for _, r := range [...]viewRollup{
			{v.TenantID, "day", v.Day, v.Day}, {v.TenantID, "path", v.Day, v.Path}, {v.TenantID, "referrer", v.Day, v.Referrer},
			{v.TenantID, "browser", v.Day, v.Browser}, {v.TenantID, "device", v.Day, v.Device}, {v.TenantID, "lang", v.Day, v.Lang},
		} {
			out[r] += n
		}
	}
	return out
}

// AnalyticsCount is one figure a reader sees: Count, or Suppressed when the
// true count is below SuppressBelow (then Count is 0).
type AnalyticsCount struct {
	Key        string
	Count      int64
	Suppressed bool
}

func suppressed(key string, n int64) AnalyticsCount {
	if n < SuppressBelow {
		return AnalyticsCount{Key: key, Suppressed: true}
	}
	return AnalyticsCount{Key: key, Count: n}
}

// analyticsDimensions are the columns of analytics_views a reader may
// group by, and "country", which has a table of its own.
var analyticsDimensions = map[string]bool{"path": true, "referrer": true, "browser": true, "device": true, "lang": true, "day": true, "country": true}

// AnalyticsViews sums a tenant's page views of days from..to (inclusive,
// YYYY-MM-DD) by one dimension (path, referrer, browser, device, lang,
// country or day), largest first, small counts suppressed. An unknown
// dimension is an error.
func (db *DB) AnalyticsViews(ctx context.Context, tenantID, by, from, to string) ([]AnalyticsCount, error) {
	if !analyticsDimensions[by] {
		return nil, fmt.Errorf("analytics views: unknown dimension %q", by)
	}
	// The rollups hold each dimension summed per day (at most 365 ×
	// its distinct values a year), countries have a table of their own.
	// Other dimensions read whole months from the monthly rollups and the
	// daily ones only for the partial months at the ends ($5..$6 the whole
	// months, see wholeMonths).
	q := `SELECT dim_value, SUM(c) AS n FROM (
		SELECT dim_value, count AS c FROM analytics_view_rollups WHERE tenant_id = $1 AND dim = $4 AND day >= $2 AND day < $5
		UNION ALL SELECT dim_value, count FROM analytics_view_rollups WHERE tenant_id = $1 AND dim = $4 AND day >= $6 AND day <= $3
		UNION ALL SELECT dim_value, count FROM analytics_view_rollups_monthly WHERE tenant_id = $1 AND dim = $4 AND month_start >= $5 AND month_start < $6
		) p GROUP BY dim_value ORDER BY n DESC, dim_value`
	switch by {
	case "day":
		q = `SELECT dim_value, SUM(count) AS n FROM analytics_view_rollups
		WHERE tenant_id = $1 AND dim = $4 AND day >= $2 AND day <= $3 GROUP BY dim_value ORDER BY n DESC, dim_value`
	case "country":
		q = `SELECT country, SUM(count) AS n FROM analytics_countries
		WHERE tenant_id = $1 AND day >= $2 AND day <= $3 AND $4 = 'country' GROUP BY country ORDER BY n DESC, country`
	}
	args := []any{tenantID, from, to, by}
	if by != "day" && by != "country" {
		mFrom, mEnd := wholeMonths(from, to)
		args = append(args, mFrom, mEnd)
	}
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("analytics views: %w", err)
	}
	defer rows.Close()
	var out []AnalyticsCount
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("analytics views: %w", err)
		}
		out = append(out, suppressed(k, n))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("analytics views: %w", err)
	}
	// Suppressed figures come last by name: their order by size would
	// tell what suppression hides.
	slices.SortStableFunc(out, func(a, b AnalyticsCount) int {
		switch {
		case a.Suppressed && b.Suppressed:
			return strings.Compare(a.Key, b.Key)
		case a.Suppressed:
			return 1
		case b.Suppressed:
			return -1
		}
		return 0
	})
	return out, nil
}

// FunnelStep is one step of a form's funnel over a period.
type FunnelStep struct {
	Event string // analytics.EventStarted, EventPage, EventSubmitted, EventError
	Page  int
	Field string
	AnalyticsCount
}

// Abandonment is the share of the previous step's visitors who did not
// reach cur, as a rounded percentage; ok false for the first step and
// where either count is suppressed (a percentage of a hidden count would
// reveal it).
func Abandonment(prev, cur *FunnelStep) (pct int64, ok bool) {
	if prev == nil || prev.Suppressed || cur.Suppressed || prev.Count == 0 {
		return 0, false
	}
	lost := max(prev.Count-cur.Count, 0)
	return (lost*100 + prev.Count/2) / prev.Count, true
}

// FormFunnel sums a form's funnel over days from..to (inclusive): started,
// each page reached, submitted, and validation errors per field, in that
// order; small counts suppressed.
func (db *DB) FormFunnel(ctx context.Context, tenantID, formKey, from, to string) ([]FunnelStep, error) {
	m, err := db.formFunnels(ctx, tenantID, formKey, from, to)
	return m[formKey], err
}

// formFunnels reads the funnels of one form (formKey) or of all ("") by
// form key, each in FormFunnel's order.
func (db *DB) formFunnels(ctx context.Context, tenantID, formKey, from, to string) (map[string][]FunnelStep, error) {
	// Whole months from the monthly rows, the partial ends from the daily.
	mFrom, mEnd := wholeMonths(from, to)
	rows, err := db.sql.QueryContext(ctx, `SELECT form_key, event, page, field, SUM(c) FROM (
		SELECT form_key, event, page, field, count AS c FROM analytics_form_events
		WHERE tenant_id = $1 AND ($2 = '' OR form_key = $2) AND day >= $3 AND day < $5
		UNION ALL SELECT form_key, event, page, field, count FROM analytics_form_events
		WHERE tenant_id = $1 AND ($2 = '' OR form_key = $2) AND day >= $6 AND day <= $4
		UNION ALL SELECT form_key, event, page, field, count FROM analytics_form_events_monthly
		WHERE tenant_id = $1 AND ($2 = '' OR form_key = $2) AND month_start >= $5 AND month_start < $6
		) p GROUP BY form_key, event, page, field
		ORDER BY form_key, CASE event WHEN 'started' THEN 0 WHEN 'page' THEN 1 WHEN 'submitted' THEN 2 ELSE 3 END, page, field`,
		tenantID, formKey, from, to, mFrom, mEnd)
	if err != nil {
		return nil, fmt.Errorf("form funnel: %w", err)
	}
	defer rows.Close()
	out := map[string][]FunnelStep{}
	for rows.Next() {
		var key string
		var s FunnelStep
		var n int64
		if err := rows.Scan(&key, &s.Event, &s.Page, &s.Field, &n); err != nil {
			return nil, fmt.Errorf("form funnel: %w", err)
		}
		s.AnalyticsCount = suppressed(s.Event, n)
		out[key] = append(out[key], s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("form funnel: %w", err)
	}
	return out, nil
}

// FormDuration is the time to complete a form over a period: the median
// and the 90th percentile, as the upper bound in seconds of the histogram
// bucket they fall in. Suppressed (both 0) when fewer than SuppressBelow
// completions were timed, as the counts are.
type FormDuration struct {
	P50, P90   int
	Suppressed bool
}

// FormDurations reads the time to complete of each of a tenant's forms
// over days from..to (inclusive), by form key; a form none was timed for
// is absent.
func (db *DB) FormDurations(ctx context.Context, tenantID, from, to string) (map[string]FormDuration, error) {
	// Whole months from the monthly rows, the partial ends from the daily.
	mFrom, mEnd := wholeMonths(from, to)
	rows, err := db.sql.QueryContext(ctx, `SELECT form_key, bucket, SUM(c) FROM (
		SELECT form_key, bucket, count AS c FROM analytics_form_durations WHERE tenant_id = $1 AND day >= $2 AND day < $4
		UNION ALL SELECT form_key, bucket, count FROM analytics_form_durations WHERE tenant_id = $1 AND day >= $5 AND day <= $3
		UNION ALL SELECT form_key, bucket, count FROM analytics_form_durations_monthly WHERE tenant_id = $1 AND month_start >= $4 AND month_start < $5
		) p GROUP BY form_key, bucket`, tenantID, from, to, mFrom, mEnd)
	if err != nil {
		return nil, fmt.Errorf("form durations: %w", err)
	}
	defer rows.Close()
	hist := map[string]map[int]int64{}
	for rows.Next() {
		var key string
		var bucket int
		var n int64
		if err := rows.Scan(&key, &bucket, &n); err != nil {
			return nil, fmt.Errorf("form durations: %w", err)
		}
		if hist[key] == nil {
			hist[key] = map[int]int64{}
		}
		hist[key][bucket] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("form durations: %w", err)
	}
	out := map[string]FormDuration{}
	for key, h := range hist {
		var total int64
		for _, n := range h {
			total += n
		}
		if total < SuppressBelow {
			out[key] = FormDuration{Suppressed: true}
			continue
		}
		out[key] = FormDuration{P50: analytics.Percentile(h, 50), P90: analytics.Percentile(h, 90)}
	}
	return out, nil
}

// AnalyticsDimensions are the breakdowns of a report, in the order pages
// show them.
var AnalyticsDimensions = []string{"path", "referrer", "device", "browser", "lang", "country"}

// AnalyticsReport is every figure of the visitor statistics over a period,
// as the dashboard, its CSV and the API show them, small counts
// suppressed.
type AnalyticsReport struct {
	From, To string
	Days     []AnalyticsCount            // in time order; a day without visits is absent
	By       map[string][]AnalyticsCount // by each of AnalyticsDimensions; "country" empty without GeoIP
	Forms    []FormReport                // forms with any funnel step, in the order of Forms
}

// FormReport is one form's funnel and time to complete over a period.
type FormReport struct {
	Key      string
	Steps    []FunnelStep
	Duration *FormDuration // nil: no completion was timed
}

// AnalyticsReportOf reads a tenant's report of days from..to (inclusive).
func (db *DB) AnalyticsReportOf(ctx context.Context, tenantID, from, to string) (AnalyticsReport, error) {
	rep := AnalyticsReport{From: from, To: to, By: map[string][]AnalyticsCount{}}
	days, err := db.AnalyticsViews(ctx, tenantID, "day", from, to)
	if err != nil {
		return rep, err
	}
	slices.SortStableFunc(days, func(a, b AnalyticsCount) int { return strings.Compare(a.Key, b.Key) })
	rep.Days = days
	for _, dim := range AnalyticsDimensions {
		if rep.By[dim], err = db.AnalyticsViews(ctx, tenantID, dim, from, to); err != nil {
			return rep, err
		}
	}
	durations, err := db.FormDurations(ctx, tenantID, from, to)
	if err != nil {
		return rep, err
	}
	forms, err := db.Forms(ctx, tenantID)
	if err != nil {
		return rep, err
	}
	// One query for every form's funnel: one per form would read the
	// period's rows once for each (the dashboard's benchmark).
	funnels, err := db.formFunnels(ctx, tenantID, "", from, to)
	if err != nil {
		return rep, err
	}
	seen := map[string]bool{}
	for _, fv := range forms {
		if seen[fv.Key] {
			continue
		}
		seen[fv.Key] = true
		steps := funnels[fv.Key]
		if len(steps) == 0 {
			continue
		}
		fr := FormReport{Key: fv.Key, Steps: steps}
		if d, ok := durations[fv.Key]; ok {
			fr.Duration = &d
		}
		rep.Forms = append(rep.Forms, fr)
	}
	return rep, nil
}

// PruneAnalytics deletes a tenant's aggregates of days before the given
// day (YYYY-MM-DD): the retention of the analytics category.
func (db *DB) PruneAnalytics(ctx context.Context, tenantID, before string) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`DELETE FROM analytics_views WHERE tenant_id = $1 AND day < $2`, tenantID, before); err != nil {
			return fmt.Errorf("prune analytics: %w", err)
		}
		for _, table := range []string{"analytics_view_rollups", "analytics_form_events", "analytics_form_durations", "analytics_countries"} {
			// table is one of the fixed names, never input.
			if _, err := tx.exec(`DELETE FROM `+table+` WHERE tenant_id = $1 AND day < $2`, tenantID, before); err != nil {
				return fmt.Errorf("prune analytics: %w", err)
			}
		}
		// The monthly rollups: the months before the cut-off go, and the
		// month holding it is rebuilt from the daily rows it keeps, so
		// that no monthly row sums a deleted day (SEC-1).
		month := monthOf(before)
		next, err := time.Parse(time.DateOnly, month)
		if err != nil {
			return fmt.Errorf("prune analytics: cut-off %q: %w", before, err)
		}
		nextMonth := next.AddDate(0, 1, 0).Format(time.DateOnly)
		for _, q := range []string{
			`DELETE FROM analytics_view_rollups_monthly WHERE tenant_id = $1 AND month_start <= $2`,
			`DELETE FROM analytics_form_events_monthly WHERE tenant_id = $1 AND month_start <= $2`,
			`DELETE FROM analytics_form_durations_monthly WHERE tenant_id = $1 AND month_start <= $2`,
			`INSERT INTO analytics_view_rollups_monthly (tenant_id, dim, month_start, dim_value, count)
				SELECT tenant_id, dim, $2, dim_value, SUM(count) FROM analytics_view_rollups
				WHERE tenant_id = $1 AND dim <> 'day' AND day >= $2 AND day < $3 GROUP BY tenant_id, dim, dim_value`,
			`INSERT INTO analytics_form_events_monthly (tenant_id, month_start, form_key, event, page, field, count)
				SELECT tenant_id, $2, form_key, event, page, field, SUM(count) FROM analytics_form_events
				WHERE tenant_id = $1 AND day >= $2 AND day < $3 GROUP BY tenant_id, form_key, event, page, field`,
			`INSERT INTO analytics_form_durations_monthly (tenant_id, month_start, form_key, bucket, count)
				SELECT tenant_id, $2, form_key, bucket, SUM(count) FROM analytics_form_durations
				WHERE tenant_id = $1 AND day >= $2 AND day < $3 GROUP BY tenant_id, form_key, bucket`,
		} {
			args := []any{tenantID, month, nextMonth}
			if strings.HasPrefix(q, "DELETE") {
				args = args[:2]
			}
			if _, err := tx.exec(q, args...); err != nil {
				return fmt.Errorf("prune analytics: %w", err)
			}
		}
		return nil
	})
}

// monthOf is the first day of day's month (YYYY-MM-01), the key of the
// monthly rollups; a day not of the form YYYY-MM-DD keys itself.
func monthOf(day string) string {
	if len(day) != len(time.DateOnly) {
		return day
	}
	return day[:8] + "01"
}

// wholeMonths splits the period from..to (inclusive, YYYY-MM-DD) for the
// monthly rollups: the calendar months entirely inside it are
// mFrom <= month_start < mEnd, and the daily rows of from <= day < mFrom
// and mEnd <= day <= to are the partial months at its ends. A period
// without a whole month (or not made of dates) is mFrom = mEnd = from:
// every day from the daily rows, no monthly row.
func wholeMonths(from, to string) (mFrom, mEnd string) {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil {
		return from, from
	}
	first := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, time.UTC)
	if !first.Equal(f) {
		first = first.AddDate(0, 1, 0)
	}
	after := t.AddDate(0, 0, 1)
	end := time.Date(after.Year(), after.Month(), 1, 0, 0, 0, 0, time.UTC)
	if !end.After(first) {
		return from, from
	}
	return first.Format(time.DateOnly), end.Format(time.DateOnly)
}

// AnalyticsDay is the day of the statistics (Europe/Brussels) for now.
func (db *DB) AnalyticsDay() string { return statsDay(db.now()) }

// AnalyticsDayOf is the statistics day (Europe/Brussels) of t: the day an
// ingested page view of that moment counts on.
func AnalyticsDayOf(t time.Time) string { return statsDay(t) }
