package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// webhookRegister is the demo register (its case system is registered
// in Belgium at https://zaken.demo.example) with a CRM in the United
// States.
func webhookRegister() register.Register {
	r := register.Demo()
	r.Recipients = append(r.Recipients, register.Recipient{Key: "us-crm", Name: register.Text{"nl": "Amerikaans CRM"}, Kind: "processor",
		Country: "US", TransferMechanism: "standard_contractual_clauses", Endpoints: []string{"https://crm.example.com"}})
	return r
}

// adminOf signs in a new admin of tn (password and second factor) and
// returns the Cookie header.
func (le *loginEnv) adminOf(t *testing.T, tn tenant.Tenant, email string) string {
	t.Helper()
	ctx := context.Background()
	_, tok, err := le.env.DB.InviteUser(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, tn.ID,
		account.Invite{Email: email, Name: "Beheerder", Role: account.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := le.hasher.Hash(ctx, loginPassword)
	if _, err := le.env.DB.ActivateUser(ctx, tn.ID, tok.Plain, hash, "r"); err != nil {
		t.Fatal(err)
	}
	u, st, err := le.env.DB.Login(ctx, tn.ID, email, loginPassword, le.hasher, account.DefaultLockout, "r")
	if err != nil {
		t.Fatal(err)
	}
	return sessionCookie + "=" + verifiedMFA(t, le.env, tn.ID, u.ID, string(st))
}

func TestClauseREG2_AdminPageRefusesUnregisteredWebhookFieldByField(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{})
		ctx := context.Background()
		if _, err := env.DB.SaveRegister(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, le.gent.ID, webhookRegister()); err != nil {
			t.Fatal(err)
		}
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		cases := []struct {
			name, lang string
			form       url.Values
			want       []string
		}{
			{"unregistered, in English", "en", url.Values{"url": {"https://evil.example/in"}, "events": {"submission.created"}},
				[]string{`href="#webhook-url">https://evil.example is not registered as a recipient or sub-processor (REG-2).`,
					`id="webhook-url-error"`, `value="https://evil.example/in"`, `aria-invalid="true"`}},
			{"not under the chosen entry, in Dutch", "nl", url.Values{"url": {"https://zaken.demo.example/in"}, "events": {"submission.created"},
				"entry": {"recipient:us-crm"}},
				[]string{`https://zaken.demo.example staat in het register niet vermeld als ontvanger of subverwerker (REG-2).`,
					`<option value="recipient:us-crm" selected>`}},
			{"outside the EEA, in French", "fr", url.Values{"url": {"https://crm.example.com/in"}, "events": {"submission.created"},
				"entry": {"recipient:us-crm"}},
				[]string{`href="#webhook-entry">Enregistré dans un pays hors de l&#39;EEE (US) : traitement uniquement dans l&#39;Espace économique européen (LOC-1).`}},
			{"plain http and no event", "en", url.Values{"url": {"http://zaken.demo.example/in"}},
				[]string{`href="#webhook-url">Enter a full https address`, `href="#webhook-events">Choose at least one event.`}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := le.submit(t, "/gent/admin/webhooks?lang="+tc.lang, admin, tc.form)
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status %d", resp.StatusCode)
				}
				for _, w := range tc.want {
					if !strings.Contains(body, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				if strings.Contains(body, "whsec_") {
					t.Fatal("a refused hook shows a secret")
				}
			})
		}
		if hs, err := env.DB.Webhooks(ctx, le.gent.ID); err != nil || len(hs) != 0 {
			t.Fatalf("refused hooks saved: %+v %v", hs, err)
		}
	})
}

