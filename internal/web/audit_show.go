package web

import (
	"bufio"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/export"

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
	Seq              int64
	At               string
	Sentence, Detail template.HTML
	Citizen          string // the citizen's pseudonym, only for events about a citizen
	Outcome          string // "Geweigerd", "Mislukt"; empty for a success
}

// auditOption is one choice of a filter's select.
type auditOption struct {
	Value, Label string
	Selected     bool
}

// auditGroup is a group of actions in the action filter: the whole group
// first, then each action.
type auditGroup struct {
	Label   string
	All     auditOption
	Actions []auditOption
}

type auditPage struct {
	Slug, TenantName string
	Head             int64
	Action, ActorID  string
	ObjectID         string
	From, To         string
	Groups           []auditGroup
	Staff            []auditOption
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

// actionFilter reads the action filter: a group of the registry
// ("group:submissions") or one registered action; false for anything else.
func actionFilter(v string) ([]string, bool) {
	if v == "" {
		return nil, true
	}
	if g, ok := strings.CutPrefix(v, "group:"); ok {
		codes := audit.ActionsIn(audit.ActionGroup(g))
		return codes, len(codes) > 0
	}
	if _, ok := audit.LookupAction(v); ok {
		return []string{v}, true
	}
	return nil, false
}

// auditGroups are the action filter's choices in the reader's language.
func (a *App) auditGroups(r *http.Request, selected string) []auditGroup {
	var out []auditGroup
	for _, g := range audit.ActionGroups() {
		label := a.t(r, g.MessageKey())
		ag := auditGroup{Label: label, All: auditOption{"group:" + string(g), a.t(r, "auditlog.filter.all_of", label), selected == "group:"+string(g)}}
		for _, code := range audit.ActionsIn(g) {
			ag.Actions = append(ag.Actions, auditOption{code, a.t(r, audit.Action{Code: code}.NameKey()), selected == code})
		}
		out = append(out, ag)
	}
	return out
}

func (a *App) renderAudit(w http.ResponseWriter, r *http.Request, me account.User, search string) {
	t := tenantFrom(r.Context())
	ctx := r.Context()
	actor := userActor(me, RequestIDFrom(ctx))
	v := r.URL.Query()
	p := auditPage{Slug: t.Slug, TenantName: t.LegalName, Action: strings.TrimSpace(v.Get("action")), ActorID: strings.TrimSpace(v.Get("actor")),
		ObjectID: strings.TrimSpace(v.Get("object")), From: strings.TrimSpace(v.Get("from")), To: strings.TrimSpace(v.Get("to")),
		Query: search, Searched: r.Method == http.MethodPost}
	p.Groups = a.auditGroups(r, p.Action)
	// The staff list names the actors of the page too. Reading it is
	// recorded (user.list): names are staff's personal data.
	users, err := a.opts.Store.Users(ctx, actor, t.ID)
	if err != nil {
		a.internalError(w, r, "audit log users", err)
		return
	}
	names := map[string]account.User{}
	for _, u := range users {
		names[u.ID] = u
		p.Staff = append(p.Staff, auditOption{u.ID, a.showName(r, u).Name, u.ID == p.ActorID})
	}
	q := store.AuditQuery{ActorID: p.ActorID}
	codes, ok := actionFilter(p.Action)
	if !ok {
		p.Errors = append(p.Errors, fieldError{"action", a.t(r, "auditlog.error.action")})
	}
	q.Actions = codes
	for field, val := range map[string]string{"actor": p.ActorID, "object": p.ObjectID} {
		if !validFilter(val) {
			p.Errors = append(p.Errors, fieldError{field, a.t(r, "audit.error.filter")})
		}
	}
	// The object filter takes a submission's reference as the receipt
	// shows it, or any object's id.
	q.ObjectID = p.ObjectID
	if p.ObjectID != "" && validFilter(p.ObjectID) {
		if id, err := a.opts.Store.SubmissionIDByReference(ctx, t.ID, p.ObjectID); err == nil {
			q.ObjectID = id
		} else if !errors.Is(err, store.ErrNotFound) {
			a.internalError(w, r, "audit log reference", err)
			return
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
	if len(p.Errors) > 0 {
		status := http.StatusBadRequest
		if p.Searched {
			status = http.StatusUnprocessableEntity
		}
		a.render(w, r, status, "audit", p)
		return
	}
	// A download (CSV for Excel) takes the same filter, from the newest
	// event to the oldest, however many there are.
	if v.Get("format") == "csv" || (p.Searched && r.PostForm.Get("format") == "csv") {
		q.Before, q.Limit = 0, 0
		a.auditCSV(w, r, me, names, q, p)
		return
	}
	page, err := a.opts.Store.AuditLog(ctx, actor, t.ID, q)
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
	subs, err := a.opts.Store.AuditSubmissionRefs(ctx, t.ID, me.ID, submissionIDs(page.Events))
	if err != nil {
		a.internalError(w, r, "audit log names", err)
		return
	}
	n := &auditNamer{a: a, r: r, lang: LangFrom(ctx), slug: t.Slug, tenantID: t.ID, me: me, users: names, subs: subs}
	if err := n.load(page.Events); err != nil {
		a.internalError(w, r, "audit log names", err)
		return
	}
	for _, e := range page.Events {
		sentence, detail := n.sentence(e)
		row := auditRowView{Seq: e.Seq, At: datetime(e.Time), Sentence: sentence.html, Detail: detail.html, Outcome: n.outcome(e)}
		if act, _ := audit.LookupAction(e.Action); act.AboutCitizen(e) {
			row.Citizen = pseudonymShown(e.Subject)
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

// load names what events need beyond their page's submissions: the API
// keys among their actors, once — integrations by the names the admins
// gave their keys (no personal data: not recorded) —, and the window of
// each maintenance notice operators acted under (AUD-4).
func (n *auditNamer) load(events []audit.Event) error {
	ctx := n.r.Context()
	if n.keys == nil && slices.ContainsFunc(events, func(e audit.Event) bool { return e.Actor.Kind == audit.KindAPIKey }) {
		keys, err := n.a.opts.Store.APIKeys(ctx, n.tenantID)
		if err != nil {
			return err
		}
		n.keys = map[string]string{}
		for _, k := range keys {
			n.keys[k.ID] = k.Name
		}
	}
	var under []string
	for _, e := range events {
		if e.Actor.Kind == audit.KindOperator && e.Actor.OnBehalfOf != "" && !slices.Contains(under, e.Actor.OnBehalfOf) {
			under = append(under, e.Actor.OnBehalfOf)
		}
	}
	var err error
	n.notices, err = n.a.opts.Store.NoticeWindows(ctx, n.tenantID, under)
	return err
}

// auditCSV writes the events of q for Excel (UTF-8 with a byte order mark,
// semicolons), headed in the reader's language: the event as a sentence,
// and every field of the chain as recorded, codes, ids and hashes
// included, so that a copy can be checked against the log. The store
// hands the events over in batches, newest first, so that a download of
// millions of events holds one batch in memory at a time (AUD-1). An
// error once rows have gone out aborts the connection: a cut-off file
// must not pass for a whole one.
func (a *App) auditCSV(w http.ResponseWriter, r *http.Request, me account.User, users map[string]account.User, q store.AuditQuery, p auditPage) {
	ctx := r.Context()
	t := tenantFrom(ctx)
	n := &auditNamer{a: a, r: r, lang: LangFrom(ctx), slug: t.Slug, tenantID: t.ID, me: me, users: users}
	var bw *bufio.Writer
	var cw *csv.Writer
	begin := func() {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+a.t(r, "audit.csv_name")+`"`)
		w.Header().Set("Cache-Control", "no-store")
		bw = bufio.NewWriter(w)
		bw.WriteString("\ufeff")
		cw = csv.NewWriter(bw)
		cw.Comma = ';'
		var head []string
		for _, col := range []string{"seq", "time", "sentence", "details", "actor_kind", "actor_id", "actor_name", "actor_role", "on_behalf_of",
			"request_id", "action", "object_type", "object_id", "subject", "purpose", "outcome", "prev_hash", "hash"} {
			head = append(head, a.t(r, "auditlog.csv."+col))
		}
		cw.Write(head)
	}
	_, err := a.opts.Store.AuditExport(ctx, userActor(me, RequestIDFrom(ctx)), t.ID, q, func(events []audit.Event) error {
		subs, err := a.opts.Store.AuditSubmissionRefs(ctx, t.ID, me.ID, submissionIDs(events))
		if err != nil {
			return err
		}
		n.subs = subs
		if err := n.load(events); err != nil {
			return err
		}
		if cw == nil {
			begin()
		}
		for _, e := range events {
			sentence, detail := n.sentence(e)
			name := ""
			if u, ok := n.users[e.Actor.ID]; ok && e.Actor.Kind == audit.KindUser {
				name = a.showName(r, u).Name
			}
			cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.Time.In(brussels).Format(time.RFC3339), export.CSVSafe(sentence.text),
				export.CSVSafe(detail.text), string(e.Actor.Kind), e.Actor.ID, export.CSVSafe(name), e.Actor.Role, e.Actor.OnBehalfOf,
				e.Actor.RequestID, e.Action, e.ObjectType, export.CSVSafe(e.ObjectID), e.Subject, export.CSVSafe(e.Purpose), e.Outcome,
				hex.EncodeToString(e.PrevHash), hex.EncodeToString(e.Hash)})
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		return bw.Flush()
	})
	switch {
	case err != nil && cw != nil:
		a.log.ErrorContext(ctx, "audit log download", "request_id", RequestIDFrom(ctx), "error", err.Error())
		panic(http.ErrAbortHandler)
	case errors.Is(err, store.ErrBadFilter):
		p.Errors = fieldErrors{{"object", a.t(r, "audit.error.filter")}}
		a.render(w, r, http.StatusBadRequest, "audit", p)
	case err != nil:
		a.internalError(w, r, "audit log download", err)
	case cw == nil: // nothing matched: the header row alone
		begin()
		cw.Flush()
		bw.Flush()
	}
}

// PeriodLabels names the period filter's fields: events happened in it,
// they were not received.
func (auditPage) PeriodLabels() (from, to string) {
	return "auditlog.filter.from", "auditlog.filter.to"
}
