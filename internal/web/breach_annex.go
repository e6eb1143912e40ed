package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/workdays"
)

// The annex-2 form as a document (BRE-5): the same numbered sections and
// fields, in the same order, on the breach page, in the PDF the controller
// exports, in the draft text for the GBA and as the columns of the
// register's CSV.

// annexField is one field of the form: a value, or a list of choices with
// the chosen ones marked.
type annexField struct {
	Label   string
	Value   string
	Choices []breachChoice
}

// Chosen lists the labels of the chosen choices.
func (f annexField) Chosen() []string {
	var out []string
	for _, c := range f.Choices {
		if c.Checked {
			out = append(out, c.Label)
		}
	}
	return out
}

// annexSection is one numbered section of annex 2.
type annexSection struct {
	Number int
	Title  string
	Fields []annexField
}

// annexSections is report rep, dated date (the version's), as annex 2
// lays it out. Empty values read "not filled in".
func (a *App) annexSections(r *http.Request, rep breach.Report, date time.Time) []annexSection {
	return annexSectionsIn(a.langOf(r), rep, date)
}

// annexSectionsIn is annexSections in language l: the drafts for the GBA
// and the people affected are in the controller's language (BRE-4),
// whoever reads the page.
func annexSectionsIn(l locale.Lang, rep breach.Report, date time.Time) []annexSection {
	none := locale.T(l, "breach.value.none")
	val := func(s string) string {
		if strings.TrimSpace(s) == "" {
			return none
		}
		return s
	}
	f := func(key, v string) annexField {
		return annexField{Label: locale.T(l, "breach.field."+key), Value: val(v)}
	}
	// The lists of letters (classes, circumstances) name their letter as
	// the annex does; the single choices carry it in their label.
	choices := func(name string, values []string, chosen func(string) bool) []breachChoice {
		var out []breachChoice
		for _, v := range values {
			label := locale.T(l, "breach."+name+"."+v)
			if name == "classes" || name == "circumstances" {
				label = v + ". " + label
			}
			out = append(out, breachChoice{Value: v, Label: label, Checked: chosen(v)})
		}
		return out
	}
	in := func(list []string) func(string) bool {
		return func(v string) bool {
			for _, l := range list {
				if l == v {
					return true
				}
			}
			return false
		}
	}
	is := func(s string) func(string) bool { return func(v string) bool { return v == s } }
	day := func(t time.Time, layout string) string {
		if t.IsZero() {
			return ""
		}
		return t.In(workdays.Brussels).Format(layout)
	}
	var count string
	if rep.People == breach.PeopleRange {
		count = locale.T(l, "breach.value.range", orDash(countText(rep.PeopleMin)), orDash(countText(rep.PeopleMax)))
	}
	sections := []annexSection{
		{Title: "contact", Fields: []annexField{f("contact_name", rep.ContactName), f("contact_email", rep.ContactEmail), f("contact_phone", rep.ContactPhone)}},
		{Title: "company", Fields: []annexField{f("company_name", rep.CompanyName), f("company_address", rep.CompanyAddress), f("company_vat", rep.CompanyVAT)}},
		{Title: "date", Fields: []annexField{f("date", day(date, "02.01.2006"))}},
		{Title: "discoverer", Fields: []annexField{f("discoverer_name", rep.DiscovererName), f("discoverer_title", rep.DiscovererTitle)}},
		{Title: "discovered", Fields: []annexField{f("discovered_date", day(rep.DiscoveredAt, "02.01.2006")), f("discovered_time", day(rep.DiscoveredAt, "15:04"))}},
		{Title: "description", Fields: []annexField{f("description", rep.Description)}},
		{Title: "occurred", Fields: []annexField{{Label: locale.T(l, "breach.field.occurred"), Choices: choices("occurred", breach.OccurredKinds, is(rep.Occurred))},
			f("occurred_from", localTime(rep.OccurredFrom)), f("occurred_until", localTime(rep.OccurredUntil))}},
		{Title: "classes", Fields: []annexField{{Label: locale.T(l, "breach.field.classes"), Choices: choices("classes", breach.Classes, in(rep.Classes))},
			f("class_other", rep.ClassOther)}},
		{Title: "people", Fields: []annexField{{Label: locale.T(l, "breach.field.people"), Choices: choices("people", breach.PeopleKinds, is(rep.People))},
			f("people_count", count)}},
		{Title: "group", Fields: []annexField{f("group", rep.Group)}},
		{Title: "circumstances", Fields: []annexField{{Label: locale.T(l, "breach.field.circumstances"),
			Choices: choices("circumstances", breach.Circumstances, in(rep.Circumstances))}}},
		{Title: "encrypted", Fields: []annexField{{Label: locale.T(l, "breach.field.encrypted"), Choices: choices("encrypted", breach.EncryptedKinds, is(rep.Encrypted))},
			f("encrypted_how", rep.EncryptedHow)}},
		{Title: "measures", Fields: []annexField{f("measures", rep.Measures)}},
	}
	for i := range sections {
		sections[i].Number = i + 1
		sections[i].Title = locale.T(l, "breach.annex."+sections[i].Title)
	}
	return sections
}

