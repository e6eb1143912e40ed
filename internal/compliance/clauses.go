// Package compliance answers, for one tenant at one instant, how Kluis
// meets each clause of the processing agreements (ADT-1: the controller
// gets all information needed to show compliance): Collect gathers the
// live facts (second factors, policy, backups and restore tests, the audit
// chain, supplier access, retention runs, requests and breaches with their
// clocks, sub-processors and where the data is), Build turns them into a
// status per clause with the evidence behind it and the tests that prove
// the mechanism. The report, the measures annexes and the drift alerts all
// read it; nothing here writes but the audited read of the facts.
//
// It imports the store and the domain packages; web and cli import it.
package compliance

import (
	"slices"
	"sort"

	"github.com/kluis/kluis/internal/clausecov"
)

// Kind says how a clause is answered.
type Kind string

// The kinds of clause.
const (
	// Technical: Kluis measures it from its own live facts or enforces it
	// by a mechanism its tests prove.
	Technical Kind = "technical"
	// Organisational: the supplier declares it (ORG-1…ORG-5); Kluis shows
	// the declaration and its date, marked as such.
	Organisational Kind = "organisational"
)

// Clause is one obligation of the contract digest
// (/work/shared/docs/contract.md), by its stable id.
type Clause struct {
	ID      string `json:"id"`      // "USR-2"
	Section int    `json:"section"` // the digest's chapter, 1…11
	Kind    Kind   `json:"kind"`
}

// TitleKey is the catalogue key of the clause's short title.
func (c Clause) TitleKey() string { return "compliance.clause." + c.ID }

// SectionKey is the catalogue key of chapter n's title.
func SectionKey(n int) string { return "compliance.section." + itoa(n) }

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}

// Clauses are all 55 clause ids of the digest in its order: the one list
// the report, the annexes and the agreement walk (a test fails when one is
// missing or Build leaves one out).
var Clauses = []Clause{
	{"REG-1", 1, Technical}, {"REG-2", 1, Technical}, {"REG-3", 1, Technical}, {"REG-4", 1, Technical},
	{"REG-5", 1, Technical}, {"REG-6", 1, Technical}, {"REG-7", 1, Technical},
	{"USR-1", 2, Technical}, {"USR-2", 2, Technical}, {"USR-3", 2, Technical}, {"USR-4", 2, Technical},
	{"USR-5", 2, Technical}, {"USR-6", 2, Technical}, {"USR-7", 2, Technical},
	{"AUD-1", 3, Technical}, {"AUD-2", 3, Technical}, {"AUD-3", 3, Technical}, {"AUD-4", 3, Technical}, {"AUD-5", 3, Technical},
	{"SEC-1", 4, Technical}, {"SEC-2", 4, Technical}, {"SEC-3", 4, Technical}, {"SEC-4", 4, Technical},
	{"SEC-5", 4, Technical}, {"SEC-6", 4, Technical},
	{"END-1", 5, Technical}, {"END-2", 5, Technical}, {"END-3", 5, Technical}, {"END-4", 5, Technical}, {"END-5", 5, Technical},
	{"DSR-1", 6, Technical}, {"DSR-2", 6, Technical}, {"DSR-3", 6, Technical}, {"DSR-4", 6, Technical},
	{"BRE-1", 7, Technical}, {"BRE-2", 7, Technical}, {"BRE-3", 7, Technical}, {"BRE-4", 7, Technical}, {"BRE-5", 7, Technical},
	{"SUB-1", 8, Technical}, {"SUB-2", 8, Technical}, {"SUB-3", 8, Technical},
	{"LOC-1", 9, Technical}, {"LOC-2", 9, Technical}, {"LOC-3", 9, Technical}, {"LOC-4", 9, Organisational},
	{"ADT-1", 10, Technical}, {"ADT-2", 10, Technical}, {"ADT-3", 10, Technical},
	{"ORG-1", 11, Organisational}, {"ORG-2", 11, Organisational}, {"ORG-3", 11, Organisational},
	{"ORG-4", 11, Organisational}, {"ORG-5", 11, Organisational}, {"ORG-6", 11, Technical},
}

// Sections is the number of chapters in the digest.
const Sections = 11

// ClauseByID returns the clause with id.
func ClauseByID(id string) (Clause, bool) {
	for _, c := range Clauses {
		if c.ID == id {
			return c, true
		}
	}
	return Clause{}, false
}

// Tests names the tests of this build that prove clause id's mechanism
// (named after it: TestClauseUSR2_…, and browser tests naming it), sorted:
// the list clausecov embeds in the binary.
func Tests(id string) []string {
	var out []string
	for _, t := range clausecov.TestsFor(id) {
		out = append(out, t.Name)
	}
	sort.Strings(out)
	return slices.Compact(out)
}
