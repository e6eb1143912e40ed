package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// A pending action is the POST that met a stale step-up (ASVS 5.0 7.5.3):
// its path and fields travel through the confirmation page in one hidden
// field, MACed with the session's own token so that only the session that
// posted it can have it carried out, and only for pendingMaxAge. After the
// proof the action is served again as if posted then, through the same
// route table, wrapper and permission checks: nothing is trusted because
// it was pending. Fields travel in the page, never in a URL; a form with a
// password field or a file is not carried (it is never echoed into a page)
// and falls back to the redirect to the page to resume from.

// pendingMaxAge is how long a pending action may wait for its proof:
// under the privileged idle timeout, so that the refusal can be seen.
const pendingMaxAge = 10 * time.Minute

// pendingAction is what a pending action carries.
type pendingAction struct {
	Path string     `json:"p"`
	Form url.Values `json:"f"`
	Exp  int64      `json:"e"`
}

// pendingOf encodes r, a POST within a tenant, as a pending action; false
// when it cannot travel (a file, a password field, no session).
func (a *App) pendingOf(r *http.Request) (string, bool) {
	tok := sessionToken(r)
	if tok == "" {
		return "", false
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "" && ct != "application/x-www-form-urlencoded" {
		return "", false
	}
	if err := r.ParseForm(); err != nil {
		return "", false
	}
	for k := range r.PostForm {
		if strings.Contains(strings.ToLower(k), "password") {
			return "", false
		}
	}
	payload, err := json.Marshal(pendingAction{Path: r.URL.Path, Form: r.PostForm,
		Exp: a.opts.Store.Now().Add(pendingMaxAge).Unix()})
	if err != nil {
		return "", false
	}
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + pendingMAC(tok, p), true
}

// pendingFrom decodes and checks a pending action posted back with the
// proof: this session's, unexpired, a path of this tenant.
func (a *App) pendingFrom(r *http.Request, then string) (pendingAction, bool) {
	var p pendingAction
	tok := sessionToken(r)
	payload, mac, ok := strings.Cut(then, ".")
	if !ok || tok == "" || !hmac.Equal([]byte(mac), []byte(pendingMAC(tok, payload))) {
		return p, false
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(b, &p) != nil {
		return p, false
	}
	slug := tenantFrom(r.Context()).Slug
	if a.opts.Store.Now().Unix() > p.Exp || localNext(slug, p.Path) != p.Path {
		return p, false
	}
	return p, true
}

// pendingMAC binds a pending action's payload to the session token.
func pendingMAC(sessionTok, payload string) string {
	m := hmac.New(sha256.New, []byte("kluis step-up pending action\x00"+sessionTok))
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// replay serves the pending action p as a POST of r's session through the
// tenant route table; its answer (a redirect with done, or a refusal) is
// the answer to the confirmation.
func (a *App) replay(w http.ResponseWriter, r *http.Request, p pendingAction) {
	body := p.Form.Encode()
	rr := r.Clone(r.Context())
	rr.Method = http.MethodPost
	rr.URL = &url.URL{Path: p.Path}
	rr.RequestURI = p.Path
	rr.Body = io.NopCloser(strings.NewReader(body))
	rr.ContentLength = int64(len(body))
	rr.Form, rr.PostForm, rr.MultipartForm = nil, nil, nil
	rr.Header = r.Header.Clone()
	rr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	a.serveMux(a.tenantMux, w, rr)
}
