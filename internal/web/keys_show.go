package web

import (
	"net/http"

	"github.com/kluis/kluis/internal/account"
)

// keysPage is the tenant's per-person keys setting (DSR-1): what it does
// and does not protect, the switch for admins, the state for the DPO.
type keysPage struct {
	TenantName string
	CanEdit    bool
	On         bool
	Saved      bool
	Errors     fieldErrors
}

// keysShow shows the per-person keys setting.
func (a *App) keysShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderKeys(w, r, me, http.StatusOK, r.URL.Query().Get("saved") == "1", nil)
}

// keysUpdate switches per-person keys on or off; the store records the
// change in the audit log. Anything but "on" or "off" is refused with a
// message on the field and nothing changes.
func (a *App) keysUpdate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	v := r.PostForm.Get("person_keys")
	if v != "on" && v != "off" {
		a.renderKeys(w, r, me, http.StatusUnprocessableEntity, false,
			fieldErrors{{"person_keys-on", a.t(r, "keys.error.choose")}})
		return
	}
	if err := a.opts.Store.SetPersonKeys(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, v == "on"); err != nil {
		a.internalError(w, r, "set person keys", err)
		return
	}
	http.Redirect(w, r, "/"+t.Slug+"/admin/keys?saved=1", http.StatusSeeOther)
}

func (a *App) renderKeys(w http.ResponseWriter, r *http.Request, me account.User, status int, saved bool, errs fieldErrors) {
	t := tenantFrom(r.Context())
	on, err := a.opts.Store.PersonKeys(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "person keys setting", err)
		return
	}
	a.render(w, r, status, "keys", keysPage{TenantName: t.LegalName, CanEdit: account.Can(me.Role, account.EditSettings),
		On: on, Saved: saved, Errors: errs})
}
