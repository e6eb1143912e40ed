package web

import (
	"errors"
	"net/http"
	"slices"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// The admin's page for one user (USR-1, USR-5, USR-6): role, status, last
// login, lock and second factor, and the actions on them. Every action is
// a POST to /{tenant}/admin/users/{id}/{action} and answers 303 back to the
// page with a notice; a refusal (own account, last admin) is 409.

// userPage is the data of templates/user-show.html.
type userPage struct {
	Slug       string
	TenantName string
	Me         account.User
	User       account.User
	Roles      []account.Role
	Locked     bool
	HasMFA     bool
	Done       string // message key of the action just done
	Error      string // why the action was refused
	Self       bool
	Sessions   int           // live sessions of the user
	Removed    bool          // the user was removed: nothing left to act on
	Forms      []inboxOption // the tenant's forms, checked where the user holds a grant (ORG-6)
}

// userActions are the actions, by the last path segment.
var userActions = []string{"role", "site-editor", "register-lookup", "disable", "enable", "unlock", "reset-mfa", "revoke-sessions", "remove", "forms"}

// userPagePath is where an action on a user resumes after a step-up: the
// user's page.
func userPagePath(r *http.Request) string {
	return "/" + tenantFrom(r.Context()).Slug + "/admin/users/" + r.PathValue("id")
}

// showName is how pages name u: a removed user by a localized pseudonym.
func (a *App) showName(r *http.Request, u account.User) account.User {
	if u.Status == account.StatusRemoved {
		u.Name = a.t(r, "users.removed_name", account.Pseudonym(u.ID))
	} else if u.Unreadable {
		u.Name = a.t(r, "robust.unreadable") + " (" + account.Pseudonym(u.ID) + ")"
	}
	return u
}

// userShow shows one user of the tenant; its name and address are opened,
// so the store records the consultation. 404 for an id not in the tenant.
func (a *App) userShow(w http.ResponseWriter, r *http.Request, me account.User) {
	done := r.URL.Query().Get("done")
	if !slices.Contains(userActions, done) {
		done = ""
	}
	a.renderUser(w, r, me, http.StatusOK, done, "")
}

func (a *App) renderUser(w http.ResponseWriter, r *http.Request, me account.User, status int, done, errKey string) {
	t := tenantFrom(r.Context())
	id := r.PathValue("id")
	u, err := a.opts.Store.User(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "read user", err)
		return
	}
	lock, err := a.opts.Store.UserLockState(r.Context(), t.ID, id)
	if err != nil {
		a.internalError(w, r, "lock state", err)
		return
	}
	has, err := a.opts.Store.HasSecondFactor(r.Context(), t.ID, id)
	if err != nil {
		a.internalError(w, r, "has second factor", err)
		return
	}
	sessions, err := a.opts.Store.ActiveSessionCount(r.Context(), t.ID, id)
	if err != nil {
		a.internalError(w, r, "count sessions", err)
		return
	}
	p := userPage{Slug: t.Slug, TenantName: t.LegalName, Me: me, User: a.showName(r, u), Roles: account.Roles,
		Locked: lock.Locked(a.opts.Store.Now()), HasMFA: has, Self: u.ID == me.ID, Sessions: sessions,
		Removed: u.Status == account.StatusRemoved}
	if p.Forms, err = a.formGrantOptions(r, u.ID); err != nil {
		a.internalError(w, r, "form grants", err)
		return
	}
	switch done {
	case "":
	case "remove":
		p.Done = "users.done.removed"
	case "site-editor":
		p.Done = "editor.done"
	case "register-lookup":
		p.Done = "mlookup.grant.done"
	default:
		p.Done = "user.done." + done
	}
	if errKey != "" {
		p.Error = a.t(r, errKey)
	}
	a.render(w, r, status, "user-show", p)
}

// userActionOf is userAction for a route that names the action in its
// pattern rather than in {action}.
func (a *App) userActionOf(action string) signedIn {
	return func(w http.ResponseWriter, r *http.Request, me account.User) {
		r.SetPathValue("action", action)
		a.userAction(w, r, me)
	}
}

// userAction runs one admin action on a user of the tenant.
func (a *App) userAction(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	id, action := r.PathValue("id"), r.PathValue("action")
	actor := userActor(me, RequestIDFrom(r.Context()))
	ctx := r.Context()
	// The user must be of this tenant, whatever the action.
	if _, err := a.opts.Store.UserLockState(ctx, t.ID, id); errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	} else if err != nil {
		a.internalError(w, r, "user action", err)
		return
	}
	var err error
	switch action {
	case "role":
		role := account.Role(r.PostForm.Get("role"))
		if !slices.Contains(account.Roles, role) {
			a.renderUser(w, r, me, http.StatusUnprocessableEntity, "", "user.error.role")
			return
		}
		err = a.opts.Store.SetUserRole(ctx, actor, t.ID, id, role)
	case "site-editor":
		// A checkbox: checked grants, unchecked revokes (USR-5).
		err = a.opts.Store.SetSiteEditor(ctx, actor, t.ID, id, r.PostForm.Get("site_editor") == "yes")
	case "register-lookup":
		// A checkbox like the site editor's: the register's authorisation
		// names people, so it is given per person (REG-4, ORG-6).
		err = a.opts.Store.SetRegisterLookup(ctx, actor, t.ID, id, r.PostForm.Get("register_lookup") == "yes")
	case "disable":
		err = a.opts.Store.DisableUser(ctx, actor, t.ID, id)
	case "enable":
		err = a.opts.Store.EnableUser(ctx, actor, t.ID, id)
	case "unlock":
		err = a.opts.Store.Unlock(ctx, actor, t.ID, id)
	case "reset-mfa":
		var has bool
		if has, err = a.opts.Store.HasSecondFactor(ctx, t.ID, id); err == nil && has {
			err = a.opts.Store.RemoveTOTP(ctx, actor, t.ID, id)
		}
	case "revoke-sessions":
		keep := "" // an admin ending their own sessions here keeps this one
		if id == me.ID {
			keep = sessionToken(r)
		}
		_, err = a.opts.Store.RevokeUserSessions(ctx, actor, t.ID, id, keep)
	case "remove":
		if r.PostForm.Get("confirm") != "yes" {
			a.renderUser(w, r, me, http.StatusUnprocessableEntity, "", "user.error.remove_confirm")
			return
		}
		err = a.opts.Store.RemoveUser(ctx, actor, t.ID, id)
	default:
		a.notFound(w, r)
		return
	}
	switch {
	case errors.Is(err, store.ErrOwnAccount) && action == "remove":
		a.renderUser(w, r, me, http.StatusConflict, "", "user.error.own_remove")
	case errors.Is(err, store.ErrOwnAccount):
		a.renderUser(w, r, me, http.StatusConflict, "", "user.error.own")
	case errors.Is(err, store.ErrEditorIsAdmin):
		a.renderUser(w, r, me, http.StatusConflict, "", "editor.error.admin")
	case errors.Is(err, store.ErrLookupNeedsInbox):
		a.renderUser(w, r, me, http.StatusConflict, "", "mlookup.grant.error.role")
	case errors.Is(err, store.ErrLastAdmin):
		a.renderUser(w, r, me, http.StatusConflict, "", "user.error.last_admin")
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "user "+action, err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/users/"+id+"?done="+action, http.StatusSeeOther)
	}
}
