package clausecov

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Outcome is what a test did in a CI run.
type Outcome string

const (
	Pass Outcome = "pass"
	Fail Outcome = "fail"
	Skip Outcome = "skip"
	// NotRun: the results say nothing of the test (no results, another
	// build's results, a filtered run that left it out).
	NotRun Outcome = "not-run"
	// NoTest: a clause no test names (a clause's summary only).
	NoTest Outcome = "no-test"
)

// Results are the outcomes of one CI run, as scripts/test.sh records them
// (scripts/clause-results.awk) after go test and the browser tests:
//
//	# kluis clause results
//	commit 3f9c…[-dirty]
//	time 2026-12-05T12:00:00Z
//	scope full|filtered
//	go<TAB>github.com/kluis/kluis/internal/store<TAB>TestClauseAUD1_X<TAB>pass
//	e2e<TAB>-<TAB>ClauseAUD2: a DPO …<TAB>fail
//
// Only tests whose names carry a clause are recorded.
type Results struct {
	Commit   string    // the commit the run tested, "-dirty" when the tree had changes
	At       time.Time // when the run ended
	Filtered bool      // a run of some tests only (-run, KLUIS_TEST_PKGS)
	outcomes map[string]Outcome
}

// Known reports whether these are results of a run at all.
func (r Results) Known() bool { return r.outcomes != nil }

// Outcome is the test's outcome in the run, NotRun when it is not in it.
// Browser tests are matched by title: node's TAP report does not name the
// file of a test that passed.
func (r Results) Outcome(t Test) Outcome {
	k := t.Key()
	if t.Kind == "e2e" {
		k = "e2e\t-\t" + t.Name
	}
	if o, ok := r.outcomes[k]; ok {
		return o
	}
	return NotRun
}

// Len is how many outcomes the run recorded.
func (r Results) Len() int { return len(r.outcomes) }

// ParseResults reads a results file. A malformed file is refused as a
// whole: half a file would show tests as not run that ran.
func ParseResults(rd io.Reader) (Results, error) {
	res := Results{outcomes: map[string]Outcome{}}
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, " "); ok && !strings.Contains(k, "\t") {
			switch k {
			case "commit":
				res.Commit = v
			case "time":
				at, err := time.Parse(time.RFC3339, v)
				if err != nil {
					return Results{}, fmt.Errorf("line %d: time %q is not RFC 3339", n, v)
				}
				res.At = at
			case "scope":
				if v != "full" && v != "filtered" {
					return Results{}, fmt.Errorf("line %d: scope %q is neither full nor filtered", n, v)
				}
				res.Filtered = v == "filtered"
			default:
				return Results{}, fmt.Errorf("line %d: unknown header %q", n, k)
			}
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 || (f[0] != "go" && f[0] != "e2e") || f[1] == "" || f[2] == "" {
			return Results{}, fmt.Errorf("line %d: want kind, package, test and outcome separated by tabs", n)
		}
		o := Outcome(f[3])
		if o != Pass && o != Fail && o != Skip {
			return Results{}, fmt.Errorf("line %d: outcome %q is not pass, fail or skip", n, f[3])
		}
		if f[0] == "e2e" {
			f[1] = "-"
		}
		k := f[0] + "\t" + f[1] + "\t" + f[2]
		// A test run twice (a retried package) counts as failed if it
		// failed once.
		if res.outcomes[k] != Fail {
			res.outcomes[k] = o
		}
	}
	if err := sc.Err(); err != nil {
		return Results{}, err
	}
	if res.Commit == "" || res.At.IsZero() {
		return Results{}, fmt.Errorf("no commit or time: not a clause results file")
	}
	return res, nil
}

