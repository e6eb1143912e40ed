package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/store"
)

// OpenID Connect login (contract USR-2): the login page shows a button per
// enabled provider of the tenant; /{tenant}/login/oidc/{provider} sends the
// browser to the provider; the provider sends it back to
// /{tenant}/login/oidc/callback, where the flow's state (single use, bound
// to this browser by a cookie), the ID token (signature, issuer, audience,
// expiry, nonce) and the authentication level (acr) are checked before the
// identity — issuer and subject, never an e-mail address — is looked up.
// The same callback finishes linking an identity to a signed-in user's
// account (/{tenant}/account/oidc) or to an invited user's at activation.
// Every refusal is audited in the tenant's log with its reason and
// answered with one localized page.

// flowCookie binds a flow to the browser that started it: the callback
// must bring the same value. Lax, so that the provider's top-level
// redirect back carries it.
const flowCookie = "__Host-kluis_oidc"

var flowCookieRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// flowBinding returns the browser's flow cookie value, making one when
// there is none (several tabs share one value, so their flows all stay
// valid).
func flowBinding(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(flowCookie); err == nil && flowCookieRE.MatchString(c.Value) {
		return c.Value, nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	v := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: v, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		MaxAge: int(store.OIDCFlowTTL / time.Second)})
	return v, nil
}

// oidcClient is the client that talks to providers.
func (a *App) oidcClient() *oidc.Client { return a.opts.OIDC }

