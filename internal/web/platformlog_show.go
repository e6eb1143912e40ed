package web

import (
	"net/http"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// platformLogLimit is how many platform events the page shows.
const platformLogLimit = 100

type platformLogRow struct {
	At     time.Time
	What   string
	Detail string
	All    bool
}

type platformLogPage struct {
	TenantName string
	Limit      int
	Rows       []platformLogRow
}

// platformLogShow shows the tenant the entries of the platform log that
// concern it (AUD-3: the supplier's interventions, consultable without the
// supplier): new versions, migrations, the checkpoint key, its key
// rotations. They come from the operators' realm's own log and name no one
// of the supplier's staff.
func (a *App) platformLogShow(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	events, err := a.opts.Store.PlatformEvents(r.Context(), t.ID, platformLogLimit)
	if err != nil {
		a.internalError(w, r, "platform log", err)
		return
	}
	p := platformLogPage{TenantName: t.LegalName, Limit: platformLogLimit}
	for _, e := range events {
		p.Rows = append(p.Rows, platformLogRow{At: e.Time, What: a.t(r, "auditlog.name."+e.Action),
			Detail: a.t(r, "platformlog.detail."+e.Action, e.Purpose), All: e.ObjectID == store.PlatformAll})
	}
	a.render(w, r, http.StatusOK, "platform-log", p)
}
