package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/accessibility"
	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/workdays"
)

// The accessibility statement (toegankelijkheidsverklaring, Bestuursdecreet
// 2018): visitors read the latest published version at
// /{tenant}/toegankelijkheid, linked from the footer of every public page
// of the tenant, without JavaScript; editors (account.EditSite) keep its
// contact and known exceptions under Website and publish it, and read
// every version that was published.

// a11yText is a text in the reader's language, or the default language's
// marked with its lang (WCAG 3.1.2).
type a11yText struct {
	Text, Lang string
}

func a11yTextOf(m map[string]string, lang, defaultLang string) a11yText {
	if t := m[lang]; t != "" {
		return a11yText{Text: t}
	}
	for _, l := range append([]string{defaultLang}, accessibility.Langs...) {
		if t := m[l]; t != "" {
			return a11yText{Text: t, Lang: l}
		}
	}
	return a11yText{}
}

// a11yView is a statement ready to show.
type a11yView struct {
	Name                 string
	Published            bool
	Version, Date        string
	Status               accessibility.Status
	StatusText           string
	Reasons              []string
	Exceptions           []a11yExceptionView
	Checks               []string
	Contrast, Audit      string
	Email, EmailHref     string
	Phone                string
	PhoneHref            template.URL
	Complaint            a11yText
	BackHref, PublicHref string // the staff view of an old version
}

type a11yExceptionView struct {
	ID          string
	Description a11yText
	Ground, Fix string
}

// a11yDate shows an ISO date as dd.mm.jjjj.
func a11yDate(iso string) string {
	if d, ok := accessibility.ParseDate(iso); ok {
		return d.Format("02.01.2006")
	}
	return iso
}

func (a *App) a11yExceptions(r *http.Request, es []accessibility.Exception, defaultLang string) []a11yExceptionView {
	lang := string(LangFrom(r.Context()))
	var vs []a11yExceptionView
	for _, e := range es {
		v := a11yExceptionView{ID: e.ID, Description: a11yTextOf(e.Description, lang, defaultLang), Ground: a.t(r, "a11y.ground."+e.Ground)}
		if e.PlannedFix != "" {
			v.Fix = a11yDate(e.PlannedFix)
		}
		vs = append(vs, v)
	}
	return vs
}

