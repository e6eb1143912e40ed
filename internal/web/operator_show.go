package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// Supplier operators sign in on the realm at /operator/ with the ordinary
// identity pages (login, MFA, activation, reset). Everything else of a
// tenant's pages does not exist there: realmPaths lists what does.
var realmPaths = []string{"login", "logout", "activate/", "activated", "account/", "password/", "signed-in", "maintenance", "breaches", "subprocessors",
	"subprocessors.csv", "subprocessors.xlsx", "audits", "agreements",
	"organisation", "instructions", "authority", "terminations", "backups", "clauses"}

// realmAllows reports whether the path (below /operator/) is one of the
// identity pages the operators' realm serves.
func realmAllows(rest string) bool {
	for _, p := range realmPaths {
		if rest == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(rest, p)) || strings.HasPrefix(rest, p+"/") {
			return true
		}
	}
	return false
}

// operatorPrincipal is the supplier operator behind the request's session,
// seen from a controller's page: only an operator whose realm session
// passed its second factor and whose access the controller granted and has
// not ended gets a principal, with the read-only support role. Every
// request under a grant is recorded in the controller's audit log. ok is
// false otherwise (the operator is as anonymous there).
func (a *App) operatorPrincipal(r *http.Request) (u account.User, ok bool, err error) {
	tok := sessionToken(r)
	t := tenantFrom(r.Context())
	if tok == "" || t.IsPlatform() {
		return u, false, nil
	}
	realm, err := a.opts.Store.TenantBySlug(r.Context(), tenant.OperatorSlug)
	if errors.Is(err, store.ErrNotFound) {
		return u, false, nil
	} else if err != nil {
		return u, false, err
	}
	op, info, err := a.opts.Store.Session(r.Context(), realm.ID, tok)
	if errors.Is(err, store.ErrSessionInvalid) || (err == nil && !info.MFAVerified) {
		return u, false, nil
	} else if err != nil {
		return u, false, err
	}
	// The controller's grant, else a maintenance notice inside its window
	// (AUD-4); what the operator does is recorded under its id.
	under, action, purpose := "", "operator.access", "support under grant"
	if g, err := a.opts.Store.ActiveOperatorGrant(r.Context(), t.ID, op.ID); err == nil {
		under = g.ID
	} else if !errors.Is(err, store.ErrNotFound) {
		return u, false, err
	} else if n, err := a.opts.Store.ActiveMaintenanceNotice(r.Context(), t.ID, op.ID); err == nil {
		under, action, purpose = n.ID, "maintenance.access", "maintenance under notice"
	} else if errors.Is(err, store.ErrNotFound) {
		return u, false, nil
	} else {
		return u, false, err
	}
	u = account.User{ID: op.ID, TenantID: t.ID, Name: op.Name, Role: account.RoleSupport, Status: account.StatusActive, Lang: op.Lang,
		OnBehalfOf: under}
	if err := a.opts.Store.Audit(r.Context(), audit.Event{TenantID: t.ID, Actor: userActor(u, RequestIDFrom(r.Context())),
		Action: action, ObjectType: "page", ObjectID: r.Pattern, Purpose: purpose}); err != nil {
		return u, false, err
	}
	return u, true, nil
}

// grantDurations are the choices on the grant form.
var grantDurations = []time.Duration{time.Hour, 4 * time.Hour, 8 * time.Hour, 24 * time.Hour, 72 * time.Hour}

// grantRow is one grant on the controller's page.
type grantRow struct {
	store.OperatorGrant
	Active bool
}

type operatorsPage struct {
	Slug, TenantName string
	Grants           []grantRow
	CanManage        bool
	Durations        []durationOption
	Form             struct{ Email, Reason, Hours string }
	Errors           fieldErrors
	Done             string
	Notices          noticesView // maintenance notices (AUD-4), maintenance_show.go
}

type durationOption struct {
	Hours    string
	Label    string
	Selected bool
}

