package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// Step-up re-authentication (ASVS 5.0 7.5.3): a sensitive action — a role
// change, an MFA reset, removing a user, and later exports — needs the
// user to have proved their credentials (login, second login step or this
// confirmation) at most StepUpMaxAge ago. Otherwise the browser goes to
// /{tenant}/account/confirm?next=<local path> and comes back after the
// password (and the TOTP code, for users who have one).

// StepUpMaxAge is how old the last proof of credentials may be for a
// sensitive action.
const StepUpMaxAge = 5 * time.Minute

// confirmPath is the tenant's confirmation page, with next.
func confirmPath(slug, next string) string { return withNext("/"+slug+"/account/confirm", next) }

// stepUp wraps the handler of a sensitive action, inside require: it runs h
// only when the session's last proof of credentials is recent. Otherwise
// nothing of h runs before the proof, and:
//   - a POST whose fields can travel (see pendingOf) gets the confirmation
//     page at once, carrying the action as a pending one: after the proof
//     the action is carried out as posted, so that publishing (or a role
//     change) is not silently lost on the way through the confirmation;
//   - any other request is sent to the confirmation page, to come back to
//     back(r) — a local page to resume from. back nil: the request's own
//     path for a GET (a download resumes itself), the signed-in page
//     otherwise.
func (a *App) stepUp(back func(*http.Request) string, h signedIn) signedIn {
	return func(w http.ResponseWriter, r *http.Request, u account.User) {
		info, ok := sessionFrom(r.Context())
		if ok && a.opts.Store.StepUpFresh(info, StepUpMaxAge) {
			h(w, r, u)
			return
		}
		t := tenantFrom(r.Context())
		next := ""
		switch {
		case back != nil:
			next = back(r)
		case r.Method == http.MethodGet:
			next = r.URL.RequestURI()
		}
		next = localNext(t.Slug, next)
		if r.Method == http.MethodPost {
			if then, ok := a.pendingOf(r); ok {
				has, err := a.opts.Store.HasTOTP(r.Context(), t.ID, u.ID)
				if err != nil {
					a.internalError(w, r, "has TOTP", err)
					return
				}
				a.render(w, r, http.StatusOK, "stepup", stepUpForm{TenantName: t.LegalName, Slug: t.Slug,
					Next: next, Then: then, HasTOTP: has})
				return
			}
		}
		to := confirmPath(t.Slug, next)
		if r.Method == http.MethodPost {
			// Not carried (a password field): the page says the form is
			// to be filled in again after the proof, rather than let the
			// action vanish without a word.
			to += "&retype=1"
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
	}
}

// stepUpForm is the confirmation page.
type stepUpForm struct {
	TenantName string
	Slug       string
	Next       string
	// Then is the pending action (see pendingOf), carried in a hidden
	// field, never in a URL; empty when there is none.
	Then    string
	Retype  bool // a post that could not be carried: fill the form in again
	HasTOTP bool
	Errors  fieldErrors
}

// stepUpShow asks for the password again (and the TOTP code when the user
// has one).
func (a *App) stepUpShow(w http.ResponseWriter, r *http.Request, u account.User) {
	t := tenantFrom(r.Context())
	has, err := a.opts.Store.HasTOTP(r.Context(), t.ID, u.ID)
	if err != nil {
		a.internalError(w, r, "has TOTP", err)
		return
	}
	a.render(w, r, http.StatusOK, "stepup", stepUpForm{TenantName: t.LegalName, Slug: t.Slug,
		Next: localNext(t.Slug, r.URL.Query().Get("next")), Retype: r.URL.Query().Get("retype") == "1", HasTOTP: has})
}

// stepUpCreate checks the proof. Missing fields: 422 naming each, nothing
// counted. A wrong password or code: 422 with one message whatever the
// reason, counted toward the lockout like a login failure. A lock that
// starts here ends the session: to the login page. Success: back to next,
// when it is a local path of this tenant.
func (a *App) stepUpCreate(w http.ResponseWriter, r *http.Request, u account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	has, err := a.opts.Store.HasTOTP(r.Context(), t.ID, u.ID)
	if err != nil {
		a.internalError(w, r, "has TOTP", err)
		return
	}
	form := stepUpForm{TenantName: t.LegalName, Slug: t.Slug, Next: localNext(t.Slug, r.PostForm.Get("next")),
		Then: r.PostForm.Get("then"), HasTOTP: has}
	proof := store.StepUpProof{Password: r.PostForm.Get("password"), Code: strings.TrimSpace(r.PostForm.Get("code")),
		RecoveryCode: strings.TrimSpace(r.PostForm.Get("recovery_code"))}
	if proof.Password == "" {
		form.Errors = append(form.Errors, fieldError{"password", a.t(r, "stepup.error.password")})
	}
	if has && proof.Code == "" && proof.RecoveryCode == "" {
		form.Errors = append(form.Errors, fieldError{"code", a.t(r, "stepup.error.code")})
	}
	if len(form.Errors) > 0 {
		a.render(w, r, http.StatusUnprocessableEntity, "stepup", form)
		return
	}
	// The tenant's lockout policy, as at login (USR-6).
	pol, err := a.tenantPolicy(r)
	if err != nil {
		a.internalError(w, r, "tenant policy", err)
		return
	}
	err = a.opts.Store.StepUp(r.Context(), t.ID, sessionToken(r), proof, a.opts.Hasher, pol.Lockout(),
		RequestIDFrom(r.Context()))
	switch {
	case errors.Is(err, store.ErrStepUpFailed):
		form.Errors = fieldErrors{{"password", a.t(r, "stepup.error.failed")}}
		a.render(w, r, http.StatusUnprocessableEntity, "stepup", form)
	case errors.Is(err, store.ErrSessionInvalid):
		clearSessionCookie(w)
		a.toLogin(w, r)
	case err != nil:
		a.internalError(w, r, "step-up", err)
	default:
		if p, ok := a.pendingFrom(r, form.Then); ok {
			a.replay(w, r, p)
			return
		}
		if form.Then != "" {
			// A pending action that does not check out (another session's,
			// expired, altered) is not carried out; say so rather than let
			// the admin believe it was.
			a.errorWith(w, r, http.StatusConflict, "stepup.pending_lost")
			return
		}
		http.Redirect(w, r, form.Next, http.StatusSeeOther)
	}
}
