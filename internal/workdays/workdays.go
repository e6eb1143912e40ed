// Package workdays is the Belgian working-day calendar that maintenance
// notices are measured in (AUD-4: the supplier looks at personal data only
// at the controller's request or after notice, given a number of working
// days ahead). Saturdays, Sundays and the ten federal public holidays are
// not working days; dates are read in Europe/Brussels time. It imports only
// the standard library.
package workdays

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Brussels also on a host without a zone database
)

// Brussels is the time zone every date here is read in.
var Brussels = mustZone("Europe/Brussels")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// Easter returns Easter Sunday of the year (Gregorian calendar, the
// anonymous "Meeus/Jones/Butcher" computus), at midnight in Brussels.
func Easter(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, Brussels)
}

// Holiday names the Belgian federal public holiday on t's date in
// Brussels, or "" when it is none. The name is a stable code, not a
// sentence.
func Holiday(t time.Time) string {
	t = t.In(Brussels)
	y, m, d := t.Date()
	switch {
	case m == time.January && d == 1:
		return "new_year"
	case m == time.May && d == 1:
		return "labour_day"
	case m == time.July && d == 21:
		return "national_day"
	case m == time.August && d == 15:
		return "assumption"
	case m == time.November && d == 1:
		return "all_saints"
	case m == time.November && d == 11:
		return "armistice"
	case m == time.December && d == 25:
		return "christmas"
	}
	date := time.Date(y, m, d, 0, 0, 0, 0, Brussels)
	easter := Easter(y)
	switch {
	case date.Equal(easter.AddDate(0, 0, 1)):
		return "easter_monday"
	case date.Equal(easter.AddDate(0, 0, 39)):
		return "ascension"
	case date.Equal(easter.AddDate(0, 0, 50)):
		return "whit_monday"
	}
	return ""
}

// IsWorkingDay reports whether t's date in Brussels is a working day: not a
// Saturday, Sunday or public holiday.
func IsWorkingDay(t time.Time) bool {
	switch t.In(Brussels).Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return Holiday(t) == ""
}

// day is t's date at midnight in Brussels.
func day(t time.Time) time.Time {
	y, m, d := t.In(Brussels).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Brussels)
}

// Add returns the start (midnight, Brussels) of the n-th working day after
// from's date; from's own date never counts, so notice given on a Friday
// with n = 1 reaches Monday (or Tuesday after Easter Monday).
func Add(from time.Time, n int) time.Time {
	d := day(from)
	for n > 0 {
		d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, Brussels)
		if IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// Before returns the start (midnight, Brussels) of the n-th working day
// before t's date; t's own date never counts, so n = 1 before a Monday
// deadline is the Friday before it. A reminder "n working days ahead" of
// a deadline falls due then (REG-5).
func Before(t time.Time, n int) time.Time {
	d := day(t)
	for n > 0 {
		d = time.Date(d.Year(), d.Month(), d.Day()-1, 0, 0, 0, 0, Brussels)
		if IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// AtLeast reports whether to falls on or after the n-th working day after
// from's date (in Brussels): "to is at least n working days after from".
// The time of day does not matter, only the dates.
func AtLeast(from, to time.Time, n int) bool {
	return !day(to).Before(Add(from, n))
}

// layouts are the ways a person may type a local date and time: ISO
// (2027-05-06T09:00, with a space too) and the Belgian dd.mm.jjjj uu:mm.
var layouts = []string{"2006-01-02T15:04", "2006-01-02 15:04", "02.01.2006 15:04", "2.1.2006 15:04", "02/01/2006 15:04"}

// ParseLocal reads a date and time typed in Brussels local time (or an
// RFC 3339 time with its own offset).
func ParseLocal(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, Brussels); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is no date and time like 2027-05-06T09:00 or 06.05.2027 09:00", s)
}
