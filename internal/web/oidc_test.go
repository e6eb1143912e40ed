package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/oidc/oidctest"
	"github.com/kluis/kluis/internal/storetest"
)

const (
	acr500 = "urn:be:fedict:iam:fas:Level500"
	acr450 = "urn:be:fedict:iam:fas:Level450"
)

// browser keeps cookies between requests to the app, as a browser would.
type browser struct {
	h       http.Handler
	cookies map[string]string
}

func newBrowser(h http.Handler) *browser { return &browser{h: h, cookies: map[string]string{}} }

func (b *browser) do(t *testing.T, method, target, body string) *http.Response {
	t.Helper()
	var cs []string
	for k, v := range b.cookies {
		cs = append(cs, k+"="+v)
	}
	h := map[string]string{}
	if len(cs) > 0 {
		h["Cookie"] = strings.Join(cs, "; ")
	}
	resp := request{method: method, target: target, body: body, header: h}.do(t, b.h)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return resp
}

func (b *browser) get(t *testing.T, target string) *http.Response {
	return b.do(t, http.MethodGet, target, "")
}

type oidcEnv struct {
	*loginEnv
	op *oidctest.OP
}

func newOIDCEnv(t *testing.T, env *storetest.Env) *oidcEnv {
	t.Helper()
	o := &oidcEnv{loginEnv: newLoginEnv(t, env, Options{BaseURL: "http://kluis.test", LoginRateLimit: 1000}), op: oidctest.Start(t)}
	o.addProvider(t, "", oidc.FASeID, o.op.Issuer())
	o.addProvider(t, "", oidc.FASItsme, o.op.Issuer())
	return o
}

