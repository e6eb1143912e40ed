package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// The citizen's own data-subject request (DSR-1): an address and a kind,
// then the one-time code mailed to it, then a receipt. The page answers
// the same whether or not the tenant holds data under the address.

// citizenKinds are the kinds a citizen may ask for on the public page:
// all six (art. 15-21 GDPR), each with its own fields.
var citizenKinds = dsr.Kinds

type citizenRequestPage struct {
	Tenant    tenant.Tenant
	Step      string // "ask", "code" or "done"
	Email     string
	Kind      string
	Kinds     []citizenChoice
	Challenge string
	Errors    fieldErrors
	Duplicate bool
	Receipt   *citizenReceipt
	KindForm  store.KindFields
	KindVoice string // how the kind's fields are worded: "citizen"
	// Portal: filed from the citizen's own view, signed in: no address,
	// no code. NoMail: the request has no address (FAS), so the receipt
	// says the outcome is shown in the view only.
	Portal, NoMail bool
	FAS            []oidcButton // sign in with eID/itsme, then file
}

type citizenChoice struct {
	Value, Label, Hint string
	Selected           bool
}

type citizenReceipt struct {
	Reference, Kind, Due string
}

var citizenEmailForm = form.Form{Pages: []form.Page{{Fields: []form.Field{
	{Key: "email", Type: form.TypeEmail, Required: true},
}}}}

func (a *App) citizenPage(r *http.Request, kind string) citizenRequestPage {
	p := citizenRequestPage{Tenant: tenantFrom(r.Context()), Step: "ask", Kind: kind, KindVoice: "citizen"}
	for _, k := range citizenKinds {
		p.Kinds = append(p.Kinds, citizenChoice{Value: string(k), Label: a.t(r, "kinds.citizen."+string(k)), Hint: a.t(r, "kinds.citizen.hint."+string(k)),
			Selected: string(k) == kind})
	}
	return p
}

func (a *App) citizenRequestShow(w http.ResponseWriter, r *http.Request) {
	p := a.citizenPage(r, string(dsr.Access))
	// With FAS, a citizen whose address the tenant does not know files by
	// their national register number: through the view's sign-in and on
	// to its request form (DSR-1).
	fas, err := a.portalFASTo(r, portalNextRequest)
	if err != nil {
		a.internalError(w, r, "oidc providers", err)
		return
	}
	p.FAS = fas
	a.render(w, r, http.StatusOK, "citizen-request", p)
}

// citizenCodeCreate asks the store for a one-time code for the posted
// address and shows the code step, the same whatever the store found.
func (a *App) citizenCodeCreate(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	p := a.citizenPage(r, r.PostForm.Get("kind"))
	p.Email = strings.TrimSpace(r.PostForm.Get("email"))
	kind := dsr.Kind(p.Kind)
	if _, errs := citizenEmailForm.Check(form.Input(url.Values{"email": {p.Email}})); len(errs) > 0 {
		p.Errors = append(p.Errors, fieldError{"email", a.t(r, "citizen.error.email")})
	}
	offered := false
	for _, k := range citizenKinds {
		offered = offered || k == kind
	}
	if !offered {
		p.Errors = append(p.Errors, fieldError{"kind-access", a.t(r, "citizen.error.kind")})
	}
	p.KindForm = kindFieldsOf(r)
	p.Errors = append(p.Errors, a.kindFieldErrors(r, kind, p.KindForm)...)
	if len(p.Errors) > 0 {
		a.render(w, r, http.StatusUnprocessableEntity, "citizen-request", p)
		return
	}
	id, err := a.opts.Store.RequestCitizenCodeWith(r.Context(), p.Tenant.ID, p.Tenant.LegalName, p.Email, kind, string(LangFrom(r.Context())), p.KindForm)
	if err != nil {
		a.internalError(w, r, "citizen code", err)
		return
	}
	p.Step, p.Challenge, p.Email, p.KindForm = "code", id, "", store.KindFields{}
	a.render(w, r, http.StatusOK, "citizen-request", p)
}

// citizenRequestCreate files the request when the code is right; a wrong,
// expired or used code is a field error and files nothing.
func (a *App) citizenRequestCreate(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	p := a.citizenPage(r, "")
	p.Step, p.Challenge = "code", r.PostForm.Get("challenge")
	code := strings.Join(strings.Fields(r.PostForm.Get("code")), "")
	req, err := a.opts.Store.FileCitizenRequest(r.Context(), p.Tenant.ID, p.Challenge, code)
	if errors.Is(err, store.ErrWrongCode) {
		p.Errors = fieldErrors{{"code", a.t(r, "citizen.error.code")}}
		a.render(w, r, http.StatusUnprocessableEntity, "citizen-request", p)
		return
	}
	a.renderFiled(w, r, p, req, err)
}

// renderFiled answers the filing of req: its receipt, the word that an
// open request of the kind exists already (nothing filed twice), or an
// internal error.
func (a *App) renderFiled(w http.ResponseWriter, r *http.Request, p citizenRequestPage, req store.SubjectRequest, err error) {
	var dup *store.DuplicateRequestError
	p.Step, p.KindForm = "done", store.KindFields{}
	switch {
	case errors.As(err, &dup):
		p.Duplicate = true
	case err != nil:
		a.internalError(w, r, "file citizen request", err)
		return
	default:
		p.NoMail = req.Person.Email == ""
		p.Receipt = &citizenReceipt{Reference: req.Reference, Kind: a.t(r, "dsr.kind."+string(req.Kind)),
			Due: req.DueAt.Add(-time.Second).In(brussels).Format("02.01.2006")}
	}
	a.render(w, r, http.StatusOK, "citizen-request", p)
}
