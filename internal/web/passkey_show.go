package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/passkey"
	"github.com/kluis/kluis/internal/store"
)

// Passkeys on the web side (contract USR-2, ASVS 5.0 V6.5–6.7). Each
// ceremony is two JSON posts from static/passkey.js: …/options returns
// the options for navigator.credentials ({"publicKey": …}, base64url
// binary fields), and the second post sends the browser's answer back
// ({"credential": …}) and gets {"redirect": "…"}. Errors are
// {"error": "<localized message>", "field": "<field id, when one>"}.
// CSRF: like every post, they pass crossOriginProtection (fetch sends
// Sec-Fetch-Site), and a JSON content type cannot be sent cross-site
// without a preflight anyway.
//
//   - account: a signed-in session that is not pending its second factor
//     adds a named passkey, or removes one (an HTML form, no script);
//   - the second login step: a pending session proves its second factor
//     with one of the user's passkeys;
//   - the login page: a passwordless login with any discoverable passkey
//     of this tenant, with user verification; the session it opens has
//     passed its second factor.
//
// Without a usable base URL (an IP address, say) a.relyingParty(r) is nil: the buttons
// are not shown and the endpoints answer 404.

// passkeyRequest is the body of every passkey post; each uses what it
// needs.
type passkeyRequest struct {
	Name       string          `json:"name"`
	Next       string          `json:"next"`
	Credential json.RawMessage `json:"credential"`
}

