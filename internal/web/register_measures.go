package web

import (
	"net/http"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/annex"
	"github.com/kluis/kluis/internal/compliance"
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
	facts, err := compliance.Collect(r.Context(), a.opts.Store, t.ID, a.opts.Store.Now(),
		compliance.Options{Actor: userActor(me, RequestIDFrom(r.Context())), Platform: a.compliancePlatform()})
	if err != nil {
		return annex.MeasuresDocument{}, err
	}
	in := annex.FromReport(compliance.Build(facts), lang, tenant.FormatKBO(t.EnterpriseNumber), link)
	in.Controller = t.LegalName
	return measuresKinds[kind](in, lang), nil
}

// compliancePlatform is what this server's configuration says about the
// platform, for the compliance report: the database engine and whether
// backups are scheduled and replicated to a second site.
func (a *App) compliancePlatform() compliance.Platform {
	return compliance.Platform{Database: string(a.opts.Store.Dialect()), Scheduled: a.opts.Backups.At != "",
		SecondSite: a.opts.Backups.SecondSite != ""}
}

// measuresShow shows a measures annex in the page's language
// (ViewRegister, like annex 1), its evidence linked to the back-office
// pages that show it.
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
		// The report's paths start with the tenant's slug; the tenant's
		// own host may serve them without it.
		doc, err := a.measuresDoc(r, me, kind, lang, func(p string) string {
			return a.tenantLink(t, strings.TrimPrefix(p, "/"+t.Slug))
		})
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
