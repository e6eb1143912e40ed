package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/password"
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
	form := a.newPasswordForm(t.LegalName, u)
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
	form, pw := a.checkNewPassword(r, u)
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

func (a *App) policy() password.Policy {
	p, _ := password.DefaultPolicy.Normalize()
	return p
}

func (a *App) newPasswordForm(tenantName string, u account.User) newPasswordForm {
	return newPasswordForm{TenantName: tenantName, Name: u.Name, MinLength: a.policy().MinLength}
}

// checkNewPassword reads the chosen password and its confirmation from the
// posted form and checks them against the policy, with the tenant's name,
// slug and the user's address as context words. It returns the form to
// show again (with Errors when the password cannot be used) and the
// password.
func (a *App) checkNewPassword(r *http.Request, u account.User) (newPasswordForm, string) {
	t := tenantFrom(r.Context())
	form := a.newPasswordForm(t.LegalName, u)
	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("password_confirm")
	if v := a.policy().Check(pw, t.LegalName, t.Slug, u.Email); v != nil {
		form.Errors = append(form.Errors, fieldError{"password", password.Message(string(LangFrom(r.Context())), v)})
	} else if pw != confirm {
		form.Errors = append(form.Errors, fieldError{"password_confirm", a.t(r, "activate.error.mismatch")})
	}
	return form, pw
}
