package annex

import (
	"strings"
	"time"

	"github.com/kluis/kluis/internal/locale"
)

// Writer lays out the documents annex 1 belongs to — the data processing
// agreement and its amendments — with annex 1's PDF conventions (A4
// landscape, core fonts in Windows-1252, headings kept with what follows,
// tables split between pages with their heading row repeated), so that
// the agreement and its annexes read as one document.
type Writer struct{ w *pdfWriter }

// Column is a table column: its heading and width in millimetres (a
// page's width is PageWidth).
type Column struct {
	Head  string
	Width float64
}

// PageWidth is the width in millimetres between the margins.
const PageWidth = pageWidth

// NewWriter starts a document in lang with its metadata and a footer on
// every page: footer on the left, the page number on the right. created
// is its creation date in the metadata: the same inputs and created give
// the same bytes.
func NewWriter(lang locale.Lang, title, subject, author, footer string, created time.Time) *Writer {
	w := newPDF(lang, title, subject, author, "", footer, created)
	// Comparisons write "old → new"; the arrow is not in Windows-1252.
	cp1252, arrow := w.tr, strings.NewReplacer("→", "->")
	w.tr = func(s string) string { return cp1252(arrow.Replace(s)) }
	return &Writer{w}
}

// Title writes the document's title in large type.
func (w *Writer) Title(s string) {
	w.w.f.SetFont("Helvetica", "B", 16)
	w.w.f.MultiCell(pageWidth, 8, w.w.tr(s), "", "L", false)
	w.w.f.Ln(2)
}

// Facts writes label–value lines, the label in bold.
func (w *Writer) Facts(rows [][2]string) { w.w.factRows(rows) }

// Heading starts a section, kept with the two lines that follow it.
func (w *Writer) Heading(s string) { w.w.heading(s, 10) }

// Paragraph writes a paragraph of running text and a little space, on a
// new page when fewer than two of its lines fit on this one.
func (w *Writer) Paragraph(s string) {
	w.w.f.SetFont("Helvetica", "", 9)
	w.w.room(10)
	w.w.paragraph(s)
	w.w.f.Ln(1.5)
}

// Table writes a section: its heading and a table, or the sentence none
// when rows is empty.
func (w *Writer) Table(title, none string, cols []Column, rows [][]string) {
	cs := make([]column, len(cols))
	for i, c := range cols {
		cs[i] = column{c.Head, c.Width}
	}
	w.w.section(title, none, cs, rows)
}

// NewPage starts a new page: an annex starts on its own.
func (w *Writer) NewPage() { w.w.f.AddPage() }

// Annex1 writes d's facts and tables: annex 1 inside another document.
func (w *Writer) Annex1(d Document) {
	w.w.factRows(d.facts(w.w))
	w.w.f.Ln(3)
	w.w.tables(d)
}

// Bytes ends the document and returns it.
func (w *Writer) Bytes() ([]byte, error) { return w.w.output() }
