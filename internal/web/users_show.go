package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
)

// signedIn is a handler for a signed-in user of the request's tenant.
type signedIn func(w http.ResponseWriter, r *http.Request, u account.User)

// require lets the request through only with a session of this tenant whose
// user has permission p (account.UserCan: the permission table in package
// account, and the site-editor permission an admin gave). No
// session: to the login page. Without the permission: 403, and the refusal
// is recorded in the tenant's audit log. A session pending its second
// factor goes to the second login step, and an admin's or DPO's session
// without a second factor to enrolment (USR-2), whatever the permission.
func (a *App) require(p account.Permission, h signedIn) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, info, ok, err := a.currentUser(r)
		if err == nil && !ok {
			// A supplier operator reaches these pages only under the
			// controller's grant, with the support role, past their MFA.
			u, ok, err = a.operatorPrincipal(r)
			info.MFAVerified = ok
		}
		if err != nil {
			a.internalError(w, r, "session", err)
			return
		}
		if !ok {
			a.toLogin(w, r)
			return
		}
		next := ""
		if r.Method == http.MethodGet {
			next = r.URL.RequestURI()
		}
		if to, err := a.mfaGate(r, u, info, next); err != nil {
			a.internalError(w, r, "mfa gate", err)
			return
		} else if to != "" {
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		if !account.UserCan(u, p) {
			t := tenantFrom(r.Context())
			if err := a.opts.Store.Audit(r.Context(), audit.Event{TenantID: t.ID, Actor: userActor(u, RequestIDFrom(r.Context())),
				Action: "access.denied", ObjectType: "permission", ObjectID: string(p), Purpose: r.Pattern,
				Outcome: audit.OutcomeDenied}); err != nil {
				a.internalError(w, r, "audit denied access", err)
				return
			}
			a.error(w, r, http.StatusForbidden)
			return
		}
		h(w, withStaff(r.WithContext(context.WithValue(r.Context(), sessionKey{}, info)), u), u)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// A staff write may change what citizens see (a form, the
			// register behind the privacy statement, the look, a site
			// page): this node renders the tenant's public pages afresh.
			a.invalidatePublic(tenantFrom(r.Context()))
		}
	}
}

type sessionKey struct{}

// sessionFrom returns the session require let through; ok is false
// outside require.
func sessionFrom(ctx context.Context) (store.SessionInfo, bool) {
	info, ok := ctx.Value(sessionKey{}).(store.SessionInfo)
	return info, ok
}

// usersPage is the user management page: the tenant's users and the
// invitation form.
type usersPage struct {
	Slug       string
	TenantName string
	Me         account.User
	Users      []account.User
	CanManage  bool
	Roles      []account.Role
	Form       account.Invite
	Errors     fieldErrors
	Invited    string // name of the person just invited
	// SeesSupplierAccess: the page on supplier operators' access is open
	// to this user (admins and the DPO).
	SeesSupplierAccess bool
	Langs              []LangLink
}

// usersShow lists the tenant's users (USR-1): names and addresses are
// opened, so the store records the consultation.
func (a *App) usersShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderUsers(w, r, me, http.StatusOK, account.Invite{Role: account.RoleUser, Lang: string(LangFrom(r.Context()))}, nil, r.URL.Query().Get("invited"))
}

func (a *App) renderUsers(w http.ResponseWriter, r *http.Request, me account.User, status int, form account.Invite, errs []fieldError, invited string) {
	t := tenantFrom(r.Context())
	users, err := a.opts.Store.Users(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
	if err != nil {
		a.internalError(w, r, "list users", err)
		return
	}
	invitedName := ""
	for i, u := range users {
		users[i] = a.showName(r, u)
		if invited != "" && u.ID == invited {
			invitedName = u.Name
		}
	}
	var langs []LangLink
	for _, l := range locale.Supported() {
		langs = append(langs, LangLink{Code: l, HTMLLang: l.HTMLLang(), Name: l.Name(), Current: string(l) == form.Lang})
	}
	a.render(w, r, status, "users", usersPage{Slug: t.Slug, TenantName: t.LegalName, Me: me, Users: users,
		CanManage: account.Can(me.Role, account.ManageUsers), Roles: account.Roles, Form: form, Errors: errs,
		Invited: invitedName, Langs: langs, SeesSupplierAccess: account.Can(me.Role, account.ViewAudit)})
}

// userCreate invites a user (USR-1): the tenant's own admins add their
// users without the supplier. The invitation mail is queued in the same
// transaction, in the invitee's language; the admin never sees the link.
func (a *App) userCreate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	in := account.Invite{Email: r.PostForm.Get("email"), Name: r.PostForm.Get("name"),
		Role: account.Role(r.PostForm.Get("role")), Lang: r.PostForm.Get("lang")}
	compose := func(u account.User, token string) *store.OutgoingMail {
		l, _ := locale.Parse(u.Lang)
		link := a.tenantLink(t, "/activate/"+token)
		return &store.OutgoingMail{To: u.Email, Lang: u.Lang, Kind: "account.invite",
			Subject: locale.T(l, "mail.invite.subject", t.LegalName),
			Body:    locale.T(l, "mail.invite.body", u.Name, t.LegalName, locale.T(l, "role."+string(u.Role)), link)}
	}
	u, _, err := a.opts.Store.InviteUserWithMail(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, in, compose)
	var ve *account.ValidationError
	switch {
	case errors.As(err, &ve):
		var errs []fieldError
		for _, f := range []string{"email", "name", "role", "lang"} {
			if _, bad := ve.Fields[f]; bad {
				errs = append(errs, fieldError{f, a.t(r, "users.error."+f)})
			}
		}
		a.renderUsers(w, r, me, http.StatusUnprocessableEntity, in, errs, "")
	case errors.Is(err, store.ErrConflict):
		a.renderUsers(w, r, me, http.StatusConflict, in, []fieldError{{"email", a.t(r, "users.error.exists")}}, "")
	case err != nil:
		a.internalError(w, r, "invite user", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/users?invited="+u.ID, http.StatusSeeOther)
	}
}
