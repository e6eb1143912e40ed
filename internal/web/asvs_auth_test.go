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
	"github.com/kluis/kluis/internal/mfa"
	"github.com/kluis/kluis/internal/storetest"
)

var passwordInputRE = regexp.MustCompile(`<input[^>]*name="password[^"]*"[^>]*>`)

// passwordPages renders every page with a password field: login, the
// step-up confirmation, activation, reset and the change of one's own
// password.
func passwordPages(t *testing.T, le *loginEnv, env *storetest.Env) map[string]string {
	t.Helper()
	mine, _ := le.login(t, "an@gent.be", "")
	resp := request{method: http.MethodPost, target: "/gent/password/forgot", body: url.Values{"email": {"an@gent.be"}}.Encode(),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}.do(t, le.app.Handler())
	resp.Body.Close()
	pages := map[string]string{}
	for _, p := range []struct {
		target string
		h      map[string]string
	}{
		{"/gent/login", nil},
		{"/gent/account/password", mine},
		{"/gent/account/confirm?next=/gent/signed-in", mine},
		{le.invite(t, "nieuw@gent.be", account.RoleUser), nil},
		{resetLinkFromMail(t, env), nil},
	} {
		resp, body := le.get(t, p.target, p.h)
		if resp.StatusCode != http.StatusOK || !passwordInputRE.MatchString(body) {
			t.Fatalf("%s: %d, password field %v", p.target, resp.StatusCode, passwordInputRE.MatchString(body))
		}
		pages[p.target] = body
	}
	return pages
}

func TestASVS_6_2_6_PasswordFieldsAreMasked(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		for page, body := range passwordPages(t, le, env) {
			for _, in := range passwordInputRE.FindAllString(body, -1) {
				if !strings.Contains(in, `type="password"`) {
					t.Errorf("%s: %s is not masked", page, in)
				}
			}
		}
	})
}

// Password managers fill the fields (the autocomplete tokens say which
// password), nothing blocks paste, and nothing turns autofill off.
func TestASVS_6_2_7_PasteAndPasswordManagersAllowed(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		for page, body := range passwordPages(t, le, env) {
			for _, in := range passwordInputRE.FindAllString(body, -1) {
				if !strings.Contains(in, `autocomplete="current-password"`) && !strings.Contains(in, `autocomplete="new-password"`) {
					t.Errorf("%s: %s has no current-password or new-password autocomplete", page, in)
				}
			}
			for _, bad := range []string{"onpaste", "oncopy", `autocomplete="off"`, "preventDefault"} {
				if strings.Contains(strings.ToLower(body), strings.ToLower(bad)) {
					t.Errorf("%s: %s on the page", page, bad)
				}
			}
		}
	})
}

// The change of one's own password is behind a proof of the current one:
// a session whose last proof is older than StepUpMaxAge is sent to the
// confirmation page, a wrong current password changes nothing.
func TestASVS_6_2_3_PasswordChangeNeedsTheCurrentPassword(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		mine, _ := le.login(t, "an@gent.be", "")
		env.Clock.Advance(StepUpMaxAge + time.Minute)
		const next = "wilgenroosje beukennootje zandloper"
		change := url.Values{"password": {next}, "password_confirm": {next}}
		resp, _ := le.postForm(t, "/gent/account/password", mine, change)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/gent/account/confirm?") {
			t.Fatalf("change without the current password: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, _ = le.postForm(t, "/gent/account/confirm", mine, url.Values{"next": {"/gent/account/password"}, "password": {"niet het wachtwoord van an"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("wrong current password: %d", resp.StatusCode)
		}
		if resp := le.post(t, "gent", "an@gent.be", next, "", nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("the password changed without proof: %d", resp.StatusCode)
		}
		resp, _ = le.postForm(t, "/gent/account/confirm", mine, url.Values{"next": {"/gent/account/password"}, "password": {loginPassword}})
		wantRedirect(t, "confirm", resp, "/gent/account/password")
		resp, _ = le.postForm(t, "/gent/account/password", mine, change)
		wantRedirect(t, "change after proof", resp, "/gent/account/sessions?done=password")
	})
}

