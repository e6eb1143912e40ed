package annex

import (
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/agreement"
	"github.com/kluis/kluis/internal/locale"
)

// Agreement is one version of the agreement as the parties read it: the
// full agreement (agreement.KindAgreement) or an amendment (KindAmendment), in Dutch
// or French.
type Agreement struct {
	Lang   locale.Lang
	Kind   string
	Number int
	Base   int    // an amendment: the version in force it amends
	Date   string // the version's date, as people read it
	// The parties: the controller (the tenant) and the supplier (the
	// operators' realm), with their enterprise numbers, formatted.
	Controller, ControllerKBO string
	Supplier, SupplierKBO     string
	Subject, Duration         Localized
	Articles                  []agreement.Article
	// Annex1 is the register as annex 1 (REG-1, REG-6, REG-7, SUB-1).
	Annex1 Document
	// Measures is the measures annex, one row per measure; nil when the
	// compliance report is not wired into the agreement (the annex then
	// says so rather than claim anything).
	Measures []AgreementMeasure
	// Breach is the breach notification form, annex 2 (BRE-5), blank.
	Breach []FormSection
	// Changes are an amendment's differences, by what changed.
	Changes []ChangeGroup
	// HTMLTwin is the address of the version as a web page, the PDF's
	// accessible twin; "" when unknown.
	HTMLTwin string
}

// AgreementMeasure is one measure of the measures annex with its answer.
type AgreementMeasure struct{ Clause, Measure, Answer, Evidence string }

// FormSection is a numbered section of the breach notification form.
type FormSection struct {
	Number int
	Title  string
	Fields []FormField
}

// FormField is a field of the form, with its choices when it has any.
type FormField struct {
	Label   string
	Choices []string
}

// ChangeGroup is what changed in one source: the register, the
// sub-processors, the measures.
type ChangeGroup struct {
	Heading string
	Items   []ChangeItem
}

// ChangeItem is one change: a sentence and a line per field.
type ChangeItem struct {
	Title string
	Lines []string
}

// Title is the document's title in its language.
func (d Agreement) Title() string {
	if d.Kind == agreement.KindAmendment {
		return locale.T(d.Lang, "agree.doc.amendment_title", d.Number, d.Base)
	}
	return locale.T(d.Lang, "agree.doc.title")
}

// Facts are the header lines: the parties, the version and its date.
func (d Agreement) Facts() [][2]string {
	t := func(key string, args ...any) string { return locale.T(d.Lang, key, args...) }
	party := func(name, kbo string) string {
		if kbo == "" {
			return name
		}
		return t("annex.controller.value", name, kbo)
	}
	return [][2]string{
		{t("agree.doc.controller"), party(d.Controller, d.ControllerKBO)},
		{t("agree.doc.supplier"), party(d.Supplier, d.SupplierKBO)},
		{t("agree.doc.version"), t("agree.doc.version.value", d.Number, d.Date)},
	}
}

// PDF renders the version as an A4 PDF, created being its metadata date:
// the same document and date give the same bytes, so a stored version can
// be checked against its SHA-256.
func (d Agreement) PDF(created time.Time) ([]byte, error) {
	t := func(key string, args ...any) string { return locale.T(d.Lang, key, args...) }
	subject := t("agree.doc.subject_meta")
	if d.HTMLTwin != "" {
		subject += " – " + t("branding.pdf.html_twin", d.HTMLTwin)
	}
	w := NewWriter(d.Lang, d.Title()+" – "+d.Controller, subject, d.Supplier, t("agree.doc.footer", d.Controller, d.Number, d.Date), created)
	w.Title(d.Title())
	w.Facts(d.Facts())
	if d.HTMLTwin != "" {
		w.Paragraph(t("branding.pdf.html_twin", d.HTMLTwin))
	}
	if d.Kind == agreement.KindAmendment {
		w.Paragraph(t("agree.doc.amendment_intro", d.Base))
		for _, g := range d.Changes {
			w.Heading(g.Heading)
			for _, it := range g.Items {
				w.Paragraph(it.Title)
				for _, l := range it.Lines {
					w.Paragraph("– " + l)
				}
			}
		}
		w.Heading(t("agree.doc.acceptance"))
		w.Paragraph(t("agree.doc.acceptance_text"))
		return w.Bytes()
	}
	w.Heading(t("annex.subject"))
	w.Paragraph(d.Subject.Text)
	w.Heading(t("annex.duration"))
	w.Paragraph(d.Duration.Text)
	for _, a := range d.Articles {
		w.Heading(a.Heading)
		for _, p := range a.Paragraphs {
			w.Paragraph(p)
		}
	}
	w.Heading(t("agree.doc.acceptance"))
	w.Paragraph(t("agree.doc.acceptance_text"))

	w.NewPage()
	w.Title(t("agree.doc.annex1"))
	w.Annex1(d.Annex1)

	w.NewPage()
	w.Title(t("agree.doc.measures"))
	var rows [][]string
	for _, m := range d.Measures {
		rows = append(rows, []string{m.Clause, m.Measure, m.Answer, m.Evidence})
	}
	w.Table(t("agree.doc.measures.heading"), t("agree.doc.measures.none"), []Column{{Head: t("agree.doc.col.clause"), Width: 25},
		{Head: t("agree.doc.col.measure"), Width: 90}, {Head: t("agree.doc.col.answer"), Width: 35}, {Head: t("agree.doc.col.evidence"), Width: 123}}, rows)

	w.NewPage()
	w.Title(t("agree.doc.annex2"))
	w.Paragraph(t("agree.doc.annex2_intro"))
	for _, s := range d.Breach {
		w.Heading(fmt.Sprintf("%d. %s", s.Number, s.Title))
		for _, f := range s.Fields {
			if len(f.Choices) == 0 {
				w.Paragraph(f.Label + ": ……………………………………")
				continue
			}
			w.Paragraph(f.Label + ":")
			for _, c := range f.Choices {
				w.Paragraph("[  ] " + c)
			}
		}
	}
	return w.Bytes()
}
