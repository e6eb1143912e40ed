package dsr

import (
	"testing"
	"time"
)

func TestDueAtIsOneMonthToTheEndOfTheDay(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, brussels)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ received, due, extended string }{
		{"2026-03-10 09:00", "2026-04-11 00:00", "2026-06-11 00:00"},
		{"2026-01-31 23:30", "2026-03-01 00:00", "2026-05-01 00:00"}, // no 31 February: the last day of February
		{"2026-12-15 12:00", "2027-01-16 00:00", "2027-03-16 00:00"},
	} {
		if got := DueAt(at(c.received)); !got.Equal(at(c.due)) {
			t.Errorf("DueAt(%s) = %s, want %s", c.received, got.In(brussels), c.due)
		}
		if got := Extended(at(c.received)); !got.Equal(at(c.extended)) {
			t.Errorf("Extended(%s) = %s, want %s", c.received, got.In(brussels), c.extended)
		}
	}
	due := DueAt(at("2026-03-10 09:00"))
	for now, want := range map[string]int{"2026-03-10 09:00": 31, "2026-04-10 23:59": 0, "2026-04-11 00:01": -1, "2026-04-03 08:00": 7} {
		if got := DaysLeft(due, at(now)); got != want {
			t.Errorf("DaysLeft at %s = %d, want %d", now, got, want)
		}
	}
}
