package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/ident"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
)

// Data-subject requests in the back office (DSR-1, DSR-2): a civil servant
// files a citizen's request at the counter; the controller — an admin or
// the DPO — sees the open requests with their deadlines, approves or
// refuses each with a reason, and only then executes it and, for access and
// portability, downloads the package. Every step is audited by the store.

// requestsListLimit is the most requests the list shows.
const requestsListLimit = 200

// requestRow is one request as the list and the request page show it.
type requestRow struct {
	store.SubjectRequest
	KindLabel   string
	StatusLabel string
	DueDay      string // the last day, dd.mm.jjjj
	Clock       string // "12 days left", "3 days overdue"
	Overdue     bool
	Open        bool
	INSZ        string // as Belgians write it: 85.07.31-003.28
}

func (a *App) requestRow(r *http.Request, sr store.SubjectRequest) requestRow {
	now := a.opts.Store.Now()
	row := requestRow{SubjectRequest: sr, KindLabel: a.t(r, "dsr.kind."+string(sr.Kind)), StatusLabel: a.t(r, "dsr.status."+sr.Status),
		DueDay: sr.DueAt.Add(-time.Second).In(brussels).Format("02.01.2006"), Open: dsr.Open(sr.Status)}
	if sr.Person.INSZ != "" {
		row.INSZ = ident.FormatINSZ(sr.Person.INSZ)
	}
	if row.Open {
		switch left := dsr.DaysLeft(sr.DueAt, now); {
		case left < 0:
			row.Clock, row.Overdue = a.t(r, "dsr.clock.overdue", -left), true
		case left == 0:
			row.Clock = a.t(r, "dsr.clock.today")
		default:
			row.Clock = a.t(r, "dsr.clock.left", left)
		}
	}
	return row
}

type requestsPage struct {
	Slug       string
	TenantName string
	Rows       []requestRow
	CanFile    bool
}

// requestsList shows the tenant's requests, open ones first by deadline.
func (a *App) requestsList(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	list, err := a.opts.Store.SubjectRequests(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, requestsListLimit)
	if err != nil {
		a.internalError(w, r, "subject requests", err)
		return
	}
	p := requestsPage{Slug: t.Slug, TenantName: t.LegalName, CanFile: account.Can(me.Role, account.FileRequests)}
	for _, sr := range list {
		p.Rows = append(p.Rows, a.requestRow(r, sr))
	}
	a.render(w, r, http.StatusOK, "requests", p)
}

// requestForm is the filing form as typed.
type requestForm struct {
	Kind, Name, Email, INSZ, Lang, Details string
	// The kind's own fields (DSR-1).
	Wrong, Correction, Grounds string
}

type requestNewPage struct {
	Slug       string
	TenantName string
	Form       requestForm
	Kinds      []requestOption
	Langs      []requestOption
	Errors     fieldErrors
	Filed      bool
	Duplicate  string // the open request of the same kind, when one exists
	CanView    bool
	KindForm   store.KindFields
	KindVoice  string // how the kind's fields are worded: "staff"
}

type requestOption struct {
	Value, Label string
	Selected     bool
}

// requestNew shows the form to file a request on a citizen's behalf.
func (a *App) requestNew(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderRequestNew(w, r, me, http.StatusOK, requestForm{Lang: string(LangFrom(r.Context()))}, nil, "",
		r.URL.Query().Get("filed") != "")
}

func (a *App) renderRequestNew(w http.ResponseWriter, r *http.Request, me account.User, status int, f requestForm, errs fieldErrors,
	dup string, filed bool) {
	t := tenantFrom(r.Context())
	p := requestNewPage{Slug: t.Slug, TenantName: t.LegalName, Form: f, Errors: errs, Filed: filed, Duplicate: dup,
		CanView: account.Can(me.Role, account.ViewRequests), KindForm: store.KindFields{Wrong: f.Wrong, Correction: f.Correction, Grounds: f.Grounds},
		KindVoice: "staff"}
	for _, k := range dsr.Kinds {
		p.Kinds = append(p.Kinds, requestOption{string(k), a.t(r, "dsr.kind."+string(k)), f.Kind == string(k)})
	}
	for _, l := range []string{"nl", "fr", "en"} {
		p.Langs = append(p.Langs, requestOption{l, a.t(r, "dsr.lang."+l), f.Lang == l})
	}
	a.render(w, r, status, "request-new", p)
}