// Linking or unlinking a sign-in method, removing a passkey and changing
// the password all wait for a fresh proof of credentials.
func TestASVS_7_5_1_AuthenticationChangesNeedAFreshProof(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		mine, _ := le.login(t, "an@gent.be", "")
		toConfirm := func(what string, resp *http.Response) bool {
			t.Helper()
			return resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/gent/account/confirm?")
		}
		// Fresh: the actions run (an unknown provider or passkey is a 404).
		if resp, _ := le.postForm(t, "/gent/account/passkeys/nope/delete", mine, url.Values{}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("fresh passkey removal: %d", resp.StatusCode)
		}
		if resp, _ := le.postForm(t, "/gent/account/oidc/unlink/nope", mine, url.Values{}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("fresh unlink: %d", resp.StatusCode)
		}
		env.Clock.Advance(StepUpMaxAge + time.Minute)
		resp, _ := le.get(t, "/gent/account/oidc/link/fas-eid", mine)
		if !toConfirm("link", resp) {
			t.Errorf("stale link: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body := le.postForm(t, "/gent/account/oidc/unlink/nope", mine, url.Values{})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/gent/account/confirm"`) {
			t.Errorf("stale unlink: %d", resp.StatusCode)
		}
		resp, _ = le.postForm(t, "/gent/account/passkeys/nope/delete", mine, url.Values{})
		if !toConfirm("passkey", resp) {
			t.Errorf("stale passkey removal: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, _ = le.get(t, "/gent/account/password", mine)
		if !toConfirm("password", resp) {
			t.Errorf("stale password change: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// A user with TOTP who resets the password still has to give the code: the
// reset changes the password only.
func TestASVS_6_4_3_ResetDoesNotBypassTheSecondFactor(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		an := le.addRoleUser(t, le.gent, "totp@gent.be", account.RoleUser)
		secret, _ := enrolTOTP(t, env, le.gent.ID, an.ID)
		claimSent(t, env)
		resp := request{method: http.MethodPost, target: "/gent/password/forgot", body: url.Values{"email": {"totp@gent.be"}}.Encode(),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}.do(t, le.app.Handler())
		resp.Body.Close()
		link := resetLinkFromMail(t, env)
		const next = "wilgenroosje beukennootje zandloper"
		resp, _ = le.postForm(t, link, nil, url.Values{"password": {next}, "password_confirm": {next}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("reset: %d", resp.StatusCode)
		}
		if c := sessionCookieOf(resp); c != nil && c.Value != "" {
			if r, _ := le.get(t, "/gent/signed-in", withSession(c)); r.StatusCode == http.StatusOK {
				t.Fatal("the reset signed the user in past the second factor")
			}
		}
		if has, _ := env.DB.HasTOTP(context.Background(), le.gent.ID, an.ID); !has {
			t.Fatal("the reset removed the TOTP")
		}
		login := le.post(t, "gent", "totp@gent.be", next, "", nil)
		c := sessionCookieOf(login)
		if login.StatusCode != http.StatusSeeOther || c == nil || !strings.HasPrefix(login.Header.Get("Location"), "/gent/login/mfa") {
			t.Fatalf("login after reset: %d %q", login.StatusCode, login.Header.Get("Location"))
		}
		if r, _ := le.get(t, "/gent/signed-in", withSession(c)); r.StatusCode == http.StatusOK {
			t.Fatal("the new password alone opened the back office")
		}
		h := withSession(c)
		env.Clock.Advance(30 * time.Second) // the enrolment spent the current code
		resp, _ = le.postForm(t, "/gent/login/mfa", h, url.Values{"code": {mfa.CodeAt(secret, env.Clock.Now())}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("second step: %d", resp.StatusCode)
		}
		if r, _ := le.get(t, "/gent/signed-in", h); r.StatusCode != http.StatusOK {
			t.Fatalf("after the code: %d", r.StatusCode)
		}
	})
}

var inputNameRE = regexp.MustCompile(`<(?:input|textarea|select)[^>]*name="([^"]+)"`)

// Activation, login, forgotten and reset password ask for the address and
// the password only: no hint, no secret question.
func TestASVS_6_4_2_NoPasswordHintsOrSecretQuestions(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		pages := passwordPages(t, le, env)
		_, pages["/gent/password/forgot"] = le.get(t, "/gent/password/forgot", nil)
		allowed := map[string]bool{"email": true, "password": true, "password_confirm": true, "next": true, "code": true,
			"recovery_code": true, "then": true, "lang": true}
		for page, body := range pages {
			if strings.HasPrefix(page, "/gent/account/password") {
				continue // inside the account: the layout's own forms
			}
			for _, m := range inputNameRE.FindAllStringSubmatch(body, -1) {
				if !allowed[m[1]] {
					t.Errorf("%s asks for %q", page, m[1])
				}
			}
			for _, word := range []string{"geheugensteun", "geheime vraag", "secret question", "password hint"} {
				if strings.Contains(strings.ToLower(body), word) {
					t.Errorf("%s mentions %q", page, word)
				}
			}
		}
	})
}
