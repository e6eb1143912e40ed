package annex

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/kluis/kluis/internal/locale"
)

// Page geometry in millimetres: A4 landscape, so that the seven columns of
// the data table stay readable.
const (
	margin     = 12.0
	pageWidth  = 297.0 - 2*margin
	footerRoom = 14.0 // below the last table line: the page footer
	lineHeight = 3.8  // at 8 pt
	cellPad    = 1.2  // above and below the text in a cell
)

// column is one column of a PDF table: its heading and width in mm.
type column struct {
	head  string
	width float64
}

// pdfWriter draws a Document on an fpdf document in the core fonts. Core
// fonts speak Windows-1252, which covers Dutch, French and English
// (é, è, ë, ç, œ, €, typographic quotes and dashes); tr translates UTF-8
// into it, and a character outside it becomes ".", never a broken file.
type pdfWriter struct {
	f     *fpdf.Fpdf
	tr    func(string) string
	t     func(key string, args ...any) string
	title string
}

// PDF renders the document as an A4 landscape PDF with the generation date,
// the register version and page numbers on every page. created is the
// document's creation date in its metadata.
func (d Document) PDF(created time.Time) ([]byte, error) {
	t := func(key string, args ...any) string { return locale.T(d.Lang, key, args...) }
	w := newPDF(d.Lang, t("annex.title")+" – "+d.Controller, t("annex.subject_meta"), d.Controller, d.HTMLTwin,
		t("annex.pdf.footer", d.Controller, d.Version, d.Generated), created)
	w.front(d.HTMLTwin, d.facts(w))
	w.tables(d)
	return w.output()
}

// facts are annex 1's header lines: controller, subject, duration,
// version, generation.
func (d Document) facts(w *pdfWriter) [][2]string {
	return [][2]string{
		{w.t("annex.controller"), w.t("annex.controller.value", d.Controller, d.KBO)},
		{w.t("annex.subject"), d.Subject.Text},
		{w.t("annex.duration"), d.Duration.Text},
		{w.t("annex.version"), w.t("annex.version.value", d.Version, d.Saved)},
		{w.t("annex.generated"), d.Generated},
	}
}

// tables draws annex 1's four sections: purposes, data, sub-processors,
// applications.
func (w *pdfWriter) tables(d Document) {
	var purposes [][]string
	for _, p := range d.Purposes {
		purposes = append(purposes, []string{p.Name.Text, p.Basis, orDash(p.Reference.Text), orDash(p.Art9)})
	}
	w.section(w.t("annex.purposes.heading"), "", []column{{w.t("annex.col.purpose"), 90}, {w.t("annex.col.basis"), 50},
		{w.t("annex.col.reference"), 83}, {w.t("annex.col.art9"), 50}}, purposes)

	var cats [][]string
	for _, c := range d.Categories {
		cats = append(cats, []string{c.Class + " " + c.ClassLabel.Text, c.Name.Text, c.Retention, c.Reason.Text,
			c.Countermeasures.Text, joined(c.DataSubjects), joined(c.Recipients)})
	}
	w.section(w.t("annex.categories.heading"), "", []column{{w.t("annex.col.class"), 38}, {w.t("annex.col.data"), 48},
		{w.t("annex.col.retention"), 30}, {w.t("annex.col.reason"), 40}, {w.t("annex.col.measures"), 45},
		{w.t("annex.col.subjects"), 36}, {w.t("annex.col.recipients"), 36}}, cats)

	var subs [][]string
	for _, s := range d.SubProcessors {
		subs = append(subs, []string{s.Name, s.HeadOffice, s.Country, w.yesNo(s.InEEA), orDash(s.Mechanism),
			s.Service.Text, s.Measures.Text})
	}
	w.section(w.t("annex.subprocessors.heading"), w.t("annex.subprocessors.none"), []column{{w.t("annex.col.name"), 34},
		{w.t("annex.col.head_office"), 40}, {w.t("annex.col.country"), 24}, {w.t("annex.col.eea"), 14},
		{w.t("annex.col.mechanism"), 38}, {w.t("annex.col.service"), 55}, {w.t("annex.col.sub_measures"), 68}}, subs)

	var apps [][]string
	for _, a := range d.Applications {
		apps = append(apps, []string{a.Name, joined(a.Data), a.Storage.Text, a.Transfer.Text, a.Access.Text})
	}
	w.section(w.t("annex.applications.heading"), w.t("annex.applications.none"), []column{{w.t("annex.col.name"), 40},
		{w.t("annex.col.app_data"), 70}, {w.t("annex.col.storage"), 55}, {w.t("annex.col.transfer"), 50},
		{w.t("annex.col.access"), 58}}, apps)
}

