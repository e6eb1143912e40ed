package web

import (
	"net/http"

	"github.com/kluis/kluis/internal/account"
)

// routes is the route table of the web side, the one place to read what
// Kluis serves. Unknown paths get the localized 404 page and a wrong method
// the localized 405 page (see serveMux).
//
// Everything below /{tenant}/ is one tenant's e-loket: withTenant resolves
// the tenant once and hands the request to the tenant route table. Keeping
// it a second table lets tenant pages use fixed names (/{tenant}/privacy)
// without clashing with platform paths such as /static/{file...}.
func (a *App) routes(mux *routeTable) {
	mux.HandleFunc("GET /{$}", a.homeShow)
	mux.HandleFunc("GET /healthz", a.healthShow)
	mux.HandleFunc("GET /readyz", a.readyShow)
	mux.HandleFunc("GET /static/{file...}", a.staticShow)
	// Only the methods tenant pages use, so that a wrong method on a
	// platform path is a 405, not a redirect into a tenant.
	tenantPages := a.withTenant(a.tenantMux)
	mux.Handle("GET /{tenant}/", tenantPages)
	mux.Handle("POST /{tenant}/", tenantPages)
	mux.HandleFunc("GET /{tenant}", a.tenantRedirect)
}

// tenantRoutes is the route table of a tenant's public pages.
func (a *App) tenantRoutes(mux *routeTable) {
	mux.HandleFunc("GET /{tenant}/{$}", a.tenantShow)
	mux.HandleFunc("GET /{tenant}/privacy", a.privacyShow)
	mux.HandleFunc("GET /{tenant}/activate/{token}", a.activationShow)
	mux.HandleFunc("POST /{tenant}/activate/{token}", a.activationCreate)
	mux.HandleFunc("GET /{tenant}/activated", a.activatedShow)
	mux.HandleFunc("GET /{tenant}/login", a.loginShow)
	mux.HandleFunc("POST /{tenant}/login", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit), a.loginCreate))
	mux.HandleFunc("GET /{tenant}/login/mfa", a.mfaStepShow)
	mux.HandleFunc("POST /{tenant}/login/mfa", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit), a.mfaStepCreate))
	mux.HandleFunc("GET /{tenant}/password/forgot", a.forgotShow)
	mux.HandleFunc("POST /{tenant}/password/forgot", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit), a.forgotCreate))
	mux.HandleFunc("GET /{tenant}/password/reset/{token}", a.resetShow)
	mux.HandleFunc("POST /{tenant}/password/reset/{token}", a.resetCreate)
	mux.HandleFunc("POST /{tenant}/logout", a.logoutCreate)
	mux.HandleFunc("GET /{tenant}/account/mfa", a.mfaEnrolShow)
	mux.HandleFunc("POST /{tenant}/account/mfa", a.mfaEnrolCreate)
	mux.HandleFunc("GET /{tenant}/signed-in", a.signedInShow)
	mux.HandleFunc("GET /{tenant}/admin/users", a.require(account.ViewUsers, a.usersShow))
	mux.HandleFunc("POST /{tenant}/admin/users", a.require(account.ManageUsers, a.userCreate))
	mux.HandleFunc("GET /{tenant}/admin/users/{id}", a.require(account.ManageUsers, a.userShow))
	mux.HandleFunc("POST /{tenant}/admin/users/{id}/{action}", a.require(account.ManageUsers, a.userAction))
	mux.HandleFunc("GET /{tenant}/admin/policy", a.require(account.ViewSettings, a.policyShow))
	mux.HandleFunc("POST /{tenant}/admin/policy", a.require(account.EditSettings, a.policyUpdate))
}

// routeTable registers routes on a ServeMux and remembers their patterns,
// so that the authorisation matrix test can prove it covers every route.
type routeTable struct {
	mux      *http.ServeMux
	patterns []string
}

// Handle registers h for pattern.
func (t *routeTable) Handle(pattern string, h http.Handler) {
	t.mux.Handle(pattern, h)
	t.patterns = append(t.patterns, pattern)
}

// HandleFunc registers h for pattern.
func (t *routeTable) HandleFunc(pattern string, h http.HandlerFunc) { t.Handle(pattern, h) }
