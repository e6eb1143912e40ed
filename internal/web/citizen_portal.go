package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// The citizen's own view, "Mijn gegevens" (DSR-1): sign in with a one-time
// code mailed to an address the tenant's submissions hold, or with FAS
// eID/itsme when the tenant has such a provider; then the person's
// submissions, their requests and every access to those submissions as
// sentences from the audit log, each of which they can report as
// suspicious. The store audits every view in the transaction that reads
// it. The citizen's session has its own cookie, strict same-site.

// citizenCookie names the citizen's session cookie: __Host- (Secure, Path
// /, no Domain) and SameSite=Strict, so no other site's page or link can
// carry it; a staff session is another cookie.
const citizenCookie = "__Host-kluis_citizen"

func setCitizenCookie(w http.ResponseWriter, tok store.SessionToken) {
	http.SetCookie(w, &http.Cookie{Name: citizenCookie, Value: string(tok), Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode})
}

func clearCitizenCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: citizenCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode})
}

// citizenSession returns the request's citizen; had is true when the
// browser brought a cookie (so an invalid one is an ended session).
func (a *App) citizenSession(r *http.Request) (s store.CitizenSession, ok, had bool, err error) {
	c, cerr := r.Cookie(citizenCookie)
	if cerr != nil || c.Value == "" {
		return s, false, false, nil
	}
	s, err = a.opts.Store.CitizenSession(r.Context(), tenantFrom(r.Context()).ID, c.Value)
	if errors.Is(err, store.ErrSessionInvalid) {
		return s, false, true, nil
	}
	return s, err == nil, true, err
}

type portalPage struct {
	Tenant    tenant.Tenant
	Step      string // "signin", "code", "view", "fas-done", "report"
	Email     string
	Challenge string
	Errors    fieldErrors
	Notice    string
	FAS       []oidcButton

	Submissions []portalSubmissionRow
	Requests    []portalRequestRow
	Accesses    []portalAccessRow
	PageLabel   string
	PrevHref    string
	NextHref    string

	Access *portalAccessRow // the report page's
	Reason string
	Ask    string // the request the report also asks for: "", "objection" or "restriction"

	Continue string // where the page after FAS leads on to
}

type portalSubmissionRow struct{ Form, Date, Status, Reference string }

type portalRequestRow struct {
	ID, Reference, Kind, Status, Date, Due string
	Package                                bool // downloadable from the view
}

type portalAccessRow struct {
	Sentence string
	Seq      int64
	Reported bool
}

func (a *App) portalPath(r *http.Request) string {
	return "/" + tenantFrom(r.Context()).Slug + "/privacy/mine"
}

// portalFAS lists the tenant's enabled FAS providers as sign-in buttons.
func (a *App) portalFAS(r *http.Request) ([]oidcButton, error) {
	return a.portalFASTo(r, "")
}

// portalNextRequest is the one place a FAS sign-in may lead on to besides
// the view: the view's request form (DSR-1, a citizen without a known
// address files by their national register number).
const portalNextRequest = "request"

// portalFASTo is portalFAS whose sign-in continues at next ("" for the
// view, portalNextRequest for the request form).
func (a *App) portalFASTo(r *http.Request, next string) ([]oidcButton, error) {
	query := ""
	if next == portalNextRequest {
		query = "?next=" + portalNextRequest
	}
	ps, err := a.opts.Store.OIDCProviders(r.Context(), tenantFrom(r.Context()).ID)
	if err != nil {
		return nil, err
	}
	var bs []oidcButton
	for _, p := range ps {
		if p.Enabled && (p.Preset == oidc.FASeID || p.Preset == oidc.FASItsme) {
			bs = append(bs, oidcButton{Href: a.portalPath(r) + "/fas/" + url.PathEscape(p.Name) + query, Label: a.t(r, "portal.signin.fas."+string(p.Preset))})
		}
	}
	return bs, nil
}

// portalSignin renders the sign-in step (code or address) with status.
func (a *App) portalSignin(w http.ResponseWriter, r *http.Request, status int, p portalPage) {
	p.Tenant = tenantFrom(r.Context())
	if p.Step == "" {
		p.Step = "signin"
	}
	fas, err := a.portalFAS(r)
	if err != nil {
		a.internalError(w, r, "oidc providers", err)
		return
	}
	p.FAS = fas
	a.render(w, r, status, "portal", p)
}

