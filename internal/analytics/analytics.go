// Package analytics counts visits to public pages without touching the
// visitor's device and without any visitor identifier (issue: consent-free
// analytics in place of Matomo; contract register category "analytische
// gegevens"). A request is reduced in memory to a few coarse dimensions
// (day, page, referrer host, browser family, device class, language) and
// added to a counter; the IP address and the User-Agent are read, never
// kept. Counts reach the database in batches (the store's AddAnalytics),
// never on the request path.
//
// It imports only the standard library.
package analytics

import (
	"context"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// View is one counted page view's dimensions: the key of a count.
type View struct {
	TenantID string
	Day      string // YYYY-MM-DD
	Path     string // within the tenant, no query string; a form by its key
	Referrer string // "direct", "internal" or a host name
	Browser  string // a family: chrome, firefox, safari, edge, other
	Device   string // desktop, mobile, tablet
	Lang     string // nl, fr, en
}

// Form funnel events.
const (
	EventStarted   = "started"   // a form's first page shown (GET)
	EventPage      = "page"      // a page of a form in steps reached going forward (Page: its index; len(pages) is the review)
	EventSubmitted = "submitted" // a submission stored
	EventError     = "error"     // a validation error on Field
)

// FormEvent is one counted step of a form's funnel: the key of a count.
type FormEvent struct {
	TenantID string
	Day      string
	FormKey  string
	Event    string
	Page     int    // EventPage: the page index; else 0
	Field    string // EventError: the field's key; else ""
}

// Duration is one completed form's time to complete, reduced to a bucket
// of a per form × day histogram: the key of a count. The exact duration
// and when the form was started are never kept.
type Duration struct {
	TenantID string
	Day      string
	FormKey  string
	Bucket   int // the bucket's upper bound in seconds (one of DurationBuckets)
}

// DurationBuckets are the histogram's upper bounds in seconds, fixed so
// that days add up; the last holds everything longer.
var DurationBuckets = []int{30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600, 7200, 14400, 86400}

// DurationBucket is the bucket of a time to complete: the smallest upper
// bound that holds d (the last for anything longer).
func DurationBucket(d time.Duration) int {
	s := d.Seconds()
	for _, b := range DurationBuckets {
		if s <= float64(b) {
			return b
		}
	}
	return DurationBuckets[len(DurationBuckets)-1]
}

// Percentile is the upper bound of the bucket in which the p-th
// percentile (0 < p ≤ 100) of a histogram (bucket → count) falls; 0 for
// an empty histogram. A histogram tells no more precise a figure.
func Percentile(h map[int]int64, p int) int {
	var total int64
	for _, n := range h {
		total += n
	}
	if total == 0 {
		return 0
	}
	need := (total*int64(p) + 99) / 100 // the rank, rounded up
	var seen int64
	for _, b := range DurationBuckets {
		seen += h[b]
		if seen >= need {
			return b
		}
	}
	return DurationBuckets[len(DurationBuckets)-1]
}

// Country is one counted view's country (ISO 3166-1 alpha-2), only when
// a local GeoIP database is configured: the key of a count. It is kept per
// tenant and day alone, not crossed with the page or the browser, so that
// a rare country cannot be combined with other dimensions.
type Country struct {
	TenantID string
	Day      string
	Code     string
}

// Batch is what a flush writes: counts by key.
type Batch struct {
	Views     map[View]int64
	Forms     map[FormEvent]int64
	Durations map[Duration]int64
	Countries map[Country]int64
}

// Empty reports whether b holds nothing.
func (b Batch) Empty() bool {
	return len(b.Views) == 0 && len(b.Forms) == 0 && len(b.Durations) == 0 && len(b.Countries) == 0
}

// Counter holds counts in memory until they are flushed. The zero value is
// not usable; use NewCounter. It is safe for concurrent use.
type Counter struct {
	mu        sync.Mutex
	views     map[View]int64
	forms     map[FormEvent]int64
	durations map[Duration]int64
	countries map[Country]int64
}

// NewCounter returns an empty counter.
func NewCounter() *Counter {
	return &Counter{views: map[View]int64{}, forms: map[FormEvent]int64{}, durations: map[Duration]int64{}, countries: map[Country]int64{}}
}

// CountView adds one view.
func (c *Counter) CountView(v View) {
	c.mu.Lock()
	c.views[v]++
	c.mu.Unlock()
}

// CountForm adds one funnel event.
func (c *Counter) CountForm(e FormEvent) {
	c.mu.Lock()
	c.forms[e]++
	c.mu.Unlock()
}

// CountDuration adds one completed form to its time-to-complete bucket.
func (c *Counter) CountDuration(d Duration) {
	c.mu.Lock()
	c.durations[d]++
	c.mu.Unlock()
}

// CountCountry adds one view to its country.
func (c *Counter) CountCountry(k Country) {
	c.mu.Lock()
	c.countries[k]++
	c.mu.Unlock()
}

// Drain takes every count out of the counter.
func (c *Counter) Drain() Batch {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := Batch{Views: c.views, Forms: c.forms, Durations: c.durations, Countries: c.countries}
	c.views, c.forms, c.durations, c.countries = map[View]int64{}, map[FormEvent]int64{}, map[Duration]int64{}, map[Country]int64{}
	return b
}

// Restore puts a batch that could not be written back, so that the next
// flush tries again instead of losing it.
func (c *Counter) Restore(b Batch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	addAll(c.views, b.Views)
	addAll(c.forms, b.Forms)
	addAll(c.durations, b.Durations)
	addAll(c.countries, b.Countries)
}

// addAll adds src's counts to dst's.
func addAll[K comparable](dst, src map[K]int64) {
	for k, n := range src {
		dst[k] += n
	}
}

// Flush drains the counter into write; on failure the counts go back.
func (c *Counter) Flush(ctx context.Context, write func(context.Context, Batch) error) error {
	b := c.Drain()
	if b.Empty() {
		return nil
	}
	if err := write(ctx, b); err != nil {
		c.Restore(b)
		return err
	}
	return nil
}

// Run flushes every interval until ctx ends, then once more with a fresh
// context bounded by final, so that a shutdown loses no counts. Errors go
// to report (nil: ignored); the counts stay for the next try.
func (c *Counter) Run(ctx context.Context, every, final time.Duration, write func(context.Context, Batch) error, report func(error)) {
	if report == nil {
		report = func(error) {}
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := c.Flush(ctx, write); err != nil {
				report(err)
			}
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), final)
			if err := c.Flush(fctx, write); err != nil {
				report(err)
			}
			cancel()
			return
		}
	}
}

// ReferrerHost reduces a Referer header to the dimension kept: "direct"
// without one (or an unreadable one), "internal" from own host, else the
// host name alone, lower case, without port or "www.": never a path or
// query, which may carry identifiers.
func ReferrerHost(referer, ownHost string) string {
	if referer == "" {
		return "direct"
	}
	u, err := url.Parse(referer)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "direct"
	}
	h := strings.ToLower(u.Hostname())
	own := strings.ToLower(ownHost)
	if i := strings.LastIndexByte(own, ':'); i >= 0 && !strings.Contains(own[i:], "]") {
		own = own[:i]
	}
	if h == own {
		return "internal"
	}
	h = strings.TrimPrefix(h, "www.")
	if _, err := netip.ParseAddr(h); err == nil || len(h) > 253 || !validHost(h) {
		return "other"
	}
	return h
}

// validHost accepts letters, digits, dots and dashes: a referrer that is
// not a plain host name (an IP literal in brackets, junk) is not kept as such.
func validHost(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
