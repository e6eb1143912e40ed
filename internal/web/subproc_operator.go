package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// The supplier's side of the sub-processors, in the operators' realm at
// /operator/subprocessors (SUB-1, SUB-2): the platform's list with each
// tenant's standing — accepted, pending until its effective date, or
// objected to with the 3-month window — the form to add one, and per
// sub-processor the form to apply it to tenants: as agreed in their
// signed annex 1, or as a change announced to their admins and DPO.

type operatorSubprocsPage struct {
	Slug   string
	Rows   []store.PlatformSubProcessor // current
	Ended  []store.PlatformSubProcessor // retired, with their end dates
	Form   store.SubProcessorInput
	Errors fieldErrors
	Done   string
}

// subprocFormFields are the list form's inputs, in the order the error
// summary names them.
var subprocFormFields = []string{"name", "head_office", "location", "eea", "transfer_mechanism", "measures", "services",
	"agreement_ref", "agreement_date", "hosts"}

func (a *App) operatorSubprocsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	p := operatorSubprocsPage{}
	switch d := r.URL.Query().Get("done"); d {
	case "created", "announced":
		p.Done = "subproc.op.done." + d
	case "retired":
		p.Done = "gaps.subproc.done." + d
	}
	a.renderOperatorSubprocs(w, r, http.StatusOK, p)
}

func (a *App) renderOperatorSubprocs(w http.ResponseWriter, r *http.Request, status int, p operatorSubprocsPage) {
	list, err := a.opts.Store.SubProcessors(r.Context())
	if err != nil {
		a.internalError(w, r, "sub-processors", err)
		return
	}
	p.Slug = tenantFrom(r.Context()).Slug
	p.Rows, p.Ended = store.CurrentSubProcessors(list)
	a.render(w, r, status, "operator-subprocessors", p)
}

// subprocInput reads the entry's fields from the posted form; the
// agreement's date is typed the Belgian way, the store keeps it as ISO.
func subprocInput(r *http.Request) store.SubProcessorInput {
	f := r.PostForm
	in := store.SubProcessorInput{Name: f.Get("name"), HeadOffice: f.Get("head_office"), Location: f.Get("location"), EEA: f.Get("eea"),
		TransferMechanism: f.Get("transfer_mechanism"), Measures: f.Get("measures"), Services: f.Get("services"),
		AgreementRef: f.Get("agreement_ref"), AgreementDate: strings.TrimSpace(f.Get("agreement_date")), Hosts: f.Get("hosts")}
	if d, ok := parseDay(in.AgreementDate); ok {
		in.AgreementDate = d.Format("2006-01-02")
	}
	return in
}

// subprocErrors is the error summary of a refused form: fields' messages
// in the form's order.
func (a *App) subprocErrors(r *http.Request, fields map[string]string, order []string) fieldErrors {
	var out fieldErrors
	for _, field := range order {
		if k, ok := fields[field]; ok {
			out = append(out, fieldError{field, a.t(r, k)})
		}
	}
	return out
}

func operatorActor(r *http.Request, me account.User) audit.Actor {
	return audit.Actor{Kind: audit.KindOperator, ID: me.ID, Role: "operator", RequestID: RequestIDFrom(r.Context())}
}

// operatorSubprocCreate adds a sub-processor to the platform's list.
func (a *App) operatorSubprocCreate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	in := subprocInput(r)
	_, err := a.opts.Store.CreateSubProcessor(r.Context(), operatorActor(r, me), in)
	var ve *store.SubValidationError
	switch {
	case errors.As(err, &ve):
		p := operatorSubprocsPage{Form: in}
		p.Form.AgreementDate = r.PostForm.Get("agreement_date")
		p.Errors = a.subprocErrors(r, ve.Fields, subprocFormFields)
		a.renderOperatorSubprocs(w, r, http.StatusUnprocessableEntity, p)
	case err != nil:
		a.internalError(w, r, "create sub-processor", err)
	default:
		http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/subprocessors?done=created", http.StatusSeeOther)
	}
}

type operatorSubprocPage struct {
	Slug    string
	Sub     store.PlatformSubProcessor
	Others  []store.PlatformSubProcessor // what it may replace
	Tenants []tenantChoice
	Form    struct{ Kind, Replaces, Effective string }
	Retire  struct{ Ended, Reason string } // the retire form as typed
	Errors  fieldErrors
	Done    string
}

type tenantChoice struct {
	ID, Name string
	Checked  bool
	Applies  bool // already applies: not offered again
}

// operatorSubproc is one sub-processor with its tenants and the form to
// apply it to more.
func (a *App) operatorSubproc(w http.ResponseWriter, r *http.Request, me account.User) {
	var p operatorSubprocPage
	if d := r.URL.Query().Get("done"); d == "edited" || d == "changed" {
		p.Done = "gaps.subproc.done." + d
	}
	a.renderOperatorSubproc(w, r, http.StatusOK, p)
}

