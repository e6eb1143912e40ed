package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/mfa"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseUSR5_OperatorOnlyUnderGrant: a supplier operator signs in on
// the operators' realm (password, then TOTP) and reaches a controller's
// pages only while that controller's admin grants it — read-only, as an
// operator in the controller's audit log — and no longer once the grant is
// ended or runs out. The realm serves the identity pages only.
func TestClauseUSR5_OperatorOnlyUnderGrant(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		op, secret := activeOperator(t, le, env, "piet@leverancier.be")

		// The realm: the front page sends on, only identity pages exist.
		resp, _ := le.get(t, "/operator/", nil)
		wantRedirect(t, "realm front page", resp, "/operator/signed-in")
		for _, p := range []string{"/operator/admin/users", "/operator/privacy", "/operator/admin/operators"} {
			if resp, _ := le.get(t, p, nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d, want 404 (the realm has identity pages only)", p, resp.StatusCode)
			}
		}

		h := operatorSignIn(t, le, env, "piet@leverancier.be", secret)
		resp, body := le.get(t, "/operator/signed-in", h)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Geen enkel bestuur geeft u op dit moment toegang") {
			t.Fatalf("operator home without grants: %d\n%s", resp.StatusCode, body)
		}

		// No grant: gent's pages treat the operator as anonymous.
		resp, _ = le.get(t, "/gent/admin/users", h)
		wantRedirect(t, "users page without a grant", resp, "/gent/login?next=%2Fgent%2Fadmin%2Fusers")

		// Gent's admin grants access for 4 hours.
		admin := le.addRoleUser(t, le.gent, "admin@gent.be", account.RoleAdmin)
		ah, _ := le.login(t, "admin@gent.be", "")
		ah["Cookie"] = sessionCookie + "=" + verifiedMFA(t, env, le.gent.ID, admin.ID, strings.TrimPrefix(ah["Cookie"], sessionCookie+"="))
		resp, body = le.postForm(t, "/gent/admin/operators", ah, url.Values{"email": {"nobody@leverancier.be"}, "reason": {"ticket 42"}, "hours": {"4"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Er is geen actieve medewerker van de leverancier met dit e-mailadres") {
			t.Fatalf("grant to an unknown address: %d", resp.StatusCode)
		}
		resp, body = le.postForm(t, "/gent/admin/operators", ah, url.Values{"email": {"piet@"}, "reason": {""}, "hours": {"999"}})
		for _, w := range []string{"Vul een geldig e-mailadres in", "Vul de reden in.", "Kies een duur uit de lijst"} {
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, w) {
				t.Errorf("bad grant form: %d, lacks %q", resp.StatusCode, w)
			}
		}
		resp, _ = le.postForm(t, "/gent/admin/operators", ah, url.Values{"email": {"Piet@Leverancier.be"}, "reason": {"ticket 42"}, "hours": {"4"}})
		wantRedirect(t, "grant", resp, "/gent/admin/operators?done=granted")
		_, body = le.get(t, "/gent/admin/operators?done=granted", ah)
		for _, w := range []string{"Piet@Leverancier.be", "ticket 42", "actief"} {
			if !strings.Contains(body, w) {
				t.Errorf("grants page lacks %q", w)
			}
		}

		// Under the grant: reads, no changes, no other tenant.
		_, body = le.get(t, "/operator/signed-in", h)
		if !strings.Contains(body, "Stad gent") {
			t.Error("operator home does not list the granting tenant")
		}
		resp, body = le.get(t, "/gent/admin/users", h)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "admin@gent.be") {
			t.Fatalf("users page under a grant: %d", resp.StatusCode)
		} // In the staff layout the operator's home and sign-out are the
		// operators' realm's, the tenant's account pages are not theirs,
		// and the navigation offers only what the support role may read.
		for _, want := range []string{`<a class="brand" href="/operator/signed-in">`, `action="/operator/logout"`, `href="/gent/admin/register"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the operator's staff layout lacks %s", want)
			}
		}
		for _, not := range []string{`href="/gent/signed-in"`, `href="/gent/account/`, `href="/gent/inbox"`, `href="/gent/admin/audit"`} {
			if strings.Contains(body, not) {
				t.Errorf("the operator's staff layout offers %s", not)
			}
		}

		if resp, _ := le.postForm(t, "/gent/admin/users", h, url.Values{"email": {"x@gent.be"}, "name": {"X"}, "role": {"admin"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("invite under a grant: %d, want 403", resp.StatusCode)
		}
		if resp, _ := le.get(t, "/gent/admin/operators", h); resp.StatusCode != http.StatusForbidden {
			t.Errorf("grants page under a grant: %d, want 403", resp.StatusCode)
		}
		resp, _ = le.get(t, "/brugge/admin/users", h)
		wantRedirect(t, "another tenant's users under gent's grant", resp, "/brugge/login?next=%2Fbrugge%2Fadmin%2Fusers")

		// Gent's log shows the grant and the operator's visits as an
		// operator, each on behalf of the grant (AUD-4).
		active, err := env.DB.ActiveOperatorGrant(ctx, le.gent.ID, op.ID)
		if err != nil {
			t.Fatal(err)
		}
		var grant, access, denied int
		err = env.DB.EachAuditEvent(ctx, le.gent.ID, func(e *audit.Event) error {
			if e.Actor.ID == op.ID && e.Actor.OnBehalfOf != active.ID {
				t.Errorf("%s by the operator on behalf of %q, want the grant %s", e.Action, e.Actor.OnBehalfOf, active.ID)
			}
			switch {
			case e.Action == "operator.grant" && e.ObjectID == op.ID:
				grant++
			case e.Action == "operator.access" && e.Actor.ID == op.ID && e.Actor.Kind == audit.KindOperator:
				access++
			case e.Action == "access.denied" && e.Actor.ID == op.ID && e.Actor.Kind == audit.KindOperator:
				denied++
			}
			return nil
		})
		if err != nil || grant != 1 || access < 3 || denied != 2 {
			t.Fatalf("gent's log: grant %d, access %d, denied %d (err %v)", grant, access, denied, err)
		}

		// The admin ends it: the operator is out at once.
		gs, err := env.DB.OperatorGrants(ctx, audit.Actor{Kind: audit.KindUser, ID: admin.ID}, le.gent.ID)
		if err != nil || len(gs) != 1 {
			t.Fatalf("grants: %v %d", err, len(gs))
		}
		resp, _ = le.postForm(t, "/gent/admin/operators/"+gs[0].ID+"/revoke", ah, url.Values{"x": {"1"}})
		wantRedirect(t, "revoke", resp, "/gent/admin/operators?done=revoked")
		resp, _ = le.get(t, "/gent/admin/users", h)
		wantRedirect(t, "users page after revoke", resp, "/gent/login?next=%2Fgent%2Fadmin%2Fusers")

		// A new grant runs out by itself.
		resp, _ = le.postForm(t, "/gent/admin/operators", ah, url.Values{"email": {"piet@leverancier.be"}, "reason": {"ticket 43"}, "hours": {"1"}})
		wantRedirect(t, "second grant", resp, "/gent/admin/operators?done=granted")
		if resp, _ := le.get(t, "/gent/admin/users", h); resp.StatusCode != http.StatusOK {
			t.Fatalf("users page under the second grant: %d", resp.StatusCode)
		}
		env.Clock.Advance(61 * time.Minute)
		resp, _ = le.get(t, "/gent/admin/users", h)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("users page after the grant ran out: %d, want 303", resp.StatusCode)
		}
	})
}