// a11yViewOf renders a published statement's facts in the reader's language.
func (a *App) a11yViewOf(r *http.Request, st accessibility.Statement, defaultLang string) a11yView {
	lang := string(LangFrom(r.Context()))
	f := st.Facts
	v := a11yView{Name: st.Name, Published: true, Version: strconv.Itoa(st.Version),
		Date: st.PublishedAt.In(workdays.Brussels).Format("02.01.2006"), Status: st.Status,
		StatusText: a.t(r, "a11y.status."+string(st.Status)), Exceptions: a.a11yExceptions(r, f.Exceptions, defaultLang),
		Email: f.Contact.Email, EmailHref: "mailto:" + f.Contact.Email, Phone: f.Contact.Phone,
		Complaint: a11yTextOf(f.Complaint, lang, defaultLang)}
	if p := f.Contact.Phone; p != "" {
		v.PhoneHref = template.URL("tel:" + strings.Map(func(r rune) rune {
			if r == '+' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, p))
	}
	for _, rs := range st.ReasonsShown() {
		args := make([]any, len(rs.Args))
		for i, s := range rs.Args {
			args[i] = s
		}
		if rs.Code == accessibility.ReasonAuditOld && len(args) == 1 {
			args[0] = a11yDate(rs.Args[0])
		}
		v.Reasons = append(v.Reasons, a.t(r, "a11y.reason."+rs.Code, args...))
	}
	for _, c := range f.Checks {
		v.Checks = append(v.Checks, a.t(r, "a11y.check."+c))
	}
	ratio := func(x float64) string {
		s := strconv.FormatFloat(x, 'f', 1, 64)
		if lang != "en" {
			s = strings.Replace(s, ".", ",", 1) // decimal comma (design 6)
		}
		return s
	}
	if f.Contrast.Accent != "" {
		v.Contrast = a.t(r, "a11y.basis.contrast", f.Contrast.Accent, ratio(f.Contrast.Ratio))
	}
	if au := f.Audit; au != nil {
		v.Audit = a.t(r, "a11y.basis.audit", au.Tool, au.At.In(workdays.Brussels).Format("02.01.2006"),
			strconv.Itoa(au.PagesChecked), strconv.Itoa(au.PagesFailed), strconv.Itoa(au.Violations))
	} else {
		v.Audit = a.t(r, "a11y.basis.no_audit")
	}
	return v
}

// a11yStatementShow is the public statement: the latest published version.
func (a *App) a11yStatementShow(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	st, err := a.opts.Store.AccessibilityStatement(r.Context(), t.ID, 0)
	if errors.Is(err, store.ErrNotFound) {
		a.render(w, r, http.StatusOK, "a11ystatement", a11yView{Name: a.brandOf(r.Context()).Name})
		return
	}
	if err != nil {
		a.internalError(w, r, "accessibility statement", err)
		return
	}
	a.render(w, r, http.StatusOK, "a11ystatement", a.a11yViewOf(r, st, t.DefaultLang))
}

// a11yAdminPage is the editors' page.
type a11yAdminPage struct {
	Slug       string
	Done       string
	Errors     fieldErrors
	NowStatus  string
	NowReasons []string
	Email      string
	Phone      string
	Complaint  []a11yLangField
	Exceptions []a11yExceptionView
	NewExc     []a11yLangField
	Grounds    []a11yOption
	PlannedFix string
	History    []a11yHistoryRow
	Published  bool
}

type a11yLangField struct {
	Lang, ID, Label, Value string
	Err                    string
}

type a11yOption struct {
	Value, Label string
	Selected     bool
}

type a11yHistoryRow struct {
	Version, When, Who, Status, Href string
}

// a11yForm is what the editor typed in the two forms (kept on a refusal).
type a11yForm struct {
	contact   *accessibility.Contact
	complaint map[string]string
	exc       *accessibility.Exception
	errs      map[string]accessibility.Problem
}

func a11yFieldID(f string) string { return strings.NewReplacer(".", "-", "_", "-").Replace(f) }

func (a *App) a11yAdmin(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderA11yAdmin(w, r, me, http.StatusOK, a11yForm{})
}

func (a *App) renderA11yAdmin(w http.ResponseWriter, r *http.Request, me account.User, status int, form a11yForm) {
	t := tenantFrom(r.Context())
	ctx := r.Context()
	facts, err := a.opts.Store.AccessibilityFacts(ctx, t.ID)
	if err != nil {
		a.internalError(w, r, "accessibility facts", err)
		return
	}
	settings, err := a.opts.Store.AccessibilitySettings(ctx, t.ID)
	if err != nil {
		a.internalError(w, r, "accessibility settings", err)
		return
	}
	sts, by, err := a.opts.Store.AccessibilityStatements(ctx, t.ID)
	if err != nil {
		a.internalError(w, r, "accessibility statements", err)
		return
	}
	p := a11yAdminPage{Slug: t.Slug, Published: len(sts) > 0}
	nowStatus, reasons := accessibility.Evaluate(facts, a.opts.Store.Now())
	preview := a.a11yViewOf(r, accessibility.Statement{Status: nowStatus, Reasons: reasons, Facts: facts}, t.DefaultLang)
	p.NowStatus, p.NowReasons = a.t(r, "a11y.staff.status", a.t(r, "a11y.statusname."+string(nowStatus))), preview.Reasons
	p.Exceptions = preview.Exceptions

	// The contact form: as typed after a refusal, as saved, or the
	// proposed complaint route in each language.
	contact, complaint := settings.Contact, settings.Complaint
	if !settings.Set {
		complaint = map[string]string{}
		for _, l := range accessibility.Langs {
			complaint[l] = locale.T(locale.Lang(l), "a11y.complaint.default")
		}
	}
	if form.contact != nil {
		contact, complaint = *form.contact, form.complaint
	}
	p.Email, p.Phone = contact.Email, contact.Phone
	exc := accessibility.Exception{Description: map[string]string{}}
	if form.exc != nil {
		exc = *form.exc
	}
	p.PlannedFix = exc.PlannedFix
	msg := func(field string) string {
		if pr, ok := form.errs[field]; ok {
			return a.t(r, pr.Key, pr.Args...)
		}
		return ""
	}
	order := []string{accessibility.FieldEmail, accessibility.FieldPhone}
	for _, l := range accessibility.Langs {
		order = append(order, accessibility.FieldComplaint(l))
	}
	for _, l := range accessibility.Langs {
		order = append(order, accessibility.FieldDescription(l))
	}
	order = append(order, accessibility.FieldGround, accessibility.FieldPlannedFix)
	for _, f := range order {
		if m := msg(f); m != "" {
			p.Errors = append(p.Errors, fieldError{a11yFieldID(f), m})
		}
	}
	for _, l := range accessibility.Langs {
		f := accessibility.FieldComplaint(l)
		p.Complaint = append(p.Complaint, a11yLangField{Lang: l, ID: a11yFieldID(f), Label: a.t(r, "a11y.field.complaint."+l), Value: complaint[l], Err: msg(f)})
		f = accessibility.FieldDescription(l)
		p.NewExc = append(p.NewExc, a11yLangField{Lang: l, ID: a11yFieldID(f), Label: a.t(r, "a11y.field.description."+l), Value: exc.Description[l], Err: msg(f)})
	}
	for _, g := range accessibility.Grounds {
		p.Grounds = append(p.Grounds, a11yOption{Value: g, Label: a.t(r, "a11y.ground."+g), Selected: g == exc.Ground})
	}
	if len(sts) > 0 {
		// The history names the editors: reading their names is recorded
		// (user.list), as on every page that shows staff names (AUD-1).
		users, err := a.opts.Store.Users(ctx, userActor(me, RequestIDFrom(ctx)), t.ID)
		if err != nil {
			a.internalError(w, r, "accessibility statement editors", err)
			return
		}
		names := map[string]string{}
		for _, u := range users {
			names[u.ID] = a.showName(r, u).Name
		}
		for i, st := range sts {
			who := names[by[i]]
			if who == "" {
				who = a.t(r, "auditlog.obj.user_unknown")
			}
			p.History = append(p.History, a11yHistoryRow{Version: strconv.Itoa(st.Version), When: localTime(st.PublishedAt), Who: who,
				Status: a.t(r, "a11y.statusname."+string(st.Status)),
				Href:   "/" + t.Slug + "/admin/site/accessibility/versions/" + strconv.Itoa(st.Version)})
		}
	}
	switch q := r.URL.Query(); q.Get("done") {
	case "contact":
		p.Done = a.t(r, "a11y.done.contact")
	case "added":
		p.Done = a.t(r, "a11y.done.exception_added")
	case "deleted":
		p.Done = a.t(r, "a11y.done.exception_deleted")
	case "published":
		if v, err := strconv.Atoi(q.Get("v")); err == nil {
			p.Done = a.t(r, "a11y.done.published", strconv.Itoa(v))
		}
	}
	a.render(w, r, status, "a11yadmin", p)
}

func (a *App) a11yRedirect(w http.ResponseWriter, r *http.Request, done string) {
	http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/admin/site/accessibility?done="+done, http.StatusSeeOther)
}

// a11yRefused re-renders the page for a refused write, or answers the error.
func (a *App) a11yRefused(w http.ResponseWriter, r *http.Request, me account.User, err error, form a11yForm, what string) {
	var verr *store.AccessibilityValidationError
	switch {
	case errors.As(err, &verr):
		form.errs = verr.Fields
		a.renderA11yAdmin(w, r, me, http.StatusUnprocessableEntity, form)
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	default:
		a.internalError(w, r, what, err)
	}
}

func (a *App) a11yContactSave(w http.ResponseWriter, r *http.Request, me account.User) {
	if err := r.ParseForm(); err != nil {
		a.bodyError(w, r, err)
		return
	}
	c := accessibility.Contact{Email: r.PostForm.Get("email"), Phone: r.PostForm.Get("phone")}
	complaint := map[string]string{}
	for _, l := range accessibility.Langs {
		complaint[l] = r.PostForm.Get("complaint-" + l)
	}
	err := a.opts.Store.SetAccessibilitySettings(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID, c, complaint)
	if err != nil {
		a.a11yRefused(w, r, me, err, a11yForm{contact: &c, complaint: complaint}, "save accessibility contact")
		return
	}
	a.a11yRedirect(w, r, "contact")
}

func (a *App) a11yExceptionAdd(w http.ResponseWriter, r *http.Request, me account.User) {
	if err := r.ParseForm(); err != nil {
		a.bodyError(w, r, err)
		return
	}
	e := accessibility.Exception{Description: map[string]string{}, Ground: r.PostForm.Get("ground"), PlannedFix: r.PostForm.Get("planned-fix")}
	for _, l := range accessibility.Langs {
		e.Description[l] = r.PostForm.Get("description-" + l)
	}
	_, err := a.opts.Store.AddAccessibilityException(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID, e)
	if err != nil {
		a.a11yRefused(w, r, me, err, a11yForm{exc: &e}, "add accessibility exception")
		return
	}
	a.a11yRedirect(w, r, "added")
}

func (a *App) a11yExceptionDelete(w http.ResponseWriter, r *http.Request, me account.User) {
	err := a.opts.Store.DeleteAccessibilityException(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		a.a11yRefused(w, r, me, err, a11yForm{}, "delete accessibility exception")
		return
	}
	a.a11yRedirect(w, r, "deleted")
}

func (a *App) a11yPublish(w http.ResponseWriter, r *http.Request, me account.User) {
	st, err := a.opts.Store.PublishAccessibilityStatement(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID, a.brandOf(r.Context()).Name)
	if err != nil {
		a.a11yRefused(w, r, me, err, a11yForm{}, "publish accessibility statement")
		return
	}
	a.a11yRedirect(w, r, "published&v="+url.QueryEscape(strconv.Itoa(st.Version)))
}

// a11yVersion shows one published version as it was published.
func (a *App) a11yVersion(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || v < 1 {
		a.notFound(w, r)
		return
	}
	st, err := a.opts.Store.AccessibilityStatement(r.Context(), t.ID, v)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "accessibility statement", err)
		return
	}
	view := a.a11yViewOf(r, st, t.DefaultLang)
	view.BackHref = "/" + t.Slug + "/admin/site/accessibility"
	a.render(w, r, http.StatusOK, "a11yversion", view)
}
