package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/password"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// TestClauseUSR1_AdminInvitesUsersWithoutSupplier: a tenant admin invites a
// colleague on the users page; the invitation mail is queued, the admin
// never sees the link; bad input is named field by field; a user without
// the permission is refused and the refusal is in the audit log.
func TestClauseUSR1_AdminInvitesUsersWithoutSupplier(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		fast := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)
		tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: "gent", LegalName: "Stad Gent", EnterpriseNumber: "0207451227", DPOName: "D", DPOEmail: "dpo@gent.be"})
		if err != nil {
			t.Fatal(err)
		}
		const pw = "paardenbloem kastanjeboom vijver"
		session := func(email string, role account.Role) string {
			_, tok, err := env.DB.InviteUser(ctx, op, tn.ID, account.Invite{Email: email, Name: "Name " + string(role), Role: role})
			if err != nil {
				t.Fatal(err)
			}
			hash, _ := fast.Hash(ctx, pw)
			if _, err := env.DB.ActivateUser(ctx, tn.ID, tok.Plain, hash, "r"); err != nil {
				t.Fatal(err)
			}
			u, st, err := env.DB.Login(ctx, tn.ID, email, pw, fast, account.DefaultLockout, "r")
			if err != nil {
				t.Fatal(err)
			}
			if role.RequiresMFA(false) {
				st = store.SessionToken(verifiedMFA(t, env, tn.ID, u.ID, string(st))) // USR-2: admins reach admin pages only so
			}
			return sessionCookie + "=" + string(st)
		}
		admin, clerk := session("admin@gent.be", account.RoleAdmin), session("clerk@gent.be", account.RoleUser)
		a, _ := newTestApp(t, Options{Store: env.DB, Hasher: fast, BaseURL: "https://loket.gent.be"})
		post := func(cookie string, form url.Values) (*http.Response, string) {
			resp := request{method: http.MethodPost, target: "/gent/admin/users", body: form.Encode(),
				header: map[string]string{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}}.do(t, a.Handler())
			return resp, bodyOf(t, resp)
		}
		invite := url.Values{"email": {"els@gent.be"}, "name": {"Els Claes"}, "role": {"dpo"}, "lang": {"fr"}}

		resp, body := post(admin, url.Values{"email": {"nope"}, "name": {""}, "role": {"boss"}, "lang": {"nl"}})
		if resp.StatusCode != 422 || !strings.Contains(body, "Vul een geldig e-mailadres in") || !strings.Contains(body, "Vul de naam in") ||
			!strings.Contains(body, "Kies een rol") || !strings.Contains(body, `value="nope"`) || !strings.Contains(body, "<title>Fout:") {
			t.Fatalf("bad input: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = post(admin, invite)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("invite: %d", resp.StatusCode)
		}
		page := request{target: resp.Header.Get("Location"), header: map[string]string{"Cookie": admin}}.do(t, a.Handler())
		body = bodyOf(t, page)
		if !strings.Contains(body, "Els Claes is uitgenodigd") || !strings.Contains(body, "els@gent.be") || strings.Contains(body, "/activate/") {
			t.Fatalf("after invite:\n%s", body)
		}
		var mails int
		env.Raw(t).QueryRow(`SELECT count(*) FROM mail_outbox WHERE kind = 'account.invite' AND lang = 'fr'`).Scan(&mails)
		if mails != 1 {
			t.Fatalf("invitation mails queued: %d", mails)
		}
		if resp, body := post(admin, invite); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Er is al een gebruiker") {
			t.Fatalf("duplicate: %d", resp.StatusCode)
		}
		if resp, _ := post(clerk, invite); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("clerk invited: %d", resp.StatusCode)
		}
		var denied int
		env.DB.EachAuditEvent(ctx, tn.ID, func(e *audit.Event) error {
			if e.Action == "access.denied" && e.Outcome == audit.OutcomeDenied && e.ObjectID == string(account.ManageUsers) {
				denied++
			}
			return nil
		})
		if denied != 1 {
			t.Fatalf("denied access events: %d", denied)
		}
	})
}
