package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// The operator's side of maintenance notices (AUD-4), in the operators'
// realm at /operator/maintenance: their own notices (controller and window
// only: scope and reason are sealed with the controller's key) and the form
// to announce one, which the store refuses when it starts fewer than the
// controller's minimum working days ahead.

// realmOnly serves h on the operators' realm only; on a controller's
// pages the path does not exist.
func (a *App) realmOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !tenantFrom(r.Context()).IsPlatform() {
			a.notFound(w, r)
			return
		}
		h(w, r)
	}
}

// realmPage renders h outside the controllers' staff layout (require puts
// its member in the context): the realm has no back office, only the
// operator's own pages, like their home.
func realmPage(h signedIn) signedIn {
	return func(w http.ResponseWriter, r *http.Request, u account.User) {
		h(w, r.WithContext(context.WithValue(r.Context(), staffKey{}, nil)), u)
	}
}

type operatorNoticesPage struct {
	Slug    string
	Notices []operatorNoticeRow
	Tenants []tenantOption
	Form    struct{ Tenant, From, Until, Scope, Reason string }
	Errors  fieldErrors
	Done    bool
}

type operatorNoticeRow struct {
	store.OperatorNoticeSummary
	State string
}

type tenantOption struct {
	Slug, Name string
	Selected   bool
}

func (a *App) operatorNoticesShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderOperatorNotices(w, r, me, http.StatusOK, operatorNoticesPage{Done: r.URL.Query().Get("done") == "announced"})
}

func (a *App) renderOperatorNotices(w http.ResponseWriter, r *http.Request, me account.User, status int, p operatorNoticesPage) {
	ns, err := a.opts.Store.OperatorNotices(r.Context(), me.ID)
	if err != nil {
		a.internalError(w, r, "operator notices", err)
		return
	}
	ts, err := a.opts.Store.Tenants(r.Context())
	if err != nil {
		a.internalError(w, r, "tenants", err)
		return
	}
	now := a.opts.Store.Now()
	for _, n := range ns {
		p.Notices = append(p.Notices, operatorNoticeRow{n, n.StateAt(now)})
	}
	for _, t := range ts {
		if t.Status == tenant.StatusActive {
			p.Tenants = append(p.Tenants, tenantOption{t.Slug, t.LegalName, t.Slug == p.Form.Tenant})
		}
	}
	p.Slug = tenantFrom(r.Context()).Slug
	a.render(w, r, status, "operator-notices", p)
}

// operatorNoticeCreate announces maintenance as the signed-in operator.
func (a *App) operatorNoticeCreate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	var p operatorNoticesPage
	f := &p.Form
	f.Tenant, f.From, f.Until = r.PostForm.Get("tenant"), strings.TrimSpace(r.PostForm.Get("from")), strings.TrimSpace(r.PostForm.Get("until"))
	f.Scope, f.Reason = r.PostForm.Get("scope"), r.PostForm.Get("reason")
	in := store.NoticeInput{Operator: me.Email, Scope: f.Scope, Reason: f.Reason}
	bad := map[string]string{}
	for _, v := range []struct {
		field, text string
		dst         *time.Time
	}{{"from", f.From, &in.From}, {"until", f.Until, &in.Until}} {
		if v.text == "" {
			continue // the store names it as required
		}
		t, err := workdays.ParseLocal(v.text)
		if err != nil {
			bad[v.field] = a.t(r, "maintenance.error."+v.field+"_invalid")
			continue
		}
		*v.dst = t
	}
	t, err := a.opts.Store.TenantBySlug(r.Context(), f.Tenant)
	if err != nil || t.IsPlatform() {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			a.internalError(w, r, "notice tenant", err)
			return
		}
		bad["tenant"] = a.t(r, "maintenance.error.tenant")
	}
	var ve *store.NoticeValidationError
	if _, noTenant := bad["tenant"]; !noTenant {
		actor := audit.Actor{Kind: audit.KindOperator, ID: me.ID, Role: "operator", RequestID: RequestIDFrom(r.Context())}
		_, err = a.opts.Store.AnnounceMaintenance(r.Context(), actor, t.ID, in)
		switch {
		case errors.As(err, &ve):
			for field, key := range ve.Fields {
				if _, unparsed := bad[field]; unparsed {
					continue
				}
				if key == "maintenance.error.too_soon" {
					bad[field] = a.t(r, key, ve.Days, ve.Earliest.In(workdays.Brussels).Format("02.01.2006"))
				} else {
					bad[field] = a.t(r, key)
				}
			}
		case errors.Is(err, store.ErrNoSuchOperator), errors.Is(err, store.ErrNotFound):
			bad["tenant"] = a.t(r, "maintenance.error.tenant")
		case err != nil:
			a.internalError(w, r, "announce maintenance", err)
			return
		}
	}
	if len(bad) == 0 {
		http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/maintenance?done=announced", http.StatusSeeOther)
		return
	}
	for _, field := range []string{"tenant", "from", "until", "scope", "reason"} {
		if m, ok := bad[field]; ok {
			p.Errors = append(p.Errors, fieldError{field, m})
		}
	}
	a.renderOperatorNotices(w, r, me, http.StatusUnprocessableEntity, p)
}
