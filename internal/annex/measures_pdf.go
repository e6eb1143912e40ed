package annex

import (
	"strings"
	"time"
)

// PDF renders the measures document as an A4 landscape PDF: the
// controller and the generation date on the first page, a table per group
// of the checklist, and on every page the title, controller, generation
// date and page numbers. created is the creation date in its metadata.
func (d MeasuresDocument) PDF(created time.Time) ([]byte, error) {
	title := d.Title()
	w := newPDF(d.Lang, title+" – "+d.Controller, d.t("measures."+d.Kind+".subject_meta"), d.Controller, d.HTMLTwin,
		d.t("measures.pdf.footer", title, d.Controller, d.Generated), created)
	w.front(d.HTMLTwin, [][2]string{
		{d.t("annex.controller"), d.t("annex.controller.value", d.Controller, d.KBO)},
		{d.t("annex.generated"), d.Generated},
		{d.t("measures.legend"), d.t("measures." + d.Kind + ".legend")},
	})
	var cols []column
	if d.Kind == "annex2" {
		cols = []column{{"", 10}, {d.t("measures.col.measure"), 85}, {d.t("measures.col.answer"), 33}, {d.t("measures.col.evidence"), 145}}
	} else {
		cols = []column{{d.t("measures.col.measure"), 75}, {d.t("measures.col.ok"), 33}, {d.t("measures.col.evidence"), 165}}
	}
	for _, g := range d.Groups {
		var rows [][]string
		for _, r := range g.Rows {
			measure := r.Measure + "\n(" + strings.Join(r.Clauses, ", ") + ")"
			evidence := d.evidenceText(r)
			if d.Kind == "annex2" {
				tick := "[ ]"
				if r.Ticked {
					tick = "[X]"
				}
				rows = append(rows, []string{tick, measure, r.AnswerText, evidence})
			} else {
				rows = append(rows, []string{measure, r.AnswerText, evidence})
			}
		}
		w.noteSection(g.Heading, g.Note, "", cols, rows)
	}
	return w.output()
}

// evidenceText is a row's evidence as one cell: per clause its answer and
// evidence, when it was measured, and the address of the evidence page on
// a line of its own.
func (d MeasuresDocument) evidenceText(r MeasureRow) string {
	var parts []string
	for _, e := range r.Evidence {
		var words []string
		if len(r.Evidence) > 1 {
			words = append(words, e.Clause+" ("+e.AnswerText+")")
		}
		if e.Text != "" {
			words = append(words, e.Text)
		}
		s := strings.Join(words, ": ")
		if e.MeasuredAt != "" {
			s = strings.TrimSpace(s + " " + d.t("measures.measured_at", e.MeasuredAt))
		}
		if e.Link != "" {
			s += "\n" + e.Link
		}
		parts = append(parts, s)
	}
	return orDash(strings.Join(parts, "\n"))
}
