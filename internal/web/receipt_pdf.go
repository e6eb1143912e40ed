package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/kluis/kluis/internal/brand"
	"github.com/kluis/kluis/internal/store"
)

// receiptPDF renders the citizen's receipt as an A4 PDF in the page's
// language: who received what and when, the reference, and the answers.
// Core fonts with Windows-1252 cover Dutch, French and English.
//
// It opens with the municipality's letterhead (its logo when that is a
// PNG, which fpdf can place; its name; its contact block). fpdf cannot tag
// a PDF for accessibility, so the document says in its subject, and on the
// page, that the receipt page in the browser is its accessible version.
func (a *App) receiptPDF(r *http.Request, p receiptPage, created time.Time) ([]byte, error) {
	const margin, width = 20.0, 210.0 - 40.0
	stored, err := a.tenantBranding(r.Context(), p.Tenant.ID)
	if err != nil {
		return nil, fmt.Errorf("receipt PDF: %w", err)
	}
	b := stored.Settings.Resolve(p.Tenant.LegalName)
	f, tr := a.newLetterPDF(r, a.t(r, "receipt.heading")+" – "+b.Name, a.t(r, "branding.pdf.receipt_twin"), b.Name,
		b.Name+" – "+a.t(r, "receipt.reference")+" "+p.Reference, created)
	f.AddPage()
	if err := a.letterhead(r, f, tr, p.Tenant.ID, stored, b, margin, width); err != nil {
		return nil, fmt.Errorf("receipt PDF: %w", err)
	}
	f.SetFont("Helvetica", "B", 18)
	f.MultiCell(width, 8, tr(a.t(r, "receipt.heading")), "", "L", false)
	f.SetFont("Helvetica", "", 11)
	f.MultiCell(width, 6, tr(a.t(r, "receipt.received", b.Name)), "", "L", false)
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
	f.Ln(4)
	f.SetFont("Helvetica", "I", 9)
	f.SetTextColor(70, 70, 70)
	f.MultiCell(width, 5, tr(a.t(r, "branding.pdf.receipt_twin")), "", "L", false)
	f.SetTextColor(0, 0, 0)
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("receipt PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// newLetterPDF starts an A4 PDF in r's language with the house margins
// (margin, width: 20 mm and the 170 mm between them), its title, subject,
// author and dates, and a footer of footer and the page number. Core fonts
// with Windows-1252 (the returned translator) cover nl, fr and en.
func (a *App) newLetterPDF(r *http.Request, title, subject, author, footer string, created time.Time) (*fpdf.Fpdf, func(string) string) {
	const margin, width = 20.0, 210.0 - 40.0
	f := fpdf.New("P", "mm", "A4", "")
	tr := f.UnicodeTranslatorFromDescriptor("cp1252")
	f.SetTitle(title, true)
	f.SetSubject(subject, true)
	f.SetAuthor(author, true)
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
		f.CellFormat(width, 4, tr(footer+" – "+a.t(r, "annex.pdf.page", f.PageNo(), "{nb}")), "", 0, "C", false, 0, "")
	})
	return f, tr
}

// letterheadLogoHeight is the height of the logo in a letterhead, in mm.
const letterheadLogoHeight = 16.0

// letterhead draws the municipality's letterhead at the top of the page:
// the logo when it is a PNG (an SVG logo leaves the name alone: fpdf
// cannot draw SVG), the name and the contact block, then a rule in the
// accent colour.
func (a *App) letterhead(r *http.Request, f *fpdf.Fpdf, tr func(string) string, tenantID string, stored store.Branding,
	b brand.Brand, margin, width float64) error {
	top := f.GetY()
	x := margin
	if stored.LogoType == brand.TypePNG {
		logo, _, err := a.opts.Store.BrandingLogo(r.Context(), tenantID)
		if err != nil {
			return err
		}
		opts := fpdf.ImageOptions{ImageType: "PNG"}
		info := f.RegisterImageOptionsReader("logo", opts, bytes.NewReader(logo.Data))
		if !f.Ok() {
			return f.Error()
		}
		w := letterheadLogoHeight * info.Width() / info.Height()
		w = min(w, 60)
		f.ImageOptions("logo", margin, top, w, 0, false, opts, 0, "")
		x = margin + w + 5
	}
	f.SetXY(x, top)
	f.SetFont("Helvetica", "B", 13)
	f.MultiCell(width-(x-margin), 6, tr(b.Name), "", "L", false)
	f.SetFont("Helvetica", "", 8.5)
	f.SetTextColor(70, 70, 70)
	for _, l := range b.Contact.ContactLines(a.t(r, "branding.contact.phone"), a.t(r, "branding.contact.email"),
		a.t(r, "branding.contact.website"), a.t(r, "branding.contact.hours")) {
		f.SetX(x)
		f.MultiCell(width-(x-margin), 4, tr(l), "", "L", false)
	}
	f.SetTextColor(0, 0, 0)
	y := max(f.GetY(), top+letterheadLogoHeight) + 3
	cr, cg, cb := hexRGB(b.Accent)
	f.SetDrawColor(cr, cg, cb)
	f.SetLineWidth(0.8)
	f.Line(margin, y, margin+width, y)
	f.SetLineWidth(0.2)
	f.SetDrawColor(0, 0, 0)
	f.SetXY(margin, y+6)
	return nil
}

// hexRGB splits a checked #rrggbb colour into its channels.
func hexRGB(c string) (int, int, int) {
	v, err := strconv.ParseUint(strings.TrimPrefix(c, "#"), 16, 32)
	if err != nil || len(c) != 7 {
		return 0, 0, 0
	}
	return int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)
}
