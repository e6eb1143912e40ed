package export

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/kluis/kluis/internal/locale"
)

// Writer writes the rows of one export file; Close finishes the file (it
// does not close the underlying writer).
type Writer interface {
	Write(cells []string) error
	Close() error
}

// Extension is the file name extension of a format ("pdf" is a ZIP).
func Extension(format string) string {
	if format == "pdf" {
		return "zip"
	}
	return format
}

// ContentType is the media type of a format's file.
func ContentType(format string) string {
	switch format {
	case "csv":
		return "text/csv; charset=utf-8"
	case "xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "application/zip"
}

// New returns the writer of format ("csv", "xlsx" or "pdf") for table t.
// Every format streams into w: nothing is written anywhere else.
func New(format string, w io.Writer, t *Table, created time.Time) (Writer, error) {
	switch format {
	case "csv":
		return NewCSV(w, t.Header())
	case "xlsx":
		return NewXLSX(w, t.Header())
	case "pdf":
		return NewPDFZip(w, t, created), nil
	}
	return nil, fmt.Errorf("export: unknown format %q", format)
}

// CSV: UTF-8 with a byte order mark and ";" between cells, as Excel in
// Belgium expects; cells that a spreadsheet would take for a formula are
// defused (CSVSafe).
type csvWriter struct {
	bw *bufio.Writer
	cw *csv.Writer
}

// NewCSV writes the BOM and the header.
func NewCSV(w io.Writer, header []string) (Writer, error) {
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteString("\ufeff")
	cw := csv.NewWriter(bw)
	cw.Comma = ';'
	cw.UseCRLF = true
	c := &csvWriter{bw: bw, cw: cw}
	return c, c.Write(header)
}

func (c *csvWriter) Write(cells []string) error {
	safe := make([]string, len(cells))
	for i, s := range cells {
		safe[i] = CSVSafe(s)
	}
	return c.cw.Write(safe)
}

func (c *csvWriter) Close() error {
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

// CSVSafe prefixes a cell that starts with =, +, -, @, a tab or a carriage
// return with an apostrophe, so that a spreadsheet shows it as text
// instead of running it as a formula (CSV injection, OWASP).
func CSVSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// PDF: one A4 PDF per submission (title, then each column's label and
// value), bundled as a ZIP named by reference.
type pdfZip struct {
	z       *zip.Writer
	t       *Table
	header  []string
	created time.Time
	n       int
}

// NewPDFZip starts the ZIP bundle.
func NewPDFZip(w io.Writer, t *Table, created time.Time) Writer {
	return &pdfZip{z: zip.NewWriter(w), t: t, header: t.Header(), created: created}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9-]`)

func (p *pdfZip) Write(cells []string) error {
	p.n++
	name := unsafeName.ReplaceAllString(cells[0], "")
	if name == "" {
		name = fmt.Sprintf("%06d", p.n)
	}
	b, err := SubmissionPDF(p.t.Lang, p.t.Title, cells[0], p.header, cells, p.created)
	if err != nil {
		return err
	}
	fw, err := p.z.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("%06d-%s.pdf", p.n, name), Method: zip.Store, Modified: p.created})
	if err != nil {
		return err
	}
	_, err = fw.Write(b)
	return err
}

func (p *pdfZip) Close() error { return p.z.Close() }

// SubmissionPDF renders one submission as an A4 PDF in lang: the form's
// title, then each label with its value (values[i] under labels[i]), the
// reference in the footer of every page. The export bundles one per
// submission; the inbox prints one.
func SubmissionPDF(lang locale.Lang, title, reference string, labels, values []string, created time.Time) ([]byte, error) {
	const margin, width = 20.0, 210.0 - 40.0
	f := fpdf.New("P", "mm", "A4", "")
	// Core fonts speak Windows-1252, which covers Dutch, French and
	// English, as the receipt and annex 1 do.
	tr := f.UnicodeTranslatorFromDescriptor("cp1252")
	f.SetTitle(title+" – "+reference, true)
	f.SetCreator("Kluis", true)
	f.SetLang(lang.HTMLLang())
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(true, margin)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetY(-margin + 5)
		f.SetFont("Helvetica", "", 8)
		f.CellFormat(width, 4, tr(reference+" – "+locale.T(lang, "annex.pdf.page", f.PageNo(), "{nb}")), "", 0, "C", false, 0, "")
	})
	f.AddPage()
	f.SetFont("Helvetica", "B", 16)
	f.MultiCell(width, 8, tr(title), "", "L", false)
	f.Ln(3)
	for i, label := range labels {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		f.SetFont("Helvetica", "B", 10)
		f.MultiCell(width, 5, tr(label), "", "L", false)
		f.SetFont("Helvetica", "", 11)
		f.MultiCell(width, 6, tr(v), "", "L", false)
		f.Ln(2)
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("export PDF: %w", err)
	}
	return buf.Bytes(), nil
}
