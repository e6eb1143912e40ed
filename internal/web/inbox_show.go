package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/ident"
	"github.com/kluis/kluis/internal/store"
)

// The staff inbox (issue 5): submissions of the forms an admin granted the
// user (ORG-6), newest first, filtered and paged by keyset; a citizen
// search by national register number or e-mail through the blind index
// (posted, so the identifier is in no URL); every list and search is
// recorded with the ids it showed (AUD-1).

// readPurpose is the purpose recorded for staff reads in the inbox.
const readPurpose = "handling"

type inboxOption struct {
	Value, Label string
	Selected     bool
}

type inboxRowView struct {
	ID, Reference, Form, Summary, Status, StatusKey, Assignee, Received string
	Unreadable                                                          bool // its answers cannot be opened (SEC-3)
	Restricted                                                          bool // its person's processing is restricted (DSR-1, art. 18)
	Due                                                                 dueView
	Lang                                                                string
}

type inboxPage struct {
	Slug, TenantName string
	Forms            []inboxOption
	Statuses         []inboxOption
	Assignees        []inboxOption
	Sorts            []inboxOption
	Sorted           bool // not the default order: the filters stay open to show it
	Overdue          bool
	Counts           []countView
	Caption          string
	From, To         string
	Query            string // the citizen search as typed (re-shown, never in a URL)
	Searched         bool
	Rows             []inboxRowView
	Next, First      string // links to the next page and back to the first
	NextLabel        string
	FirstLabel       string
	Errors           fieldErrors
	NoForms          bool   // the user has no grant on any form
	ExportForm       string // the one form filtered on: its submissions can be exported
}

// inboxFilter is what the filter form asked, checked.
type inboxFilter struct {
	q        store.InboxQuery
	from, to string
}

// parseInboxFilter reads the filters of r against the forms the user may
// see; each bad value is a field error.
func (a *App) parseInboxFilter(r *http.Request, me account.User, granted []string) (inboxFilter, fieldErrors) {
	v := r.URL.Query()
	f := inboxFilter{q: store.InboxQuery{Viewer: store.UserViewer(me.ID), Form: v.Get("form"), Status: v.Get("status"), Before: v.Get("before")},
		from: strings.TrimSpace(v.Get("from")), to: strings.TrimSpace(v.Get("to"))}
	var errs fieldErrors
	if f.q.Form != "" && !slices.Contains(granted, f.q.Form) {
		errs = append(errs, fieldError{"form", a.t(r, "inbox.error.form")})
	}
	if f.q.Status != "" && !slices.Contains(store.Statuses, f.q.Status) {
		errs = append(errs, fieldError{"status", a.t(r, "inbox.error.status")})
	}
	switch f.q.Sort = v.Get("sort"); {
	case f.q.Sort == "":
	case !slices.Contains(store.Sorts, f.q.Sort):
		errs = append(errs, fieldError{"sort", a.t(r, "casework.error.sort")})
	}
	switch v.Get("overdue") {
	case "":
	case "1":
		f.q.Overdue = true
	default:
		errs = append(errs, fieldError{"overdue", a.t(r, "casework.error.overdue")})
	}
	switch as := v.Get("assignee"); as {
	case "", "-":
		f.q.Assignee = as
	case "me":
		f.q.Assignee = me.ID
	default:
		errs = append(errs, fieldError{"assignee", a.t(r, "inbox.error.assignee")})
	}
	var perr fieldErrors
	f.q.From, f.q.To, perr = a.period(r, f.from, f.to)
	errs = append(errs, perr...)
	return f, errs
}

// inboxShow lists the inbox.
func (a *App) inboxShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderInbox(w, r, me, "")
}

// inboxSearch finds a citizen's submissions (POST: the identifier stays
// out of URLs, logs and history).
func (a *App) inboxSearch(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	a.renderInbox(w, r, me, strings.TrimSpace(r.PostForm.Get("q")))
}

// citizenKey normalises what staff typed to search a citizen the way the
// e-loket indexed it: an INSZ's 11 digits, or an e-mail address in lower
// case. ok is false for anything else.
func citizenKey(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "@") {
		e := strings.ToLower(s)
		at := strings.LastIndexByte(e, '@')
		return e, at > 0 && strings.Contains(e[at:], ".") && !strings.ContainsAny(e, " \t")
	}
	n, err := ident.INSZ(s)
	if err != nil {
		return "", false
	}
	return n.Digits, true
}

