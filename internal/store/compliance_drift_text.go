package store

import (
	"strings"

	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// DriftPath is the report's list of changes, below /{tenant}: where the
// drift mail links to.
const DriftPath = "/admin/compliance/changes"

// DriftMailer composes the run's one mail in lang: for every flip the
// clause, its status before and now, since when, and each fact that
// changed with its value before and now; then the link to the report's
// changes. Clause ids, statuses and counts only: nothing personal.
func DriftMailer(baseURL string) DriftMail {
	return func(t tenant.Tenant, lang string, flips []ComplianceDrift) OutgoingMail {
		l, ok := locale.Parse(lang)
		if !ok {
			l = locale.NL
		}
		var b strings.Builder
		for _, f := range flips {
			b.WriteString(DriftLine(l, f))
			b.WriteString("\n")
			for _, k := range f.ChangedFacts() {
				b.WriteString("  " + locale.T(l, "drift.mail.fact", DriftFactLabel(l, k), DriftFactValue(l, f.FromFacts[k]), DriftFactValue(l, f.ToFacts[k])) + "\n")
			}
			b.WriteString("\n")
		}
		link := t.Link(strings.TrimRight(baseURL, "/"), DriftPath)
		subject := "drift.mail.subject.worse"
		if !anyWorse(flips) {
			subject = "drift.mail.subject.better"
		}
		return OutgoingMail{Lang: string(l),
			Subject: locale.T(l, subject, t.LegalName),
			Body:    locale.T(l, "drift.mail.body", t.LegalName, b.String(), link)}
	}
}

// DriftLine is one flip as a sentence: "USR-2 (…): was met, now partly met,
// since 05.12.2026 13:00."
func DriftLine(l locale.Lang, f ComplianceDrift) string {
	return locale.T(l, "drift.mail.flip", f.Clause, DriftClauseTitle(l, f.Clause), DriftStatus(l, f.From), DriftStatus(l, f.To),
		f.ChangedAt.In(workdays.Brussels).Format("02.01.2006 15:04"))
}

// DriftStatus is a status as people read it.
func DriftStatus(l locale.Lang, status string) string {
	return locale.T(l, "drift.status."+status)
}

// DriftFactValue is a fact's value as people read it: "—" for none.
func DriftFactValue(l locale.Lang, v string) string {
	if v == "" {
		return "—"
	}
	return v
}

// DriftFactLabel names fact k in l.
func DriftFactLabel(l locale.Lang, k string) string {
	return locale.T(l, "drift.fact."+k)
}

// DriftClauseTitle is " (the clause's short title)" in l, or "" when
// the catalogue has none.
func DriftClauseTitle(l locale.Lang, clause string) string {
	if key := "drift.clause." + clause; locale.Has(l, key) {
		return " (" + locale.T(l, key) + ")"
	}
	return ""
}

// worse orders the statuses from the best to the worst.
var worse = map[string]int{"met": 0, "declared": 1, "partly": 2, "not_met": 3}

// anyWorse reports whether a flip made a clause worse: the subject then
// says so, rather than that it was restored.
func anyWorse(flips []ComplianceDrift) bool {
	for _, f := range flips {
		if worse[f.To] > worse[f.From] {
			return true
		}
	}
	return false
}