// requestFile files the request. Each field is checked on its own (a
// valid kind, a name, an e-mail address or a national register number that
// passes mod-97); nothing is saved while one is wrong. An open request of
// the same kind for the same person is named instead of filed twice.
func (a *App) requestFile(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	get := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	kf := kindFieldsOf(r)
	f := requestForm{Kind: get("kind"), Name: get("name"), Email: get("email"), INSZ: get("insz"), Lang: get("lang"), Details: get("details"),
		Wrong: kf.Wrong, Correction: kf.Correction, Grounds: kf.Grounds}
	var errs fieldErrors
	if !dsr.Kind(f.Kind).Valid() {
		errs = append(errs, fieldError{"kind-" + string(dsr.Kinds[0]), a.t(r, "dsr.error.kind")})
	}
	if f.Name == "" {
		errs = append(errs, fieldError{"name", a.t(r, "dsr.error.name")})
	} else if len([]rune(f.Name)) > 200 {
		errs = append(errs, fieldError{"name", a.t(r, "dsr.error.name_long")})
	}
	var digits string
	if f.Email != "" {
		if addr, err := mail.ParseAddress(f.Email); err != nil || addr.Address != f.Email || !strings.Contains(f.Email[strings.LastIndexByte(f.Email, '@'):], ".") {
			errs = append(errs, fieldError{"email", a.t(r, "dsr.error.email")})
		}
	}
	if f.INSZ != "" {
		if n, err := ident.INSZ(f.INSZ); err != nil {
			errs = append(errs, fieldError{"insz", a.t(r, "dsr.error.insz")})
		} else {
			digits = n.Digits
		}
	}
	if f.Email == "" && f.INSZ == "" {
		errs = append(errs, fieldError{"email", a.t(r, "dsr.error.identifier")})
	}
	if f.Lang != "nl" && f.Lang != "fr" && f.Lang != "en" {
		errs = append(errs, fieldError{"lang", a.t(r, "dsr.error.lang")})
	}
	if len([]rune(f.Details)) > store.RequestReasonMax {
		errs = append(errs, fieldError{"details", a.t(r, "dsr.error.too_long", store.RequestReasonMax)})
	}
	errs = append(errs, a.kindFieldErrors(r, dsr.Kind(f.Kind), kf)...)
	if len(errs) > 0 {
		a.renderRequestNew(w, r, me, http.StatusUnprocessableEntity, f, errs, "", false)
		return
	}
	in := store.NewSubjectRequest{Kind: dsr.Kind(f.Kind),
		Person: store.SubjectPerson{Name: f.Name, Email: f.Email, INSZ: digits, Lang: f.Lang, Details: f.Details,
			Wrong: f.Wrong, Correction: f.Correction, Grounds: f.Grounds}}
	if me.Role == account.RoleSupport {
		// DSR-2: the supplier reports the request to the controller at
		// once, in the controller's language, without the person's data
		// (the DPO opens the request in Kluis).
		l, ok := locale.Parse(t.DefaultLang)
		if !ok {
			l = locale.NL
		}
		kind := locale.T(l, "dsr.kind."+f.Kind)
		in.Report = store.OutgoingMail{Lang: string(l), Subject: locale.T(l, "dsr.report.subject", kind),
			Body: locale.T(l, "dsr.report.body", kind, t.LegalName)}
	}
	_, err := a.opts.Store.FileSubjectRequest(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, in)
	var dup *store.DuplicateRequestError
	switch {
	case errors.As(err, &dup):
		a.renderRequestNew(w, r, me, http.StatusConflict, f, fieldErrors{{"kind-" + f.Kind, a.t(r, "dsr.error.duplicate")}}, dup.ID, false)
	case err != nil:
		a.internalError(w, r, "file subject request", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/requests/new?filed=1", http.StatusSeeOther)
	}
}

type requestPage struct {
	Slug       string
	TenantName string
	Request    requestRow
	CanDecide  bool
	HasPackage bool
	Errors     fieldErrors
	Done       string // the step just taken: decided, extended, executed
	Reason     string
	Extend     string
	// Erased and Kept say what an executed erasure did, kept data with
	// the form's title and the register purpose's name.
	Erased int
	Kept   []string
	// Places says per place what the erasure removed and kept, and why.
	Places []string
	// The rectification (DSR-1): the values that can be rectified, the
	// corrections made under this request, what the form showed back.
	CaseShown bool
	Targets   []rectifyTarget
	History   []rectifyHistory
	Typed     rectifyTyped
	// Purposes are the register's purposes an objection may be upheld
	// for; ObjectionPurpose names the decided one.
	Purposes         []requestOption
	ObjectionPurpose string
}

// requestShow shows one request with the controller's steps.
func (a *App) requestShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderRequest(w, r, me, http.StatusOK, nil, "", "")
}

func (a *App) renderRequest(w http.ResponseWriter, r *http.Request, me account.User, status int, errs fieldErrors, reason, extend string) {
	a.renderRequestFull(w, r, me, status, errs, reason, extend, rectifyTyped{})
}

