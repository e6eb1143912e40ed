package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
)

// Every kind of data-subject request carried out (DSR-1): the kind's own
// fields on the staff and public forms, the controller's rectification of
// the person's values, the erasure's report per place.

// kindFieldsOf reads the kind's own fields from a posted form.
func kindFieldsOf(r *http.Request) store.KindFields {
	get := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	return store.KindFields{Wrong: get("wrong"), Correction: get("correction"), Grounds: get("grounds")}
}

// kindFieldErrors checks the fields kind asks for, field by field, as the
// store does: what is wrong and the correction for a rectification, the
// grounds for an erasure, a restriction or an objection.
func (a *App) kindFieldErrors(r *http.Request, kind dsr.Kind, f store.KindFields) fieldErrors {
	var need []struct{ field, value string }
	switch kind {
	case dsr.Rectification:
		need = []struct{ field, value string }{{"wrong", f.Wrong}, {"correction", f.Correction}}
	case dsr.Erasure, dsr.Restriction, dsr.Objection:
		need = []struct{ field, value string }{{"grounds", f.Grounds}}
	}
	var errs fieldErrors
	for _, n := range need {
		switch {
		case n.value == "":
			errs = append(errs, fieldError{n.field, a.t(r, "kinds.error."+n.field)})
		case len([]rune(n.value)) > store.RequestReasonMax:
			errs = append(errs, fieldError{n.field, a.t(r, "dsr.error.too_long", store.RequestReasonMax)})
		}
	}
	return errs
}

// rectifyTarget is one value the controller may rectify, as the select
// offers it: "<submission id>/<field key>".
type rectifyTarget struct {
	Value, Label string
	Selected     bool
	Restricted   bool
}

// rectifyHistory is one rectified value as the request page shows it.
type rectifyHistory struct {
	Reference, Field, Old, New, At, By string
}

// requestCase fills the rectification part of the request page: the
// person's values that can be rectified and the history of this request's
// corrections (read and audited by the store).
func (a *App) requestCase(r *http.Request, me account.User, p *requestPage, target string) error {
	t := tenantFrom(r.Context())
	pc, err := a.opts.Store.SubjectRequestCase(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, p.Request.ID)
	if err != nil {
		return err
	}
	lang := string(LangFrom(r.Context()))
	names := map[string]string{}
	if len(pc.Rectifications) > 0 {
		users, err := a.opts.Store.Users(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
		if err != nil {
			return err
		}
		for _, u := range users {
			names[u.ID] = a.showName(r, u).Name
		}
	}
	labels := map[string]string{}
	for _, s := range pc.Submissions {
		for _, f := range s.Fields {
			label := register.Text(f.Label).In(lang)
			labels[s.ID+"/"+f.Key] = label
			value := f.Value
			if value == "" {
				value = a.t(r, "kinds.rectify.empty")
			}
			v := s.ID + "/" + f.Key
			p.Targets = append(p.Targets, rectifyTarget{Value: v, Label: s.Reference + " · " + label + ": " + value, Selected: v == target,
				Restricted: s.Restricted})
		}
	}
	for _, h := range pc.Rectifications {
		field := labels[h.SubmissionID+"/"+h.Field]
		if field == "" {
			field = h.Field
		}
		old, nw := h.Old, h.New
		if old == "" {
			old = a.t(r, "kinds.rectify.empty")
		}
		if nw == "" {
			nw = a.t(r, "kinds.rectify.empty")
		}
		by, ok := names[h.ActorID]
		if !ok {
			by = a.t(r, "inbox.history.someone")
		}
		p.History = append(p.History, rectifyHistory{Reference: h.Reference, Field: field, Old: old, New: nw, By: by,
			At: h.At.In(brussels).Format("02.01.2006 15:04")})
	}
	p.CaseShown = true
	return nil
}

// requestRectify carries out one correction of an approved rectification:
// the chosen value of one of the person's submissions becomes the typed
// value, validated as the form field validates. A refused correction shows
// the field's own message and changes nothing.
func (a *App) requestRectify(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	target, value := r.PostForm.Get("target"), r.PostForm.Get("value")
	sub, field, ok := strings.Cut(target, "/")
	typed := rectifyTyped{Target: target, Value: value}
	if !ok || sub == "" || field == "" {
		a.renderRequestWith(w, r, me, http.StatusUnprocessableEntity, fieldErrors{{"target", a.t(r, "kinds.error.target")}}, typed)
		return
	}
	err := a.opts.Store.RectifySubmission(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID,
		r.PathValue("id"), sub, field, value)
	var re *store.RectifyError
	switch {
	case errors.As(err, &re):
		msg := a.t(r, "kinds.error."+re.Key)
		if re.FormKey {
			msg = a.t(r, "form.error."+re.Key, re.Args...)
		}
		input := "value"
		if re.Field != "value" {
			input = "target"
		}
		a.renderRequestWith(w, r, me, http.StatusUnprocessableEntity, fieldErrors{{input, msg}}, typed)
	case errors.Is(err, store.ErrRestricted):
		a.renderRequestWith(w, r, me, http.StatusConflict, fieldErrors{{"target", a.t(r, "kinds.restricted.rectify")}}, typed)
	case errors.Is(err, store.ErrNotFound):
		a.renderRequestWith(w, r, me, http.StatusUnprocessableEntity, fieldErrors{{"target", a.t(r, "kinds.error.target")}}, typed)
	default:
		a.requestStepDone(w, r, me, err, "rectified", "target", "")
	}
}

// rectifyTyped is what the rectification form showed back.
type rectifyTyped struct{ Target, Value string }

// erasurePlaces says per place what an erasure removed and what it kept,
// and why.
func (a *App) erasurePlaces(r *http.Request, o store.ErasureOutcome) []string {
	var out []string
	for _, p := range o.Places {
		var line string
		if p.Place == "drafts" || p.Place == "audit" {
			// Places the erasure cannot or may not reach: said, not counted.
			line = a.t(r, "kinds.erasure.place."+p.Place)
		} else {
			line = a.t(r, "kinds.erasure.place."+p.Place, p.Removed)
		}
		switch {
		case p.Why != "" && p.Kept > 0:
			line += " " + a.t(r, "kinds.erasure.why."+p.Why, p.Kept)
		case p.Why != "":
			line += " " + a.t(r, "kinds.erasure.why."+p.Why)
		}
		out = append(out, line)
	}
	return out
}

// objectionPurposes fills the purposes an objection may be upheld for
// (the current register's, by name) and names the decided one.
func (a *App) objectionPurposes(r *http.Request, p *requestPage) error {
	reg, err := a.opts.Store.CurrentRegister(r.Context(), tenantFrom(r.Context()).ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	lang := string(LangFrom(r.Context()))
	typed := r.PostForm.Get("purpose")
	for _, pu := range reg.Register.Purposes {
		name := pu.Name.In(lang)
		p.Purposes = append(p.Purposes, requestOption{Value: pu.Key, Label: name, Selected: pu.Key == typed})
		if pu.Key == p.Request.ObjectionPurpose {
			p.ObjectionPurpose = name
		}
	}
	return nil
}
