package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// The citizen's download of an access or portability package (DSR-1)
// behind the expiring link of the answer-ready mail: the page says until
// when the package can be downloaded and what is in it, mails a one-time
// code to the request's address, and hands out the ZIP for the right
// code. An unknown, expired or used-up link and a wrong code get a page in
// the citizen's language that reveals nothing about the person. The page
// stands alone (no sign-in), so that the citizen's own view can link here.

type packagePage struct {
	Tenant   tenant.Tenant
	Token    string
	Step     string // "start" or "code"
	Until    string // the last day, dd.mm.jjjj
	Kind     string
	Size     string
	Left     int
	Overview string // the PDF's name in the package
	Errors   fieldErrors
}

// packageLink reads the link of the path's token, or answers with the
// page for an unknown (404) or expired or used-up link (410).
func (a *App) packageLink(w http.ResponseWriter, r *http.Request) (packagePage, bool) {
	t := tenantFrom(r.Context())
	token := r.PathValue("token")
	l, err := a.opts.Store.SubjectPackageLink(r.Context(), t.ID, token)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.errorWith(w, r, http.StatusNotFound, "package.unknown")
		return packagePage{}, false
	case errors.Is(err, store.ErrPackageGone):
		a.errorWith(w, r, http.StatusGone, "package.gone")
		return packagePage{}, false
	case err != nil:
		a.internalError(w, r, "package link", err)
		return packagePage{}, false
	}
	return packagePage{Tenant: t, Token: token, Step: "start", Until: l.ExpiresAt.Add(-time.Second).In(brussels).Format("02.01.2006"),
		Kind: a.t(r, "dsr.kind."+string(l.Kind)), Size: humanSize(l.Size), Left: l.Left,
		Overview: dsr.OverviewName(string(LangFrom(r.Context())))}, true
}

// packageShow is the link's page: what the package holds, until when, and
// the button that mails the code.
func (a *App) packageShow(w http.ResponseWriter, r *http.Request) {
	if p, ok := a.packageLink(w, r); ok {
		a.render(w, r, http.StatusOK, "citizen-package", p)
	}
}

// packageCode mails a one-time code to the request's address.
func (a *App) packageCode(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	p, ok := a.packageLink(w, r)
	if !ok {
		return
	}
	if err := a.opts.Store.RequestPackageCode(r.Context(), p.Tenant.ID, p.Tenant.LegalName, p.Token); err != nil {
		a.packageFailed(w, r, err)
		return
	}
	p.Step = "code"
	a.render(w, r, http.StatusOK, "citizen-package", p)
}

// packageDownload hands out the ZIP for the right code; a wrong, expired
// or used code is a field error and hands out nothing.
func (a *App) packageDownload(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	p, ok := a.packageLink(w, r)
	if !ok {
		return
	}
	code := strings.Join(strings.Fields(r.PostForm.Get("code")), "")
	zip, _, err := a.opts.Store.DownloadSubjectPackage(r.Context(), p.Tenant.ID, p.Token, code)
	if errors.Is(err, store.ErrWrongCode) {
		p.Step, p.Errors = "code", fieldErrors{{"code", a.t(r, "citizen.error.code")}}
		a.render(w, r, http.StatusUnprocessableEntity, "citizen-package", p)
		return
	}
	if err != nil {
		a.packageFailed(w, r, err)
		return
	}
	writeZip(w, "kluis-"+p.Tenant.Slug+"-package.zip", zip)
}

// writeZip sends a package's ZIP as a download that no cache keeps.
func writeZip(w http.ResponseWriter, name string, zip []byte) {
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(zip)
}

// packageFailed answers a store error of the link's steps: the link
// expired or was used up between the page and the post.
func (a *App) packageFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.errorWith(w, r, http.StatusNotFound, "package.unknown")
	case errors.Is(err, store.ErrPackageGone):
		a.errorWith(w, r, http.StatusGone, "package.gone")
	default:
		a.internalError(w, r, "package download", err)
	}
}
