package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/workdays"
)

// Scope from evidence on a breach's page (BRE-1, BRE-5): the staff member
// picks a window and an actor, Kluis counts from the audit log what that
// actor touched (store.BreachScope) and shows it; applying it saves a new
// version with the number of people and the classification pre-filled.
// Applying computes again from the log: the page's numbers are never
// taken back from the browser.

// scopeFields are the inputs in the order of the form and its summary.
var scopeFields = []string{"scope_from", "scope_until", "scope_actor", "scope_actor_id"}

type scopePage struct {
	Slug, TenantName string
	BreachID         string
	Summary          string
	Inputs           []breachInput // from, until
	Actor            *breachGroup
	ActorID          breachInput
	Values           breachValues
	Errors           fieldErrors
	Result           *breach.Scope
	Min, Max         int
	Forms            string
	Classes          string
	Letters          string
	// Known are the tenant's staff and API keys, offered for the id (the
	// audit log names actors by id): value the id, label who it is.
	Known []breachChoice
}

// scopeQuery reads the posted question; bad holds what could not be read.
func scopeQuery(r *http.Request) (breach.ScopeQuery, breachValues, map[string]string) {
	v := breachValues{}
	for _, k := range scopeFields {
		v[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	q := breach.ScopeQuery{Actor: v["scope_actor"], ActorID: v["scope_actor_id"]}
	bad := map[string]string{}
	for _, d := range []struct {
		field string
		dst   *time.Time
	}{{"scope_from", &q.From}, {"scope_until", &q.Until}} {
		if v[d.field] == "" {
			continue
		}
		t, err := workdays.ParseLocal(v[d.field])
		if err != nil {
			bad[d.field] = "scope.error.datetime"
			continue
		}
		*d.dst = t
	}
	return q, v, bad
}

func (a *App) renderScope(w http.ResponseWriter, r *http.Request, me account.User, status int, b store.Breach, v breachValues, errs map[string]string,
	s *breach.Scope) {
	t := tenantFrom(r.Context())
	p := scopePage{Slug: t.Slug, TenantName: t.LegalName, BreachID: b.ID, Summary: summary(b.Report.Description), Values: v, Result: s}
	// Reading the staff list is recorded (user.list): names are staff's
	// personal data. Keys hold none.
	users, err := a.opts.Store.Users(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
	if err != nil {
		a.internalError(w, r, "scope users", err)
		return
	}
	for _, u := range users {
		p.Known = append(p.Known, breachChoice{Value: u.ID, Label: a.t(r, "scope.actor.user") + ": " + a.showName(r, u).Name})
	}
	keys, err := a.opts.Store.APIKeys(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "scope keys", err)
		return
	}
	for _, k := range keys {
		p.Known = append(p.Known, breachChoice{Value: k.ID, Label: a.t(r, "scope.actor.apikey") + ": " + k.Name})
	}
	in := func(id string) breachInput {
		msg := ""
		if k, ok := errs[id]; ok {
			msg = a.t(r, k)
		}
		return breachInput{ID: id, Label: a.t(r, "scope."+strings.TrimPrefix(id, "scope_")), Value: v[id], Error: msg, Kind: "datetime", Required: true,
			Hint: a.t(r, "breach.hint.datetime")}
	}
	p.Inputs = []breachInput{in("scope_from"), in("scope_until")}
	p.ActorID = in("scope_actor_id")
	p.ActorID.Kind, p.ActorID.Hint = "text", a.t(r, "scope.actor_id.hint")
	p.Actor = &breachGroup{Name: "scope_actor"}
	if k, ok := errs["scope_actor"]; ok {
		p.Actor.Error = a.t(r, k)
	}
	for _, k := range breach.ScopeActors {
		p.Actor.Options = append(p.Actor.Options, breachChoice{Value: k, Label: a.t(r, "scope.actor."+k), Checked: v["scope_actor"] == k})
	}
	for _, f := range scopeFields {
		if k, ok := errs[f]; ok {
			id := f
			if f == "scope_actor" {
				id = "scope_actor-" + breach.ScopeActors[0]
			}
			p.Errors = append(p.Errors, fieldError{id, a.t(r, k)})
		}
	}
	if s != nil {
		p.Min, p.Max = s.PeopleBounds()
		none := a.t(r, "scope.none")
		join := func(xs []string) string {
			if len(xs) == 0 {
				return none
			}
			return strings.Join(xs, ", ")
		}
		p.Forms, p.Classes = join(s.Forms), join(s.InfoClasses)
		var letters []string
		for _, l := range s.Letters {
			letters = append(letters, l+". "+a.t(r, "breach.classes."+l))
		}
		p.Letters = join(letters)
	}
	a.render(w, r, status, "breach-scope", p)
}

// breachScopeForm shows the empty question: the last 24 hours.
func (a *App) breachScopeForm(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	b, ok := a.breachOr404(w, r, userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id"), "scope form")
	if !ok {
		return
	}
	now := a.opts.Store.Now().Truncate(time.Minute)
	a.renderScope(w, r, me, http.StatusOK, b, breachValues{"scope_from": localTime(now.Add(-24 * time.Hour)), "scope_until": localTime(now)}, nil, nil)
}

// breachScope computes the scope and shows it, or, with apply, computes it
// again and saves it on the breach as its next version, notifying the
// controller's admins and DPO as every update does.
func (a *App) breachScope(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	actor := userActor(me, RequestIDFrom(r.Context()))
	b, ok := a.breachOr404(w, r, actor, t.ID, r.PathValue("id"), "scope")
	if !ok {
		return
	}
	q, v, bad := scopeQuery(r)
	if len(bad) > 0 {
		// The values that could be read are checked too: every problem at once.
		for f, k := range q.Validate(a.opts.Store.Now()) {
			if _, seen := bad[f]; !seen && !(v[f] != "" && strings.HasSuffix(k, "_required")) {
				bad[f] = k
			}
		}
		a.renderScope(w, r, me, http.StatusUnprocessableEntity, b, v, bad, nil)
		return
	}
	s, err := a.opts.Store.BreachScope(r.Context(), actor, t.ID, q)
	var ve *store.BreachValidationError
	switch {
	case errors.As(err, &ve):
		a.renderScope(w, r, me, http.StatusUnprocessableEntity, b, v, ve.Fields, nil)
		return
	case err != nil:
		a.internalError(w, r, "breach scope", err)
		return
	}
	if r.PostForm.Get("apply") != "1" {
		a.renderScope(w, r, me, http.StatusOK, b, v, nil, &s)
		return
	}
	rep := b.Report
	rep.ApplyScope(s)
	_, err = a.opts.Store.UpdateBreach(r.Context(), actor, t.ID, b.ID, rep, a.breachNotifyMail)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "apply breach scope", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/breaches/"+b.ID+"?done=scope", http.StatusSeeOther)
	}
}

// attemptNote is why an automatic draft was opened, in the reader's
// language ("Draft, opened automatically because …"); "" for a breach a
// person opened, and once the breach went to the controller (no longer a
// draft).
func (a *App) attemptNote(r *http.Request, b store.Breach, d store.DraftAttempt, ok bool) string {
	if !ok || b.NotifiedAt != nil {
		return ""
	}
	return a.t(r, "scope.draft.because", a.t(r, breach.CauseKey(d.Cause), breach.CauseArgs(d.Cause, d.Events)...))
}
