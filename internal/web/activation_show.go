package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/password"
	"github.com/kluis/kluis/internal/policy"
)

// newPasswordForm is what the activation and reset pages show: the
// person's name, the password rules, and the problems of the last attempt.
type newPasswordForm struct {
	TenantName string
	Name       string
	MinLength  int
	Errors     fieldErrors
	// Providers link an identity instead of a password (activation only).
	Providers []oidcButton
	// Texts is the locale key prefix of the page's title, heading, lead
	// and button on the shared new-password page: "reset.password" for a
	// reset, "account.password" for a signed-in user's change.
	Texts string
	Slug  string // set for a signed-in user's page (its navigation)
}

// fieldError is one problem of a form, linked from the error summary.
type fieldError struct {
	Field   string // the input's id
	Message string
}

// fieldErrors are a form's problems, in the order the summary lists them.
type fieldErrors []fieldError

// For returns the message for field, or "".
func (es fieldErrors) For(field string) string {
	for _, e := range es {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// activationShow is where an invited person opens their activation link
// and chooses their own password (USR-1, USR-3). An unknown, used or
// expired link gets one page that does not say which.
func (a *App) activationShow(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	u, err := a.opts.Store.Invitation(r.Context(), t.ID, r.PathValue("token"))
	if a.invitationFailed(w, r, err) {
		return
	}
	form, err := a.newPasswordPage(r, u)
	if err != nil {
		a.internalError(w, r, "tenant policy", err)
		return
	}
	if form.Providers, err = a.activationProviders(r); err != nil {
		a.internalError(w, r, "oidc providers", err)
		return
	}
	a.render(w, r, http.StatusOK, "activate", form)
}

// activationProviders are the buttons to link an identity instead of
// choosing a password ("Koppel uw eID").
func (a *App) activationProviders(r *http.Request) ([]oidcButton, error) {
	prefix := "/" + tenantFrom(r.Context()).Slug + "/activate/" + url.PathEscape(r.PathValue("token")) + "/oidc/"
	return a.oidcButtons(r, "link", func(name string) string { return prefix + name })
}

// activationCreate sets the chosen password and activates the account.
func (a *App) activationCreate(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	token := r.PathValue("token")
	u, err := a.opts.Store.Invitation(r.Context(), t.ID, token)
	if a.invitationFailed(w, r, err) {
		return
	}
	form, pw, err := a.checkNewPassword(r, u)
	if err != nil {
		a.internalError(w, r, "check new password", err)
		return
	}
	if len(form.Errors) > 0 {
		if form.Providers, err = a.activationProviders(r); err != nil {
			a.internalError(w, r, "oidc providers", err)
			return
		}
		a.render(w, r, http.StatusUnprocessableEntity, "activate", form)
		return
	}
	hash, err := a.opts.Hasher.Hash(r.Context(), pw)
	if err != nil {
		a.internalError(w, r, "hash password", err)
		return
	}
	_, err = a.opts.Store.ActivateUser(r.Context(), t.ID, token, hash, RequestIDFrom(r.Context()))
	if a.invitationFailed(w, r, err) {
		return
	}
	// Post/redirect/get: a reload does not post the password again.
	http.Redirect(w, r, "/"+t.Slug+"/activated", http.StatusSeeOther)
}

// activatedShow confirms the activation.
func (a *App) activatedShow(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	a.render(w, r, http.StatusOK, "activated", struct{ TenantName, Slug string }{t.LegalName, t.Slug})
}

// invitationFailed renders the page for a link that no longer works, or
// the internal error page, and reports whether it did.
func (a *App) invitationFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, account.ErrTokenInvalid):
		a.render(w, r, http.StatusGone, "link-invalid", nil)
	default:
		a.internalError(w, r, "invitation", err)
	}
	return true
}

// newPasswordForm is the empty form for u under the tenant's password
// policy pol.
func (a *App) newPasswordForm(tenantName string, u account.User, pol policy.Policy) newPasswordForm {
	return newPasswordForm{TenantName: tenantName, Name: u.Name, MinLength: pol.Password().MinLength, Texts: "reset.password"}
}

// newPasswordPage reads the tenant's policy and returns the empty form.
func (a *App) newPasswordPage(r *http.Request, u account.User) (newPasswordForm, error) {
	pol, err := a.tenantPolicy(r)
	if err != nil {
		return newPasswordForm{}, err
	}
	return a.newPasswordForm(tenantFrom(r.Context()).LegalName, u, pol), nil
}

// checkNewPassword reads the chosen password and its confirmation from the
// posted form and checks them against the tenant's password policy, with
// the tenant's name, slug and the user's address as context words, and,
// when the policy asks for it and the platform has a service, against the
// breached-password corpus (USR-3). It returns the form to show again
// (with Errors when the password cannot be used) and the password; err is
// internal.
//
// When the breached-password service cannot be reached, an admin's or
// DPO's password is refused with a message saying so (fail closed: their
// accounts open everything), and a user's is accepted and the outage
// logged, without personal data (fail open: a user should not be locked
// out of activation by a third party's outage).
func (a *App) checkNewPassword(r *http.Request, u account.User) (newPasswordForm, string, error) {
	t := tenantFrom(r.Context())
	pol, err := a.tenantPolicy(r)
	if err != nil {
		return newPasswordForm{}, "", err
	}
	form := a.newPasswordForm(t.LegalName, u, pol)
	lang := string(LangFrom(r.Context()))
	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("password_confirm")
	if v := pol.Password().Check(pw, t.LegalName, t.Slug, u.Email); v != nil {
		form.Errors = append(form.Errors, fieldError{"password", password.Message(lang, v)})
		return form, pw, nil
	}
	if pw != confirm {
		form.Errors = append(form.Errors, fieldError{"password_confirm", a.t(r, "activate.error.mismatch")})
		return form, pw, nil
	}
	if !pol.BreachCheck || a.opts.Breached == nil {
		return form, pw, nil
	}
	hit, err := a.opts.Breached.Breached(r.Context(), pw)
	switch {
	case err != nil && (u.Role == account.RoleAdmin || u.Role == account.RoleDPO):
		a.log.WarnContext(r.Context(), "breached-password check unavailable: password refused (admin or DPO account)",
			"request_id", RequestIDFrom(r.Context()), "tenant_id", t.ID, "error", err.Error())
		form.Errors = append(form.Errors, fieldError{"password", a.t(r, "password.breach_unavailable")})
	case err != nil:
		a.log.WarnContext(r.Context(), "breached-password check unavailable: password accepted (user account)",
			"request_id", RequestIDFrom(r.Context()), "tenant_id", t.ID, "error", err.Error())
	case hit:
		form.Errors = append(form.Errors, fieldError{"password", password.Message(lang, &password.Violation{Rule: password.RuleBreached})})
	}
	return form, pw, nil
}
