package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
)

// The visitor statistics: the consent-free analytics aggregates of the
// public pages and form funnels, for whoever reads the settings. The
// aggregates hold no personal data and no visitor identifier, so reading
// them writes no audit event (AUD-1 covers reads of personal data only).
// Every count below store.SuppressBelow is shown as "< 5", never as its
// number, on the page and in the download alike.

// visitsRow is one figure as shown: Label and either Count or "< 5".
type visitsRow struct {
	Label string
	Count string
	// chart geometry (days only)
	X, Y, H int
}

type visitsTable struct {
	ID, Heading, Column string
	Rows                []visitsRow
}

type visitsStep struct {
	Label, Count, Abandon string
}

type visitsForm struct {
	Key, Title string
	Steps      []visitsStep
	P50, P90   string // time to complete; "" when none was timed
}

type visitsPage struct {
	TenantName string
	From, To   string
	Errors     fieldErrors
	Days       []visitsRow
	ChartW     int
	ChartDesc  string
	Tables     []visitsTable
	Forms      []visitsForm
	CSV        string
}

// PeriodLabels names the period's fields: days of visits, not of receipt.
func (visitsPage) PeriodLabels() (string, string) { return "stats.from", "stats.to" }

const visitsChartH = 160 // the bars' drawing height in the SVG

func shownCount(c store.AnalyticsCount) string {
	if c.Suppressed {
		return "< " + strconv.Itoa(store.SuppressBelow)
	}
	return strconv.FormatInt(c.Count, 10)
}

// visitsLabel names a dimension's value for people: a catalogue sentence
// where the value is a code (device, "direct"), else the value (a path, a
// host name).
func (a *App) visitsLabel(r *http.Request, dim, v string) string {
	if key := "visits.value." + dim + "." + v; locale.Has(a.langOf(r), key) {
		return a.t(r, key)
	}
	return v
}

// visitsData reads the period's aggregates.
func (a *App) visitsData(r *http.Request, tenantID string, p *visitsPage) error {
	rep, err := a.opts.Store.AnalyticsReportOf(r.Context(), tenantID, p.From, p.To)
	if err != nil {
		return err
	}
	// The chart runs in time order; days without a row had no visit.
	days := rep.Days
	var max int64
	for _, d := range days {
		if d.Count > max {
			max = d.Count
		}
	}
	for i, d := range days {
		h := 0
		if max > 0 {
			h = int(d.Count * visitsChartH / max)
		}
		if d.Suppressed || h < 2 {
			h = 2 // a visible stub: there were visits, how few is not told
		}
		p.Days = append(p.Days, visitsRow{Label: d.Key, Count: shownCount(d), X: i*24 + 4, Y: visitsChartH - h, H: h})
	}
	p.ChartW = len(days)*24 + 8
	p.ChartDesc = a.t(r, "visits.chart.desc", len(days), p.From, p.To)
	for _, dim := range store.AnalyticsDimensions {
		counts := rep.By[dim]
		if dim == "country" && len(counts) == 0 {
			continue // no GeoIP database configured (or no visit): no table
		}
		tb := visitsTable{ID: "visits-" + dim, Heading: a.t(r, "visits.table."+dim), Column: a.t(r, "visits.col."+dim)}
		for _, c := range counts {
			tb.Rows = append(tb.Rows, visitsRow{Label: a.visitsLabel(r, dim, c.Key), Count: shownCount(c)})
		}
		p.Tables = append(p.Tables, tb)
	}
	for _, fr := range rep.Forms {
		f := visitsForm{Key: fr.Key, Title: a.formTitle(r, tenantID, fr.Key)}
		var prev *store.FunnelStep
		for i := range fr.Steps {
			s := &fr.Steps[i]
			var label string
			switch s.Event {
			case analytics.EventStarted:
				label = a.t(r, "visits.step.started")
			case analytics.EventPage:
				label = a.t(r, "visits.step.page", s.Page+1)
			case analytics.EventSubmitted:
				label = a.t(r, "visits.step.submitted")
			default:
				continue // validation errors are not a step of the funnel
			}
			f.Steps = append(f.Steps, visitsStep{Label: label, Count: shownCount(s.AnalyticsCount), Abandon: abandonment(prev, s)})
			prev = s
		}
		if fr.Duration != nil {
			f.P50, f.P90 = a.shownDuration(r, fr.Duration, fr.Duration.P50), a.shownDuration(r, fr.Duration, fr.Duration.P90)
		}
		if len(f.Steps) > 0 {
			p.Forms = append(p.Forms, f)
		}
	}
	return nil
}