// activeOperator adds an operator to the realm (made on first use) with
// TOTP enrolled, a minute before now so that the first code is fresh.
func activeOperator(t *testing.T, le *loginEnv, env *storetest.Env, email string) (account.User, []byte) {
	t.Helper()
	realm, err := env.DB.OperatorRealm(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "cli:root"})
	if err != nil {
		t.Fatal(err)
	}
	op := le.addRoleUser(t, realm, email, account.RoleAdmin)
	secret, _ := enrolTOTP(t, env, realm.ID, op.ID)
	env.Clock.Advance(time.Minute)
	return op, secret
}

// operatorSignIn signs an operator in on the realm (password, then TOTP)
// and returns the request headers of their session.
func operatorSignIn(t *testing.T, le *loginEnv, env *storetest.Env, email string, secret []byte) map[string]string {
	t.Helper()
	resp, _ := le.postForm(t, "/operator/login", nil, url.Values{"email": {email}, "password": {loginPassword}})
	c := sessionCookieOf(resp)
	if resp.StatusCode != http.StatusSeeOther || c == nil {
		t.Fatalf("operator login: %d", resp.StatusCode)
	}
	h := withSession(c)
	resp, _ = le.postForm(t, "/operator/login/mfa", h, url.Values{"code": {mfa.CodeAt(secret, env.Clock.Now())}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("operator TOTP: %d", resp.StatusCode)
	}
	return h
}
