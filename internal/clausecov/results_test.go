package clausecov

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const sampleResults = "# kluis clause results\n" +
	"commit abc123\n" +
	"time 2026-12-05T12:00:00Z\n" +
	"scope full\n" +
	"go\tgithub.com/kluis/kluis/internal/cli\tTestClauseAUD3_EveryTenantCommandNeedsAGrant\tpass\n" +
	"go\tgithub.com/kluis/kluis/internal/server\tTestASVS_12_2_1_ClauseLOC2_ServeHTTPS\tfail\n" +
	"e2e\t-\tClauseAUD2: a title\tskip\n"

func TestParseResults(t *testing.T) {
	r, err := ParseResults(strings.NewReader(sampleResults))
	if err != nil {
		t.Fatal(err)
	}
	if r.Commit != "abc123" || !r.At.Equal(time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)) || r.Filtered || r.Len() != 3 {
		t.Errorf("header: %+v", r)
	}
	for _, c := range []struct {
		t    Test
		want Outcome
	}{
		{Test{"go", module + "/internal/cli", "TestClauseAUD3_EveryTenantCommandNeedsAGrant"}, Pass},
		{Test{"go", module + "/internal/server", "TestASVS_12_2_1_ClauseLOC2_ServeHTTPS"}, Fail},
		{Test{"go", module + "/internal/web", "TestASVS_12_2_1_ClauseLOC2_ServeHTTPS"}, NotRun}, // another package's
		{Test{"e2e", "e2e/x.test.mjs", "ClauseAUD2: a title"}, Skip},
		{Test{"go", module + "/internal/cli", "TestClauseAUD3_Other"}, NotRun},
	} {
		if got := r.Outcome(c.t); got != c.want {
			t.Errorf("%v: %s, want %s", c.t, got, c.want)
		}
	}
}

