// Package annex lays out annex 1 of the data processing agreement — the
// controller's processing register as the parties sign it (REG-1, REG-6,
// REG-7, SUB-1) — in one language: a Document that the web pages show as
// HTML and that PDF renders as an A4 document. It imports register, locale
// and the PDF library, and does no I/O of its own.
package annex

import (
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/register"
)

// Localized is a register text in the reader's language, with the HTML
// language tag of the language it is really in: a missing translation
// falls back to Dutch, and pages mark it so screen readers pronounce it
// right (WCAG 3.1.2).
type Localized struct{ Text, Lang string }

// Localize returns t in lang ("nl", "fr" or "en"), or its Dutch fallback.
func Localize(t register.Text, lang string) Localized {
	l, _ := locale.Parse(t.LangOf(lang))
	return Localized{t.In(lang), l.HTMLLang()}
}

// dutch marks a text that is Dutch whatever the page language: the REG-7
// class labels are the contract's own.
func dutch(s string) Localized { return Localized{s, locale.NL.HTMLLang()} }

// Document is annex 1 in one language.
type Document struct {
	Lang       locale.Lang
	Controller string // the controller's legal name
	KBO        string // its enterprise number, formatted
	Version    int    // the register version it shows
	Saved      string // when that version was saved, as people read it
	Generated  string // when this document was made
	Subject    Localized
	Duration   Localized
	Purposes   []Purpose
	Categories []Category
	// SubProcessors is the agreed list of sub-processors (SUB-1).
	SubProcessors []SubProcessor
	// Applications are the software applications used (REG-6).
	Applications []Application
	// HTMLTwin is the address of the same annex as a web page, the PDF's
	// accessible version (fpdf cannot tag a PDF); "" when unknown.
	HTMLTwin string
}

// Purpose is a purpose with its legal basis, worded in the document's
// language.
type Purpose struct {
	Name      Localized
	Basis     string    // art. 6 ground
	Reference Localized // the law behind it; Text "" when none
	Art9      string    // art. 9(2) exception; "" when none
}

// Category is one row of the data table: a kind of data with its REG-7
// class, retention, reason and countermeasures.
type Category struct {
	Class           string
	ClassLabel      Localized // always Dutch
	Name            Localized
	Retention       string // "730 dagen, daarna geanonimiseerd"
	Reason          Localized
	Countermeasures Localized
	Purposes        []Localized
	DataSubjects    []Localized
	Recipients      []Localized
}

// SubProcessor is one row of the sub-processor table (SUB-1).
type SubProcessor struct {
	Name, HeadOffice, Country string
	InEEA                     bool
	Mechanism                 string // transfer mechanism, worded; "" when none
	Service, Measures         Localized
}

// Application is one row of the software-applications table (REG-6).
type Application struct {
	Name                      string
	Data                      []Localized // the categories it holds
	Storage, Transfer, Access Localized
}

// Input is what a Document is made of: a register version and the
// controller it belongs to.
type Input struct {
	Register   register.Register
	Version    int
	Saved      string
	Generated  string
	Controller string
	KBO        string
}

// Build lays out in's register in lang.
func Build(in Input, lang locale.Lang) Document {
	reg := in.Register
	l := string(lang)
	t := func(key string, args ...any) string { return locale.T(lang, key, args...) }
	d := Document{Lang: lang, Controller: in.Controller, KBO: in.KBO, Version: in.Version, Saved: in.Saved,
		Generated: in.Generated, Subject: Localize(reg.Subject, l), Duration: Localize(reg.Duration, l)}
	for _, p := range reg.Purposes {
		dp := Purpose{Name: Localize(p.Name, l), Basis: t("legal_basis." + p.LegalBasis)}
		if len(p.LegalReference) > 0 {
			dp.Reference = Localize(p.LegalReference, l)
		}
		if p.Art9Basis != "" {
			dp.Art9 = t("art9." + p.Art9Basis)
		}
		d.Purposes = append(d.Purposes, dp)
	}
	names := func(keys []string, name func(string) (register.Text, bool)) []Localized {
		var out []Localized
		for _, k := range keys {
			if n, ok := name(k); ok {
				out = append(out, Localize(n, l))
			}
		}
		return out
	}
	purpose := func(k string) (register.Text, bool) { p, ok := reg.Purpose(k); return p.Name, ok }
	subject := func(k string) (register.Text, bool) {
		for _, s := range reg.DataSubjects {
			if s.Key == k {
				return s.Name, true
			}
		}
		return nil, false
	}
	recipient := func(k string) (register.Text, bool) {
		for _, rc := range reg.Recipients {
			if rc.Key == k {
				return rc.Name, true
			}
		}
		return nil, false
	}
	category := func(k string) (register.Text, bool) { c, ok := reg.Category(k); return c.Name, ok }
	for _, c := range reg.Categories {
		cl, _ := register.ClassByCode(c.Class)
		d.Categories = append(d.Categories, Category{Class: c.Class, ClassLabel: dutch(cl.Label), Name: Localize(c.Name, l),
			Retention: t("annex.retention", c.RetentionDays, t("expiry."+c.Expiry)),
			Reason:    Localize(c.Reason, l), Countermeasures: Localize(c.Countermeasures, l),
			Purposes: names(c.Purposes, purpose), DataSubjects: names(c.DataSubjects, subject),
			Recipients: names(c.Recipients, recipient)})
	}
	for _, s := range reg.SubProcessors {
		ds := SubProcessor{Name: s.Name, HeadOffice: s.HeadOffice, Country: s.Country, InEEA: register.InEEA(s.Country),
			Service: Localize(s.Service, l), Measures: Localize(s.Measures, l)}
		if s.TransferMechanism != "" {
			ds.Mechanism = t("mechanism." + s.TransferMechanism)
		}
		d.SubProcessors = append(d.SubProcessors, ds)
	}
	for _, a := range reg.Applications {
		d.Applications = append(d.Applications, Application{Name: a.Name, Data: names(a.Categories, category),
			Storage: Localize(a.Storage, l), Transfer: Localize(a.Transfer, l), Access: Localize(a.Access, l)})
	}
	return d
}
