package web

import (
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
)

// The retention page (SEC-1), under the register: for the admin and the
// DPO, what each register category lets expire at the next run and in the
// next 30 days (a dry run of the engine: nothing changes), the history of
// runs, and legal holds — set on a submission (by its reference) or a
// whole form with a reason and an end date, and lifted.

func retentionPath(r *http.Request) string {
	return "/" + tenantFrom(r.Context()).Slug + "/admin/register/retention"
}

// retentionOutlook is one line of the outlook: a register category or a
// table with a fixed period.
type retentionOutlook struct {
	Name          string
	Next          string // the first value's expiry, "" when none
	Days          int
	Start, Action string // labels
	Now, Month    int64
}

// retentionTable is one table of the outlook: the register's categories,
// or the tables with a fixed period.
type retentionTable struct {
	ID, Caption, Head string
	Rows              []retentionOutlook
	WithNext          bool // the column of the first expiry
}

type retentionRunRow struct {
	Started, Finished, Status, By string
	Resumed                       int
	Counts                        []string
}

type retentionHoldRow struct {
	ID, What, Reason, Until string
	Active                  bool
}

type retentionPage struct {
	Slug, TenantName string
	NoRegister       bool
	Outlooks         []retentionTable
	HeldNow          int64
	Runs             []retentionRunRow
	Holds            []retentionHoldRow
	Forms            []inboxOption
	Form             struct{ Reference, Reason, Until string }
	Errors           fieldErrors
	Done             string
}

// retentionShow renders the page.
func (a *App) retentionShow(w http.ResponseWriter, r *http.Request, me account.User) {
	p := retentionPage{}
	// From a case's page: the form to put it on hold, with its reference.
	p.Form.Reference = strings.TrimSpace(r.URL.Query().Get("reference"))
	switch r.URL.Query().Get("done") {
	case "set":
		p.Done = "retention.done.set"
	case "lifted":
		p.Done = "retention.done.lifted"
	}
	a.renderRetention(w, r, me, http.StatusOK, p, "")
}

func (a *App) renderRetention(w http.ResponseWriter, r *http.Request, me account.User, status int, p retentionPage, formKey string) {
	t := tenantFrom(r.Context())
	ctx := r.Context()
	lang := string(LangFrom(ctx))
	actor := userActor(me, RequestIDFrom(ctx))
	p.Slug, p.TenantName = t.Slug, t.LegalName
	st := a.opts.Store
	now := st.Now()
	reg, err := st.CurrentRegister(ctx, t.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.NoRegister = true
	case err != nil:
		a.internalError(w, r, "retention: register", err)
		return
	default:
		next, err1 := st.RunRetention(ctx, actor, t.ID, store.RetentionOptions{DryRun: true})
		month, err2 := st.RunRetention(ctx, actor, t.ID, store.RetentionOptions{DryRun: true, At: now.AddDate(0, 0, 30)})
		if err := errors.Join(err1, err2); err != nil {
			a.internalError(w, r, "retention: outlook", err)
			return
		}
		p.HeldNow = next.Held
		firsts, err := st.NextExpiries(ctx, t.ID)
		if err != nil {
			a.internalError(w, r, "retention: next expiries", err)
			return
		}
		count := func(rep store.RetentionReport, cat, table string) int64 {
			var n int64
			for _, c := range rep.Counts {
				if c.Category == cat && c.Table == table && c.Action != "remove" {
					n += c.Count
				}
			}
			return n
		}
		cats := retentionTable{ID: "categories", Caption: "retention.outlook.caption", Head: "retention.col.category", WithNext: true}
		tables := retentionTable{ID: "tables", Caption: "retention.tables.caption", Head: "retention.col.what"}
		for _, c := range reg.Register.Categories {
			start := c.RetentionStart
			if start == "" {
				start = register.StartSubmission
			}
			nextAt := ""
			if at, ok := firsts[c.Key]; ok {
				nextAt = at.In(brussels).Format("02.01.2006")
			}
			cats.Rows = append(cats.Rows, retentionOutlook{Name: c.Name.In(lang), Days: c.RetentionDays, Next: nextAt,
				Start: a.t(r, "retention.start."+start), Action: a.t(r, "retention.action."+c.Expiry),
				Now: count(next, c.Key, ""), Month: count(month, c.Key, "")})
		}
		auditRet, err := st.AuditRetention(ctx, t.ID)
		if err != nil {
			a.internalError(w, r, "retention: audit retention", err)
			return
		}
		for _, e := range store.RetentionInventory {
			if e.Rule != store.RuleFixed && !(e.Rule == store.RuleAccount && e.Days > 0) {
				continue
			}
			days := e.Days
			if e.AuditPeriod {
				days = int(now.Sub(auditRet.Cutoff(now)).Hours() / 24)
			}
			o := retentionOutlook{Name: a.t(r, "retention.table."+e.Table), Days: days, Now: count(next, "", e.Table),
				Month: count(month, "", e.Table), Start: a.t(r, "retention.tablestart."+e.Table), Action: a.t(r, "retention.action.delete")}
			if e.Action == register.ExpiryAnonymise {
				o.Action = a.t(r, "retention.action.anonymise")
			}
			tables.Rows = append(tables.Rows, o)
		}
		p.Outlooks = []retentionTable{cats, tables}
	}
	runs, err := st.RetentionRuns(ctx, t.ID, 20)
	if err != nil {
		a.internalError(w, r, "retention: runs", err)
		return
	}
	for _, run := range runs {
		row := retentionRunRow{Started: datetime(run.StartedAt), Status: a.t(r, "retention.run.status."+run.Status), Resumed: run.Resumed}
		if run.FinishedAt != nil {
			row.Finished = datetime(*run.FinishedAt)
		}
		switch {
		case strings.HasPrefix(run.StartedBy, "system:"):
			row.By = a.t(r, "retention.run.by.job")
		case strings.HasPrefix(run.StartedBy, "operator:"):
			row.By = a.t(r, "retention.run.by.operator")
		default:
			row.By = a.t(r, "retention.run.by.user")
		}
		names := map[string]string{}
		if !p.NoRegister {
			for _, c := range reg.Register.Categories {
				names[c.Key] = c.Name.In(lang)
			}
		}
		for _, c := range run.Counts {
			what := names[c.Category]
			switch {
			case c.Category == "" && c.Table == "submissions":
				what = a.t(r, "retention.table.submissions")
			case c.Category == "":
				what = a.t(r, "retention.table."+c.Table)
			case what == "":
				what = c.Category
			}
			row.Counts = append(row.Counts, a.t(r, "retention.run.count", what, a.t(r, "retention.done_action."+c.Action), c.Count))
		}
		p.Runs = append(p.Runs, row)
	}
	holds, err := st.LegalHolds(ctx, actor, t.ID, "")
	if err != nil {
		a.internalError(w, r, "retention: holds", err)
		return
	}
	forms, err := st.Forms(ctx, t.ID)
	if err != nil {
		a.internalError(w, r, "retention: forms", err)
		return
	}
	titles := map[string]string{}
	for _, fv := range forms {
		if _, seen := titles[fv.Key]; seen {
			continue
		}
		titles[fv.Key] = fv.Form.Title.In(lang)
		p.Forms = append(p.Forms, inboxOption{Value: fv.Key, Label: titles[fv.Key], Selected: fv.Key == formKey})
	}
	for _, h := range holds {
		row := retentionHoldRow{ID: h.ID, Reason: h.Reason, Until: h.Until.Add(-time.Second).In(brussels).Format("02.01.2006"), Active: h.Active(now)}
		title := titles[h.FormKey]
		if title == "" {
			title = h.FormKey
		}
		if h.SubmissionID != "" {
			row.What = a.t(r, "retention.hold.submission", h.Reference, title)
		} else {
			row.What = a.t(r, "retention.hold.form", title)
		}
		p.Holds = append(p.Holds, row)
	}
	a.render(w, r, status, "retention", p)
}