// portalShow is the citizen's view when signed in, else the sign-in page.
func (a *App) portalShow(w http.ResponseWriter, r *http.Request) {
	s, ok, had, err := a.citizenSession(r)
	if err != nil {
		a.internalError(w, r, "citizen session", err)
		return
	}
	if !ok {
		p := portalPage{}
		switch {
		case had:
			clearCitizenCookie(w)
			p.Notice = a.t(r, "portal.expired")
		case r.URL.Query().Get("out") == "1":
			p.Notice = a.t(r, "portal.signed_out")
		}
		a.portalSignin(w, r, http.StatusOK, p)
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page < 1 {
		page = 1
	}
	t := tenantFrom(r.Context())
	v, err := a.opts.Store.CitizenView(r.Context(), t.ID, s, page, RequestIDFrom(r.Context()))
	if err != nil {
		a.internalError(w, r, "citizen view", err)
		return
	}
	words := a.newPortalWords(r)
	p := portalPage{Tenant: t, Step: "view"}
	for _, sub := range v.Submissions {
		p.Submissions = append(p.Submissions, portalSubmissionRow{Form: words.formTitle(sub), Date: words.date(sub.ReceivedAt),
			Status: a.t(r, "portal.status."+sub.Status), Reference: sub.Reference})
	}
	for _, rq := range v.Requests {
		p.Requests = append(p.Requests, portalRequestRow{ID: rq.ID, Reference: rq.Reference, Kind: a.t(r, "dsr.kind."+string(rq.Kind)),
			Status: a.t(r, "dsr.status."+rq.Status), Date: words.date(rq.ReceivedAt), Due: words.date(rq.DueAt.Add(-time.Second)), Package: rq.Package})
	}
	for _, ac := range v.Accesses {
		p.Accesses = append(p.Accesses, portalAccessRow{Sentence: words.sentence(ac), Seq: ac.Seq, Reported: ac.Reported})
	}
	if v.Pages > 1 {
		p.PageLabel = a.t(r, "portal.pages", page, v.Pages)
		if page > 1 {
			p.PrevHref = a.portalPath(r) + "?page=" + strconv.Itoa(page-1)
		}
		if page < v.Pages {
			p.NextHref = a.portalPath(r) + "?page=" + strconv.Itoa(page+1)
		}
	}
	switch r.URL.Query().Get("done") {
	case "reported":
		p.Notice = a.t(r, "portal.report.done")
	case "reported-request":
		p.Notice = a.t(r, "citizen2.report.done_request")
	case "fas":
		p.Notice = a.t(r, "portal.fas.done")
	}
	a.render(w, r, http.StatusOK, "portal", p)
}

// portalCodeCreate mails a sign-in code when the address is the tenant's
// and shows the code step, the same whatever the store found.
func (a *App) portalCodeCreate(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	email := strings.TrimSpace(r.PostForm.Get("email"))
	if _, errs := citizenEmailForm.Check(form.Input(url.Values{"email": {email}})); len(errs) > 0 {
		a.portalSignin(w, r, http.StatusUnprocessableEntity, portalPage{Email: email, Errors: fieldErrors{{"email", a.t(r, "citizen.error.email")}}})
		return
	}
	id, err := a.opts.Store.RequestPortalCode(r.Context(), t.ID, t.LegalName, email, string(LangFrom(r.Context())))
	if err != nil {
		a.internalError(w, r, "portal code", err)
		return
	}
	a.portalSignin(w, r, http.StatusOK, portalPage{Step: "code", Challenge: id})
}

// portalCodeSignin opens the session when the code is right; a wrong,
// expired or used code is a field error and opens nothing.
func (a *App) portalCodeSignin(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	challenge := r.PostForm.Get("challenge")
	code := strings.Join(strings.Fields(r.PostForm.Get("code")), "")
	tok, err := a.opts.Store.OpenPortalWithCode(r.Context(), t.ID, challenge, code, RequestIDFrom(r.Context()))
	if errors.Is(err, store.ErrWrongCode) {
		a.portalSignin(w, r, http.StatusUnprocessableEntity, portalPage{Step: "code", Challenge: challenge,
			Errors: fieldErrors{{"code", a.t(r, "citizen.error.code")}}})
		return
	}
	if err != nil {
		a.internalError(w, r, "portal sign-in", err)
		return
	}
	setCitizenCookie(w, tok)
	http.Redirect(w, r, a.portalPath(r), http.StatusSeeOther)
}

// portalFASStart sends the citizen to a FAS provider of the tenant, asking
// for the national register number their data is found by.
func (a *App) portalFASStart(w http.ResponseWriter, r *http.Request) {
	prov, err := a.opts.Store.OIDCProvider(r.Context(), tenantFrom(r.Context()).ID, r.PathValue("provider"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && prov.Preset != oidc.FASeID && prov.Preset != oidc.FASItsme) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "oidc provider", err)
		return
	}
	next := ""
	if r.URL.Query().Get("next") == portalNextRequest {
		next = portalNextRequest
	}
	a.oidcBegin(w, r, store.OIDCFlowStart{Purpose: store.OIDCPurposeCitizen, Next: next}, a.portalPath(r))
}

