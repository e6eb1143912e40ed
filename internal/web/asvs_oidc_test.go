package web

import (
	"net/http"
	"testing"

	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/oidc/oidctest"
	"github.com/kluis/kluis/internal/storetest"
)

// A provider's answer opens a session only in the browser that pressed the
// sign-in button: the same answer delivered to another browser (a link
// sent to the victim, a forged redirect) creates none.
func TestASVS_7_6_2_NoSessionWithoutTheSignInButton(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		o := newOIDCEnv(t, env)
		adm := o.admin(t, "admin@gent.be")
		o.link(t, adm, oidc.FASeID, "fas-sub-admin")
		attacker := newBrowser(o.app.Handler())
		resp := attacker.get(t, "/gent/login/oidc/fas-eid")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("start: %d", resp.StatusCode)
		}
		o.op.SignIn(oidctest.User{Subject: "fas-sub-admin", ACR: acr500})
		back := o.op.Authorize(t, resp.Header.Get("Location"), nil)

		victim := newBrowser(o.app.Handler())
		resp = victim.get(t, back.RequestURI())
		if c := sessionCookieOf(resp); c != nil && c.Value != "" {
			t.Fatal("the answer opened a session in a browser that did not ask")
		}
		if resp := victim.get(t, "/gent/signed-in"); resp.StatusCode == http.StatusOK {
			t.Fatal("the other browser is signed in")
		}
		// Control: in the browser that asked, the same answer signs in.
		if resp := attacker.get(t, back.RequestURI()); sessionCookieOf(resp) == nil {
			t.Fatalf("the browser that asked got no session: %d", resp.StatusCode)
		}
	})
}
