package form

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kluis/kluis/internal/register"
)

// Languages (issue 10): Dutch is the binding language and every form has
// it. A form is offered in French or English when its title is written in
// that language, and then every text a citizen reads must be: the title,
// intro and closing text, page titles, field labels, help texts and
// answers of a choice, and the register's names the form's notice shows.
// A form without any French is offered only in Dutch (and says so on a
// French page); a form with some French but not all cannot be published,
// so a French page never shows half a form in Dutch. Kluis has no per
// tenant list of languages yet: every tenant offers nl, fr and en, and a
// form offers those it is complete in.

// Langs are the languages a form can be written in, the binding one first.
var Langs = []string{"nl", "fr", "en"}

// Offered lists the languages f is offered in: Dutch, and each other
// language its title is written in.
func (f Form) Offered() []string {
	out := []string{"nl"}
	for _, l := range Langs[1:] {
		if strings.TrimSpace(f.Title[l]) != "" {
			out = append(out, l)
		}
	}
	return out
}

// OffersLang reports whether f is offered in lang.
func (f Form) OffersLang(lang string) bool { return slices.Contains(f.Offered(), lang) }

// translationProblems lists, for each language f is offered in besides
// Dutch, every text a citizen would read that is missing in it: problem
// "missing_<lang>_<what>" at the text's path, and for the register's
// names in the notice "missing_<lang>_register" with the Dutch name.
func (f Form) translationProblems(n Notice) []Problem {
	var ps []Problem
	for _, l := range f.Offered()[1:] {
		need := func(path, what string, t register.Text, args ...any) {
			if strings.TrimSpace(t["nl"]) != "" && strings.TrimSpace(t[l]) == "" {
				ps = append(ps, Problem{Path: path + "." + l, Key: "missing_" + l + "_" + what, Args: args})
			}
		}
		need("title", "title", f.Title)
		need("intro", "intro", f.Intro)
		need("done", "done", f.Done)
		for i, p := range f.Pages {
			pp := fmt.Sprintf("pages[%d]", i)
			need(pp+".title", "page_title", p.Title)
			for j, fl := range p.Fields {
				fp := fmt.Sprintf("%s.fields[%d]", pp, j)
				need(fp+".label", "label", fl.Label)
				need(fp+".help", "help", fl.Help)
				for k, o := range fl.Options {
					need(fmt.Sprintf("%s.options[%d].label", fp, k), "option", o.Label, o.Label["nl"])
				}
			}
		}
		reg := func(t register.Text) {
			if strings.TrimSpace(t["nl"]) != "" && strings.TrimSpace(t[l]) == "" {
				ps = append(ps, Problem{Key: "missing_" + l + "_register", Args: []any{t["nl"]}})
			}
		}
		for _, p := range n.Purposes {
			reg(p.Name)
			reg(p.LegalReference)
		}
		for _, c := range n.Categories {
			reg(c.Name)
		}
		for _, r := range n.Recipients {
			reg(r)
		}
		for _, t := range n.Transfers {
			reg(t.Name)
		}
	}
	return ps
}