// portalFASFinish opens the citizen's session for the number FAS gave.
// The provider's redirect is a cross-site navigation, which a strict
// cookie does not follow: a page with a link continues on our own site.
func (a *App) portalFASFinish(w http.ResponseWriter, r *http.Request, next string, id oidc.Identity) {
	if id.Number == "" {
		a.oidcRefused(w, r, &oidc.Refusal{Reason: oidc.ReasonUnknownIdentity, Detail: errors.New("no national register number")}, a.portalPath(r))
		return
	}
	tok, err := a.opts.Store.OpenPortalWithNumber(r.Context(), tenantFrom(r.Context()).ID, id.Number, RequestIDFrom(r.Context()))
	var ce *store.ChangeError
	if errors.As(err, &ce) {
		a.oidcRefused(w, r, &oidc.Refusal{Reason: oidc.ReasonUnknownIdentity, Detail: errors.New("not a national register number")}, a.portalPath(r))
		return
	}
	if err != nil {
		a.internalError(w, r, "portal sign-in", err)
		return
	}
	setCitizenCookie(w, tok)
	p := portalPage{Tenant: tenantFrom(r.Context()), Step: "fas-done", Continue: a.portalPath(r)}
	if next == portalNextRequest {
		p.Continue = a.portalPath(r) + "/request"
	}
	a.render(w, r, http.StatusOK, "portal", p)
}

// portalSignout ends the citizen's session.
func (a *App) portalSignout(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	s, ok, _, err := a.citizenSession(r)
	if err != nil {
		a.internalError(w, r, "citizen session", err)
		return
	}
	if ok {
		if err := a.opts.Store.EndCitizenSession(r.Context(), tenantFrom(r.Context()).ID, s, RequestIDFrom(r.Context())); err != nil {
			a.internalError(w, r, "end citizen session", err)
			return
		}
	}
	clearCitizenCookie(w)
	clearSiteData(w)
	http.Redirect(w, r, a.portalPath(r)+"?out=1", http.StatusSeeOther)
}

// portalAccess is the access of the report page's path, for the signed-in
// citizen only; done is true when it answered (sign-in, 404, error).
func (a *App) portalAccess(w http.ResponseWriter, r *http.Request) (store.CitizenSession, store.PortalAccess, bool) {
	s, ok, _, err := a.citizenSession(r)
	if err != nil {
		a.internalError(w, r, "citizen session", err)
		return s, store.PortalAccess{}, true
	}
	if !ok {
		http.Redirect(w, r, a.portalPath(r), http.StatusSeeOther)
		return s, store.PortalAccess{}, true
	}
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		a.notFound(w, r)
		return s, store.PortalAccess{}, true
	}
	ac, err := a.opts.Store.CitizenAccess(r.Context(), tenantFrom(r.Context()).ID, s, seq, RequestIDFrom(r.Context()))
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return s, ac, true
	}
	if err != nil {
		a.internalError(w, r, "citizen access", err)
		return s, ac, true
	}
	return s, ac, false
}

func (a *App) portalReportPage(r *http.Request, ac store.PortalAccess) portalPage {
	row := portalAccessRow{Sentence: a.newPortalWords(r).sentence(ac), Seq: ac.Seq, Reported: ac.Reported}
	return portalPage{Tenant: tenantFrom(r.Context()), Step: "report", Access: &row}
}

// portalReportShow is the form to report one access as suspicious.
func (a *App) portalReportShow(w http.ResponseWriter, r *http.Request) {
	_, ac, done := a.portalAccess(w, r)
	if done {
		return
	}
	a.render(w, r, http.StatusOK, "portal", a.portalReportPage(r, ac))
}

// portalReportCreate stores the report and tells the DPO (the store).
func (a *App) portalReportCreate(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	s, ac, done := a.portalAccess(w, r)
	if done {
		return
	}
	reason := r.PostForm.Get("reason")
	// The report may open an objection or a restriction in the same step
	// (DSR-1): the store files it, grounded on the reason, linked to it.
	ask := dsr.Kind(r.PostForm.Get("ask"))
	if ask != dsr.Objection && ask != dsr.Restriction {
		ask = ""
	}
	_, err := a.opts.Store.ReportAccessAsking(r.Context(), tenantFrom(r.Context()).ID, s, ac.Seq, reason, ask, string(LangFrom(r.Context())),
		RequestIDFrom(r.Context()))
	var ce *store.ChangeError
	if errors.As(err, &ce) {
		p := a.portalReportPage(r, ac)
		p.Reason, p.Ask, p.Errors = reason, string(ask), fieldErrors{{"reason", a.t(r, "portal.report.error."+ce.Key)}}
		a.render(w, r, http.StatusUnprocessableEntity, "portal", p)
		return
	}
	if err != nil && !errors.Is(err, store.ErrConflict) { // reported twice: the same answer
		a.internalError(w, r, "report access", err)
		return
	}
	notice := "reported"
	if ask != "" && err == nil {
		notice = "reported-request"
	}
	http.Redirect(w, r, a.portalPath(r)+"?done="+notice, http.StatusSeeOther)
}

