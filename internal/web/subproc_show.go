package web

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/annex"
	"github.com/kluis/kluis/internal/export"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// The controller's side of the sub-processors (SUB-1…SUB-3), at
// /{tenant}/admin/subprocessors: every sub-processor that applies to it
// with what annex 1 names and the agreement's reference, an announced
// change with its effective date, and for the admins the choice to accept
// it or to object with a reason before that date. An objection shows its
// 3-month window. The overview downloads as CSV and XLSX (SUB-3).

type subprocRow struct {
	store.TenantSubProcessor
	WindowOpen bool
	CanDecide  bool // pending and before its effective date, for an admin
	CanAccept  bool
	ReasonID   string // the objection field's id
	Reason     string
	Error      string // the reason's message
	DecideErr  string // the decision's message
}

type subprocPage struct {
	Slug      string
	Rows      []subprocRow
	Ended     []store.TenantSubProcessor // retired, with their end dates
	CanManage bool
	Errors    fieldErrors
	Done      string
}

// subprocShow is the tenant's overview.
func (a *App) subprocShow(w http.ResponseWriter, r *http.Request, me account.User) {
	p := subprocPage{}
	switch d := r.URL.Query().Get("done"); d {
	case "accepted", "objected":
		p.Done = "subproc.done." + d
	}
	a.renderSubproc(w, r, me, http.StatusOK, p, "", "", nil)
}

// renderSubproc renders the overview; for a refused decision on sub-processor
// failedID it keeps the reason typed and shows bad's messages there.
func (a *App) renderSubproc(w http.ResponseWriter, r *http.Request, me account.User, status int, p subprocPage, failedID, reason string,
	bad map[string]string) {
	t := tenantFrom(r.Context())
	list, err := a.opts.Store.TenantSubProcessors(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
	if err != nil {
		a.internalError(w, r, "sub-processors", err)
		return
	}
	now := a.opts.Store.Now()
	p.Slug, p.CanManage = t.Slug, account.Can(me.Role, account.ManageUsers) && me.Role != account.RoleSupport
	current, ended := store.CurrentSubProcessors(list)
	p.Ended = ended
	for _, s := range current {
		row := subprocRow{TenantSubProcessor: s, WindowOpen: s.ObjectionOpen(now), ReasonID: "reason-" + s.ID}
		row.CanAccept = p.CanManage && s.Status != store.SubAccepted
		row.CanDecide = p.CanManage && s.Status == store.SubPending && now.Before(s.EffectiveAt)
		if s.ID == failedID {
			row.Reason = reason
			if k, ok := bad["reason"]; ok {
				row.Error = a.t(r, k)
				p.Errors = append(p.Errors, fieldError{row.ReasonID, row.Error})
			}
			if k, ok := bad["decision"]; ok {
				row.DecideErr = a.t(r, k)
				p.Errors = append(p.Errors, fieldError{"decide-" + s.ID, row.DecideErr})
			}
		}
		p.Rows = append(p.Rows, row)
	}
	a.render(w, r, status, "subprocessors", p)
}

// subprocDecide records the admin's decision: accept, or object with a
// reason (SUB-2).
func (a *App) subprocDecide(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	id, decision, reason := r.PathValue("id"), r.PostForm.Get("decision"), r.PostForm.Get("reason")
	var err error
	switch decision {
	case "accept", "object":
		err = a.opts.Store.DecideSubProcessor(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, id, decision == "accept", reason)
	default:
		err = &store.SubValidationError{Fields: map[string]string{"decision": "subproc.error.decision_required"}}
	}
	var ve *store.SubValidationError
	switch {
	case errors.As(err, &ve):
		a.renderSubproc(w, r, me, http.StatusUnprocessableEntity, subprocPage{}, id, reason, ve.Fields)
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "decide sub-processor", err)
	default:
		done := "accepted"
		if decision == "object" {
			done = "objected"
		}
		http.Redirect(w, r, "/"+t.Slug+"/admin/subprocessors?done="+done, http.StatusSeeOther)
	}
}

// subprocStatus is the sentence for a sub-processor's standing.
func subprocStatus(lang locale.Lang, d store.SubDecision) string {
	return locale.T(lang, "subproc.status."+d.Status)
}

