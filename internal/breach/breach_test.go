package breach

import (
	"reflect"
	"testing"
	"time"
)

var brussels, _ = time.LoadLocation("Europe/Brussels")

func n(v int) *int { return &v }

// TestClauseBRE5_Validate: only the description and the discovery time are
// required; each wrong field is named on its own.
func TestClauseBRE5_Validate(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, brussels)
	disc := now.Add(-time.Hour)
	ok := Report{Description: "Lek", DiscoveredAt: disc}
	for _, c := range []struct {
		name string
		edit func(*Report)
		want map[string]string
	}{
		{"description and discovery suffice", func(*Report) {}, map[string]string{}},
		{"nothing", func(r *Report) { *r = Report{} }, map[string]string{"description": "breach.error.description_required",
			"discovered_at": "breach.error.discovered_required"}},
		{"discovered tomorrow", func(r *Report) { r.DiscoveredAt = now.Add(24 * time.Hour) }, map[string]string{"discovered_at": "breach.error.future"}},
		{"end before start", func(r *Report) {
			r.Occurred, r.OccurredFrom, r.OccurredUntil = OccurredBetween, disc.Add(-time.Hour), disc.Add(-2*time.Hour)
		}, map[string]string{"occurred_until": "breach.error.end_before_start"}},
		{"between without an end", func(r *Report) { r.Occurred, r.OccurredFrom = OccurredBetween, disc }, map[string]string{
			"occurred_until": "breach.error.occurred_until_required"}},
		{"on without a moment", func(r *Report) { r.Occurred = OccurredOn }, map[string]string{"occurred_from": "breach.error.occurred_from_required"}},
		{"unknown moment kind", func(r *Report) { r.Occurred = "E" }, map[string]string{"occurred": "breach.error.choice"}},
		{"at least 10, at most 3", func(r *Report) { r.People, r.PeopleMin, r.PeopleMax = PeopleRange, n(10), n(3) }, map[string]string{
			"people_max": "breach.error.max_below_min"}},
		{"a range without numbers", func(r *Report) { r.People = PeopleRange }, map[string]string{"people_min": "breach.error.people_range_required"}},
		{"at least 10, no maximum", func(r *Report) { r.People, r.PeopleMin = PeopleRange, n(10) }, map[string]string{}},
		{"unknown class letter", func(r *Report) { r.Classes = []string{"B", "R"} }, map[string]string{"classes": "breach.error.class_unknown"}},
		{"unknown circumstance", func(r *Report) { r.Circumstances = []string{"G"} }, map[string]string{"circumstances": "breach.error.circumstance_unknown"}},
		{"encryption maybe", func(r *Report) { r.Encrypted = "maybe" }, map[string]string{"encrypted": "breach.error.choice"}},
		{"contact address", func(r *Report) { r.ContactEmail = "geen adres" }, map[string]string{"contact_email": "breach.error.email"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ok
			c.edit(&r)
			r.Normalize()
			if got := r.Validate(now); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

// TestClauseBRE1_FridayFivePMOverdueSaturdayFivePM: the 24 hours to the
// controller are calendar hours: a breach discovered on Friday 17:00 warns
// from Saturday 11:00 and is overdue at Saturday 17:00; the escalation
// stages follow; a notification stops the clock.
func TestClauseBRE1_FridayFivePMOverdueSaturdayFivePM(t *testing.T) {
	fri := time.Date(2026, 12, 4, 17, 0, 0, 0, brussels)
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, brussels) }
	for _, c := range []struct {
		now              time.Time
		warn, late       bool
		stage            int
		left             time.Duration
		notified, onTime bool
	}{
		{now: at(4, 17, 0), left: 24 * time.Hour},
		{now: at(5, 10, 59), left: 6*time.Hour + time.Minute},
		{now: at(5, 11, 0), warn: true, stage: 18, left: 6 * time.Hour},
		{now: at(5, 16, 59), warn: true, stage: 18, left: time.Minute},
		{now: at(5, 17, 0), late: true, stage: 24},
		{now: at(7, 9, 0), late: true, stage: 24, left: -40 * time.Hour},
	} {
		got := ControllerClock(fri, nil, c.now)
		if got.Warn != c.warn || got.Late != c.late || got.Left != c.left || EscalationStage(fri, c.now) != c.stage {
			t.Errorf("%s: %+v stage %d", c.now, got, EscalationStage(fri, c.now))
		}
		if !got.Due.Equal(at(5, 17, 0)) {
			t.Errorf("due %s", got.Due)
		}
	}
	sent := at(5, 9, 0)
	if c := ControllerClock(fri, &sent, at(6, 9, 0)); !c.Done || c.Late || c.Warn {
		t.Errorf("notified in time: %+v", c)
	}
	late := at(5, 18, 0)
	if c := ControllerClock(fri, &late, at(6, 9, 0)); !c.Done || !c.Late {
		t.Errorf("notified late: %+v", c)
	}
	if c := AuthorityClock(fri, nil, at(7, 17, 0)); !c.Late || !c.Due.Equal(at(7, 17, 0)) {
		t.Errorf("72 hours: %+v", c)
	}
}
