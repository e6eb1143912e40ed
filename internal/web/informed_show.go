package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// The citizen kept informed: the receipt says whether the confirmation
// mail went out; staff reply by mail from a submission's page; a status
// change can mail the citizen (the form's settings decide); and the
// citizen looks a request up by its reference and the e-mail address they
// gave. Every mail is in the language the form was filled in and holds no
// answers; every step is audited in the store.

// maskAddress shows an e-mail address as "a***@gent.be": enough for the
// citizen to recognise it, not enough to read it off a shared screen.
func maskAddress(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return "***"
	}
	first, _ := utf8.DecodeRuneInString(s)
	return string(first) + "***" + s[at:]
}

// receiptMail is what the receipt says of the confirmation mail: none,
// queued, sent or failed.
func receiptMail(status string) string {
	switch status {
	case store.MailStatusPending, store.MailStatusSending:
		return "queued"
	case store.MailStatusSent, store.MailStatusFailed:
		return status
	}
	return "none"
}

// lookupURL is the public address of the tenant's look-up page.
func (a *App) lookupURL(t tenant.Tenant) string { return a.tenantLink(t, "/lookup") }

// statusMail is the mail that tells the citizen their case moved to status.
func (a *App) statusMail(t tenant.Tenant, status string) store.CitizenMail {
	return store.StatusMail(t.LegalName, a.lookupURL(t), status)
}

// replyView is the reply form of a submission's page.
type replyView struct {
	Offered bool   // the citizen gave an address
	Lang    string // the language the mail goes out in, named in the reader's
	Typed   string
}

func (a *App) replyViewOf(r *http.Request, d store.SubmissionDetail) replyView {
	l, ok := locale.Parse(d.ContactLang)
	if !ok {
		l = locale.NL
	}
	v := replyView{Offered: d.HasContact, Lang: a.t(r, "informed.lang."+string(l))}
	if r.Method == http.MethodPost {
		v.Typed = r.PostForm.Get("message")
	}
	return v
}

// historyWhat names the mails to the citizen in a submission's history.
func (a *App) historyWhat(r *http.Request, h store.HistoryEntry) string {
	lang := a.t(r, "informed.lang."+h.Lang)
	state := a.t(r, "informed.mail_state."+receiptMail(h.MailStatus))
	switch h.Kind {
	case "reply":
		return a.t(r, "informed.history.reply", lang, state)
	case "status_mail":
		return a.t(r, "informed.history.status_mail", a.t(r, "inbox.status."+h.Status), lang, state)
	}
	return ""
}

// submissionReply mails the citizen a staff member's reply and returns to
// the submission's page; a refused reply re-renders it field by field.
func (a *App) submissionReply(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	m := store.ReplyMail(t.LegalName, a.lookupURL(t))
	err := a.opts.Store.ReplyToSubmission(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, store.UserViewer(me.ID),
		r.PathValue("id"), r.PostForm.Get("message"), m)
	var ce *store.ChangeError
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case errors.As(err, &ce):
		msg := a.t(r, "informed.reply.error."+ce.Key)
		if ce.Key == "too_long" {
			msg = a.t(r, "informed.reply.error.too_long", store.ReplyMaxLength)
		}
		a.renderSubmission(w, r, me, http.StatusUnprocessableEntity, "", fieldErrors{{ce.Field, msg}})
	case err != nil:
		a.internalError(w, r, "reply to submission", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/inbox/submissions/"+r.PathValue("id")+"?done=reply", http.StatusSeeOther)
	}
}

// lookupPage is the citizen's "look up my request" page.
type lookupPage struct {
	Tenant    tenant.Tenant
	Reference string // as typed
	Email     string
	Errors    fieldErrors       // the summary: each message with its field's name
	Inline    map[string]string // at the field: the message alone
	NotFound  bool
	Result    *lookupResult
}

type lookupResult struct {
	Reference string
	Form      loc
	Received  string
	Status    string
	StatusKey string
}

