package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// Approving the notice and publishing (DSR-3, REG-1, REG-4): the admin
// approves the art. 13 text exactly as the form's page showed it (the
// digest of what was shown is posted back, so a text that changed since
// is refused), and publishes only a draft without problems whose approved
// notice is still the one the form and register give; the store checks
// both again. Publishing and withdrawing are sensitive (step-up).

// formNoticeApprove records the approval of the notice shown for the
// draft version posted.
func (a *App) formNoticeApprove(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	err := a.opts.Store.ApproveNotice(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID,
		r.PathValue("key"), version, r.PostForm.Get("digest"))
	a.afterFormAction(w, r, me, err, "approved")
}

// formPublish publishes the draft version posted.
func (a *App) formPublish(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	_, err := a.opts.Store.PublishForm(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID,
		r.PathValue("key"), version)
	a.afterFormAction(w, r, me, err, "published")
}

// formWithdraw withdraws the published version: the form is no longer
// offered to citizens; its draft, if any, stays.
func (a *App) formWithdraw(w http.ResponseWriter, r *http.Request, me account.User) {
	err := a.opts.Store.RetireForm(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID,
		r.PathValue("key"))
	a.afterFormAction(w, r, me, err, "withdrawn")
}

// afterFormAction answers an approval, publication or withdrawal: back to
// the form's page with done, or the page with why it was refused (409).
// A form the tenant does not have is 404.
func (a *App) afterFormAction(w http.ResponseWriter, r *http.Request, me account.User, err error, done string) {
	if err == nil {
		http.Redirect(w, r, formPagePath(r)+"?done="+done, http.StatusSeeOther)
		return
	}
	var inv *store.FormInvalidError
	var why string
	switch {
	case errors.Is(err, store.ErrNoticeNotApproved):
		why = "forms.error.notice_stale"
		if done == "published" {
			why = "forms.error.notice_not_approved"
		}
	case errors.As(err, &inv):
		why = "forms.error.problems"
	case errors.Is(err, store.ErrNotFound):
		why = "forms.error.not_draft"
		if done == "withdrawn" {
			why = "forms.error.not_published"
		}
	default:
		a.internalError(w, r, "form "+done, err)
		return
	}
	st, ok := a.loadForm(w, r, r.PathValue("key"))
	if !ok {
		return
	}
	a.renderAdminForm(w, r, me, http.StatusConflict, st, adminFormPage{Errors: fieldErrors{{"checklist", a.t(r, why)}}})
}
