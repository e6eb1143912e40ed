package web

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/agreement"
	"github.com/kluis/kluis/internal/annex"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// The data processing agreement, generated and accepted in Kluis (REG-1,
// SUB-1, BRE-5; art. 28(3) and (9) GDPR). Registreren › Verwerkersovereenkomst
// shows the version in force, offers the agreement (or, once one is in
// force, a dated amendment listing exactly what changed in the register,
// the sub-processors or a measure's answer), and records each party's
// acceptance with the SHA-256 of the PDF: the controller's DPO after
// signing in through FAS eID or itsme, the supplier's operator in the
// operators' realm (agreement_operator.go).

// agreementSignIn are the login methods after which the controller's DPO
// may accept: the federal FAS with eID or itsme, the strongest
// identification Belgian public bodies use for a signature on screen.
var agreementSignIn = []string{string(oidc.FASeID), string(oidc.FASItsme)}

type agreementPage struct {
	Slug, TenantName string
	InForce          *agreementRow
	Pending          *agreementRow
	Rows             []agreementRow
	// Offer is what a new version would be: "agreement" (none in force
	// yet, or none at all), "amendment" (the facts moved since the version
	// in force) or "" (the newest version says what is true).
	Offer   string
	Changes []annex.ChangeGroup
	Lang    string // the language offered for a new version
	CanSign bool   // the reader is the DPO
	SignIn  bool   // the session came through FAS eID or itsme
	Errors  fieldErrors
	Done    string
}

type agreementRow struct {
	Number     int
	Kind       string
	Date       string
	Lang       string
	SHA256     string
	Base       int
	Controller string // "name, date" or ""
	Supplier   string
	State      string
	InForce    bool
}

// agreementFacts is what the tenant's agreement would say now: the inputs
// and the register version they name.
func (a *App) agreementFacts(r *http.Request, me account.User, t tenant.Tenant) (agreement.Inputs, store.RegisterVersion, error) {
	rv, err := a.opts.Store.CurrentRegister(r.Context(), t.ID)
	if err != nil {
		return agreement.Inputs{}, rv, err
	}
	subs, err := a.opts.Store.AcceptedSubProcessors(r.Context(), t.ID)
	if err != nil {
		return agreement.Inputs{}, rv, err
	}
	in := agreement.Inputs{RegisterVersion: rv.Version, SubProcessors: agreementSubProcessors(subs)}
	if in.Measures, _, err = a.agreementMeasures(r, me, locale.NL); err != nil {
		return in, rv, err
	}
	return in, rv, nil
}

// agreementMeasures is the measures annex of the agreement: VO-B's
// checklist answered from the tenant's compliance report now (read by me,
// audited as the report is), as each measure's answer for the inputs'
// fingerprint and as the annex's rows in lang. A change of an answer makes
// the agreement untrue: an amendment lists it.
func (a *App) agreementMeasures(r *http.Request, me account.User, lang locale.Lang) ([]agreement.Measure, []annex.AgreementMeasure, error) {
	doc, err := a.measuresDoc(r, me, "measures", lang, nil)
	if err != nil {
		return nil, nil, err
	}
	var ms []agreement.Measure
	var rows []annex.AgreementMeasure
	for _, g := range doc.Groups {
		for _, row := range g.Rows {
			ms = append(ms, agreement.Measure{ID: row.ID, Answer: string(row.Answer)})
			var ev []string
			for _, e := range row.Evidence {
				ev = append(ev, e.Clause+": "+e.Text)
			}
			rows = append(rows, annex.AgreementMeasure{Clause: strings.Join(row.Clauses, ", "), Measure: row.Measure,
				Answer: row.AnswerText, Evidence: strings.Join(ev, "\n")})
		}
	}
	return ms, rows, nil
}

// inLang is r worded in l: documents are in their own language, whoever
// reads the page.
func inLang(r *http.Request, l locale.Lang) *http.Request {
	st := requestState{}
	if cur := stateFrom(r.Context()); cur != nil {
		st = *cur
	}
	st.lang = l
	return r.WithContext(context.WithValue(r.Context(), stateKey{}, &st))
}

// agreementLang is the language asked for a new version: Dutch unless
// French is asked (Dutch is the binding language; French on request).
func agreementLang(s string) locale.Lang {
	if s == string(locale.FR) {
		return locale.FR
	}
	return locale.NL
}

