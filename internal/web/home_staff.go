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
	// the new ones; NoGrants when there are none yet.
	SeesInbox  bool
	InboxForms []homeFormCount
	NewTotal   int64
	NoGrants   bool
	CanGrant   bool   // an admin may give themselves a form
	MyUserPage string // where that is done
	// Forms that wait for the builder: drafts, notices to approve.
	SeesForms bool
	FormsToDo []homeFormToDo
	// Supplier access in force (AUD-4) and the audit chain's last check.
	SeesAudit    bool
	ActiveGrants int
	NextGrantEnd time.Time
	LastVerify   *store.VerifyFact
	// Administration shortcuts the role may use.
	SeesUsers bool
}

type homeFormCount struct {
	Key, Title string
	New        int64
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
		keys, err := a.opts.Store.FormAccess(ctx, t.ID, u.ID)
		if err != nil {
			a.internalError(w, r, "form access", err)
			return
		}
		p.NoGrants = len(keys) == 0
		for _, k := range keys {
			n := facts.NewPerForm[k]
			p.NewTotal += n
			p.InboxForms = append(p.InboxForms, homeFormCount{Key: k, Title: a.formTitle(r, t.ID, k), New: n})
		}
		sort.SliceStable(p.InboxForms, func(i, j int) bool { return p.InboxForms[i].New > p.InboxForms[j].New })
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
	}
	a.render(w, r, http.StatusOK, "signed-in", p)
}