func (a *App) renderOperatorSubproc(w http.ResponseWriter, r *http.Request, status int, p operatorSubprocPage) {
	list, err := a.opts.Store.SubProcessors(r.Context())
	if err != nil {
		a.internalError(w, r, "sub-processors", err)
		return
	}
	id, found := r.PathValue("id"), false
	for _, s := range list {
		if s.ID == id {
			p.Sub, found = s, true
		} else if !s.Retired() {
			p.Others = append(p.Others, s)
		}
	}
	if !found {
		a.notFound(w, r)
		return
	}
	ts, err := a.activeTenants(r)
	if err != nil {
		a.internalError(w, r, "tenants", err)
		return
	}
	for _, t := range ts {
		applies := slices.ContainsFunc(p.Sub.Tenants, func(st store.SubProcessorTenant) bool { return st.TenantID == t.ID })
		p.Tenants = append(p.Tenants, tenantChoice{ID: t.ID, Name: t.LegalName, Applies: applies,
			Checked: !applies && slices.Contains(r.PostForm["tenant"], t.ID)})
	}
	if p.Form.Kind == "" {
		p.Form.Kind = store.SubKindAdd
	}
	p.Slug = tenantFrom(r.Context()).Slug
	a.render(w, r, status, "operator-subprocessor", p)
}

// operatorSubprocAnnounce applies the sub-processor to the chosen tenants,
// announcing a change to their admins and DPO (SUB-2).
func (a *App) operatorSubprocAnnounce(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	var p operatorSubprocPage
	p.Form.Kind, p.Form.Replaces, p.Form.Effective = r.PostForm.Get("kind"), r.PostForm.Get("replaces"), strings.TrimSpace(r.PostForm.Get("effective"))
	in := store.SubAnnouncement{Kind: p.Form.Kind, ReplacesID: p.Form.Replaces, TenantIDs: r.PostForm["tenant"]}
	bad := map[string]string{}
	if p.Form.Effective != "" {
		if d, ok := parseDay(p.Form.Effective); ok {
			in.EffectiveAt = d
		} else {
			bad["effective"] = "subproc.error.effective_invalid"
		}
	}
	err := a.opts.Store.AnnounceSubProcessor(r.Context(), operatorActor(r, me), r.PathValue("id"), in, a.subprocAnnounceMail)
	if a.subprocFailed(w, r, err, bad, "announce sub-processor") {
		return
	}
	if len(bad) == 0 {
		http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/subprocessors?done=announced", http.StatusSeeOther)
		return
	}
	for _, field := range []string{"kind", "replaces", "effective", "tenants"} {
		if k, ok := bad[field]; ok {
			p.Errors = append(p.Errors, fieldError{field, a.t(r, k)})
		}
	}
	a.renderOperatorSubproc(w, r, http.StatusUnprocessableEntity, p)
}

// subprocAnnounceMail tells the controller of a new or replacing
// sub-processor, its effective date and where to accept or object, in the
// tenant's language.
func (a *App) subprocAnnounceMail(t tenant.Tenant, s store.SubProcessor, d store.SubDecision) store.OutgoingMail {
	l, ok := locale.Parse(t.DefaultLang)
	if !ok {
		l = locale.NL
	}
	link := a.tenantLink(t, "/admin/subprocessors")
	eea := locale.T(l, "subproc.eea.yes")
	if !s.EEA {
		eea = locale.T(l, "subproc.eea.no") + " — " + s.TransferMechanism
	}
	key := "subproc.mail"
	if d.Kind == store.SubKindChange || d.Status == store.SubObjected {
		key = "gaps.subproc.mail.change" // a change of one it knows (SUB-2)
	}
	return store.OutgoingMail{Lang: string(l), Subject: locale.T(l, key+".subject", s.Name),
		Body: locale.T(l, key+".body", t.LegalName, s.Name, s.HeadOffice, s.Location, eea, s.Services,
			d.EffectiveAt.In(brussels).Format("02.01.2006"), link)}
}

// operatorSubprocsDownload serves the platform's current overview — every
// sub-processor with its agreement's reference and date and the tenants it
// applies to, with their standing — as format (csv or xlsx): what the
// supplier shows on request (SUB-3). It holds no personal data.
func (a *App) operatorSubprocsDownload(format string) signedIn {
	return func(w http.ResponseWriter, r *http.Request, me account.User) {
		list, err := a.opts.Store.SubProcessors(r.Context())
		if err != nil {
			a.internalError(w, r, "sub-processors", err)
			return
		}
		list, _ = store.CurrentSubProcessors(list) // the current overview (SUB-3)
		lang := a.langOf(r)
		var head []string
		for _, k := range []string{"name", "head_office", "location", "eea", "transfer_mechanism", "measures", "services", "agreement_ref",
			"agreement_date", "tenants"} {
			head = append(head, a.t(r, "subproc.field."+k))
		}
		var rows [][]string
		for _, s := range list {
			eea := a.t(r, "subproc.eea.no")
			if s.EEA {
				eea = a.t(r, "subproc.eea.yes")
			}
			var ts []string
			for _, st := range s.Tenants {
				ts = append(ts, st.TenantName+": "+subprocStatus(lang, st.SubDecision))
			}
			rows = append(rows, []string{s.Name, s.HeadOffice, s.Location, eea, s.TransferMechanism, s.Measures, s.Services,
				s.AgreementRef, s.AgreementDay(), strings.Join(ts, "; ")})
		}
		a.serveTable(w, r, format, "subverwerkers-platform", head, rows)
	}
}
