package annex

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/pdftest"
	"github.com/kluis/kluis/internal/register"
)

func build(reg register.Register, lang locale.Lang) Document {
	return Build(Input{Register: reg, Version: 3, Saved: "22.11.2026 10:19", Generated: "23.11.2026 09:00",
		Controller: "Gemeente Demo", KBO: "0207.451.227"}, lang)
}

var created = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

func TestBuildMarksLanguages(t *testing.T) {
	reg := register.Demo()
	reg.Categories[0].Name = register.Text{"nl": "Alleen in het Nederlands"}
	d := build(reg, locale.FR)
	c := d.Categories[0]
	if c.Name != (Localized{"Alleen in het Nederlands", "nl-BE"}) {
		t.Errorf("fallback name = %+v, want the Dutch text marked nl-BE", c.Name)
	}
	if c.Reason.Lang != "fr-BE" || c.Reason.Text != "Accès au site web" {
		t.Errorf("reason = %+v, want the French text marked fr-BE", c.Reason)
	}
	// REG-7: the class labels are the contract's Dutch ones, in every language.
	if c.Class != "3.01" || c.ClassLabel != (Localized{"Identificatiegegevens", "nl-BE"}) {
		t.Errorf("class = %s %+v", c.Class, c.ClassLabel)
	}
	if d.Purposes[2].Art9 != locale.T(locale.FR, "art9.substantial_public_interest") || d.Purposes[0].Art9 != "" {
		t.Errorf("art. 9 bases: %q, %q", d.Purposes[2].Art9, d.Purposes[0].Art9)
	}
	if got := d.Categories[4].Recipients; len(got) != 2 || got[1].Text != "Le système de gestion des dossiers de la commune de Demo" {
		t.Errorf("recipients of web-forms = %+v", got)
	}
}

// TestAnnexPDFReadsBack renders the demo register in each language and
// reads the PDF back with pdftotext: title, controller, accents, tables,
// version, generation date and "page n of N" on every page.
func TestAnnexPDFReadsBack(t *testing.T) {
	for _, tt := range []struct {
		lang locale.Lang
		want []string
	}{
		{locale.NL, []string{"Bijlage 1 – Verwerkingsregister – Gemeente Demo", "ondernemingsnummer 0207.451.227",
			"Financiële en fiscale gegevens", "Voorbeeld Backup BV", "Enquêtetool (zelf gehost)", "zwaarwegend algemeen belang",
			"730 dagen, daarna geanonimiseerd"}},
		{locale.FR, []string{"Annexe 1 – Registre des traitements", "numéro d’entreprise", "Données d'identité", "Sous-traitants ultérieurs",
			"Financiële en fiscale gegevens", "Décret du 22 décembre 2017", "Lieu de stockage"}},
		{locale.EN, []string{"Annex 1 – Processing register", "Sub-processors", "Software applications", "Identity data",
			"Rijksregisternummer / identificatienummer van de sociale zekerheid", "Transfer mechanism"}},
	} {
		t.Run(string(tt.lang), func(t *testing.T) {
			b, err := build(register.Demo(), tt.lang).PDF(created)
			if err != nil {
				t.Fatal(err)
			}
			pages := pdftest.Text(t, b)
			all := strings.Join(pages, " ")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("PDF text lacks %q", w)
				}
			}
			for i, p := range pages {
				page := locale.T(tt.lang, "annex.pdf.page", i+1, fmt.Sprint(len(pages)))
				footer := locale.T(tt.lang, "annex.pdf.footer", "Gemeente Demo", 3, "23.11.2026 09:00")
				if !strings.Contains(p, page) || !strings.Contains(p, footer) {
					t.Errorf("page %d lacks %q or %q", i+1, page, footer)
				}
			}
		})
	}
}

