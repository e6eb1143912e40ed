// Package breach holds the rules of the breach register (BRE-1…BRE-5): the
// annex-2 form as data, its validation field by field, and the clocks that
// run from the discovery of a breach. Pure Go, standard library only.
package breach

import (
	"net/mail"
	"slices"
	"strings"
	"time"
)

// When the breach happened (annex 2, "tijdstip van het datalek").
const (
	OccurredOn      = "A" // on a date and time
	OccurredBetween = "B" // between two moments
	OccurredUnknown = "C" // not yet known
	OccurredReport  = "D" // an anonymous report by a third party
)

// How many people are affected.
const (
	PeopleNone    = "A" // none traceable to a person
	PeopleUnknown = "B" // not yet known
	PeopleRange   = "C" // at least … and at most …
)

// Whether the data was made unintelligible.
const (
	EncryptedYes    = "yes"
	EncryptedNo     = "no"
	EncryptedPartly = "partly"
)

// Classes are the letters of the classification of the data (BRE-5, A–Q).
var Classes = []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q"}

// Circumstances are the letters of what happened to the data (BRE-5, A–F).
var Circumstances = []string{"A", "B", "C", "D", "E", "F"}

// OccurredKinds, PeopleKinds and EncryptedKinds are the choices in the
// order of the form.
var (
	OccurredKinds  = []string{OccurredOn, OccurredBetween, OccurredUnknown, OccurredReport}
	PeopleKinds    = []string{PeopleNone, PeopleUnknown, PeopleRange}
	EncryptedKinds = []string{EncryptedYes, EncryptedNo, EncryptedPartly}
)

// Report is the annex-2 form (BRE-5) as one version of a breach holds it.
// Only Description and DiscoveredAt are required (BRE-1: report even when
// the information is incomplete); the rest may follow in updates. The date
// of the form is the version's own time, not a field.
type Report struct {
	ContactName  string `json:"contact_name,omitempty"`
	ContactEmail string `json:"contact_email,omitempty"`
	ContactPhone string `json:"contact_phone,omitempty"`

	CompanyName    string `json:"company_name,omitempty"`
	CompanyAddress string `json:"company_address,omitempty"`
	CompanyVAT     string `json:"company_vat,omitempty"`

	DiscovererName  string    `json:"discoverer_name,omitempty"`
	DiscovererTitle string    `json:"discoverer_title,omitempty"`
	DiscoveredAt    time.Time `json:"discovered_at"`

	Description string `json:"description"`

	Occurred      string    `json:"occurred,omitempty"` // OccurredOn…OccurredReport, "" not filled in
	OccurredFrom  time.Time `json:"occurred_from,omitempty"`
	OccurredUntil time.Time `json:"occurred_until,omitempty"`

	Classes    []string `json:"classes,omitempty"`     // letters of Classes
	ClassOther string   `json:"class_other,omitempty"` // what Q ("other") is

	People    string `json:"people,omitempty"` // PeopleNone…PeopleRange
	PeopleMin *int   `json:"people_min,omitempty"`
	PeopleMax *int   `json:"people_max,omitempty"`
	Group     string `json:"group,omitempty"`

	Circumstances []string `json:"circumstances,omitempty"` // letters of Circumstances

	Encrypted    string `json:"encrypted,omitempty"` // EncryptedYes, EncryptedNo, EncryptedPartly
	EncryptedHow string `json:"encrypted_how,omitempty"`

	Measures string `json:"measures,omitempty"`
}

// Limits of the free text, in characters.
const (
	ShortMax = 200
	LongMax  = 8000
)

