package breach

import (
	"slices"
	"strings"
	"time"
)

// Scope from evidence (BRE-1, BRE-5): what the audit log says one actor
// touched in a time window, turned into the annex-2 form's number of people
// and classification of the data.

// The actors a scope can be asked for. A grant is the controller's grant
// under which supplier staff acted (AUD-4), matched on the events'
// on-behalf-of. The client address is not recorded on audit events, so it
// cannot be asked for.
const (
	ScopeUser     = "user"
	ScopeOperator = "operator"
	ScopeAPIKey   = "apikey"
	ScopeGrant    = "grant"
)

// ScopeActors are the actor kinds in the order of the form.
var ScopeActors = []string{ScopeUser, ScopeOperator, ScopeAPIKey, ScopeGrant}

// ScopeMaxWindow bounds the window a scope reads: longer questions are
// better asked of the audit log's export.
const ScopeMaxWindow = 366 * 24 * time.Hour

// ScopeQuery is the question: who, between From (inclusive) and Until
// (exclusive).
type ScopeQuery struct {
	From, Until time.Time
	Actor       string // one of ScopeActors
	ActorID     string // the user, operator, API key or grant id
}

// Validate returns the query's problems, input id → message key.
func (q ScopeQuery) Validate(now time.Time) map[string]string {
	bad := map[string]string{}
	if q.From.IsZero() {
		bad["scope_from"] = "scope.error.from_required"
	} else if q.From.After(now) {
		bad["scope_from"] = "scope.error.future"
	}
	switch {
	case q.Until.IsZero():
		bad["scope_until"] = "scope.error.until_required"
	case !q.From.IsZero() && !q.Until.After(q.From):
		bad["scope_until"] = "scope.error.end_before_start"
	case !q.From.IsZero() && q.Until.Sub(q.From) > ScopeMaxWindow:
		bad["scope_until"] = "scope.error.too_long"
	}
	if !slices.Contains(ScopeActors, q.Actor) {
		bad["scope_actor"] = "scope.error.actor"
	}
	if id := strings.TrimSpace(q.ActorID); id == "" {
		bad["scope_actor_id"] = "scope.error.actor_id_required"
	} else if len(id) > ShortMax {
		bad["scope_actor_id"] = "breach.error.too_long"
	}
	return bad
}

// Scope is the answer, counted from the audit log.
type Scope struct {
	Query ScopeQuery
	// Submissions: distinct submissions the actor read, listed or changed
	// with success in the window (a list counts every submission it showed).
	Submissions int
	// People: distinct citizens among them by the subject blind index, or
	// else the contact index. Unidentified: submissions with neither, each
	// possibly one more person.
	People       int
	Unidentified int
	// Forms: the keys of the forms of those submissions, sorted.
	Forms []string
	// InfoClasses: the REG-7 information classes the forms' fields carry,
	// sorted; Letters: the annex-2 classification they map to (ClassLetters).
	InfoClasses []string
	Letters     []string
}

// PeopleBounds is the annex's "at least … and at most …": the identified
// people at least (one when only unidentified submissions were touched),
// and each unidentified submission one more at most.
func (s Scope) PeopleBounds() (min, max int) {
	min, max = s.People, s.People+s.Unidentified
	if min == 0 && s.Unidentified > 0 {
		min = 1
	}
	return min, max
}

// regClassLetters maps each REG-7 information class (register.Classes) to
// the annex-2 classification letters (BRE-5). The table is deliberately
// generous: a pre-fill the staff member reviews, where a letter too many is
// struck out and a letter missing would be a breach under-reported.
//
//	1.00 public                         → (none: not personal data)
//	2.00 professional contact details   → B C D  identification, phone, e-mail
//	3.00 personal contact details       → B C D
//	3.01 identification data            → B
//	3.02 personal characteristics       → I      demographic data
//	3.03 consumption habits             → O      lifestyle
//	3.04 housing characteristics        → I
//	3.05 education and training         → I
//	3.06 profession and employment      → I
//	3.07 leisure and interests          → O
//	3.08 national register number       → G
//	4.00 financial and fiscal data      → F M    account numbers; financial situation
//	4.01 living habits                  → O
//	4.02 physical, medical, psychical   → K      health
//	4.03 household composition          → I
//	4.04 legal and judicial data        → L      criminal data
//	4.05 racial or ethnic data          → J
//	4.06 sexual orientation             → K
//	4.07 political, philosophical, religious → J
//	4.08 image and sound recordings     → Q      other
//	4.09 genetic and biometric data     → K
//	4.10 location data                  → Q
//	4.11 contract details with employer → M      salary
//	4.12 evaluation and performance     → Q
//	4.13 social security data           → M
//	4.14 statutes and permits           → Q
//	5.00 top secret                     → Q
var regClassLetters = map[string][]string{
	"1.00": nil,
	"2.00": {"B", "C", "D"}, "3.00": {"B", "C", "D"},
	"3.01": {"B"}, "3.02": {"I"}, "3.03": {"O"}, "3.04": {"I"}, "3.05": {"I"}, "3.06": {"I"}, "3.07": {"O"}, "3.08": {"G"},
	"4.00": {"F", "M"}, "4.01": {"O"}, "4.02": {"K"}, "4.03": {"I"}, "4.04": {"L"}, "4.05": {"J"}, "4.06": {"K"},
	"4.07": {"J"}, "4.08": {"Q"}, "4.09": {"K"}, "4.10": {"Q"}, "4.11": {"M"}, "4.12": {"Q"}, "4.13": {"M"}, "4.14": {"Q"},
	"5.00": {"Q"},
}

// ClassLetters maps REG-7 information classes to the annex-2 letters,
// sorted and each once. A class the table does not know maps to Q (other).
func ClassLetters(classes []string) []string {
	var out []string
	for _, c := range classes {
		letters, ok := regClassLetters[strings.TrimSpace(c)]
		if !ok {
			letters = []string{"Q"}
		}
		out = append(out, letters...)
	}
	return sortedUnique(out)
}

// ApplyScope pre-fills the report from s: the number of people as "at
// least … and at most …" and the classification letters added to those
// already chosen (never removed: the staff member may know more). With Q
// among the new letters and no description of it yet, ClassOther names the
// REG-7 classes behind it.
func (r *Report) ApplyScope(s Scope) {
	min, max := s.PeopleBounds()
	r.People, r.PeopleMin, r.PeopleMax = PeopleRange, &min, &max
	r.Classes = sortedUnique(append(slices.Clone(r.Classes), s.Letters...))
	if slices.Contains(s.Letters, "Q") && r.ClassOther == "" {
		var other []string
		for _, c := range s.InfoClasses {
			if l, ok := regClassLetters[c]; !ok || slices.Contains(l, "Q") {
				other = append(other, c)
			}
		}
		r.ClassOther = "REG-7 " + strings.Join(other, ", ")
	}
}
