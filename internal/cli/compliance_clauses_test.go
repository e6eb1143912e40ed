package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/clausecov"
)

func runClauses(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errs, Getenv: func(k string) string { return vars[k] }}
	code := RunEnv(context.Background(), append([]string{"compliance", "clauses"}, args...), env)
	return code, out.String(), errs.String()
}

// TestClauseSEC5_ComplianceClausesListsEveryClauseAndItsTests: kluis
// compliance clauses lists the digest's 55 clauses with the tests named
// after them; without a results file every test is "not run in this
// build", and it says so.
func TestClauseSEC5_ComplianceClausesListsEveryClauseAndItsTests(t *testing.T) {
	code, out, errs := runClauses(t, nil, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var d clausecov.Doc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d.Counts.Clauses != 55 || d.Counts.Covered != 55 || d.Counts.Passed != 0 || len(d.Clauses) != 55 || d.Results.Known {
		t.Fatalf("counts %+v, %d clauses, results known %v", d.Counts, len(d.Clauses), d.Results.Known)
	}
	var aud3 clausecov.DocClause
	for _, c := range d.Clauses {
		if c.ID == "AUD-3" {
			aud3 = c
		}
	}
	found := false
	for _, tt := range aud3.Tests {
		found = found || tt.Name == "TestClauseAUD3_EveryTenantCommandNeedsAGrant" && tt.Package == "github.com/kluis/kluis/internal/cli"
		if tt.Outcome != clausecov.NotRun {
			t.Errorf("%s: %s without results", tt.Name, tt.Outcome)
		}
	}
	if !found || aud3.Title == "" || aud3.SectionTitle != "Audit log" {
		t.Errorf("AUD-3: %+v", aud3)
	}

	code, out, _ = runClauses(t, nil)
	for _, want := range []string{"not run in this build", "55 clauses: 55 named by a test, 0 whose tests all passed",
		"3. Audit log", "AUD-3", "internal/cli TestClauseAUD3_EveryTenantCommandNeedsAGrant"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%.2000s", want, out)
		}
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	if code, _, errs := runClauses(t, nil, "--format", "pdf"); code != 2 || !strings.Contains(errs, "text or json") {
		t.Errorf("--format pdf: exit %d: %s", code, errs)
	}
}

// TestClauseSEC5_ComplianceClausesReadsTheRunsResults: with the CI run's
// results file (KLUIS_CLAUSE_RESULTS) each test shows its outcome, a
// clause its worst, and the run's commit and time are named; a malformed
// file is refused rather than read in part.
func TestClauseSEC5_ComplianceClausesReadsTheRunsResults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "clause-results.txt")
	os.WriteFile(path, []byte("commit 0123abc\ntime 2026-12-05T11:30:00Z\nscope full\n"+
		"go\tgithub.com/kluis/kluis/internal/cli\tTestClauseAUD3_EveryTenantCommandNeedsAGrant\tpass\n"+
		"go\tgithub.com/kluis/kluis/internal/cli\tTestClauseAUD3_FirstAdminWithoutGrant\tfail\n"), 0o600)
	vars := map[string]string{"KLUIS_CLAUSE_RESULTS": path}
	code, out, errs := runClauses(t, vars, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var d clausecov.Doc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if !d.Results.Known || d.Results.Commit != "0123abc" || d.Results.Scope != "full" || d.Results.At == nil {
		t.Errorf("results: %+v", d.Results)
	}
	for _, c := range d.Clauses {
		if c.ID != "AUD-3" {
			continue
		}
		if c.Status != clausecov.Fail {
			t.Errorf("AUD-3 status %s, want fail (one of its tests failed)", c.Status)
		}
		for _, tt := range c.Tests {
			want := map[string]clausecov.Outcome{"TestClauseAUD3_EveryTenantCommandNeedsAGrant": clausecov.Pass,
				"TestClauseAUD3_FirstAdminWithoutGrant": clausecov.Fail}[tt.Name]
			if want == "" {
				want = clausecov.NotRun
			}
			if tt.Outcome != want {
				t.Errorf("%s: %s, want %s", tt.Name, tt.Outcome, want)
			}
		}
	}
	_, out, _ = runClauses(t, vars)
	if !strings.Contains(out, "the CI run of commit 0123abc, 2026-12-05 11:30 UTC (full run)") {
		t.Errorf("text does not name the run:\n%.600s", out)
	}

	os.WriteFile(path, []byte("commit 0123abc\ntime 2026-12-05T11:30:00Z\ngo\tp\tTestClauseAUD1_X\tmaybe\n"), 0o600)
	if code, out, errs := runClauses(t, vars); code != 1 || out != "" || !strings.Contains(errs, "maybe") {
		t.Errorf("malformed results: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestClauseSEC5_ComplianceClausesFailsForAClauseWithoutTest: a clause no
// test names makes the command exit 1 and name it.
func TestClauseSEC5_ComplianceClausesFailsForAClauseWithoutTest(t *testing.T) {
	orig := clauseReport
	t.Cleanup(func() { clauseReport = orig })
	clauseReport = func(res clausecov.Results, build string) clausecov.Report {
		rep := orig(res, build)
		for i := range rep.Clauses {
			if rep.Clauses[i].ID == "LOC-4" {
				rep.Clauses[i].Tests, rep.Clauses[i].Outcomes = nil, nil
			}
		}
		return rep
	}
	code, out, errs := runClauses(t, nil)
	if code != 1 || !strings.Contains(errs, "no test is named after LOC-4") || !strings.Contains(out, "55 clauses: 54 named by a test") {
		t.Errorf("exit %d\nstderr: %s\nstdout: %.300s", code, errs, out)
	}
}
