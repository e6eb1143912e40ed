package web

import (
	"errors"
	"net/http"

	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/store"
)

// Requests from the citizen's own view (DSR-1): signed in, the citizen has
// proven who they are, so the request page's form files at once, without
// the e-mail step and its code; the package of an executed access or
// portability request is downloaded straight from the view.

// portalSession is the signed-in citizen, or a redirect to the sign-in
// page; done is true when it answered.
func (a *App) portalSessionOrSignin(w http.ResponseWriter, r *http.Request) (store.CitizenSession, bool) {
	s, ok, _, err := a.citizenSession(r)
	if err != nil {
		a.internalError(w, r, "citizen session", err)
		return s, true
	}
	if !ok {
		http.Redirect(w, r, a.portalPath(r), http.StatusSeeOther)
		return s, true
	}
	return s, false
}

// portalRequestShow is the request form of the view: the kinds and their
// fields, no address.
func (a *App) portalRequestShow(w http.ResponseWriter, r *http.Request) {
	if _, done := a.portalSessionOrSignin(w, r); done {
		return
	}
	p := a.citizenPage(r, string(dsr.Access))
	p.Portal = true
	a.render(w, r, http.StatusOK, "citizen-request", p)
}

// portalRequestCreate files the request for the signed-in citizen: field
// errors as on the request page, a duplicate said as such, else the
// receipt (which says when no mail will come).
func (a *App) portalRequestCreate(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	s, done := a.portalSessionOrSignin(w, r)
	if done {
		return
	}
	p := a.citizenPage(r, r.PostForm.Get("kind"))
	p.Portal = true
	kind := dsr.Kind(p.Kind)
	if !kind.Valid() {
		p.Errors = append(p.Errors, fieldError{"kind-access", a.t(r, "citizen.error.kind")})
	}
	p.KindForm = kindFieldsOf(r)
	p.Errors = append(p.Errors, a.kindFieldErrors(r, kind, p.KindForm)...)
	if len(p.Errors) > 0 {
		a.render(w, r, http.StatusUnprocessableEntity, "citizen-request", p)
		return
	}
	t := tenantFrom(r.Context())
	req, err := a.opts.Store.FilePortalRequest(r.Context(), t.ID, s, kind, string(LangFrom(r.Context())), p.KindForm, RequestIDFrom(r.Context()))
	if errors.Is(err, store.ErrSessionInvalid) {
		http.Redirect(w, r, a.portalPath(r), http.StatusSeeOther)
		return
	}
	a.renderFiled(w, r, p, req, err)
}

// portalPackageDownload hands the signed-in citizen the package of their
// own executed request, counted and audited by the store.
func (a *App) portalPackageDownload(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	s, done := a.portalSessionOrSignin(w, r)
	if done {
		return
	}
	t := tenantFrom(r.Context())
	zip, _, err := a.opts.Store.PortalPackage(r.Context(), t.ID, s, r.PathValue("id"), RequestIDFrom(r.Context()))
	if err != nil {
		a.packageFailed(w, r, err)
		return
	}
	writeZip(w, "kluis-"+t.Slug+"-package.zip", zip)
}