// Normalize trims the texts and sorts the letters, so that equal content
// hashes equally.
func (r *Report) Normalize() {
	for _, s := range []*string{&r.ContactName, &r.ContactEmail, &r.ContactPhone, &r.CompanyName, &r.CompanyAddress, &r.CompanyVAT,
		&r.DiscovererName, &r.DiscovererTitle, &r.Description, &r.ClassOther, &r.Group, &r.EncryptedHow, &r.Measures} {
		*s = strings.TrimSpace(strings.ReplaceAll(*s, "\r\n", "\n"))
	}
	r.ContactEmail = strings.ToLower(r.ContactEmail)
	r.Classes = sortedUnique(r.Classes)
	r.Circumstances = sortedUnique(r.Circumstances)
	r.DiscoveredAt, r.OccurredFrom, r.OccurredUntil = r.DiscoveredAt.UTC(), r.OccurredFrom.UTC(), r.OccurredUntil.UTC()
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	for i := range out {
		out[i] = strings.ToUpper(strings.TrimSpace(out[i]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Validate returns the report's problems, field (the form input's id) →
// message key, empty when the report may be saved. now bounds the times: a
// discovery or an incident cannot lie in the future.
func (r Report) Validate(now time.Time) map[string]string {
	bad := map[string]string{}
	long := func(field, v string, max int) {
		if len([]rune(v)) > max {
			bad[field] = "breach.error.too_long"
		}
	}
	for field, v := range map[string]string{"contact_name": r.ContactName, "contact_email": r.ContactEmail, "contact_phone": r.ContactPhone,
		"company_name": r.CompanyName, "company_address": r.CompanyAddress, "company_vat": r.CompanyVAT,
		"discoverer_name": r.DiscovererName, "discoverer_title": r.DiscovererTitle, "class_other": r.ClassOther} {
		long(field, v, ShortMax)
	}
	for field, v := range map[string]string{"description": r.Description, "group": r.Group, "encrypted_how": r.EncryptedHow, "measures": r.Measures} {
		long(field, v, LongMax)
	}
	if r.ContactEmail != "" {
		if a, err := mail.ParseAddress(r.ContactEmail); err != nil || a.Address != r.ContactEmail {
			bad["contact_email"] = "breach.error.email"
		}
	}
	if r.Description == "" {
		bad["description"] = "breach.error.description_required"
	}
	switch {
	case r.DiscoveredAt.IsZero():
		bad["discovered_at"] = "breach.error.discovered_required"
	case r.DiscoveredAt.After(now):
		bad["discovered_at"] = "breach.error.future"
	}
	switch r.Occurred {
	case "", OccurredUnknown, OccurredReport:
	case OccurredOn:
		if r.OccurredFrom.IsZero() {
			bad["occurred_from"] = "breach.error.occurred_from_required"
		}
	case OccurredBetween:
		if r.OccurredFrom.IsZero() {
			bad["occurred_from"] = "breach.error.occurred_from_required"
		}
		if r.OccurredUntil.IsZero() {
			bad["occurred_until"] = "breach.error.occurred_until_required"
		} else if !r.OccurredFrom.IsZero() && r.OccurredUntil.Before(r.OccurredFrom) {
			bad["occurred_until"] = "breach.error.end_before_start"
		}
	default:
		bad["occurred"] = "breach.error.choice"
	}
	for _, t := range []struct {
		field string
		at    time.Time
	}{{"occurred_from", r.OccurredFrom}, {"occurred_until", r.OccurredUntil}} {
		if _, seen := bad[t.field]; !seen && t.at.After(now) {
			bad[t.field] = "breach.error.future"
		}
	}
	for _, c := range r.Classes {
		if !slices.Contains(Classes, c) {
			bad["classes"] = "breach.error.class_unknown"
		}
	}
	for _, c := range r.Circumstances {
		if !slices.Contains(Circumstances, c) {
			bad["circumstances"] = "breach.error.circumstance_unknown"
		}
	}
	switch r.People {
	case "", PeopleNone, PeopleUnknown:
	case PeopleRange:
		switch {
		case r.PeopleMin == nil && r.PeopleMax == nil:
			bad["people_min"] = "breach.error.people_range_required"
		case r.PeopleMin != nil && *r.PeopleMin < 0:
			bad["people_min"] = "breach.error.count"
		case r.PeopleMax != nil && *r.PeopleMax < 0:
			bad["people_max"] = "breach.error.count"
		case r.PeopleMin != nil && r.PeopleMax != nil && *r.PeopleMax < *r.PeopleMin:
			bad["people_max"] = "breach.error.max_below_min"
		}
	default:
		bad["people"] = "breach.error.choice"
	}
	switch r.Encrypted {
	case "", EncryptedYes, EncryptedNo:
	case EncryptedPartly:
	default:
		bad["encrypted"] = "breach.error.choice"
	}
	return bad
}

// The clocks from discovery (BRE-1, BRE-3).
const (
	// ControllerWithin: the processor reports to the controller at most
	// 24 hours after discovery (BRE-1).
	ControllerWithin = 24 * time.Hour
	// WarnAfter: the supplier's security officer is warned when the report
	// has not gone out 18 hours after discovery.
	WarnAfter = 18 * time.Hour
	// AuthorityWithin: the controller notifies the GBA within 72 hours
	// (art. 33 GDPR; BRE-3). Counted from the processor's discovery, the
	// earliest moment the controller may be held to.
	AuthorityWithin = 72 * time.Hour
)

// Clock is one deadline's state at a moment.
type Clock struct {
	Due  time.Time
	Done bool          // the duty was met (at DoneAt)
	Late bool          // done after Due, or not done and Due has passed
	Warn bool          // not done, and inside the last quarter before Due
	Left time.Duration // until Due (negative: overdue); 0 when done
}

func clock(start time.Time, within, warn time.Duration, done *time.Time, now time.Time) Clock {
	c := Clock{Due: start.Add(within)}
	if done != nil {
		c.Done, c.Late = true, done.After(c.Due)
		return c
	}
	// A clock set back (NTP, a VM restored) may put now before start:
	// time before discovery does not count, so what is left never exceeds
	// the window.
	c.Left = min(c.Due.Sub(now), within)
	c.Late = !now.Before(c.Due)
	c.Warn = !c.Late && !now.Before(start.Add(warn))
	return c
}

// ControllerClock is the processor's 24-hour clock to the controller
// (BRE-1), stopped by the first notification.
func ControllerClock(discovered time.Time, notified *time.Time, now time.Time) Clock {
	return clock(discovered, ControllerWithin, WarnAfter, notified, now)
}

// AuthorityClock is the controller's 72-hour clock to the GBA (BRE-3),
// stopped when the controller records its notification.
func AuthorityClock(discovered time.Time, notified *time.Time, now time.Time) Clock {
	return clock(discovered, AuthorityWithin, AuthorityWithin-24*time.Hour, notified, now)
}

// EscalationStage is the stage of the security officer's warnings a
// breach not yet reported to the controller has reached at now: 0 none, 18
// (the warning), 24 (overdue). Each stage is mailed once.
func EscalationStage(discovered, now time.Time) int {
	switch d := now.Sub(discovered); {
	case d >= ControllerWithin:
		return 24
	case d >= WarnAfter:
		return 18
	}
	return 0
}
