package web

import (
	"errors"
	"net/http"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
)

// forgotForm is the "forgot your password" page.
type forgotForm struct {
	TenantName string
	Slug       string
	Errors     fieldErrors
}

// forgotShow asks for the e-mail address of the account to reset (USR-4).
func (a *App) forgotShow(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	a.render(w, r, http.StatusOK, "reset-request", forgotForm{TenantName: t.LegalName, Slug: t.Slug})
}

// forgotCreate sends a reset link when the address belongs to an active
// account, and answers with the same page whether it does or not (ASVS
// 5.0 6.4.1: no enumeration).
func (a *App) forgotCreate(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	email := r.PostForm.Get("email")
	if account.NormalizeEmail(email) == "" {
		a.render(w, r, http.StatusUnprocessableEntity, "reset-request", forgotForm{TenantName: t.LegalName, Slug: t.Slug,
			Errors: fieldErrors{{"email", a.t(r, "reset.error.email")}}})
		return
	}
	compose := func(u account.User, token string) *store.OutgoingMail {
		l, _ := locale.Parse(u.Lang)
		link := a.tenantLink(t, "/password/reset/"+token)
		return &store.OutgoingMail{To: u.Email, Lang: u.Lang, Kind: "account.password-reset",
			Subject: locale.T(l, "mail.reset.subject", t.LegalName),
			Body:    locale.T(l, "mail.reset.body", u.Name, t.LegalName, link)}
	}
	if err := a.opts.Store.RequestPasswordReset(r.Context(), t.ID, email, RequestIDFrom(r.Context()), compose); err != nil {
		a.internalError(w, r, "request password reset", err)
		return
	}
	a.render(w, r, http.StatusOK, "reset-requested", forgotForm{TenantName: t.LegalName, Slug: t.Slug})
}

// resetShow is where the reset link leads: the form for a new password.
// An unknown, used or expired link gets one page that does not say which.
func (a *App) resetShow(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	u, err := a.opts.Store.ResetUser(r.Context(), t.ID, r.PathValue("token"))
	if a.resetFailed(w, r, err) {
		return
	}
	form, err := a.newPasswordPage(r, u)
	if err != nil {
		a.internalError(w, r, "tenant policy", err)
		return
	}
	a.render(w, r, http.StatusOK, "reset-password", form)
}

// resetCreate checks the new password against the policy, sets it, ends
// every session of the user and tells them by mail.
func (a *App) resetCreate(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	token := r.PathValue("token")
	u, err := a.opts.Store.ResetUser(r.Context(), t.ID, token)
	if a.resetFailed(w, r, err) {
		return
	}
	form, pw, err := a.checkNewPassword(r, u)
	if err != nil {
		a.internalError(w, r, "check new password", err)
		return
	}
	if len(form.Errors) > 0 {
		a.render(w, r, http.StatusUnprocessableEntity, "reset-password", form)
		return
	}
	hash, err := a.opts.Hasher.Hash(r.Context(), pw)
	if err != nil {
		a.internalError(w, r, "hash password", err)
		return
	}
	notice := func(u account.User) *store.OutgoingMail {
		l, _ := locale.Parse(u.Lang)
		return &store.OutgoingMail{To: u.Email, Lang: u.Lang, Kind: "account.password-changed",
			Subject: locale.T(l, "mail.password_changed.subject", t.LegalName),
			Body:    locale.T(l, "mail.password_changed.body", u.Name, t.LegalName)}
	}
	_, err = a.opts.Store.ResetPassword(r.Context(), t.ID, token, hash, RequestIDFrom(r.Context()), notice)
	if a.resetFailed(w, r, err) {
		return
	}
	// The browser's session (if any) was revoked with the others.
	clearSessionCookie(w)
	http.Redirect(w, r, "/"+t.Slug+"/login?reset=done", http.StatusSeeOther)
}

// resetFailed renders the page for a reset link that no longer works, or
// the internal error page, and reports whether it did.
func (a *App) resetFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, account.ErrTokenInvalid):
		a.render(w, r, http.StatusGone, "reset-invalid", tenantFrom(r.Context()).Slug)
	default:
		a.internalError(w, r, "password reset", err)
	}
	return true
}