// renderRequestWith renders the request page with the rectification form
// as typed.
func (a *App) renderRequestWith(w http.ResponseWriter, r *http.Request, me account.User, status int, errs fieldErrors, typed rectifyTyped) {
	a.renderRequestFull(w, r, me, status, errs, "", "", typed)
}

func (a *App) renderRequestFull(w http.ResponseWriter, r *http.Request, me account.User, status int, errs fieldErrors, reason, extend string,
	typed rectifyTyped) {
	t := tenantFrom(r.Context())
	sr, err := a.opts.Store.SubjectRequestByID(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "subject request", err)
		return
	}
	p := requestPage{Slug: t.Slug, TenantName: t.LegalName, Request: a.requestRow(r, sr), CanDecide: account.Can(me.Role, account.HandleRequests),
		HasPackage: sr.Status == dsr.StatusExecuted && (sr.Kind == dsr.Access || sr.Kind == dsr.Portability), Errors: errs,
		Done: r.URL.Query().Get("done"), Reason: reason, Extend: extend, Typed: typed}
	if sr.Erasure != nil {
		if err := a.erasureLines(r, &p, *sr.Erasure); err != nil {
			a.internalError(w, r, "erasure outcome", err)
			return
		}
		p.Places = a.erasurePlaces(r, *sr.Erasure)
	}
	if sr.Kind == dsr.Objection {
		if err := a.objectionPurposes(r, &p); err != nil {
			a.internalError(w, r, "register purposes", err)
			return
		}
	}
	if p.CanDecide && sr.Kind == dsr.Rectification && (sr.Status == dsr.StatusApproved || sr.Status == dsr.StatusExecuted) {
		if err := a.requestCase(r, me, &p, typed.Target); err != nil {
			a.internalError(w, r, "rectification case", err)
			return
		}
	}
	a.render(w, r, status, "request", p)
}

