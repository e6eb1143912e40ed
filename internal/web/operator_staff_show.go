package web

import (
	"net/http"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// operatorStaffPage is the controller's view of the supplier's staff list.
type operatorStaffPage struct {
	Slug, TenantName string
	Staff            []store.StaffMember
}

// operatorStaffShow lists every supplier operator account that can be
// granted access to this controller's data (AUD-5: the controller gets the
// list of staff involved), with department, MFA state, status and since
// when. Reading it is audited in the tenant's log.
func (a *App) operatorStaffShow(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	staff, err := a.opts.Store.OperatorStaff(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
	if err != nil {
		a.internalError(w, r, "list operator staff", err)
		return
	}
	for i := range staff {
		if staff[i].Unreadable {
			staff[i].Name = a.t(r, "robust.unreadable")
		}
	}
	a.render(w, r, http.StatusOK, "operator-staff", operatorStaffPage{Slug: t.Slug, TenantName: t.LegalName, Staff: staff})
}
