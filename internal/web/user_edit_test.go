package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/storetest"
)

// adminSession logs an admin in and passes their second factor.
func (le *loginEnv) adminSession(t *testing.T, email string) (account.User, map[string]string) {
	t.Helper()
	u := le.addRoleUser(t, le.gent, email, account.RoleAdmin)
	h, _ := le.login(t, email, "")
	h["Cookie"] = sessionCookie + "=" + verifiedMFA(t, le.env, le.gent.ID, u.ID, strings.TrimPrefix(h["Cookie"], sessionCookie+"="))
	le.env.Clock.Advance(31e9) // the enrolment code's step is spent
	return u, h
}

// TestClauseUSR1_AdminManagesUsers: on a user's page the tenant's admin
// changes the role, disables the user (their open session ends at once),
// enables them again, unlocks them after a lockout and resets their MFA;
// each answers 303 back to the page with a notice.
func TestClauseUSR1_AdminManagesUsers(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		_, admin := le.adminSession(t, "admin@gent.be")
		an := le.addRoleUser(t, le.gent, "clerk@gent.be", account.RoleUser)
		page := "/gent/admin/users/" + an.ID
		act := func(action string, form url.Values) string {
			t.Helper()
			resp, body := le.postForm(t, page+"/"+action, admin, form)
			wantRedirect(t, action+": "+body, resp, page+"?done="+action)
			resp, body = le.get(t, resp.Header.Get("Location"), admin)
			if resp.StatusCode != 200 || !strings.Contains(body, `role="status"`) {
				t.Fatalf("after %s: %d\n%s", action, resp.StatusCode, body)
			}
			return body
		}
		if resp, body := le.get(t, "/gent/admin/users", admin); resp.StatusCode != 200 || !strings.Contains(body, `href="`+page+`"`) {
			t.Fatalf("users list does not link the user: %d", resp.StatusCode)
		}
		resp, body := le.get(t, page, admin)
		if resp.StatusCode != 200 || !strings.Contains(body, "clerk@gent.be") || !strings.Contains(body, "niet ingesteld") {
			t.Fatalf("user page: %d\n%s", resp.StatusCode, body)
		}
		if body := act("role", url.Values{"role": {"dpo"}}); !strings.Contains(body, "De rol van Name user is gewijzigd") {
			t.Fatalf("role notice:\n%s", body)
		}
		if resp, _ := le.postForm(t, page+"/role", admin, url.Values{"role": {"boss"}}); resp.StatusCode != 422 {
			t.Fatalf("unknown role: %d", resp.StatusCode)
		}
		if err := env.DB.SetUserRole(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, le.gent.ID, an.ID, account.RoleUser); err != nil {
			t.Fatal(err)
		}

		// Disable: the user's open session is invalid right after.
		clerkSession, _ := le.login(t, "clerk@gent.be", "")
		if resp, _ := le.get(t, "/gent/signed-in", clerkSession); resp.StatusCode != 200 {
			t.Fatalf("clerk before disable: %d", resp.StatusCode)
		}
		act("disable", nil)
		if resp, _ := le.get(t, "/gent/signed-in", clerkSession); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("clerk's session after disable: %d", resp.StatusCode)
		}
		if resp := le.post(t, "gent", "clerk@gent.be", loginPassword, "", nil); resp.StatusCode == http.StatusSeeOther {
			t.Fatal("a disabled user logged in")
		}
		act("enable", nil)
		le.login(t, "clerk@gent.be", "")

		// Unlock after a lockout.
		for range account.DefaultLockout.MaxFailures {
			le.post(t, "gent", "clerk@gent.be", "wrong password wrong password", "", nil)
		}
		if _, body := le.get(t, page, admin); !strings.Contains(body, "/unlock") {
			t.Fatal("no unlock form for a locked user")
		}
		act("unlock", nil)
		le.login(t, "clerk@gent.be", "")

		// MFA reset.
		enrolTOTP(t, env, le.gent.ID, an.ID)
		if _, body := le.get(t, page, admin); !strings.Contains(body, "/reset-mfa") {
			t.Fatal("no reset form for a user with MFA")
		}
		if body := act("reset-mfa", nil); strings.Contains(body, "/reset-mfa") {
			t.Fatal("reset form still shown")
		}
		if has, _ := env.DB.HasTOTP(context.Background(), le.gent.ID, an.ID); has {
			t.Fatal("TOTP not removed")
		}
		want := map[string]int{"user.role": 2, "user.disable": 1, "user.enable": 1, "user.unlock": 1, "mfa.remove": 1}
		got := map[string]int{}
		env.DB.EachAuditEvent(context.Background(), le.gent.ID, func(e *audit.Event) error { got[e.Action]++; return nil })
		for a, n := range want {
			if got[a] != n {
				t.Errorf("%s events: %d, want %d", a, got[a], n)
			}
		}
	})
}

