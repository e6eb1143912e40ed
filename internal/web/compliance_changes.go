package web

import (
	"net/http"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// The changes of the measures report (ADT-1): every flip of a clause's
// status that the hourly compliance.drift job recorded, the most recent
// first, with when it was measured, why the clause had and has its status,
// and how many
// addresses the alert went to. Clause ids, statuses and counts only: no
// personal data, so the page reads without an audit event of its own.

// driftChangesShown caps the list: the full history is in the export.
const driftChangesShown = 200

type driftRow struct {
	ID, Clause, Title, From, To, At, ISO string
	Status                               string // the status now, as a code for its colour and shape
	Now, Before                          string // why the clause has its status now, and had it before
	Notified                             int
}

type driftPage struct {
	Slug, TenantName string
	Measured         string // the last run's time, "" before the first
	Rows             []driftRow
}

// complianceChanges is the report's "Wijzigingen" page.
func (a *App) complianceChanges(w http.ResponseWriter, r *http.Request, _ account.User) {
	ctx := r.Context()
	t := tenantFrom(ctx)
	l := a.langOf(r)
	snap, err := a.opts.Store.ComplianceSnapshot(ctx, t.ID)
	if err != nil {
		a.internalError(w, r, "compliance snapshot", err)
		return
	}
	list, err := a.opts.Store.ComplianceDrifts(ctx, t.ID, driftChangesShown)
	if err != nil {
		a.internalError(w, r, "compliance drifts", err)
		return
	}
	p := driftPage{Slug: t.Slug, TenantName: t.LegalName}
	var last time.Time
	for _, s := range snap {
		if s.MeasuredAt.After(last) {
			last = s.MeasuredAt
		}
	}
	if !last.IsZero() {
		p.Measured = datetime(last)
	}
	for _, d := range list {
		row := driftRow{ID: d.ID, Clause: d.Clause, Title: store.DriftClauseName(l, d.Clause), Status: d.To, From: store.DriftStatus(l, d.From),
			To: store.DriftStatus(l, d.To), At: datetime(d.ChangedAt), ISO: d.ChangedAt.UTC().Format("2006-01-02T15:04:05Z"), Notified: d.Notified}
		row.Now, row.Before = store.DriftReason(l, d.ToFacts[store.DriftReasonFact]), store.DriftReason(l, d.FromFacts[store.DriftReasonFact])
		p.Rows = append(p.Rows, row)
	}
	a.render(w, r, http.StatusOK, "compliance-changes", p)
}
