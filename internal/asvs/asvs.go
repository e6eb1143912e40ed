// Package asvs is Kluis's table of the OWASP Application Security
// Verification Standard 5.0.0, levels 1 and 2 (and the few level 3 items we
// also prove): for every requirement whether it applies, and if so whether a
// test proves it, a test proves part of it, or a document answers it.
//
// The table is code so that it cannot drift from the tests: a test in this
// package scans the repository for tests named TestASVS_<chapter>_<section>_
// <item>_… and fails when a requirement marked Tested or Partly has none, or
// a test names a requirement the table does not mark as tested. The same
// test regenerates docs/asvs.md (go test ./internal/asvs -run Doc -update).
//
// The requirement ids and levels are the standard's; the topics and notes
// are our own words (the standard's text is not copied here).
package asvs

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Status says how Kluis answers one requirement.
type Status int

const (
	// Open: not yet assessed. The generated document lists these so they
	// cannot hide.
	Open Status = iota
	// Tested: applies, and tests named after it prove it.
	Tested
	// Partly: applies; tests prove part of it, Note says what is not.
	Partly
	// Documented: applies but cannot be proven by an automated test (a
	// documentation or process requirement); Note names the document.
	Documented
	// NotApplicable: Kluis has no such feature; Note says why.
	NotApplicable
)

func (s Status) String() string {
	switch s {
	case Tested:
		return "tested"
	case Partly:
		return "partly"
	case Documented:
		return "documented"
	case NotApplicable:
		return "not applicable"
	}
	return "open"
}

// Requirement is one row of the table.
type Requirement struct {
	ID     string // "6.2.1"
	Level  int    // 1, 2 or 3
	Topic  string // a few words of our own
	Status Status
	Note   string // how it is met, or why it does not apply
	// Chapter is filled in by chapter().
	Chapter     int
	ChapterName string
}

// TestPrefix is how a test that proves the requirement starts:
// TestASVS_6_2_1_.
func (r Requirement) TestPrefix() string {
	return "TestASVS_" + strings.ReplaceAll(r.ID, ".", "_") + "_"
}

func chapter(n int, name string, reqs []Requirement) []Requirement {
	for i := range reqs {
		reqs[i].Chapter = n
		reqs[i].ChapterName = name
	}
	return reqs
}

// All returns every row, in the standard's order.
func All() []Requirement {
	var all []Requirement
	for _, c := range [][]Requirement{v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16, v17} {
		all = append(all, c...)
	}
	sort.SliceStable(all, func(i, j int) bool { return less(all[i].ID, all[j].ID) })
	return all
}

func less(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

// Counts tallies the rows by status.
func Counts(reqs []Requirement) map[Status]int {
	c := map[Status]int{}
	for _, r := range reqs {
		c[r.Status]++
	}
	return c
}

// Markdown renders docs/asvs.md: a summary and one table per chapter, each
// row with the tests that prove it (tests maps an id to test names).
func Markdown(reqs []Requirement, tests map[string][]string) string {
	var b strings.Builder
	c := Counts(reqs)
	b.WriteString("# OWASP ASVS 5.0.0, levels 1 and 2\n\n")
	b.WriteString("Generated from `internal/asvs` (the table) and the names of the tests in this repository;\n")
	b.WriteString("do not edit by hand: `go test ./internal/asvs -run Doc -update` writes it, and the test fails when\n")
	b.WriteString("the table, the tests and this file disagree. A requirement is *tested* when tests named\n")
	b.WriteString("`TestASVS_<chapter>_<section>_<item>_…` prove it, *partly* when they prove part of it (the note\n")
	b.WriteString("says what is left), *documented* when it is answered by a document or a process rather than\n")
	b.WriteString("a test, and *not applicable* when Kluis has no such feature.\n\n")
	applicable := len(reqs) - c[NotApplicable]
	fmt.Fprintf(&b, "| status | requirements |\n| --- | --- |\n")
	fmt.Fprintf(&b, "| tested | %d |\n| partly | %d |\n| documented | %d |\n| not applicable | %d |\n", c[Tested], c[Partly], c[Documented], c[NotApplicable])
	if c[Open] > 0 {
		fmt.Fprintf(&b, "| not yet assessed | %d |\n", c[Open])
	}
	fmt.Fprintf(&b, "| **applicable** | **%d**, of which %d proven by tests (fully or in part) |\n", applicable, c[Tested]+c[Partly])
	chapterNo := 0
	for _, r := range reqs {
		if r.Chapter != chapterNo {
			chapterNo = r.Chapter
			fmt.Fprintf(&b, "\n## V%d %s\n\n| id | level | topic | status | tests | note |\n| --- | --- | --- | --- | --- | --- |\n", r.Chapter, r.ChapterName)
		}
		names := tests[r.ID]
		var cells []string
		for _, n := range names {
			cells = append(cells, "`"+n+"`")
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s |\n", r.ID, r.Level, cell(r.Topic), r.Status, strings.Join(cells, "<br>"), cell(r.Note))
	}
	return b.String()
}

func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", "\\|"), "\n", " ")
}
