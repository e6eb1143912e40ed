package register

import (
	"reflect"
	"testing"
)

// TestClauseREG1_Diff: the comparison shown before a register change is
// saved, and between two saved versions, names every item added, removed
// or changed, field by field, and nothing else.
func TestClauseREG1_Diff(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *Register)
		want   []Change
	}{
		{"no change", func(r *Register) {}, nil},
		{"reordered items and list values are no change", func(r *Register) {
			r.Purposes[0], r.Purposes[1] = r.Purposes[1], r.Purposes[0]
			c := &r.Categories[5]
			c.Purposes[0], c.Purposes[1] = c.Purposes[1], c.Purposes[0]
		}, nil},
		{"retention shortened", func(r *Register) { r.Categories[5].RetentionDays = 365 }, []Change{
			{Op: Changed, Section: "categories", Key: "contact", Fields: []FieldChange{{Field: "retention_days", Old: "730", New: "365"}}},
		}},
		{"expiry action, start and class", func(r *Register) {
			c := &r.Categories[0]
			c.Expiry, c.RetentionStart, c.Class = ExpiryAnonymise, StartCaseClosed, "3.00"
		}, []Change{
			{Op: Changed, Section: "categories", Key: "identity", Fields: []FieldChange{
				{Field: "class", Old: "3.01", New: "3.00"},
				{Field: "retention_start", Old: "", New: "case_closed"},
				{Field: "expiry", Old: "delete", New: "anonymise"}}},
		}},
		{"a text changes in one language only", func(r *Register) {
			r.DataSubjects[0].Name = Text{"nl": r.DataSubjects[0].Name["nl"], "fr": "Habitants", "en": r.DataSubjects[0].Name["en"]}
		}, []Change{
			{Op: Changed, Section: "data_subjects", Key: "residents", Fields: []FieldChange{{Field: "name", Lang: "fr", Old: "Habitants et demandeurs", New: "Habitants"}}},
		}},
		{"a text loses its English", func(r *Register) {
			r.Duration = Text{"nl": r.Duration["nl"], "fr": r.Duration["fr"]}
		}, []Change{
			{Op: Changed, Fields: []FieldChange{{Field: "duration", Lang: "en", Old: "Term of the main agreement", New: ""}}},
		}},
		{"the register's own fields", func(r *Register) { r.DPOContact = "https://demo.example/privacy" }, []Change{
			{Op: Changed, Fields: []FieldChange{{Field: "dpo_contact", Old: "privacy@demo.example", New: "https://demo.example/privacy"}}},
		}},
		{"list values added and removed", func(r *Register) {
			r.Categories[5].Recipients = []string{"case-system", "social-service"}
		}, []Change{
			{Op: Changed, Section: "categories", Key: "contact", Fields: []FieldChange{{Field: "recipients",
				Added: []string{"social-service"}, Removed: []string{"services"}}}},
		}},
		{"sub-processor removed", func(r *Register) { r.SubProcessors = r.SubProcessors[1:] }, []Change{
			{Op: Removed, Section: "sub_processors", Key: "hosting"},
		}},
		{"data subject added: every field it fills in", func(r *Register) {
			r.DataSubjects = append(r.DataSubjects, DataSubject{Key: "students", Name: Text{"nl": "Leerlingen", "fr": "Élèves"}})
		}, []Change{
			{Op: Added, Section: "data_subjects", Key: "students", Fields: []FieldChange{
				{Field: "name", Lang: "nl", New: "Leerlingen"}, {Field: "name", Lang: "fr", New: "Élèves"}}},
		}},
		{"a renamed key is a removal and an addition", func(r *Register) { r.Applications[0].Key = "eloket" }, []Change{
			{Op: Removed, Section: "applications", Key: "e-loket"},
			{Op: Added, Section: "applications", Key: "eloket", Fields: itemFields(t, Demo().Applications[0])},
		}},
		{"sections in document order", func(r *Register) {
			r.Applications[0].Name = "Kluis"
			r.Purposes[3].LegalBasis = "consent"
			r.Recipients[0].Country = "NL"
		}, []Change{
			{Op: Changed, Section: "purposes", Key: "analytics", Fields: []FieldChange{{Field: "legal_basis", Old: "legitimate_interest", New: "consent"}}},
			{Op: Changed, Section: "recipients", Key: "services", Fields: []FieldChange{{Field: "country", Old: "BE", New: "NL"}}},
			{Op: Changed, Section: "applications", Key: "e-loket", Fields: []FieldChange{{Field: "name", Old: "Kluis e-loket", New: "Kluis"}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, new := Demo(), Demo()
			tt.change(&new)
			if got := Diff(old, new); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Diff =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
	// Both ways: what one direction adds, the other removes.
	old, new := Demo(), Demo()
	new.Recipients = new.Recipients[:1]
	for _, c := range Diff(new, old) {
		if c.Op != Added || c.Section != "recipients" {
			t.Errorf("reverse diff: %+v", c)
		}
	}
}

// itemFields is what Diff lists for an added application: every field it
// fills in.
func itemFields(t *testing.T, a Application) []FieldChange {
	t.Helper()
	var out []FieldChange
	out = append(out, FieldChange{Field: "name", New: a.Name})
	out = append(out, FieldChange{Field: "categories", Added: a.Categories})
	for _, f := range []struct {
		name string
		text Text
	}{{"storage", a.Storage}, {"transfer", a.Transfer}, {"access", a.Access}} {
		for _, l := range []string{"nl", "fr", "en"} {
			if f.text[l] != "" {
				out = append(out, FieldChange{Field: f.name, Lang: l, New: f.text[l]})
			}
		}
	}
	return out
}