// TestAnnexPDFLongTexts: a cell longer than a page runs onto the next ones
// and loses nothing; a character outside Windows-1252 does not break the
// file.
func TestAnnexPDFLongTexts(t *testing.T) {
	reg := register.Demo()
	long := strings.Repeat("versleuteld bewaard en enkel toegankelijk voor de bevoegde dienst; ", 55) + "EINDE-VAN-DE-CEL"
	reg.Categories[0].Countermeasures = register.Text{"nl": long}
	reg.Categories[1].Reason = register.Text{"nl": "Grieks α en emoji 🙂 en een euro €"}
	b, err := build(reg, locale.NL).PDF(created)
	if err != nil {
		t.Fatal(err)
	}
	pages := pdftest.Text(t, b)
	all := strings.Join(pages, " ")
	for _, w := range []string{"EINDE-VAN-DE-CEL", "een euro €", "Softwaretoepassingen"} {
		if !strings.Contains(all, w) {
			t.Errorf("PDF text lacks %q", w)
		}
	}
	if n := strings.Count(all, "toegankelijk"); n != 55 { // words, not phrases: a page break may fall inside one
		t.Errorf("the long cell reads back %d times, want 55", n)
	}
}

// TestAnnexPDFKeepsHeadingsWithTables: wherever a section starts on the
// page (more or fewer purposes before it), its heading shares a page with
// its table's first row, also when that row is tall; and the document
// names its accessible HTML twin.
func TestAnnexPDFKeepsHeadingsWithTables(t *testing.T) {
	tall := make([]Localized, 14)
	for i := range tall {
		tall[i] = Localized{Text: fmt.Sprintf("Betrokkene %d", i), Lang: "nl-BE"}
	}
	heading := locale.T(locale.NL, "annex.categories.heading")
	subsHeading := locale.T(locale.NL, "annex.subprocessors.heading")
	for n := 1; n <= 40; n += 3 {
		d := Document{Lang: locale.NL, Controller: "Gemeente Zonnedal", KBO: "0207.451.227", Version: 1, Saved: "01.12.2026",
			Generated: "04.12.2026", Subject: Localized{Text: "E-loket", Lang: "nl-BE"}, Duration: Localized{Text: "Onbepaald", Lang: "nl-BE"},
			HTMLTwin: "https://loket.example/zonnedal/admin/register/annex?version=1&lang=nl"}
		for i := range n {
			d.Purposes = append(d.Purposes, Purpose{Name: Localized{Text: fmt.Sprintf("Doel %d met een naam", i), Lang: "nl-BE"}, Basis: "art. 6.1.e"})
		}
		d.Categories = []Category{{Class: "3.00", Name: Localized{Text: "FIRSTCAT", Lang: "nl-BE"}, Retention: "730 dagen",
			DataSubjects: tall, Recipients: tall[:3]}}
		for i := range 6 {
			d.Categories = append(d.Categories, Category{Class: "2.00", Name: Localized{Text: fmt.Sprintf("Categorie %d", i), Lang: "nl-BE"},
				DataSubjects: tall[:i+1]})
		}
		d.SubProcessors = []SubProcessor{{Name: "FIRSTSUB", Country: "BE", InEEA: true}}
		b, err := d.PDF(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		pages := pdftest.Text(t, b)
		for i, p := range pages {
			if strings.Contains(p, heading) && !strings.Contains(p, "FIRSTCAT") {
				t.Errorf("%d purposes: page %d has the categories heading without the first category", n, i+1)
			}
			if strings.Contains(p, subsHeading) && !strings.Contains(p, "FIRSTSUB") {
				t.Errorf("%d purposes: page %d has the sub-processors heading without the first one", n, i+1)
			}
		}
		if !strings.Contains(pages[0], "toegankelijke versie van dit document staat op https://loket.example/zonnedal/admin/register/annex?version=1&lang=nl") {
			t.Errorf("no HTML twin on page 1: %.300s", pages[0])
		}
		if !bytes.Contains(b, []byte("/Lang (nl-BE)")) {
			t.Error("no document language")
		}
	}
}
