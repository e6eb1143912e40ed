package form

import (
	"slices"
	"testing"

	"github.com/kluis/kluis/internal/register"
)

// TestFormLanguagesCompleteOrNotOffered: a form is offered in Dutch and in
// each language its title is written in; publishing refuses, text by text,
// every missing translation of an offered language (the register's names
// in its notice included), and accepts a form written in Dutch only, which
// is then offered only in Dutch (DSR-3: the notice in the citizen's
// language).
func TestFormLanguagesCompleteOrNotOffered(t *testing.T) {
	reg := register.Demo()
	full := DemoForms()[0]
	if got := full.Offered(); !slices.Equal(got, []string{"nl", "fr", "en"}) {
		t.Fatalf("demo form offered in %v", got)
	}

	dutch := DemoForms()[0]
	dutch.Title, dutch.Intro, dutch.Done = register.Text{"nl": "Vraag"}, register.Text{"nl": "Stel uw vraag."}, nil
	var pages []Page
	for _, p := range dutch.Pages {
		p.Title = register.Text{"nl": p.Title["nl"]}
		var fields []Field
		for _, fl := range p.Fields {
			fl.Label, fl.Help = register.Text{"nl": fl.Label["nl"]}, nil
			var opts []Option
			for _, o := range fl.Options {
				opts = append(opts, Option{Value: o.Value, Label: register.Text{"nl": o.Label["nl"]}})
			}
			fl.Options = opts
			fields = append(fields, fl)
		}
		p.Fields = fields
		pages = append(pages, p)
	}
	dutch.Pages = pages
	if ps := dutch.Publishable(reg); len(ps) > 0 {
		t.Fatalf("a form in Dutch only: %v", ps)
	}
	if got := dutch.Offered(); !slices.Equal(got, []string{"nl"}) || dutch.OffersLang("fr") {
		t.Fatalf("a form in Dutch only is offered in %v", got)
	}

	// Some French: then all of it.
	half := dutch
	half.Title = register.Text{"nl": "Vraag", "fr": "Question"}
	ps := half.Publishable(reg)
	for _, want := range []struct{ path, key string }{
		{"intro.fr", "missing_fr_intro"},
		{"pages[0].title.fr", "missing_fr_page_title"},
		{"pages[0].fields[0].label.fr", "missing_fr_label"},
		{"pages[0].fields[3].options[1].label.fr", "missing_fr_option"},
	} {
		if !problemAt(ps, want.path, want.key) {
			t.Errorf("no %s at %s in %v", want.key, want.path, ps)
		}
	}
	if problemAt(ps, "title.fr", "missing_fr_title") || slices.ContainsFunc(ps, func(p Problem) bool { return p.Key == "missing_en_label" }) {
		t.Errorf("a problem for a text that is there, or a language not offered: %v", ps)
	}

	// A register name the notice shows, missing in an offered language.
	reg2 := register.Demo()
	for i := range reg2.Categories {
		if reg2.Categories[i].Key == "contact" {
			delete(reg2.Categories[i].Name, "en")
		}
	}
	if ps := full.Publishable(reg2); !slices.ContainsFunc(ps, func(p Problem) bool {
		return p.Key == "missing_en_register" && p.Path == ""
	}) {
		t.Errorf("a register name missing in English: %v", ps)
	}
}
