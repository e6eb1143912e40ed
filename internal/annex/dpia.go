package annex

import (
	"slices"
	"time"

	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/register"
)

// A DPIA draft (art. 35 GDPR; BRE-4: the processor assists the controller
// with its data protection impact assessments): for one processing — one
// purpose of the register — what Kluis knows, pre-filled from the register
// (the data with their class, retention and countermeasures, the data
// subjects, the recipients, the legal basis) and the measures, and the
// parts only the controller can write, marked as such.

// DPIA is the draft for one purpose, in one language.
type DPIA struct {
	Lang            locale.Lang
	Controller, KBO string
	RegisterVersion int
	Generated       string
	Purpose         Purpose
	Categories      []Category // the data the purpose uses
	Subjects        []string
	Recipients      []string
	Measures        []AgreementMeasure // the measures annex's answers; nil until wired
	HTMLTwin        string
}

// DPIASections are the parts the controller completes, by catalogue key
// (agree.dpia.todo.<key> and its hint): the assessment is the
// controller's, Kluis only prepares it.
var DPIASections = []string{"necessity", "risks", "mitigation", "dpo_advice", "decision"}

// BuildDPIA lays out the draft for the purpose with key in in's register,
// in lang; false when the register has no such purpose.
func BuildDPIA(in Input, key string, lang locale.Lang) (DPIA, bool) {
	i := slices.IndexFunc(in.Register.Purposes, func(p register.Purpose) bool { return p.Key == key })
	if i < 0 {
		return DPIA{}, false
	}
	doc := Build(in, lang)
	d := DPIA{Lang: lang, Controller: in.Controller, KBO: in.KBO, RegisterVersion: in.Version, Generated: in.Generated,
		Purpose: doc.Purposes[i]}
	add := func(list []string, ls []Localized) []string {
		for _, l := range ls {
			if !slices.Contains(list, l.Text) {
				list = append(list, l.Text)
			}
		}
		return list
	}
	// Build keeps the register's order: category j is doc's j.
	for j, c := range in.Register.Categories {
		if !slices.Contains(c.Purposes, key) {
			continue
		}
		d.Categories = append(d.Categories, doc.Categories[j])
		d.Subjects = add(d.Subjects, doc.Categories[j].DataSubjects)
		d.Recipients = add(d.Recipients, doc.Categories[j].Recipients)
	}
	return d, true
}

// PDF renders the draft with annex 1's layout; the parts to complete are
// headed as such and left open.
func (d DPIA) PDF(created time.Time) ([]byte, error) {
	t := func(key string, args ...any) string { return locale.T(d.Lang, key, args...) }
	title := t("agree.dpia.title", d.Purpose.Name.Text)
	subject := t("agree.dpia.subject_meta")
	if d.HTMLTwin != "" {
		subject += " – " + t("branding.pdf.html_twin", d.HTMLTwin)
	}
	w := NewWriter(d.Lang, title+" – "+d.Controller, subject, d.Controller,
		t("agree.dpia.footer", d.Controller, d.RegisterVersion, d.Generated), created)
	w.Title(title)
	w.Facts(d.Facts())
	w.Paragraph(t("agree.dpia.lead"))
	w.Heading(t("agree.dpia.prefilled"))
	var rows [][]string
	for _, c := range d.Categories {
		rows = append(rows, []string{c.Class + " " + c.ClassLabel.Text, c.Name.Text, c.Retention, c.Reason.Text, c.Countermeasures.Text})
	}
	w.Table(t("agree.dpia.data"), t("agree.dpia.none"), []Column{{Head: t("annex.col.class"), Width: 45},
		{Head: t("annex.col.data"), Width: 60}, {Head: t("annex.col.retention"), Width: 40}, {Head: t("annex.col.reason"), Width: 58},
		{Head: t("annex.col.measures"), Width: 70}}, rows)
	w.Heading(t("agree.dpia.measures"))
	if len(d.Measures) == 0 {
		w.Paragraph(t("agree.doc.measures.none"))
	}
	for _, m := range d.Measures {
		w.Paragraph(m.Clause + " – " + m.Measure + ": " + m.Answer)
	}
	for _, k := range DPIASections {
		w.Heading(t("agree.dpia.todo_marker") + " " + t("agree.dpia.todo."+k))
		w.Paragraph(t("agree.dpia.todo." + k + ".hint"))
		w.Paragraph("……………………………………………………………………………………………………………………………………")
	}
	return w.Bytes()
}

// Facts are the draft's header lines: controller, processing, legal
// basis, data subjects, recipients, register version.
func (d DPIA) Facts() [][2]string {
	t := func(key string, args ...any) string { return locale.T(d.Lang, key, args...) }
	or := func(list []string) string {
		if len(list) == 0 {
			return "–"
		}
		s := list[0]
		for _, x := range list[1:] {
			s += "; " + x
		}
		return s
	}
	basis := d.Purpose.Basis
	if d.Purpose.Reference.Text != "" {
		basis += " (" + d.Purpose.Reference.Text + ")"
	}
	if d.Purpose.Art9 != "" {
		basis += "; " + d.Purpose.Art9
	}
	return [][2]string{
		{t("agree.doc.controller"), d.Controller},
		{t("agree.dpia.processing"), d.Purpose.Name.Text},
		{t("annex.col.basis"), basis},
		{t("annex.col.subjects"), or(d.Subjects)},
		{t("annex.col.recipients"), or(d.Recipients)},
		{t("annex.version"), t("agree.dpia.version", d.RegisterVersion, d.Generated)},
	}
}
