package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// The controller's side of audits (ADT-1…ADT-3), under Privacy › Audits:
// the audits announced, the form to announce one (an on-site audit at
// least ten Belgian working days ahead, ADT-2), each audit's findings and
// the supplier's corrective-action plan to approve or return, each action
// with its due date. The evidence pack is audits_evidence.go; the
// supplier's pages are audits_operator.go.

// auditRow is an audit as a list shows it.
type auditRow struct {
	ID, Kind, Date, Plan string
	PlanLate             bool
	Acknowledged         string
	TenantSlug           string
	TenantName           string
}

type auditsPage struct {
	Slug, TenantName string
	Realm            bool // false: the controller's list
	CanHandle        bool
	Rows             []auditRow
	Done             string
}

// planText says where a plan stands, and whether that is late.
func (a *App) planText(r *http.Request, status string, findingsAt *time.Time, due time.Time, overdue bool) (string, bool) {
	switch {
	case findingsAt == nil:
		return a.t(r, "audits.plan.no_findings"), false
	case overdue:
		return a.t(r, "audits.plan.overdue", datetime(due)), true
	case status == store.PlanNone:
		return a.t(r, "audits.plan.due", datetime(due)), false
	}
	return a.t(r, "audits.plan.status."+status), false
}

// auditsList lists the tenant's audits.
func (a *App) auditsList(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	list, err := a.opts.Store.Audits(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
	if err != nil {
		a.internalError(w, r, "audits", err)
		return
	}
	p := auditsPage{Slug: t.Slug, TenantName: t.LegalName, CanHandle: account.Can(me.Role, account.HandleRequests) && me.OnBehalfOf == "",
		Done: auditDone(r, "announced", "finding", "decided")}
	now := a.opts.Store.Now()
	for _, c := range list {
		row := auditRow{ID: c.ID, Kind: a.t(r, "audits.kind."+c.Kind), Date: datetime(c.Date), Acknowledged: a.t(r, "audits.ack.none")}
		if c.AcknowledgedAt != nil {
			row.Acknowledged = a.t(r, "audits.ack.at", datetime(*c.AcknowledgedAt))
		}
		row.Plan, row.PlanLate = a.planText(r, c.PlanStatus, c.FindingsAt, c.PlanDue(), c.PlanOverdue(now))
		p.Rows = append(p.Rows, row)
	}
	a.render(w, r, http.StatusOK, "audits", p)
}

// auditDone is the ?done= value when it is one of known, else "".
func auditDone(r *http.Request, known ...string) string {
	d := r.URL.Query().Get("done")
	for _, k := range known {
		if d == k {
			return d
		}
	}
	return ""
}

type auditFormPage struct {
	Slug, TenantName string
	Form             struct{ Kind, Date, Scope, Auditor string }
	Errors           fieldErrors
	Earliest         string // the first day an on-site audit may take place
}

// auditFields is the form's order, for the error summary.
var auditFields = []string{"kind", "date", "scope", "auditor"}

// auditNew shows the empty announcement form.
func (a *App) auditNew(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderAuditForm(w, r, http.StatusOK, auditFormPage{})
}

func (a *App) renderAuditForm(w http.ResponseWriter, r *http.Request, status int, p auditFormPage) {
	t := tenantFrom(r.Context())
	p.Slug, p.TenantName = t.Slug, t.LegalName
	p.Earliest = workdays.Add(a.opts.Store.Now(), store.OnSiteNoticeDays).Format("02.01.2006")
	a.render(w, r, status, "audit-new", p)
}

// auditCreate announces the audit, or shows every problem field by field.
func (a *App) auditCreate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	var p auditFormPage
	p.Form.Kind, p.Form.Date = r.PostForm.Get("kind"), strings.TrimSpace(r.PostForm.Get("date"))
	p.Form.Scope, p.Form.Auditor = r.PostForm.Get("scope"), r.PostForm.Get("auditor")
	in := store.AuditAnnouncement{Kind: p.Form.Kind, Scope: p.Form.Scope, Auditor: p.Form.Auditor}
	bad := map[string]string{}
	if p.Form.Date != "" {
		d, err := parseAuditDay(p.Form.Date)
		if err != nil {
			bad["date"] = "audits.error.date_format"
		}
		in.Date = d
	}
	t := tenantFrom(r.Context())
	_, err := a.opts.Store.AnnounceAudit(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, in, a.auditMail)
	var ve *store.AuditValidationError
	switch {
	case errors.As(err, &ve):
		for f, k := range ve.Fields {
			if _, ok := bad[f]; !ok {
				bad[f] = k
			}
		}
	case errors.Is(err, store.ErrControllerOnly):
		a.error(w, r, http.StatusForbidden)
		return
	case err != nil:
		a.internalError(w, r, "announce audit", err)
		return
	}
	if len(bad) > 0 {
		p.Errors = a.breachErrorsIn(r, bad, auditFields)
		a.renderAuditForm(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	http.Redirect(w, r, "/"+t.Slug+"/admin/audits?done=announced", http.StatusSeeOther)
}

// parseAuditDay reads a date typed as 2027-01-05 or 05.01.2027 (09:00
// that day, see parseDay), or a date with a time, in Brussels.
func parseAuditDay(s string) (time.Time, error) {
	if d, ok := parseDay(s); ok {
		return d.Add(9 * time.Hour), nil
	}
	return workdays.ParseLocal(s)
}

type ctlAuditPage struct {
	Slug, TenantName string
	Realm            bool   // the supplier's view
	TenantSlug       string // the controller's, on the supplier's pages
	Audit            store.ControllerAudit
	Kind             string
	Plan             string
	PlanLate         bool
	Actions          []auditActionRow
	Findings         []auditFindingRow
	CanHandle        bool
	Errors           fieldErrors
	Finding          struct{ Title, Severity, Description string }
	Reason           string
	PlanRows         []planRow // the supplier's form
	Done             string
	Severities       []string
}

type auditFindingRow struct {
	store.AuditFinding
	SeverityText string
}

type auditActionRow struct {
	store.AuditAction
	State string
	Late  bool
}

type planRow struct {
	N               int
	Text, Due       string
	TextErr, DueErr string
}

// auditPageOf fills the page of audit c.
func (a *App) auditPageOf(r *http.Request, c store.ControllerAudit, slug, name string) ctlAuditPage {
	now := a.opts.Store.Now()
	p := ctlAuditPage{Slug: slug, TenantName: name, Audit: c, Kind: a.t(r, "audits.kind."+c.Kind), Severities: store.FindingSeverities}
	p.Plan, p.PlanLate = a.planText(r, c.PlanStatus, c.FindingsAt, c.PlanDue(), c.PlanOverdue(now))
	for _, f := range c.Findings {
		p.Findings = append(p.Findings, auditFindingRow{f, a.t(r, "audits.severity."+f.Severity)})
	}
	for _, act := range c.Actions {
		row := auditActionRow{AuditAction: act}
		switch {
		case act.DoneAt != nil && act.DoneAt.After(act.Due):
			row.State, row.Late = a.t(r, "audits.action.done_late", datetime(*act.DoneAt)), true
		case act.DoneAt != nil:
			row.State = a.t(r, "audits.action.done", datetime(*act.DoneAt))
		case act.Overdue(now):
			row.State, row.Late = a.t(r, "audits.action.overdue"), true
		default:
			row.State = a.t(r, "audits.action.open")
		}
		p.Actions = append(p.Actions, row)
	}
	return p
}

// ctlAuditShow shows one audit to the controller.
func (a *App) ctlAuditShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderCtlAudit(w, r, me, http.StatusOK, nil, func(p *ctlAuditPage) {})
}

func (a *App) renderCtlAudit(w http.ResponseWriter, r *http.Request, me account.User, status int, errs fieldErrors, fill func(*ctlAuditPage)) {
	t := tenantFrom(r.Context())
	c, err := a.opts.Store.AuditByID(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "audit", err)
		return
	}
	p := a.auditPageOf(r, c, t.Slug, t.LegalName)
	p.CanHandle = account.Can(me.Role, account.HandleRequests) && me.OnBehalfOf == ""
	p.Done, p.Errors = auditDone(r, "announced", "finding", "decided"), errs
	fill(&p)
	a.render(w, r, status, "audit-show", p)
}

