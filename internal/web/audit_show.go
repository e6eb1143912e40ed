package web

import (
	"bufio"
	"encoding/csv"
	"encoding/hex"
	"time"

	"errors"
	"github.com/kluis/kluis/internal/export"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
)

// The controller's own audit log (AUD-1): admins and the DPO read every
// event of their tenant — supplier staff and API keys included — newest
// first, filter it, and find everything about one citizen by national
// register number or e-mail address (posted: the identifier is in no URL;
// the log holds only its pseudonym). Each look at the log is recorded.

type auditRowView struct {
	Seq                                      int64
	At, Actor, Action, Object, Subject, What string
	ObjectLink                               string // everything about the object: the log filtered on its id
	Denied                                   bool
}

type auditPage struct {
	Slug, TenantName string
	Head             int64
	Action, ActorID  string
	ObjectID         string
	From, To         string
	Query            string
	Searched         bool
	Rows             []auditRowView
	Next, First      string
	CSV              string // the same filter as a download
	Errors           fieldErrors
}

// validFilter reports whether an id or action filter holds only what ids
// and actions hold.
func validFilter(s string) bool {
	return len(s) <= 200 && !strings.ContainsAny(s, "%\\\x00")
}

func (a *App) auditShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderAudit(w, r, me, "")
}

func (a *App) auditSearch(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	a.renderAudit(w, r, me, strings.TrimSpace(r.PostForm.Get("q")))
}

func (a *App) renderAudit(w http.ResponseWriter, r *http.Request, me account.User, search string) {
	t := tenantFrom(r.Context())
	v := r.URL.Query()
	p := auditPage{Slug: t.Slug, TenantName: t.LegalName, Action: strings.TrimSpace(v.Get("action")), ActorID: strings.TrimSpace(v.Get("actor")),
		ObjectID: strings.TrimSpace(v.Get("object")), From: strings.TrimSpace(v.Get("from")), To: strings.TrimSpace(v.Get("to")),
		Query: search, Searched: r.Method == http.MethodPost}
	q := store.AuditQuery{Action: p.Action, ActorID: p.ActorID, ObjectID: p.ObjectID}
	for field, val := range map[string]string{"action": p.Action, "actor": p.ActorID, "object": p.ObjectID} {
		if !validFilter(val) {
			p.Errors = append(p.Errors, fieldError{field, a.t(r, "audit.error.filter")})
		}
	}
	var perr fieldErrors
	q.From, q.To, perr = a.period(r, p.From, p.To)
	p.Errors = append(p.Errors, perr...)
	if b := v.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			p.Errors = append(p.Errors, fieldError{"results", a.t(r, "inbox.error.cursor")})
		}
		q.Before = n
	}
	if p.Searched {
		key, ok := citizenKey(search)
		if !ok {
			p.Errors = append(p.Errors, fieldError{"q", a.t(r, "inbox.error.search")})
		}
		q = store.AuditQuery{Subject: key, Limit: store.AuditLogLimit}
	}
	status := http.StatusOK
	if len(p.Errors) > 0 {
		status = http.StatusBadRequest
		if p.Searched {
			status = http.StatusUnprocessableEntity
		}
		a.render(w, r, status, "audit", p)
		return
	}
	// A download (CSV for Excel) takes the same filter, from the newest
	// event, up to store.AuditExportLimit events.
	download := v.Get("format") == "csv" || (p.Searched && r.PostForm.Get("format") == "csv")
	if download {
		q.Export, q.Before, q.Limit = true, 0, 0
	}
	page, err := a.opts.Store.AuditLog(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, q)
	if errors.Is(err, store.ErrBadFilter) {
		p.Errors = fieldErrors{{"object", a.t(r, "audit.error.filter")}}
		a.render(w, r, http.StatusBadRequest, "audit", p)
		return
	}
	if err != nil {
		a.internalError(w, r, "audit log", err)
		return
	}
	p.Head = page.Head
	names := map[string]string{}
	if users, err := a.opts.Store.Users(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID); err == nil {
		for _, u := range users {
			names[u.ID] = a.showName(r, u).Name
		}
	}
	if download {
		a.auditCSV(w, r, page, names)
		return
	}
	for _, e := range page.Events {
		row := auditRowView{Seq: e.Seq, At: datetime(e.Time), Action: e.Action, What: e.Purpose, Denied: e.Outcome != audit.OutcomeSuccess,
			Object: e.ObjectType}
		if e.ObjectID != "" {
			ids := strings.Split(e.ObjectID, ",")
			row.Object = e.ObjectType + " " + shortID(ids[0])
			row.ObjectLink = "/" + t.Slug + "/admin/audit?object=" + url.QueryEscape(ids[0])
			if len(ids) > 1 {
				row.Object, row.ObjectLink = a.t(r, "audit.objects", e.ObjectType, len(ids)), ""
			}
		}
		switch n, ok := names[e.Actor.ID]; {
		case ok:
			row.Actor = n
		default:
			row.Actor = a.t(r, "audit.actor."+string(e.Actor.Kind)) + " " + shortID(e.Actor.ID)
		}
		if e.Subject != "" {
			row.Subject = strings.ToUpper(e.Subject[:8])
		}
		if e.Outcome != audit.OutcomeSuccess {
			row.What = strings.TrimSpace(a.t(r, "audit.outcome."+e.Outcome) + " " + row.What)
		}
		p.Rows = append(p.Rows, row)
	}
	csvLink := r.URL.Query()
	csvLink.Del("before")
	csvLink.Set("format", "csv")
	p.CSV = "/" + t.Slug + "/admin/audit?" + csvLink.Encode()
	if page.Next != 0 && !p.Searched {
		next := r.URL.Query()
		next.Set("before", strconv.FormatInt(page.Next, 10))
		p.Next = "/" + t.Slug + "/admin/audit?" + next.Encode()
	}
	if q.Before != 0 {
		first := r.URL.Query()
		first.Del("before")
		p.First = "/" + t.Slug + "/admin/audit?" + first.Encode()
	}
	a.render(w, r, http.StatusOK, "audit", p)
}

// shortID is an id as a person can compare it: its first 8 characters.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// auditCSV writes the events for Excel (UTF-8 with a byte order mark,
// semicolons) with every field of the chain, hashes included, so that a
// copy can be checked against the log.
func (a *App) auditCSV(w http.ResponseWriter, r *http.Request, page store.AuditPage, names map[string]string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+a.t(r, "audit.csv_name")+`"`)
	w.Header().Set("Cache-Control", "no-store")
	bw := bufio.NewWriter(w)
	bw.WriteString("\ufeff")
	cw := csv.NewWriter(bw)
	cw.Comma = ';'
	cw.Write([]string{"seq", "time", "actor_kind", "actor_id", "actor_name", "actor_role", "on_behalf_of", "request_id", "action",
		"object_type", "object_id", "subject", "purpose", "outcome", "prev_hash", "hash"})
	for _, e := range page.Events {
		cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.Time.In(brussels).Format(time.RFC3339), string(e.Actor.Kind), e.Actor.ID,
			names[e.Actor.ID], e.Actor.Role, e.Actor.OnBehalfOf, e.Actor.RequestID, e.Action, e.ObjectType, export.CSVSafe(e.ObjectID),
			e.Subject, export.CSVSafe(e.Purpose), e.Outcome, hex.EncodeToString(e.PrevHash), hex.EncodeToString(e.Hash)})
	}
	cw.Flush()
	bw.Flush()
}
