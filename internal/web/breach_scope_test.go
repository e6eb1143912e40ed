package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseBRE1_ScopeOnTheBreachPage: on a breach's page the admin picks
// a window and an API key; Kluis shows what the key touched (3 submissions
// of 2 citizens, counted from the log) and, applied, saves a new version
// with "at least 2 and at most 2". An end before a start, an unknown
// actor and a missing id are refused field by field, linked from the
// summary, nothing saved. A draft Kluis opened on its own says why on the
// list, in nl, fr and en, and on the operators' list.
func TestClauseBRE1_ScopeOnTheBreachPage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{BaseURL: "https://loket.example.be", LoginRateLimit: 1000})
		me, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		from := env.Clock.Now()
		key := audit.Actor{Kind: audit.KindAPIKey, ID: "key-zaak", Role: "api_key"}
		for i, subject := range []string{"burger1@example.be", "burger2@example.be", "burger1@example.be"} {
			s, err := env.DB.CreateSubmission(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, le.gent.ID,
				store.NewSubmission{FormKey: "vraag", Subject: subject, Data: []byte(fmt.Sprintf(`{"n":%d}`, i))})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := env.DB.Submission(ctx, key, le.gent.ID, s.ID, "api"); err != nil {
				t.Fatal(err)
			}
		}
		env.Clock.Advance(10 * time.Minute)
		b, err := env.DB.OpenBreach(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op", Role: "operator"}, le.gent.ID,
			breach.Report{Description: "Sleutel van het zaaksysteem gelekt", DiscoveredAt: env.Clock.Now()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		page := "/gent/admin/breaches/" + b.ID + "/scope"
		ck := map[string]string{"Cookie": admin}
		if resp, body := le.get(t, "/gent/admin/breaches/"+b.ID, ck); resp.StatusCode != http.StatusOK || !strings.Contains(body, `href="`+page+`"`) {
			t.Fatalf("the breach page does not link the scope: %d", resp.StatusCode)
		}
		resp, body := le.get(t, page, ck)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Omvang uit het logboek") || !strings.Contains(body, `id="scope_actor-apikey"`) ||
			!strings.Contains(body, `<option value="`+me.ID+`" label="Gebruiker: `) {
			t.Fatalf("scope form: %d", resp.StatusCode)
		}

		// Bad input: refused field by field, nothing saved.
		resp, body = le.submit(t, page, admin, url.Values{"scope_from": {datetime(env.Clock.Now())}, "scope_until": {datetime(from)},
			"scope_actor": {"robot"}, "scope_actor_id": {""}})
		for _, want := range []string{`href="#scope_until">Het einde ligt vóór het begin.`, `href="#scope_actor-user">Kies wie het was.`,
			`href="#scope_actor_id">Vul de identificatie in`, `aria-invalid="true"`} {
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, want) {
				t.Fatalf("bad question: %d, lacks %q", resp.StatusCode, want)
			}
		}
		resp, body = le.submit(t, page+"?lang=fr", admin, url.Values{"scope_from": {"gisteren"}, "scope_until": {datetime(from)},
			"scope_actor": {"apikey"}, "scope_actor_id": {"key-zaak"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#scope_from">Indiquez une date et une heure`) {
			t.Fatalf("unreadable date: %d", resp.StatusCode)
		}

		q := url.Values{"scope_from": {datetime(from)}, "scope_until": {datetime(env.Clock.Now())}, "scope_actor": {"apikey"}, "scope_actor_id": {"key-zaak"}}
		resp, body = le.submit(t, page, admin, q)
		for _, want := range []string{"<dt>Inzendingen geraakt</dt><dd>3</dd>", "<dt>Verschillende burgers</dt><dd>2</dd>", "2 – 2", "Toepassen op het datalek"} {
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) {
				t.Fatalf("scope: %d, lacks %q", resp.StatusCode, want)
			}
		}
		if got, _ := env.DB.BreachByID(ctx, audit.System("test"), le.gent.ID, b.ID, "test"); got.Version != 1 {
			t.Fatalf("computing saved a version: %d", got.Version)
		}
		q.Set("apply", "1")
		resp, body = le.submit(t, page, admin, q)
		wantRedirect(t, "apply "+body, resp, "/gent/admin/breaches/"+b.ID+"?done=scope")
		_, body = le.get(t, "/gent/admin/breaches/"+b.ID+"?done=scope", ck)
		for _, want := range []string{"De omvang uit het logboek is toegepast", "Meldingsformulier (versie 2)", "minstens 2 en hoogstens 2"} {
			if !strings.Contains(body, want) {
				t.Errorf("after apply the page lacks %q", want)
			}
		}

		// An automatic draft says why, in the reader's language.
		if err := env.DB.Audit(ctx, audit.Event{TenantID: le.gent.ID, Actor: audit.System("audit.verify"), Action: "audit.verify",
			ObjectType: "audit_log", ObjectID: le.gent.ID, Purpose: "integrity", Outcome: audit.OutcomeFailure}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.OpenAttemptDrafts(ctx, audit.System("breach.attempts"), le.gent.ID, from, func(breach.Attempt) string { return "Ketenbreuk" }); err != nil {
			t.Fatal(err)
		}
		_, secret := activeOperator(t, le, env, "piet@leverancier.be")
		op := operatorSignIn(t, le, env, "piet@leverancier.be", secret)
		if resp, body := le.get(t, "/operator/breaches", op); resp.StatusCode != http.StatusOK ||
			!strings.Contains(body, "Ontwerp, automatisch geopend omdat de controle van de keten van het logboek faalde.") {
			t.Fatalf("the operators' list does not show the draft's cause: %d", resp.StatusCode)
		}
		for lang, want := range map[string]string{
			"nl": "Ontwerp, automatisch geopend omdat de controle van de keten van het logboek faalde.",
			"fr": "Brouillon, ouvert automatiquement parce que la vérification de la chaîne du journal a échoué.",
			"en": "Draft, opened automatically because the verification of the audit log&#39;s chain failed.",
		} {
			resp, body := le.get(t, "/gent/admin/breaches?lang="+lang, ck)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) || strings.Count(body, "automati") != 1 {
				t.Fatalf("%s list: %d, lacks %q", lang, resp.StatusCode, want)
			}
		}
	})
}
