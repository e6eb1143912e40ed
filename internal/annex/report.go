package annex

import (
	"strings"

	"github.com/kluis/kluis/internal/compliance"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/tenant"
)

// FromReport is the measures annexes' input from a tenant's compliance
// report (ADT-1): each clause's status, the reason and evidence in lang's
// words, when the first fact was measured and the page that shows it. kbo
// is the controller's enterprise number, formatted; link turns a
// report's back-office path ("/gent/admin/users") into the address the
// document shows (nil: the path itself).
func FromReport(r compliance.Report, lang locale.Lang, kbo string, link func(path string) string) MeasuresInput {
	in := MeasuresInput{Controller: r.TenantName, KBO: kbo, Generated: r.At, Link: link}
	for _, it := range r.Items {
		f := Finding{Clause: it.ID, Answer: Answer(it.Status), MeasuredAt: r.At}
		var words []string
		if s := sentence(lang, it.Reason, it.ReasonArgs); s != "" {
			words = append(words, s)
		}
		for i, e := range it.Evidence {
			// A machine value (e.Value: "none", "2/3") is no sentence
			// for people: without its sentence the evidence is left out.
			if s := sentence(lang, e.Label, e.Args); s != "" {
				words = append(words, s)
			}
			if i == 0 && !e.MeasuredAt.IsZero() {
				f.MeasuredAt = e.MeasuredAt
			}
			if f.Link == "" {
				f.Link = e.Link
			}
		}
		f.Evidence = strings.Join(words, " ")
		in.Findings = append(in.Findings, f)
	}
	return in
}

// MeasuresOf lays out VO-B annex 1's measures checklist from a compliance
// report in lang: the annex the agreement carries (see FromReport).
func MeasuresOf(r compliance.Report, lang locale.Lang, kbo string, link func(path string) string) MeasuresDocument {
	return Measures(FromReport(r, lang, kbo, link), lang)
}

// AnnexTwoOf lays out VO-A annex 2's list from a compliance report in lang.
func AnnexTwoOf(r compliance.Report, lang locale.Lang, kbo string, link func(path string) string) MeasuresDocument {
	return AnnexTwo(FromReport(r, lang, kbo, link), lang)
}

// sentence is the catalogue sentence key with args in lang, as the
// compliance report words it; "" when the catalogue has no such sentence,
// so that no key reaches a reader.
func sentence(lang locale.Lang, key string, args []any) string {
	if key == "" {
		return ""
	}
	if s := compliance.Text(lang, key, args); s != key {
		// Sentences end with a full stop, however the catalogue ends them.
		if !strings.HasSuffix(s, ".") {
			s += "."
		}
		return s
	}
	return ""
}

// AbsoluteLinks turns the report's back-office paths ("/gent/admin/users")
// into absolute addresses on the tenant's own host, or under baseURL when
// it has none (tenant.Link), for a PDF read away from the application.
func AbsoluteLinks(baseURL, slug, primaryHost string) func(path string) string {
	return func(p string) string { return tenant.Link(baseURL, slug, primaryHost, strings.TrimPrefix(p, "/"+slug)) }
}
