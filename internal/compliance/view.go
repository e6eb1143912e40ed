package compliance

import (
	"time"

	"github.com/kluis/kluis/internal/locale"
)

// The report in a reader's language: every key and argument resolved to
// text, times in Brussels. The back-office page and the command's HTML
// both show this.

// EvidenceView is one evidence item in words.
type EvidenceView struct {
	Text       string
	MeasuredAt string
	Link       string
}

// ItemView is one clause in words.
type ItemView struct {
	ID, Title   string
	Status      Status
	StatusLabel string
	Reason      string
	Evidence    []EvidenceView
	Tests       []string
}

// SectionView is one chapter in words.
type SectionView struct {
	N     int
	Title string
	Items []ItemView
}

// View is the whole report in words.
type View struct {
	Lang       locale.Lang
	TenantName string
	At         string
	Counts     []CountView
	Sections   []SectionView
}

// CountView is how many clauses have one status.
type CountView struct {
	Status Status
	Label  string
	N      int
}

var brussels = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Brussels"); err == nil {
		return l
	}
	return time.UTC
}()

// FormatTime is how the report writes a moment: Brussels time,
// "05.12.2026 11:00" (a zero time is "–").
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.In(brussels).Format("02.01.2006 15:04")
}

// Text resolves key with args in lang, times written as FormatTime does.
func Text(lang locale.Lang, key string, args []any) string {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			out[i] = FormatTime(v)
		case *time.Time:
			if v == nil {
				out[i] = "–"
			} else {
				out[i] = FormatTime(*v)
			}
		default:
			out[i] = a
		}
	}
	return locale.T(lang, key, out...)
}

// Statuses are the statuses in the order a summary shows them.
var Statuses = []Status{Met, Partly, NotMet, Declared}

// ViewIn renders r in lang.
func ViewIn(r Report, lang locale.Lang) View {
	v := View{Lang: lang, TenantName: r.TenantName, At: FormatTime(r.At)}
	for _, s := range Statuses {
		v.Counts = append(v.Counts, CountView{Status: s, Label: locale.T(lang, s.LabelKey()), N: r.Count(s)})
	}
	for _, s := range r.Sections() {
		sv := SectionView{N: s.N, Title: locale.T(lang, s.Title)}
		for _, it := range s.Items {
			iv := ItemView{ID: it.ID, Title: locale.T(lang, it.TitleKey()), Status: it.Status, StatusLabel: locale.T(lang, it.Status.LabelKey()),
				Reason: Text(lang, it.Reason, it.ReasonArgs), Tests: it.Tests}
			for _, e := range it.Evidence {
				iv.Evidence = append(iv.Evidence, EvidenceView{Text: Text(lang, e.Label, e.Args), MeasuredAt: FormatTime(e.MeasuredAt), Link: e.Link})
			}
			sv.Items = append(sv.Items, iv)
		}
		v.Sections = append(v.Sections, sv)
	}
	return v
}