// TestParseResultsRefusesMalformed: a file that is not wholly a results
// file is refused, so that no test shows as not run that ran.
func TestParseResultsRefusesMalformed(t *testing.T) {
	for name, text := range map[string]string{
		"no header":     "go\tp\tTestClauseAUD1_X\tpass\n",
		"bad time":      "commit a\ntime yesterday\n",
		"bad outcome":   "commit a\ntime 2026-12-05T12:00:00Z\ngo\tp\tTestClauseAUD1_X\tok\n",
		"missing field": "commit a\ntime 2026-12-05T12:00:00Z\ngo\tTestClauseAUD1_X\tpass\n",
		"unknown kind":  "commit a\ntime 2026-12-05T12:00:00Z\njs\tp\tX\tpass\n",
		"bad scope":     "commit a\ntime 2026-12-05T12:00:00Z\nscope some\n",
		"other header":  "commit a\ntime 2026-12-05T12:00:00Z\nbranch main\n",
	} {
		if _, err := ParseResults(strings.NewReader(text)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestFailedOnceCountsAsFailed: a test run twice that failed once failed.
func TestFailedOnceCountsAsFailed(t *testing.T) {
	r, err := ParseResults(strings.NewReader("commit a\ntime 2026-12-05T12:00:00Z\ngo\tp\tTestClauseAUD1_X\tfail\ngo\tp\tTestClauseAUD1_X\tpass\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Outcome(Test{"go", "p", "TestClauseAUD1_X"}); got != Fail {
		t.Errorf("%s, want fail", got)
	}
}

// TestReportOfAnotherCommitShowsNothingRun: results of another commit are
// not this build's; results of this commit are; without results nothing
// ran.
func TestReportOfAnotherCommitShowsNothingRun(t *testing.T) {
	r, _ := ParseResults(strings.NewReader(sampleResults))
	aud3 := func(rep Report) ClauseStatus {
		for _, c := range rep.Clauses {
			if c.ID == "AUD-3" {
				return c
			}
		}
		t.Fatal("no AUD-3")
		return ClauseStatus{}
	}
	idx := -1
	for i, tt := range TestsFor("AUD-3") {
		if tt.Name == "TestClauseAUD3_EveryTenantCommandNeedsAGrant" {
			idx = i
		}
	}
	if idx < 0 {
		t.Fatal("TestClauseAUD3_EveryTenantCommandNeedsAGrant not in the list")
	}
	same := BuildReport(r, "abc123")
	if same.Mismatch || aud3(same).Outcomes[idx] != Pass {
		t.Errorf("same commit: mismatch %v, outcome %s", same.Mismatch, aud3(same).Outcomes[idx])
	}
	other := BuildReport(r, "def456")
	if !other.Mismatch || aud3(other).Outcomes[idx] != NotRun {
		t.Errorf("other commit: mismatch %v, outcome %s", other.Mismatch, aud3(other).Outcomes[idx])
	}
	none := BuildReport(Results{}, "abc123")
	if none.Results.Known() || aud3(none).Summary() != NotRun {
		t.Errorf("no results: %v", aud3(none).Summary())
	}
	if n, covered, passed := none.Counts(); n != len(Clauses()) || covered == 0 || passed != 0 {
		t.Errorf("counts without results: %d %d %d", n, covered, passed)
	}
}

func TestSummaryIsTheWorstOutcome(t *testing.T) {
	for _, c := range []struct {
		in   []Outcome
		want Outcome
	}{
		{nil, NoTest},
		{[]Outcome{Pass, Pass}, Pass},
		{[]Outcome{Pass, Skip}, Skip},
		{[]Outcome{Pass, NotRun, Skip}, NotRun},
		{[]Outcome{NotRun, Fail, Pass}, Fail},
	} {
		cs := ClauseStatus{Outcomes: c.in}
		if got := cs.Summary(); got != c.want {
			t.Errorf("%v: %s, want %s", c.in, got, c.want)
		}
	}
}

func TestAPI(t *testing.T) {
	cs := Clauses()
	if len(cs) != digestClauses || cs[0].ID != "REG-1" {
		t.Fatalf("%d clauses, first %v", len(cs), cs[0].ID)
	}
	if len(TestsFor("AUD1")) == 0 || len(TestsFor("aud-1")) != len(TestsFor("AUD-1")) || TestsFor("XYZ-9") != nil {
		t.Error("TestsFor does not accept the id's forms")
	}
	cs[0].Tests[0].Name = "changed"
	if Clauses()[0].Tests[0].Name == "changed" {
		t.Error("Clauses returns the package's own slice")
	}
	if s := Sections(); len(s) != 11 || s[2].Number != 3 || s[2].Title != "Audit log" {
		t.Errorf("sections: %v", s)
	}
}

// TestRecordScriptWritesWhatParseResultsReads runs scripts/clause-results.awk
// (what scripts/test.sh runs after the tests) on a go test -v log and a
// node TAP report: passed, failed, skipped, a test whose package panicked
// (failed), other tests left out, browser titles unescaped.
func TestRecordScriptWritesWhatParseResultsReads(t *testing.T) {
	awk, err := exec.LookPath("awk")
	if err != nil {
		t.Skip("no awk")
	}
	out, err := exec.Command(awk, "-v", "commit=abc", "-v", "now=2026-12-05T12:00:00Z", "-v", "scope=filtered",
		"-f", filepath.Join("..", "..", "scripts", "clause-results.awk"),
		filepath.Join("testdata", "go-test.log"), filepath.Join("testdata", "e2e.tap")).Output()
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseResults(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if r.Commit != "abc" || !r.Filtered || r.Len() != 8 {
		t.Errorf("commit %q, filtered %v, %d outcomes:\n%s", r.Commit, r.Filtered, r.Len(), out)
	}
	for _, c := range []struct {
		kind, pkg, name string
		want            Outcome
	}{
		{"go", module + "/internal/store", "TestClauseAUD1_A", Pass},
		{"go", module + "/internal/store", "TestClauseAUD1_B", Fail},
		{"go", module + "/internal/store", "TestOther", NotRun},
		{"go", module + "/internal/web", "TestSkipped_ClauseLOC2_C", Skip},
		{"go", module + "/internal/web", "TestClauseSEC1_Panics", Fail},
		{"go", module + "/internal/cli", "TestClauseUSR1_Ok", Pass},
		{"e2e", "e2e/a.test.mjs", "ClauseAUD2: a # hash", Pass},
		{"e2e", "e2e/a.test.mjs", "ClauseBRE1: fails", Fail},
		{"e2e", "e2e/a.test.mjs", "ClauseSEC5: skipped", Skip},
		{"e2e", "e2e/a.test.mjs", "ClauseAUD9 sub", NotRun}, // a subtest
	} {
		if got := r.Outcome(Test{c.kind, c.pkg, c.name}); got != c.want {
			t.Errorf("%s %s: %s, want %s", c.pkg, c.name, got, c.want)
		}
	}
}