// portalWords turns the store's rows into the citizen's words: form
// titles and the register's purposes in their language, dates with the
// month's name, who in terms of a service.
type portalWords struct {
	a     *App
	r     *http.Request
	lang  string
	reg   register.Register
	forms map[string]store.FormVersion
}

func (a *App) newPortalWords(r *http.Request) *portalWords {
	w := &portalWords{a: a, r: r, lang: string(LangFrom(r.Context())), forms: map[string]store.FormVersion{}}
	if rv, err := a.opts.Store.CurrentRegister(r.Context(), tenantFrom(r.Context()).ID); err == nil {
		w.reg = rv.Register
	}
	return w
}

func (w *portalWords) form(s store.PortalSubmission) store.FormVersion {
	key := s.FormKey + "/" + strconv.Itoa(s.FormVersion)
	if f, ok := w.forms[key]; ok {
		return f
	}
	f, err := w.a.opts.Store.FormAt(w.r.Context(), tenantFrom(w.r.Context()).ID, s.FormKey, s.FormVersion)
	if err != nil {
		f = store.FormVersion{Key: s.FormKey}
	}
	w.forms[key] = f
	return f
}

func (w *portalWords) formTitle(s store.PortalSubmission) string {
	if t := w.form(s).Form.Title.In(w.lang); t != "" {
		return t
	}
	return s.FormKey
}

// purposes are the register's names of the purposes the form's fields
// serve, in the citizen's language.
func (w *portalWords) purposes(s store.PortalSubmission) string {
	seen := map[string]bool{}
	var names []string
	for _, pg := range w.form(s).Form.Pages {
		for _, f := range pg.Fields {
			if f.Purpose == "" || seen[f.Purpose] {
				continue
			}
			seen[f.Purpose] = true
			if p, ok := w.reg.Purpose(f.Purpose); ok && p.Name.In(w.lang) != "" {
				name := p.Name.In(w.lang)
				first, size := utf8.DecodeRuneInString(name)
				names = append(names, string(unicode.ToLower(first))+name[size:])
			}
		}
	}
	if len(names) == 0 {
		return w.a.t(w.r, "portal.purpose.unknown")
	}
	return strings.Join(names, ", ")
}

func (w *portalWords) date(t time.Time) string {
	t = t.In(brussels)
	return w.a.t(w.r, "portal.date", t.Day(), w.a.t(w.r, "portal.month."+strconv.Itoa(int(t.Month()))), t.Year())
}

func (w *portalWords) who(ac store.PortalAccess) string {
	t := tenantFrom(w.r.Context())
	switch ac.ActorKind {
	case audit.KindOperator:
		if ac.OnBehalfOf != "" {
			return w.a.t(w.r, "portal.who.operator_grant")
		}
		return w.a.t(w.r, "portal.who.operator")
	case audit.KindSystem:
		return w.a.t(w.r, "portal.who.system")
	case audit.KindAPIKey:
		return w.a.t(w.r, "portal.who.apikey")
	}
	switch {
	case ac.StaffName != "" && ac.Department != "":
		return w.a.t(w.r, "portal.who.named", ac.StaffName, ac.Department)
	case ac.StaffName != "":
		return w.a.t(w.r, "portal.who.named_staff", ac.StaffName, t.LegalName)
	case ac.Department != "":
		return w.a.t(w.r, "portal.who.department", ac.Department)
	}
	return w.a.t(w.r, "portal.who.staff", t.LegalName)
}

// portalVerbs maps an action to the verb of its sentence.
var portalVerbs = map[string]string{
	"submission.read": "read", "submission.lookup": "read", "submission.list": "list", "submission.search": "list",
	"attachment.read": "file", "submission.status": "status", "submission.note": "note", "submission.reply": "reply",
	"submission.assign": "assign", "dsr.package": "package", "dsr.erase": "package",
}

// sentence is one access as the citizen reads it: "Op 3 december 2026 om
// 14:05 heeft de dienst Burgerzaken uw aanvraag 'Verhuis' geopend, voor:
// …".
func (w *portalWords) sentence(ac store.PortalAccess) string {
	when := w.a.t(w.r, "portal.when", w.date(ac.At), ac.At.In(brussels).Format("15:04"))
	verb := portalVerbs[ac.Action]
	if verb == "" {
		verb = "other"
	}
	if ac.Outcome != "" && ac.Outcome != audit.OutcomeSuccess {
		verb = "denied"
	}
	args := []any{when, w.who(ac), w.formTitle(ac.Submission)}
	if verb != "package" && verb != "denied" {
		args = append(args, w.purposes(ac.Submission))
	}
	return w.a.t(w.r, "portal.access."+verb, args...)
}