func (o *oidcEnv) addProvider(t *testing.T, name string, preset oidc.Preset, issuer string) oidc.Provider {
	t.Helper()
	p, err := o.env.DB.AddOIDCProvider(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, o.gent.ID,
		oidc.Settings{Name: name, Preset: preset, Issuer: issuer, ClientID: o.op.ClientID, ClientSecret: o.op.ClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// through starts at start (a page that redirects to the provider), signs
// in there as u (edit may tamper with the authentication request) and
// returns the app's answer to the provider's redirect back.
func (o *oidcEnv) through(t *testing.T, b *browser, start string, u oidctest.User, edit func(url.Values)) *http.Response {
	t.Helper()
	resp := b.get(t, start)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), o.op.AuthorizationEndpoint()) {
		t.Fatalf("start %s: %d %q\n%s", start, resp.StatusCode, resp.Header.Get("Location"), bodyOf(t, resp))
	}
	o.op.SignIn(u)
	back := o.op.Authorize(t, resp.Header.Get("Location"), edit)
	if back.Host != "kluis.test" || back.Path != "/gent/login/oidc/callback" {
		t.Fatalf("the provider sent the browser to %s", back)
	}
	return b.get(t, back.RequestURI())
}

// link links an identity to u directly in the store (setup).
func (o *oidcEnv) link(t *testing.T, u account.User, preset oidc.Preset, sub string) {
	t.Helper()
	p, err := o.env.DB.OIDCProvider(context.Background(), o.gent.ID, string(preset))
	if err != nil {
		t.Fatal(err)
	}
	if err := o.env.DB.LinkOIDCIdentity(context.Background(), userActor(u, "setup"), o.gent.ID, u.ID, p,
		oidc.Identity{Issuer: o.op.Issuer(), Subject: sub}); err != nil {
		t.Fatal(err)
	}
}

// events counts the tenant's audit events with action and purpose.
func (o *oidcEnv) events(t *testing.T, action, purpose string) int {
	t.Helper()
	n := 0
	if err := o.env.DB.EachAuditEvent(context.Background(), o.gent.ID, func(e *audit.Event) error {
		if e.Action == action && e.Purpose == purpose {
			n++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func (o *oidcEnv) refused(t *testing.T, resp *http.Response, status int, action, purpose string) {
	t.Helper()
	body := bodyOf(t, resp)
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d\n%s", resp.StatusCode, status, body)
	}
	if c := sessionCookieOf(resp); c != nil && c.Value != "" {
		t.Fatal("a refused login set a session cookie")
	}
	if !strings.Contains(body, "Aanmelden niet gelukt") {
		t.Fatalf("no localized refusal page:\n%s", body)
	}
	if n := o.events(t, action, purpose); n != 1 {
		t.Fatalf("%d events %s %q, want 1", n, action, purpose)
	}
}

func (o *oidcEnv) admin(t *testing.T, email string) account.User {
	t.Helper()
	ctx := context.Background()
	_, tok, err := o.env.DB.InviteUser(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, o.gent.ID,
		account.Invite{Email: email, Name: "Admin", Role: account.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := o.hasher.Hash(ctx, loginPassword)
	u, err := o.env.DB.ActivateUser(ctx, o.gent.ID, tok.Plain, hash, "r")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestClauseUSR2_OIDCLoginFASeIDAndItsme: an admin without TOTP signs in
// with eID (Level500) and with itsme (Level450) at a real provider; the
// login counts as the second factor, so the admin pages open at once.
func TestClauseUSR2_OIDCLoginFASeIDAndItsme(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		o := newOIDCEnv(t, env)
		adm := o.admin(t, "admin@gent.be")
		o.link(t, adm, oidc.FASeID, "fas-sub-admin")

		page := bodyOf(t, newBrowser(o.app.Handler()).get(t, "/gent/login"))
		for _, w := range []string{`href="/gent/login/oidc/fas-eid"`, "Aanmelden met eID", `href="/gent/login/oidc/fas-itsme"`, "Aanmelden met itsme"} {
			if !strings.Contains(page, w) {
				t.Errorf("login page lacks %q", w)
			}
		}
		for _, tt := range []struct{ preset, acr string }{{"fas-eid", acr500}, {"fas-itsme", acr450}, {"fas-itsme", acr500}} {
			b := newBrowser(o.app.Handler())
			resp := o.through(t, b, "/gent/login/oidc/"+tt.preset+"?next=%2Fgent%2Fadmin%2Fusers",
				oidctest.User{Subject: "fas-sub-admin", Email: "admin@gent.be", ACR: tt.acr}, func(q url.Values) {
					if want := map[string]string{"fas-eid": acr500, "fas-itsme": acr450}[tt.preset]; q.Get("acr_values") != want {
						t.Errorf("%s asked for acr_values %q, want %q", tt.preset, q.Get("acr_values"), want)
					}
				})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/admin/users" {
				t.Fatalf("%s at %s: %d %q\n%s", tt.preset, tt.acr, resp.StatusCode, resp.Header.Get("Location"), bodyOf(t, resp))
			}
			if c := sessionCookieOf(resp); c == nil || !c.Secure || !c.HttpOnly {
				t.Fatalf("session cookie %+v", c)
			}
			if resp := b.get(t, "/gent/admin/users"); resp.StatusCode != http.StatusOK {
				t.Fatalf("admin page after %s: %d %q", tt.preset, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		if n := o.events(t, "login.success", "login: oidc fas-eid (second factor: acr met)"); n != 1 {
			t.Fatalf("%d eID login events", n)
		}
		if n := o.events(t, "login.success", "login: oidc fas-itsme (second factor: acr met)"); n != 2 {
			t.Fatalf("%d itsme login events", n)
		}

		// A generic provider without acr requirement is no second factor:
		// the admin must still enrol TOTP.
		o.addProvider(t, "intranet", oidc.Generic, o.op.Issuer())
		b := newBrowser(o.app.Handler())
		resp := o.through(t, b, "/gent/login/oidc/intranet", oidctest.User{Subject: "fas-sub-admin"}, nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/gent/account/mfa") {
			t.Fatalf("generic login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp := b.get(t, "/gent/admin/users"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("admin page after a generic login: %d", resp.StatusCode)
		}
	})
}

// TestClauseUSR2_OIDCRefusalsAreAudited: too low an acr, a forged or
// replayed state, another browser, a tampered nonce, a token of another
// issuer and an identity nobody linked are each refused with a localized
// page and one audit event naming the reason.
func TestClauseUSR2_OIDCRefusalsAreAudited(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		o := newOIDCEnv(t, env)
		an := o.addUser(t, o.gent, "an.linked@gent.be", "An")
		o.link(t, an, oidc.FASeID, "fas-sub-an")
		user := oidctest.User{Subject: "fas-sub-an", Email: "an.linked@gent.be", ACR: acr500}

		t.Run("acr too low", func(t *testing.T) {
			low := user
			low.ACR = acr450
			resp := o.through(t, newBrowser(o.app.Handler()), "/gent/login/oidc/fas-eid", low, nil)
			o.refused(t, resp, http.StatusForbidden, "login.failure", "oidc fas-eid: acr_too_low")
		})
		t.Run("no acr at all", func(t *testing.T) {
			none := user
			none.ACR = ""
			resp := o.through(t, newBrowser(o.app.Handler()), "/gent/login/oidc/fas-itsme", none, nil)
			o.refused(t, resp, http.StatusForbidden, "login.failure", "oidc fas-itsme: acr_too_low")
		})
		t.Run("forged state", func(t *testing.T) {
			b := newBrowser(o.app.Handler())
			resp := b.get(t, "/gent/login/oidc/fas-eid")
			o.op.SignIn(user)
			back := o.op.Authorize(t, resp.Header.Get("Location"), nil)
			q := back.Query()
			q.Set("state", "forged-"+q.Get("state"))
			resp = b.get(t, back.Path+"?"+q.Encode())
			o.refused(t, resp, http.StatusBadRequest, "login.failure", "oidc: bad_state")
		})
		t.Run("replayed callback and another browser", func(t *testing.T) {
			b := newBrowser(o.app.Handler())
			resp := b.get(t, "/gent/login/oidc/fas-eid")
			o.op.SignIn(user)
			back := o.op.Authorize(t, resp.Header.Get("Location"), nil)
			// The attacker's browser, without the flow cookie, first.
			if resp := newBrowser(o.app.Handler()).get(t, back.RequestURI()); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("callback in another browser: %d", resp.StatusCode)
			}
			if resp := b.get(t, back.RequestURI()); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("first use: %d\n%s", resp.StatusCode, bodyOf(t, resp))
			}
			if resp := b.get(t, back.RequestURI()); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("replay: %d", resp.StatusCode)
			}
			if n := o.events(t, "login.failure", "oidc: bad_state"); n != 3 {
				t.Fatalf("%d bad_state events, want 3 (forged, other browser, replay)", n)
			}
		})
		t.Run("wrong nonce", func(t *testing.T) {
			resp := o.through(t, newBrowser(o.app.Handler()), "/gent/login/oidc/fas-eid", user,
				func(q url.Values) { q.Set("nonce", "nonce-of-the-attacker") })
			o.refused(t, resp, http.StatusUnauthorized, "login.failure", "oidc fas-eid: nonce_mismatch")
		})
		t.Run("wrong issuer", func(t *testing.T) {
			o.addProvider(t, "fas-eid-b", oidc.FASeID, o.op.Impostor(t))
			resp := o.through(t, newBrowser(o.app.Handler()), "/gent/login/oidc/fas-eid-b", user, nil)
			o.refused(t, resp, http.StatusUnauthorized, "login.failure", "oidc fas-eid-b: issuer_mismatch")
		})
		t.Run("same e-mail, other subject", func(t *testing.T) {
			resp := o.through(t, newBrowser(o.app.Handler()), "/gent/login/oidc/fas-eid",
				oidctest.User{Subject: "someone-else", Email: "an.linked@gent.be", ACR: acr500}, nil)
			o.refused(t, resp, http.StatusForbidden, "login.failure", "oidc fas-eid: unknown_identity")
		})
		t.Run("cancelled at the provider", func(t *testing.T) {
			b := newBrowser(o.app.Handler())
			resp := b.get(t, "/gent/login/oidc/fas-eid")
			state := mustQuery(t, resp.Header.Get("Location")).Get("state")
			resp = b.get(t, "/gent/login/oidc/callback?error=access_denied&state="+url.QueryEscape(state))
			o.refused(t, resp, http.StatusUnauthorized, "login.failure", "oidc fas-eid: provider_error")
		})
		t.Run("no personal data in the audit log", func(t *testing.T) {
			o.env.DB.EachAuditEvent(context.Background(), o.gent.ID, func(e *audit.Event) error {
				for _, v := range []string{e.Purpose, e.ObjectID, e.Subject, e.Actor.ID} {
					if strings.Contains(v, "fas-sub") || strings.Contains(v, "someone-else") || strings.Contains(v, "@") {
						t.Errorf("event %s holds personal data: %q", e.Action, v)
					}
				}
				return nil
			})
		})
	})
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

var activationLinkRE = regexp.MustCompile(`href="(/gent/activate/[^"]+/oidc/fas-eid)"`)

// TestClauseUSR2_OIDCLinkAtActivationThenLogin: an invited person links
// their eID instead of choosing a password, then signs in with it.
func TestClauseUSR2_OIDCLinkAtActivationThenLogin(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		o := newOIDCEnv(t, env)
		_, tok, err := env.DB.InviteUser(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, o.gent.ID,
			account.Invite{Email: "cis@gent.be", Name: "Cis", Role: account.RoleUser})
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(o.app.Handler())
		page := bodyOf(t, b.get(t, "/gent/activate/"+tok.Plain))
		m := activationLinkRE.FindStringSubmatch(page)
		if m == nil || !strings.Contains(page, "Koppel uw eID") {
			t.Fatalf("activation page offers no eID:\n%s", page)
		}
		cis := oidctest.User{Subject: "fas-sub-cis", Email: "cis@gent.be", ACR: acr500}
		resp := o.through(t, b, m[1], cis, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/activated" {
			t.Fatalf("activation: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), bodyOf(t, resp))
		}
		if resp := b.get(t, "/gent/activate/"+tok.Plain); resp.StatusCode != http.StatusGone {
			t.Fatalf("the invitation still works: %d", resp.StatusCode)
		}
		resp = o.through(t, newBrowser(o.app.Handler()), "/gent/login/oidc/fas-eid", cis, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/signed-in" {
			t.Fatalf("login after activation: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if n := o.events(t, "user.activate", "activation with oidc fas-eid"); n != 1 {
			t.Fatalf("%d activation events", n)
		}
	})
}

// TestClauseUSR2_OIDCLinkAndUnlinkFromAccount: a user signed in with the
// password links itsme on the sign-in methods page, signs in with it,
// unlinks it, and then it no longer signs in.
func TestClauseUSR2_OIDCLinkAndUnlinkFromAccount(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		o := newOIDCEnv(t, env)
		b := newBrowser(o.app.Handler())
		if resp := b.do(t, http.MethodPost, "/gent/login", url.Values{"email": {"an@gent.be"}, "password": {loginPassword}}.Encode()); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("password login: %d", resp.StatusCode)
		}
		page := bodyOf(t, b.get(t, "/gent/account/oidc"))
		if !strings.Contains(page, `href="/gent/account/oidc/link/fas-itsme"`) || !strings.Contains(page, "Koppel itsme") {
			t.Fatalf("account page offers no itsme:\n%s", page)
		}
		an := oidctest.User{Subject: "fas-sub-an", ACR: acr450}
		resp := o.through(t, b, "/gent/account/oidc/link/fas-itsme", an, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/account/oidc?done=linked" {
			t.Fatalf("link: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), bodyOf(t, resp))
		}
		if n := o.events(t, "oidc.link", "oidc fas-itsme: identity linked"); n != 1 {
			t.Fatalf("%d link events", n)
		}
		if resp := o.through(t, newBrowser(o.app.Handler()), "/gent/login/oidc/fas-itsme", an, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login with the linked identity: %d", resp.StatusCode)
		}
		// Linking the same identity to another user is refused.
		other := newBrowser(o.app.Handler())
		o.addUser(t, o.gent, "bo@gent.be", "Bo")
		other.do(t, http.MethodPost, "/gent/login", url.Values{"email": {"bo@gent.be"}, "password": {loginPassword}}.Encode())
		resp = o.through(t, other, "/gent/account/oidc/link/fas-itsme", an, nil)
		o.refused(t, resp, http.StatusForbidden, "oidc.link", "oidc fas-itsme: identity_linked_other")

		page = bodyOf(t, b.get(t, "/gent/account/oidc"))
		m := regexp.MustCompile(`action="(/gent/account/oidc/unlink/[0-9a-f]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no unlink button:\n%s", page)
		}
		// Bo cannot unlink An's identity.
		if resp := other.do(t, http.MethodPost, m[1], "x=1"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("another user's unlink: %d", resp.StatusCode)
		}
		if resp := b.do(t, http.MethodPost, m[1], "x=1"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("unlink: %d", resp.StatusCode)
		}
		if n := o.events(t, "oidc.unlink", "oidc: identity unlinked"); n != 1 {
			t.Fatalf("%d unlink events", n)
		}
		resp = o.through(t, newBrowser(o.app.Handler()), "/gent/login/oidc/fas-itsme", an, nil)
		o.refused(t, resp, http.StatusForbidden, "login.failure", "oidc fas-itsme: unknown_identity")
	})
}