// agreementDocument lays out a version made of in (of kind, numbered n,
// dated at, amending base when it is an amendment) in lang.
func (a *App) agreementDocument(r *http.Request, t tenant.Tenant, kind string, n int, at time.Time, lang locale.Lang,
	in agreement.Inputs, base *store.AgreementVersion, measures []annex.AgreementMeasure) (annex.Agreement, error) {
	supplier, err := a.opts.Store.OperatorRealm(r.Context(), audit.Actor{Kind: audit.KindSystem, ID: "agreement", RequestID: RequestIDFrom(r.Context())})
	if err != nil {
		return annex.Agreement{}, err
	}
	rv, err := a.opts.Store.RegisterAt(r.Context(), t.ID, in.RegisterVersion)
	if err != nil {
		return annex.Agreement{}, err
	}
	rl := inLang(r, lang)
	d := annex.Agreement{Lang: lang, Kind: kind, Number: n, Date: datetime(at), Controller: t.LegalName,
		ControllerKBO: tenant.FormatKBO(t.EnterpriseNumber), Supplier: supplier.LegalName, SupplierKBO: tenant.FormatKBO(supplier.EnterpriseNumber),
		Subject: annex.Localize(rv.Register.Subject, string(lang)), Duration: annex.Localize(rv.Register.Duration, string(lang)),
		HTMLTwin: a.tenantLink(t, fmt.Sprintf("/admin/agreement/%d", n))}
	if kind == agreement.KindAmendment && base != nil {
		d.Base = base.Number
		d.Changes, err = a.agreementChanges(rl, t, base.Inputs, in)
		return d, err
	}
	d.Articles = agreement.Articles(lang, t.LegalName, supplier.LegalName)
	d.Annex1 = annex.Build(annex.Input{Register: rv.Register, Version: rv.Version, Saved: datetime(rv.CreatedAt), Generated: datetime(at),
		Controller: t.LegalName, KBO: d.ControllerKBO}, lang)
	addSubProcessors(&d.Annex1, in.SubProcessors)
	// The rows as generated (with their evidence) when given; a stored
	// version shows its answers as accepted.
	d.Measures = measures
	if d.Measures == nil {
		for _, m := range in.Measures {
			d.Measures = append(d.Measures, annex.AgreementMeasure{Measure: locale.T(lang, "measures.row."+m.ID),
				Answer: locale.T(lang, "measures.answer."+m.Answer)})
		}
	}
	for _, s := range annexSectionsIn(lang, breach.Report{}, time.Time{}) {
		fs := annex.FormSection{Number: s.Number, Title: s.Title}
		for _, f := range s.Fields {
			ff := annex.FormField{Label: f.Label}
			for _, c := range f.Choices {
				ff.Choices = append(ff.Choices, c.Label)
			}
			fs.Fields = append(fs.Fields, ff)
		}
		d.Breach = append(d.Breach, fs)
	}
	return d, nil
}

// agreementSubProcessors are the platform's sub-processors a tenant
// accepted, as annex 1 and the agreement's inputs name them.
func agreementSubProcessors(list []store.SubProcessor) []agreement.SubProcessor {
	var out []agreement.SubProcessor
	for _, s := range list {
		out = append(out, agreement.SubProcessor{Name: s.Name, HeadOffice: s.HeadOffice, Country: s.Location,
			InEEA: s.EEA, Mechanism: s.TransferMechanism, Service: s.Services, Measures: s.Measures})
	}
	return out
}

// addSubProcessors adds the platform's sub-processors the tenant accepted
// to annex 1, after the register's own, unless the register names them
// already (SUB-1).
func addSubProcessors(doc *annex.Document, list []agreement.SubProcessor) {
	lang := locale.NL.HTMLLang() // the operators keep the list in Dutch
	for _, s := range list {
		if slices.ContainsFunc(doc.SubProcessors, func(d annex.SubProcessor) bool { return strings.EqualFold(d.Name, s.Name) }) {
			continue
		}
		doc.SubProcessors = append(doc.SubProcessors, annex.SubProcessor{Name: s.Name, HeadOffice: s.HeadOffice, Country: s.Country,
			InEEA: s.InEEA, Mechanism: s.Mechanism, Service: annex.Localized{Text: s.Service, Lang: lang},
			Measures: annex.Localized{Text: s.Measures, Lang: lang}})
	}
}

