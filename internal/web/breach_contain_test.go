package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/pdftest"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseBRE2_ContainFromTheBreachPage: on a breach's page an admin
// revokes the API key the breach is about: a confirmation page first
// (nothing ended), then the key is revoked, the measure is on the breach's
// next version in the tenant's language — on the page, in the annex PDF —
// and the controller's admins and DPO get the update. The DPO sees no
// actions and may not post one; another tenant's key is not found and stays
// active; a stale login goes to the step-up first.
func TestClauseBRE2_ContainFromTheBreachPage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		publishForms(t, env, fe.brugge)
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		newKey := func(tenantID, name string) store.APIKey {
			k, _, err := env.DB.CreateAPIKey(ctx, op, tenantID, store.NewAPIKey{Name: name, Scopes: []string{store.ScopeSubmissionsRead},
				Forms: []string{"toelage"}})
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
		key, bruggeKey := newKey(fe.gent.ID, "Zaaksysteem welzijn"), newKey(fe.brugge.ID, "Brugse koppeling")
		b, err := env.DB.OpenBreach(ctx, op, fe.gent.ID, breach.Report{Description: "API-sleutel gelekt in een publieke repository",
			DiscoveredAt: env.Clock.Now().Add(-time.Hour)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		page := "/gent/admin/breaches/" + b.ID
		contain := page + "/contain"
		if _, err := env.DB.ClaimMail(ctx, 100); err != nil {
			t.Fatal(err)
		}

		_, body := fe.get(t, page, fe.admin)
		for _, want := range []string{`<h2 id="contain">Verdere schade beperken</h2>`, `<label for="contain-api_key">API-sleutel intrekken</label>`,
			`>Zaaksysteem welzijn</option>`, `Er zijn geen actieve webhooks.`} {
			if !strings.Contains(body, want) {
				t.Errorf("admin's page lacks %q", want)
			}
		}
		if strings.Contains(body, "Brugse koppeling") {
			t.Error("another tenant's key is offered")
		}
		if _, body := fe.get(t, page, fe.dpo); strings.Contains(body, `id="contain"`) {
			t.Error("the DPO is offered actions")
		}
		ask := url.Values{"kind": {store.ContainAPIKey}, "target": {key.ID}}
		if resp, _ := fe.submit(t, contain, fe.dpo, ask); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("DPO: %d", resp.StatusCode)
		}
		// Confirmation first: nothing ended yet.
		resp, body := fe.submit(t, contain, fe.admin, ask)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "U trekt de API-sleutel “Zaaksysteem welzijn” in.") ||
			!strings.Contains(body, `name="confirm" value="1"`) {
			t.Fatalf("confirmation: %d\n%s", resp.StatusCode, body)
		}
		// Another tenant's key: not found, still active.
		for _, v := range []url.Values{{"kind": {store.ContainAPIKey}, "target": {bruggeKey.ID}, "confirm": {"1"}},
			{"kind": {store.ContainWebhook}, "target": {key.ID}, "confirm": {"1"}}} {
			if resp, _ := fe.submit(t, contain, fe.admin, v); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("%v: %d, want 404", v, resp.StatusCode)
			}
		}
		if resp, _ := fe.submit(t, "/gent/admin/breaches/nope/contain", fe.admin, ask); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("unknown breach: %d", resp.StatusCode)
		}
		if keys, _ := env.DB.APIKeys(ctx, fe.gent.ID); !keys[0].RevokedAt.IsZero() {
			t.Fatal("revoked before the confirmation")
		}
		if keys, _ := env.DB.APIKeys(ctx, fe.brugge.ID); !keys[0].RevokedAt.IsZero() {
			t.Fatal("brugge's key revoked")
		}

		ask.Set("confirm", "1")
		resp, _ = fe.submit(t, contain, fe.admin, ask)
		wantRedirect(t, "contain", resp, page+"?done=contain")
		if keys, _ := env.DB.APIKeys(ctx, fe.gent.ID); keys[0].RevokedAt.IsZero() {
			t.Fatal("the key is still active")
		}
		measure := "API-sleutel “Zaaksysteem welzijn” ingetrokken door Naam admin@gent.be om verdere schade te voorkomen."
		for _, lang := range []string{"nl", "fr"} {
			_, body = fe.get(t, page+"?done=contain&lang="+lang, fe.admin)
			// The measure stays in the tenant's language, whoever reads it.
			if !strings.Contains(body, measure) || lang == "nl" && !strings.Contains(body, "Meldingsformulier (versie 2)") {
				t.Errorf("%s: the page lacks the measure or version 2", lang)
			}
		}
		if !strings.Contains(body, "La mesure a été exécutée") {
			t.Error("no French confirmation")
		}
		resp, pdf := fe.get(t, page+"/pdf", fe.admin)
		if text := strings.Join(pdftest.Text(t, []byte(pdf)), " "); resp.StatusCode != 200 || !strings.Contains(strings.Join(strings.Fields(text), " "), "Zaaksysteem welzijn") {
			t.Errorf("the PDF lacks the measure: %d", resp.StatusCode)
		}
		ms, _ := env.DB.ClaimMail(ctx, 100)
		var to []string
		for _, m := range ms {
			if m.Kind == "breach.notify" {
				to = append(to, m.To)
			}
		}
		if len(to) == 0 {
			t.Fatal("the controller was not told")
		}
		acts := auditActions(t, env, fe.gent.ID)
		if acts["api_key.revoke"] != 1 || acts["breach.contain"] != 1 || acts["breach.notify"] != 1 {
			t.Fatalf("audit %v", acts)
		}
		// Twice: no longer offered, not found.
		if resp, _ := fe.submit(t, contain, fe.admin, ask); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("again: %d", resp.StatusCode)
		}
		// A stale login: the step-up first, nothing ended.
		key2 := newKey(fe.gent.ID, "Tweede sleutel")
		env.Clock.Advance(StepUpMaxAge + time.Minute)
		resp, body = fe.submit(t, contain, fe.admin, url.Values{"kind": {store.ContainAPIKey}, "target": {key2.ID}, "confirm": {"1"}})
		pendingOn(t, "stale contain", resp, body)
		keys, _ := env.DB.APIKeys(ctx, fe.gent.ID)
		for _, k := range keys {
			if k.ID == key2.ID && !k.RevokedAt.IsZero() {
				t.Fatal("revoked without step-up")
			}
		}
	})
}