func (a *App) renderInbox(w http.ResponseWriter, r *http.Request, me account.User, search string) {
	t := tenantFrom(r.Context())
	ctx := r.Context()
	actor := userActor(me, RequestIDFrom(ctx))
	granted, err := a.opts.Store.FormAccess(ctx, t.ID, me.ID)
	if err != nil {
		a.internalError(w, r, "form access", err)
		return
	}
	f, errs := a.parseInboxFilter(r, me, granted)
	lang := string(LangFrom(ctx))
	p := inboxPage{Slug: t.Slug, TenantName: t.LegalName, From: f.from, To: f.to, NoForms: len(granted) == 0, Query: search,
		Searched: r.Method == http.MethodPost}
	forms := map[string]store.FormVersion{} // form@version → definition, for labels and summaries
	formAt := func(key string, version int) (store.FormVersion, error) {
		k := key + "@" + strconv.Itoa(version)
		if fv, ok := forms[k]; ok {
			return fv, nil
		}
		fv, err := a.opts.Store.FormAt(ctx, t.ID, key, version)
		if err == nil {
			forms[k] = fv
		}
		return fv, err
	}
	p.Forms = append(p.Forms, inboxOption{Value: "", Label: a.t(r, "inbox.filter.all_forms")})
	for _, key := range granted {
		p.Forms = append(p.Forms, inboxOption{Value: key, Label: a.formTitle(r, t.ID, key), Selected: key == f.q.Form})
	}
	p.Statuses = append(p.Statuses, inboxOption{Value: "", Label: a.t(r, "inbox.filter.all_statuses")})
	for _, s := range store.Statuses {
		p.Statuses = append(p.Statuses, inboxOption{Value: s, Label: a.t(r, "inbox.status."+s), Selected: s == f.q.Status})
	}
	p.Sorts, p.Overdue, p.Sorted = a.sortOptions(r, f.q.Sort), f.q.Overdue, f.q.Sort != "" && f.q.Sort != store.SortNewest
	p.Caption, p.NextLabel, p.FirstLabel = a.t(r, "inbox.caption"), a.t(r, "inbox.next"), a.t(r, "inbox.first")
	if f.q.Sort == store.SortOldest || f.q.Sort == store.SortDue {
		p.Caption, p.NextLabel, p.FirstLabel = a.t(r, "casework.caption."+f.q.Sort), a.t(r, "casework.next"), a.t(r, "casework.first")
	}
	if !p.NoForms {
		// Counts for the form filtered on, or every granted one (ORG-6);
		// not for a form the user may not see.
		form := f.q.Form
		if !slices.Contains(granted, form) {
			form = ""
		}
		counts, err := a.opts.Store.InboxCounts(ctx, t.ID, store.UserViewer(me.ID), form)
		if err != nil {
			a.internalError(w, r, "inbox counts", err)
			return
		}
		cf := f
		cf.q.Form = form
		p.Counts = a.inboxCounts(r, t.Slug, counts, cf)
	}
	as := r.URL.Query().Get("assignee")
	for _, o := range []string{"", "me", "-"} {
		p.Assignees = append(p.Assignees, inboxOption{Value: o, Label: a.t(r, "inbox.assignee."+map[string]string{"": "anyone", "me": "me", "-": "nobody"}[o]),
			Selected: o == as})
	}
	status := http.StatusOK
	var rows []store.InboxRow
	switch {
	case len(errs) > 0:
		p.Errors, status = errs, http.StatusBadRequest
	case p.Searched:
		key, ok := citizenKey(search)
		if !ok {
			p.Errors, status = fieldErrors{{"q", a.t(r, "inbox.error.search")}}, http.StatusUnprocessableEntity
			break
		}
		rows, err = a.opts.Store.SearchSubject(ctx, actor, t.ID, store.UserViewer(me.ID), key)
	default:
		p.ExportForm = f.q.Form
		var page store.InboxPage
		page, err = a.opts.Store.Inbox(ctx, actor, t.ID, f.q)
		if errors.Is(err, store.ErrBadCursor) {
			p.Errors, status, err = fieldErrors{{"results", a.t(r, "inbox.error.cursor")}}, http.StatusBadRequest, nil
		}
		rows = page.Rows
		if page.Next != "" {
			next := r.URL.Query()
			next.Set("before", page.Next)
			p.Next = "/" + t.Slug + "/inbox?" + next.Encode()
		}
		if f.q.Before != "" {
			first := r.URL.Query()
			first.Del("before")
			p.First = "/" + t.Slug + "/inbox?" + first.Encode()
		}
	}
	if err != nil {
		a.internalError(w, r, "inbox", err)
		return
	}
	for _, row := range rows {
		v := inboxRowView{ID: row.ID, Reference: row.Reference, Form: row.FormKey, Status: a.t(r, "inbox.status."+row.Status),
			StatusKey: row.Status, Received: datetime(row.CreatedAt), Due: a.dueOf(r, row), Lang: a.langName(r, row.Lang)}
		switch row.AssigneeID {
		case "":
			v.Assignee = a.t(r, "inbox.assignee.nobody")
		case me.ID:
			v.Assignee = a.t(r, "inbox.assignee.me")
		default:
			v.Assignee = a.t(r, "inbox.assignee.colleague")
		}
		if fv, err := formAt(row.FormKey, row.FormVersion); err == nil {
			v.Form = fv.Form.Title.In(lang)
			v.Summary = summaryOf(fv.Form, row.Answers)
		}
		if row.Unreadable {
			v.Summary, v.Unreadable = a.t(r, "robust.unreadable"), true
		}
		p.Rows = append(p.Rows, v)
	}
	if err := a.markRestricted(r, p.Rows); err != nil {
		a.internalError(w, r, "restricted submissions", err)
		return
	}
	a.render(w, r, status, "inbox", p)
}

// summaryOf is the line that tells submissions apart in a list: the
// submitter's name when the form asks it, else the first short answer.
func summaryOf(f form.Form, raw []byte) string {
	var answers form.Answers
	if json.Unmarshal(raw, &answers) != nil {
		return ""
	}
	var first string
	for _, fl := range f.Fields() {
		v := answers[fl.Key].Value
		if v == "" || fl.Type != form.TypeText {
			continue
		}
		if fl.Key == "name" {
			return v
		}
		if first == "" {
			first = v
		}
	}
	return first
}