func TestWebhookAdminPage_CreateShowsSecretOnceThenDisableAndDelete(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{})
		ctx := context.Background()
		if _, err := env.DB.SaveRegister(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, le.gent.ID, webhookRegister()); err != nil {
			t.Fatal(err)
		}
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		_, dpo := le.signIn(t, "dpo@gent.be", account.RoleDPO)
		_, user := le.signIn(t, "user@gent.be", account.RoleUser)
		bruggeAdmin := le.adminOf(t, le.brugge, "admin@brugge.be")
		hookForm := url.Values{"url": {"https://zaken.demo.example/kluis"}, "events": {"submission.created", "submission.updated"},
			"entry": {"recipient:case-system"}}

		// Who may not add one.
		for name, cookie := range map[string]string{"dpo": dpo, "user": user} {
			if resp, _ := le.submit(t, "/gent/admin/webhooks", cookie, hookForm); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("%s: %d", name, resp.StatusCode)
			}
		}
		for name, cookie := range map[string]string{"no session": "", "another tenant's admin": bruggeAdmin} {
			resp, _ := le.submit(t, "/gent/admin/webhooks", cookie, hookForm)
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/gent/login") {
				t.Fatalf("%s: %d %s", name, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		if hs, _ := env.DB.Webhooks(ctx, le.gent.ID); len(hs) != 0 {
			t.Fatalf("a hook was saved by someone without the right: %+v", hs)
		}

		resp, body := le.submit(t, "/gent/admin/webhooks", admin, hookForm)
		if resp.StatusCode != http.StatusCreated || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("create: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		i := strings.Index(body, `value="whsec_`)
		if i < 0 {
			t.Fatal("the secret is not shown")
		}
		secret := body[i+len(`value="`) : i+len(`value="`)+len("whsec_")+44]
		hs, _ := env.DB.Webhooks(ctx, le.gent.ID)
		if len(hs) != 1 || hs[0].EntryRef() != "recipient:case-system" || len(hs[0].Events) != 2 {
			t.Fatalf("stored: %+v", hs)
		}
		id := hs[0].ID

		// A citizen submits: the hook gets a delivery, which the list shows.
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		f := form.DemoForms()[1]
		d, err := env.DB.SaveFormDraft(ctx, op, le.gent.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ApproveNotice(ctx, op, le.gent.ID, f.Key, d.Version,
			store.NoticeDigest(form.NoticeFor(f, webhookRegister()).JSON())); err != nil {
			t.Fatal(err)
		}
		fv, err := env.DB.PublishForm(ctx, op, le.gent.ID, f.Key, d.Version)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, le.gent.ID, store.NewFormSubmission{
			FormKey: f.Key, FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: []byte(`{}`),
			Idempotency: "p1", Receipt: "r1"}); err != nil {
			t.Fatal(err)
		}

		// The list: destination, entry, status — and never the secret again.
		for name, cookie := range map[string]string{"admin": admin, "dpo": dpo} {
			resp := request{target: "/gent/admin/webhooks", header: map[string]string{"Cookie": cookie}}.do(t, le.app.Handler())
			body := bodyOf(t, resp)
			if resp.StatusCode != 200 || !strings.Contains(body, "https://zaken.demo.example/kluis") ||
				!strings.Contains(body, "Ontvanger: Het zaaksysteem van Gemeente Demo (BE)") || !strings.Contains(body, "actief") ||
				!strings.Contains(body, "Recente meldingen") || !strings.Contains(body, "Nieuwe aanvraag</td>") || !strings.Contains(body, ">wacht") {
				t.Fatalf("%s's list: %d", name, resp.StatusCode)
			}
			if strings.Contains(body, secret) || strings.Contains(body, "whsec_") {
				t.Fatalf("%s's list shows the secret", name)
			}
			if hasForm := strings.Contains(body, `action="/gent/admin/webhooks/`+id+`/disable"`); hasForm != (name == "admin") {
				t.Fatalf("%s sees the disable form: %v", name, hasForm)
			}
		}
		if resp := (request{target: "/gent/admin/webhooks", header: map[string]string{"Cookie": user}}.do(t, le.app.Handler())); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("user's list: %d", resp.StatusCode)
		}

		// Another tenant's admin cannot reach it through their own tenant.
		resp, _ = le.submit(t, "/brugge/admin/webhooks/"+id+"/disable", bruggeAdmin, url.Values{"x": {"1"}})
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("brugge disables gent's hook: %d", resp.StatusCode)
		}
		if resp, _ := le.submit(t, "/gent/admin/webhooks/"+id+"/disable", dpo, url.Values{"x": {"1"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("dpo disables: %d", resp.StatusCode)
		}
		if hs, _ := env.DB.Webhooks(ctx, le.gent.ID); hs[0].Status != store.WebhookActive {
			t.Fatal("the hook was disabled by someone without the right")
		}

		resp, _ = le.submit(t, "/gent/admin/webhooks/"+id+"/disable", admin, url.Values{"x": {"1"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/admin/webhooks?done=disabled" {
			t.Fatalf("disable: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if hs, _ := env.DB.Webhooks(ctx, le.gent.ID); hs[0].Status != store.WebhookDisabled {
			t.Fatalf("after disable: %s", hs[0].Status)
		}
		resp, _ = le.submit(t, "/gent/admin/webhooks/"+id+"/delete", admin, url.Values{"x": {"1"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/admin/webhooks?done=deleted" {
			t.Fatalf("delete: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if hs, _ := env.DB.Webhooks(ctx, le.gent.ID); len(hs) != 0 {
			t.Fatalf("after delete: %+v", hs)
		}
		if resp, _ := le.submit(t, "/gent/admin/webhooks/"+id+"/delete", admin, url.Values{"x": {"1"}}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("delete again: %d", resp.StatusCode)
		}
	})
}
