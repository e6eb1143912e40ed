package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// The supplier's side of audits, in the operators' realm at
// /operator/audits (ADT-1…ADT-3): every controller's audits with their
// clocks; on one, acknowledge the announcement, submit the
// corrective-action plan within the month after the findings, and mark
// each approved action done. Opening one is recorded in the controller's
// log, as for breaches.

type operatorAuditsPage struct {
	Slug  string
	Realm bool
	Rows  []auditRow
}

// operatorAuditsShow lists the audits of every controller, without their
// sealed text.
func (a *App) operatorAuditsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	list, err := a.opts.Store.OperatorAudits(r.Context())
	if err != nil {
		a.internalError(w, r, "operator audits", err)
		return
	}
	p := operatorAuditsPage{Slug: tenantFrom(r.Context()).Slug, Realm: true}
	now := a.opts.Store.Now()
	for _, o := range list {
		row := auditRow{ID: o.ID, Kind: a.t(r, "audits.kind."+o.Kind), Date: datetime(o.Date), Acknowledged: a.t(r, "audits.ack.none"),
			TenantSlug: o.TenantSlug, TenantName: o.TenantName}
		if o.AcknowledgedAt != nil {
			row.Acknowledged = a.t(r, "audits.ack.at", datetime(*o.AcknowledgedAt))
		}
		row.Plan, row.PlanLate = a.planText(r, o.PlanStatus, o.FindingsAt, o.PlanDue(), o.PlanOverdue(now))
		p.Rows = append(p.Rows, row)
	}
	a.render(w, r, http.StatusOK, "operator-audits", p)
}

// planRowsShown is how many action lines the plan form offers.
const planRowsShown = 5

// renderOperatorAudit shows audit {id} of controller {slug} to the supplier.
func (a *App) renderOperatorAudit(w http.ResponseWriter, r *http.Request, me account.User, status int, errs fieldErrors, rows []planRow) {
	t, ok := a.realmTenantOr404(w, r)
	if !ok {
		return
	}
	c, err := a.opts.Store.AuditByID(r.Context(), breachOperatorActor(me, r), t.ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "audit", err)
		return
	}
	p := a.auditPageOf(r, c, t.Slug, t.LegalName)
	p.Realm, p.Errors, p.Done = true, errs, auditDone(r, "acknowledged", "plan", "done")
	p.Slug, p.TenantSlug = tenantFrom(r.Context()).Slug, t.Slug
	p.PlanRows = rows
	if p.PlanRows == nil {
		for i := range planRowsShown {
			p.PlanRows = append(p.PlanRows, planRow{N: i + 1})
		}
		for i, act := range c.Actions {
			if i < planRowsShown && c.PlanStatus == store.PlanReturned {
				p.PlanRows[i].Text, p.PlanRows[i].Due = act.Text, act.Due.Format("02.01.2006")
			}
		}
	}
	a.render(w, r, status, "operator-audit", p)
}

func (a *App) operatorAuditShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderOperatorAudit(w, r, me, http.StatusOK, nil, nil)
}

// operatorAuditPath is the realm page of the audit the request names.
func operatorAuditPath(r *http.Request) string {
	return "/" + tenantFrom(r.Context()).Slug + "/audits/" + r.PathValue("slug") + "/" + r.PathValue("id")
}

// operatorAuditStep runs a one-button step and goes back to the page.
func (a *App) operatorAuditStep(w http.ResponseWriter, r *http.Request, me account.User, done string, step func(tenantID string) error) {
	if !a.parseForm(w, r) {
		return
	}
	t, ok := a.realmTenantOr404(w, r)
	if !ok {
		return
	}
	a.operatorAuditAfter(w, r, me, step(t.ID), done)
}

// operatorAuditAfter answers a supplier's step that ended in err: not
// found, out of step with the audit (409, said on the page), failed, or
// done — back to the page saying so.
func (a *App) operatorAuditAfter(w http.ResponseWriter, r *http.Request, me account.User, err error, done string) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case errors.Is(err, store.ErrAuditState):
		a.renderOperatorAudit(w, r, me, http.StatusConflict, fieldErrors{{"plan", a.t(r, "audits.error.state")}}, nil)
	case err != nil:
		a.internalError(w, r, "audit step", err)
	default:
		http.Redirect(w, r, operatorAuditPath(r)+"?done="+done, http.StatusSeeOther)
	}
}

func (a *App) operatorAuditAcknowledge(w http.ResponseWriter, r *http.Request, me account.User) {
	a.operatorAuditStep(w, r, me, "acknowledged", func(tenantID string) error {
		return a.opts.Store.AcknowledgeAudit(r.Context(), breachOperatorActor(me, r), tenantID, r.PathValue("id"))
	})
}

func (a *App) operatorAuditActionDone(w http.ResponseWriter, r *http.Request, me account.User) {
	a.operatorAuditStep(w, r, me, "done", func(tenantID string) error {
		return a.opts.Store.MarkActionDone(r.Context(), breachOperatorActor(me, r), tenantID, r.PathValue("id"), r.PathValue("action"))
	})
}

// operatorAuditPlan submits the corrective-action plan: up to five lines
// of what will be done and by when; every problem is named on its line.
func (a *App) operatorAuditPlan(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t, ok := a.realmTenantOr404(w, r)
	if !ok {
		return
	}
	rows := make([]planRow, planRowsShown)
	actions := make([]store.PlanAction, planRowsShown)
	typo := map[string]string{}
	for i := range rows {
		rows[i].N = i + 1
		rows[i].Text = r.PostForm.Get(fmt.Sprintf("action_%d_text", i+1))
		rows[i].Due = strings.TrimSpace(r.PostForm.Get(fmt.Sprintf("action_%d_due", i+1)))
		actions[i].Text = rows[i].Text
		if rows[i].Due != "" {
			d, err := parseAuditDay(rows[i].Due)
			if err != nil {
				typo[fmt.Sprintf("action_%d_due", i+1)] = "audits.error.date_format"
				d = a.opts.Store.Now().AddDate(1, 0, 0) // a stand-in, so the rest is checked too
			}
			actions[i].Due = d
		}
	}
	// Every problem at once: the typed dates that do not read, and what
	// the store would refuse; nothing is submitted while any remains.
	_, bad := store.PlanProblems(a.opts.Store.Now(), actions)
	for f, k := range typo {
		bad[f] = k
	}
	var err error
	if len(bad) == 0 {
		err = a.opts.Store.SubmitPlan(r.Context(), breachOperatorActor(me, r), t.ID, r.PathValue("id"), actions, a.auditMail)
		if ve := (*store.AuditValidationError)(nil); errors.As(err, &ve) {
			bad, err = ve.Fields, nil
		}
	}
	if len(bad) > 0 {
		var order []string
		for i := range rows {
			tf, df := fmt.Sprintf("action_%d_text", i+1), fmt.Sprintf("action_%d_due", i+1)
			order = append(order, tf, df)
			rows[i].TextErr, rows[i].DueErr = a.t(r, bad[tf]), a.t(r, bad[df])
			if bad[tf] == "" {
				rows[i].TextErr = ""
			}
			if bad[df] == "" {
				rows[i].DueErr = ""
			}
		}
		a.renderOperatorAudit(w, r, me, http.StatusUnprocessableEntity, a.breachErrorsIn(r, bad, order), rows)
		return
	}
	a.operatorAuditAfter(w, r, me, err, "plan")
}
