package web

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
)

// The readable overview of an access or portability package (DSR-1, art.
// 15 GDPR: the information "in a concise, intelligible and easily
// accessible form", art. 12): an A4 PDF in the person's language, under
// the municipality's letterhead, that says per submission which form,
// when, its status, the answers as label: value, the files, its history
// and who accessed it, as sentences. It is drawn inside the transaction
// that executes the request, so it reads nothing from the store itself:
// the branding is fetched before.

// packageOverview returns the store's overview renderer for tenantID,
// with its branding read now.
func (a *App) packageOverview(ctx context.Context, tenantID string) (func(store.OverviewInput) ([]byte, error), error) {
	stored, err := a.opts.Store.Branding(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return func(in store.OverviewInput) ([]byte, error) {
		l, ok := locale.Parse(in.Lang)
		if !ok {
			l = locale.NL
		}
		// A request in the person's language, for the letterhead's labels.
		r := (&http.Request{}).WithContext(context.WithValue(ctx, stateKey{}, &requestState{lang: l}))
		return a.packagePDF(r, tenantID, stored, in)
	}, nil
}

// executeSubjectRequest executes an approved request; for access and
// portability it builds the package with its overview and mails the
// citizen the link on this site.
func (a *App) executeSubjectRequest(ctx context.Context, actor audit.Actor, tenantID, id string) error {
	overview, err := a.packageOverview(ctx, tenantID)
	if err != nil {
		return err
	}
	return a.opts.Store.ExecuteSubjectRequestWith(ctx, actor, tenantID, id, store.PackageOptions{Overview: overview, LinkBase: a.opts.BaseURL})
}

func (a *App) packagePDF(r *http.Request, tenantID string, stored store.Branding, in store.OverviewInput) ([]byte, error) {
	const margin, width = 20.0, 210.0 - 40.0
	p := in.Package
	lang := in.Lang
	t := func(key string, args ...any) string { return a.t(r, key, args...) }
	b := stored.Settings.Resolve(p.Controller)
	f, tr := a.newLetterPDF(r, t("package.pdf.title")+" – "+b.Name, t("package.pdf.twin"), b.Name,
		b.Name+" – "+t("package.pdf.request", cmp.Or(p.Reference, p.RequestID)), p.GeneratedAt)
	// The ZIP deflates the whole PDF at once; fpdf's own compression
	// starts a compressor per page, most of the package's CPU for a person
	// with a thousand submissions.
	f.SetCompression(false)
	f.AddPage()
	if err := a.letterhead(r, f, tr, tenantID, stored, b, margin, width); err != nil {
		return nil, fmt.Errorf("package PDF: %w", err)
	}
	text := func(style string, size, h float64, s string) {
		f.SetFont("Helvetica", style, size)
		f.MultiCell(width, h, tr(s), "", "L", false)
	}
	text("B", 18, 8, t("package.pdf.title"))
	text("", 11, 6, t("package.pdf.lead", b.Name, datetime(p.GeneratedAt), len(p.Submissions)))
	f.Ln(2)
	text("", 10, 5, t("package.pdf.files"))
	f.Ln(4)
	if len(p.Submissions) == 0 {
		text("", 11, 6, t("package.pdf.none"))
	}
	for i, s := range p.Submissions {
		fm := in.Forms[store.FormRef(s.Form, s.FormVersion)]
		title := fm.Title.In(lang)
		if title == "" {
			title = s.Form
		}
		f.SetDrawColor(200, 200, 200)
		f.Line(margin, f.GetY(), margin+width, f.GetY())
		f.Ln(3)
		text("B", 13, 7, fmt.Sprintf("%d. %s", i+1, title))
		ref := s.Reference
		if ref == "" {
			ref = s.ID
		}
		status := s.Status
		if locale.Has(LangFrom(r.Context()), "inbox.status."+s.Status) {
			status = t("inbox.status." + s.Status)
		}
		text("", 10, 5, t("package.pdf.facts", ref, datetime(s.ReceivedAt), status))
		f.Ln(2)
		text("B", 11, 6, t("package.pdf.answers"))
		for _, line := range packageAnswers(fm, s.Answers, lang, t) {
			text("", 10, 5, line)
		}
		if len(s.Attachments) > 0 {
			f.Ln(1)
			text("B", 11, 6, t("package.pdf.attachments"))
			for _, at := range s.Attachments {
				text("", 10, 5, "- "+at.Name+" ("+humanSize(at.Size)+")")
			}
		}
		if len(s.History)+len(s.Replies) > 0 {
			f.Ln(1)
			text("B", 11, 6, t("package.pdf.history"))
			for _, e := range append(append([]dsr.Entry{}, s.History...), s.Replies...) {
				line := datetime(e.At) + " – " + packageWord(r, "package.pdf.kind."+e.Kind, e.Kind)
				if e.Status != "" {
					line += ": " + packageWord(r, "inbox.status."+e.Status, e.Status)
				}
				if e.Text != "" {
					line += " – " + e.Text
				}
				text("", 10, 5, line)
			}
		}
		if len(s.Events) > 0 {
			f.Ln(1)
			text("B", 11, 6, t("package.pdf.accesses"))
			for _, e := range s.Events {
				text("", 10, 5, packageAccess(r, e))
			}
		}
		f.Ln(4)
	}
	f.SetFont("Helvetica", "I", 9)
	f.SetTextColor(70, 70, 70)
	f.MultiCell(width, 5, tr(t("package.pdf.twin")), "", "L", false)
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("package PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// packageAnswers are a submission's answers as "label: value" in lang, in
// the form's order; answers to fields the form version does not know (or
// without the form) by their key.
func packageAnswers(fm form.Form, raw json.RawMessage, lang string, t func(string, ...any) string) []string {
	var answers form.Answers
	if json.Unmarshal(raw, &answers) != nil {
		return nil
	}
	var out []string
	done := map[string]bool{}
	for _, fl := range fm.Fields() {
		done[fl.Key] = true
		if fl.Type == form.TypeFile {
			continue
		}
		v := fl.Display(answers[fl.Key], lang, func(key string) string { return t(key) })
		if v == "" {
			v = t("receipt.empty")
		}
		out = append(out, t("package.pdf.answer", fl.Label.In(lang), v))
	}
	for _, k := range slices.Sorted(maps.Keys(answers)) {
		if done[k] {
			continue
		}
		a := answers[k]
		v := a.Value
		if v == "" {
			v = strings.Join(a.Values, ", ")
		}
		out = append(out, t("package.pdf.answer", k, v))
	}
	return out
}

// packageWord is the catalogue's word for key, or raw when it has none.
func packageWord(r *http.Request, key, raw string) string {
	if locale.Has(LangFrom(r.Context()), key) {
		return locale.T(LangFrom(r.Context()), key)
	}
	return raw
}

// packageAccess says one audit event about a submission as a sentence:
// when, which kind of actor in which role (never who), what.
func packageAccess(r *http.Request, e dsr.Event) string {
	who := packageWord(r, "package.pdf.actor."+e.Actor, e.Actor)
	if role := packageWord(r, "role."+e.Role, ""); role != "" {
		who += " (" + role + ")"
	}
	what := packageWord(r, "auditlog.name."+e.Action, e.Action)
	s := locale.T(LangFrom(r.Context()), "package.pdf.access", datetime(e.At), who, what)
	if e.Outcome != "" && e.Outcome != string(audit.OutcomeSuccess) {
		s += " " + locale.T(LangFrom(r.Context()), "package.pdf.access_denied")
	}
	return s
}