// oidcRedirectURL is the callback address registered at every provider.
func (a *App) oidcRedirectURL(r *http.Request) string {
	base := a.publicBase(r)
	if base == "" {
		scheme := "http"
		if a.opts.TLS {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + "/" + tenantFrom(r.Context()).Slug + "/login/oidc/callback"
}

// oidcButton is one provider's button on the login, activation and account
// pages.
type oidcButton struct {
	Href  string
	Label string
}

// oidcButtons lists the tenant's enabled providers as buttons: kind
// "login" (sign in with), "link" (link your …); href makes each address.
func (a *App) oidcButtons(r *http.Request, kind string, href func(name string) string) ([]oidcButton, error) {
	ps, err := a.opts.Store.OIDCProviders(r.Context(), tenantFrom(r.Context()).ID)
	if err != nil {
		return nil, err
	}
	var bs []oidcButton
	for _, p := range ps {
		if !p.Enabled {
			continue
		}
		bs = append(bs, oidcButton{Href: href(p.Name), Label: a.t(r, "oidc."+kind+"."+string(p.Preset), p.DisplayName)})
	}
	return bs, nil
}

// oidcRefusalStatus is the status of the page for a refusal.
func oidcRefusalStatus(reason oidc.Reason) int {
	switch reason {
	case oidc.ReasonBadState:
		return http.StatusBadRequest
	case oidc.ReasonACR, oidc.ReasonUnknownIdentity, oidc.ReasonIdentityTaken, oidc.ReasonAccountInactive:
		return http.StatusForbidden
	case oidc.ReasonUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusUnauthorized
}

// oidcRefusedPage says why a login or link through a provider did not
// work, in words the person can act on.
type oidcRefusedPage struct {
	TenantName string
	Message    string
	Again      string // where to start again
}

// oidcRefused logs and renders a refusal (already audited by the caller
// or the store).
func (a *App) oidcRefused(w http.ResponseWriter, r *http.Request, err error, again string) {
	t := tenantFrom(r.Context())
	reason := oidc.ReasonOf(err)
	a.log.InfoContext(r.Context(), "oidc refused", "request_id", RequestIDFrom(r.Context()), "tenant", t.ID,
		"reason", string(reason), "error", err.Error())
	key := "oidc.refused." + string(reason)
	switch reason {
	case oidc.ReasonNonce, oidc.ReasonIssuer, oidc.ReasonToken, oidc.ReasonExchange, oidc.ReasonProviderError:
		key = "oidc.refused.check"
	}
	a.render(w, r, oidcRefusalStatus(reason), "oidc-refused", oidcRefusedPage{TenantName: t.LegalName,
		Message: a.t(r, key, t.LegalName), Again: again})
}

// oidcBegin starts a flow through the provider named in the path and sends
// the browser there. An unknown or disabled provider is a 404.
func (a *App) oidcBegin(w http.ResponseWriter, r *http.Request, in store.OIDCFlowStart, again string) {
	t := tenantFrom(r.Context())
	prov, err := a.opts.Store.OIDCProvider(r.Context(), t.ID, r.PathValue("provider"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !prov.Enabled) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "oidc provider", err)
		return
	}
	var scopes []string
	if in.Purpose == store.OIDCPurposeCitizen || in.Purpose == store.OIDCPurposePrefill {
		// The citizen's data is found by it (DSR-1); the register is
		// asked about it (LOC-2).
		scopes = []string{oidc.NumberScope}
	}
	st, err := a.oidcClient().Begin(r.Context(), prov, a.oidcRedirectURL(r), scopes...)
	if reason := oidc.ReasonOf(err); reason != "" {
		if aerr := a.opts.Store.AuditOIDCRefusal(r.Context(), t.ID, store.OIDCFlow{Provider: prov, Purpose: in.Purpose, UserID: in.UserID},
			reason, RequestIDFrom(r.Context())); aerr != nil {
			a.internalError(w, r, "audit oidc refusal", aerr)
			return
		}
		a.oidcRefused(w, r, err, again)
		return
	}
	if err != nil {
		a.internalError(w, r, "oidc begin", err)
		return
	}
	if in.Binding, err = flowBinding(w, r); err != nil {
		a.internalError(w, r, "oidc binding", err)
		return
	}
	err = a.opts.Store.BeginOIDCFlow(r.Context(), t.ID, prov, st, in)
	if errors.Is(err, account.ErrTokenInvalid) {
		a.render(w, r, http.StatusGone, "link-invalid", nil)
		return
	}
	if err != nil {
		a.internalError(w, r, "oidc flow", err)
		return
	}
	http.Redirect(w, r, st.URL, http.StatusSeeOther)
}

// oidcLoginStart sends the browser to the provider to sign in.
func (a *App) oidcLoginStart(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	a.oidcBegin(w, r, store.OIDCFlowStart{Purpose: store.OIDCPurposeLogin, Next: r.URL.Query().Get("next")}, "/"+t.Slug+"/login")
}

// oidcActivateStart sends an invited person to the provider to link their
// identity instead of choosing a password. An unknown, used or expired
// invitation gets the same page as the activation link.
func (a *App) oidcActivateStart(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	token := r.PathValue("token")
	if _, err := a.opts.Store.Invitation(r.Context(), t.ID, token); a.invitationFailed(w, r, err) {
		return
	}
	a.oidcBegin(w, r, store.OIDCFlowStart{Purpose: store.OIDCPurposeActivate, InvitationToken: token},
		"/"+t.Slug+"/activate/"+url.PathEscape(token))
}

// oidcCallback is where the provider sends the browser back.
func (a *App) oidcCallback(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	q := r.URL.Query()
	reqID := RequestIDFrom(r.Context())
	binding := ""
	if c, err := r.Cookie(flowCookie); err == nil {
		binding = c.Value
	}
	loginAgain := "/" + t.Slug + "/login"
	f, err := a.opts.Store.TakeOIDCFlow(r.Context(), t.ID, q.Get("state"), binding, reqID)
	if oidc.ReasonOf(err) != "" {
		a.oidcRefused(w, r, err, loginAgain)
		return
	}
	if err != nil {
		a.internalError(w, r, "oidc flow", err)
		return
	}
	again := loginAgain
	switch f.Purpose {
	case store.OIDCPurposeLink:
		again = "/" + t.Slug + "/account/oidc"
	case store.OIDCPurposeCitizen:
		again = a.portalPath(r)
	case store.OIDCPurposePrefill:
		again = "/" + t.Slug + "/" + url.PathEscape(f.Next)
	}
	refused := func(err error) {
		if aerr := a.opts.Store.AuditOIDCRefusal(r.Context(), t.ID, f, oidc.ReasonOf(err), reqID); aerr != nil {
			a.internalError(w, r, "audit oidc refusal", aerr)
			return
		}
		a.oidcRefused(w, r, err, again)
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		// The person cancelled at the provider, or it failed: its error
		// code is a short ASCII word, logged; its description is not.
		refused(&oidc.Refusal{Reason: oidc.ReasonProviderError, Detail: errors.New("provider error " + short(q.Get("error")))})
		return
	}
	id, err := a.oidcClient().Finish(r.Context(), f.Provider, a.oidcRedirectURL(r), q.Get("code"), f.Verifier, f.NonceHash)
	if oidc.ReasonOf(err) != "" {
		refused(err)
		return
	}
	if err != nil {
		a.internalError(w, r, "oidc finish", err)
		return
	}
	switch f.Purpose {
	case store.OIDCPurposeLogin:
		a.oidcLoginFinish(w, r, f, id)
	case store.OIDCPurposeCitizen:
		a.portalFASFinish(w, r, f.Next, id)
	case store.OIDCPurposePrefill:
		a.prefillFinish(w, r, f.Next, id)
	case store.OIDCPurposeActivate:
		_, err := a.opts.Store.ActivateWithOIDC(r.Context(), t.ID, f, id, reqID)
		if oidc.ReasonOf(err) != "" {
			a.oidcRefused(w, r, err, again)
			return
		}
		if a.invitationFailed(w, r, err) {
			return
		}
		http.Redirect(w, r, "/"+t.Slug+"/activated", http.StatusSeeOther)
	case store.OIDCPurposeLink:
		// The link finishes only in the session that started it.
		u, _, ok, err := a.currentUser(r)
		if err != nil {
			a.internalError(w, r, "session", err)
			return
		}
		if !ok || u.ID != f.UserID {
			refused(&oidc.Refusal{Reason: oidc.ReasonBadState, Detail: errors.New("link finished outside the session that started it")})
			return
		}
		err = a.opts.Store.LinkOIDCIdentity(r.Context(), userActor(u, reqID), t.ID, u.ID, f.Provider, id)
		if oidc.ReasonOf(err) != "" {
			a.oidcRefused(w, r, err, again)
			return
		}
		if err != nil {
			a.internalError(w, r, "link identity", err)
			return
		}
		http.Redirect(w, r, "/"+t.Slug+"/account/oidc?done=linked", http.StatusSeeOther)
	default:
		a.internalError(w, r, "oidc callback", errors.New("unknown flow purpose"))
	}
}

// short keeps a provider's error code printable and short for the log.
func short(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}

// oidcLoginFinish opens the session of the identity's user, as a password
// login does (a new session, the old one ended). A login at a level that
// counts as the second factor (FAS eID or itsme, ACM, a generic provider
// with required acr values) is MFA-verified; otherwise the TOTP step or
// enrolment follows as after a password.
func (a *App) oidcLoginFinish(w http.ResponseWriter, r *http.Request, f store.OIDCFlow, id oidc.Identity) {
	t := tenantFrom(r.Context())
	// The tenant's session lifetimes, as for a password login.
	pol, err := a.tenantPolicy(r)
	if err != nil {
		a.internalError(w, r, "tenant policy", err)
		return
	}
	u, tok, err := a.opts.Store.OIDCLogin(r.Context(), t.ID, f.Provider, id, RequestIDFrom(r.Context()),
		store.WithUserAgentHint(browserHint(r.UserAgent())), store.WithSessionPolicy(store.SessionPolicyOf(pol)))
	if oidc.ReasonOf(err) != "" {
		a.oidcRefused(w, r, err, "/"+t.Slug+"/login")
		return
	}
	if err != nil {
		a.internalError(w, r, "oidc login", err)
		return
	}
	if old := sessionToken(r); old != "" {
		if ou, _, ok, _ := a.currentUser(r); ok {
			_ = a.opts.Store.RevokeSession(r.Context(), userActor(ou, RequestIDFrom(r.Context())), t.ID, old)
		}
	}
	setSessionCookie(w, tok)
	to, err := a.mfaGate(r, u, store.SessionInfo{MFAVerified: id.MFA}, f.Next)
	if err != nil {
		a.internalError(w, r, "mfa gate", err)
		return
	}
	if to == "" {
		to = localNext(t.Slug, f.Next)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
