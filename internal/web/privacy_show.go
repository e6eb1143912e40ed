package web

import (
	"errors"
	"net/http"

	"github.com/kluis/kluis/internal/annex"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// loc is a register text in the reader's language, with the language it
// is really in (a missing translation falls back to Dutch, and the page
// marks it so screen readers pronounce it right); the annex uses the same.
type loc = annex.Localized

var locOf = annex.Localize

// privacyPurpose is one purpose as the privacy statement shows it.
type privacyPurpose struct {
	Name, Reference    loc
	LegalBasis, Art9   string
	HasReference, Has9 bool
}

// privacyRow is one data category as the privacy statement shows it.
type privacyRow struct {
	Name, Reason, Countermeasures, ClassLabel loc
	Class                                     string
	RetentionDays                             int
	Expiry                                    string
	Purposes                                  []privacyPurpose
	Recipients                                []loc
}

// privacyShow is the tenant's public privacy statement, generated from its
// current processing register (DSR-4): what is processed, why, on which
// legal basis, how long, for whom, and which rights people have.
func (a *App) privacyShow(w http.ResponseWriter, r *http.Request) {
	a.servePublic(w, r, a.publicKey(r, "privacy"), a.privacyRender)
}

// privacyRender renders what privacyShow serves from the render cache (pagecache.go).
func (a *App) privacyRender(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	rv, err := a.opts.Store.CurrentRegister(r.Context(), t.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		a.log.ErrorContext(r.Context(), "read register", "request_id", RequestIDFrom(r.Context()), "tenant", t.ID, "error", err)
		a.error(w, r, http.StatusInternalServerError)
		return
	}
	lang := string(LangFrom(r.Context()))
	reg := rv.Register
	recipients := map[string]register.Recipient{}
	for _, rc := range reg.Recipients {
		recipients[rc.Key] = rc
	}
	var rows []privacyRow
	for _, c := range reg.Categories {
		cl, _ := register.ClassByCode(c.Class)
		row := privacyRow{Name: locOf(c.Name, lang), Reason: locOf(c.Reason, lang), Countermeasures: locOf(c.Countermeasures, lang),
			ClassLabel: a.classLoc(r, cl), Class: c.Class, RetentionDays: c.RetentionDays, Expiry: c.Expiry}
		for _, k := range c.Purposes {
			p, _ := reg.Purpose(k)
			row.Purposes = append(row.Purposes, privacyPurpose{Name: locOf(p.Name, lang), Reference: locOf(p.LegalReference, lang),
				LegalBasis: p.LegalBasis, Art9: p.Art9Basis, HasReference: len(p.LegalReference) > 0, Has9: p.Art9Basis != ""})
		}
		for _, k := range c.Recipients {
			row.Recipients = append(row.Recipients, locOf(recipients[k].Name, lang))
		}
		rows = append(rows, row)
	}
	var subjects []loc
	for _, s := range reg.DataSubjects {
		subjects = append(subjects, locOf(s.Name, lang))
	}
	a.render(w, r, http.StatusOK, "privacy", struct {
		Tenant   tenant.Tenant
		KBO      string
		Register store.RegisterVersion
		Subject  loc
		Rows     []privacyRow
		Subjects []loc
	}{t, tenant.FormatKBO(t.EnterpriseNumber), rv, locOf(reg.Subject, lang), rows, subjects})
}

// classLoc is an information class's label in the reader's language (REG-7:
// the contract's labels are Dutch; the catalogue carries the French and
// English ones), the Dutch label where no translation exists.
func (a *App) classLoc(r *http.Request, cl register.Class) loc {
	lang := LangFrom(r.Context())
	if key := "regedit.class." + cl.Code; lang != locale.NL && locale.Has(lang, key) {
		return loc{Text: locale.T(lang, key), Lang: lang.HTMLLang()}
	}
	return loc{Text: cl.Label, Lang: "nl-BE"}
}