// newPDF starts an A4 landscape document in lang: its metadata and, on
// every page, a footer with footer on the left and "page n of N" on the
// right. created is the creation date in its metadata.
func newPDF(lang locale.Lang, title, subject, author, twin, footer string, created time.Time) *pdfWriter {
	f := fpdf.New("L", "mm", "A4", "")
	w := &pdfWriter{f: f, tr: f.UnicodeTranslatorFromDescriptor("cp1252"), title: title,
		t: func(key string, args ...any) string { return locale.T(lang, key, args...) }}
	f.SetTitle(title, true)
	// fpdf cannot tag a PDF for accessibility: the document names its
	// accessible twin, the same document as a web page, in its subject
	// and on its first page.
	if twin != "" {
		subject += " – " + w.t("branding.pdf.html_twin", twin)
	}
	f.SetSubject(subject, true)
	f.SetAuthor(author, true)
	f.SetCreator("Kluis", true)
	f.SetLang(lang.HTMLLang())
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(false, footerRoom)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetY(-margin)
		f.SetFont("Helvetica", "", 7.5)
		f.SetTextColor(70, 70, 70)
		f.CellFormat(pageWidth*0.8, 4, w.tr(footer), "", 0, "L", false, 0, "")
		f.CellFormat(pageWidth*0.2, 4, w.tr(w.t("annex.pdf.page", f.PageNo(), "{nb}")), "", 0, "R", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()
	return w
}

// front is the first page's head: the title, the facts as label and
// value, and the address of the accessible twin when there is one.
func (w *pdfWriter) front(twin string, facts [][2]string) {
	w.f.SetFont("Helvetica", "B", 16)
	w.f.CellFormat(pageWidth, 8, w.tr(w.title), "", 1, "L", false, 0, "")
	w.f.Ln(2)
	w.factRows(facts)
	if twin != "" {
		w.f.Ln(1)
		w.f.SetFont("Helvetica", "I", 8)
		w.f.SetTextColor(70, 70, 70)
		w.f.MultiCell(pageWidth, 4, w.tr(w.t("branding.pdf.html_twin", twin)), "", "L", false)
		w.f.SetTextColor(0, 0, 0)
	}
	w.f.Ln(3)
}

// factRows draws label–value lines, the label in bold.
func (w *pdfWriter) factRows(facts [][2]string) {
	for _, r := range facts {
		w.f.SetFont("Helvetica", "B", 9)
		w.f.CellFormat(55, 5, w.tr(r[0]), "", 0, "L", false, 0, "")
		w.f.SetFont("Helvetica", "", 9)
		w.f.MultiCell(pageWidth-55, 5, w.tr(r[1]), "", "L", false)
	}
}

// output is the finished document.
func (w *pdfWriter) output() ([]byte, error) {
	var buf bytes.Buffer
	if err := w.f.Output(&buf); err != nil {
		return nil, fmt.Errorf("%s PDF: %w", w.title, err)
	}
	return buf.Bytes(), nil
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "–"
	}
	return s
}

// joined puts each text of a list on a line of its own in the cell.
func joined(ls []Localized) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.Text
	}
	return orDash(strings.Join(parts, "\n"))
}

func (w *pdfWriter) yesNo(b bool) string {
	if b {
		return w.t("annex.yes")
	}
	return w.t("annex.no")
}

// headingHeight is the height heading takes: space, the line, space.
const headingHeight = 3 + 7 + 1

// section draws a heading and its table, or the paragraph none when the
// table has no rows. The heading is kept with what follows it: with the
// table's heading row and first row (or the paragraph), so that no heading
// and no heading row ends a page alone.
func (w *pdfWriter) section(title, none string, cols []column, rows [][]string) {
	w.noteSection(title, "", none, cols, rows)
}

// noteSection is section with a paragraph note between the heading and
// the table ("" for none), kept with both.
func (w *pdfWriter) noteSection(title, note, none string, cols []column, rows [][]string) {
	if len(rows) == 0 && none != "" {
		w.heading(title, w.paragraphHeight(note)+w.paragraphHeight(none))
		w.paragraph(note)
		w.paragraph(none)
		return
	}
	w.heading(title, w.paragraphHeight(note)+w.tableKeep(cols, rows))
	w.paragraph(note)
	w.table(cols, rows)
}

// paragraphHeight is the height paragraph(s) takes.
func (w *pdfWriter) paragraphHeight(s string) float64 {
	if s == "" {
		return 0
	}
	w.f.SetFont("Helvetica", "", 9)
	return float64(len(w.f.SplitLines([]byte(w.tr(s)), pageWidth)))*5 + 1
}

