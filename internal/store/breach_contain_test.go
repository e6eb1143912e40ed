package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/webhook"
)

func measureText(t tenant.Tenant, m store.Measure) string {
	return fmt.Sprintf("%s: %s %q beëindigd (%d sessies)", m.At.UTC().Format(time.RFC3339), m.Kind, m.Label, m.Ended)
}

// TestClauseBRE2_ContainmentEndsAndRecordsTheMeasure: from a breach an
// admin revokes an API key, ends a supplier's grant, ends a user's sessions
// and disables a webhook. Each ends with its own audit event, and each is
// on the breach as the next version's measures — the annex's "measures
// taken" field, versioned with its SHA-256 and sent to the controller. A
// key, grant, user or hook of another tenant is not found and nothing is
// saved (tenant isolation); what already ended is refused.
func TestClauseBRE2_ContainmentEndsAndRecordsTheMeasure(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent, brugge := newTenant(t, env, "gent"), newTenant(t, env, "brugge")
		h := fastHasher()
		admin := activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, h)
		clerkUser := activeUser(t, env, gent, "marker-clerk-b2@gent.be", account.RoleUser, h)
		bruggeUser := activeUser(t, env, brugge, "an@brugge.be", account.RoleUser, h)
		for _, u := range []struct {
			tn    tenant.Tenant
			email string
		}{{gent, "admin@gent.be"}, {gent, "marker-clerk-b2@gent.be"}, {gent, "marker-clerk-b2@gent.be"}, {brugge, "an@brugge.be"}} {
			if _, _, err := login(env, u.tn.ID, u.email, goodPassword, h); err != nil {
				t.Fatal(err)
			}
		}
		for _, tn := range []tenant.Tenant{gent, brugge} {
			publishDemo(t, env, tn.ID, form.DemoForms()[0])
		}
		key, _ := newKey(t, env, gent.ID, store.NewAPIKey{Name: "Koppeling zaaksysteem", Scopes: []string{store.ScopeSubmissionsRead}, Forms: []string{form.DemoForms()[0].Key}})
		bruggeKey, _ := newKey(t, env, brugge.ID, store.NewAPIKey{Name: "Brugse sleutel", Scopes: []string{store.ScopeSubmissionsRead}, Forms: []string{form.DemoForms()[0].Key}})
		var hooks []store.Webhook
		for _, tn := range []tenant.Tenant{gent, brugge} {
			if _, err := env.DB.SaveRegister(ctx, clerk("admin"), tn.ID, hookRegister()); err != nil {
				t.Fatal(err)
			}
			w, _, err := env.DB.CreateWebhook(ctx, clerk("admin"), tn.ID, store.NewWebhook{URL: "https://zaken.demo.example/in",
				Events: []string{webhook.EventSubmissionCreated}})
			if err != nil {
				t.Fatal(err)
			}
			hooks = append(hooks, w)
		}
		cli := audit.Actor{Kind: audit.KindOperator, ID: "cli:root"}
		realm, err := env.DB.OperatorRealm(ctx, cli)
		if err != nil {
			t.Fatal(err)
		}
		_, tok, err := env.DB.InviteUser(ctx, cli, realm.ID, account.Invite{Email: "marker-op-b2@lev.be", Name: "Op", Role: account.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.ActivateUser(ctx, realm.ID, tok.Plain, "x", "r"); err != nil {
			t.Fatal(err)
		}
		var grants []store.OperatorGrant
		for _, tn := range []tenant.Tenant{gent, brugge} {
			g, err := env.DB.GrantOperatorAccess(ctx, clerk("admin"), tn.ID, store.GrantInput{Email: "marker-op-b2@lev.be", Reason: "support", Duration: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			grants = append(grants, g)
		}
		b, err := env.DB.OpenBreach(ctx, operator, gent.ID, breach.Report{Description: "Sleutel gelekt in een publieke repository",
			DiscoveredAt: env.Clock.Now().Add(-time.Hour), Measures: "Sleutel uit de repository verwijderd."}, breachMail)
		if err != nil {
			t.Fatal(err)
		}
		claimAll(t, env)
		me := audit.Actor{Kind: audit.KindUser, ID: admin.ID, Role: "admin", RequestID: "req-contain"}

		// What can be ended: the tenant's own, never another's.
		targets, err := env.DB.ContainTargets(ctx, me, gent.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, c := range targets {
			got[c.Kind+" "+c.ID] = c.Label
		}
		want := map[string]string{store.ContainAPIKey + " " + key.ID: "Koppeling zaaksysteem", store.ContainGrant + " " + grants[0].ID: "marker-op-b2@lev.be",
			store.ContainSessions + " " + clerkUser.ID: clerkUser.Name, store.ContainWebhook + " " + hooks[0].ID: "https://zaken.demo.example"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("targets %v, want %v", got, want)
		}

		// Supplier staff are offered only the supplier's own access.
		if ot, err := env.DB.ContainTargets(ctx, operator, gent.ID); err != nil || len(ot) != 1 || ot[0].Kind != store.ContainGrant || ot[0].ID != grants[0].ID {
			t.Fatalf("operator's targets %+v %v", ot, err)
		}
		for _, kind := range []string{store.ContainAPIKey, store.ContainSessions, store.ContainWebhook} {
			if _, _, err := env.DB.ContainBreach(ctx, operator, gent.ID, b.ID, kind, key.ID, measureText, breachMail); err == nil || errors.Is(err, store.ErrNotFound) {
				t.Fatalf("an operator ends a %s: %v", kind, err)
			}
		}
		// One's own sessions are not ended from here.
		if _, _, err := env.DB.ContainBreach(ctx, me, gent.ID, b.ID, store.ContainSessions, admin.ID, measureText, breachMail); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("own sessions: %v", err)
		}
		// Another tenant's thing: not found, nothing ended, no version.
		for _, c := range []struct{ kind, id string }{{store.ContainAPIKey, bruggeKey.ID}, {store.ContainGrant, grants[1].ID},
			{store.ContainSessions, bruggeUser.ID}, {store.ContainWebhook, hooks[1].ID}, {"printer", key.ID}} {
			if _, _, err := env.DB.ContainBreach(ctx, me, gent.ID, b.ID, c.kind, c.id, measureText, breachMail); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("%s of brugge: %v", c.kind, err)
			}
		}
		// Nor from another tenant's breach page.
		if _, _, err := env.DB.ContainBreach(ctx, me, brugge.ID, b.ID, store.ContainAPIKey, bruggeKey.ID, measureText, breachMail); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("gent's breach under brugge: %v", err)
		}
		if n := auditCount(t, env, brugge.ID, "api_key.revoke", "") + auditCount(t, env, brugge.ID, "operator.revoke", "") +
			auditCount(t, env, brugge.ID, "session.revoke_all", "") + auditCount(t, env, brugge.ID, "webhook.disable", ""); n != 0 {
			t.Fatalf("%d of brugge's things ended", n)
		}
		if bt, _ := env.DB.ContainTargets(ctx, me, brugge.ID); len(bt) != 4 {
			t.Fatalf("brugge has %d things left to end, want 4", len(bt))
		}

		steps := []struct{ kind, id, action, label string }{
			{store.ContainAPIKey, key.ID, "api_key.revoke", "Koppeling zaaksysteem"},
			{store.ContainGrant, grants[0].ID, "operator.revoke", "marker-op-b2@lev.be"},
			{store.ContainSessions, clerkUser.ID, "session.revoke_all", clerkUser.Name},
			{store.ContainWebhook, hooks[0].ID, "webhook.disable", "https://zaken.demo.example"},
		}
		version := 1
		for _, s := range steps {
			version++
			nb, m, err := env.DB.ContainBreach(ctx, me, gent.ID, b.ID, s.kind, s.id, measureText, breachMail)
			if err != nil {
				t.Fatalf("%s: %v", s.kind, err)
			}
			if m.Label != s.label || nb.Version != version || !strings.Contains(nb.Report.Measures, measureText(gent, m)) {
				t.Fatalf("%s: measure %+v, version %d, measures %q", s.kind, m, nb.Version, nb.Report.Measures)
			}
			if s.kind == store.ContainSessions && m.Ended != 2 {
				t.Fatalf("%d sessions ended, want 2", m.Ended)
			}
			if n := auditCount(t, env, gent.ID, s.action, ""); n != 1 {
				t.Fatalf("%s: %d events", s.action, n)
			}
			// Twice: refused, nothing saved.
			if _, _, err := env.DB.ContainBreach(ctx, me, gent.ID, b.ID, s.kind, s.id, measureText, breachMail); s.kind != store.ContainSessions &&
				!errors.Is(err, store.ErrAlreadyEnded) {
				t.Fatalf("%s twice: %v", s.kind, err)
			} else if s.kind == store.ContainSessions {
				// Ending no sessions is still a measure (the user may have
				// signed in again in between): it saves its version.
				if err != nil {
					t.Fatal(err)
				}
				version++
			}
		}
		if n := auditCount(t, env, gent.ID, "breach.contain", ""); n != 5 {
			t.Fatalf("%d breach.contain events, want 5", n)
		}
		full, err := env.DB.BreachByID(ctx, me, gent.ID, b.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		if full.Version != 6 || len(full.Versions) != 6 {
			t.Fatalf("version %d with %d versions, want 6", full.Version, len(full.Versions))
		}
		lines := strings.Split(full.Report.Measures, "\n")
		if len(lines) != 6 || lines[0] != "Sleutel uit de repository verwijderd." || !strings.Contains(lines[1], `api_key "Koppeling zaaksysteem"`) ||
			!strings.Contains(lines[5], `webhook "https://zaken.demo.example"`) {
			t.Fatalf("measures %q", full.Report.Measures)
		}
		sent := 0
		for _, v := range full.Versions[1:] {
			if v.NotifiedAt == nil || v.MailSHA256 == "" || len(v.NotifiedTo) == 0 {
				t.Fatalf("version %d not sent to the controller", v.Version)
			}
			sent += len(v.NotifiedTo)
		}
		if mails, _ := claimAll(t, env); len(mails) != sent {
			t.Fatalf("%d mails, want %d: %v", len(mails), sent, mails)
		}
		if left, _ := env.DB.ContainTargets(ctx, me, gent.ID); len(left) != 0 {
			t.Fatalf("still to end: %+v", left)
		}
		// Supplier staff do not end a controller's things from here.
		if _, _, err := env.DB.ContainBreach(ctx, operator, gent.ID, b.ID, store.ContainAPIKey, key.ID, measureText, breachMail); err == nil {
			t.Fatal("an operator contained")
		}
	})
}
