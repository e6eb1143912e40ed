package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// postForm posts form to target with the given extra headers.
func postForm(t *testing.T, h http.Handler, target string, form url.Values, hdr map[string]string) *http.Response {
	t.Helper()
	header := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range hdr {
		header[k] = v
	}
	return request{method: http.MethodPost, target: target, body: form.Encode(), header: header}.do(t, h)
}

// claimSent claims the queued mails and marks them sent, so that they do
// not come back when the clock moves on.
func claimSent(t *testing.T, env *storetest.Env) []store.QueuedMail {
	t.Helper()
	ms, err := env.DB.ClaimMail(context.Background(), 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if err := env.DB.MailSent(context.Background(), m.ID); err != nil {
			t.Fatal(err)
		}
	}
	return ms
}

// resetLinkFromMail claims the queued mails and returns the path of the
// reset link in the one reset mail.
func resetLinkFromMail(t *testing.T, env *storetest.Env) string {
	t.Helper()
	ms := claimSent(t, env)
	if len(ms) != 1 || ms[0].Kind != "account.password-reset" {
		t.Fatalf("mails: %+v", ms)
	}
	i := strings.Index(ms[0].Body, "/gent/password/reset/")
	if i < 0 {
		t.Fatalf("no link in mail:\n%s", ms[0].Body)
	}
	return strings.Fields(ms[0].Body[i:])[0]
}

// TestClauseUSR4_PasswordResetByEmail walks the reset by e-mail on the web:
// request, mail with a link, weak password refused with the rule named,
// new password set, every session ended, the link works once and expires
// after 30 minutes.
func TestClauseUSR4_PasswordResetByEmail(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		h := le.app.Handler()
		sess := sessionCookieOf(le.post(t, "gent", "an@gent.be", loginPassword, "", nil))
		if sess == nil {
			t.Fatal("no session")
		}
		if body := bodyOf(t, request{target: "/gent/login"}.do(t, h)); !strings.Contains(body, `href="password/forgot"`) ||
			!strings.Contains(body, "Wachtwoord vergeten?") {
			t.Fatalf("no forgot link on the login page\n%s", body)
		}
		resp := postForm(t, h, "/gent/password/forgot", url.Values{"email": {"an@gent.be"}}, nil)
		if body := bodyOf(t, resp); resp.StatusCode != 200 ||
			!strings.Contains(body, "Als er een account bestaat voor dit adres, krijgt u een e-mail met een link die 30 minuten geldig is.") {
			t.Fatalf("confirmation: %d\n%s", resp.StatusCode, body)
		}
		link := resetLinkFromMail(t, env)

		resp = request{target: link}.do(t, h)
		if body := bodyOf(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `autocomplete="new-password"`) {
			t.Fatalf("form: %d\n%s", resp.StatusCode, body)
		}
		resp = postForm(t, h, link, url.Values{"password": {"kort"}, "password_confirm": {"kort"}}, nil)
		if body := bodyOf(t, resp); resp.StatusCode != 422 || !strings.Contains(body, "minstens 15 tekens") ||
			!strings.Contains(body, "Er is een probleem") {
			t.Fatalf("weak password: %d\n%s", resp.StatusCode, body)
		}
		const newPassword = "zonnebloem eikenboom rivier"
		resp = postForm(t, h, link, url.Values{"password": {newPassword}, "password_confirm": {newPassword + "!"}}, nil)
		if body := bodyOf(t, resp); resp.StatusCode != 422 || !strings.Contains(body, "niet gelijk") {
			t.Fatalf("mismatch: %d\n%s", resp.StatusCode, body)
		}
		resp = postForm(t, h, link, url.Values{"password": {newPassword}, "password_confirm": {newPassword}}, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/login?reset=done" {
			t.Fatalf("reset: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if body := bodyOf(t, request{target: "/gent/login?reset=done"}.do(t, h)); !strings.Contains(body, "Uw wachtwoord is gewijzigd.") {
			t.Fatalf("no notice\n%s", body)
		}
		ms := claimSent(t, env)
		if len(ms) != 1 || ms[0].Kind != "account.password-changed" || ms[0].To != "an@gent.be" ||
			!strings.Contains(ms[0].Subject, "is gewijzigd") {
			t.Fatalf("notice mail: %+v", ms)
		}
		// The old session is gone, the old password refused, the new one works.
		if resp := (request{target: "/gent/signed-in", header: withSession(sess)}.do(t, h)); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("old session still works: %d", resp.StatusCode)
		}
		if resp := le.post(t, "gent", "an@gent.be", loginPassword, "", nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("old password: %d", resp.StatusCode)
		}
		if resp := le.post(t, "gent", "an@gent.be", newPassword, "", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("new password: %d", resp.StatusCode)
		}
		// The link works once.
		for _, resp := range []*http.Response{request{target: link}.do(t, h),
			postForm(t, h, link, url.Values{"password": {newPassword}, "password_confirm": {newPassword}}, nil)} {
			if body := bodyOf(t, resp); resp.StatusCode != http.StatusGone || !strings.Contains(body, "30 minuten") {
				t.Fatalf("used link: %d\n%s", resp.StatusCode, body)
			}
		}
		// A new link expires after 30 minutes.
		postForm(t, h, "/gent/password/forgot", url.Values{"email": {"an@gent.be"}}, nil)
		link = resetLinkFromMail(t, env)
		env.Clock.Advance(29 * time.Minute)
		if resp := (request{target: link}.do(t, h)); resp.StatusCode != 200 {
			t.Fatalf("before expiry: %d", resp.StatusCode)
		}
		env.Clock.Advance(time.Minute)
		if resp := (request{target: link}.do(t, h)); resp.StatusCode != http.StatusGone {
			t.Fatalf("after expiry: %d", resp.StatusCode)
		}
		// Not on another tenant.
		postForm(t, h, "/gent/password/forgot", url.Values{"email": {"an@gent.be"}}, nil)
		link = resetLinkFromMail(t, env)
		if resp := (request{target: strings.Replace(link, "/gent/", "/brugge/", 1)}.do(t, h)); resp.StatusCode != http.StatusGone {
			t.Fatalf("other tenant: %d", resp.StatusCode)
		}
	})
}