// TestClauseBRE2_SupplierEndsItsOwnAccess: supplier staff, on the
// operators' realm, end the supplier's access grant to the controller from
// the breach they opened — confirmed, recorded as the breach's next version
// with the measure, sent to the controller — and are offered nothing else:
// the controller's keys are not theirs to end (404, nothing ends).
func TestClauseBRE2_SupplierEndsItsOwnAccess(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		op, secret := activeOperator(t, fe.loginEnv, env, "piet@leverancier.be")
		h := operatorSignIn(t, fe.loginEnv, env, "piet@leverancier.be", secret)
		g, err := env.DB.GrantOperatorAccess(ctx, audit.Actor{Kind: audit.KindUser, ID: "admin"}, fe.gent.ID,
			store.GrantInput{Email: "piet@leverancier.be", Reason: "support", Duration: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		key, _, err := env.DB.CreateAPIKey(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.gent.ID,
			store.NewAPIKey{Name: "Zaaksysteem", Scopes: []string{store.ScopeSubmissionsRead}, Forms: []string{"toelage"}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := env.DB.OpenBreach(ctx, audit.Actor{Kind: audit.KindOperator, ID: op.ID}, fe.gent.ID, breach.Report{
			Description: "Laptop van een medewerker gestolen", DiscoveredAt: env.Clock.Now().Add(-time.Hour)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		page := "/operator/breaches/gent/" + b.ID
		_, body := fe.get(t, page, h["Cookie"])
		for _, want := range []string{`<label for="contain-grant">`, `>piet@leverancier.be</option>`, `action="` + page + `/contain"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the realm's form lacks %q", want)
			}
		}
		if strings.Contains(body, "contain-api_key") || strings.Contains(body, "Zaaksysteem") {
			t.Error("the supplier is offered the controller's key")
		}
		if resp, _ := fe.submit(t, page+"/contain", h["Cookie"], url.Values{"kind": {store.ContainAPIKey}, "target": {key.ID}, "confirm": {"1"}}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("the supplier revokes a key: %d", resp.StatusCode)
		}
		ask := url.Values{"kind": {store.ContainGrant}, "target": {g.ID}}
		resp, body := fe.submit(t, page+"/contain", h["Cookie"], ask)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "U beëindigt de toegang van piet@leverancier.be") {
			t.Fatalf("confirmation: %d", resp.StatusCode)
		}
		if _, err := env.DB.ActiveOperatorGrant(ctx, fe.gent.ID, op.ID); err != nil {
			t.Fatal("ended before the confirmation")
		}
		ask.Set("confirm", "1")
		resp, _ = fe.submit(t, page+"/contain", h["Cookie"], ask)
		wantRedirect(t, "contain", resp, "/operator/breaches?done=contain")
		if _, err := env.DB.ActiveOperatorGrant(ctx, fe.gent.ID, op.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the grant is still active: %v", err)
		}
		full, err := env.DB.BreachByID(ctx, audit.System("test"), fe.gent.ID, b.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		if full.Version != 2 || !strings.Contains(full.Report.Measures, "toegang van piet@leverancier.be (medewerker van de leverancier) beëindigd door") {
			t.Fatalf("version %d, measures %q", full.Version, full.Report.Measures)
		}
		if keys, _ := env.DB.APIKeys(ctx, fe.gent.ID); !keys[0].RevokedAt.IsZero() {
			t.Fatal("the controller's key was revoked")
		}
		if acts := auditActions(t, env, fe.gent.ID); acts["operator.revoke"] != 1 || acts["breach.contain"] != 1 {
			t.Fatalf("audit %v", acts)
		}
	})
}
