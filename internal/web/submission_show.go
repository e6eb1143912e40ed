package web

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
)

// A submission's page in the inbox: its answers opened for display, its
// files, its history, and the handling — status, assignee, notes. Every
// view and download is an audited read with purpose (AUD-1); a submission
// of a form the user holds no grant on does not exist for them (404).

type historyView struct {
	At, Actor, What, Body string
	Lang                  string // a reply's language, when not the page's
}

type attachmentView struct {
	ID, Name, Size, Label string
	Unreadable            bool // its name cannot be opened: no link
}

// unreadablePage is the Data of the page of a submission whose answers
// cannot be opened.
type unreadablePage struct {
	Slug, TenantName, Reference string
}

type submissionPage struct {
	Slug, TenantName string
	ID, Reference    string
	Form             string
	Received         string
	Due              dueView
	Lang             string
	Status           string
	StatusKey        string
	Assignee         string
	Answers          []receiptLine
	Attachments      []attachmentView
	History          []historyView
	Moves            []inboxOption // the statuses it may move to
	Colleagues       []inboxOption // who it may be assigned to
	Done             string
	Errors           fieldErrors
	Typed            struct{ Reason, Note string }
	Reply            replyView // mailing the citizen
	// Hold is the legal hold on the case (SEC-1): until when ("" for
	// none), and where admins and the DPO manage it ("" for others).
	Hold struct{ Until, Link string }
	// Restricted: the person restricted processing (art. 18 GDPR) or
	// their objection was upheld: the case is frozen (DSR-1).
	Restricted bool
}

// submissionActions are the handling steps, by the last path segment.
var submissionActions = []string{"status", "assign", "notes"}

func (a *App) submissionShow(w http.ResponseWriter, r *http.Request, me account.User) {
	done := r.URL.Query().Get("done")
	if !slices.Contains(submissionActions, done) && done != "reply" {
		done = ""
	}
	a.renderSubmission(w, r, me, http.StatusOK, done, nil)
}

func (a *App) renderSubmission(w http.ResponseWriter, r *http.Request, me account.User, status int, done string, errs fieldErrors) {
	t := tenantFrom(r.Context())
	ctx := r.Context()
	actor := userActor(me, RequestIDFrom(ctx))
	d, fv, ok := a.openSubmission(w, r, me, readPurpose)
	if !ok {
		return
	}
	users, err := a.opts.Store.Users(ctx, actor, t.ID)
	if err != nil {
		a.internalError(w, r, "users", err)
		return
	}
	grants, err := a.opts.Store.FormAccessOf(ctx, t.ID)
	if err != nil {
		a.internalError(w, r, "form access", err)
		return
	}
	names := map[string]string{}
	for _, u := range users {
		names[u.ID] = a.showName(r, u).Name
	}
	// A case system may have moved it through the API: its key's name.
	for _, h := range d.History {
		if _, known := names[h.ActorID]; !known {
			keys, err := a.opts.Store.APIKeys(ctx, t.ID)
			if err != nil {
				a.internalError(w, r, "API keys", err)
				return
			}
			for _, k := range keys {
				names[k.ID] = a.t(r, "inbox.history.api_key", k.Name)
			}
			break
		}
	}
	nameOf := func(id string) string {
		if id == "" {
			return a.t(r, "inbox.assignee.nobody")
		}
		if n, ok := names[id]; ok {
			return n
		}
		return a.t(r, "inbox.history.someone")
	}
	lang := string(LangFrom(ctx))
	p := submissionPage{Slug: t.Slug, TenantName: t.LegalName, ID: d.ID, Reference: d.Reference, Form: fv.Form.Title.In(lang),
		Received: datetime(d.CreatedAt), Due: a.dueOf(r, d.InboxRow), Lang: a.langName(r, d.Lang), Status: a.t(r, "inbox.status."+d.Status), StatusKey: d.Status, Assignee: nameOf(d.AssigneeID),
		Done: done, Errors: errs}
	if r.Method == http.MethodPost {
		// Longer than the store takes is refused, and not shown back (LOC-3).
		p.Typed.Reason, p.Typed.Note = echoUpTo(r.PostForm.Get("reason"), store.NoteMaxLength), echoUpTo(r.PostForm.Get("note"), store.NoteMaxLength)
	}
	p.Reply = a.replyViewOf(r, d)
	if restricted, err := a.opts.Store.RestrictedSubmissions(ctx, t.ID, []string{d.ID}); err != nil {
		a.internalError(w, r, "restriction", err)
		return
	} else {
		p.Restricted = restricted[d.ID]
	}
	if until, held, err := a.opts.Store.HoldUntil(ctx, t.ID, d.ID, d.FormKey); err != nil {
		a.internalError(w, r, "legal hold", err)
		return
	} else if held {
		p.Hold.Until = until.Add(-time.Second).In(brussels).Format("02.01.2006")
	}
	if account.Can(me.Role, account.EditRegister) {
		p.Hold.Link = "/" + t.Slug + "/admin/register/retention?reference=" + url.QueryEscape(d.Reference) + "#new-hold"
	}
	var answers form.Answers
	if err := json.Unmarshal(d.Answers, &answers); err != nil {
		a.internalError(w, r, "decode answers", err)
		return
	}
	for _, fl := range fv.Form.Fields() {
		if fl.Type == form.TypeFile {
			continue
		}
		v := a.displayAnswer(r, fl, answers[fl.Key])
		if v == "" {
			v = a.t(r, "receipt.empty")
		}
		p.Answers = append(p.Answers, receiptLine{Label: locOf(fl.Label, lang), Value: v, Source: a.prefillSource(r, answers[fl.Key])})
	}
	for _, f := range d.Attachments {
		label := f.FieldKey
		for _, fl := range fv.Form.Fields() {
			if fl.Key == f.FieldKey {
				label = fl.Label.In(lang)
			}
		}
		v := attachmentView{ID: f.ID, Name: f.Name, Size: humanSize(f.Size), Label: label, Unreadable: f.Unreadable}
		if f.Unreadable {
			v.Name = a.t(r, "robust.unreadable")
		}
		p.Attachments = append(p.Attachments, v)
	}
	for _, h := range d.History {
		v := historyView{At: datetime(h.At), Actor: nameOf(h.ActorID), Body: h.Body}
		if h.Unreadable {
			v.Body = a.t(r, "robust.unreadable")
		}
		switch h.Kind {
		case "status":
			v.What = a.t(r, "inbox.history.status", a.t(r, "inbox.status."+h.Status))
		case "assign":
			v.What = a.t(r, "inbox.history.assign", nameOf(h.AssigneeID))
		case "note":
			v.What = a.t(r, "inbox.history.note")
		default:
			v.What = a.historyWhat(r, h)
			if h.Kind == "reply" {
				v.Lang = h.Lang
			}
		}
		p.History = append(p.History, v)
	}
	for _, s := range store.NextStatuses(d.Status) {
		p.Moves = append(p.Moves, inboxOption{Value: s, Label: a.t(r, "inbox.status."+s)})
	}
	p.Colleagues = append(p.Colleagues, inboxOption{Value: "-", Label: a.t(r, "inbox.assignee.nobody"), Selected: d.AssigneeID == ""})
	for _, u := range users {
		if u.Status == account.StatusActive && slices.Contains(grants[u.ID], d.FormKey) {
			label := names[u.ID]
			if u.ID == me.ID {
				label = a.t(r, "inbox.assign.me", label)
			}
			p.Colleagues = append(p.Colleagues, inboxOption{Value: u.ID, Label: label, Selected: u.ID == d.AssigneeID})
		}
	}
	a.render(w, r, status, "submission", p)
}

