package web

import (
	"errors"
	"net/http"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// Containment on a breach's page (BRE-2): an admin ends what the breach
// points at — an API key, a supplier's access grant, a user's sessions, a
// webhook — after a confirmation page, behind the step-up as revoking a
// key is elsewhere. The store ends it with its own operation and audit
// event and, in the same transaction, writes the measure in the tenant's
// language into the annex's "measures taken" as the breach's next version,
// mailed to the controller's admins and DPO with its proof.

// containGroup is one kind of action with what it can end now.
type containGroup struct {
	Kind, Label, None string
	Options           []breachChoice
}

// containPage is the confirmation of one action: posted again to Action
// with confirm, or back to the breach.
type containPage struct {
	TenantName   string
	Action, Back string
	Summary      string
	Kind, Target string
	What         string
}

func breachPagePath(r *http.Request) string {
	return "/" + tenantFrom(r.Context()).Slug + "/admin/breaches/" + r.PathValue("id")
}

// containGroups lists, per kind actor may take, what the tenant can end
// now: supplier staff end only the supplier's own access (a grant).
func (a *App) containGroups(r *http.Request, actor audit.Actor, tenantID string) ([]containGroup, error) {
	targets, err := a.opts.Store.ContainTargets(r.Context(), actor, tenantID)
	if err != nil {
		return nil, err
	}
	var out []containGroup
	for _, k := range store.ContainKinds {
		if actor.Kind == audit.KindOperator && k != store.ContainGrant {
			continue
		}
		g := containGroup{Kind: k, Label: a.t(r, "contain.kind."+k), None: a.t(r, "contain.none."+k)}
		for _, c := range targets {
			if c.Kind == k {
				g.Options = append(g.Options, breachChoice{Value: c.ID, Label: c.Label})
			}
		}
		out = append(out, g)
	}
	return out, nil
}

// measureText words a measure for the annex in the tenant's language: the
// controller reads the form in it, whoever took the measure.
func measureText(who string) store.MeasureText {
	return func(t tenant.Tenant, m store.Measure) string {
		l, ok := locale.Parse(t.DefaultLang)
		if !ok {
			l = locale.NL
		}
		return locale.T(l, "contain.measure."+m.Kind, localTime(m.At), m.Label, who, m.Ended)
	}
}

// containLabel is the name of target of kind among groups, "" when it is
// not offered (another tenant's, already ended, not the actor's to end).
func containLabel(groups []containGroup, kind, target string) string {
	for _, g := range groups {
		for _, o := range g.Options {
			if g.Kind == kind && o.Value == target {
				return o.Label
			}
		}
	}
	return ""
}

// breachContain asks for confirmation of one action, then, with confirm,
// takes it. Something the tenant does not have (another tenant's key, a
// thing already ended) is not offered and answers 404: nothing changes.
func (a *App) breachContain(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	page := breachPagePath(r)
	a.contain(w, r, t, userActor(me, RequestIDFrom(r.Context())), me.Name, page, page+"?done=contain")
}

// operatorBreachContain is the same on the operators' realm: supplier
// staff end a supplier's access grant to the controller.
func (a *App) operatorBreachContain(w http.ResponseWriter, r *http.Request, me account.User) {
	t, ok := a.realmTenantOr404(w, r)
	if !ok {
		return
	}
	realm := tenantFrom(r.Context()).Slug
	page := "/" + realm + "/breaches/" + t.Slug + "/" + r.PathValue("id")
	a.contain(w, r, t, breachOperatorActor(me, r), me.Name, page, "/"+realm+"/breaches?done=contain")
}

func (a *App) contain(w http.ResponseWriter, r *http.Request, t tenant.Tenant, actor audit.Actor, who, page, done string) {
	if !a.parseForm(w, r) {
		return
	}
	kind, target := r.PostForm.Get("kind"), r.PostForm.Get("target")
	b, ok := a.breachOr404(w, r, actor, t.ID, r.PathValue("id"), "containment")
	if !ok {
		return
	}
	groups, err := a.containGroups(r, actor, t.ID)
	if err != nil {
		a.internalError(w, r, "containment targets", err)
		return
	}
	label := containLabel(groups, kind, target)
	if label == "" {
		a.notFound(w, r)
		return
	}
	if r.PostForm.Get("confirm") != "1" {
		a.render(w, r, http.StatusOK, "breach-contain", containPage{TenantName: t.LegalName, Action: page + "/contain", Back: page,
			Summary: summary(b.Report.Description), Kind: kind, Target: target, What: a.t(r, "contain.confirm."+kind, label)})
		return
	}
	_, _, err = a.opts.Store.ContainBreach(r.Context(), actor, t.ID, b.ID, kind, target, measureText(who), a.breachNotifyMail)
	var ve *store.BreachValidationError
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case errors.Is(err, store.ErrAlreadyEnded):
		a.errorWith(w, r, http.StatusConflict, "contain.error.ended")
	case errors.As(err, &ve):
		a.errorWith(w, r, http.StatusUnprocessableEntity, "contain.error.too_long")
	case err != nil:
		a.internalError(w, r, "contain breach", err)
	default:
		http.Redirect(w, r, done, http.StatusSeeOther)
	}
}
