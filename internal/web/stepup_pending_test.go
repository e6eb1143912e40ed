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
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// pendingOn is the pending action the confirmation page carries; it fails
// the test when the page is not the confirmation page with one.
func pendingOn(t *testing.T, what string, resp *http.Response, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="then" value="([^"]+)"`).FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(body, `action="/gent/account/confirm"`) {
		t.Fatalf("%s: %d, want the confirmation page with the pending action\n%s", what, resp.StatusCode, body)
	}
	return m[1]
}

// totpAdmin signs a new admin of gent in past the second factor; it returns
// the Cookie header and a function giving a fresh TOTP code (the clock moves
// on by a period, since a code is accepted once).
func totpAdmin(t *testing.T, fe *formsEnv, email string) (string, func() string) {
	t.Helper()
	u := fe.addRoleUser(t, fe.gent, email, account.RoleAdmin)
	cookie, _ := fe.login(t, email, "")
	secret, _ := enrolTOTP(t, fe.env, fe.gent.ID, u.ID)
	tok, err := fe.env.DB.MarkSessionMFA(context.Background(), fe.gent.ID, strings.TrimPrefix(cookie["Cookie"], sessionCookie+"="))
	if err != nil {
		t.Fatal(err)
	}
	return sessionCookie + "=" + string(tok), func() string {
		fe.env.Clock.Advance(30 * time.Second)
		return mfa.CodeAt(secret, fe.env.Clock.Now())
	}
}

// approvedDraft builds gent's publishable form "vraag" and approves its
// notice: what is left is publishing it.
func (fe *formsEnv) approvedDraft(t *testing.T) {
	t.Helper()
	page := fe.buildPublishable(t)
	fe.post(t, "/gent/admin/forms/vraag/notice", url.Values{"version": {"1"}, "digest": {digestOn(t, page)}}, http.StatusSeeOther)
}

// TestClauseUSR6_PublishSurvivesStepUp: an admin whose last proof is older
// than StepUpMaxAge presses "publish": the confirmation page comes first
// (nothing published), and once the password is confirmed the form IS
// published and the admin sees the success message. Withdrawing the same
// way withdraws. Before, the confirmation led back to the form's page,
// unpublished and without a word (ASVS 5.0 7.5.3, DSR-3).
func TestClauseUSR6_PublishSurvivesStepUp(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		fe.approvedDraft(t)
		admin, code := totpAdmin(t, fe, "admin2@gent.be")
		env.Clock.Advance(StepUpMaxAge + 1)

		resp, body := fe.submit(t, "/gent/admin/forms/vraag/publish", admin, url.Values{"version": {"1"}})
		then := pendingOn(t, "stale publish", resp, body)
		if _, err := env.DB.FormByStatus(ctx, fe.gent.ID, "vraag", store.FormPublished); err == nil {
			t.Fatal("published before the step-up")
		}
		resp, _ = fe.submit(t, "/gent/account/confirm", admin, url.Values{"next": {"/gent/admin/forms/vraag"},
			"then": {then}, "password": {loginPassword}, "code": {code()}})
		wantRedirect(t, "confirm", resp, "/gent/admin/forms/vraag?done=published")
		if _, err := env.DB.FormByStatus(ctx, fe.gent.ID, "vraag", store.FormPublished); err != nil {
			t.Fatalf("not published after the step-up: %v", err)
		}
		_, body = fe.get(t, "/gent/admin/forms/vraag?done=published", admin)
		if !strings.Contains(body, "Het formulier is gepubliceerd.") {
			t.Fatalf("no success message:\n%s", body)
		}

		env.Clock.Advance(StepUpMaxAge + 1)
		resp, body = fe.submit(t, "/gent/admin/forms/vraag/withdraw", admin, nil)
		then = pendingOn(t, "stale withdraw", resp, body)
		resp, _ = fe.submit(t, "/gent/account/confirm", admin, url.Values{"next": {"/gent/admin/forms/vraag"},
			"then": {then}, "password": {loginPassword}, "code": {code()}})
		wantRedirect(t, "confirm withdraw", resp, "/gent/admin/forms/vraag?done=withdrawn")
		if _, err := env.DB.FormByStatus(ctx, fe.gent.ID, "vraag", store.FormPublished); err == nil {
			t.Fatal("still published after the withdrawal")
		}
	})
}

// TestClauseUSR6_PendingActionIsBound: a pending action is carried out only
// for the session that posted it, unaltered and within pendingMaxAge;
// otherwise the confirmation succeeds but the page says clearly that the
// action was not carried out (409), and nothing happens.
func TestClauseUSR6_PendingActionIsBound(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		fe.approvedDraft(t)
		admin, code := totpAdmin(t, fe, "admin2@gent.be")
		other, otherCode := totpAdmin(t, fe, "admin3@gent.be")
		env.Clock.Advance(StepUpMaxAge + 1)
		resp, body := fe.submit(t, "/gent/admin/forms/vraag/publish", admin, url.Values{"version": {"1"}})
		then := pendingOn(t, "stale publish", resp, body)

		cases := []struct {
			name, cookie, then string
			code               func() string
			advance            bool
		}{
			{"another session", other, then, otherCode, false},
			{"altered", admin, "x" + then, code, false},
			{"expired", admin, then, code, true},
		}
		for _, c := range cases {
			if c.advance {
				env.Clock.Advance(pendingMaxAge + 1)
			}
			resp, body := fe.submit(t, "/gent/account/confirm", c.cookie, url.Values{"next": {"/gent/admin/forms/vraag"},
				"then": {c.then}, "password": {loginPassword}, "code": {c.code()}})
			if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Ga terug naar de pagina en druk opnieuw op de knop.") {
				t.Fatalf("%s: %d\n%s", c.name, resp.StatusCode, body)
			}
			if _, err := env.DB.FormByStatus(ctx, fe.gent.ID, "vraag", store.FormPublished); err == nil {
				t.Fatalf("%s: published", c.name)
			}
		}
	})
}

// TestClauseUSR6_APIKeyCreateSurvivesStepUp: another sensitive action
// through the same path — an API key made after the confirmation, with
// every posted field (several scopes) as posted, its one-time token shown
// on the confirmation's answer.
func TestClauseUSR6_APIKeyCreateSurvivesStepUp(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		admin, code := totpAdmin(t, fe, "admin2@gent.be")
		env.Clock.Advance(StepUpMaxAge + 1)
		resp, body := fe.submit(t, "/gent/admin/api-keys", admin, url.Values{"name": {"Zaaksysteem"},
			"scope": {store.ScopeSubmissionsRead, store.ScopeAttachmentsRead}, "form": {"toelage"}, "expires": {"31.12.2099"}})
		then := pendingOn(t, "stale create", resp, body)
		resp, body = fe.submit(t, "/gent/account/confirm", admin, url.Values{"next": {"/gent/admin/api-keys"},
			"then": {then}, "password": {loginPassword}, "code": {code()}})
		m := apiTokenRE.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("confirm: %d\n%s", resp.StatusCode, body)
		}
		k, err := env.DB.AuthenticateAPIKey(ctx, m[1])
		if err != nil || k.Name != "Zaaksysteem" || !k.Has(store.ScopeSubmissionsRead) || !k.Has(store.ScopeAttachmentsRead) {
			t.Fatalf("key: %+v %v", k, err)
		}
	})
}