// operatorsShow is the controller's page on supplier access: who of the
// supplier's staff may enter, until when and why; admins grant and end it.
func (a *App) operatorsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderOperators(w, r, me, http.StatusOK, operatorsPage{Done: doneKey(r.URL.Query().Get("done"))})
}

func doneKey(s string) string {
	switch s {
	case "granted", "revoked":
		return "operators.done." + s
	case "objected", "shortened", "days":
		return "maintenance.done." + s
	}
	return ""
}

func (a *App) renderOperators(w http.ResponseWriter, r *http.Request, me account.User, status int, p operatorsPage) {
	t := tenantFrom(r.Context())
	gs, err := a.opts.Store.OperatorGrants(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
	if err != nil {
		a.internalError(w, r, "list operator grants", err)
		return
	}
	now := a.opts.Store.Now()
	for _, g := range gs {
		if g.Unreadable { // its label and reason do not open: say so, keep the rest
			g.Label, g.Reason = a.t(r, "robust.unreadable"), a.t(r, "robust.unreadable")
		}
		p.Grants = append(p.Grants, grantRow{g, g.ActiveAt(now)})
	}
	if p.Form.Hours == "" {
		p.Form.Hours = "4"
	}
	for _, d := range grantDurations {
		h := strconv.Itoa(int(d.Hours()))
		p.Durations = append(p.Durations, durationOption{Hours: h, Label: a.t(r, "operators.hours", int(d.Hours())), Selected: h == p.Form.Hours})
	}
	p.Slug, p.TenantName, p.CanManage = t.Slug, t.LegalName, account.Can(me.Role, account.ManageUsers)
	if err := a.loadNotices(r, me, &p); err != nil {
		a.internalError(w, r, "list maintenance notices", err)
		return
	}
	a.render(w, r, status, "operators", p)
}

// operatorGrantCreate grants an operator time-boxed access.
func (a *App) operatorGrantCreate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	var p operatorsPage
	p.Form.Email, p.Form.Reason, p.Form.Hours = r.PostForm.Get("email"), r.PostForm.Get("reason"), r.PostForm.Get("hours")
	in := store.GrantInput{Email: p.Form.Email, Reason: p.Form.Reason}
	for _, d := range grantDurations {
		if strconv.Itoa(int(d.Hours())) == p.Form.Hours {
			in.Duration = d
		}
	}
	_, err := a.opts.Store.GrantOperatorAccess(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, in)
	var ve *store.GrantValidationError
	switch {
	case errors.As(err, &ve):
		for _, f := range []string{"email", "reason", "duration"} {
			if key, bad := ve.Fields[f]; bad {
				field := f
				if f == "duration" {
					field = "hours"
				}
				p.Errors = append(p.Errors, fieldError{field, a.t(r, key)})
			}
		}
		a.renderOperators(w, r, me, http.StatusUnprocessableEntity, p)
	case errors.Is(err, store.ErrNoSuchOperator):
		p.Errors = fieldErrors{{"email", a.t(r, "grant.error.no_operator")}}
		a.renderOperators(w, r, me, http.StatusUnprocessableEntity, p)
	case err != nil:
		a.internalError(w, r, "grant operator access", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/operators?done=granted", http.StatusSeeOther)
	}
}

// operatorGrantRevoke ends a grant at once.
func (a *App) operatorGrantRevoke(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	err := a.opts.Store.RevokeOperatorGrant(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "revoke operator grant", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/operators?done=revoked", http.StatusSeeOther)
	}
}

// operatorHome is an operator's own page in the realm: the controllers
// whose grants let them in now.
func (a *App) operatorHome(w http.ResponseWriter, r *http.Request, u account.User) {
	t := tenantFrom(r.Context())
	grants, err := a.opts.Store.GrantedTenants(r.Context(), u.ID)
	if err != nil {
		a.internalError(w, r, "granted tenants", err)
		return
	}
	a.render(w, r, http.StatusOK, "operator-home", struct {
		Name, Slug string
		Grants     []store.OperatorGrantSummary
	}{u.Name, t.Slug, grants})
}
