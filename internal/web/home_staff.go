package web

import (
	"net/http"
	"sort"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// staffHomePage is the back office's home: what to do today, per task the
// role has, each item a link to where it is done (GOV.UK "task list").
type staffHomePage struct {
	Name, Slug string
	// Inbox: the forms whose submissions the member handles (ORG-6), with
	// the new and the overdue ones; NoGrants when there are none yet.
	SeesInbox    bool
	InboxForms   []homeFormCount
	NewTotal     int
	OverdueTotal int
	NoGrants     bool
	CanGrant     bool   // an admin may give themselves a form
	MyUserPage   string // where that is done
	// Forms that wait for the builder: drafts, notices to approve.
	SeesForms bool
	FormsToDo []homeFormToDo
	// Supplier access in force (AUD-4) and the audit chain's last check.
	SeesAudit    bool
	ActiveGrants int
	NextGrantEnd time.Time
	// Maintenance announced and not yet begun (AUD-4).
	PlannedNotices  int
	NextNoticeStart time.Time
	LastVerify      *store.VerifyFact
	// Administration shortcuts the role may use.
	SeesUsers bool
}

type homeFormCount struct {
	Key, Title   string
	New, Overdue int
	// NewText and OverdueText are the counts as read ("1.000+" at the
	// cap).
	NewText, OverdueText string
}

type homeFormToDo struct {
	Key   string
	Title loc
	What  string // catalogue key: home.todo.form.*
}

// staffHome renders the home page of a tenant member.
func (a *App) staffHome(w http.ResponseWriter, r *http.Request, u account.User) {
	t := tenantFrom(r.Context())
	ctx := r.Context()
	p := staffHomePage{Name: u.Name, Slug: t.Slug, SeesInbox: account.Can(u.Role, account.HandleSubmissions),
		SeesForms: account.Can(u.Role, account.ViewForms), SeesAudit: account.Can(u.Role, account.ViewAudit),
		SeesUsers: account.Can(u.Role, account.ViewUsers), CanGrant: account.Can(u.Role, account.ManageUsers),
		MyUserPage: "/" + t.Slug + "/admin/users/" + u.ID + "#forms-heading"}
	facts, err := a.opts.Store.HomeFacts(ctx, t.ID)
	if err != nil {
		a.internalError(w, r, "home facts", err)
		return
	}
	if p.SeesInbox {
		sum, err := a.opts.Store.InboxSummary(ctx, t.ID, store.UserViewer(u.ID))
		if err != nil {
			a.internalError(w, r, "inbox summary", err)
			return
		}
		p.NoGrants = len(sum) == 0
		for _, s := range sum {
			p.NewTotal += s.New
			p.OverdueTotal += s.Overdue
			p.InboxForms = append(p.InboxForms, homeFormCount{Key: s.FormKey, Title: a.formTitle(r, t.ID, s.FormKey), New: s.New,
				Overdue: s.Overdue, NewText: a.countText(r, s.New), OverdueText: a.countText(r, s.Overdue)})
		}
		// Most urgent first: overdue cases, then new ones.
		sort.SliceStable(p.InboxForms, func(i, j int) bool {
			a, b := p.InboxForms[i], p.InboxForms[j]
			if a.Overdue != b.Overdue {
				return a.Overdue > b.Overdue
			}
			return a.New > b.New
		})
	}
	if p.SeesForms {
		vs, err := a.opts.Store.AllFormVersions(ctx, t.ID)
		if err != nil {
			a.internalError(w, r, "list forms", err)
			return
		}
		lang := string(LangFrom(ctx))
		for _, v := range vs {
			if v.Status != store.FormDraft {
				continue
			}
			what := "home.todo.form.draft"
			if v.NoticeApprovedAt == nil {
				what = "home.todo.form.notice"
			}
			p.FormsToDo = append(p.FormsToDo, homeFormToDo{Key: v.Key, Title: locOf(v.Form.Title, lang), What: what})
		}
	}
	if p.SeesAudit {
		p.ActiveGrants, p.NextGrantEnd, p.LastVerify = facts.ActiveGrants, facts.NextGrantEnd, facts.LastVerify
		p.PlannedNotices, p.NextNoticeStart = facts.PlannedNotices, facts.NextNoticeStart
	}
	a.render(w, r, http.StatusOK, "signed-in", p)
}
