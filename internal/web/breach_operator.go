package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// The supplier's side of the breach register, in the operators' realm at
// /operator/breaches (BRE-1): the breaches supplier staff opened, with
// their clocks, and the annex-2 form to open one for a controller with
// what is known — a description and the discovery time suffice — and to
// complete it later. Sending a version notifies the controller's admins
// and DPO at once; a version kept as a draft leaves the 24-hour clock
// running, and the security officer is warned at 18 hours.

type operatorBreachRow struct {
	store.OperatorBreach
	Clocks breachClocks
	Auto   string // why Kluis opened it as a draft on its own (BRE-1), or ""
}

type operatorBreachesPage struct {
	Slug string
	Rows []operatorBreachRow
	Done string
}

// operatorBreachesShow lists the breaches operators opened, of every
// tenant, without their forms.
func (a *App) operatorBreachesShow(w http.ResponseWriter, r *http.Request, me account.User) {
	list, err := a.opts.Store.OperatorBreaches(r.Context())
	if err != nil {
		a.internalError(w, r, "operator breaches", err)
		return
	}
	auto, err := a.opts.Store.AllBreachAttempts(r.Context())
	if err != nil {
		a.internalError(w, r, "breach attempts", err)
		return
	}
	p := operatorBreachesPage{Slug: tenantFrom(r.Context()).Slug, Done: r.URL.Query().Get("done")}
	for _, b := range list {
		d, ok := auto[b.ID]
		p.Rows = append(p.Rows, operatorBreachRow{b, a.breachClocks(r, b.Breach), a.attemptNote(r, b.Breach, d, ok)})
	}
	a.render(w, r, http.StatusOK, "operator-breaches", p)
}

// operatorBreachPage is the realm's form, for a new breach (id "") or an
// update of one of tenant slug.
func (a *App) operatorBreachPage(r *http.Request, slug, id string, notify bool) (breachFormPage, error) {
	realm := tenantFrom(r.Context()).Slug
	p := breachFormPage{Slug: realm, Realm: true, Notify: notify, Heading: a.t(r, "breach.op.new_heading"), Lead: a.t(r, "breach.op.new_lead"),
		Action: "/" + realm + "/breaches/new", Submit: a.t(r, "breach.op.submit")}
	if id != "" {
		p.Heading, p.Lead, p.Action = a.t(r, "breach.edit.heading"), a.t(r, "breach.op.edit_lead"), "/"+realm+"/breaches/"+slug+"/"+id
	}
	ts, err := a.opts.Store.Tenants(r.Context())
	if err != nil {
		return p, err
	}
	for _, t := range ts {
		if t.Status == tenant.StatusActive && !t.IsPlatform() && (id == "" || t.Slug == slug) {
			p.Tenants = append(p.Tenants, tenantOption{t.Slug, t.LegalName, t.Slug == slug})
			if t.Slug == slug {
				p.TenantName = t.LegalName
			}
		}
	}
	return p, nil
}

// operatorBreachNew shows the empty form.
func (a *App) operatorBreachNew(w http.ResponseWriter, r *http.Request, me account.User) {
	p, err := a.operatorBreachPage(r, r.URL.Query().Get("tenant"), "", true)
	if err != nil {
		a.internalError(w, r, "tenants", err)
		return
	}
	v := breachValues{"discovered_at": localTime(a.opts.Store.Now().Truncate(time.Minute))}
	a.renderBreachForm(w, r, http.StatusOK, p, v, nil, nil)
}

// realmTenant is the controller a realm form names, or ok false.
func (a *App) realmTenant(r *http.Request, slug string) (tenant.Tenant, bool, error) {
	t, err := a.opts.Store.TenantBySlug(r.Context(), slug)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (t.IsPlatform() || t.Status != tenant.StatusActive)) {
		return t, false, nil
	}
	return t, err == nil, err
}

// realmTenantOr404 is the controller the path names ({slug}), or the
// not-found page: ok false.
func (a *App) realmTenantOr404(w http.ResponseWriter, r *http.Request) (tenant.Tenant, bool) {
	t, ok, err := a.realmTenant(r, r.PathValue("slug"))
	switch {
	case err != nil:
		a.internalError(w, r, "breach tenant", err)
		return t, false
	case !ok:
		a.notFound(w, r)
		return t, false
	}
	return t, true
}

// operatorBreachCreate opens a breach for the chosen controller.
func (a *App) operatorBreachCreate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	slug, notify := r.PostForm.Get("tenant"), r.PostForm.Get("notify") == "1"
	p, err := a.operatorBreachPage(r, slug, "", notify)
	if err != nil {
		a.internalError(w, r, "tenants", err)
		return
	}
	t, ok, err := a.realmTenant(r, slug)
	if err != nil {
		a.internalError(w, r, "breach tenant", err)
		return
	}
	var extra map[string]string
	if !ok {
		extra = map[string]string{"tenant": "breach.error.tenant"}
	}
	_, saved := a.saveBreach(w, r, p, extra, func(rep breach.Report) (store.Breach, error) {
		return a.opts.Store.OpenBreach(r.Context(), breachOperatorActor(me, r), t.ID, rep, a.notifyIf(notify))
	})
	if saved {
		http.Redirect(w, r, "/"+p.Slug+"/breaches?done=saved", http.StatusSeeOther)
	}
}

// notifyIf is the notification's composer when the operator sends the
// version, nil for a draft.
func (a *App) notifyIf(notify bool) store.BreachMail {
	if notify {
		return a.breachNotifyMail
	}
	return nil
}

// operatorBreachEdit shows the form of a controller's breach filled with
// its latest version (a read recorded in the controller's log).
func (a *App) operatorBreachEdit(w http.ResponseWriter, r *http.Request, me account.User) {
	t, ok := a.realmTenantOr404(w, r)
	if !ok {
		return
	}
	b, ok := a.breachOr404(w, r, breachOperatorActor(me, r), t.ID, r.PathValue("id"), "supplier's update form")
	if !ok {
		return
	}
	p, err := a.operatorBreachPage(r, t.Slug, b.ID, true)
	if err != nil {
		a.internalError(w, r, "tenants", err)
		return
	}
	// The supplier's own access to the controller, to end (BRE-2).
	p.ContainAction = p.Action + "/contain"
	if p.Contain, err = a.containGroups(r, breachOperatorActor(me, r), t.ID); err != nil {
		a.internalError(w, r, "containment targets", err)
		return
	}
	v, checked := valuesOf(b.Report)
	a.renderBreachForm(w, r, http.StatusOK, p, v, checked, nil)
}

// operatorBreachUpdate saves the next version of a controller's breach.
func (a *App) operatorBreachUpdate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t, ok := a.realmTenantOr404(w, r)
	if !ok {
		return
	}
	notify := r.PostForm.Get("notify") == "1"
	p, err := a.operatorBreachPage(r, t.Slug, r.PathValue("id"), notify)
	if err != nil {
		a.internalError(w, r, "tenants", err)
		return
	}
	_, saved := a.saveBreach(w, r, p, nil, func(rep breach.Report) (store.Breach, error) {
		return a.opts.Store.UpdateBreach(r.Context(), breachOperatorActor(me, r), t.ID, r.PathValue("id"), rep, a.notifyIf(notify))
	})
	if saved {
		http.Redirect(w, r, "/"+p.Slug+"/breaches?done=saved", http.StatusSeeOther)
	}
}

// operatorBreachPath is the realm's update form of the breach in the path.
func operatorBreachPath(r *http.Request) string {
	return "/" + tenantFrom(r.Context()).Slug + "/breaches/" + r.PathValue("slug") + "/" + r.PathValue("id")
}