// retentionHoldSet puts a submission (by reference) or a form on hold.
func (a *App) retentionHoldSet(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	var p retentionPage
	p.Form.Reference = strings.TrimSpace(r.PostForm.Get("reference"))
	p.Form.Reason = r.PostForm.Get("reason")
	p.Form.Until = strings.TrimSpace(r.PostForm.Get("until"))
	formKey := r.PostForm.Get("form")
	in := store.NewLegalHold{Reference: p.Form.Reference, Reason: p.Form.Reason}
	if p.Form.Reference == "" {
		in.FormKey = formKey
	} else if formKey != "" {
		p.Errors = append(p.Errors, fieldError{"reference", a.t(r, "retention.error.target_both")})
	}
	if p.Form.Until != "" {
		// On hold through the day given: until the next day starts in Brussels.
		var day time.Time
		for _, layout := range []string{"02.01.2006", "2.1.2006", time.DateOnly} {
			if d, err := time.ParseInLocation(layout, p.Form.Until, brussels); err == nil {
				day = d
				break
			}
		}
		if day.IsZero() {
			p.Errors = append(p.Errors, fieldError{"until", a.t(r, "retention.error.until_date")})
		} else {
			in.Until = day.AddDate(0, 0, 1)
		}
	}
	var err error
	if len(p.Errors) == 0 {
		_, err = a.opts.Store.SetLegalHold(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, in)
	}
	var ve *store.HoldValidationError
	if errors.As(err, &ve) {
		for _, f := range []string{"submission", "form", "reason", "until"} {
			key, bad := ve.Fields[f]
			if !bad || (f == "until" && p.Errors.For("until") != "") {
				continue
			}
			field := map[string]string{"submission": "reference", "form": "reference", "reason": "reason", "until": "until"}[f]
			p.Errors = append(p.Errors, fieldError{field, a.t(r, key)})
		}
	} else if err != nil {
		a.internalError(w, r, "set legal hold", err)
		return
	}
	if len(p.Errors) > 0 {
		// The other fields' own problems are shown at once, too.
		if strings.TrimSpace(p.Form.Reason) == "" && p.Errors.For("reason") == "" {
			p.Errors = append(p.Errors, fieldError{"reason", a.t(r, "retention.error.reason_required")})
		}
		if p.Form.Until == "" && p.Errors.For("until") == "" {
			p.Errors = append(p.Errors, fieldError{"until", a.t(r, "retention.error.until_required")})
		}
		order := map[string]int{"reference": 0, "reason": 1, "until": 2}
		sort.SliceStable(p.Errors, func(i, j int) bool { return order[p.Errors[i].Field] < order[p.Errors[j].Field] })
		a.renderRetention(w, r, me, http.StatusUnprocessableEntity, p, formKey)
		return
	}
	http.Redirect(w, r, retentionPath(r)+"?done=set#holds", http.StatusSeeOther)
}

// retentionHoldLift ends a hold.
func (a *App) retentionHoldLift(w http.ResponseWriter, r *http.Request, me account.User) {
	err := a.opts.Store.LiftLegalHold(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID, r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "lift legal hold", err)
	default:
		http.Redirect(w, r, retentionPath(r)+"?done=lifted#holds", http.StatusSeeOther)
	}
}
