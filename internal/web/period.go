package web

import (
	"net/http"
	"time"
)

// dayLayouts are how people type a day: the date picker's value, and
// dd.mm.jjjj as Belgian offices write it.
var dayLayouts = []string{time.DateOnly, "02.01.2006", "2.1.2006"}

// period reads a from–to filter of whole days in Brussels: from is the
// start of its day, to the end of its (the start of the next). Empty ends
// are open (zero). A day that cannot be read, or an end before the start,
// is a field error at "from" or "to".
func (a *App) period(r *http.Request, from, to string) (time.Time, time.Time, fieldErrors) {
	var errs fieldErrors
	day := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		for _, layout := range dayLayouts {
			if d, err := time.ParseInLocation(layout, s, brussels); err == nil {
				return d
			}
		}
		errs = append(errs, fieldError{field, a.t(r, "inbox.error.date")})
		return time.Time{}
	}
	start, end := day("from", from), day("to", to)
	if !end.IsZero() {
		end = end.AddDate(0, 0, 1)
	}
	if !start.IsZero() && !end.IsZero() && !start.Before(end) {
		errs = append(errs, fieldError{"to", a.t(r, "inbox.error.range")})
	}
	return start, end, errs
}

// periodLabeller is a page whose period is not a time of receipt: it names
// the catalogue keys of its from and to labels (the audit log's "from" is
// when events happened).
type periodLabeller interface {
	PeriodLabels() (from, to string)
}

// periodLabel is the catalogue key of the period-fields label which
// ("from" or "to") on the page of data: the page's own, else the inbox's
// "received from / up to and including".
func periodLabel(data any, which string) string {
	from, to := "inbox.filter.from", "inbox.filter.to"
	if p, ok := data.(periodLabeller); ok {
		from, to = p.PeriodLabels()
	}
	if which == "to" {
		return to
	}
	return from
}
