package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// Ingest of page views from a tenant's other web server, for a site Kluis
// does not host: each view is reduced at once to the same coarse
// dimensions as Kluis's own public pages (analytics.Classify,
// analytics.ReferrerHost) and added to the aggregates. The User-Agent is
// read in memory only; no IP address is asked for and nothing that could
// single out a visitor is kept (register category "analytische gegevens").

// Limits of an ingest call.
const (
	IngestMaxViews = 1000 // page views in one call
	// IngestBodyLimit caps an ingest call's body: IngestMaxViews views
	// with long User-Agents and referrers fit, with room to spare.
	IngestBodyLimit int64 = 1 << 20
	IngestMaxAge          = 48 * time.Hour // how old a page view may be
	ingestSkew            = 5 * time.Minute
	ingestMaxPath         = 200 // as the in-process counter: longer paths are not real pages
)

// PageView is one page view a tenant's server reports.
type PageView struct {
	Path      string `json:"path"`
	Referrer  string `json:"referrer"`
	UserAgent string `json:"user_agent"`
	Language  string `json:"language"`
	Time      string `json:"time"`
}

// PageViews is the body of an ingest call.
type PageViews struct {
	PageViews []PageView `json:"pageviews"`
}

// PageViewsIngested is the answer: views counted and views dropped as bots.
type PageViewsIngested struct {
	Counted int `json:"counted"`
	Bots    int `json:"bots"`
}

// ingestLangs are the languages kept as such; others count as "other".
var ingestLangs = map[string]bool{"nl": true, "fr": true, "en": true, "de": true}

// pageviewsIngest validates the whole batch first and writes it in one
// transaction, or nothing: a refused item refuses the call (422, each item
// and field named).
func (a *API) pageviewsIngest(w http.ResponseWriter, r *http.Request, t tenant.Tenant, k store.APIKey) {
	var in PageViews
	if !a.decodeJSON(w, r, &in) {
		return
	}
	if n := len(in.PageViews); n == 0 || n > IngestMaxViews {
		a.problem(w, r, http.StatusUnprocessableEntity, "unprocessable", []FieldError{fieldError(r, "pageviews", "ingest.error.count")})
		return
	}
	now := a.opts.Store.Now()
	batch := analytics.Batch{Views: map[analytics.View]int64{}}
	var errs []FieldError
	out := PageViewsIngested{}
	for i, pv := range in.PageViews {
		field := func(name string) string { return fmt.Sprintf("pageviews[%d].%s", i, name) }
		path, _, _ := strings.Cut(pv.Path, "?") // query strings may carry identifiers: dropped
		path, _, _ = strings.Cut(path, "#")
		if !strings.HasPrefix(path, "/") || len(path) > ingestMaxPath || strings.ContainsAny(path, " \t\r\n") {
			errs = append(errs, fieldError(r, field("path"), "ingest.error.path"))
		}
		at, err := time.Parse(time.RFC3339, pv.Time)
		switch {
		case err != nil:
			errs = append(errs, fieldError(r, field("time"), "ingest.error.time"))
		case at.After(now.Add(ingestSkew)):
			errs = append(errs, fieldError(r, field("time"), "ingest.error.time_future"))
		case at.Before(now.Add(-IngestMaxAge)):
			errs = append(errs, fieldError(r, field("time"), "ingest.error.time_old"))
		}
		if len(pv.Referrer) > 2048 {
			errs = append(errs, fieldError(r, field("referrer"), "ingest.error.referrer"))
		}
		if len(errs) > 0 {
			continue
		}
		c := analytics.Classify(pv.UserAgent)
		if c.Bot {
			out.Bots++
			continue
		}
		ref := pv.Referrer
		if ref != "" && !strings.Contains(ref, "://") {
			ref = "https://" + ref // a host name alone
		}
		batch.Views[analytics.View{TenantID: t.ID, Day: store.AnalyticsDayOf(at), Path: path,
			Referrer: analytics.ReferrerHost(ref, ""), Browser: c.Browser, Device: c.Device, Lang: ingestLang(pv.Language)}]++
		out.Counted++
	}
	if len(errs) > 0 {
		a.problem(w, r, http.StatusUnprocessableEntity, "unprocessable", errs)
		return
	}
	if out.Counted > 0 {
		if err := a.opts.Store.AddAnalytics(r.Context(), batch); err != nil {
			a.internalError(w, r, "ingest page views", err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// ingestLang keeps a language tag's primary subtag when it is one of
// ingestLangs, else "other" (also for none).
func ingestLang(tag string) string {
	if tag == "" {
		return "other"
	}
	primary, _, _ := strings.Cut(strings.ToLower(tag), "-")
	if ingestLangs[primary] {
		return primary
	}
	return "other"
}
