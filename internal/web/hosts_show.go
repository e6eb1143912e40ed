package web

import (
	"errors"
	"net/http"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// hostsPage is Beheer › Domeinnamen: the tenant's own host names, and for
// admins the form to add one and a button to remove each.
type hostsPage struct {
	Slug, TenantName string
	CanEdit          bool
	Hosts            []store.TenantHost
	Primary          string // the host marked primary, "" when none
	Form             struct{ Host string }
	Errors           fieldErrors
	Done             string
}

// hostsShow lists the tenant's host names (ViewSettings).
func (a *App) hostsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	var p hostsPage
	switch d := r.URL.Query().Get("done"); d {
	case "added", "removed", "primary":
		p.Done = "hosts.done." + d
	}
	a.renderHosts(w, r, me, http.StatusOK, p)
}

// hostCreate adds a host name. A bad name, or one a tenant already holds,
// comes back as a field error and nothing is saved.
func (a *App) hostCreate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	raw := r.PostForm.Get("host")
	_, err := a.opts.Store.AddTenantHost(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, raw)
	var ve *tenant.ValidationError
	switch {
	case errors.As(err, &ve):
		var p hostsPage
		p.Form.Host = raw
		p.Errors = fieldErrors{{"host", a.t(r, ve.Fields[tenant.FieldHost])}}
		a.renderHosts(w, r, me, http.StatusUnprocessableEntity, p)
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "add tenant host", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/hosts?done=added", http.StatusSeeOther)
	}
}

// hostRemove takes a host name from the tenant; one it does not hold is a 404.
func (a *App) hostRemove(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	host := r.PostForm.Get("host")
	err := a.opts.Store.RemoveTenantHost(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, host)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "remove tenant host", err)
	default:
		a.hostSlugs.forget(requestHost(&http.Request{Host: host}))
		a.primaryHosts.forget(t.ID)
		http.Redirect(w, r, "/"+t.Slug+"/admin/hosts?done=removed", http.StatusSeeOther)
	}
}

// hostPrimary marks one of the tenant's hosts primary (host "": none). A
// name that is not the tenant's comes back as a field error and nothing
// is saved.
func (a *App) hostPrimary(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	err := a.opts.Store.SetTenantPrimaryHost(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, r.PostForm.Get("host"))
	var ve *tenant.ValidationError
	switch {
	case errors.As(err, &ve):
		var p hostsPage
		p.Errors = fieldErrors{{"primary", a.t(r, ve.Fields[tenant.FieldHost])}}
		a.renderHosts(w, r, me, http.StatusUnprocessableEntity, p)
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "set primary host", err)
	default:
		a.primaryHosts.forget(t.ID)
		a.tenants.forget(t.Slug)
		http.Redirect(w, r, "/"+t.Slug+"/admin/hosts?done=primary", http.StatusSeeOther)
	}
}

func (a *App) renderHosts(w http.ResponseWriter, r *http.Request, me account.User, status int, p hostsPage) {
	t := tenantFrom(r.Context())
	p.Slug, p.TenantName, p.CanEdit = t.Slug, t.LegalName, account.Can(me.Role, account.EditSettings)
	hosts, err := a.opts.Store.TenantHosts(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "list tenant hosts", err)
		return
	}
	p.Hosts = hosts
	for _, h := range hosts {
		if h.Primary {
			p.Primary = h.Host
		}
	}
	a.render(w, r, status, "hosts", p)
}
