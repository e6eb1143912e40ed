// Package clausecov is the build's map from the contract's clauses (REG-1 …
// ORG-6, docs/clauses.md) to the tests named after them, and whether those
// tests passed in a CI run: the supplier's answer to "which test proves
// this clause, and did it pass for the binary we run?".
//
// The list is generated and embedded (clauses.json): a test in this package
// rebuilds it from docs/clauses.md (ids, sections, titles) and the test
// names in the repository (Go tests TestClauseAUD1_… or …_ClauseLOC2_…,
// browser tests in e2e/*.test.mjs whose title names ClauseAUD1), and fails
// when the embedded copy is stale or a clause has no test at all:
//
//	go test ./internal/clausecov -run TestListIsGenerated -update
//
// The product never reads the contract digest or the source tree at run
// time: the ids, titles and test names live in the binary. Results of a CI
// run come from a file scripts/test.sh writes (ParseResults); without one
// every test is "not run in this build".
//
// It imports only the standard library.
package clausecov

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

//go:embed clauses.json
var embedded []byte

// Test is one test named after a clause.
type Test struct {
	// Kind is "go" or "e2e".
	Kind string `json:"kind"`
	// Package is a Go test's import path
	// (github.com/kluis/kluis/internal/store) or a browser test's file
	// (e2e/audits.test.mjs).
	Package string `json:"package"`
	// Name is the Go test function's name or the browser test's title.
	Name string `json:"name"`
}

// Key identifies the test in a results file: kind, package and name.
func (t Test) Key() string { return t.Kind + "\t" + t.Package + "\t" + t.Name }

// Clause is one obligation of the contract digest with its tests.
type Clause struct {
	ID           string `json:"id"`            // "AUD-1"
	Section      int    `json:"section"`       // 3
	SectionTitle string `json:"section_title"` // "Audit log" (docs/clauses.md's words)
	Title        string `json:"title"`         // what it requires, in a sentence (docs/clauses.md)
	Tests        []Test `json:"tests"`
}

// List is the generated document: the clauses in the digest's order.
type List struct {
	Note    string   `json:"note"`
	Clauses []Clause `json:"clauses"`
}

var list = func() List {
	var l List
	if err := json.Unmarshal(embedded, &l); err != nil {
		panic(fmt.Sprintf("clausecov: embedded clauses.json: %v", err))
	}
	return l
}()

// Clauses returns every clause of the digest in its order (REG-1 first,
// ORG-6 last), each with the tests named after it in this build. The
// result is a copy.
func Clauses() []Clause {
	out := make([]Clause, len(list.Clauses))
	for i, c := range list.Clauses {
		c.Tests = slices.Clone(c.Tests)
		out[i] = c
	}
	return out
}

// TestsFor returns the tests named after the clause id ("AUD-1"; "AUD1"
// is accepted too), nil for an unknown id or a clause without tests.
func TestsFor(id string) []Test {
	id = NormaliseID(id)
	for _, c := range list.Clauses {
		if c.ID == id {
			return slices.Clone(c.Tests)
		}
	}
	return nil
}

// Uncovered returns the ids of the clauses that no test names.
func Uncovered(cs []Clause) []string {
	var out []string
	for _, c := range cs {
		if len(c.Tests) == 0 {
			out = append(out, c.ID)
		}
	}
	return out
}

// Section is one of the digest's numbered sections.
type Section struct {
	Number int
	Title  string
}

// Sections returns the digest's sections in order.
func Sections() []Section {
	var out []Section
	for _, c := range list.Clauses {
		if len(out) == 0 || out[len(out)-1].Number != c.Section {
			out = append(out, Section{c.Section, c.SectionTitle})
		}
	}
	return out
}

// NormaliseID turns "aud1", "AUD1" or "AUD-1" into "AUD-1"; anything else
// is returned upper-cased as it is.
func NormaliseID(id string) string {
	id = strings.ToUpper(strings.TrimSpace(id))
	if len(id) > 3 && !strings.Contains(id, "-") {
		return id[:3] + "-" + id[3:]
	}
	return id
}
