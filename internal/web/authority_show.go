package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// Authorities' requests for data (REG-5): supplier staff record and handle
// them on /operator/authority?tenant=…, one step at a time, in the order
// the store enforces (assessed, then the controller told or a legal
// prohibition recorded, only then disclosed); the controller reads them,
// with every step, on /{tenant}/admin/authority-requests.

type authorityView struct {
	store.AuthorityRequest
	Steps []dutyStepView
	Step  *instrForm // the supplier's next-step form
	Clock string     // "", store.DeadlineNear or store.DeadlineOverdue (REG-5)
}

type authorityPage struct {
	Slug, TenantSlug, TenantName string
	Realm                        bool
	Tenants                      []tenantOption
	Items                        []authorityView
	Record                       *instrForm
	Errors                       fieldErrors
	Done                         string
}

var authorityOrder = []string{"authority", "legal_basis", "asked", "received_at", "deadline"}

func (a *App) renderAuthority(w http.ResponseWriter, r *http.Request, actor audit.Actor, t tenant.Tenant, realm bool, status int,
	form string, values, errs map[string]string, summary fieldErrors) {
	slug := tenantFrom(r.Context()).Slug
	p := authorityPage{Slug: slug, TenantSlug: t.Slug, TenantName: t.LegalName, Realm: realm, Errors: summary, Done: r.URL.Query().Get("done")}
	if t.ID != "" {
		list, err := a.opts.Store.AuthorityRequests(r.Context(), actor, t.ID)
		if err != nil {
			a.internalError(w, r, "authority requests", err)
			return
		}
		for _, ar := range list {
			v := authorityView{AuthorityRequest: ar, Steps: a.dutySteps(r, ar.Steps), Clock: ar.DeadlineState(a.opts.Store.Now())}
			if realm && (ar.DisclosedAt == nil || ar.Prohibited) {
				vals, es := map[string]string{}, map[string]string{}
				if form == ar.ID {
					vals, es = values, errs
				}
				step := instrInput{ID: ar.ID + "-step", Name: "step", Label: a.t(r, "instr.field.step"), Kind: "select", Error: es["step"]}
				for _, s := range []string{"", store.AuthorityAssess, store.AuthorityNotify, store.AuthorityProhibit, store.AuthorityLift, store.AuthorityDisclose} {
					if s != "" && !ar.Allows(s) {
						continue // only the steps that may follow now are offered; the store refuses the others
					}
					step.Options = append(step.Options, breachChoice{Value: s, Label: a.t(r, "instr.stepchoice."+answerKey(s)), Checked: vals["step"] == s})
				}
				text := a.instrField(r, ar.ID, "text", "textarea", false, vals, es)
				text.Hint = a.t(r, "instr.step.hint")
				v.Step = &instrForm{ID: ar.ID, Action: "/" + slug + "/authority/" + t.Slug + "/" + ar.ID + "/step", Submit: a.t(r, "instr.step.submit"),
					Inputs: []instrInput{step, text}}
			}
			p.Items = append(p.Items, v)
		}
	}
	if realm {
		var err error
		if p.Tenants, err = a.realmTenantOptions(r, t.Slug); err != nil {
			a.internalError(w, r, "tenants", err)
			return
		}
		if t.ID != "" {
			vals, es := map[string]string{}, map[string]string{}
			if form == "new" {
				vals, es = values, errs
			}
			f := &instrForm{ID: "new", Action: "/" + slug + "/authority?tenant=" + t.Slug, Submit: a.t(r, "instr.authority.submit")}
			for _, n := range authorityOrder {
				kind := "text"
				switch n {
				case "asked":
					kind = "textarea"
				case "received_at", "deadline":
					kind = "date"
				}
				f.Inputs = append(f.Inputs, a.instrField(r, "new", n, kind, false, vals, es))
			}
			p.Record = f
		}
	}
	a.render(w, r, status, "authority", p)
}

// authorityShow is the controller's page.
func (a *App) authorityShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderAuthority(w, r, userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()), false, http.StatusOK, "", nil, nil, nil)
}

