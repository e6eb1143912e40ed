package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/mfa"
	"github.com/kluis/kluis/internal/storetest"
)

// auditActions counts the tenant's events by action.
func auditActions(t *testing.T, env *storetest.Env, tenantID string) map[string]int {
	t.Helper()
	got := map[string]int{}
	if err := env.DB.EachAuditEvent(context.Background(), tenantID, func(e *audit.Event) error { got[e.Action]++; return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

// mailKinds claims the queued mails and lists them as "kind lang to".
func mailKinds(t *testing.T, env *storetest.Env) []string {
	t.Helper()
	var out []string
	for _, m := range claimSent(t, env) {
		out = append(out, m.Kind+" "+m.Lang+" "+m.To)
	}
	return out
}

// TestClauseUSR6_StepUpForSensitiveActions: more than 5 minutes after the
// admin's last proof of credentials, a role change and an MFA reset go to
// the confirmation page first (nothing changes); missing fields are named,
// a wrong password is refused and counted, the password with the TOTP code
// returns to the user's page only (never off-site), and the action then
// works. The user is told of the MFA reset by mail.
func TestClauseUSR6_StepUpForSensitiveActions(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		me := le.addRoleUser(t, le.gent, "admin@gent.be", account.RoleAdmin)
		admin, _ := le.login(t, "admin@gent.be", "")
		secret, _ := enrolTOTP(t, env, le.gent.ID, me.ID)
		tok, err := env.DB.MarkSessionMFA(ctx, le.gent.ID, strings.TrimPrefix(admin["Cookie"], sessionCookie+"="))
		if err != nil {
			t.Fatal(err)
		}
		admin["Cookie"] = sessionCookie + "=" + string(tok)
		clerk := le.addRoleUser(t, le.gent, "clerk@gent.be", account.RoleUser)
		enrolTOTP(t, env, le.gent.ID, clerk.ID)
		claimSent(t, env)
		page := "/gent/admin/users/" + clerk.ID
		confirm := "/gent/account/confirm?next=" + url.QueryEscape(page)

		env.Clock.Advance(StepUpMaxAge + time.Minute)
		resp, body := le.postForm(t, page+"/role", admin, url.Values{"role": {"dpo"}})
		pendingOn(t, "stale role change", resp, body)
		resp, body = le.postForm(t, page+"/reset-mfa", admin, nil)
		pendingOn(t, "stale MFA reset", resp, body)
		if u, _ := env.DB.User(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, le.gent.ID, clerk.ID); u.Role != account.RoleUser {
			t.Fatalf("role changed without step-up: %s", u.Role)
		}
		if has, _ := env.DB.HasTOTP(ctx, le.gent.ID, clerk.ID); !has {
			t.Fatal("MFA reset without step-up")
		}
		// Not sensitive: disabling needs no step-up.
		if resp, _ := le.postForm(t, page+"/unlock", admin, nil); resp.StatusCode != http.StatusSeeOther ||
			strings.Contains(resp.Header.Get("Location"), "confirm") {
			t.Fatalf("unlock: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}

		resp, body = le.get(t, confirm, admin)
		if resp.StatusCode != 200 || !strings.Contains(body, `name="code"`) || !strings.Contains(body, `value="`+page+`"`) {
			t.Fatalf("confirm page: %d\n%s", resp.StatusCode, body)
		}
		resp, body = le.postForm(t, "/gent/account/confirm", admin, url.Values{"next": {page}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Vul uw wachtwoord in.") ||
			!strings.Contains(body, "Vul de code van 6 cijfers") || !strings.Contains(body, `href="#password"`) {
			t.Fatalf("empty confirm: %d\n%s", resp.StatusCode, body)
		}
		if st, _ := env.DB.UserLockState(ctx, le.gent.ID, me.ID); st.Failures != 0 {
			t.Fatalf("an empty form counted: %+v", st)
		}
		resp, body = le.postForm(t, "/gent/account/confirm", admin, url.Values{"next": {page}, "password": {"wrong password wrong"},
			"code": {mfa.CodeAt(secret, env.Clock.Now())}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Wachtwoord of code onjuist") {
			t.Fatalf("wrong password: %d\n%s", resp.StatusCode, body)
		}
		if st, _ := env.DB.UserLockState(ctx, le.gent.ID, me.ID); st.Failures != 1 {
			t.Fatalf("a wrong password did not count: %+v", st)
		}
		// An off-site or other tenant's next is not followed.
		resp, _ = le.postForm(t, "/gent/account/confirm", admin, url.Values{"next": {"https://evil.example/gent/"},
			"password": {loginPassword}, "code": {mfa.CodeAt(secret, env.Clock.Now())}})
		wantRedirect(t, "off-site next", resp, "/gent/signed-in")
		env.Clock.Advance(StepUpMaxAge + time.Minute)
		resp, _ = le.postForm(t, "/gent/account/confirm", admin, url.Values{"next": {page}, "password": {loginPassword},
			"code": {mfa.CodeAt(secret, env.Clock.Now())}})
		wantRedirect(t, "confirm", resp, page)

		resp, _ = le.postForm(t, page+"/role", admin, url.Values{"role": {"dpo"}})
		wantRedirect(t, "role after step-up", resp, page+"?done=role")
		resp, _ = le.postForm(t, page+"/reset-mfa", admin, nil)
		wantRedirect(t, "MFA reset after step-up", resp, page+"?done=reset-mfa")
		if got := mailKinds(t, env); strings.Join(got, "|") != "account.mfa-reset nl clerk@gent.be" {
			t.Fatalf("mails: %v", got)
		}
		got := auditActions(t, env, le.gent.ID)
		if got["stepup.success"] != 2 || got["stepup.failure"] != 1 || got["user.role"] != 1 || got["mfa.remove"] != 1 {
			t.Fatalf("events: %v", got)
		}
	})
}

// TestClauseUSR6_StepUpFailuresLockTheAccount: wrong passwords on the
// confirmation page count like failed logins; the one that locks the
// account ends the session (to the login page) and the user and the admins
// get a mail.
func TestClauseUSR6_StepUpFailuresLockTheAccount(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		le.addRoleUser(t, le.gent, "admin@gent.be", account.RoleAdmin)
		an, _ := le.login(t, "an@gent.be", "")
		claimSent(t, env)
		wrong := url.Values{"password": {"wrong password wrong"}}
		for i := range account.DefaultLockout.MaxFailures - 1 {
			if resp, _ := le.postForm(t, "/gent/account/confirm", an, wrong); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("wrong password %d: %d", i+1, resp.StatusCode)
			}
		}
		resp, _ := le.postForm(t, "/gent/account/confirm", an, wrong)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/gent/login") {
			t.Fatalf("locking attempt: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if c := sessionCookieOf(resp); c == nil || c.MaxAge >= 0 {
			t.Fatal("the session cookie was not cleared")
		}
		if resp, _ := le.get(t, "/gent/signed-in", an); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("session after the lock: %d", resp.StatusCode)
		}
		got := strings.Join(mailKinds(t, env), "|")
		if !strings.Contains(got, "account.locked nl an@gent.be") || !strings.Contains(got, "account.locked-admin nl admin@gent.be") {
			t.Fatalf("lock mails: %s", got)
		}
	})
}

var revokeForm = regexp.MustCompile(`action="/gent/account/sessions/([A-Za-z0-9_-]+)/revoke"`)

// TestASVS_7_5_2_OwnSessionsPage: a user sees their live sessions with a
// localized device label and "this session" marked, ends another one, and
// then all others; an unknown or another user's session id is 404 with a
// message.
func TestASVS_7_5_2_OwnSessionsPage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		login := func(email, ua string) map[string]string {
			t.Helper()
			resp := le.post(t, "gent", email, loginPassword, "", map[string]string{"User-Agent": ua})
			c := sessionCookieOf(resp)
			if c == nil {
				t.Fatalf("login %s: %d", email, resp.StatusCode)
			}
			return withSession(c)
		}
		firefox := login("an@gent.be", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
		env.Clock.Advance(time.Minute)
		phone := login("an@gent.be", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile/15E148 Safari/604.1")
		env.Clock.Advance(time.Minute)
		third := login("an@gent.be", "curl/8.0")
		le.addRoleUser(t, le.gent, "bo@gent.be", account.RoleUser)
		bo := login("bo@gent.be", "curl/8.0")

		resp, body := le.get(t, "/gent/account/sessions", phone)
		if resp.StatusCode != 200 || !strings.Contains(body, "Firefox op Linux") || !strings.Contains(body, "Safari op iOS") ||
			!strings.Contains(body, "Onbekend toestel") || strings.Count(body, "(deze sessie)") != 1 {
			t.Fatalf("sessions page: %d\n%s", resp.StatusCode, body)
		}
		ids := revokeForm.FindAllStringSubmatch(body, -1)
		if len(ids) != 2 { // not this session's
			t.Fatalf("revoke forms: %v", ids)
		}
		if _, body := le.get(t, "/gent/account/sessions?lang=fr", phone); !strings.Contains(body, "Firefox sous Linux") {
			t.Fatal("device label not localized in French")
		}
		_, boInfo, err := env.DB.Session(context.Background(), le.gent.ID, strings.TrimPrefix(bo["Cookie"], sessionCookie+"="))
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"Zm9v", boInfo.ID} {
			resp, body = le.postForm(t, "/gent/account/sessions/"+id+"/revoke", phone, nil)
			if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "Die sessie bestaat niet (meer)") {
				t.Fatalf("unknown or another user's id: %d", resp.StatusCode)
			}
		}
		// Ending the oldest (the Firefox one).
		resp, _ = le.postForm(t, "/gent/account/sessions/"+ids[1][1]+"/revoke", phone, nil)
		wantRedirect(t, "revoke", resp, "/gent/account/sessions?done=revoke")
		if resp, _ := le.get(t, "/gent/signed-in", firefox); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoked session still works: %d", resp.StatusCode)
		}
		resp, _ = le.postForm(t, "/gent/account/sessions/revoke-others", phone, nil)
		wantRedirect(t, "revoke others", resp, "/gent/account/sessions?done=others")
		if resp, _ := le.get(t, "/gent/signed-in", third); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("other session still works: %d", resp.StatusCode)
		}
		for what, h := range map[string]map[string]string{"this session": phone, "another user's": bo} {
			if resp, _ := le.get(t, "/gent/signed-in", h); resp.StatusCode != 200 {
				t.Fatalf("%s ended: %d", what, resp.StatusCode)
			}
		}
	})
}

