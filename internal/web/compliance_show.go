package web

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/compliance"
)

// The compliance report (ADT-1): for the tenant's admins and DPO, every
// clause of the agreement with its status measured now from the live
// facts, the evidence with when it was measured and a link to the page
// that shows it, and the tests that prove the mechanism. The same report
// downloads as JSON. Reading it opens the names of admins without a
// second factor, so it is audited (compliance.read).

// complianceReport collects the facts now and builds the report.
func (a *App) complianceReport(r *http.Request, me account.User) (compliance.Report, error) {
	ctx := r.Context()
	t := tenantFrom(ctx)
	f, err := compliance.Collect(ctx, a.opts.Store, t.ID, a.opts.Store.Now(), compliance.Options{
		Actor: userActor(me, RequestIDFrom(ctx)), Platform: a.opts.Compliance})
	if err != nil {
		return compliance.Report{}, err
	}
	return compliance.Build(f), nil
}

type complianceViewPage struct {
	Slug   string
	Report compliance.View
}

// complianceShow is the page (ViewAudit: admins and the DPO).
func (a *App) complianceShow(w http.ResponseWriter, r *http.Request, me account.User) {
	rep, err := a.complianceReport(r, me)
	if err != nil {
		a.internalError(w, r, "compliance report", err)
		return
	}
	a.render(w, r, http.StatusOK, "compliance", complianceViewPage{Slug: tenantFrom(r.Context()).Slug,
		Report: compliance.ViewIn(rep, a.langOf(r))})
}

// complianceJSON is the same report as JSON, for machines and the
// controller's own files: keys and arguments, not sentences.
func (a *App) complianceJSON(w http.ResponseWriter, r *http.Request, me account.User) {
	rep, err := a.complianceReport(r, me)
	if err != nil {
		a.internalError(w, r, "compliance report", err)
		return
	}
	body, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		a.internalError(w, r, "compliance report", err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": fmt.Sprintf("compliance-%s-%s.json", rep.TenantSlug, rep.At.In(brussels).Format("2006-01-02"))}))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(body, '\n'))
}
