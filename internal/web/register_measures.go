package web

import (
	"net/http"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/annex"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/tenant"
)

// The measures annexes (ADT-1): VO-B annex 1's measures checklist and VO-A
// annex 2's list, answered from the tenant's compliance report, as pages
// beside annex 1 and as PDFs the controller attaches to its agreement.

// measuresKinds maps a page's kind to its layout.
var measuresKinds = map[string]func(annex.MeasuresInput, locale.Lang) annex.MeasuresDocument{
	"measures": annex.Measures,
	"annex2":   annex.AnnexTwo,
}

// measuresPage is a measures annex as a web page.
type measuresPage struct {
	Slug, TenantName string
	Doc              annex.MeasuresDocument
	PDF, PDFFrench   string
	Other, OtherKind string // the other measures annex
}

// measuresPath is the page of a measures annex under the tenant.
func measuresPath(kind string) string {
	if kind == "annex2" {
		return "/admin/register/annex2"
	}
	return "/admin/register/measures"
}

// measuresDoc lays out the tenant's measures annex of kind in lang from its
// compliance report now, read by me (audited as compliance.read, since it
// opens the names of admins without a second factor); link makes the
// evidence addresses from the report's back-office paths.
func (a *App) measuresDoc(r *http.Request, me account.User, kind string, lang locale.Lang, link func(string) string) (annex.MeasuresDocument, error) {
	t := tenantFrom(r.Context())
	rep, err := a.complianceReport(r, me)
	if err != nil {
		return annex.MeasuresDocument{}, err
	}
	in := annex.FromReport(rep, lang, tenant.FormatKBO(t.EnterpriseNumber), link)
	in.Controller = t.LegalName
	return measuresKinds[kind](in, lang), nil
}

// measuresShow shows a measures annex in the page's language (ViewAudit,
// like the compliance report it is answered from), its evidence linked to
// the back-office pages that show it.
func (a *App) measuresShow(kind string) func(http.ResponseWriter, *http.Request, account.User) {
	return func(w http.ResponseWriter, r *http.Request, me account.User) {
		t := tenantFrom(r.Context())
		lang := LangFrom(r.Context())
		doc, err := a.measuresDoc(r, me, kind, lang, nil)
		if err != nil {
			a.internalError(w, r, "measures annex", err)
			return
		}
		other := "annex2"
		if kind == "annex2" {
			other = "measures"
		}
		pdf := "/" + t.Slug + measuresPath(kind) + ".pdf"
		page := measuresPage{Slug: t.Slug, TenantName: t.LegalName, Doc: doc, PDF: pdf,
			Other: "/" + t.Slug + measuresPath(other), OtherKind: other}
		if lang != locale.FR {
			// The agreement is Dutch; French on request (VO-B's template).
			page.PDFFrench = pdf + "?doc=fr"
		}
		a.render(w, r, http.StatusOK, "register-measures", page)
	}
}

// measuresPDF sends a measures annex as a PDF in the request's language,
// its evidence as absolute addresses on the tenant's own host.
func (a *App) measuresPDF(kind string) func(http.ResponseWriter, *http.Request, account.User) {
	return func(w http.ResponseWriter, r *http.Request, me account.User) {
		t := tenantFrom(r.Context())
		// The document's language is the reader's, or the one asked for
		// with ?doc= (not ?lang=, which would also switch the reader's
		// pages to it).
		lang := LangFrom(r.Context())
		if l, ok := locale.Parse(r.URL.Query().Get("doc")); ok {
			lang = l
		}
		doc, err := a.measuresDoc(r, me, kind, lang, annex.AbsoluteLinks(a.opts.BaseURL, t.Slug, a.primaryHost(t)))
		if err != nil {
			a.internalError(w, r, "measures annex", err)
			return
		}
		doc.HTMLTwin = a.tenantLink(t, measuresPath(kind)+"?lang="+string(lang))
		b, err := doc.PDF(a.opts.Store.Now())
		if err != nil {
			a.internalError(w, r, "measures PDF", err)
			return
		}
		attachment(w, "application/pdf", locale.T(lang, "measures."+kind+".filename", t.Slug)+".pdf")
		w.Header().Set("Content-Language", lang.HTMLLang())
		w.Write(b)
	}
}
