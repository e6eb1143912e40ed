package api

import (
	"net/http"
	"time"

	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// The visitor statistics as JSON: the same figures as the dashboard and
// its CSV (store.AnalyticsReportOf), every count below store.SuppressBelow
// given as null with suppressed true, never as its number. The aggregates
// hold no personal data and no visitor identifier, so a read is not
// audited (AUD-1 covers reads of personal data).

// AnalyticsMaxDays bounds the period of one call.
const AnalyticsMaxDays = 400

// AnalyticsFigure is one value of a breakdown and its count.
type AnalyticsFigure struct {
	Value      string `json:"value"`
	Count      *int64 `json:"count"`
	Suppressed bool   `json:"suppressed"`
}

// AnalyticsStep is one step of a form's funnel.
type AnalyticsStep struct {
	Step       string `json:"step"`           // started, page, submitted
	Page       int    `json:"page,omitempty"` // step page: the page reached, from 1
	Count      *int64 `json:"count"`
	Suppressed bool   `json:"suppressed"`
	// AbandonedPercent: of the previous step's visitors, the share that
	// did not reach this one; null for the first step and next to a
	// suppressed count.
	AbandonedPercent *int64 `json:"abandoned_percent"`
}

// AnalyticsDuration is a form's time to complete: the bucket upper bounds
// (seconds) its median and 90th percentile fall in, null when fewer than
// store.SuppressBelow completions were timed.
type AnalyticsDuration struct {
	P50Seconds *int `json:"p50_seconds"`
	P90Seconds *int `json:"p90_seconds"`
	Suppressed bool `json:"suppressed"`
}

// AnalyticsForm is one form's funnel, validation errors and time to
// complete.
type AnalyticsForm struct {
	Form           string             `json:"form"`
	Steps          []AnalyticsStep    `json:"steps"`
	Errors         []AnalyticsFigure  `json:"errors"` // value: the field's key
	TimeToComplete *AnalyticsDuration `json:"time_to_complete"`
}

// Analytics is the answer of GET …/analytics.
type Analytics struct {
	From            string            `json:"from"`
	To              string            `json:"to"`
	SuppressedBelow int               `json:"suppressed_below"`
	Days            []AnalyticsFigure `json:"days"`
	Pages           []AnalyticsFigure `json:"pages"`
	Referrers       []AnalyticsFigure `json:"referrers"`
	Devices         []AnalyticsFigure `json:"devices"`
	Browsers        []AnalyticsFigure `json:"browsers"`
	Languages       []AnalyticsFigure `json:"languages"`
	Countries       []AnalyticsFigure `json:"countries"`
	Forms           []AnalyticsForm   `json:"forms"`
}

func figure(c store.AnalyticsCount) AnalyticsFigure {
	f := AnalyticsFigure{Value: c.Key, Suppressed: c.Suppressed}
	if !c.Suppressed {
		n := c.Count
		f.Count = &n
	}
	return f
}

func figures(cs []store.AnalyticsCount) []AnalyticsFigure {
	out := make([]AnalyticsFigure, 0, len(cs))
	for _, c := range cs {
		out = append(out, figure(c))
	}
	return out
}

// analyticsPeriod reads from and to (YYYY-MM-DD, both inclusive; by
// default the last 30 days up to today, Europe/Brussels, as the
// dashboard), each bad one named.
func (a *API) analyticsPeriod(r *http.Request) (string, string, []FieldError) {
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		brussels = time.UTC
	}
	now := a.opts.Store.Now().In(brussels)
	from, to := now.AddDate(0, 0, -29), now
	var errs []FieldError
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &from}, {"to", &to}} {
		if s := q.Get(p.name); s != "" {
			d, err := time.ParseInLocation(time.DateOnly, s, brussels)
			if err != nil {
				errs = append(errs, fieldError(r, p.name, "analyticsapi.error.date"))
				continue
			}
			*p.t = d
		}
	}
	fromDay, toDay := from.Format(time.DateOnly), to.Format(time.DateOnly)
	if len(errs) == 0 {
		f, _ := time.Parse(time.DateOnly, fromDay)
		t, _ := time.Parse(time.DateOnly, toDay)
		switch {
		case t.Before(f):
			errs = append(errs, fieldError(r, "to", "analyticsapi.error.range"))
		case t.Sub(f) >= AnalyticsMaxDays*24*time.Hour:
			errs = append(errs, fieldError(r, "to", "analyticsapi.error.too_long"))
		}
	}
	return fromDay, toDay, errs
}

// analyticsShow answers the tenant's statistics of a period.
func (a *API) analyticsShow(w http.ResponseWriter, r *http.Request, t tenant.Tenant, k store.APIKey) {
	from, to, errs := a.analyticsPeriod(r)
	if len(errs) > 0 {
		a.problem(w, r, http.StatusUnprocessableEntity, "unprocessable", errs)
		return
	}
	rep, err := a.opts.Store.AnalyticsReportOf(r.Context(), t.ID, from, to)
	if err != nil {
		a.internalError(w, r, "analytics report", err)
		return
	}
	out := Analytics{From: from, To: to, SuppressedBelow: store.SuppressBelow, Days: figures(rep.Days),
		Pages: figures(rep.By["path"]), Referrers: figures(rep.By["referrer"]), Devices: figures(rep.By["device"]),
		Browsers: figures(rep.By["browser"]), Languages: figures(rep.By["lang"]), Countries: figures(rep.By["country"]),
		Forms: []AnalyticsForm{}}
	for _, fr := range rep.Forms {
		f := AnalyticsForm{Form: fr.Key, Steps: []AnalyticsStep{}, Errors: []AnalyticsFigure{}}
		var prev *store.FunnelStep
		for i := range fr.Steps {
			s := &fr.Steps[i]
			if s.Event == analytics.EventError {
				e := figure(s.AnalyticsCount)
				e.Value = s.Field
				f.Errors = append(f.Errors, e)
				continue
			}
			fig := figure(s.AnalyticsCount)
			st := AnalyticsStep{Step: s.Event, Count: fig.Count, Suppressed: fig.Suppressed}
			if s.Event == analytics.EventPage {
				st.Page = s.Page + 1
			}
			if pct, ok := store.Abandonment(prev, s); ok {
				st.AbandonedPercent = &pct
			}
			f.Steps = append(f.Steps, st)
			prev = s
		}
		if d := fr.Duration; d != nil {
			f.TimeToComplete = &AnalyticsDuration{Suppressed: d.Suppressed}
			if !d.Suppressed {
				p50, p90 := d.P50, d.P90
				f.TimeToComplete.P50Seconds, f.TimeToComplete.P90Seconds = &p50, &p90
			}
		}
		out.Forms = append(out.Forms, f)
	}
	writeJSON(w, http.StatusOK, out)
}
