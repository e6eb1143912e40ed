package web

import (
	"context"
	"encoding/base32"
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
	"github.com/kluis/kluis/internal/tenant"
)

// enrolTOTP gives a user a confirmed TOTP through the store, with a code
// computed at the store's clock, and returns the secret and the recovery
// codes. The code's step is spent: advance the clock before the next code.
func enrolTOTP(t *testing.T, env *storetest.Env, tenantID, userID string) ([]byte, []string) {
	t.Helper()
	ctx := context.Background()
	actor := audit.Actor{Kind: audit.KindUser, ID: userID}
	secret, err := env.DB.BeginTOTP(ctx, actor, tenantID, userID)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := env.DB.ConfirmTOTP(ctx, actor, tenantID, userID, mfa.CodeAt(secret, env.Clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return secret, codes
}

// verifiedMFA enrols the user's TOTP and passes it in the session: it
// returns the rotated token of a session that may use every page its role
// allows (the password's token is revoked).
func verifiedMFA(t *testing.T, env *storetest.Env, tenantID, userID, token string) string {
	t.Helper()
	enrolTOTP(t, env, tenantID, userID)
	tok, err := env.DB.MarkSessionMFA(context.Background(), tenantID, token)
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

// addRoleUser adds an active user with role to tn.
func (le *loginEnv) addRoleUser(t *testing.T, tn tenant.Tenant, email string, role account.Role) account.User {
	t.Helper()
	ctx := context.Background()
	_, tok, err := le.env.DB.InviteUser(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, tn.ID,
		account.Invite{Email: email, Name: "Name " + string(role), Role: role})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := le.hasher.Hash(ctx, loginPassword)
	if err != nil {
		t.Fatal(err)
	}
	u, err := le.env.DB.ActivateUser(ctx, tn.ID, tok.Plain, hash, "req")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// login posts the password and returns the new session's cookie header and
// where the browser was sent.
func (le *loginEnv) login(t *testing.T, email, next string) (map[string]string, string) {
	t.Helper()
	resp := le.post(t, "gent", email, loginPassword, next, nil)
	c := sessionCookieOf(resp)
	if resp.StatusCode != http.StatusSeeOther || c == nil {
		t.Fatalf("login %s: %d", email, resp.StatusCode)
	}
	return withSession(c), resp.Header.Get("Location")
}

func (le *loginEnv) get(t *testing.T, target string, h map[string]string) (*http.Response, string) {
	t.Helper()
	resp := request{target: target, header: h}.do(t, le.app.Handler())
	return resp, bodyOf(t, resp)
}

func (le *loginEnv) postForm(t *testing.T, target string, h map[string]string, form url.Values) (*http.Response, string) {
	t.Helper()
	hh := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range h {
		hh[k] = v
	}
	resp := request{method: http.MethodPost, target: target, body: form.Encode(), header: hh}.do(t, le.app.Handler())
	// Like a browser: a rotated session cookie replaces the old one.
	if c := sessionCookieOf(resp); c != nil && c.Value != "" && h != nil {
		h["Cookie"] = c.Name + "=" + c.Value
	}
	return resp, bodyOf(t, resp)
}

func wantRedirect(t *testing.T, what string, resp *http.Response, loc string) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != loc {
		t.Fatalf("%s: %d %q, want 303 %q", what, resp.StatusCode, resp.Header.Get("Location"), loc)
	}
}

// wrongCode is a well-formed code that is not secret's at now.
func wrongCode(secret []byte, now time.Time) string {
	c := []byte(mfa.CodeAt(secret, now))
	c[0] = '0' + (c[0]-'0'+1)%10
	return string(c)
}

var secretOnPage = regexp.MustCompile(`<code class="secret" id="secret">([A-Z2-7 ]+)</code>`)

// TestASVS_6_3_3_ClauseUSR2_AdminMustEnrolMFA: an admin without a second factor is
// sent from the password straight to enrolment, and every admin page
// answers 303 to enrolment until it is done; enrolment shows the QR code
// and the secret, refuses a wrong code, and on the right one shows the
// recovery codes once and opens the admin pages.
func TestASVS_6_3_3_ClauseUSR2_AdminMustEnrolMFA(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		le.addRoleUser(t, le.gent, "admin@gent.be", account.RoleAdmin)

		h, loc := le.login(t, "admin@gent.be", "/gent/admin/users")
		if loc != "/gent/account/mfa?next=%2Fgent%2Fadmin%2Fusers" {
			t.Fatalf("after password: %q", loc)
		}
		resp, _ := le.get(t, "/gent/admin/users", h)
		wantRedirect(t, "admin page before enrolment", resp, "/gent/account/mfa?next=%2Fgent%2Fadmin%2Fusers")
		resp, _ = le.postForm(t, "/gent/admin/users", h, url.Values{"email": {"x@gent.be"}, "name": {"X"}, "role": {"user"}})
		wantRedirect(t, "admin post before enrolment", resp, "/gent/account/mfa")
		resp, _ = le.get(t, "/gent/signed-in", h)
		wantRedirect(t, "signed-in before enrolment", resp, "/gent/account/mfa")
		resp, _ = le.get(t, "/gent/login/mfa", h)
		wantRedirect(t, "second step without TOTP", resp, "/gent/account/mfa")

		resp, body := le.get(t, loc, h)
		if resp.StatusCode != 200 || !strings.Contains(body, `<img class="qr" src="data:image/svg&#43;xml;base64,`) ||
			!strings.Contains(body, `autocomplete="one-time-code"`) || !strings.Contains(body, `inputmode="numeric"`) {
			t.Fatalf("enrolment page: %d\n%s", resp.StatusCode, body)
		}
		m := secretOnPage.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no secret on the enrolment page:\n%s", body)
		}
		if groups := strings.Fields(m[1]); len(groups) != 8 || len(groups[0]) != 4 {
			t.Fatalf("secret not in groups of 4: %q", m[1])
		}
		secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(m[1], " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		next := url.Values{"next": {"/gent/admin/users"}}

		form := url.Values{"code": {wrongCode(secret, env.Clock.Now())}, "next": next["next"]}
		resp, body = le.postForm(t, "/gent/account/mfa", h, form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "De code is onjuist") ||
			strings.Contains(body, `class="qr"`) || strings.Contains(body, m[1]) {
			t.Fatalf("wrong code: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = le.get(t, "/gent/admin/users", h)
		wantRedirect(t, "admin page after a wrong code", resp, "/gent/account/mfa?next=%2Fgent%2Fadmin%2Fusers")

		form.Set("code", mfa.CodeAt(secret, env.Clock.Now()))
		resp, body = le.postForm(t, "/gent/account/mfa", h, form)
		codes := regexp.MustCompile(`<li><code>([0-9a-z-]+)</code></li>`).FindAllStringSubmatch(body, -1)
		if resp.StatusCode != 200 || len(codes) != mfa.RecoveryCodeCount || resp.Header.Get("Cache-Control") != "no-store" ||
			!strings.Contains(body, `href="/gent/admin/users"`) {
			t.Fatalf("confirm: %d %q, %d codes\n%s", resp.StatusCode, resp.Header.Get("Cache-Control"), len(codes), body)
		}
		if resp, _ := le.get(t, "/gent/admin/users", h); resp.StatusCode != 200 {
			t.Fatalf("admin page after enrolment: %d", resp.StatusCode)
		}
		// Enrolled: the page says so and begins nothing; confirming again is refused.
		if resp, body := le.get(t, "/gent/account/mfa", h); resp.StatusCode != 200 || strings.Contains(body, `class="qr"`) ||
			!strings.Contains(body, "al ingesteld") {
			t.Fatalf("enrolment page when enrolled: %d\n%s", resp.StatusCode, body)
		}
		// The next login asks for the code.
		h2, loc := le.login(t, "admin@gent.be", "")
		if loc != "/gent/login/mfa" {
			t.Fatalf("second login: %q", loc)
		}
		resp, _ = le.get(t, "/gent/admin/users", h2)
		wantRedirect(t, "pending admin page", resp, "/gent/login/mfa?next=%2Fgent%2Fadmin%2Fusers")
		resp, _ = le.get(t, "/gent/account/mfa", h2)
		wantRedirect(t, "pending enrolment page", resp, "/gent/login/mfa")
	})
}

// TestClauseUSR2_LoginWithTOTP: a user with TOTP gives the password, then
// the code; until then the session reaches nothing (not even the admin
// pages its role allows). A wrong code gets 422 and one message, a code
// already used is refused, and a recovery code works once.
func TestClauseUSR2_LoginWithTOTP(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		u := le.addRoleUser(t, le.gent, "els@gent.be", account.RoleAdmin)
		secret, recovery := enrolTOTP(t, env, le.gent.ID, u.ID)
		env.Clock.Advance(mfa.Period) // the enrolment's code is spent

		h, loc := le.login(t, "els@gent.be", "/gent/signed-in?tab=sessions")
		if loc != "/gent/login/mfa?next=%2Fgent%2Fsigned-in%3Ftab%3Dsessions" {
			t.Fatalf("after password: %q", loc)
		}
		resp, _ := le.get(t, "/gent/admin/users", h)
		wantRedirect(t, "pending session on admin page", resp, "/gent/login/mfa?next=%2Fgent%2Fadmin%2Fusers")
		resp, _ = le.get(t, "/gent/signed-in", h)
		wantRedirect(t, "pending session on signed-in", resp, "/gent/login/mfa")

		resp, body := le.get(t, loc, h)
		if resp.StatusCode != 200 || !strings.Contains(body, `autocomplete="one-time-code"`) || !strings.Contains(body, `inputmode="numeric"`) ||
			!strings.Contains(body, `name="recovery_code"`) || !strings.Contains(body, `value="/gent/signed-in?tab=sessions"`) {
			t.Fatalf("second step: %d\n%s", resp.StatusCode, body)
		}
		const failed = "De code is onjuist of werd al gebruikt"
		next := "/gent/signed-in?tab=sessions"
		resp, body = le.postForm(t, "/gent/login/mfa", h, url.Values{"code": {wrongCode(secret, env.Clock.Now())}, "next": {next}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, failed) {
			t.Fatalf("wrong code: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = le.get(t, "/gent/admin/users", h)
		wantRedirect(t, "after a wrong code", resp, "/gent/login/mfa?next=%2Fgent%2Fadmin%2Fusers")

		code := mfa.CodeAt(secret, env.Clock.Now())
		before := h["Cookie"]
		resp, _ = le.postForm(t, "/gent/login/mfa", h, url.Values{"code": {code}, "next": {next}})
		wantRedirect(t, "right code", resp, next)
		if h["Cookie"] == before {
			t.Fatal("the session token was not rotated on passing the second factor (ASVS 7.2.4)")
		}
		if resp, _ := le.get(t, "/gent/signed-in", map[string]string{"Cookie": before}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the password's session token still works after MFA: %d", resp.StatusCode)
		}
		if resp, _ := le.get(t, "/gent/admin/users", h); resp.StatusCode != 200 {
			t.Fatalf("admin page after the code: %d", resp.StatusCode)
		}
		if resp, _ := le.get(t, "/gent/login/mfa", h); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("second step when verified: %d", resp.StatusCode)
		}

		// The same code in another session: a replay.
		h2, _ := le.login(t, "els@gent.be", "")
		resp, body = le.postForm(t, "/gent/login/mfa", h2, url.Values{"code": {code}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, failed) {
			t.Fatalf("replayed code: %d\n%s", resp.StatusCode, body)
		}
		// A recovery code, typed sloppily, works once.
		resp, _ = le.postForm(t, "/gent/login/mfa", h2, url.Values{"recovery_code": {" " + strings.ToUpper(recovery[0]) + " "}})
		wantRedirect(t, "recovery code", resp, "/gent/signed-in")
		if resp, _ := le.get(t, "/gent/signed-in", h2); resp.StatusCode != 200 {
			t.Fatalf("signed-in after recovery code: %d", resp.StatusCode)
		}
		h3, _ := le.login(t, "els@gent.be", "")
		resp, body = le.postForm(t, "/gent/login/mfa", h3, url.Values{"recovery_code": {recovery[0]}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, failed) ||
			!strings.Contains(body, `id="recovery_code" name="recovery_code"`) {
			t.Fatalf("spent recovery code: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = le.postForm(t, "/gent/login/mfa", h3, url.Values{"recovery_code": {recovery[1]}})
		wantRedirect(t, "second recovery code", resp, "/gent/signed-in")

		// Without a session the step sends to login.
		resp, _ = le.get(t, "/gent/login/mfa", nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/gent/login?") {
			t.Fatalf("anonymous second step: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		var failures int
		env.Raw(t).QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'mfa.failure'`).Scan(&failures)
		if failures != 3 {
			t.Fatalf("mfa.failure events: %d, want 3", failures)
		}
	})
}
