package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

var apiTokenRE = regexp.MustCompile(`value="(kluis_[0-9a-f]{32}_[0-9a-f]{64})"`)

// TestAPIKeysPage: an admin creates a key — behind the step-up — and sees
// its token on that one answer only; the list shows it without the
// secret; the DPO reads the list without the forms to change it; a clerk,
// no session and another tenant's key get nothing; revoking ends the key.
func TestAPIKeysPage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		publishForms(t, env, fe.brugge)
		page := "/gent/admin/api-keys"
		create := url.Values{"name": {"Zaaksysteem welzijn"}, "scope": {store.ScopeSubmissionsRead, store.ScopeAttachmentsRead},
			"form": {"toelage"}, "expires": {"31.12.2099"}}

		// A stale login: to the confirmation page, nothing created.
		env.Clock.Advance(StepUpMaxAge + time.Minute)
		resp, body := fe.submit(t, page, fe.admin, create)
		pendingOn(t, "stale create", resp, body)
		if keys, _ := env.DB.APIKeys(ctx, fe.gent.ID); len(keys) != 0 {
			t.Fatal("a key was created without step-up")
		}
		// A fresh login is a fresh proof.
		_, admin := fe.signIn(t, "admin2@gent.be", account.RoleAdmin)

		resp, body = fe.submit(t, page, admin, url.Values{"name": {""}, "expires": {"31.02.2099"}})
		if resp.StatusCode != 422 || !strings.Contains(body, "Vul een datum in als dd.mm.jjjj") || !strings.Contains(body, `href="#expires"`) {
			t.Fatalf("bad date: %d\n%s", resp.StatusCode, body)
		}
		resp, body = fe.submit(t, page, admin, url.Values{"name": {""}})
		for _, want := range []string{"Geef de sleutel een naam.", "Kies minstens één scope.", "Kies minstens één formulier.", `href="#scope-0"`, `href="#form-0"`} {
			if resp.StatusCode != 422 || !strings.Contains(body, want) {
				t.Errorf("empty form: %d lacks %q", resp.StatusCode, want)
			}
		}
		resp, body = fe.submit(t, page, admin, create)
		m := apiTokenRE.FindStringSubmatch(body)
		if resp.StatusCode != 200 || m == nil || !strings.Contains(body, "Zaaksysteem welzijn") {
			t.Fatalf("create: %d\n%s", resp.StatusCode, body)
		}
		token := m[1]
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Error("the token page may be cached")
		}
		k, err := env.DB.AuthenticateAPIKey(ctx, token)
		if err != nil || k.TenantID != fe.gent.ID || strings.Join(k.Forms, ",") != "toelage" || !k.Has(store.ScopeAttachmentsRead) ||
			k.Has(store.ScopeSubmissionsWrite) || k.ExpiresAt.IsZero() {
			t.Fatalf("the created key: %+v %v", k, err)
		}
		if got := auditActions(t, env, fe.gent.ID)["api_key.create"]; got != 1 {
			t.Fatalf("creations recorded: %d", got)
		}
		// Shown once: the list (for admin and DPO) never shows it again.
		for _, who := range []string{admin, fe.dpo} {
			resp, body := fe.get(t, page, who)
			if resp.StatusCode != 200 || strings.Contains(body, token[len(token)-64:]) || !strings.Contains(body, "Zaaksysteem welzijn") {
				t.Fatalf("list: %d shows the secret or lacks the key", resp.StatusCode)
			}
			if strings.Contains(body, `name="name"`) != (who == admin) {
				t.Errorf("the create form is shown to the wrong people")
			}
		}
		// Who may not.
		for name, who := range map[string]string{"clerk": fe.clerk, "no session": ""} {
			for _, target := range []string{page, page + "/" + k.ID + "/revoke"} {
				resp, _ := fe.submit(t, target, who, url.Values{"name": {"x"}, "scope": {store.ScopeSubmissionsRead}, "form": {"toelage"}})
				if want := map[string]int{"clerk": 403, "no session": 303}[name]; resp.StatusCode != want {
					t.Errorf("%s %s: %d, want %d", name, target, resp.StatusCode, want)
				}
				if resp.StatusCode == 303 && !strings.Contains(resp.Header.Get("Location"), "/gent/login") {
					t.Errorf("%s %s: to %s", name, target, resp.Header.Get("Location"))
				}
			}
		}
		if resp, _ := fe.get(t, page, fe.clerk); resp.StatusCode != 403 {
			t.Errorf("clerk reads the list: %d", resp.StatusCode)
		}
		// Another tenant's key is not revocable from here.
		bk, _, err := env.DB.CreateAPIKey(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.brugge.ID,
			store.NewAPIKey{Name: "brugge", Scopes: []string{store.ScopeSubmissionsRead}, Forms: []string{"toelage"}})
		if err != nil {
			t.Fatal(err)
		}
		if resp, _ := fe.submit(t, page+"/"+bk.ID+"/revoke", admin, url.Values{"x": {"1"}}); resp.StatusCode != 404 {
			t.Errorf("another tenant's key: %d", resp.StatusCode)
		}
		if keys, _ := env.DB.APIKeys(ctx, fe.gent.ID); len(keys) != 1 || !keys[0].RevokedAt.IsZero() {
			t.Fatal("a refused request changed the keys")
		}

		// Revoke: behind the step-up too.
		env.Clock.Advance(StepUpMaxAge + time.Minute)
		resp, body = fe.submit(t, page+"/"+k.ID+"/revoke", admin, url.Values{"x": {"1"}})
		pendingOn(t, "stale revoke", resp, body)
		_, admin = fe.signIn(t, "admin3@gent.be", account.RoleAdmin)
		resp, _ = fe.submit(t, page+"/"+k.ID+"/revoke", admin, url.Values{"x": {"1"}})
		wantRedirect(t, "revoke", resp, page+"?done=revoked")
		if _, err := env.DB.AuthenticateAPIKey(ctx, token); err == nil {
			t.Fatal("a revoked key still works")
		}
		if _, body := fe.get(t, page+"?done=revoked", admin); !strings.Contains(body, "De sleutel is ingetrokken") || !strings.Contains(body, "Ingetrokken") {
			t.Error("the page does not show the revocation")
		}
		if resp, _ := fe.submit(t, page+"/"+k.ID+"/revoke", admin, url.Values{"x": {"1"}}); resp.StatusCode != 404 {
			t.Errorf("revoke twice: %d", resp.StatusCode)
		}
	})
}
