package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// The words of a drift alert and of the report's list of changes (ADT-1),
// in the reader's language: the store keeps only catalogue keys, statuses
// and arguments, so the same flip reads in Dutch to the DPO and in French
// to a French-speaking admin.

// DriftPath is the report's list of changes, below /{tenant}: where the
// drift mail links to.
const DriftPath = "/admin/compliance/changes"

// DriftReasonFact is the fact that holds why a clause has its status: the
// report's reason key with its arguments (EncodeDriftReason). The alert
// shows it before and now.
const DriftReasonFact = "reason"

// EncodeDriftReason keeps a catalogue key and its arguments as one fact:
// a JSON list of the key and each argument tagged with its kind (i: an
// integer, t: a time, s: text), so that it reads back in any language.
func EncodeDriftReason(key string, args ...any) string {
	list := []string{key}
	for _, a := range args {
		switch v := a.(type) {
		case int:
			list = append(list, "i:"+strconv.Itoa(v))
		case int64:
			list = append(list, "i:"+strconv.FormatInt(v, 10))
		case time.Time:
			list = append(list, "t:"+v.UTC().Format(time.RFC3339))
		default:
			list = append(list, "s:"+fmt.Sprint(v))
		}
	}
	b, _ := json.Marshal(list)
	return string(b)
}

// DriftReason is the sentence of an encoded reason in l ("" for none or
// one the catalogue lacks):
// times in Brussels time, as the pages show them.
func DriftReason(l locale.Lang, encoded string) string {
	var list []string
	if encoded == "" || json.Unmarshal([]byte(encoded), &list) != nil || len(list) == 0 || !locale.Has(locale.NL, list[0]) {
		return "" // never a raw key: without its sentence the statuses say it
	}
	var args []any
	for _, a := range list[1:] {
		kind, v, _ := strings.Cut(a, ":")
		switch kind {
		case "i":
			n, _ := strconv.Atoi(v)
			args = append(args, n)
		case "t":
			if t, err := time.Parse(time.RFC3339, v); err == nil {
				args = append(args, t.In(workdays.Brussels).Format("02.01.2006 15:04"))
				continue
			}
			args = append(args, v)
		default:
			args = append(args, v)
		}
	}
	return locale.T(l, list[0], args...)
}

// DriftMailer composes the run's one mail in lang: for every flip the
// clause, its status before and now, since when, and why it had and has
// that status; then the link to the report's changes. Clause ids,
// statuses and counts only: nothing personal.
func DriftMailer(baseURL string) DriftMail {
	return func(t tenant.Tenant, lang string, flips []ComplianceDrift) OutgoingMail {
		l, ok := locale.Parse(lang)
		if !ok {
			l = locale.NL
		}
		var b strings.Builder
		for _, f := range flips {
			b.WriteString("- " + DriftLine(l, f) + "\n")
			if now := DriftReason(l, f.ToFacts[DriftReasonFact]); now != "" {
				b.WriteString("  " + locale.T(l, "drift.mail.now", now) + "\n")
			}
			if before := DriftReason(l, f.FromFacts[DriftReasonFact]); before != "" {
				b.WriteString("  " + locale.T(l, "drift.mail.before", before) + "\n")
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

// DriftLine is one flip as a sentence: "USR-2 (…): was met, is now partly
// met (since 05.12.2026 13:00)."
func DriftLine(l locale.Lang, f ComplianceDrift) string {
	return locale.T(l, "drift.mail.flip", f.Clause, DriftClauseTitle(l, f.Clause), DriftStatus(l, f.From), DriftStatus(l, f.To),
		f.ChangedAt.In(workdays.Brussels).Format("02.01.2006 15:04"))
}

// DriftStatus is a status as people read it.
func DriftStatus(l locale.Lang, status string) string {
	return locale.T(l, "drift.status."+status)
}

// DriftClauseTitle is " (the clause's short title)" in l, or "" while the
// catalogue has none.
func DriftClauseTitle(l locale.Lang, clause string) string {
	if name := DriftClauseName(l, clause); name != "" {
		return " (" + name + ")"
	}
	return ""
}

// DriftClauseName is the clause's short title in l, or "" while the
// catalogue has none. The key is the report's (compliance.Clause.TitleKey).
func DriftClauseName(l locale.Lang, clause string) string {
	if key := "compliance.clause." + clause; locale.Has(l, key) {
		return locale.T(l, key)
	}
	return ""
}

// worse orders the statuses from the best to the worst.
var worse = map[string]int{"met": 0, "declared": 1, "partly": 2, "not_met": 3}

// driftWorse reports whether flip f made its clause worse.
func driftWorse(f ComplianceDrift) bool { return worse[f.To] > worse[f.From] }

// anyWorse reports whether a flip made a clause worse: the subject then
// says so, rather than that it was restored.
func anyWorse(flips []ComplianceDrift) bool {
	for _, f := range flips {
		if driftWorse(f) {
			return true
		}
	}
	return false
}
