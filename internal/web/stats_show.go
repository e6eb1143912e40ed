package web

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// The form statistics (issue 5): per form, day of receipt and status,
// without personal data, so the figures outlive the submissions retention
// removes. Admins and the DPO read them; a CSV opens in Excel.

type statsDay struct {
	Day    string
	Counts []int64 // per store.Statuses
	Total  int64
}

type statsForm struct {
	Key, Title string
	Days       []statsDay
	Totals     statsDay
}

type statsPage struct {
	Slug, TenantName string
	From, To         string
	Statuses         []string // labels, in store.Statuses order
	Forms            []statsForm
	Errors           fieldErrors
	CSV              string // link to the same figures as CSV
}

// statsRange is the period asked, by default the last 30 days.
func (a *App) statsRange(r *http.Request) (string, string, fieldErrors) {
	now := a.opts.Store.Now().In(brussels)
	from, to := now.AddDate(0, 0, -29).Format(time.DateOnly), now.Format(time.DateOnly)
	q := r.URL.Query()
	start, end, errs := a.period(r, q.Get("from"), q.Get("to"))
	if !start.IsZero() {
		from = start.Format(time.DateOnly)
	}
	if !end.IsZero() {
		to = end.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	return from, to, errs
}

func (a *App) statsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	from, to, errs := a.statsRange(r)
	p := statsPage{Slug: t.Slug, TenantName: t.LegalName, From: from, To: to, Errors: errs}
	for _, s := range store.Statuses {
		p.Statuses = append(p.Statuses, a.t(r, "inbox.status."+s))
	}
	if len(errs) > 0 {
		a.render(w, r, http.StatusBadRequest, "stats", p)
		return
	}
	figures, err := a.opts.Store.FormStats(r.Context(), t.ID, from, to)
	if err != nil {
		a.internalError(w, r, "form stats", err)
		return
	}
	col := map[string]int{}
	for i, s := range store.Statuses {
		col[s] = i
	}
	var cur *statsForm
	for _, f := range figures {
		if cur == nil || cur.Key != f.FormKey {
			p.Forms = append(p.Forms, statsForm{Key: f.FormKey, Title: a.formTitle(r, t.ID, f.FormKey), Totals: statsDay{Counts: make([]int64, len(store.Statuses))}})
			cur = &p.Forms[len(p.Forms)-1]
		}
		if n := len(cur.Days); n == 0 || cur.Days[n-1].Day != f.Day {
			cur.Days = append(cur.Days, statsDay{Day: f.Day, Counts: make([]int64, len(store.Statuses))})
		}
		d := &cur.Days[len(cur.Days)-1]
		if i, ok := col[f.Status]; ok {
			d.Counts[i] += f.Count
			cur.Totals.Counts[i] += f.Count
		}
		d.Total += f.Count
		cur.Totals.Total += f.Count
	}
	if r.URL.Query().Get("format") == "csv" {
		a.statsCSV(w, r, p)
		return
	}
	p.CSV = "/" + t.Slug + "/admin/stats?format=csv&from=" + from + "&to=" + to
	a.render(w, r, http.StatusOK, "stats", p)
}

// statsCSV writes the figures for Excel as Belgian offices have it: UTF-8
// with a byte order mark, semicolons, one row per form and day.
func (a *App) statsCSV(w http.ResponseWriter, r *http.Request, p statsPage) {
	var b bytes.Buffer
	b.WriteString("\ufeff")
	cw := csv.NewWriter(&b)
	cw.Comma = ';'
	head := []string{a.t(r, "inbox.col.form"), a.t(r, "stats.col.day")}
	head = append(head, p.Statuses...)
	cw.Write(append(head, a.t(r, "stats.col.total")))
	for _, f := range p.Forms {
		for _, d := range f.Days {
			row := []string{f.Title, d.Day}
			for _, c := range d.Counts {
				row = append(row, strconv.FormatInt(c, 10))
			}
			cw.Write(append(row, strconv.FormatInt(d.Total, 10)))
		}
	}
	cw.Flush()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+a.t(r, "stats.csv_name", p.From, p.To)+`"`)
	w.Write(b.Bytes())
}