// humanSize is a file size as people read it (decimal comma).
func humanSize(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1000*1000:
		return strconv.FormatInt((n+500)/1000, 10) + " kB"
	}
	mb := strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64)
	return mb[:len(mb)-2] + "," + mb[len(mb)-1:] + " MB"
}

// submissionChange applies one handling step and returns to the page; a
// refused step re-renders it with the reason at its field.
func (a *App) submissionChange(w http.ResponseWriter, r *http.Request, me account.User) {
	action := r.PathValue("action")
	if !slices.Contains(submissionActions, action) {
		a.notFound(w, r)
		return
	}
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	var ch store.SubmissionChange
	switch action {
	case "status":
		ch.Status, ch.Reason = r.PostForm.Get("status"), r.PostForm.Get("reason")
		ch.StatusMail = a.statusMail(t, ch.Status)
		if ch.Status == "" {
			a.renderSubmission(w, r, me, http.StatusUnprocessableEntity, "", fieldErrors{{"status", a.t(r, "inbox.error.status_required")}})
			return
		}
	case "assign":
		ch.Assignee = r.PostForm.Get("assignee")
		if ch.Assignee == "" {
			ch.Assignee = "-"
		}
	case "notes":
		ch.Note = r.PostForm.Get("note")
	}
	err := a.opts.Store.ChangeSubmission(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, store.UserViewer(me.ID), r.PathValue("id"), ch)
	var ce *store.ChangeError
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case errors.Is(err, store.ErrRestricted):
		a.renderSubmission(w, r, me, http.StatusConflict, "", fieldErrors{{"status", a.t(r, "kinds.restricted.status")}})
	case errors.As(err, &ce):
		msg := a.t(r, "inbox.error."+ce.Key)
		if ce.Key == "too_long" { // and so not shown back: say so
			msg = a.t(r, "robust.too_long", store.NoteMaxLength)
		}
		a.renderSubmission(w, r, me, http.StatusUnprocessableEntity, "", fieldErrors{{ce.Field, msg}})
	case err != nil:
		a.internalError(w, r, "change submission", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/inbox/submissions/"+r.PathValue("id")+"?done="+action, http.StatusSeeOther)
	}
}

// attachmentDownload hands one file of a submission over as a download:
// never shown inline in our origin, sandboxed, not sniffed.
func (a *App) attachmentDownload(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	f, err := a.opts.Store.OpenAttachment(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, store.UserViewer(me.ID), r.PathValue("id"),
		r.PathValue("file"), readPurpose)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if errors.Is(err, store.ErrUnreadable) {
		a.errorWith(w, r, http.StatusConflict, "robust.file")
		return
	}
	if err != nil {
		a.internalError(w, r, "open attachment", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	h.Set("Content-Security-Policy", sandboxedFilePolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(f.Data)))
	w.Write(f.Data)
}
