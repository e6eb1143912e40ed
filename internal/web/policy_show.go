package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/policy"
	"github.com/kluis/kluis/internal/store"
)

// tenantPolicy returns the security policy of the request's tenant.
func (a *App) tenantPolicy(r *http.Request) (policy.Policy, error) {
	p, _, err := a.opts.Store.TenantPolicy(r.Context(), tenantFrom(r.Context()).ID)
	return p, err
}

// policyField is one numeric input of the policy page.
type policyField struct {
	Name     string
	Value    string // as stored, or as typed when the form comes back
	Min, Max int
	Error    string
}

// policyGroup is one fieldset of the policy page.
type policyGroup struct {
	Legend string // message key
	Fields []policyField
	Checks []policyCheck
	Hint   string // message key, or ""
}

// policyCheck is one checkbox of the policy page.
type policyCheck struct {
	Name    string
	Checked bool
	Note    string // message key shown under it, or ""
}

// policyPage is the tenant's security policy page: a form for admins, the
// values for the DPO.
type policyPage struct {
	Slug       string
	TenantName string
	CanEdit    bool
	Version    int
	Saved      int // the version just saved, or 0
	Groups     []policyGroup
	Errors     fieldErrors
	Versions   []store.PolicyVersion
}

// policyGroups lays out the page: which fields, in which fieldset.
var policyGroups = []struct {
	legend, hint string
	fields       []string
	checks       []string
}{
	{"policy.group.password", "", []string{policy.FieldPasswordMinLength, policy.FieldPasswordMaxLength},
		[]string{policy.FieldBreachCheck}},
	{"policy.group.lockout", "", []string{policy.FieldLockoutMaxFailures, policy.FieldLockoutWindow, policy.FieldLockoutLock1,
		policy.FieldLockoutLock2, policy.FieldLockoutLock3, policy.FieldLockoutAdminUnlockAfter, policy.FieldMFAMaxFailures}, nil},
	{"policy.group.sessions", "policy.hint.sessions", []string{policy.FieldSessionIdle, policy.FieldSessionAdminIdle,
		policy.FieldSessionAbsolute}, nil},
	{"policy.group.mfa", "", nil, []string{policy.FieldMFARequired}},
}

// policyShow shows the tenant's security policy (USR-3, USR-6): editable
// for admins (EditSettings), read-only for the DPO (ViewSettings).
func (a *App) policyShow(w http.ResponseWriter, r *http.Request, me account.User) {
	p, v, err := a.opts.Store.TenantPolicy(r.Context(), tenantFrom(r.Context()).ID)
	if err != nil {
		a.internalError(w, r, "tenant policy", err)
		return
	}
	saved, _ := strconv.Atoi(r.URL.Query().Get("saved"))
	a.renderPolicy(w, r, me, http.StatusOK, p, v, nil, nil, saved)
}

// policyUpdate stores a new version of the tenant's policy. Every field is
// checked against the platform bounds; when any is invalid the form comes
// back with a message per field and nothing is saved.
func (a *App) policyUpdate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	f := r.PostForm
	var p policy.Policy
	typed := map[string]string{}
	bad := map[string]policy.Violation{}
	for _, b := range policy.Bounds {
		s := strings.TrimSpace(f.Get(b.Field))
		typed[b.Field] = s
		n, err := strconv.Atoi(s)
		if err != nil {
			bad[b.Field] = policy.Violation{Rule: policy.RuleNumber}
			continue
		}
		p.SetInt(b.Field, n)
	}
	p.BreachCheck = f.Get(policy.FieldBreachCheck) != ""
	p.MFARequired = f.Get(policy.FieldMFARequired) != ""
	var ve *policy.ValidationError
	if err := p.Validate(); errors.As(err, &ve) {
		for field, v := range ve.Fields {
			if _, ok := bad[field]; !ok {
				bad[field] = v
			}
		}
	}
	base, _ := strconv.Atoi(f.Get("version"))
	if len(bad) > 0 {
		a.renderPolicy(w, r, me, http.StatusUnprocessableEntity, p, base, typed, bad, 0)
		return
	}
	v, err := a.opts.Store.SetTenantPolicy(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, p, base)
	switch {
	case errors.Is(err, store.ErrConflict):
		cur, cv, err := a.opts.Store.TenantPolicy(r.Context(), t.ID)
		if err != nil {
			a.internalError(w, r, "tenant policy", err)
			return
		}
		a.renderPolicy(w, r, me, http.StatusConflict, cur, cv, nil, map[string]policy.Violation{"policy-form": {Rule: "policy.error.conflict"}}, 0)
	case err != nil:
		a.internalError(w, r, "set tenant policy", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/policy?saved="+strconv.Itoa(v), http.StatusSeeOther)
	}
}

// renderPolicy renders the page with p's values, or the values as typed
// where typed has them, and a message for each field in bad.
func (a *App) renderPolicy(w http.ResponseWriter, r *http.Request, me account.User, status int, p policy.Policy, version int,
	typed map[string]string, bad map[string]policy.Violation, saved int) {
	t := tenantFrom(r.Context())
	page := policyPage{Slug: t.Slug, TenantName: t.LegalName, CanEdit: account.Can(me.Role, account.EditSettings),
		Version: version, Saved: saved}
	msg := func(v policy.Violation) string { return a.t(r, v.Rule, v.Args...) }
	if v, ok := bad["policy-form"]; ok {
		page.Errors = append(page.Errors, fieldError{"policy-form", msg(v)})
	}
	for _, g := range policyGroups {
		grp := policyGroup{Legend: g.legend, Hint: g.hint}
		for _, name := range g.fields {
			b, _ := policy.BoundOf(name)
			fld := policyField{Name: name, Value: strconv.Itoa(p.Int(name)), Min: b.Min, Max: b.Max}
			if s, ok := typed[name]; ok {
				fld.Value = s
			}
			if v, ok := bad[name]; ok {
				fld.Error = msg(v)
				page.Errors = append(page.Errors, fieldError{name, fld.Error})
			}
			grp.Fields = append(grp.Fields, fld)
		}
		for _, name := range g.checks {
			c := policyCheck{Name: name}
			switch name {
			case policy.FieldBreachCheck:
				c.Checked = p.BreachCheck
				if a.opts.Breached == nil {
					c.Note = "policy.breach.off"
				}
			case policy.FieldMFARequired:
				c.Checked = p.MFARequired
			}
			grp.Checks = append(grp.Checks, c)
		}
		page.Groups = append(page.Groups, grp)
	}
	vs, err := a.opts.Store.TenantPolicyVersions(r.Context(), t.ID, 10)
	if err != nil {
		a.internalError(w, r, "policy versions", err)
		return
	}
	page.Versions = vs
	a.render(w, r, status, "policy", page)
}