// operatorAuthorityShow is the realm's page for the chosen controller.
func (a *App) operatorAuthorityShow(w http.ResponseWriter, r *http.Request, me account.User) {
	t, err := a.realmTenantQuery(r)
	if err != nil {
		a.internalError(w, r, "authority tenant", err)
		return
	}
	a.renderAuthority(w, r, breachOperatorActor(me, r), t, true, http.StatusOK, "", nil, nil, nil)
}

// operatorAuthorityRecord records a request for the controller in the
// query.
func (a *App) operatorAuthorityRecord(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t, err := a.realmTenantQuery(r)
	if err != nil {
		a.internalError(w, r, "authority tenant", err)
		return
	}
	if t.ID == "" {
		a.notFound(w, r)
		return
	}
	values := map[string]string{}
	for _, n := range authorityOrder {
		values[n] = r.PostForm.Get(n)
	}
	bad := map[string]string{}
	in := store.AuthorityInput{Authority: values["authority"], LegalBasis: values["legal_basis"], Asked: values["asked"]}
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"received_at", &in.ReceivedAt}, {"deadline", &in.Deadline}} {
		day, ok := parseDay(values[d.name])
		if !ok {
			bad[d.name] = "instr.error.date"
			continue
		}
		*d.dst = day
	}
	if bad["deadline"] == "" && !in.Deadline.IsZero() {
		in.Deadline = in.Deadline.AddDate(0, 0, 1).Add(-time.Minute) // a deadline day runs to its end
	}
	actor := breachOperatorActor(me, r)
	if len(bad) == 0 {
		_, err = a.opts.Store.RecordAuthorityRequest(r.Context(), actor, t.ID, in)
		if err == nil {
			http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/authority?tenant="+t.Slug+"&done=saved", http.StatusSeeOther)
			return
		}
	} else {
		if in.ReceivedAt.IsZero() && bad["received_at"] != "" {
			in.ReceivedAt = a.opts.Store.Now().Add(-1)
		}
		if in.Deadline.IsZero() && bad["deadline"] != "" {
			in.Deadline = a.opts.Store.Now().Add(1)
		}
		err = store.ValidateAuthorityInput(in, a.opts.Store.Now())
	}
	msgs, summary, known := a.instrErrors(r, "new", authorityOrder, bad, err)
	if !known {
		a.internalError(w, r, "record authority request", err)
		return
	}
	a.renderAuthority(w, r, actor, t, true, http.StatusUnprocessableEntity, "new", values, msgs, summary)
}

// operatorAuthorityStep takes the next step on a request.
func (a *App) operatorAuthorityStep(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t, ok := a.realmTenantOr404(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	values := map[string]string{"step": r.PostForm.Get("step"), "text": r.PostForm.Get("text")}
	actor := breachOperatorActor(me, r)
	err := a.opts.Store.AuthorityStep(r.Context(), actor, t.ID, id, values["step"], values["text"], a.dutyMail)
	switch {
	case err == nil:
		http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/authority?tenant="+t.Slug+"&done=step", http.StatusSeeOther)
		return
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
		return
	}
	// The store names the step's text by what it is; the form has one text.
	var ve *store.DutyValidationError
	if errors.As(err, &ve) {
		fields := map[string]string{}
		for f, key := range ve.Fields {
			if f != "step" {
				f = "text"
			}
			fields[f] = key
		}
		err = &store.DutyValidationError{Fields: fields}
	}
	msgs, summary, known := a.instrErrors(r, id, []string{"step", "text"}, nil, err)
	if !known {
		a.internalError(w, r, "authority step", err)
		return
	}
	if errors.Is(err, store.ErrDutyState) {
		msgs = map[string]string{"step": a.t(r, "instr.error.state")}
		summary = fieldErrors{{id + "-step", msgs["step"]}}
	}
	a.renderAuthority(w, r, actor, t, true, http.StatusUnprocessableEntity, id, values, msgs, summary)
}
