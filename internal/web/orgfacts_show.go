package web

import (
	"net/http"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// The supplier's organisational facts (ORG-1…ORG-5): supplier staff
// declare them once in the operators' realm (/operator/organisation), one
// small form per kind; every controller reads them on its own page
// (/{tenant}/admin/organisation) as declarations with their date, the
// older ones as history. The store seals them and audits every read.

// orgFields are each kind's inputs in order (kind of input, optional).
var orgFields = map[string][]struct {
	name, kind string
	optional   bool
}{
	store.OrgSecurityOfficer: {{"name", "text", false}, {"email", "email", false}, {"phone", "tel", true}, {"date", "date", false}},
	store.OrgDPO:             {{"name", "text", false}, {"email", "email", false}, {"phone", "tel", true}, {"date", "date", false}},
	store.OrgConfidentiality: {{"staff", "select", false}, {"date", "date", false}, {"policy", "checkbox", false}},
	store.OrgBreachProcedure: {{"text", "textarea", false}, {"date", "date", false}},
	store.OrgSLA:             {{"text", "textarea", false}, {"name", "text", true}, {"email", "email", false}, {"phone", "tel", true}, {"date", "date", false}},
	store.OrgRiskAnalysis:    {{"date", "date", false}, {"text", "textarea", true}},
	store.OrgDRTest:          {{"date", "date", false}, {"text", "textarea", true}},
}

type orgPage struct {
	Slug    string
	Facts   store.OrgFacts
	Forms   []instrForm
	Errors  fieldErrors
	Done    bool
	Staff   map[string]string // realm user id → name, for the history
	Kinds   []string
	ByKind  map[string][]store.OrgFact
	Realm   bool
	Missing []string // kinds with no declaration yet
}

func (a *App) orgPageData(r *http.Request, me account.User, realm bool) (orgPage, error) {
	actor := userActor(me, RequestIDFrom(r.Context()))
	if realm {
		actor = breachOperatorActor(me, r)
	}
	p := orgPage{Slug: tenantFrom(r.Context()).Slug, Realm: realm, Kinds: store.OrgKinds, ByKind: map[string][]store.OrgFact{}}
	facts, err := a.opts.Store.ReadOrgFacts(r.Context(), actor, tenantFrom(r.Context()).ID)
	if err != nil {
		return p, err
	}
	p.Facts = facts
	for _, f := range facts.Current {
		p.ByKind[f.Kind] = append(p.ByKind[f.Kind], f)
	}
	for _, k := range store.OrgKinds {
		if len(p.ByKind[k]) == 0 {
			p.Missing = append(p.Missing, k)
		}
	}
	return p, nil
}

// orgShow is a controller's page of the supplier's declarations.
func (a *App) orgShow(w http.ResponseWriter, r *http.Request, me account.User) {
	p, err := a.orgPageData(r, me, false)
	if err != nil {
		a.internalError(w, r, "org facts", err)
		return
	}
	a.render(w, r, http.StatusOK, "org-facts", p)
}

// operatorOrgShow is the realm's page: the declarations and the forms.
func (a *App) operatorOrgShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderOperatorOrg(w, r, me, http.StatusOK, "", nil, nil, nil)
}

func (a *App) renderOperatorOrg(w http.ResponseWriter, r *http.Request, me account.User, status int, kind string, values, errs map[string]string,
	summary fieldErrors) {
	p, err := a.orgPageData(r, me, true)
	if err != nil {
		a.internalError(w, r, "org facts", err)
		return
	}
	staff, err := a.opts.Store.OperatorStaff(r.Context(), breachOperatorActor(me, r), tenantFrom(r.Context()).ID)
	if err != nil {
		a.internalError(w, r, "operator staff", err)
		return
	}
	p.Done, p.Errors = r.URL.Query().Get("done") == "saved", summary
	for _, k := range store.OrgKinds {
		vals, es := map[string]string{}, map[string]string{}
		if k == kind {
			vals, es = values, errs
		}
		f := instrForm{ID: k, Heading: a.t(r, "instr.org.kind."+k), Lead: a.t(r, "instr.org.lead."+k), Action: "/" + p.Slug + "/organisation",
			Submit: a.t(r, "instr.org.submit")}
		for _, fd := range orgFields[k] {
			in := a.instrField(r, k, fd.name, fd.kind, fd.optional, vals, es)
			if fd.name == "staff" {
				in.Options = []breachChoice{{Value: "", Label: a.t(r, "instr.org.choose_staff")}}
				for _, m := range staff {
					in.Options = append(in.Options, breachChoice{Value: m.ID, Label: m.Name, Checked: m.ID == vals["staff"]})
				}
			}
			f.Inputs = append(f.Inputs, in)
		}
		p.Forms = append(p.Forms, f)
	}
	a.render(w, r, status, "operator-org", p)
}

// operatorOrgDeclare records one declaration from its form.
func (a *App) operatorOrgDeclare(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	f := r.PostForm
	kind := f.Get("kind")
	fields, known := orgFields[kind]
	if !known {
		http.Error(w, a.t(r, "instr.error.kind"), http.StatusUnprocessableEntity)
		return
	}
	values := map[string]string{}
	order := make([]string, 0, len(fields))
	for _, fd := range fields {
		values[fd.name] = f.Get(fd.name)
		order = append(order, fd.name)
	}
	bad := map[string]string{}
	date, ok := parseOptionalDay(values["date"])
	if !ok {
		bad["date"] = "instr.error.date"
	}
	fact := store.OrgFact{Kind: kind, Subject: values["staff"], Name: values["name"], Email: values["email"], Phone: values["phone"],
		Text: values["text"], PolicyKnown: values["policy"] == "1", Date: date}
	var err error
	if ok {
		_, err = a.opts.Store.DeclareOrgFact(r.Context(), breachOperatorActor(me, r), fact, store.OrgMailer(a.opts.BaseURL))
	}
	if err == nil && len(bad) == 0 {
		http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/organisation?done=saved#"+kind, http.StatusSeeOther)
		return
	}
	if err == nil && !ok {
		// Only the date was unreadable: ask the store what else is missing
		// by validating with a placeholder date that it accepts.
		fact.Date = a.opts.Store.Now()
		err = store.ValidateOrgFact(fact, fact.Date)
	}
	msgs, summary, known := a.instrErrors(r, kind, order, bad, err)
	if !known {
		a.internalError(w, r, "declare org fact", err)
		return
	}
	a.renderOperatorOrg(w, r, me, http.StatusUnprocessableEntity, kind, values, msgs, summary)
}
