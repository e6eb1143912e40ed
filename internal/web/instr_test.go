package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/storetest"
)

// instrEnv signs in gent's admin (its cookie) and a supplier operator on
// the realm (its headers).
func instrEnv(t *testing.T, env *storetest.Env) (*loginEnv, string, map[string]string) {
	t.Helper()
	le := newLoginEnv(t, env, Options{BaseURL: "https://loket.example.be", LoginRateLimit: 1000})
	_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
	_, secret := activeOperator(t, le, env, "piet@leverancier.be")
	return le, admin, operatorSignIn(t, le, env, "piet@leverancier.be", secret)
}

// TestClauseORG1_DeclaredInTheRealmShownToTheTenant: supplier staff
// declare the DPO in the operators' realm; a bad form is refused field by
// field (422, nothing saved), a good one is shown on the controller's page
// as "verklaard door de leverancier op …", with the date.
func TestClauseORG1_DeclaredInTheRealmShownToTheTenant(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le, admin, h := instrEnv(t, env)

		resp, body := le.postForm(t, "/operator/organisation", h, url.Values{"kind": {"dpo"}, "name": {" "}, "email": {"geen-adres"},
			"date": {"31.02.2026"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad form: %d", resp.StatusCode)
		}
		for _, want := range []string{`href="#dpo-name"`, `href="#dpo-email"`, `href="#dpo-date"`, "Vul dit veld in.", "Vul een geldig e-mailadres in",
			"Deze datum kunnen we niet lezen", `aria-describedby="dpo-email-error"`} {
			if !strings.Contains(body, want) {
				t.Fatalf("refusal lacks %q", want)
			}
		}
		facts, err := env.DB.ReadOrgFacts(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "t"}, le.gent.ID)
		if err != nil || len(facts.History) != 0 {
			t.Fatalf("saved after refusal: %v %v", facts, err)
		}
		resp, body = le.postForm(t, "/operator/organisation", h, url.Values{"kind": {"dpo"}, "name": {"Bart Beschermer"},
			"email": {"dpo@leverancier.be"}, "date": {"01.09.2026"}})
		wantRedirect(t, "declare "+body, resp, "/operator/organisation?done=saved#dpo")
		_, body = le.get(t, "/gent/admin/organisation", map[string]string{"Cookie": admin})
		for _, want := range []string{"Bart Beschermer", "dpo@leverancier.be", "Aangesteld op 01.09.2026", "Verklaard door de leverancier op"} {
			if !strings.Contains(body, want) {
				t.Fatalf("tenant page lacks %q", want)
			}
		}
	})
}