// readPasskeyRequest reads a JSON body (empty is fine). It answers the
// request and returns false when the body is not JSON or too large.
func (a *App) readPasskeyRequest(w http.ResponseWriter, r *http.Request) (passkeyRequest, bool) {
	var req passkeyRequest
	b, err := io.ReadAll(r.Body)
	if err != nil {
		if IsBodyTooLarge(err) {
			a.jsonError(w, r, http.StatusRequestEntityTooLarge, "", "error.413.title")
		} else {
			a.jsonError(w, r, http.StatusBadRequest, "", "passkey.error.failed")
		}
		return req, false
	}
	if len(b) > 0 && json.Unmarshal(b, &req) != nil {
		a.jsonError(w, r, http.StatusBadRequest, "", "passkey.error.failed")
		return req, false
	}
	return req, true
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeRawJSON answers with JSON made elsewhere.
func writeRawJSON(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// jsonError answers {"error": message, "field": field} with the message
// of key in the request's language.
func (a *App) jsonError(w http.ResponseWriter, r *http.Request, status int, field, key string) {
	body := map[string]string{"error": a.t(r, key)}
	if field != "" {
		body["field"] = field
	}
	writeJSON(w, status, body)
}

func (a *App) jsonInternalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	a.log.ErrorContext(r.Context(), what, "request_id", RequestIDFrom(r.Context()), "error", err.Error())
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": a.t(r, "passkey.error.internal", RequestIDFrom(r.Context()))})
}

// passkeySession returns the user of the request's session when it is at
// the stage the endpoint wants: pending its second factor (pending) or
// past it or not needing one. Otherwise it answers 401 (no session) or
// 403 (the wrong stage) and ok is false.
func (a *App) passkeySession(w http.ResponseWriter, r *http.Request, pending bool) (u account.User, ok bool) {
	if a.relyingParty(r) == nil {
		a.jsonError(w, r, http.StatusNotFound, "", "passkey.error.unavailable")
		return u, false
	}
	t := tenantFrom(r.Context())
	u, info, ok, err := a.currentUser(r)
	if err != nil {
		a.jsonInternalError(w, r, "session", err)
		return u, false
	}
	if !ok {
		a.jsonError(w, r, http.StatusUnauthorized, "", "passkey.error.session")
		return u, false
	}
	to, err := a.mfaGate(r, u, info, "")
	if err != nil {
		a.jsonInternalError(w, r, "mfa gate", err)
		return u, false
	}
	if isPending := to == mfaStepPath(t.Slug, ""); isPending != pending {
		a.jsonError(w, r, http.StatusForbidden, "", "passkey.error.stage")
		return u, false
	}
	return u, true
}

// passkeyPost is passkeySession then readPasskeyRequest: the user and the
// body of a post at the stage the endpoint wants, or answered and false.
func (a *App) passkeyPost(w http.ResponseWriter, r *http.Request, pending bool) (account.User, passkeyRequest, bool) {
	u, ok := a.passkeySession(w, r, pending)
	if !ok {
		return u, passkeyRequest{}, false
	}
	req, ok := a.readPasskeyRequest(w, r)
	return u, req, ok
}

// passkeyName checks the name typed for a new passkey; on a problem it
// answers 422 with the precise message and ok is false.
func (a *App) passkeyName(w http.ResponseWriter, r *http.Request, typed string) (string, bool) {
	name, problem := passkey.CheckName(typed)
	if problem != "" {
		a.jsonError(w, r, http.StatusUnprocessableEntity, "passkey_name", "passkey.name.error."+problem)
		return "", false
	}
	return name, true
}

// passkeyRegisterOptions starts adding a passkey (the name is checked
// first, so a bad one is reported before the authenticator is asked).
func (a *App) passkeyRegisterOptions(w http.ResponseWriter, r *http.Request) {
	u, req, ok := a.passkeyPost(w, r, false)
	if !ok {
		return
	}
	if _, ok := a.passkeyName(w, r, req.Name); !ok {
		return
	}
	t := tenantFrom(r.Context())
	opts, err := a.opts.Store.BeginPasskeyRegistration(r.Context(), a.relyingParty(r), t.ID, u.ID, sessionToken(r), u.Email, u.Name)
	if err != nil {
		a.jsonInternalError(w, r, "begin passkey registration", err)
		return
	}
	writeRawJSON(w, opts)
}

// passkeyRegisterCreate stores the new passkey. An admin or DPO who had
// no second factor yet has proved one now: the session is marked (and
// rotated) as after a TOTP enrolment.
func (a *App) passkeyRegisterCreate(w http.ResponseWriter, r *http.Request) {
	u, req, ok := a.passkeyPost(w, r, false)
	if !ok {
		return
	}
	name, ok := a.passkeyName(w, r, req.Name)
	if !ok {
		return
	}
	t := tenantFrom(r.Context())
	reg, err := passkey.ParseRegistration(req.Credential)
	if err != nil {
		a.jsonError(w, r, http.StatusBadRequest, "", "passkey.error.failed")
		return
	}
	_, err = a.opts.Store.FinishPasskeyRegistration(r.Context(), a.relyingParty(r), userActor(u, RequestIDFrom(r.Context())), t.ID, u.ID,
		sessionToken(r), name, reg)
	if errors.Is(err, store.ErrPasskeyFailed) {
		a.jsonError(w, r, http.StatusUnprocessableEntity, "", "passkey.error.register")
		return
	}
	if err != nil {
		a.jsonInternalError(w, r, "finish passkey registration", err)
		return
	}
	_, info, _, err := a.currentUser(r)
	if err == nil && !info.MFAVerified {
		var tok store.SessionToken
		if tok, err = a.opts.Store.MarkSessionMFA(r.Context(), t.ID, sessionToken(r)); err == nil {
			setSessionCookie(w, tok)
		}
	}
	if err != nil {
		a.jsonInternalError(w, r, "mark session MFA", err)
		return
	}
	to := "/" + t.Slug + "/account/mfa?passkey=added"
	if req.Next != "" {
		to += "&next=" + url.QueryEscape(localNext(t.Slug, req.Next))
	}
	writeJSON(w, http.StatusOK, map[string]string{"redirect": to})
}

// passkeyDelete removes one of the signed-in user's passkeys (a plain
// form). An admin's or DPO's last second factor stays: 409 and the page
// says why.
func (a *App) passkeyDelete(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	next := r.PostForm.Get("next")
	u, info, ok := a.mfaEnrolSession(w, r, next)
	if !ok {
		return
	}
	// Removing a factor needs a fresh proof of credentials (ASVS 7.5.1):
	// the form is a button, so the person presses it again after.
	if !a.opts.Store.StepUpFresh(info, StepUpMaxAge) {
		http.Redirect(w, r, confirmPath(t.Slug, withNext("/"+t.Slug+"/account/mfa", next))+"&retype=1", http.StatusSeeOther)
		return
	}
	err := a.opts.Store.RemovePasskey(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID, u.ID, r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrLastSecondFactor):
		a.renderMFAPage(w, r, u, next, http.StatusConflict, "", "passkey.error.last")
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "remove passkey", err)
	default:
		http.Redirect(w, r, withNext("/"+t.Slug+"/account/mfa", next)+sep(next)+"passkey=removed", http.StatusSeeOther)
	}
}

// sep is the separator before one more query parameter after withNext.
func sep(next string) string {
	if next == "" {
		return "?"
	}
	return "&"
}