// shownDuration tells a percentile of the time to complete as the bucket
// it falls in ("≤ 5 min"), or "< 5" submissions' worth when suppressed:
// fewer than store.SuppressBelow timed completions tell no time at all.
func (a *App) shownDuration(r *http.Request, d *store.FormDuration, seconds int) string {
	if d.Suppressed {
		return a.t(r, "visits.duration.suppressed", store.SuppressBelow)
	}
	if seconds < 60 {
		return a.t(r, "visits.duration.seconds", seconds)
	}
	return a.t(r, "visits.duration.minutes", seconds/60)
}

// abandonment is the share of the previous step's visitors who did not
// reach this one, as a percentage; "–" for the first step and where either
// count is suppressed (a percentage of a hidden count would reveal it).
func abandonment(prev, cur *store.FunnelStep) string {
	pct, ok := store.Abandonment(prev, cur)
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%d %%", pct)
}

func (a *App) visitsPeriod(w http.ResponseWriter, r *http.Request) (visitsPage, bool) {
	t := tenantFrom(r.Context())
	from, to, errs := a.statsRange(r)
	p := visitsPage{TenantName: t.LegalName, From: from, To: to, Errors: errs}
	if len(errs) > 0 {
		a.render(w, r, http.StatusBadRequest, "visits", p)
		return p, false
	}
	if err := a.visitsData(r, t.ID, &p); err != nil {
		a.internalError(w, r, "visitor statistics", err)
		return p, false
	}
	return p, true
}

func (a *App) visitsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	p, ok := a.visitsPeriod(w, r)
	if !ok {
		return
	}
	p.CSV = "/" + tenantFrom(r.Context()).Slug + "/admin/visits.csv?from=" + p.From + "&to=" + p.To
	a.render(w, r, http.StatusOK, "visits", p)
}

// visitsDownload is the same figures as a CSV for Excel (UTF-8 with BOM,
// semicolons): one row per table, value and count, "< 5" kept.
func (a *App) visitsDownload(w http.ResponseWriter, r *http.Request, me account.User) {
	p, ok := a.visitsPeriod(w, r)
	if !ok {
		return
	}
	head := []string{a.t(r, "visits.csv.table"), a.t(r, "visits.csv.value"), a.t(r, "visits.csv.count"), a.t(r, "visits.col.abandon")}
	var rows [][]string
	for _, d := range p.Days {
		rows = append(rows, []string{a.t(r, "visits.chart.title"), d.Label, d.Count, ""})
	}
	for _, tb := range p.Tables {
		for _, row := range tb.Rows {
			rows = append(rows, []string{tb.Heading, row.Label, row.Count, ""})
		}
	}
	for _, f := range p.Forms {
		for _, s := range f.Steps {
			rows = append(rows, []string{f.Title, s.Label, s.Count, s.Abandon})
		}
		if f.P50 != "" {
			rows = append(rows, []string{f.Title, a.t(r, "visits.duration.p50"), f.P50, ""},
				[]string{f.Title, a.t(r, "visits.duration.p90"), f.P90, ""})
		}
	}
	a.serveTable(w, r, "csv", a.t(r, "visits.csv_name", p.From, p.To), head, rows)
}