// agreementChanges words what differs from old to new, in r's language:
// the register as its comparison says it (register.Diff), then the
// sub-processors, then the measures' answers. Nothing else.
func (a *App) agreementChanges(r *http.Request, t tenant.Tenant, old, new agreement.Inputs) ([]annex.ChangeGroup, error) {
	var out []annex.ChangeGroup
	if old.RegisterVersion != new.RegisterVersion {
		ov, err := a.opts.Store.RegisterAt(r.Context(), t.ID, old.RegisterVersion)
		if err != nil {
			return nil, err
		}
		nv, err := a.opts.Store.RegisterAt(r.Context(), t.ID, new.RegisterVersion)
		if err != nil {
			return nil, err
		}
		g := annex.ChangeGroup{Heading: a.t(r, "agree.changes.register", old.RegisterVersion, new.RegisterVersion)}
		for _, c := range a.changeViews(r, ov.Register, nv.Register) {
			g.Items = append(g.Items, annex.ChangeItem{Title: c.Title, Lines: c.Lines})
		}
		if len(g.Items) > 0 {
			out = append(out, g)
		}
	}
	if cs := agreement.SubProcessorChanges(old.SubProcessors, new.SubProcessors); len(cs) > 0 {
		g := annex.ChangeGroup{Heading: a.t(r, "agree.changes.subprocessors")}
		for _, c := range cs {
			it := annex.ChangeItem{Title: a.t(r, "agree.changes.sub."+c.Op, c.Name)}
			for _, f := range c.Fields {
				it.Lines = append(it.Lines, a.t(r, "agree.changes.sub.field."+f))
			}
			g.Items = append(g.Items, it)
		}
		out = append(out, g)
	}
	if cs := agreement.MeasureChanges(old.Measures, new.Measures); len(cs) > 0 {
		g := annex.ChangeGroup{Heading: a.t(r, "agree.changes.measures")}
		answer := func(s string) string {
			if s == "" {
				return a.t(r, "regedit.diff.empty")
			}
			return a.t(r, "measures.answer."+s)
		}
		for _, c := range cs {
			g.Items = append(g.Items, annex.ChangeItem{Title: a.t(r, "agree.changes.measure", a.t(r, "measures.row."+c.ID), answer(c.Old), answer(c.New))})
		}
		out = append(out, g)
	}
	return out, nil
}

// agreementState reads the tenant's versions and works out what is in
// force, what waits and what a new version would be.
func (a *App) agreementState(r *http.Request, me account.User) (agreementPage, []store.AgreementVersion, agreement.Inputs, error) {
	t := tenantFrom(r.Context())
	p := agreementPage{Slug: t.Slug, TenantName: t.LegalName, Lang: string(agreementLang(string(LangFrom(r.Context())))),
		CanSign: me.Role == account.RoleDPO}
	if info, ok := sessionFrom(r.Context()); ok {
		p.SignIn = slices.Contains(agreementSignIn, info.LoginMethod)
	}
	versions, err := a.opts.Store.AgreementVersions(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
	if err != nil {
		return p, nil, agreement.Inputs{}, err
	}
	var inForce *store.AgreementVersion
	for i, v := range versions {
		row := a.agreementRowOf(r, v)
		p.Rows = append(p.Rows, row)
		if v.InForce() && inForce == nil {
			inForce = &versions[i]
			p.InForce = &p.Rows[len(p.Rows)-1]
		}
	}
	if len(versions) > 0 && !versions[0].InForce() {
		p.Pending = &p.Rows[0]
	}
	now, _, err := a.agreementFacts(r, me, t)
	if errors.Is(err, store.ErrNotFound) {
		return p, versions, now, nil // no register yet: nothing to agree on
	}
	if err != nil {
		return p, versions, now, err
	}
	switch {
	case inForce == nil && (len(versions) == 0 || versions[0].Fingerprint != now.Fingerprint()):
		p.Offer = agreement.KindAgreement
	case inForce != nil && inForce.Fingerprint != now.Fingerprint() && (versions[0].InForce() || versions[0].Fingerprint != now.Fingerprint()):
		p.Offer = agreement.KindAmendment
		if p.Changes, err = a.agreementChanges(r, t, inForce.Inputs, now); err != nil {
			return p, versions, now, err
		}
	}
	return p, versions, now, nil
}

func (a *App) agreementRowOf(r *http.Request, v store.AgreementVersion) agreementRow {
	row := agreementRow{Number: v.Number, Kind: a.t(r, "agree.kind."+v.Kind), Date: datetime(v.CreatedAt),
		Lang: a.t(r, "regedit.lang."+v.Lang), SHA256: v.SHA256, Base: v.Base, InForce: v.InForce()}
	if c, ok := v.AcceptedBy(agreement.Controller); ok {
		row.Controller = a.t(r, "agree.accepted_by", c.Name, datetime(c.At))
	}
	if s, ok := v.AcceptedBy(agreement.Supplier); ok {
		row.Supplier = a.t(r, "agree.accepted_by", s.Name, datetime(s.At))
	}
	row.State = a.t(r, "agree.state.pending")
	if row.InForce {
		row.State = a.t(r, "agree.state.in_force")
	}
	return row
}

// agreementShow is the agreement page (EditRegister: admins and the DPO).
func (a *App) agreementShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderAgreement(w, r, me, http.StatusOK, nil)
}

