package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// loginForm is what the login page shows.
type loginForm struct {
	TenantName string
	Email      string // as typed, so a mistyped password need not mean retyping it
	Next       string // where to go after login; checked again on use
	Errors     fieldErrors
	// ResetNotice confirms a password reset that just happened (?reset=done).
	ResetNotice bool
	// Providers are the tenant's OpenID providers (USR-2), one button each.
	Providers []oidcButton
	// Passkeys offers the passwordless login (shown by static/passkey.js).
	Passkeys bool
	Slug     string
}

// loginProviders are the login page's OpenID buttons, passing next on.
func (a *App) loginProviders(r *http.Request, next string) ([]oidcButton, error) {
	slug := tenantFrom(r.Context()).Slug
	return a.oidcButtons(r, "login", func(name string) string { return withNext("/"+slug+"/login/oidc/"+name, next) })
}

// loginShow is a tenant's login page (contract USR-6).
func (a *App) loginShow(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	q := r.URL.Query()
	providers, err := a.loginProviders(r, q.Get("next"))
	if err != nil {
		a.internalError(w, r, "oidc providers", err)
		return
	}
	a.render(w, r, http.StatusOK, "login", loginForm{TenantName: t.LegalName, Next: q.Get("next"), ResetNotice: q.Get("reset") == "done",
		Providers: providers, Passkeys: a.relyingParty(r) != nil, Slug: t.Slug})
}

// loginCreate checks the e-mail address and password. Every failure gives
// the same page and status, whatever the reason (ASVS 6.3.8); the store
// spends the same hashing work on each. On success the browser gets a new
// session (never one it brought: no fixation) and goes to next when that
// is a local path of this tenant.
func (a *App) loginCreate(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	email, pw := r.PostForm.Get("email"), r.PostForm.Get("password")
	next := r.PostForm.Get("next")
	if next == "" {
		next = r.URL.Query().Get("next")
	}
	// The tenant's lockout and session lifetimes (USR-6, issue 3).
	pol, err := a.tenantPolicy(r)
	if err != nil {
		a.internalError(w, r, "tenant policy", err)
		return
	}
	u, tok, err := a.opts.Store.Login(r.Context(), t.ID, email, pw, a.opts.Hasher, pol.Lockout(),
		RequestIDFrom(r.Context()), store.WithUserAgentHint(browserHint(r.UserAgent())),
		store.WithSessionPolicy(store.SessionPolicyOf(pol)))
	if errors.Is(err, account.ErrLoginFailed) {
		providers, perr := a.loginProviders(r, next)
		if perr != nil {
			a.internalError(w, r, "oidc providers", perr)
			return
		}
		a.render(w, r, http.StatusUnauthorized, "login", loginForm{TenantName: t.LegalName, Email: email, Next: next,
			Errors: []fieldError{{"email", a.t(r, "login.error.failed")}}, Providers: providers, Passkeys: a.relyingParty(r) != nil, Slug: t.Slug})
		return
	}
	if err != nil {
		a.internalError(w, r, "login", err)
		return
	}
	if old := sessionToken(r); old != "" {
		// The browser brought a session: end it, the new one replaces it.
		if ou, _, ok, _ := a.currentUser(r); ok {
			_ = a.opts.Store.RevokeSession(r.Context(), userActor(ou, RequestIDFrom(r.Context())), t.ID, old)
		}
	}
	setSessionCookie(w, tok)
	// The new session is password-only: the second factor comes next, or
	// enrolment when the role requires one (USR-2).
	to, err := a.mfaGate(r, u, store.SessionInfo{}, next)
	if err != nil {
		a.internalError(w, r, "mfa gate", err)
		return
	}
	if to == "" {
		to = localNext(t.Slug, next)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// logoutCreate ends the session and clears the cookie.
func (a *App) logoutCreate(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	u, _, ok, err := a.currentUser(r)
	if err != nil {
		a.internalError(w, r, "logout", err)
		return
	}
	if ok {
		actor := userActor(u, RequestIDFrom(r.Context()))
		if err := a.opts.Store.RevokeSession(r.Context(), actor, t.ID, sessionToken(r)); err != nil &&
			!errors.Is(err, store.ErrSessionInvalid) {
			a.internalError(w, r, "logout", err)
			return
		}
	}
	clearSessionCookie(w)
	clearSiteData(w)
	http.Redirect(w, r, "/"+t.Slug+"/login", http.StatusSeeOther)
}

// signedInShow confirms who is signed in; without a valid session it sends
// the visitor to the login page, to come back here.
func (a *App) signedInShow(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	u, info, ok, err := a.currentUser(r)
	if err != nil {
		a.internalError(w, r, "session", err)
		return
	}
	if !ok {
		a.toLogin(w, r)
		return
	}
	if to, err := a.mfaGate(r, u, info, ""); err != nil {
		a.internalError(w, r, "mfa gate", err)
		return
	} else if to != "" {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	if t.IsPlatform() {
		a.operatorHome(w, r, u)
		return
	}
	a.staffHome(w, withStaff(r, u), u)
}

// toLogin redirects to the tenant's login page with the current path as
// next.
func (a *App) toLogin(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	http.Redirect(w, r, "/"+t.Slug+"/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
}