// subprocDownload serves the overview with the agreements' references as
// format (csv or xlsx), recorded as "subprocessor.export" (SUB-3).
func (a *App) subprocDownload(format string) signedIn {
	return func(w http.ResponseWriter, r *http.Request, me account.User) {
		t := tenantFrom(r.Context())
		actor := userActor(me, RequestIDFrom(r.Context()))
		list, err := a.opts.Store.TenantSubProcessors(r.Context(), actor, t.ID)
		if err != nil {
			a.internalError(w, r, "sub-processors", err)
			return
		}
		list, _ = store.CurrentSubProcessors(list) // the current overview (SUB-3)
		if err := a.opts.Store.RecordSubProcessorExport(r.Context(), actor, t.ID, format, len(list)); err != nil {
			a.internalError(w, r, "sub-processor export", err)
			return
		}
		lang := a.langOf(r)
		var head []string
		for _, k := range subprocColumns {
			head = append(head, a.t(r, "subproc.field."+k))
		}
		var rows [][]string
		for _, s := range list {
			eea := a.t(r, "subproc.eea.no")
			if s.EEA {
				eea = a.t(r, "subproc.eea.yes")
			}
			decided := ""
			if s.DecidedAt != nil {
				decided = datetime(*s.DecidedAt)
			}
			rows = append(rows, []string{s.Name, s.HeadOffice, s.Location, eea, s.TransferMechanism, s.Measures, s.Services,
				s.AgreementRef, s.AgreementDay(), a.t(r, "subproc.kind."+s.Kind), s.EffectiveDay(), subprocStatus(lang, s.SubDecision), decided})
		}
		a.serveTable(w, r, format, "subverwerkers", head, rows)
	}
}

// serveTable sends head and rows as a download in format (csv or xlsx,
// the export package's writers: CSV with ";" and defused formulas), named
// name.format, not cached.
func (a *App) serveTable(w http.ResponseWriter, r *http.Request, format, name string, head []string, rows [][]string) {
	var buf bytes.Buffer
	newWriter, contentType := export.NewCSV, "text/csv; charset=utf-8"
	if format == "xlsx" {
		newWriter, contentType = export.NewXLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	out, err := newWriter(&buf, head)
	if err != nil {
		a.internalError(w, r, name, err)
		return
	}
	for _, row := range rows {
		if err := out.Write(row); err != nil {
			a.internalError(w, r, name, err)
			return
		}
	}
	if err := out.Close(); err != nil {
		a.internalError(w, r, name, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+"."+format+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// subprocColumns are the download's columns, in order (subproc.field.*).
var subprocColumns = []string{"name", "head_office", "location", "eea", "transfer_mechanism", "measures", "services", "agreement_ref",
	"agreement_date", "kind", "effective", "status", "decided"}

// parseDay reads a date typed as 31.12.2026 or 2026-12-31: the start of
// that day in Brussels.
func parseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range []string{"02.01.2006", "2.1.2006", "2006-01-02", "02/01/2006"} {
		if t, err := time.ParseInLocation(l, s, workdays.Brussels); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// activeTenants are the controllers an operator may name.
func (a *App) activeTenants(r *http.Request) ([]tenant.Tenant, error) {
	ts, err := a.opts.Store.Tenants(r.Context())
	var out []tenant.Tenant
	for _, t := range ts {
		if t.Status == tenant.StatusActive && !t.IsPlatform() {
			out = append(out, t)
		}
	}
	return out, err
}

// addPlatformSubProcessors adds to annex 1 the platform's sub-processors
// the tenant accepted (SUB-1) that its register does not list by name
// already. A failed read is logged and leaves the register's own list.
func (a *App) addPlatformSubProcessors(r *http.Request, doc *annex.Document) {
	list, err := a.opts.Store.AcceptedSubProcessors(r.Context(), tenantFrom(r.Context()).ID)
	if err != nil {
		a.log.ErrorContext(r.Context(), "annex sub-processors", "request_id", RequestIDFrom(r.Context()), "error", err.Error())
		return
	}
	addSubProcessors(doc, agreementSubProcessors(list))
}