// auditFindingCreate records a finding.
func (a *App) auditFindingCreate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	f := store.AuditFinding{Title: r.PostForm.Get("title"), Severity: r.PostForm.Get("severity"), Description: r.PostForm.Get("description")}
	_, err := a.opts.Store.AddFinding(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id"), f)
	var ve *store.AuditValidationError
	switch {
	case errors.As(err, &ve):
		a.renderCtlAudit(w, r, me, http.StatusUnprocessableEntity, a.breachErrorsIn(r, ve.Fields, []string{"title", "severity", "description"}),
			func(p *ctlAuditPage) {
				p.Finding.Title, p.Finding.Severity, p.Finding.Description = f.Title, f.Severity, f.Description
			})
		return
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
		return
	case errors.Is(err, store.ErrControllerOnly):
		a.error(w, r, http.StatusForbidden)
		return
	case err != nil:
		a.internalError(w, r, "add finding", err)
		return
	}
	http.Redirect(w, r, "/"+t.Slug+"/admin/audits/"+r.PathValue("id")+"?done=finding#findings", http.StatusSeeOther)
}

// auditPlanDecide approves the supplier's plan or returns it with a reason.
func (a *App) auditPlanDecide(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	decision, reason := r.PostForm.Get("decision"), r.PostForm.Get("reason")
	var err error
	switch decision {
	case "approve", "return":
		err = a.opts.Store.DecidePlan(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id"), decision == "approve",
			reason, a.auditMail)
	default:
		err = &store.AuditValidationError{Fields: map[string]string{"decision-approve": "audits.error.decision"}}
	}
	var ve *store.AuditValidationError
	switch {
	case errors.As(err, &ve):
		a.renderCtlAudit(w, r, me, http.StatusUnprocessableEntity, a.breachErrorsIn(r, ve.Fields, []string{"decision-approve", "reason"}),
			func(p *ctlAuditPage) { p.Reason = reason })
		return
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
		return
	case errors.Is(err, store.ErrAuditState):
		a.renderCtlAudit(w, r, me, http.StatusConflict, fieldErrors{{"plan", a.t(r, "audits.error.state")}}, func(p *ctlAuditPage) {})
		return
	case errors.Is(err, store.ErrControllerOnly):
		a.error(w, r, http.StatusForbidden)
		return
	case err != nil:
		a.internalError(w, r, "decide plan", err)
		return
	}
	http.Redirect(w, r, "/"+t.Slug+"/admin/audits/"+r.PathValue("id")+"?done=decided#plan", http.StatusSeeOther)
}

// auditMail is the store's composer with this site's address for links.
func (a *App) auditMail(t tenant.Tenant, c store.ControllerAudit, event string) store.OutgoingMail {
	return store.AuditMailer(a.opts.BaseURL)(t, c, event)
}
