package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/storetest"
)

// TestASVS_6_2_2_ClauseUSR3_UserChangesOwnPassword: a signed-in user chooses a new
// password behind a fresh proof of the current one; a broken rule is named
// and changes nothing; the new password ends the user's other sessions but
// not this one, the old password stops working, and the user is told by
// mail.
func TestASVS_6_2_2_ClauseUSR3_UserChangesOwnPassword(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		mine, _ := le.login(t, "an@gent.be", "")
		other, _ := le.login(t, "an@gent.be", "")
		claimSent(t, env)

		resp, body := le.get(t, "/gent/account/password", mine)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `autocomplete="new-password"`) || !strings.Contains(body, "Kies een nieuw wachtwoord") {
			t.Fatalf("form: %d", resp.StatusCode)
		}
		resp, body = le.postForm(t, "/gent/account/password", mine, url.Values{"password": {"kort"}, "password_confirm": {"kort"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "minstens 15 tekens") {
			t.Fatalf("short password: %d\n%s", resp.StatusCode, body)
		}
		const next = "wilgenroosje beukennootje zandloper"
		resp, _ = le.postForm(t, "/gent/account/password", mine, url.Values{"password": {next}, "password_confirm": {next + "x"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("mismatch: %d", resp.StatusCode)
		}
		if resp := le.post(t, "gent", "an@gent.be", loginPassword, "", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("a refused change changed the password: %d", resp.StatusCode)
		}

		resp, _ = le.postForm(t, "/gent/account/password", mine, url.Values{"password": {next}, "password_confirm": {next}})
		wantRedirect(t, "change", resp, "/gent/account/sessions?done=password")
		if resp, _ := le.get(t, "/gent/signed-in", mine); resp.StatusCode != http.StatusOK {
			t.Fatalf("this session ended: %d", resp.StatusCode)
		}
		if resp, _ := le.get(t, "/gent/signed-in", other); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the other session survived: %d", resp.StatusCode)
		}
		if resp := le.post(t, "gent", "an@gent.be", loginPassword, "", nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("old password still works: %d", resp.StatusCode)
		}
		if resp := le.post(t, "gent", "an@gent.be", next, "", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("new password refused: %d", resp.StatusCode)
		}
		if kinds := mailKinds(t, env); !slices.Contains(kinds, "account.password-changed nl an@gent.be") {
			t.Fatalf("mails: %v", kinds)
		}
		if got := auditActions(t, env, le.gent.ID); got["password.change"] != 1 {
			t.Fatalf("audit: %v", got)
		}

		// A stale proof of credentials: to the confirmation page first.
		env.Clock.Advance(StepUpMaxAge + time.Minute)
		resp, _ = le.get(t, "/gent/account/password", mine)
		wantRedirect(t, "stale", resp, "/gent/account/confirm?next="+url.QueryEscape("/gent/account/password"))
		// A new password is never echoed into the confirmation page: the
		// page says to fill the form in again instead.
		resp, _ = le.postForm(t, "/gent/account/password", mine, url.Values{"password": {next + "!"}, "password_confirm": {next + "!"}})
		wantRedirect(t, "stale post", resp, "/gent/account/confirm?next="+url.QueryEscape("/gent/account/password")+"&retype=1")
		if _, body := le.get(t, resp.Header.Get("Location"), mine); !strings.Contains(body, "vul het formulier opnieuw in") ||
			strings.Contains(body, next+"!") {
			t.Fatalf("confirmation page of a post not carried:\n%s", body)
		}
	})
}