// passkeyStepOptions starts the second login step with a passkey.
func (a *App) passkeyStepOptions(w http.ResponseWriter, r *http.Request) {
	u, ok := a.passkeySession(w, r, true)
	if !ok {
		return
	}
	t := tenantFrom(r.Context())
	opts, err := a.opts.Store.BeginPasskeySecondFactor(r.Context(), a.relyingParty(r), t.ID, u.ID, sessionToken(r))
	if errors.Is(err, store.ErrNotFound) {
		a.jsonError(w, r, http.StatusConflict, "", "passkey.error.none")
		return
	}
	if err != nil {
		a.jsonInternalError(w, r, "begin passkey second factor", err)
		return
	}
	writeRawJSON(w, opts)
}

// passkeyStepCreate checks the passkey and marks the session as having
// passed its second factor (rotating it), then sends the browser to next.
func (a *App) passkeyStepCreate(w http.ResponseWriter, r *http.Request) {
	u, req, ok := a.passkeyPost(w, r, true)
	if !ok {
		return
	}
	t := tenantFrom(r.Context())
	as, err := passkey.ParseAssertion(req.Credential)
	if err != nil {
		a.jsonError(w, r, http.StatusBadRequest, "", "passkey.error.failed")
		return
	}
	err = a.opts.Store.FinishPasskeySecondFactor(r.Context(), a.relyingParty(r), t.ID, u.ID, sessionToken(r), RequestIDFrom(r.Context()), as)
	if errors.Is(err, store.ErrPasskeyFailed) {
		a.jsonError(w, r, http.StatusUnauthorized, "", "passkey.error.failed")
		return
	}
	if err != nil {
		a.jsonInternalError(w, r, "finish passkey second factor", err)
		return
	}
	tok, err := a.opts.Store.MarkSessionMFA(r.Context(), t.ID, sessionToken(r))
	if errors.Is(err, store.ErrSessionInvalid) {
		a.jsonError(w, r, http.StatusUnauthorized, "", "passkey.error.session")
		return
	}
	if err != nil {
		a.jsonInternalError(w, r, "mark session MFA", err)
		return
	}
	setSessionCookie(w, tok)
	writeJSON(w, http.StatusOK, map[string]string{"redirect": localNext(t.Slug, req.Next)})
}

// passkeyLoginOptions starts a passwordless login: anyone may ask.
func (a *App) passkeyLoginOptions(w http.ResponseWriter, r *http.Request) {
	if a.relyingParty(r) == nil {
		a.jsonError(w, r, http.StatusNotFound, "", "passkey.error.unavailable")
		return
	}
	t := tenantFrom(r.Context())
	opts, err := a.opts.Store.BeginPasskeyLogin(r.Context(), a.relyingParty(r), t.ID)
	if err != nil {
		a.jsonInternalError(w, r, "begin passkey login", err)
		return
	}
	writeRawJSON(w, opts)
}

// passkeyLoginCreate checks a passwordless login and opens a session that
// has passed its second factor. Every refusal gives the same message.
func (a *App) passkeyLoginCreate(w http.ResponseWriter, r *http.Request) {
	if a.relyingParty(r) == nil {
		a.jsonError(w, r, http.StatusNotFound, "", "passkey.error.unavailable")
		return
	}
	req, ok := a.readPasskeyRequest(w, r)
	if !ok {
		return
	}
	t := tenantFrom(r.Context())
	as, err := passkey.ParseAssertion(req.Credential)
	if err != nil {
		a.jsonError(w, r, http.StatusBadRequest, "", "passkey.error.failed")
		return
	}
	// The tenant's session lifetimes, as for a password login.
	pol, err := a.tenantPolicy(r)
	if err != nil {
		a.internalError(w, r, "tenant policy", err)
		return
	}
	_, tok, err := a.opts.Store.PasskeyLogin(r.Context(), a.relyingParty(r), t.ID, RequestIDFrom(r.Context()), as,
		store.WithUserAgentHint(browserHint(r.UserAgent())), store.WithSessionPolicy(store.SessionPolicyOf(pol)))
	if errors.Is(err, store.ErrPasskeyFailed) {
		a.jsonError(w, r, http.StatusUnauthorized, "", "passkey.error.failed")
		return
	}
	if err != nil {
		a.jsonInternalError(w, r, "passkey login", err)
		return
	}
	if old := sessionToken(r); old != "" {
		// The browser brought a session: end it, the new one replaces it.
		if ou, _, ok, _ := a.currentUser(r); ok {
			_ = a.opts.Store.RevokeSession(r.Context(), userActor(ou, RequestIDFrom(r.Context())), t.ID, old)
		}
	}
	setSessionCookie(w, tok)
	writeJSON(w, http.StatusOK, map[string]string{"redirect": localNext(t.Slug, req.Next)})
}
