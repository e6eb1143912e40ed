package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
)

// auditRetentionPage is the audit log's retention page (AUD-2): how long
// the log keeps its events, where that comes from, what was pruned, and —
// for those who keep the register, the admin and the DPO — a form to
// change it.
type auditRetentionPage struct {
	Slug       string
	TenantName string
	Retention  store.AuditRetention
	Default    int
	Min        int
	Max        int
	CanEdit    bool
	Months     string // as stored, or as typed when the form comes back
	Saved      bool
	Errors     fieldErrors
	Pruned     *store.AuditPruning
	Cutoff     time.Time // events older than this go at the next pruning, up to a checkpoint
}

// auditRetentionShow shows the audit retention page.
func (a *App) auditRetentionShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderAuditRetention(w, r, me, http.StatusOK, "", nil, r.URL.Query().Get("saved") != "")
}

// auditRetentionUpdate stores a new audit retention in months. A value
// that is not a whole number, or is under six months or over the maximum,
// comes back with the field named and nothing saved (AUD-2).
func (a *App) auditRetentionUpdate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	typed := strings.TrimSpace(r.PostForm.Get("months"))
	months, err := strconv.Atoi(typed)
	if err != nil {
		a.renderAuditRetention(w, r, me, http.StatusUnprocessableEntity, typed,
			fieldErrors{{"months", a.t(r, "auditret.error.number")}}, false)
		return
	}
	err = a.opts.Store.SetAuditRetention(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, months)
	var re *audit.RetentionError
	switch {
	case errors.As(err, &re):
		a.renderAuditRetention(w, r, me, http.StatusUnprocessableEntity, typed,
			fieldErrors{{re.Field, a.t(r, re.Key, re.Limit)}}, false)
	case err != nil:
		a.internalError(w, r, "set audit retention", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/audit/retention?saved=1", http.StatusSeeOther)
	}
}

func (a *App) renderAuditRetention(w http.ResponseWriter, r *http.Request, me account.User, status int, typed string, errs fieldErrors, saved bool) {
	t := tenantFrom(r.Context())
	ret, err := a.opts.Store.AuditRetention(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "audit retention", err)
		return
	}
	page := auditRetentionPage{Slug: t.Slug, TenantName: t.LegalName, Retention: ret, Default: audit.DefaultRetentionMonths,
		Min: audit.MinRetentionMonths, Max: audit.MaxRetentionMonths, CanEdit: account.Can(me.Role, account.EditRegister),
		Months: strconv.Itoa(ret.Months), Saved: saved, Errors: errs, Cutoff: ret.Cutoff(a.opts.Store.Now())}
	if errs != nil {
		page.Months = typed
	}
	p, err := a.opts.Store.LatestAuditPruning(r.Context(), t.ID)
	switch {
	case err == nil:
		page.Pruned = &p
	case !errors.Is(err, store.ErrNotFound):
		a.internalError(w, r, "audit pruning", err)
		return
	}
	a.render(w, r, status, "audit_retention", page)
}
