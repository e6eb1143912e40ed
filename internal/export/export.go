// Package export renders a form's submissions as a CSV, XLSX or PDF file
// for staff (issue 5, END-1) and encrypts such a file at rest: the columns
// and the values as the receipt shows them, in the user's language, and
// chunked AES-256-GCM with a per-export key. It does no I/O of its own
// beyond the writers it is given.
//
// It imports the domain packages form, ident, register and locale, and the
// file libraries (encoding/csv, archive/zip for XLSX, fpdf).
package export

import (
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Brussels without a zone database on the host

	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/locale"
)

var brussels = func() *time.Location {
	l, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		panic(err)
	}
	return l
}()

// Row is one submission to export.
type Row struct {
	ID          string
	Reference   string
	Status      string
	ReceivedAt  time.Time
	FormVersion int
	DueDay      time.Time // the due date (a day); zero: no handling time
	Lang        string    // the citizen's language (nl, fr, en); "" when not recorded
	Answers     form.Answers
	Files       map[string][]string // attachment names by field key
	// Unreadable: the submission's answers could not be opened; its row
	// says so in place of the answers, and the export goes on.
	Unreadable bool
}

// Table knows the columns of a form's export: reference, received at
// (Europe/Brussels), status, form version, due date, the citizen's
// language, then every field of every
// version given (the newest version's order first, then fields that only
// older versions had), labelled in Lang.
type Table struct {
	Lang     locale.Lang
	Title    string
	versions map[int]form.Form
	keys     []string
	labels   []string
}

// NewTable builds the columns from the form's versions by number.
func NewTable(lang locale.Lang, versions map[int]form.Form) *Table {
	t := &Table{Lang: lang, versions: versions}
	nums := make([]int, 0, len(versions))
	for v := range versions {
		nums = append(nums, v)
	}
	slices.Sort(nums)
	slices.Reverse(nums)
	for i, v := range nums {
		f := versions[v]
		if i == 0 {
			t.Title = f.Title.In(string(lang))
		}
		for _, fl := range f.Fields() {
			if slices.Contains(t.keys, fl.Key) {
				continue
			}
			t.keys = append(t.keys, fl.Key)
			t.labels = append(t.labels, fl.Label.In(string(lang)))
		}
	}
	return t
}

func (t *Table) t(key string, args ...any) string { return locale.T(t.Lang, key, args...) }

// Header is the first row.
func (t *Table) Header() []string {
	return append([]string{t.t("export.col.reference"), t.t("export.col.received"), t.t("export.col.status"),
		t.t("export.col.version"), t.t("casework.col.due"), t.t("casework.col.lang")}, t.labels...)
}

// Cells is one submission's row, its values as on the receipt; an
// attachment is given by its name only.
func (t *Table) Cells(r Row) []string {
	out := make([]string, 0, 6+len(t.keys))
	due, lang := "", ""
	if !r.DueDay.IsZero() {
		due = r.DueDay.Format("02.01.2006")
	}
	if l, ok := locale.Parse(r.Lang); ok {
		lang = t.t("casework.lang." + string(l))
	}
	out = append(out, r.Reference, r.ReceivedAt.In(brussels).Format("02.01.2006 15:04"), t.t("export.status."+r.Status),
		strconv.Itoa(r.FormVersion), due, lang)
	if r.Unreadable {
		for i := range t.keys {
			if i == 0 {
				out = append(out, t.Unreadable())
			} else {
				out = append(out, "")
			}
		}
		return out
	}
	f := t.versions[r.FormVersion]
	for _, k := range t.keys {
		fl, ok := f.Field(k)
		switch {
		case !ok:
			out = append(out, "")
		case fl.Type == form.TypeFile:
			out = append(out, strings.Join(r.Files[k], ", "))
		default:
			out = append(out, t.display(fl, r.Answers[k]))
		}
	}
	return out
}

// Unreadable is what the file says in place of a value that could not be
// opened.
func (t *Table) Unreadable() string { return t.t("robust.export.unreadable") }

// display renders an answer as the receipt does.
func (t *Table) display(fl form.Field, ans form.Answer) string {
	return fl.Display(ans, string(t.Lang), func(key string) string { return t.t(key) })
}
