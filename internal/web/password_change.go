package web

import (
	"errors"
	"net/http"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// passwordChangePath is where a signed-in user changes their password; a
// stale proof of credentials comes back here after the step-up.
func passwordChangePath(r *http.Request) string {
	return "/" + tenantFrom(r.Context()).Slug + "/account/password"
}

// passwordChangeShow is the form for a new password (USR-3: the user
// chooses it), behind a fresh proof of the current one (step-up).
func (a *App) passwordChangeShow(w http.ResponseWriter, r *http.Request, u account.User) {
	form, err := a.newPasswordPage(r, u)
	if err != nil {
		a.internalError(w, r, "tenant policy", err)
		return
	}
	form.Texts, form.Slug = "account.password", tenantFrom(r.Context()).Slug
	a.render(w, r, http.StatusOK, "reset-password", form)
}

// passwordChangeCreate checks the new password against the tenant's
// policy, stores its hash and ends the user's other sessions; the user is
// told by mail. A broken rule is named (422) and nothing changes.
func (a *App) passwordChangeCreate(w http.ResponseWriter, r *http.Request, u account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	form, pw, err := a.checkNewPassword(r, u)
	if err != nil {
		a.internalError(w, r, "check new password", err)
		return
	}
	form.Texts, form.Slug = "account.password", t.Slug
	if len(form.Errors) > 0 {
		a.render(w, r, http.StatusUnprocessableEntity, "reset-password", form)
		return
	}
	hash, err := a.opts.Hasher.Hash(r.Context(), pw)
	if err != nil {
		a.internalError(w, r, "hash password", err)
		return
	}
	_, err = a.opts.Store.ChangePassword(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID, u.ID, hash, sessionToken(r))
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "change password", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/account/sessions?done=password", http.StatusSeeOther)
	}
}
