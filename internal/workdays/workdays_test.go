package workdays

import (
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, Brussels) }

func TestEaster(t *testing.T) {
	for year, want := range map[int]time.Time{
		2000: date(2000, time.April, 23), 2019: date(2019, time.April, 21), 2024: date(2024, time.March, 31),
		2025: date(2025, time.April, 20), 2026: date(2026, time.April, 5), 2027: date(2027, time.March, 28),
		2038: date(2038, time.April, 25),
	} {
		if got := Easter(year); !got.Equal(want) {
			t.Errorf("Easter(%d) = %s, want %s", year, got.Format("2006-01-02"), want.Format("2006-01-02"))
		}
	}
}

// TestClauseAUD4_HolidaysAreNotWorkingDays: the ten federal public holidays
// and weekends are not working days; ordinary weekdays are.
func TestClauseAUD4_HolidaysAreNotWorkingDays(t *testing.T) {
	for _, c := range []struct {
		day     time.Time
		holiday string
		working bool
	}{
		{date(2027, time.January, 1), "new_year", false},
		{date(2027, time.March, 29), "easter_monday", false},
		{date(2027, time.May, 1), "labour_day", false},
		{date(2027, time.May, 6), "ascension", false},
		{date(2027, time.May, 17), "whit_monday", false},
		{date(2027, time.July, 21), "national_day", false},
		{date(2026, time.August, 14), "", true},
		{date(2027, time.August, 16), "", true}, // 15 August 2027 is a Sunday; Belgium moves nothing
		{date(2026, time.November, 11), "armistice", false},
		{date(2026, time.December, 25), "christmas", false},
		{date(2026, time.April, 6), "easter_monday", false},
		{date(2026, time.May, 14), "ascension", false},
		{date(2026, time.May, 25), "whit_monday", false},
		{date(2027, time.March, 26), "", true},  // Good Friday is no federal holiday
		{date(2027, time.March, 27), "", false}, // Saturday
		{date(2027, time.March, 28), "", false}, // Easter Sunday
		{date(2026, time.December, 24), "", true},
	} {
		if got := Holiday(c.day); got != c.holiday {
			t.Errorf("Holiday(%s) = %q, want %q", c.day.Format("2006-01-02"), got, c.holiday)
		}
		if got := IsWorkingDay(c.day); got != c.working {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", c.day.Format("Mon 2006-01-02"), got, c.working)
		}
	}
}

// TestClauseAUD4_WorkingDaysSkipHolidays: counting n working days ahead
// skips weekends and holidays, counts from the Brussels date (not UTC's),
// and AtLeast compares dates, not times of day.
func TestClauseAUD4_WorkingDaysSkipHolidays(t *testing.T) {
	for _, c := range []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		{"Friday before Easter Monday", date(2027, time.March, 26).Add(15 * time.Hour), 1, date(2027, time.March, 30)},
		{"across Ascension", date(2027, time.May, 3).Add(9 * time.Hour), 5, date(2027, time.May, 11)},
		{"across Christmas", date(2026, time.December, 23), 5, date(2026, time.December, 31)},
		{"across Christmas and New Year", date(2026, time.December, 23), 6, date(2027, time.January, 4)},
		{"across 21 July", date(2027, time.July, 19), 3, date(2027, time.July, 23)},
		{"across a weekend only", date(2027, time.June, 4), 5, date(2027, time.June, 11)},
		// 22:30 UTC on 28 March 2027 is 00:30 on Easter Monday in Brussels.
		{"Brussels date, not UTC", time.Date(2027, time.March, 28, 22, 30, 0, 0, time.UTC), 1, date(2027, time.March, 30)},
		{"zero", date(2027, time.June, 5), 0, date(2027, time.June, 5)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Add(c.from, c.n); !got.Equal(c.want) {
				t.Fatalf("Add(%s, %d) = %s, want %s", c.from, c.n, got.Format("Mon 2006-01-02"), c.want.Format("Mon 2006-01-02"))
			}
			if c.n > 0 {
				if !AtLeast(c.from, c.want.Add(time.Minute), c.n) || !AtLeast(c.from, c.want.Add(23*time.Hour), c.n) {
					t.Fatal("the n-th working day itself is not far enough")
				}
				if AtLeast(c.from, c.want.Add(-time.Minute), c.n) {
					t.Fatal("the day before the n-th working day is far enough")
				}
			}
		})
	}
}

func TestParseLocal(t *testing.T) {
	want := time.Date(2027, time.May, 6, 9, 30, 0, 0, Brussels)
	for _, s := range []string{"2027-05-06T09:30", "2027-05-06 09:30", "06.05.2027 09:30", "6.5.2027 09:30", " 2027-05-06T07:30:00Z "} {
		if got, err := ParseLocal(s); err != nil || !got.Equal(want) {
			t.Errorf("ParseLocal(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "tomorrow", "2027-13-01T09:00", "31.02.2027 10:00", "2027-05-06"} {
		if _, err := ParseLocal(s); err == nil {
			t.Errorf("ParseLocal(%q) succeeded", s)
		}
	}
}

// TestClauseREG5_WorkingDaysBeforeADeadline: a reminder n working days
// before a deadline skips weekends and holidays backwards, and the
// deadline's own date never counts, whatever its time of day.
func TestClauseREG5_WorkingDaysBeforeADeadline(t *testing.T) {
	for _, c := range []struct {
		name     string
		deadline time.Time
		n        int
		want     time.Time
	}{
		{"monday back to friday", date(2026, time.December, 14), 1, date(2026, time.December, 11)},
		{"three before a wednesday", date(2026, time.December, 16).Add(23*time.Hour + 59*time.Minute), 3, date(2026, time.December, 11)},
		{"over easter monday", date(2027, time.March, 30), 1, date(2027, time.March, 26)},
		{"over christmas", date(2026, time.December, 28), 2, date(2026, time.December, 23)},
		{"zero is the day itself", date(2026, time.December, 16).Add(15 * time.Hour), 0, date(2026, time.December, 16)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Before(c.deadline, c.n); !got.Equal(c.want) {
				t.Fatalf("Before(%s, %d) = %s, want %s", c.deadline, c.n, got.Format("2006-01-02"), c.want.Format("2006-01-02"))
			}
		})
	}
}