func (a *App) renderAgreement(w http.ResponseWriter, r *http.Request, me account.User, status int, errs fieldErrors) {
	p, _, _, err := a.agreementState(r, me)
	if err != nil {
		a.internalError(w, r, "agreement", err)
		return
	}
	p.Errors, p.Done = errs, r.URL.Query().Get("done")
	a.render(w, r, status, "agreement", p)
}

// agreementGenerate makes the next version: the agreement, or an
// amendment of the version in force when there is one.
func (a *App) agreementGenerate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	p, versions, now, err := a.agreementState(r, me)
	if err != nil {
		a.internalError(w, r, "agreement", err)
		return
	}
	if p.Offer == "" {
		a.renderAgreement(w, r, me, http.StatusConflict, fieldErrors{{"generate", a.t(r, "agree.error.nothing_new")}})
		return
	}
	lang := agreementLang(r.PostForm.Get("lang"))
	var base *store.AgreementVersion
	for i, v := range versions {
		if v.InForce() {
			base = &versions[i]
			break
		}
	}
	nv := store.NewAgreementVersion{Kind: p.Offer, Lang: string(lang), Inputs: now, At: a.opts.Store.Now().Truncate(time.Microsecond)}
	if p.Offer == agreement.KindAmendment {
		nv.Base = base.Number
	}
	if nv.Number, err = a.opts.Store.NextAgreementNumber(r.Context(), t.ID); err != nil {
		a.internalError(w, r, "agreement number", err)
		return
	}
	_, rows, err := a.agreementMeasures(r, me, lang)
	if err != nil {
		a.internalError(w, r, "agreement measures", err)
		return
	}
	d, err := a.agreementDocument(r, t, nv.Kind, nv.Number, nv.At, lang, now, base, rows)
	if err == nil {
		nv.PDF, err = d.PDF(nv.At)
	}
	if err != nil {
		a.internalError(w, r, "agreement document", err)
		return
	}
	v, err := a.opts.Store.GenerateAgreementVersion(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, nv)
	if errors.Is(err, store.ErrConflict) {
		a.renderAgreement(w, r, me, http.StatusConflict, fieldErrors{{"generate", a.t(r, "agree.error.state")}})
		return
	}
	if err != nil {
		a.internalError(w, r, "generate agreement", err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/%s/admin/agreement/%d", t.Slug, v.Number), http.StatusSeeOther)
}

// agreementVersion finds version {n} among versions; ok false when it has
// answered 404.
func (a *App) agreementVersion(w http.ResponseWriter, r *http.Request, versions []store.AgreementVersion) (store.AgreementVersion, *store.AgreementVersion, bool) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err == nil {
		for i, v := range versions {
			if v.Number != n {
				continue
			}
			var base *store.AgreementVersion
			for j := range versions {
				if versions[j].Number == v.Base {
					base = &versions[j]
				}
			}
			return versions[i], base, true
		}
	}
	a.notFound(w, r)
	return store.AgreementVersion{}, nil, false
}

