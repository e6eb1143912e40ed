package web

import (
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseSEC5_OperatorClausePage: the operators' clause page lists every
// clause with the tests named after it and their outcome in the CI run of
// this build's commit (the run's commit and time named), counts the
// clauses covered, filters by section, in Dutch and French; results of
// another commit are not shown as this build's, and without a results
// file every test reads "not run in this build".
func TestClauseSEC5_OperatorClausePage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		results := filepath.Join(t.TempDir(), "clause-results.txt")
		os.WriteFile(results, []byte("commit c0ffee1\ntime 2026-12-05T11:30:00Z\nscope full\n"+
			"go\tgithub.com/kluis/kluis/internal/cli\tTestClauseAUD3_EveryTenantCommandNeedsAGrant\tpass\n"+
			"go\tgithub.com/kluis/kluis/internal/cli\tTestClauseAUD3_FirstAdminWithoutGrant\tfail\n"), 0o600)
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000, Commit: "c0ffee1", ClauseResults: results})
		_, secret := activeOperator(t, le, env, "piet@leverancier.be")
		h := operatorSignIn(t, le, env, "piet@leverancier.be", secret)

		resp, body := le.get(t, "/operator/clauses", h)
		if resp.StatusCode != 200 {
			t.Fatalf("clause page: %d", resp.StatusCode)
		}
		body = html.UnescapeString(body)
		for _, want := range []string{"Clausules en hun tests", "Uitkomsten van de CI-run van commit c0ffee1, beëindigd op 05.12.2026 12:30",
			"55 van de 55 clausules hebben een test; bij 0 zijn alle tests geslaagd.", "55 clausules getoond.",
			"1. Het verwerkingsregister (bijlage 1)", "11. Organisatorische maatregelen", "REG-1", "ORG-6", "LOC-4",
			"TestClauseAUD3_EveryTenantCommandNeedsAGrant", "internal/cli", "geslaagd", "mislukt", "niet uitgevoerd in deze build",
			"Access limited to staff who need it", "1 test: 1 niet uitgevoerd", "Deze build: commit c0ffee1."} {
			if !strings.Contains(body, want) {
				t.Errorf("clause page lacks %q", want)
			}
		}
		// AUD-3's pill says it failed: one of its tests did.
		if !strings.Contains(body, `AUD-3 <span class="status outcome-fail">mislukt</span>`) {
			t.Error("AUD-3 is not shown as failed")
		}
		// Its tests are unfolded and counted; a clause that did not fail
		// keeps them folded on the page of every chapter.
		aud3 := body[strings.Index(body, `id="aud-3"`):]
		aud3 = aud3[:strings.Index(aud3, "</article>")]
		if !strings.Contains(aud3, "<details open>") || !regexp.MustCompile(`<summary>\d+ tests: 1 geslaagd, 1 mislukt, \d+ niet uitgevoerd</summary>`).MatchString(aud3) {
			t.Errorf("AUD-3's tests are not unfolded and counted:\n%s", aud3)
		}
		if strings.Count(body, "<details open>") != 1 {
			t.Errorf("%d clauses unfolded, want only the failed one", strings.Count(body, "<details open>"))
		}

		// The filter: section 3 shows the audit log's five clauses only.
		_, body = le.get(t, "/operator/clauses?section=3&lang=fr", h)
		body = html.UnescapeString(body)
		for _, want := range []string{"Clauses et leurs tests", "55 des 55 clauses ont un test", "5 clauses affichées.", "3. Journal d'audit",
			"AUD-1", "AUD-5", `<option value="3" selected>`, "réussi", "échoué", "non exécuté dans cette version"} {
			if !strings.Contains(body, want) {
				t.Errorf("French filtered page lacks %q", want)
			}
		}
		for _, not := range []string{"REG-1", "ORG-6", "1. Le registre"} {
			if strings.Contains(body, `id="clause-`+strings.ToLower(not)+`"`) || strings.Contains(body, "<h2 id=\"section-1\"") {
				t.Errorf("section 3 shows %s", not)
			}
		}

		// Another commit's results are not this build's.
		le.app.opts.Commit = "bada55"
		_, body = le.get(t, "/operator/clauses", h)
		body = html.UnescapeString(body)
		if !strings.Contains(body, "het resultatenbestand is van commit c0ffee1 (getest op 05.12.2026 12:30), deze build is commit bada55") ||
			strings.Contains(body, ">geslaagd<") || strings.Contains(body, ">mislukt<") {
			t.Error("another commit's results are shown as this build's")
		}

		// A malformed file: nothing of it is shown.
		os.WriteFile(results, []byte("commit c0ffee1\ntime gisteren\n"), 0o600)
		le.app.opts.Commit = "c0ffee1"
		_, body = le.get(t, "/operator/clauses", h)
		if !strings.Contains(html.UnescapeString(body), "Het resultatenbestand (KLUIS_CLAUSE_RESULTS) kan niet gelezen worden") {
			t.Error("an unreadable results file is not named")
		}

		// No results file.
		le.app.opts.Commit, le.app.opts.ClauseResults = "c0ffee1", ""
		_, body = le.get(t, "/operator/clauses", h)
		if !strings.Contains(html.UnescapeString(body), "Niet uitgevoerd in deze build: er is geen resultatenbestand") {
			t.Error("without results the page does not say so")
		}
	})
}
