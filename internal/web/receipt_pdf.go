package web

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// receiptPDF renders the citizen's receipt as an A4 PDF in the page's
// language: who received what and when, the reference, and the answers.
// Core fonts with Windows-1252 cover Dutch, French and English.
func (a *App) receiptPDF(r *http.Request, p receiptPage, created time.Time) ([]byte, error) {
	const margin, width = 20.0, 210.0 - 40.0
	f := fpdf.New("P", "mm", "A4", "")
	tr := f.UnicodeTranslatorFromDescriptor("cp1252")
	title := a.t(r, "receipt.heading") + " – " + p.Tenant.LegalName
	f.SetTitle(title, true)
	f.SetAuthor(p.Tenant.LegalName, true)
	f.SetCreator("Kluis", true)
	f.SetLang(LangFrom(r.Context()).HTMLLang())
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(true, margin)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetY(-margin + 5)
		f.SetFont("Helvetica", "", 8)
		f.CellFormat(width, 4, tr(p.Tenant.LegalName+" – "+a.t(r, "receipt.reference")+" "+p.Reference+" – "+
			a.t(r, "annex.pdf.page", f.PageNo(), "{nb}")), "", 0, "C", false, 0, "")
	})
	f.AddPage()
	f.SetFont("Helvetica", "B", 18)
	f.MultiCell(width, 8, tr(a.t(r, "receipt.heading")), "", "L", false)
	f.SetFont("Helvetica", "", 11)
	f.MultiCell(width, 6, tr(a.t(r, "receipt.received", p.Tenant.LegalName)), "", "L", false)
	f.Ln(4)
	fact := func(label, value string, big bool) {
		f.SetFont("Helvetica", "B", 10)
		f.MultiCell(width, 5, tr(label), "", "L", false)
		if big {
			f.SetFont("Helvetica", "B", 16)
			f.MultiCell(width, 8, tr(value), "", "L", false)
		} else {
			f.SetFont("Helvetica", "", 11)
			f.MultiCell(width, 6, tr(value), "", "L", false)
		}
		f.Ln(2)
	}
	fact(a.t(r, "receipt.reference"), p.Reference, true)
	fact(a.t(r, "receipt.form"), p.Title.Text, false)
	fact(a.t(r, "receipt.date"), p.CreatedAt, false)
	if p.Done.Text != "" {
		f.SetFont("Helvetica", "", 11)
		f.MultiCell(width, 6, tr(p.Done.Text), "", "L", false)
		f.Ln(3)
	}
	f.SetFont("Helvetica", "B", 13)
	f.MultiCell(width, 7, tr(a.t(r, "receipt.answers")), "", "L", false)
	f.Ln(1)
	for _, l := range p.Answers {
		fact(l.Label.Text, l.Value, false)
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("receipt PDF: %w", err)
	}
	return buf.Bytes(), nil
}