type agreementVersionPage struct {
	agreementPage
	Doc     annex.Agreement
	Annex   annex.Document // for the annex-tables partial
	Row     agreementRow
	Latest  bool
	PDF     string
	Refused string // why the reader cannot accept, "" when they can
}

// agreementVersionShow shows version {n} as a web page (the PDF's
// accessible twin) with its acceptances and, for the DPO, the acceptance.
func (a *App) agreementVersionShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderAgreementVersion(w, r, me, http.StatusOK, nil)
}

func (a *App) renderAgreementVersion(w http.ResponseWriter, r *http.Request, me account.User, status int, errs fieldErrors) {
	p, versions, _, err := a.agreementState(r, me)
	if err != nil {
		a.internalError(w, r, "agreement", err)
		return
	}
	v, base, ok := a.agreementVersion(w, r, versions)
	if !ok {
		return
	}
	t := tenantFrom(r.Context())
	d, err := a.agreementDocument(r, t, v.Kind, v.Number, v.CreatedAt, locale.Lang(v.Lang), v.Inputs, base, nil)
	if err != nil {
		a.internalError(w, r, "agreement document", err)
		return
	}
	p.Errors, p.Done = errs, r.URL.Query().Get("done")
	vp := agreementVersionPage{agreementPage: p, Doc: d, Annex: d.Annex1, Row: a.agreementRowOf(r, v), Latest: v.Number == versions[0].Number,
		PDF: fmt.Sprintf("/%s/admin/agreement/%d/pdf", t.Slug, v.Number)}
	_, accepted := v.AcceptedBy(agreement.Controller)
	switch {
	case !vp.Latest || accepted:
	case !p.CanSign:
		vp.Refused = a.t(r, "agree.refused.not_dpo")
	case !p.SignIn:
		vp.Refused = a.t(r, "agree.refused.sign_in")
	}
	a.render(w, r, status, "agreement-version", vp)
}

// agreementPDF sends version {n}'s PDF as it was generated and accepted.
func (a *App) agreementPDF(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		a.notFound(w, r)
		return
	}
	a.sendAgreementPDF(w, r, userActor(me, RequestIDFrom(r.Context())), t, n)
}

func (a *App) sendAgreementPDF(w http.ResponseWriter, r *http.Request, actor audit.Actor, t tenant.Tenant, n int) {
	b, err := a.opts.Store.AgreementPDF(r.Context(), actor, t.ID, n)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "agreement PDF", err)
		return
	}
	attachment(w, "application/pdf", a.t(r, "agree.pdf.filename", t.Slug, n)+".pdf")
	w.Write(b)
}

// agreementAccept records the controller's acceptance: only the DPO, only
// in a session opened through FAS eID or itsme, only the newest version
// and only the bytes it was shown (the form carries their SHA-256).
func (a *App) agreementAccept(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	info, _ := sessionFrom(r.Context())
	switch {
	case me.Role != account.RoleDPO:
		a.renderAgreementVersion(w, r, me, http.StatusForbidden, fieldErrors{{"accept", a.t(r, "agree.refused.not_dpo")}})
		return
	case !slices.Contains(agreementSignIn, info.LoginMethod):
		a.renderAgreementVersion(w, r, me, http.StatusForbidden, fieldErrors{{"accept", a.t(r, "agree.refused.sign_in")}})
		return
	case r.PostForm.Get("confirm") != "1":
		a.renderAgreementVersion(w, r, me, http.StatusUnprocessableEntity, fieldErrors{{"confirm", a.t(r, "agree.error.confirm")}})
		return
	}
	t := tenantFrom(r.Context())
	n, _ := strconv.Atoi(r.PathValue("n"))
	err := a.opts.Store.AcceptAgreement(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, n, store.AgreementAcceptance{
		Party: agreement.Controller, Name: a.showName(r, me).Name, Capacity: "dpo", Method: info.LoginMethod, SHA256: r.PostForm.Get("sha256")})
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case errors.Is(err, store.ErrAgreementState):
		a.renderAgreementVersion(w, r, me, http.StatusConflict, fieldErrors{{"accept", a.t(r, "agree.error.state")}})
	case err != nil:
		a.internalError(w, r, "accept agreement", err)
	default:
		http.Redirect(w, r, fmt.Sprintf("/%s/admin/agreement/%d?done=accepted", t.Slug, n), http.StatusSeeOther)
	}
}

