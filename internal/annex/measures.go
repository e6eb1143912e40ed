package annex

import (
	"time"

	"github.com/kluis/kluis/internal/compliance"
	"github.com/kluis/kluis/internal/locale"
)

// Answer is what a measure's "OK?" column says (ADT-1: the controller gets
// the information that shows compliance, answered from facts Kluis can
// show rather than ticked on trust).
type Answer string

const (
	Met      Answer = "met"      // "Ja": Kluis shows the measure works
	Partly   Answer = "partly"   // "Gedeeltelijk": it works, with a shortfall named in the evidence
	NotMet   Answer = "not_met"  // "Neen"
	Declared Answer = "declared" // "Verklaring leverancier": software cannot prove it (ORG-1 … ORG-6)
)

// Finding is what the compliance report knows of one clause of the
// contract digest: its answer and the evidence behind it.
type Finding struct {
	Clause     string // "USR-2"
	Answer     Answer
	Evidence   string    // in words, in the document's language
	MeasuredAt time.Time // when the fact was read; zero when it was not measured
	Link       string    // the evidence page under the tenant ("/admin/users"); "" when none
}

// MeasuresInput is what the measures annexes are made of: the controller
// and the compliance report's findings at one moment.
type MeasuresInput struct {
	Controller string
	KBO        string // formatted
	Generated  time.Time
	Findings   []Finding
	// Link turns a finding's tenant path into the address the document
	// shows: a path for a page, an absolute address (tenant.Link) for a
	// PDF. nil leaves paths as they are.
	Link func(path string) string
}

// MeasuresDocument is one of the measures annexes in one language: VO-B
// annex 1's checklist with its "OK?" column, or VO-A annex 2's list of the
// web application's measures.
type MeasuresDocument struct {
	Kind       string // "measures" (VO-B) or "annex2" (VO-A)
	Lang       locale.Lang
	Controller string
	KBO        string
	Generated  string
	Groups     []MeasureGroup
	// HTMLTwin is the address of the same document as a web page, the
	// PDF's accessible version; "" when unknown.
	HTMLTwin string
}

// MeasureGroup is a heading of the checklist with its measures.
type MeasureGroup struct {
	ID      string
	Heading string
	Note    string // what the group's answers mean; "" when nothing to say
	Rows    []MeasureRow
}

// MeasureRow is one measure: its wording, the clause ids it answers, the
// combined answer and the evidence clause by clause.
type MeasureRow struct {
	ID         string
	Measure    string
	Clauses    []string
	Answer     Answer
	AnswerText string // "Ja", "Gedeeltelijk", "Neen", "Verklaring leverancier"
	// Ticked is VO-A annex 2's tick: the measure is in place, shown by
	// Kluis or declared by the supplier.
	Ticked   bool
	Evidence []Evidence
}

// Evidence is one clause's evidence in a row.
type Evidence struct {
	Clause     string
	Answer     Answer
	AnswerText string
	Text       string
	MeasuredAt string // "" when not measured
	Link       string // "" when none
}

// measureDef is a row of a checklist: its message key and the clauses it
// answers.
type measureDef struct {
	id      string
	clauses []string
}

type groupDef struct {
	id   string
	note bool // the group has a note under its heading
	rows []measureDef
}

// vobChecklist is VO-B annex 1's measures checklist: physical,
// organisational and technical measures, each answered in its "OK?"
// column, with the contract digest's clauses behind each row.
var vobChecklist = []groupDef{
	{"physical", false, []measureDef{
		{"eea_datacentre", []string{"LOC-1"}},
		{"second_datacentre", []string{"SEC-6"}},
		{"recovery", []string{"SEC-4"}},
	}},
	{"organisational", true, []measureDef{
		{"officers", []string{"ORG-1"}},
		{"confidentiality", []string{"ORG-2"}},
		{"breach_information", []string{"ORG-3", "BRE-1"}},
		{"sla", []string{"ORG-4"}},
		{"risk_recovery", []string{"ORG-5"}},
		{"segregation", []string{"ORG-6", "USR-5"}},
		{"supplier_access", []string{"AUD-4", "AUD-5"}},
		{"subprocessors", []string{"SUB-1", "SUB-2", "SUB-3"}},
		{"evaluation", []string{"SEC-5"}},
	}},
	{"technical", false, []measureDef{
		{"user_management", []string{"USR-1", "USR-4"}},
		{"mfa", []string{"USR-2"}},
		{"passwords", []string{"USR-3", "USR-6"}},
		{"encryption", []string{"USR-7", "SEC-2"}},
		{"audit_log", []string{"AUD-1", "AUD-2", "AUD-3"}},
		{"integrity", []string{"SEC-3"}},
		{"anonymisation", []string{"SEC-1"}},
		{"backups", []string{"END-2"}},
		{"export", []string{"END-1", "END-3"}},
		{"transport", []string{"LOC-2"}},
		{"owasp", []string{"LOC-3"}},
		{"updates", []string{"LOC-4"}},
	}},
}

