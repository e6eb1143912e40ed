package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/clausecov"
)

// The clause coverage page of the operators' realm (/operator/clauses,
// SEC-5): every clause of the contract with the tests named after it in
// this build and whether they passed in the CI run that tested it (the
// results file KLUIS_CLAUSE_RESULTS, read on every view so that a new
// file shows without a restart), filtered by section. It shows facts of
// the binary and of a file, no tenant's data: nothing to audit.

type clausesPage struct {
	Slug     string
	Sections []clauseSectionOption
	Groups   []clauseGroup
	// Counts over every clause, whatever the filter.
	Total, Covered, Passed int
	Shown                  int
	Results                []string // sentences: which run, or why none
	ResultsOK              bool     // outcomes shown are this build's
	Build, BuildText       string
}

type clauseSectionOption struct {
	Value, Label string
	Selected     bool
}

type clauseGroup struct {
	Number  int
	Label   string
	Clauses []clauseRow
}

type clauseRow struct {
	ID, Anchor, Title string
	Status, Class     string
	Tests             []clauseTestRow
	// TestsSummary counts the tests by outcome ("13 tests: 12 passed, 1
	// failed"); Open unfolds them: a failed clause, or a chosen chapter.
	TestsSummary string
	Open         bool
}

type clauseTestRow struct {
	Outcome, Class string
	Where, Name    string
}

func (a *App) operatorClausesShow(w http.ResponseWriter, r *http.Request, _ account.User) {
	p := clausesPage{Slug: tenantFrom(r.Context()).Slug, Build: a.opts.Commit}
	if p.Build == "" {
		p.Build = "unknown"
	}
	p.BuildText = a.t(r, "ccover.build", p.Build)
	if p.Build == "unknown" {
		p.BuildText = a.t(r, "ccover.build_unknown")
	}
	var res clausecov.Results
	readErr := false
	if path := a.opts.ClauseResults; path != "" {
		var err error
		if res, err = clausecov.LoadResults(path); err != nil {
			a.opts.Logger.Warn("clause results unreadable", "error", err.Error())
			readErr = true
		}
	}
	rep := clausecov.BuildReport(res, p.Build)
	p.Total, p.Covered, p.Passed = rep.Counts()
	p.Results, p.ResultsOK = a.clauseResultsText(r, rep, readErr)
	if p.ResultsOK && p.Build == "unknown" {
		// The results line already says the build's commit is unknown.
		p.BuildText = ""
	}

	section, _ := strconv.Atoi(r.URL.Query().Get("section"))
	p.Sections = []clauseSectionOption{{Value: "", Label: a.t(r, "ccover.filter.all"), Selected: section == 0}}
	for _, s := range clausecov.Sections() {
		p.Sections = append(p.Sections, clauseSectionOption{Value: strconv.Itoa(s.Number),
			Label: a.t(r, "ccover.section", s.Number, a.t(r, "ccover.section."+strconv.Itoa(s.Number))), Selected: s.Number == section})
	}
	for _, c := range rep.Clauses {
		if section != 0 && c.Section != section {
			continue
		}
		if len(p.Groups) == 0 || p.Groups[len(p.Groups)-1].Number != c.Section {
			p.Groups = append(p.Groups, clauseGroup{Number: c.Section,
				Label: a.t(r, "ccover.section", c.Section, a.t(r, "ccover.section."+strconv.Itoa(c.Section)))})
		}
		sum := c.Summary()
		row := clauseRow{ID: c.ID, Anchor: strings.ToLower(c.ID), Title: c.Title, Status: a.t(r, "ccover.outcome."+string(sum)), Class: string(sum)}
		for i, t := range c.Tests {
			where := strings.TrimPrefix(t.Package, "github.com/kluis/kluis/")
			row.Tests = append(row.Tests, clauseTestRow{Outcome: a.t(r, "ccover.outcome."+string(c.Outcomes[i])), Class: string(c.Outcomes[i]),
				Where: where, Name: t.Name})
		}
		row.TestsSummary, row.Open = a.clauseTestsSummary(r, c), sum == clausecov.Fail || section != 0
		g := &p.Groups[len(p.Groups)-1]
		g.Clauses = append(g.Clauses, row)
		p.Shown++
	}
	a.render(w, r, http.StatusOK, "operator-clauses", p)
}

// clauseTestsSummary is "13 tests: 12 passed, 1 failed", outcomes in a
// fixed order.
func (a *App) clauseTestsSummary(r *http.Request, c clausecov.ClauseStatus) string {
	n := map[clausecov.Outcome]int{}
	for _, o := range c.Outcomes {
		n[o]++
	}
	var parts []string
	for _, o := range []clausecov.Outcome{clausecov.Pass, clausecov.Fail, clausecov.Skip, clausecov.NotRun} {
		switch n[o] {
		case 0:
		case 1:
			parts = append(parts, a.t(r, "ccover.count."+string(o)+".one"))
		default:
			parts = append(parts, a.t(r, "ccover.count."+string(o), n[o]))
		}
	}
	if len(c.Tests) == 1 {
		return a.t(r, "ccover.tests.one", strings.Join(parts, ", "))
	}
	return a.t(r, "ccover.tests.count", len(c.Tests), strings.Join(parts, ", "))
}

// clauseResultsText says which CI run the outcomes are from, or why no
// outcome is this build's; ok when outcomes are shown.
func (a *App) clauseResultsText(r *http.Request, rep clausecov.Report, readErr bool) ([]string, bool) {
	res := rep.Results
	switch {
	case readErr:
		return []string{a.t(r, "ccover.results.unreadable")}, false
	case !res.Known():
		return []string{a.t(r, "ccover.results.none")}, false
	case rep.Mismatch:
		return []string{a.t(r, "ccover.results.mismatch", res.Commit, datetime(res.At), rep.Build)}, false
	}
	out := []string{a.t(r, "ccover.results.run", res.Commit, datetime(res.At))}
	if res.Filtered {
		out = append(out, a.t(r, "ccover.results.partial"))
	}
	if rep.Build == "unknown" {
		out = append(out, a.t(r, "ccover.results.unchecked"))
	}
	return out, true
}