// agreementHistory downloads the versions and acceptances as CSV in the
// reader's language (nl or fr; the recorded read is "agreement.list").
func (a *App) agreementHistory(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	versions, err := a.opts.Store.AgreementVersions(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
	if err != nil {
		a.internalError(w, r, "agreement history", err)
		return
	}
	attachment(w, "text/csv; charset=utf-8", a.t(r, "agree.csv.filename", t.Slug)+".csv")
	cw := csv.NewWriter(w)
	cw.Write(strings.Split(a.t(r, "agree.csv.header"), ";"))
	for i := len(versions) - 1; i >= 0; i-- {
		v := versions[i]
		row := a.agreementRowOf(r, v)
		base := ""
		if v.Base > 0 {
			base = strconv.Itoa(v.Base)
		}
		for _, party := range []string{agreement.Controller, agreement.Supplier} {
			acc, ok := v.AcceptedBy(party)
			line := []string{strconv.Itoa(v.Number), row.Kind, base, row.Date, row.Lang, v.SHA256, row.State,
				a.t(r, "agree.party."+party), "", "", "", ""}
			if ok {
				line[8], line[9], line[10], line[11] = acc.Name, datetime(acc.At), a.t(r, "agree.method."+acc.Method), acc.SHA256
			}
			cw.Write(line)
		}
	}
	cw.Flush()
}

// dpiaDraftOf lays out the DPIA draft of purpose {purpose} of the current
// register in the reader's language (BRE-4); ok false when it has
// answered (404 for an unknown purpose or no register).
func (a *App) dpiaDraftOf(w http.ResponseWriter, r *http.Request, me account.User) (annex.DPIA, bool) {
	t := tenantFrom(r.Context())
	rv, err := a.opts.Store.CurrentRegister(r.Context(), t.ID)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return annex.DPIA{}, false
	}
	if err != nil {
		a.internalError(w, r, "dpia draft", err)
		return annex.DPIA{}, false
	}
	d, ok := annex.BuildDPIA(annex.Input{Register: rv.Register, Version: rv.Version, Saved: datetime(rv.CreatedAt),
		Generated: datetime(a.opts.Store.Now()), Controller: t.LegalName, KBO: tenant.FormatKBO(t.EnterpriseNumber)},
		r.PathValue("purpose"), LangFrom(r.Context()))
	if !ok {
		a.notFound(w, r)
		return d, false
	}
	if _, d.Measures, err = a.agreementMeasures(r, me, LangFrom(r.Context())); err != nil {
		a.internalError(w, r, "dpia draft measures", err)
		return d, false
	}
	d.HTMLTwin = a.tenantLink(t, "/admin/dpia/"+url.PathEscape(r.PathValue("purpose")))
	return d, true
}

type dpiaDraftPage struct {
	Slug, TenantName, PDF string
	Draft                 annex.DPIA
	ToDo                  []string
}

// dpiaDraftShow is the DPIA draft of one processing as a page.
func (a *App) dpiaDraftShow(w http.ResponseWriter, r *http.Request, me account.User) {
	d, ok := a.dpiaDraftOf(w, r, me)
	if !ok {
		return
	}
	t := tenantFrom(r.Context())
	a.render(w, r, http.StatusOK, "dpia-draft", dpiaDraftPage{Slug: t.Slug, TenantName: t.LegalName, Draft: d, ToDo: annex.DPIASections,
		PDF: "/" + t.Slug + "/admin/dpia/" + url.PathEscape(r.PathValue("purpose")) + "/pdf"})
}

// dpiaDraftPDF is the same draft as a PDF for the controller to complete.
func (a *App) dpiaDraftPDF(w http.ResponseWriter, r *http.Request, me account.User) {
	d, ok := a.dpiaDraftOf(w, r, me)
	if !ok {
		return
	}
	b, err := d.PDF(a.opts.Store.Now())
	if err != nil {
		a.internalError(w, r, "dpia draft PDF", err)
		return
	}
	attachment(w, "application/pdf", a.t(r, "agree.dpia.filename", tenantFrom(r.Context()).Slug, r.PathValue("purpose"))+".pdf")
	w.Write(b)
}