// TestClauseUSR1_AdminRemovesUser: on a user's page the admin sees the
// active sessions and can end them all; removing needs a ticked box, ends
// the user's sessions at once, shows a pseudonym instead of the name
// everywhere, and the address can be invited again. An admin cannot remove
// themselves.
func TestClauseUSR1_AdminRemovesUser(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		me, admin := le.adminSession(t, "admin@gent.be")
		_, tok, err := env.DB.InviteUser(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, le.gent.ID,
			account.Invite{Email: "wies@gent.be", Name: "Wies Wegwezen", Role: account.RoleUser})
		if err != nil {
			t.Fatal(err)
		}
		hash, _ := le.hasher.Hash(ctx, loginPassword)
		gone, err := env.DB.ActivateUser(ctx, le.gent.ID, tok.Plain, hash, "r")
		if err != nil {
			t.Fatal(err)
		}
		wies, _ := le.login(t, "wies@gent.be", "")
		page := "/gent/admin/users/" + gone.ID

		_, body := le.get(t, page, admin)
		if !strings.Contains(body, "<dt>Actieve sessies</dt><dd>1</dd>") || !strings.Contains(body, page+"/revoke-sessions") {
			t.Fatalf("user page without sessions:\n%s", body)
		}
		resp, _ := le.postForm(t, page+"/revoke-sessions", admin, nil)
		wantRedirect(t, "revoke sessions", resp, page+"?done=revoke-sessions")
		if resp, _ := le.get(t, "/gent/signed-in", wies); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("session after revoke-sessions: %d", resp.StatusCode)
		}
		wies, _ = le.login(t, "wies@gent.be", "")

		resp, body = le.postForm(t, page+"/remove", admin, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Vink aan dat u begrijpt") {
			t.Fatalf("remove without the box: %d", resp.StatusCode)
		}
		resp, body = le.postForm(t, "/gent/admin/users/"+me.ID+"/remove", admin, url.Values{"confirm": {"yes"}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "U kunt uw eigen account niet verwijderen") {
			t.Fatalf("remove oneself: %d", resp.StatusCode)
		}
		resp, _ = le.postForm(t, page+"/remove", admin, url.Values{"confirm": {"yes"}})
		wantRedirect(t, "remove", resp, page+"?done=remove")
		if resp, _ := le.get(t, "/gent/signed-in", wies); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("a removed user's session: %d", resp.StatusCode)
		}
		pseudonym := "Verwijderde gebruiker " + account.Pseudonym(gone.ID)
		_, body = le.get(t, page+"?done=remove", admin)
		if !strings.Contains(body, pseudonym+" is verwijderd") || strings.Contains(body, "Wies") || strings.Contains(body, page+"/remove") {
			t.Fatalf("page of the removed user:\n%s", body)
		}
		_, body = le.get(t, "/gent/admin/users", admin)
		if !strings.Contains(body, pseudonym) || strings.Contains(body, "Wies") || strings.Contains(body, "wies@gent.be") {
			t.Fatalf("users list after removal:\n%s", body)
		}
		resp, _ = le.postForm(t, page+"/enable", admin, nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("enable a removed user: %d", resp.StatusCode)
		}
		resp, _ = le.postForm(t, "/gent/admin/users", admin, url.Values{"email": {"wies@gent.be"}, "name": {"Wies"}, "role": {"user"}, "lang": {"nl"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("invite the address again: %d", resp.StatusCode)
		}
		if got := auditActions(t, env, le.gent.ID); got["user.removed"] != 1 {
			t.Fatalf("events: %v", got)
		}
		if _, err := env.DB.VerifyAudit(ctx, le.gent.ID); err != nil {
			t.Fatal(err)
		}
	})
}