// voaAnnex2 is VO-A annex 2's list of the web application's measures, in
// its sections, one clause a line.
var voaAnnex2 = []groupDef{
	{"users", false, clauseRows("USR-1", "USR-2", "USR-3", "USR-4", "USR-5", "USR-6", "USR-7")},
	{"audit", false, clauseRows("AUD-1", "AUD-2", "AUD-3")},
	{"anonymisation", false, clauseRows("SEC-1", "SEC-2")},
	{"export", false, clauseRows("END-1", "END-2")},
	{"privacy", false, clauseRows("DSR-4")},
	{"hosting", false, clauseRows("LOC-1", "LOC-2", "LOC-3", "LOC-4")},
	{"organisation", true, clauseRows("AUD-4", "ORG-3", "ORG-4")},
}

func clauseRows(ids ...string) []measureDef {
	out := make([]measureDef, len(ids))
	for i, id := range ids {
		out[i] = measureDef{id, []string{id}}
	}
	return out
}

// Measures lays out VO-B annex 1's measures checklist in lang, its "OK?"
// column answered from in's findings.
func Measures(in MeasuresInput, lang locale.Lang) MeasuresDocument {
	return buildMeasures("measures", vobChecklist, in, lang)
}

// AnnexTwo lays out VO-A annex 2's list of measures in lang, each ticked
// or not from in's findings.
func AnnexTwo(in MeasuresInput, lang locale.Lang) MeasuresDocument {
	return buildMeasures("annex2", voaAnnex2, in, lang)
}

func buildMeasures(kind string, groups []groupDef, in MeasuresInput, lang locale.Lang) MeasuresDocument {
	t := func(key string, args ...any) string { return locale.T(lang, key, args...) }
	link := in.Link
	if link == nil {
		link = func(p string) string { return p }
	}
	byClause := make(map[string]Finding, len(in.Findings))
	for _, f := range in.Findings {
		byClause[f.Clause] = f
	}
	d := MeasuresDocument{Kind: kind, Lang: lang, Controller: in.Controller, KBO: in.KBO, Generated: stamp(in.Generated)}
	for _, g := range groups {
		mg := MeasureGroup{ID: g.id, Heading: t("measures." + kind + ".group." + g.id)}
		if g.note {
			mg.Note = t("measures." + kind + ".note." + g.id)
		}
		for _, def := range g.rows {
			row := MeasureRow{ID: def.id, Clauses: def.clauses}
			if kind == "annex2" {
				row.Measure = t("measures.clause." + def.id)
			} else {
				row.Measure = t("measures.row." + def.id)
			}
			var answers []Answer
			for _, c := range def.clauses {
				f, ok := byClause[c]
				if !ok {
					// Fail closed: a clause the report does not answer is
					// not shown as met.
					f = Finding{Clause: c, Answer: NotMet, Evidence: t("measures.no_evidence")}
				}
				ev := Evidence{Clause: c, Answer: f.Answer, AnswerText: t("measures.answer." + string(f.Answer)), Text: f.Evidence}
				if !f.MeasuredAt.IsZero() {
					ev.MeasuredAt = stamp(f.MeasuredAt)
				}
				if f.Link != "" {
					ev.Link = link(f.Link)
				}
				row.Evidence = append(row.Evidence, ev)
				answers = append(answers, f.Answer)
			}
			row.Answer = combine(answers)
			row.AnswerText = t("measures.answer." + string(row.Answer))
			row.Ticked = row.Answer == Met || row.Answer == Declared
			mg.Rows = append(mg.Rows, row)
		}
		d.Groups = append(d.Groups, mg)
	}
	return d
}

// combine is a row's answer from its clauses': "Ja" only when each is met
// (or declared beside one that is met), "Neen" when none is met or
// declared, "Verklaring leverancier" when all are declarations, otherwise
// "Gedeeltelijk".
func combine(as []Answer) Answer {
	n := map[Answer]int{}
	for _, a := range as {
		n[a]++
	}
	switch {
	case n[Declared] == len(as):
		return Declared
	case n[NotMet] == len(as):
		return NotMet
	case n[Met]+n[Declared] == len(as):
		return Met
	default:
		return Partly
	}
}

// stamp is a moment as people in Belgium read it, as the compliance
// report writes it.
func stamp(t time.Time) string { return compliance.FormatTime(t) }

// Title is the document's title in its language.
func (d MeasuresDocument) Title() string { return locale.T(d.Lang, "measures."+d.Kind+".title") }

func (d MeasuresDocument) t(key string, args ...any) string { return locale.T(d.Lang, key, args...) }
