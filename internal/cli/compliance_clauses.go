package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kluis/kluis/internal/clausecov"
)

// complianceClauses prints every clause of the contract digest with the
// tests named after it in this build and their outcome in the CI run that
// tested it (KLUIS_CLAUSE_RESULTS or --results): the supplier's evidence
// that each clause is proven by a test (SEC-5). It reads the binary and a
// file, no tenant's data: no grant. The exit status is 1 when a clause has
// no test, so that a release can be stopped on it.
func complianceClauses(_ context.Context, env *Env, args []string) error {
	fs := flags(env, "compliance clauses")
	format := fs.String("format", "text", "text or json")
	cfg, rest, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	if *format != "text" && *format != "json" {
		return usageError{fmt.Sprintf("--format %q: use text or json", *format)}
	}
	var res clausecov.Results
	if cfg.ClauseResults != "" {
		if res, err = clausecov.LoadResults(cfg.ClauseResults); err != nil {
			return fmt.Errorf("clause results (KLUIS_CLAUSE_RESULTS): %w", err)
		}
	}
	rep := clauseReport(res, commitString())
	if *format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep.Doc()); err != nil {
			return err
		}
	} else {
		printClauses(env.Stdout, rep)
	}
	if missing := clausecov.Uncovered(clausecovClauses(rep)); len(missing) > 0 {
		return errors.New("no test is named after " + strings.Join(missing, ", "))
	}
	return nil
}

// clauseReport builds the report; a test replaces it to see a clause
// without a test.
var clauseReport = clausecov.BuildReport

func clausecovClauses(rep clausecov.Report) []clausecov.Clause {
	out := make([]clausecov.Clause, len(rep.Clauses))
	for i, c := range rep.Clauses {
		out[i] = c.Clause
	}
	return out
}

// resultsLine says where the outcomes come from, or why there are none.
func resultsLine(rep clausecov.Report) string {
	r := rep.Results
	switch {
	case !r.Known():
		return "results: not run in this build (no results file: set KLUIS_CLAUSE_RESULTS)"
	case rep.Mismatch:
		return fmt.Sprintf("results: not run in this build (the results file is of commit %s, tested %s; this build is %s)",
			r.Commit, r.At.UTC().Format("2006-01-02 15:04 MST"), rep.Build)
	}
	scope := "full run"
	if r.Filtered {
		scope = "partial run: tests it left out show as not run"
	}
	s := fmt.Sprintf("results: the CI run of commit %s, %s (%s)", r.Commit, r.At.UTC().Format("2006-01-02 15:04 MST"), scope)
	if rep.Build == "unknown" {
		s += "; this build's commit is unknown, so it could not be checked against the results"
	}
	return s
}

func printClauses(w io.Writer, rep clausecov.Report) {
	n, covered, passed := rep.Counts()
	fmt.Fprintf(w, "clause coverage of kluis %s (commit %s)\n%s\n", versionString(), rep.Build, resultsLine(rep))
	fmt.Fprintf(w, "%d clauses: %d named by a test, %d whose tests all passed\n", n, covered, passed)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	section := 0
	for _, c := range rep.Clauses {
		if c.Section != section {
			section = c.Section
			fmt.Fprintf(tw, "\n%d. %s\n", c.Section, c.SectionTitle)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Summary(), c.Title)
		for i, t := range c.Tests {
			fmt.Fprintf(tw, "\t  %s\t%s %s\n", c.Outcomes[i], strings.TrimPrefix(t.Package, "github.com/kluis/kluis/"), t.Name)
		}
	}
	tw.Flush()
}
