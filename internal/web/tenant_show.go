package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

type tenantKey struct{}

// tenantFrom returns the tenant that withTenant resolved.
func tenantFrom(ctx context.Context) tenant.Tenant {
	t, _ := ctx.Value(tenantKey{}).(tenant.Tenant)
	return t
}

// withTenant resolves /{tenant}/ by slug and routes the request through the
// tenant route table. An unknown slug is 404; a suspended tenant's pages
// answer 503 without saying more.
func (a *App) withTenant(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.opts.Store == nil {
			a.notFound(w, r)
			return
		}
		slug := r.PathValue("tenant")
		t, err := a.tenants.get(slug, func() (tenant.Tenant, error) { return a.opts.Store.TenantBySlug(r.Context(), slug) })
		switch {
		case errors.Is(err, store.ErrNotFound):
			a.notFound(w, r)
			return
		case err != nil:
			a.internalError(w, r, "resolve tenant", err)
			return
		case t.Status != tenant.StatusActive:
			a.error(w, r, http.StatusServiceUnavailable)
			return
		case t.IsPlatform():
			// The operators' realm has the identity pages only.
			rest := strings.TrimPrefix(r.URL.Path, "/"+t.Slug+"/")
			if rest == "" && r.Method == http.MethodGet {
				http.Redirect(w, r, "/"+t.Slug+"/signed-in", http.StatusSeeOther)
				return
			}
			if !realmAllows(rest) {
				a.notFound(w, r)
				return
			}
		}
		a.serveMux(mux, w, r.WithContext(context.WithValue(r.Context(), tenantKey{}, t)))
	})
}

// tenantShow is the front page of a tenant's e-loket: the published home
// page's composition when there is one, and always the forms.
func (a *App) tenantShow(w http.ResponseWriter, r *http.Request) {
	a.servePublic(w, r, a.publicKey(r, "home"), a.tenantRender)
}

// tenantRender renders what tenantShow serves from the render cache (pagecache.go).
func (a *App) tenantRender(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	var home *siteItem
	switch p, err := a.opts.Store.PublishedHome(r.Context(), t.ID); {
	case err == nil:
		home = &siteItem{Kind: store.SiteKindHome, Home: p.Home, Text: p.Text}
	case !errors.Is(err, store.ErrNotFound):
		a.internalError(w, r, "site home page", err)
		return
	}
	a.renderFront(w, r, home, "")
}

// renderFront renders the front page, composed by home when not nil; back
// set makes it the editor's preview of home.
func (a *App) renderFront(w http.ResponseWriter, r *http.Request, home *siteItem, back string) {
	t := tenantFrom(r.Context())
	all, err := a.opts.Store.Forms(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "list forms", err)
		return
	}
	lang := string(LangFrom(r.Context()))
	type link struct {
		Key          string
		Title, Intro loc
		OnlyIn       bool // not offered in this language: shown in Dutch
	}
	var forms []link
	for _, fv := range all {
		if fv.Status == store.FormPublished {
			forms = append(forms, link{fv.Key, locOf(fv.Form.Title, lang), locOf(fv.Form.Intro, lang), !fv.Form.OffersLang(lang)})
		}
	}
	// A tenant whose contract is ending lists no forms: it takes nothing
	// new (END-4); the page says so.
	frozen, err := a.frozen.get(t.ID, func() (bool, error) { return a.opts.Store.TenantFrozen(r.Context(), t.ID) })
	if err != nil {
		a.internalError(w, r, "termination state", err)
		return
	}
	if frozen {
		forms = nil
	}
	// The site's published pages (issue 15's content pages) are linked
	// from the front page.
	site, err := a.siteMenu(r, "")
	if err != nil {
		a.internalError(w, r, "site menu", err)
		return
	}
	var composed *homeView
	if home != nil {
		if composed, err = a.homeOf(r, home.Text, home.Home); err != nil {
			a.internalError(w, r, "site home page", err)
			return
		}
	}
	a.render(w, r, http.StatusOK, "tenant", struct {
		Tenant tenant.Tenant
		Forms  []link
		Frozen bool
		Site   []siteLink
		Home   *homeView
		Back   string // the editor's preview: the way back
	}{t, forms, frozen, site, composed, back})
}

// tenantRedirect sends /{tenant} to /{tenant}/ when the tenant exists, and
// answers 404 otherwise (rather than redirecting any path into a tenant).
func (a *App) tenantRedirect(w http.ResponseWriter, r *http.Request) {
	if a.opts.Store != nil {
		if _, err := a.opts.Store.TenantBySlug(r.Context(), r.PathValue("tenant")); err == nil {
			http.Redirect(w, r, "/"+r.PathValue("tenant")+"/", http.StatusMovedPermanently)
			return
		}
	}
	a.notFound(w, r)
}
