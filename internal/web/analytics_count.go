package web

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/form"
)

// Consent-free analytics: public pages are counted on the server from the
// request itself, in memory (analytics.Counter), and flushed to aggregate
// tables by a background flusher (cli serve), never on the request path.
// The User-Agent is read only to classify it, and the IP address only to
// look its country up in a local database when one is configured
// (Options.GeoIP); neither is kept or logged, and no cookie, script or
// pixel is involved.

// maxCountedPath bounds the page dimension: longer paths are not real pages.
const maxCountedPath = 200

// counted wraps a public page's handler so that a successful view is
// counted. Without Options.Analytics it returns h itself.
func (a *App) counted(h http.HandlerFunc) http.HandlerFunc {
	if a.opts.Analytics == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		h(w, r)
		a.countView(r)
	}
}

// countView counts r as a view of its page when it is one: a GET (the mux
// sends HEAD to GET routes too) answered 200, not a prefetch, not a bot.
func (a *App) countView(r *http.Request) {
	if r.Method != http.MethodGet || prefetch(r) {
		return
	}
	if st := stateFrom(r.Context()); st == nil || st.status != http.StatusOK {
		return
	}
	c := analytics.Classify(r.UserAgent())
	if c.Bot {
		return
	}
	t := tenantFrom(r.Context())
	path := strings.TrimPrefix(r.URL.Path, "/"+t.Slug)
	if path == "" {
		path = "/"
	}
	if len(path) > maxCountedPath {
		return
	}
	day := a.analyticsDay()
	a.opts.Analytics.CountView(analytics.View{TenantID: t.ID, Day: day, Path: path,
		Referrer: analytics.ReferrerHost(r.Referer(), r.Host), Browser: c.Browser, Device: c.Device,
		Lang: string(LangFrom(r.Context()))})
	if a.opts.GeoIP != nil {
		// Only the country code leaves this function; the address is
		// dropped with the request.
		if ip, err := netip.ParseAddr(a.clientIP(r)); err == nil {
			if code := a.opts.GeoIP.Country(ip); code != "" {
				a.opts.Analytics.CountCountry(analytics.Country{TenantID: t.ID, Day: day, Code: code})
			}
		}
	}
}

// prefetch reports a speculative load, which is not a visit.
func prefetch(r *http.Request) bool {
	for _, h := range []string{"Sec-Purpose", "Purpose", "X-Purpose", "X-Moz"} {
		if v := r.Header.Get(h); v != "" && (strings.Contains(v, "prefetch") || strings.Contains(v, "prerender") || v == "preview") {
			return true
		}
	}
	return false
}

// countForm counts one step of a form's funnel (not for bots).
func (a *App) countForm(r *http.Request, formKey, event string, page int, field string) {
	if a.opts.Analytics == nil || analytics.Classify(r.UserAgent()).Bot {
		return
	}
	a.opts.Analytics.CountForm(analytics.FormEvent{TenantID: tenantFrom(r.Context()).ID, Day: a.analyticsDay(),
		FormKey: formKey, Event: event, Page: page, Field: field})
}

// countFormErrors counts the fields a rejected page named, each once.
func (a *App) countFormErrors(r *http.Request, f form.Form, errs []form.FieldError) {
	if a.opts.Analytics == nil {
		return
	}
	seen := map[string]bool{}
	for _, e := range errs {
		k := inputField(f, e.Input)
		if _, known := f.Field(k); !known || seen[k] {
			continue
		}
		seen[k] = true
		a.countForm(r, f.Key, analytics.EventError, 0, k)
	}
}

// countedDay is the statistics day of one second of the clock.
type countedDay struct {
	sec int64
	day string
}

// analyticsDay is the store's statistics day (Europe/Brussels) of now,
// worked out once a second rather than on every request.
func (a *App) analyticsDay() string {
	now := a.opts.Store.Now().Unix()
	if d := a.lastDay.Load(); d != nil && d.sec == now {
		return d.day
	}
	d := &countedDay{sec: now, day: a.opts.Store.AnalyticsDay()}
	a.lastDay.Store(d)
	return d.day
}