// TestCannotRemoveLastAdminOnUserPage: the admin can neither disable nor
// demote themselves: 409 with the reason in the admin's language, nothing
// changed. (On the web the last active admin is always the actor; the store
// test TestCannotRemoveLastAdmin covers the other paths.) Another tenant's user
// id is 404; a user without the permission gets 403, audited.
func TestCannotRemoveLastAdminOnUserPage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		me, admin := le.adminSession(t, "admin@gent.be")
		self := "/gent/admin/users/" + me.ID
		for _, c := range []struct {
			action string
			form   url.Values
		}{{"disable", nil}, {"role", url.Values{"role": {"user"}}}} {
			resp, body := le.postForm(t, self+"/"+c.action, admin, c.form)
			if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "U kunt uw eigen account niet uitschakelen") {
				t.Fatalf("self %s: %d\n%s", c.action, resp.StatusCode, body)
			}
		}
		h := map[string]string{"Accept-Language": "fr"}
		for k, v := range admin {
			h[k] = v
		}
		if resp, body := le.postForm(t, self+"/disable", h, nil); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "propre compte") {
			t.Fatalf("self disable in French: %d", resp.StatusCode)
		}
		// Another tenant's user: 404, and they are untouched.
		var other string
		env.Raw(t).QueryRow(`SELECT id FROM users WHERE tenant_id = $1`, le.brugge.ID).Scan(&other)
		for _, target := range []string{"/gent/admin/users/" + other, "/brugge/admin/users/" + other} {
			if resp, _ := le.get(t, target, admin); resp.StatusCode != http.StatusNotFound && !(strings.HasPrefix(target, "/brugge") && resp.StatusCode == http.StatusSeeOther) {
				t.Fatalf("GET %s: %d", target, resp.StatusCode)
			}
		}
		if resp, _ := le.postForm(t, "/gent/admin/users/"+other+"/disable", admin, nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("disable across tenants: %d", resp.StatusCode)
		}
		var status string
		env.Raw(t).QueryRow(`SELECT status FROM users WHERE id = $1`, other).Scan(&status)
		if status != account.StatusActive {
			t.Fatalf("other tenant's user: %s", status)
		}
		// A clerk is refused with 403, and the refusal is audited.
		clerk, _ := le.login(t, "an@gent.be", "")
		if resp, _ := le.postForm(t, self+"/role", clerk, url.Values{"role": {"user"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("clerk: %d", resp.StatusCode)
		}
		denied := 0
		env.DB.EachAuditEvent(context.Background(), le.gent.ID, func(e *audit.Event) error {
			if e.Action == "access.denied" && e.Outcome == audit.OutcomeDenied && e.ObjectID == string(account.ManageUsers) {
				denied++
			}
			return nil
		})
		if denied != 1 {
			t.Fatalf("denied events: %d", denied)
		}
		// Another admin can be demoted; the first stays untouched.
		second, _ := le.adminSession(t, "tweede@gent.be")
		if resp, _ := le.postForm(t, "/gent/admin/users/"+second.ID+"/role", admin, url.Values{"role": {"dpo"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("demote second admin: %d", resp.StatusCode)
		}
		u, err := env.DB.User(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, le.gent.ID, me.ID)
		if err != nil || u.Role != account.RoleAdmin || u.Status != account.StatusActive {
			t.Fatalf("admin after refusals: %+v %v", u, err)
		}
	})
}