// annexText is the form as plain text: the draft the controller starts its
// notification to the GBA from (BRE-3, BRE-4).
func annexText(sections []annexSection) string {
	var b strings.Builder
	for _, s := range sections {
		fmt.Fprintf(&b, "%d. %s\n", s.Number, s.Title)
		for _, f := range s.Fields {
			v := f.Value
			if f.Choices != nil {
				v = strings.Join(f.Chosen(), "; ")
				if v == "" {
					v = "–"
				}
			}
			fmt.Fprintf(&b, "   %s: %s\n", f.Label, v)
		}
	}
	return b.String()
}

// breachPDF renders the latest version of b as the annex-2 form: every
// section numbered, every choice with a box, the chosen ones crossed.
// Core fonts with Windows-1252 cover Dutch, French and English.
func (a *App) breachPDF(r *http.Request, tenantName string, b store.Breach) ([]byte, error) {
	const margin, width = 20.0, 210.0 - 40.0
	v := b.Versions[len(b.Versions)-1]
	created := v.CreatedAt
	f, tr := a.newLetterPDF(r, a.t(r, "breach.pdf.title")+" – "+tenantName, a.t(r, "breach.pdf.twin"), tenantName,
		tenantName+" – "+a.t(r, "breach.pdf.footer", b.ID, v.Version), created)
	f.AddPage()
	f.SetFont("Helvetica", "B", 16)
	f.MultiCell(width, 8, tr(a.t(r, "breach.pdf.title")), "", "L", false)
	f.SetFont("Helvetica", "", 10)
	f.MultiCell(width, 5, tr(a.t(r, "breach.pdf.meta", tenantName, v.Version, datetime(created), v.ContentSHA256)), "", "L", false)
	f.Ln(3)
	_, pageHeight := f.GetPageSize()
	for _, s := range a.annexSections(r, b.Report, created) {
		// A section starts on a new page rather than leave its heading
		// alone at the bottom of one.
		if f.GetY() > pageHeight-margin-35 {
			f.AddPage()
		}
		f.SetFont("Helvetica", "B", 12)
		f.MultiCell(width, 7, tr(fmt.Sprintf("%d. %s", s.Number, s.Title)), "", "L", false)
		for _, fl := range s.Fields {
			f.SetFont("Helvetica", "B", 10)
			f.MultiCell(width, 5, tr(fl.Label), "", "L", false)
			f.SetFont("Helvetica", "", 10)
			if fl.Choices == nil {
				f.MultiCell(width, 5, tr(fl.Value), "", "L", false)
				continue
			}
			for _, c := range fl.Choices {
				box := "[  ]"
				if c.Checked {
					box = "[X]"
				}
				f.MultiCell(width, 5, tr(box+" "+c.Label), "", "L", false)
			}
		}
		f.Ln(2)
	}
	f.SetFont("Helvetica", "I", 9)
	f.SetTextColor(70, 70, 70)
	f.MultiCell(width, 5, tr(a.t(r, "breach.pdf.twin")), "", "L", false)
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("breach PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// breachPDFDownload serves the latest version of a breach as the annex-2
// PDF, recorded as a read of the breach.
func (a *App) breachPDFDownload(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	b, ok := a.breachOr404(w, r, userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id"), "annex-2 PDF")
	if !ok {
		return
	}
	pdf, err := a.breachPDF(r, t.LegalName, b)
	if err != nil {
		a.internalError(w, r, "breach pdf", err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="datalek-%s-v%d.pdf"`, b.ID, b.Version))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(pdf)
}

// breachesRegister serves the register as format (csv or xlsx, the
// export package's writers: CSV with ";" and defused formulas): one row
// per breach (its latest version), the annex-2 fields as columns in the
// form's order, then the clocks' facts (BRE-1, BRE-3). The list read is
// recorded by the store, the download as "breach.export".
func (a *App) breachesRegister(format string) signedIn {
	return func(w http.ResponseWriter, r *http.Request, me account.User) {
		t := tenantFrom(r.Context())
		actor := userActor(me, RequestIDFrom(r.Context()))
		list, err := a.opts.Store.Breaches(r.Context(), actor, t.ID)
		if err != nil {
			a.internalError(w, r, "breaches", err)
			return
		}
		if err := a.opts.Store.RecordBreachExport(r.Context(), actor, t.ID, format, len(list)); err != nil {
			a.internalError(w, r, "breach export", err)
			return
		}
		head := []string{a.t(r, "breach.csv.id"), a.t(r, "breach.csv.version")}
		for _, s := range a.annexSections(r, breach.Report{}, time.Time{}) {
			for _, f := range s.Fields {
				head = append(head, fmt.Sprintf("%d. %s", s.Number, f.Label))
			}
		}
		head = append(head, a.t(r, "breach.csv.notified"), a.t(r, "breach.csv.gba"), a.t(r, "breach.csv.subjects"))
		var rows [][]string
		at := func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return datetime(*t)
		}
		for _, b := range list {
			row := []string{b.ID, fmt.Sprint(b.Version)}
			for _, s := range a.annexSections(r, b.Report, b.ReportAt) {
				for _, f := range s.Fields {
					v := f.Value
					if f.Choices != nil {
						v = strings.Join(f.Chosen(), "; ")
					}
					row = append(row, v)
				}
			}
			rows = append(rows, append(row, at(b.NotifiedAt), at(b.GBANotifiedAt), at(b.SubjectsInformedAt)))
		}
		a.serveTable(w, r, format, "datalekkenregister", head, rows)
	}
}
