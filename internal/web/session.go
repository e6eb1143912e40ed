package web

import (
	"errors"
	"github.com/kluis/kluis/internal/ratelimit"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
)

// sessionCookie names the session cookie. The __Host- prefix makes
// browsers accept it only when Secure, with Path=/ and without Domain, so
// no subdomain or plain-HTTP page can set or overwrite it (ASVS 3.3.3).
// Browsers accept Secure cookies from http://localhost and 127.0.0.1, so
// development needs no exception.
const sessionCookie = "__Host-kluis_session"

// setSessionCookie hands the browser its session token. No Max-Age: the
// cookie ends with the browser; the server ends the session anyway at its
// idle or absolute timeout.
func setSessionCookie(w http.ResponseWriter, token store.SessionToken) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: string(token), Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode})
}

func clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode})
}

// clearSiteData asks the browser, as a session ends, to drop whatever it
// kept of the signed-in pages: its cache (pages are no-store; this covers
// a browser that kept one anyway, such as its back-forward cache) and any
// script storage. Not "cookies": tenants share a host, and that would also
// end the person's sessions at other municipalities and forget their
// language; the ended session's own cookie is cleared by name (ASVS
// 14.3.1).
func clearSiteData(w http.ResponseWriter) {
	w.Header().Set("Clear-Site-Data", `"cache", "storage"`)
}

// sessionToken returns the session cookie's value, or "".
func sessionToken(r *http.Request) string {
	if c, err := r.Cookie(sessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// currentUser returns the user of the request's session on the request's
// tenant. ok is false when there is no valid session; err is an internal
// error. A session of another tenant is no session here.
func (a *App) currentUser(r *http.Request) (u account.User, info store.SessionInfo, ok bool, err error) {
	tok := sessionToken(r)
	if tok == "" {
		return u, info, false, nil
	}
	u, info, err = a.opts.Store.Session(r.Context(), tenantFrom(r.Context()).ID, tok)
	if errors.Is(err, store.ErrSessionInvalid) {
		return u, info, false, nil
	}
	return u, info, err == nil, err
}

// userActor is the audit actor of a signed-in user; a supplier operator
// under a grant is recorded as an operator.
func userActor(u account.User, requestID string) audit.Actor {
	kind := audit.KindUser
	if u.Role == account.RoleSupport {
		kind = audit.KindOperator
	}
	return audit.Actor{Kind: kind, ID: u.ID, Role: string(u.Role), OnBehalfOf: u.OnBehalfOf, RequestID: requestID}
}

// localNext returns next when it is a local path inside the tenant's own
// pages, else the tenant's signed-in page (ASVS 3.7.2: no open redirect).
// Refused: other hosts and schemes ("https://…", "//host"), backslashes
// (which browsers read as slashes), control characters, dot segments that
// climb out of the tenant, and other tenants' paths.
func localNext(slug, next string) string {
	def := "/" + slug + "/signed-in"
	prefix := "/" + slug + "/"
	if !strings.HasPrefix(next, prefix) || strings.Contains(next, "//") || strings.ContainsAny(next, `\`) {
		return def
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f {
			return def
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return def
	}
	if p := path.Clean(u.Path); !strings.HasPrefix(p+"/", prefix) || strings.Contains(u.Path, "//") {
		return def
	}
	return next
}

// browserHint names the browser family and platform of a User-Agent
// ("Firefox on Linux") for the user's list of sessions. The full header
// is never stored: it is a fingerprint.
func browserHint(ua string) string {
	browser := "Unknown browser"
	switch {
	case strings.Contains(ua, "Edg/"):
		browser = "Edge"
	case strings.Contains(ua, "OPR/"):
		browser = "Opera"
	case strings.Contains(ua, "Firefox/"):
		browser = "Firefox"
	case strings.Contains(ua, "Chrome/"), strings.Contains(ua, "Chromium/"):
		browser = "Chrome"
	case strings.Contains(ua, "Safari/"):
		browser = "Safari"
	}
	platform := ""
	switch {
	case strings.Contains(ua, "Android"):
		platform = "Android"
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"):
		platform = "iOS"
	case strings.Contains(ua, "Windows"):
		platform = "Windows"
	case strings.Contains(ua, "Mac OS X"), strings.Contains(ua, "Macintosh"):
		platform = "macOS"
	case strings.Contains(ua, "CrOS"):
		platform = "ChromeOS"
	case strings.Contains(ua, "Linux"):
		platform = "Linux"
	}
	if platform == "" {
		return browser
	}
	return browser + " on " + platform
}

// DefaultLoginRateLimit is how many login posts one client address may
// make per minute when Options.LoginRateLimit is 0.
const DefaultLoginRateLimit = 20

// newRateLimiter limits each client address to perMinute requests a
// minute (DefaultLoginRateLimit when 0), on top of the per-account
// lockout, which stops guessing one account; this slows spraying many.
func newRateLimiter(perMinute int) *ratelimit.Limiter {
	if perMinute <= 0 {
		perMinute = DefaultLoginRateLimit
	}
	return ratelimit.New(perMinute, time.Now)
}

// rateLimited answers 429 with the localized page when the client address
// has used up its budget for h.
func (a *App) rateLimited(l *ratelimit.Limiter, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !l.Allow(a.clientIP(r)) {
			w.Header().Set("Retry-After", "60")
			a.error(w, r, http.StatusTooManyRequests)
			return
		}
		h(w, r)
	}
}