// TestASVS_6_3_8_ResetNoEnumeration: an unknown address, a disabled user
// and an existing user get the same status and page.
func TestASVS_6_3_8_ResetNoEnumeration(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		dis := le.addUser(t, le.gent, "disabled@gent.be", "Dis Abled")
		if _, err := env.Raw(t).Exec(`UPDATE users SET status = 'disabled' WHERE id = $1`, dis.ID); err != nil {
			t.Fatal(err)
		}
		hdr := map[string]string{"X-Request-Id": "fixed-request-id-1"}
		var first string
		for _, email := range []string{"nobody@gent.be", "disabled@gent.be", "an@gent.be"} {
			resp := postForm(t, le.app.Handler(), "/gent/password/forgot", url.Values{"email": {email}}, hdr)
			body := bodyOf(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: status %d", email, resp.StatusCode)
			}
			if strings.Contains(body, email) {
				t.Fatalf("%s: address echoed", email)
			}
			if first == "" {
				first = body
			} else if body != first {
				t.Fatalf("%s: page differs\n%s\n---\n%s", email, body, first)
			}
		}
		// Only the existing user got a mail.
		if link := resetLinkFromMail(t, env); link == "" {
			t.Fatal("no link")
		}
	})
}

// TestPasswordResetRateLimitPerIP: requests for links are limited per IP
// like logins.
func TestPasswordResetRateLimitPerIP(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 2})
		codes := []int{}
		for range 3 {
			resp := postForm(t, le.app.Handler(), "/gent/password/forgot", url.Values{"email": {"nobody@gent.be"}}, nil)
			codes = append(codes, resp.StatusCode)
		}
		if codes[0] != 200 || codes[2] != http.StatusTooManyRequests {
			t.Fatalf("statuses %v", codes)
		}
	})
}
