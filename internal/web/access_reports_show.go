package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// Citizens' reports of suspicious access in the back office (DSR-1,
// BRE-1): the controller — an admin or the DPO — reads each report (the
// access as the citizen saw it, their reason) and judges it a breach
// candidate or no issue, with a reason. A breach candidate is a state of
// the report: the breach register does not exist yet. Admins also choose
// here whether citizens see staff names instead of only the service.

type accessReportRow struct {
	store.AccessReport
	Sentence    string
	StatusLabel string
	Received    string
	Open        bool
}

type accessReportsPage struct {
	Slug, TenantName string
	Rows             []accessReportRow
	Errors           fieldErrors
	ErrorFor         string // the report the errors are about
	Reason           string
	Notice           string
	ShowNames        bool
	CanSetNames      bool
	WrongCodes       int // a burst of wrong one-time codes, 0 when none
}

func (a *App) renderAccessReports(w http.ResponseWriter, r *http.Request, me account.User, status int, p accessReportsPage) {
	t := tenantFrom(r.Context())
	list, err := a.opts.Store.AccessReports(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
	if err != nil {
		a.internalError(w, r, "access reports", err)
		return
	}
	names, err := a.opts.Store.CitizenStaffNames(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "citizen staff names", err)
		return
	}
	// A burst of wrong one-time codes is someone guessing (SEC-1): the
	// controller sees the count here; judging it is the breach register's.
	wrong, burst, err := a.opts.Store.WrongCodeBurst(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "wrong code burst", err)
		return
	}
	if burst {
		p.WrongCodes = wrong
	}
	p.Slug, p.TenantName, p.ShowNames, p.CanSetNames = t.Slug, t.LegalName, names, account.Can(me.Role, account.EditSettings)
	words := a.newPortalWords(r)
	for _, rep := range list {
		row := accessReportRow{AccessReport: rep, StatusLabel: a.t(r, "reports.status."+rep.Status), Received: datetime(rep.CreatedAt),
			Open: rep.Status == store.ReportOpen}
		if rep.Access.Submission.ID != "" {
			row.Sentence = words.sentence(rep.Access)
		} else {
			row.Sentence = a.t(r, "reports.gone")
		}
		p.Rows = append(p.Rows, row)
	}
	a.render(w, r, status, "access-reports", p)
}

// accessReportsShow lists the reports, newest first.
func (a *App) accessReportsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	p := accessReportsPage{}
	switch r.URL.Query().Get("done") {
	case "decided":
		p.Notice = a.t(r, "reports.decided")
	case "names":
		p.Notice = a.t(r, "reports.names.saved")
	}
	a.renderAccessReports(w, r, me, http.StatusOK, p)
}

// accessReportDecide records the judgement of one report.
func (a *App) accessReportDecide(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	id := r.PathValue("id")
	decision, reason := r.PostForm.Get("decision"), strings.TrimSpace(r.PostForm.Get("reason"))
	var errs fieldErrors
	if decision != store.ReportBreachCandidate && decision != store.ReportNoIssue {
		errs = append(errs, fieldError{"decision-" + id, a.t(r, "reports.error.decision")})
	}
	if reason == "" || len([]rune(reason)) > store.AccessReportMax {
		errs = append(errs, fieldError{"reason-" + id, a.t(r, "reports.error.reason")})
	}
	if len(errs) == 0 {
		err := a.opts.Store.DecideAccessReport(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID, id,
			decision == store.ReportBreachCandidate, reason)
		switch {
		case errors.Is(err, store.ErrNotFound):
			a.notFound(w, r)
			return
		case errors.Is(err, store.ErrConflict):
			errs = append(errs, fieldError{"decision-" + id, a.t(r, "reports.error.decided")})
		case err != nil:
			a.internalError(w, r, "decide access report", err)
			return
		default:
			http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/admin/access-reports?done=decided", http.StatusSeeOther)
			return
		}
	}
	a.renderAccessReports(w, r, me, http.StatusUnprocessableEntity, accessReportsPage{Errors: errs, ErrorFor: id, Reason: reason})
}

// citizenNamesUpdate turns staff names in the citizen's view on or off.
func (a *App) citizenNamesUpdate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	on := r.PostForm.Get("names") == "on"
	if err := a.opts.Store.SetCitizenStaffNames(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID, on); err != nil {
		a.internalError(w, r, "set citizen staff names", err)
		return
	}
	http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/admin/access-reports?done=names", http.StatusSeeOther)
}