// TestClauseREG3_SupplierFlagsTheControllerAnswers: the admin records an
// instruction (an empty one refused field by field first); supplier staff
// flag it from the realm, the admin and DPO are mailed at once with a
// link, the controller's page shows the flag and its reasoning; the admin
// withdraws it and the history lists every step.
func TestClauseREG3_SupplierFlagsTheControllerAnswers(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le, admin, h := instrEnv(t, env)
		resp, body := le.submit(t, "/gent/admin/instructions", admin, url.Values{"subject": {" "}, "given_at": {"99.99.2026"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("empty instruction: %d", resp.StatusCode)
		}
		for _, want := range []string{`href="#new-subject"`, `href="#new-text"`, `href="#new-author"`, `href="#new-given_at"`, "Deze datum kunnen we niet lezen"} {
			if !strings.Contains(body, want) {
				t.Fatalf("refusal lacks %q", want)
			}
		}
		resp, body = le.submit(t, "/gent/admin/instructions", admin, url.Values{"subject": {"Bewaartermijn"},
			"text": {"Bewaar alle aanvragen dertig jaar."}, "author": {"Schepen Janssens"}, "given_at": {dayText(env.Clock.Now())}})
		wantRedirect(t, "record "+body, resp, "/gent/admin/instructions?done=saved")
		list, err := env.DB.Instructions(ctx, audit.Actor{Kind: audit.KindOperator, ID: "t"}, le.gent.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("%v %v", list, err)
		}
		id := list[0].ID
		if _, err := env.DB.ClaimMail(ctx, 100); err != nil {
			t.Fatal(err)
		}
		resp, body = le.postForm(t, "/operator/instructions/gent/"+id+"/flag", h, url.Values{"reasoning": {""}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#`+id+`-reasoning"`) {
			t.Fatalf("empty flag: %d", resp.StatusCode)
		}
		resp, body = le.postForm(t, "/operator/instructions/gent/"+id+"/flag", h, url.Values{"reasoning": {"Dertig jaar is buiten verhouding."}})
		wantRedirect(t, "flag "+body, resp, "/operator/instructions?tenant=gent&done=flagged")
		ms, err := env.DB.ClaimMail(ctx, 100)
		if err != nil || len(ms) != 2 {
			t.Fatalf("flag mails %d %v", len(ms), err)
		}
		for _, m := range ms {
			if m.Kind != "duty.flag" || !strings.Contains(m.Body, "https://loket.example.be/gent/admin/instructions#"+id) {
				t.Fatalf("mail %s %q", m.Kind, m.Body)
			}
		}
		_, body = le.get(t, "/gent/admin/instructions", map[string]string{"Cookie": admin})
		for _, want := range []string{"De leverancier meent dat deze instructie de AVG schendt", "Dertig jaar is buiten verhouding.", "Bevestigen"} {
			if !strings.Contains(body, want) {
				t.Fatalf("page lacks %q", want)
			}
		}
		resp, body = le.submit(t, "/gent/admin/instructions/"+id+"/answer", admin, url.Values{"answer": {"withdraw"}, "note": {"Niet meer nodig"}})
		wantRedirect(t, "withdraw "+body, resp, "/gent/admin/instructions?done=saved")
		_, body = le.get(t, "/gent/admin/instructions", map[string]string{"Cookie": admin})
		for _, want := range []string{"Ingetrokken", "Gemeld door de leverancier", "Niet meer nodig"} {
			if !strings.Contains(body, want) {
				t.Fatalf("page lacks %q", want)
			}
		}
	})
}

// TestClauseREG5_DisclosureRefusedUntilTheControllerWasTold: supplier
// staff record an authority's request on the realm (a deadline before the
// receipt refused field by field), assess it; a disclosure is refused (422,
// nothing recorded) until the controller was told; the notice mails the
// admin and DPO and the controller's page shows the request and its steps.
func TestClauseREG5_DisclosureRefusedUntilTheControllerWasTold(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le, admin, h := instrEnv(t, env)
		today := dayText(env.Clock.Now())
		resp, body := le.postForm(t, "/operator/authority?tenant=gent", h, url.Values{"authority": {"Politie Gent"}, "legal_basis": {""},
			"asked": {"Dossier 31"}, "received_at": {today}, "deadline": {dayText(env.Clock.Now().AddDate(0, 0, -2))}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#new-legal_basis"`) ||
			!strings.Contains(body, `href="#new-deadline"`) || !strings.Contains(body, "De termijn moet na de ontvangst liggen.") {
			t.Fatalf("bad request: %d", resp.StatusCode)
		}
		resp, body = le.postForm(t, "/operator/authority?tenant=gent", h, url.Values{"authority": {"Politie Gent"}, "legal_basis": {"art. 46quater Sv."},
			"asked": {"Dossier 31"}, "received_at": {today}, "deadline": {dayText(env.Clock.Now().AddDate(0, 0, 10))}})
		wantRedirect(t, "record "+body, resp, "/operator/authority?tenant=gent&done=saved")
		list, err := env.DB.AuthorityRequests(ctx, audit.Actor{Kind: audit.KindOperator, ID: "t"}, le.gent.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("%v %v", list, err)
		}
		id := list[0].ID
		step := func(s, text string) (*http.Response, string) {
			return le.postForm(t, "/operator/authority/gent/"+id+"/step", h, url.Values{"step": {s}, "text": {text}})
		}
		resp, body = step("assess", "Rechtsgeldig")
		wantRedirect(t, "assess "+body, resp, "/operator/authority?tenant=gent&done=step")
		if _, err := env.DB.ClaimMail(ctx, 100); err != nil {
			t.Fatal(err)
		}
		resp, body = step("disclose", "Dossier 31")
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Deze stap kan nu niet") {
			t.Fatalf("disclosure before telling: %d", resp.StatusCode)
		}
		resp, body = step("notify", "De politie vraagt dossier 31.")
		wantRedirect(t, "notify "+body, resp, "/operator/authority?tenant=gent&done=step")
		ms, err := env.DB.ClaimMail(ctx, 100)
		if err != nil || len(ms) != 2 || ms[0].Kind != "duty.notify" {
			t.Fatalf("notify mails %v %v", ms, err)
		}
		resp, body = step("disclose", "Dossier 31")
		wantRedirect(t, "disclose "+body, resp, "/operator/authority?tenant=gent&done=step")
		_, body = le.get(t, "/gent/admin/authority-requests", map[string]string{"Cookie": admin})
		for _, want := range []string{"Politie Gent", "art. 46quater Sv.", "Beoordeeld", "Gemeld aan u", "Gemaild aan", "Verstrekt"} {
			if !strings.Contains(body, want) {
				t.Fatalf("controller's page lacks %q", want)
			}
		}
		if strings.Index(body, "Gemeld aan u") > strings.LastIndex(body, "Verstrekt") {
			t.Fatal("the disclosure is listed before the notice")
		}
	})
}
