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

// TestClauseORG1_DeclaredInTheRealmShownToTheTenant: supplier staff
// declare the DPO in the operators' realm; a bad form is refused field by
// field (422, nothing saved), a good one is shown on the controller's page
// as "verklaard door de leverancier op …", with the date.
func TestClauseORG1_DeclaredInTheRealmShownToTheTenant(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{BaseURL: "https://loket.example.be", LoginRateLimit: 1000})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		_, secret := activeOperator(t, le, env, "piet@leverancier.be")
		h := operatorSignIn(t, le, env, "piet@leverancier.be", secret)

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