// tableKeep is the height a table's heading row and first row need
// together. A first row too tall for a fresh page (it is split between
// pages anyway) counts with two lines.
func (w *pdfWriter) tableKeep(cols []column, rows [][]string) float64 {
	w.f.SetFont("Helvetica", "B", 8)
	head := make([][]string, len(cols))
	for i, c := range cols {
		head[i] = w.lines(c.head, c.width)
	}
	n := 2
	if len(rows) > 0 {
		w.f.SetFont("Helvetica", "", 8)
		cells := make([][]string, len(cols))
		for i := range cols {
			cells[i] = w.lines(rows[0][i], cols[i].width)
		}
		n = maxLines(cells)
	}
	keep := headHeight(head) + float64(n)*lineHeight + 2*cellPad
	if keep+headingHeight > w.bottom()-margin {
		keep = headHeight(head) + 2*lineHeight + 2*cellPad
	}
	return keep
}

// heading starts a section, on a new page unless the heading and the keep
// millimetres that must follow it fit on this one.
func (w *pdfWriter) heading(s string, keep float64) {
	w.room(headingHeight + keep)
	w.f.Ln(3)
	w.f.SetFont("Helvetica", "B", 12)
	w.f.CellFormat(pageWidth, 7, w.tr(s), "", 1, "L", false, 0, "")
	w.f.Ln(1)
}

func (w *pdfWriter) paragraph(s string) {
	if s == "" {
		return
	}
	w.f.SetFont("Helvetica", "", 9)
	w.f.MultiCell(pageWidth, 5, w.tr(s), "", "L", false)
	w.f.Ln(1)
}

// bottom is the lowest y a table line may reach.
func (w *pdfWriter) bottom() float64 {
	_, h := w.f.GetPageSize()
	return h - footerRoom
}

// room starts a new page unless h millimetres are left on this one.
func (w *pdfWriter) room(h float64) {
	if w.f.GetY()+h > w.bottom() {
		w.f.AddPage()
	}
}

// table draws a table with a grey heading row, repeated on each page it
// runs onto. A row that does not fit moves to the next page whole; a row
// taller than a page is split between pages line by line.
func (w *pdfWriter) table(cols []column, rows [][]string) {
	head := make([][]string, len(cols))
	w.f.SetFont("Helvetica", "B", 8)
	for i, c := range cols {
		head[i] = w.lines(c.head, c.width)
	}
	drawHead := func() {
		w.f.SetFont("Helvetica", "B", 8)
		w.f.SetFillColor(230, 232, 235)
		w.row(cols, head, 0, maxLines(head), true)
	}
	w.room(w.tableKeep(cols, rows))
	drawHead()
	w.f.SetFont("Helvetica", "", 8)
	fresh := w.bottom() - margin - headHeight(head) // the room on a page under the heading row
	for _, r := range rows {
		cells := make([][]string, len(cols))
		for i := range cols {
			cells[i] = w.lines(r[i], cols[i].width)
		}
		n := maxLines(cells)
		for from := 0; from < n; {
			fit := int((w.bottom() - w.f.GetY() - 2*cellPad) / lineHeight)
			if fit < n-from && (fit < 1 || float64(n-from)*lineHeight+2*cellPad <= fresh) {
				// Not enough room here, but on a fresh page: go there.
				w.f.AddPage()
				drawHead()
				w.f.SetFont("Helvetica", "", 8)
				continue
			}
			to := min(n, from+fit)
			w.row(cols, cells, from, to, false)
			from = to
			if from < n {
				w.f.AddPage()
				drawHead()
				w.f.SetFont("Helvetica", "", 8)
			}
		}
	}
}

// lines wraps s (UTF-8) to the width of a cell in the current font, in
// Windows-1252 bytes as the core fonts need them; always at least one line.
func (w *pdfWriter) lines(s string, width float64) []string {
	var out []string
	for _, l := range w.f.SplitLines([]byte(w.tr(s)), width) {
		out = append(out, string(l))
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

func maxLines(cells [][]string) int {
	n := 1
	for _, c := range cells {
		n = max(n, len(c))
	}
	return n
}

func headHeight(head [][]string) float64 { return float64(maxLines(head))*lineHeight + 2*cellPad }

// row draws lines [from, to) of each cell as one table row at the current
// position, framed, and moves below it.
func (w *pdfWriter) row(cols []column, cells [][]string, from, to int, fill bool) {
	x0, y := margin, w.f.GetY()
	h := float64(to-from)*lineHeight + 2*cellPad
	style := "D"
	if fill {
		style = "FD"
	}
	x := x0
	for i, c := range cols {
		w.f.SetDrawColor(150, 150, 150)
		w.f.Rect(x, y, c.width, h, style)
		for j := from; j < to && j < len(cells[i]); j++ {
			w.f.SetXY(x, y+cellPad+float64(j-from)*lineHeight)
			w.f.CellFormat(c.width, lineHeight, cells[i][j], "", 0, "L", false, 0, "")
		}
		x += c.width
	}
	w.f.SetXY(x0, y+h)
}