// lookupForm checks what the look-up page posts, with the e-loket's own
// checks and messages for an e-mail address.
var lookupForm = form.Form{Pages: []form.Page{{Fields: []form.Field{
	{Key: "reference", Type: form.TypeText, Required: true, MaxLength: 40},
	{Key: "email", Type: form.TypeEmail, Required: true},
}}}}

func (a *App) lookupShow(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "lookup", lookupPage{Tenant: tenantFrom(r.Context())})
}

// lookupCreate looks a request up by the reference and the e-mail address
// posted (never in a URL). An unknown reference and a wrong address get
// the same answer; the store compares the address through the blind index
// and records every look-up.
func (a *App) lookupCreate(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	p := lookupPage{Tenant: t, Reference: r.PostForm.Get("reference"), Email: r.PostForm.Get("email"), Inline: map[string]string{}}
	bad := func(field, msg string) {
		p.Errors = append(p.Errors, fieldError{field, a.t(r, "informed.lookup."+field) + ": " + msg})
		p.Inline[field] = msg
	}
	answers, errs := lookupForm.Check(form.Input(url.Values{"reference": {p.Reference}, "email": {strings.TrimSpace(p.Email)}}))
	ref, refOK := store.NormalizeReference(answers["reference"].Value)
	if !refOK && answers["reference"].Value != "" {
		bad("reference", a.t(r, "informed.lookup.error.reference"))
	}
	for _, e := range errs {
		msg := a.t(r, "form.error."+e.Key, e.Args...)
		if e.Input == "reference" {
			msg = a.t(r, "informed.lookup.error.reference_required")
		}
		bad(e.Input, msg)
	}
	if len(p.Errors) > 0 {
		a.render(w, r, http.StatusUnprocessableEntity, "lookup", p)
		return
	}
	citizen := audit.Actor{Kind: audit.KindCitizen, ID: "anonymous", RequestID: RequestIDFrom(r.Context())}
	res, err := a.opts.Store.LookupSubmission(r.Context(), citizen, t.ID, ref, answers["email"].Value)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.NotFound = true
		a.render(w, r, http.StatusNotFound, "lookup", p)
		return
	case err != nil:
		a.internalError(w, r, "look up submission", err)
		return
	}
	lang := string(LangFrom(r.Context()))
	title := register.Text{"nl": res.FormKey}
	if fv, err := a.opts.Store.FormAt(r.Context(), t.ID, res.FormKey, res.FormVersion); err == nil {
		title = fv.Form.Title
	}
	p.Result = &lookupResult{Reference: res.Reference, Form: locOf(title, lang), Received: datetime(res.CreatedAt),
		Status: a.t(r, "inbox.status."+res.Status), StatusKey: res.Status}
	a.render(w, r, http.StatusOK, "lookup", p)
}

// statusMailView is the status mail's fieldset on a form's settings page.
type statusMailView struct {
	Enabled  bool
	Statuses []statusMailInputs
}

type statusMailInputs struct {
	Legend string
	Inputs []textInput
}

func (a *App) statusMailViewOf(r *http.Request, f form.Form, errs fieldErrors) statusMailView {
	var sm form.StatusMail
	if f.StatusMail != nil {
		sm = *f.StatusMail
	}
	v := statusMailView{Enabled: sm.Enabled}
	for _, s := range form.MailStatuses {
		v.Statuses = append(v.Statuses, statusMailInputs{Legend: a.t(r, "informed.settings.text_for", a.t(r, "inbox.status."+s)),
			Inputs: textInputs("status_mail_"+s, sm.Texts[s], errs)})
	}
	return v
}

// postedStatusMail reads the status mail's fieldset; nil when it is off
// and holds no text.
func postedStatusMail(v url.Values) *form.StatusMail {
	sm := &form.StatusMail{Enabled: v.Get("status_mail_on") != ""}
	for _, s := range form.MailStatuses {
		if t := postedText(v, "status_mail_"+s); t != nil {
			if sm.Texts == nil {
				sm.Texts = map[string]register.Text{}
			}
			sm.Texts[s] = t
		}
	}
	if !sm.Enabled && sm.Texts == nil {
		return nil
	}
	return sm
}
