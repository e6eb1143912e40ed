package web

import (
	"errors"
	"net/http"

	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// privacyRow is one data category as the privacy statement shows it.
type privacyRow struct {
	register.Category
	ClassLabel string
	Purpose    register.Purpose
}

// privacyShow is the tenant's public privacy statement, generated from its
// current processing register (DSR-4): what is processed, why, on which
// legal basis, how long, and which rights people have.
func (a *App) privacyShow(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	rv, err := a.opts.Store.CurrentRegister(r.Context(), t.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		a.log.ErrorContext(r.Context(), "read register", "request_id", RequestIDFrom(r.Context()), "tenant", t.ID, "error", err)
		a.error(w, r, http.StatusInternalServerError)
		return
	}
	purposes := map[string]register.Purpose{}
	for _, p := range rv.Register.Purposes {
		purposes[p.Key] = p
	}
	var rows []privacyRow
	for _, c := range rv.Register.Categories {
		cl, _ := register.ClassByCode(c.Class)
		rows = append(rows, privacyRow{Category: c, ClassLabel: cl.Label, Purpose: purposes[c.Purpose]})
	}
	a.render(w, r, http.StatusOK, "privacy", struct {
		Tenant   tenant.Tenant
		KBO      string
		Register store.RegisterVersion
		Rows     []privacyRow
	}{t, tenant.FormatKBO(t.EnterpriseNumber), rv, rows})
}