// LoadResults reads the results file at path.
func LoadResults(path string) (Results, error) {
	f, err := os.Open(path)
	if err != nil {
		return Results{}, err
	}
	defer f.Close()
	r, err := ParseResults(f)
	if err != nil {
		return Results{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Report is the clauses of this build with each test's outcome in a run,
// what commands and pages show.
type Report struct {
	Clauses []ClauseStatus
	// Results are the run's, zero when there are none.
	Results Results
	// Build is this binary's commit ("unknown" when not recorded).
	Build string
	// Mismatch: the results are of another commit than this build's; their
	// outcomes are then not shown as this build's (all NotRun).
	Mismatch bool
}

// ClauseStatus is a clause with its tests' outcomes.
type ClauseStatus struct {
	Clause
	Outcomes []Outcome // one per test, in order
}

// Covered: at least one test names the clause.
func (c ClauseStatus) Covered() bool { return len(c.Tests) > 0 }

// Summary is the worst outcome of the clause's tests: Fail if one
// failed, NotRun if one did not run (and none failed), Skip if one was
// skipped, else Pass. A clause without tests has NoTest.
func (c ClauseStatus) Summary() Outcome {
	if len(c.Outcomes) == 0 {
		return NoTest
	}
	worst := Pass
	rank := map[Outcome]int{Pass: 0, Skip: 1, NotRun: 2, Fail: 3}
	for _, o := range c.Outcomes {
		if rank[o] > rank[worst] {
			worst = o
		}
	}
	return worst
}

// BuildReport joins the embedded clauses with a run's results for the
// build whose commit is build. Results of another commit are not this
// build's: they are kept (to be named) but every outcome is NotRun. When
// the build's commit is unknown (a development build), the results are
// used as they are and the caller says the commit could not be checked.
func BuildReport(res Results, build string) Report {
	rep := Report{Results: res, Build: build}
	if res.Known() && build != "" && build != "unknown" && res.Commit != build {
		rep.Mismatch = true
	}
	for _, c := range Clauses() {
		cs := ClauseStatus{Clause: c}
		for _, t := range c.Tests {
			o := NotRun
			if !rep.Mismatch {
				o = res.Outcome(t)
			}
			cs.Outcomes = append(cs.Outcomes, o)
		}
		rep.Clauses = append(rep.Clauses, cs)
	}
	return rep
}

// Counts: clauses, those with a test, and those whose tests all passed.
func (r Report) Counts() (clauses, covered, passed int) {
	for _, c := range r.Clauses {
		clauses++
		if c.Covered() {
			covered++
			if c.Summary() == Pass {
				passed++
			}
		}
	}
	return
}

// Doc is a Report as a document (kluis compliance clauses --format json).
type Doc struct {
	Build   string `json:"build_commit"`
	Results struct {
		Known    bool       `json:"known"`
		Commit   string     `json:"commit,omitempty"`
		At       *time.Time `json:"time,omitempty"`
		Scope    string     `json:"scope,omitempty"`
		Mismatch bool       `json:"other_commit"`
	} `json:"results"`
	Counts struct {
		Clauses int `json:"clauses"`
		Covered int `json:"covered"`
		Passed  int `json:"passed"`
	} `json:"counts"`
	Clauses []DocClause `json:"clauses"`
}

// DocClause is one clause in a Doc.
type DocClause struct {
	ID           string    `json:"id"`
	Section      int       `json:"section"`
	SectionTitle string    `json:"section_title"`
	Title        string    `json:"title"`
	Status       Outcome   `json:"status"`
	Tests        []DocTest `json:"tests"`
}

// DocTest is one test in a Doc, with its outcome.
type DocTest struct {
	Test
	Outcome Outcome `json:"outcome"`
}

// Doc returns the report as a document.
func (r Report) Doc() Doc {
	var d Doc
	d.Build = r.Build
	if r.Results.Known() {
		d.Results.Known = true
		d.Results.Commit = r.Results.Commit
		at := r.Results.At
		d.Results.At = &at
		d.Results.Scope = "full"
		if r.Results.Filtered {
			d.Results.Scope = "filtered"
		}
		d.Results.Mismatch = r.Mismatch
	}
	d.Counts.Clauses, d.Counts.Covered, d.Counts.Passed = r.Counts()
	for _, c := range r.Clauses {
		dc := DocClause{ID: c.ID, Section: c.Section, SectionTitle: c.SectionTitle, Title: c.Title, Status: c.Summary(), Tests: []DocTest{}}
		for i, t := range c.Tests {
			dc.Tests = append(dc.Tests, DocTest{t, c.Outcomes[i]})
		}
		d.Clauses = append(d.Clauses, dc)
	}
	return d
}
