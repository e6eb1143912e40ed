package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/workdays"
)

// Maintenance notices on the controller's supplier-access page (AUD-4):
// the operator's announced windows — under way, planned, over — with what
// and why; the admin objects (cancels or ends it), changes the window or
// opens it now (the controller's consent to less notice), and sets the
// minimum notice in working days. The DPO reads it all.

// noticesView is the page's maintenance part.
type noticesView struct {
	Days     int           // the tenant's minimum notice
	DaysForm string        // the form's value
	Groups   []noticeGroup // under way, planned, over: those with notices
	Any      bool
	// Form holds what the admin typed into one notice's window form when
	// it is shown again with errors: id → [from, until].
	Form map[string][2]string
}

// noticeGroup is one heading's notices.
type noticeGroup struct {
	Heading string // message key
	Rows    []noticeRow
}

// noticeRow is one notice on the page.
type noticeRow struct {
	store.MaintenanceNotice
	State         string
	From, Until   string // the window form's values
	Changeable    bool   // upcoming or under way: the admin may act on it
	ChangedWindow bool
}

func (a *App) loadNotices(r *http.Request, me account.User, p *operatorsPage) error {
	t := tenantFrom(r.Context())
	ns, err := a.opts.Store.MaintenanceNotices(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
	if err != nil {
		return err
	}
	if p.Notices.Days, err = a.opts.Store.MinNoticeDays(r.Context(), t.ID); err != nil {
		return err
	}
	if p.Notices.DaysForm == "" {
		p.Notices.DaysForm = strconv.Itoa(p.Notices.Days)
	}
	now := a.opts.Store.Now()
	var active, upcoming, past []noticeRow
	for _, n := range ns {
		if n.Unreadable {
			un := a.t(r, "robust.unreadable")
			n.Label, n.Scope, n.Reason = un, un, un
		}
		row := noticeRow{MaintenanceNotice: n, State: n.StateAt(now), From: datetime(n.StartsAt), Until: datetime(n.EndsAt),
			ChangedWindow: n.ChangedAt != nil}
		if typed, ok := p.Notices.Form[n.ID]; ok {
			row.From, row.Until = typed[0], typed[1]
		}
		switch row.State {
		case store.NoticeActive:
			row.Changeable = true
			active = append(active, row)
		case store.NoticeUpcoming:
			row.Changeable = true
			upcoming = append([]noticeRow{row}, upcoming...) // soonest first; the store lists the latest start first
		default:
			past = append(past, row)
		}
	}
	for _, g := range []noticeGroup{{"maintenance.group.active", active}, {"maintenance.group.upcoming", upcoming}, {"maintenance.group.past", past}} {
		if len(g.Rows) > 0 {
			p.Notices.Groups, p.Notices.Any = append(p.Notices.Groups, g), true
		}
	}
	return nil
}

func (a *App) noticesDone(w http.ResponseWriter, r *http.Request, done string) {
	t := tenantFrom(r.Context())
	http.Redirect(w, r, "/"+t.Slug+"/admin/operators?done="+done+"#notices", http.StatusSeeOther)
}

// noticeChangeFailed maps the store's refusals of a change to a notice:
// unknown → 404; over or objected to → 409 with the page saying so.
func (a *App) noticeChangeFailed(w http.ResponseWriter, r *http.Request, me account.User, what string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case errors.Is(err, store.ErrConflict):
		a.renderOperators(w, r, me, http.StatusConflict, operatorsPage{Errors: fieldErrors{{"notices", a.t(r, "maintenance.error.over")}}})
	default:
		a.internalError(w, r, what, err)
	}
}

// noticeObject is the admin's objection: the notice is cancelled, or ends
// at once when under way.
func (a *App) noticeObject(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	if err := a.opts.Store.ObjectToNotice(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id")); err != nil {
		a.noticeChangeFailed(w, r, me, "object to maintenance notice", err)
		return
	}
	a.noticesDone(w, r, "objected")
}

// noticeShorten changes a notice's window: a typed start and end, or
// "open now" (open=now) keeping the end.
func (a *App) noticeShorten(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t, id := tenantFrom(r.Context()), r.PathValue("id")
	var from, until time.Time
	var errs fieldErrors
	fromText, untilText := strings.TrimSpace(r.PostForm.Get("from")), strings.TrimSpace(r.PostForm.Get("until"))
	if r.PostForm.Get("open") == "now" {
		from = a.opts.Store.Now()
	} else {
		for _, f := range []struct {
			name, text string
			dst        *time.Time
		}{{"from", fromText, &from}, {"until", untilText, &until}} {
			if f.text == "" {
				errs = append(errs, fieldError{f.name + "-" + id, a.t(r, "maintenance.error."+f.name+"_required")})
			} else if v, err := workdays.ParseLocal(f.text); err != nil {
				errs = append(errs, fieldError{f.name + "-" + id, a.t(r, "maintenance.error."+f.name+"_invalid")})
			} else {
				*f.dst = v
			}
		}
	}
	if errs == nil {
		err := a.opts.Store.ShortenNotice(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, id, from, until)
		var ve *store.NoticeValidationError
		if !errors.As(err, &ve) {
			if err != nil {
				a.noticeChangeFailed(w, r, me, "shorten maintenance notice", err)
				return
			}
			a.noticesDone(w, r, "shortened")
			return
		}
		for _, f := range []string{"from", "until"} {
			if key, bad := ve.Fields[f]; bad {
				errs = append(errs, fieldError{f + "-" + id, a.t(r, key)})
			}
		}
	}
	p := operatorsPage{Errors: errs}
	p.Notices.Form = map[string][2]string{id: {fromText, untilText}}
	a.renderOperators(w, r, me, http.StatusUnprocessableEntity, p)
}

// noticeDaysUpdate sets the tenant's minimum notice in working days.
func (a *App) noticeDaysUpdate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	text := strings.TrimSpace(r.PostForm.Get("days"))
	days, err := strconv.Atoi(text)
	if err != nil {
		days = 0 // refused below with the range's message
	}
	err = a.opts.Store.SetMinNoticeDays(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, days)
	var ve *store.NoticeValidationError
	switch {
	case errors.As(err, &ve):
		p := operatorsPage{Errors: fieldErrors{{"days", a.t(r, "maintenance.error.days")}}}
		p.Notices.DaysForm = text
		a.renderOperators(w, r, me, http.StatusUnprocessableEntity, p)
	case err != nil:
		a.internalError(w, r, "set minimum notice", err)
	default:
		a.noticesDone(w, r, "days")
	}
}
