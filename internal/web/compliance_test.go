package web

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/compliance"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseADT1_CompliancePageAnswersEveryClause: the admins' and DPO's
// page lists every clause by chapter with its status in words (and a
// shape, not colour alone), the evidence with when it was measured and a
// link to its page, and the tests; in French on request; the JSON download
// holds the same 55 answers; each reading is in the tenant's log.
func TestClauseADT1_CompliancePageAnswersEveryClause(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		resp, body := le.get(t, "/gent/admin/compliance", map[string]string{"Cookie": admin})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("page: %d", resp.StatusCode)
		}
		body = html.UnescapeString(body)
		for _, c := range compliance.Clauses {
			if !strings.Contains(body, `id="clause-`+c.ID+`"`) {
				t.Errorf("page lacks clause %s", c.ID)
			}
		}
		for _, w := range []string{"Nalevingsrapport", "1. Het verwerkingsregister", "11. Organisatorische maatregelen",
			"In orde", "✓", `href="/gent/admin/audit"`, `href="/gent/admin/users"`, "(gemeten op ", "TestClauseUSR2_",
			`href="/gent/admin/compliance.json"`} {
			if !strings.Contains(body, w) {
				t.Errorf("page lacks %q", w)
			}
		}
		_, fr := le.get(t, "/gent/admin/compliance?lang=fr", map[string]string{"Cookie": admin})
		fr = html.UnescapeString(fr)
		for _, w := range []string{"Rapport de conformité", "Gestion des utilisateurs", "(mesuré le "} {
			if !strings.Contains(fr, w) {
				t.Errorf("French page lacks %q", w)
			}
		}
		resp, raw := le.get(t, "/gent/admin/compliance.json", map[string]string{"Cookie": admin})
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "compliance-gent-") {
			t.Fatalf("JSON: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
		var rep compliance.Report
		if err := json.Unmarshal([]byte(raw), &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Items) != 55 || rep.TenantSlug != "gent" {
			t.Fatalf("JSON report: %d clauses, tenant %q", len(rep.Items), rep.TenantSlug)
		}
		if it, _ := rep.Item("AUD-1"); it.Status != compliance.Met || len(it.Evidence) == 0 || it.Evidence[0].Link != "/gent/admin/audit" {
			t.Errorf("AUD-1 in JSON: %+v", it)
		}
		if n := len(env.Events(t, le.gent.ID, "compliance.read")); n != 3 {
			t.Errorf("%d compliance.read events, want 3 (two pages, one download)", n)
		}
	})
}
