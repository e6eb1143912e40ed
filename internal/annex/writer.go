package annex

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

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
	f := fpdf.New("L", "mm", "A4", "")
	cp1252 := f.UnicodeTranslatorFromDescriptor("cp1252")
	// Comparisons write "old → new"; the arrow is not in Windows-1252.
	arrow := strings.NewReplacer("→", "->")
	w := &pdfWriter{f: f, tr: func(s string) string { return cp1252(arrow.Replace(s)) },
		t: func(key string, args ...any) string { return locale.T(lang, key, args...) }}
	f.SetTitle(title, true)
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
	w.w.facts(d)
	w.w.f.Ln(3)
	w.w.tables(d)
}

// Bytes ends the document and returns it.
func (w *Writer) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	if err := w.w.f.Output(&buf); err != nil {
		return nil, fmt.Errorf("PDF: %w", err)
	}
	return buf.Bytes(), nil
}