// erasureLines names what an erasure kept by the titles and names people
// know: the form's title, the register purpose's name.
func (a *App) erasureLines(r *http.Request, p *requestPage, o store.ErasureOutcome) error {
	t := tenantFrom(r.Context())
	lang := string(LangFrom(r.Context()))
	p.Erased = o.Erased
	if len(o.Kept) == 0 {
		return nil
	}
	forms, err := a.opts.Store.Forms(r.Context(), t.ID)
	if err != nil {
		return err
	}
	titles := map[string]string{}
	for _, fv := range forms {
		if _, seen := titles[fv.Key]; !seen {
			titles[fv.Key] = fv.Form.Title.In(lang)
		}
	}
	purposes := map[string]string{}
	if reg, err := a.opts.Store.CurrentRegister(r.Context(), t.ID); err == nil {
		for _, pu := range reg.Register.Purposes {
			purposes[pu.Key] = pu.Name.In(lang)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for _, k := range o.Kept {
		title, purpose := titles[k.Form], purposes[k.Purpose]
		if title == "" {
			title = a.t(r, "dsr.erasure.unknown")
		}
		if purpose == "" {
			purpose = a.t(r, "dsr.erasure.unknown")
		}
		p.Kept = append(p.Kept, a.t(r, "dsr.erasure.kept", k.Count, title, purpose))
	}
	return nil
}

// requestDecide records the approval or refusal, with its reason (DSR-2).
func (a *App) requestDecide(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	decision, reason := r.PostForm.Get("decision"), strings.TrimSpace(r.PostForm.Get("reason"))
	var errs fieldErrors
	if decision != "approve" && decision != "refuse" {
		errs = append(errs, fieldError{"decision-approve", a.t(r, "dsr.error.decision")})
	}
	if reason == "" {
		errs = append(errs, fieldError{"reason", a.t(r, "dsr.error.reason")})
	}
	if len(errs) > 0 {
		a.renderRequest(w, r, me, http.StatusUnprocessableEntity, errs, reason, "")
		return
	}
	// An objection's purpose and effect (DSR-1, art. 21); other kinds
	// ignore them.
	choice := store.ObjectionChoice{Purpose: r.PostForm.Get("purpose"), Effect: r.PostForm.Get("effect")}
	err := a.opts.Store.DecideObjection(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID,
		r.PathValue("id"), decision == "approve", reason, choice)
	var ce *store.ChangeError
	if errors.As(err, &ce) && (ce.Field == "purpose" || ce.Field == "effect") {
		field := map[string]string{"purpose": "purpose", "effect": "effect-restrict"}[ce.Field]
		a.renderRequest(w, r, me, http.StatusUnprocessableEntity, fieldErrors{{field, a.t(r, "kinds.error."+ce.Field)}}, reason, "")
		return
	}
	a.requestStepDone(w, r, me, err, "decided", "reason", reason)
}

// requestExtend extends the deadline once by two months, with a reason.
func (a *App) requestExtend(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	reason := strings.TrimSpace(r.PostForm.Get("extend_reason"))
	if reason == "" {
		a.renderRequest(w, r, me, http.StatusUnprocessableEntity, fieldErrors{{"extend_reason", a.t(r, "dsr.error.reason")}}, "", reason)
		return
	}
	err := a.opts.Store.ExtendSubjectRequest(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID,
		r.PathValue("id"), reason)
	a.requestStepDone(w, r, me, err, "extended", "extend_reason", reason)
}

// requestAction is a step that takes no input: execute an approved
// request (before the approval it is refused and nothing runs, DSR-2), or
// close an executed or refused one (for a restriction that lifts it).
func (a *App) requestAction(step func(ctx context.Context, actor audit.Actor, tenantID, id string) error, done, field string) signedIn {
	return func(w http.ResponseWriter, r *http.Request, me account.User) {
		if !a.parseForm(w, r) {
			return
		}
		err := step(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID, r.PathValue("id"))
		a.requestStepDone(w, r, me, err, done, field, "")
	}
}

// requestStepDone answers a step: back to the request page, or the page
// again with the reason the step was refused.
func (a *App) requestStepDone(w http.ResponseWriter, r *http.Request, me account.User, err error, done, field, typed string) {
	var ce *store.ChangeError
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case errors.Is(err, store.ErrNotApproved):
		a.renderRequest(w, r, me, http.StatusConflict, fieldErrors{{field, a.t(r, "dsr.error.not_approved")}}, "", "")
	case errors.Is(err, store.ErrConflict):
		a.renderRequest(w, r, me, http.StatusConflict, fieldErrors{{field, a.t(r, "dsr.error.conflict")}}, "", "")
	case errors.As(err, &ce):
		msg := a.t(r, "dsr.error.reason")
		if ce.Key == "too_long" {
			msg = a.t(r, "dsr.error.too_long", store.RequestReasonMax)
		}
		a.renderRequest(w, r, me, http.StatusUnprocessableEntity, fieldErrors{{field, msg}}, typed, typed)
	case err != nil:
		a.internalError(w, r, "subject request step", err)
	default:
		http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/admin/requests/"+r.PathValue("id")+"?done="+done, http.StatusSeeOther)
	}
}

// requestPackage downloads the access package of an executed access or
// portability request as JSON (with its schema) or CSV, audited.
func (a *App) requestPackage(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	format := r.URL.Query().Get("format")
	if format == "zip" {
		a.requestPackageZip(w, r, me)
		return
	}
	if format != "json" && format != "csv" {
		a.notFound(w, r)
		return
	}
	p, err := a.opts.Store.SubjectAccessPackage(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id"), t.LegalName)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
		return
	case errors.Is(err, store.ErrNotApproved):
		a.renderRequest(w, r, me, http.StatusConflict, fieldErrors{{"package", a.t(r, "dsr.error.no_package")}}, "", "")
		return
	case err != nil:
		a.internalError(w, r, "subject access package", err)
		return
	}
	name := "kluis-access-" + p.RequestID + "." + format
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		if err := p.WriteCSV(w); err != nil {
			a.log.ErrorContext(r.Context(), "write access package", "request_id", RequestIDFrom(r.Context()), "error", err.Error())
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		a.log.ErrorContext(r.Context(), "write access package", "request_id", RequestIDFrom(r.Context()), "error", err.Error())
	}
}

// requestPackageZip downloads the stored package (ZIP: JSON with schema,
// CSV, the overview PDF in the person's language, the files) as the
// citizen receives it, audited as "dsr.download".
func (a *App) requestPackageZip(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	id := r.PathValue("id")
	zip, _, err := a.opts.Store.SubjectPackageZip(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case errors.Is(err, store.ErrNotApproved), errors.Is(err, store.ErrPackageGone):
		a.renderRequest(w, r, me, http.StatusConflict, fieldErrors{{"package", a.t(r, "dsr.error.no_package")}}, "", "")
	case err != nil:
		a.internalError(w, r, "subject package", err)
	default:
		writeZip(w, "kluis-access-"+id+".zip", zip)
	}
}

// markRestricted flags the rows whose person's processing is restricted by
// an executed restriction request (DSR-1, art. 18 GDPR).
func (a *App) markRestricted(r *http.Request, rows []inboxRowView) error {
	ids := make([]string, len(rows))
	for i, row := range rows {
		ids[i] = row.ID
	}
	restricted, err := a.opts.Store.RestrictedSubmissions(r.Context(), tenantFrom(r.Context()).ID, ids)
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].Restricted = restricted[rows[i].ID]
	}
	return nil
}
