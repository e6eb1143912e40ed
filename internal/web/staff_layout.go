package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/tenant"
)

// The back office is one product: every page a signed-in member of a tenant
// sees renders inside the staff layout (base.html with Page.Staff set): the
// tenant's name, one navigation by task filtered by what the role may do
// (ORG-6: nobody is shown a door they may not open), the current section
// marked, breadcrumbs and the account menu. require marks a request as a
// staff request; render builds the navigation from the route table below.

type staffKey struct{}

// withStaff marks r as a back-office request of u: its page renders in the
// staff layout.
func withStaff(r *http.Request, u account.User) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), staffKey{}, u))
}

// staffFrom returns the member whose back-office page this is.
func staffFrom(ctx context.Context) (account.User, bool) {
	u, ok := ctx.Value(staffKey{}).(account.User)
	return u, ok
}

// navPage is one destination of the staff navigation.
type navPage struct {
	label string             // catalogue key
	path  string             // below /{tenant}
	perm  account.Permission // who sees it
	group string             // catalogue key of its group in a long section; "" none
}

// navSection is one entry of the main navigation: a task, with its pages
// (the first one the role may see is where the entry leads).
type navSection struct {
	id    string
	label string
	pages []navPage
}

// staffSections is the back office's information architecture: by what
// people do, in the order they do it. Privacy work holds the data-subject
// requests (breaches and retention join it when their pages exist).
var staffSections = []navSection{
	{"home", "staff.nav.home", []navPage{{"staff.nav.home", "/signed-in", account.ManageOwnAccount, ""}}},
	{"inbox", "staff.nav.inbox", []navPage{
		{"staff.nav.inbox.submissions", "/inbox", account.HandleSubmissions, ""},
		{"staff.nav.inbox.exports", "/inbox/exports", account.HandleSubmissions, ""},
	}},
	{"forms", "staff.nav.forms", []navPage{
		{"staff.nav.forms.list", "/admin/forms", account.ViewForms, ""},
		{"staff.nav.forms.stats", "/admin/stats", account.ViewForms, ""},
	}},
	{"register", "staff.nav.register", []navPage{
		{"staff.nav.register.register", "/admin/register", account.ViewRegister, ""},
		{"staff.nav.register.annex", "/admin/register/annex", account.ViewRegister, ""},
		{"agree.nav", "/admin/agreement", account.EditRegister, ""},
		{"measures.nav", "/admin/register/measures", account.ViewAudit, ""},
		{"measures.annex2.nav", "/admin/register/annex2", account.ViewAudit, ""},
		{"staff.nav.register.retention", "/admin/register/retention", account.EditRegister, ""},
	}},
	{"privacy", "dsr.nav.privacy", []navPage{
		{"dsr.nav.requests", "/admin/requests", account.ViewRequests, "staffnav.group.requests"},
		{"dsr.nav.new", "/admin/requests/new", account.FileRequests, "staffnav.group.requests"},
		{"portal.nav.reports", "/admin/access-reports", account.HandleRequests, "staffnav.group.requests"},
		{"breach.nav.list", "/admin/breaches", account.ViewRequests, "staffnav.group.incidents"},
		{"dpia.nav", "/admin/dpia", account.ViewRequests, "staffnav.group.incidents"},
		{"audits.nav", "/admin/audits", account.ViewRequests, "staffnav.group.incidents"},
		{"compliance.nav", "/admin/compliance", account.ViewAudit, "staffnav.group.incidents"},
		{"drift.nav", "/admin/compliance/changes", account.ViewAudit, "staffnav.group.incidents"},
		{"instr.nav.instructions", "/admin/instructions", account.ViewRequests, "staffnav.group.instructions"},
		{"instr.nav.authority", "/admin/authority-requests", account.ViewRequests, "staffnav.group.instructions"},
	}},
	{"log", "staff.nav.log", []navPage{
		{"staff.nav.log.events", "/admin/audit", account.ViewAudit, ""},
		{"deliver.nav.checkpoints", "/admin/audit/checkpoints", account.ViewAudit, ""},
		{"staff.nav.log.retention", "/admin/audit/retention", account.ViewAudit, ""},
		{"staff.nav.log.platform", "/admin/audit/platform", account.ViewAudit, ""},
		{"mlookup.nav.calls", registerCallsPath, account.ViewAudit, ""},
	}},
	{"site", "site.nav", []navPage{
		{"site.nav.pages", "/admin/site", account.EditSite, ""},
		{"news.nav", "/admin/site/news", account.EditSite, ""},
		{"sitehome.nav", "/admin/site/home", account.EditSite, ""},
		{"siteimg.nav", "/admin/site/images", account.EditSite, ""},
		{"a11y.nav", "/admin/site/accessibility", account.EditSite, ""},
		// The visitor statistics sit with the site, so that a site editor
		// (and the DPO) finds them where they work.
		{"editor.nav.visits", "/admin/visits", account.ViewAnalytics, ""},
	}},
	{"admin", "staff.nav.admin", []navPage{
		{"staff.nav.admin.users", "/admin/users", account.ViewUsers, "staffnav.group.people"},
		{"staff.nav.admin.operators", "/admin/operators", account.ViewAudit, "staffnav.group.people"},
		{"staff.nav.admin.staff", "/admin/operators/staff", account.ViewAudit, "staffnav.group.people"},
		{"staff.nav.admin.policy", "/admin/policy", account.ViewSettings, "staffnav.group.people"},
		{"instr.nav.org", "/admin/organisation", account.ViewAudit, "staffnav.group.org"},
		{"staff.nav.admin.branding", "/admin/branding", account.ViewSettings, "staffnav.group.org"},
		{"hosts.nav", "/admin/hosts", account.ViewSettings, "staffnav.group.org"},
		{"subproc.nav", "/admin/subprocessors", account.ViewSettings, "staffnav.group.org"},
		{"staff.nav.admin.webhooks", "/admin/webhooks", account.ViewSettings, "staffnav.group.links"},
		{"staff.nav.admin.apikeys", "/admin/api-keys", account.ViewSettings, "staffnav.group.links"},
		{"magdaui.nav", "/admin/magda", account.ViewSettings, "staffnav.group.links"},
		{"backupui.nav", "/admin/backups", account.ViewAudit, "staffnav.group.data"},
		{"keys.nav", "/admin/keys", account.ViewSettings, "staffnav.group.data"},
		{"fullexport.nav", "/admin/full-export", account.ManageUsers, "staffnav.group.data"},
		{"termination.nav", "/admin/termination", account.ViewAudit, "staffnav.group.data"},
	}},
}

// accountPages is the account menu: every member's own settings.
var accountPages = []navPage{
	{"staff.account.password", "/account/password", account.ManageOwnAccount, ""},
	{"staff.account.mfa", "/account/mfa", account.ManageOwnAccount, ""},
	{"staff.account.oidc", "/account/oidc", account.ManageOwnAccount, ""},
	{"staff.account.sessions", "/account/sessions", account.ManageOwnAccount, ""},
}

// NavLink is one link of the staff layout.
type NavLink struct {
	Label   string
	Href    string
	Current bool
}

// NavGroup is a named group of a long section's pages.
type NavGroup struct {
	ID    string // for aria-labelledby
	Label string
	Links []NavLink
}

// StaffNav is what the staff layout shows around a back-office page.
type StaffNav struct {
	TenantName string
	Home       string // the staff home page
	UserName   string
	RoleLabel  string
	Sections   []NavLink // the main navigation
	SubLabel   string    // the current section's name, for the sub-navigation's label
	Sub        []NavLink // the current section's pages, when it has more than one
	// SubGroups is Sub in named groups, for a long section (its pages
	// say their group); empty when the section has none.
	SubGroups  []NavGroup
	Crumbs     []NavLink // from the home page down to the current page's parent
	Account    []NavLink
	LogoutPath string
	// GrantForms is where this member gives form access (ORG-6) — their
	// own user page — or "" when they may not: the pages that find no
	// grant link there instead of saying "ask an administrator".
	GrantForms string
}

type navAtKey struct{}

// navAt places r in the navigation at path (below /{tenant}) rather than
// at its own: a page whose address does not say where it belongs (a news
// item edited at /admin/site/{id}) is shown under its section's page.
func navAt(r *http.Request, path string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), navAtKey{}, path))
}

// staffNav builds the layout's navigation for u on the page r asks for.
func (a *App) staffNav(r *http.Request, u account.User) *StaffNav {
	t := tenantFrom(r.Context())
	lang := a.langOf(r)
	tr := func(key string) string { return a.t(r, key) }
	base := "/" + t.Slug
	rel := strings.TrimPrefix(r.URL.Path, base)
	if at, ok := r.Context().Value(navAtKey{}).(string); ok {
		rel = at
	}
	nav := &StaffNav{TenantName: t.LegalName, Home: base + "/signed-in", UserName: u.Name,
		RoleLabel: locale.T(lang, "role."+string(u.Role)), LogoutPath: base + "/logout"}
	if account.Can(u.Role, account.ManageUsers) && u.Role != account.RoleSupport {
		nav.GrantForms = base + "/admin/users/" + u.ID + "#forms-heading"
	}
	if nav.UserName == "" {
		nav.UserName = nav.RoleLabel
	}
	// A supplier operator works here under the controller's grant (AUD-4):
	// their home, account and sign-out live on the operators' realm, and
	// the tenant's own home page is not theirs.
	support := u.Role == account.RoleSupport
	if support {
		nav.Home = "/" + tenant.OperatorSlug + "/signed-in"
		nav.LogoutPath = "/" + tenant.OperatorSlug + "/logout"
	}

	// The current page is the navigation page whose path is the longest
	// prefix of the request's (a submission belongs to the inbox, a form's
	// field to the forms).
	curSection, curPage, best := -1, -1, 0
	for si, s := range staffSections {
		for pi, p := range s.pages {
			if under(rel, p.path) && len(p.path) > best {
				curSection, curPage, best = si, pi, len(p.path)
			}
		}
	}
	for si, s := range staffSections {
		var visible []navPage
		if support && s.id == "home" {
			continue
		}
		for _, p := range s.pages {
			if account.UserCan(u, p.perm) {
				visible = append(visible, p)
			}
		}
		if len(visible) == 0 {
			continue
		}
		nav.Sections = append(nav.Sections, NavLink{Label: tr(s.label), Href: base + visible[0].path, Current: si == curSection})
		if si != curSection {
			continue
		}
		if len(visible) > 1 {
			nav.SubLabel = tr(s.label)
			for _, p := range visible {
				link := NavLink{Label: tr(p.label), Href: base + p.path, Current: p == s.pages[curPage]}
				nav.Sub = append(nav.Sub, link)
				// A long section (Beheer has fifteen pages) is read in
				// groups, each with its name; the pages of a group are
				// adjacent in staffSections.
				if p.group == "" {
					continue
				}
				id := strings.ReplaceAll(p.group, ".", "-")
				if n := len(nav.SubGroups); n == 0 || nav.SubGroups[n-1].ID != id {
					nav.SubGroups = append(nav.SubGroups, NavGroup{ID: id, Label: tr(p.group)})
				}
				g := &nav.SubGroups[len(nav.SubGroups)-1]
				g.Links = append(g.Links, link)
			}
		}
		// Breadcrumbs: home, the section's first page when the current
		// page is another, and the current navigation page when the
		// request is below it (a submission, a user, a form's field).
		if s.id == "home" {
			continue
		}
		nav.Crumbs = append(nav.Crumbs, NavLink{Label: tr("staff.nav.home"), Href: nav.Home})
		cur := s.pages[curPage]
		if visible[0] != cur {
			nav.Crumbs = append(nav.Crumbs, NavLink{Label: tr(s.label), Href: base + visible[0].path})
		}
		if rel != cur.path {
			nav.Crumbs = append(nav.Crumbs, NavLink{Label: tr(cur.label), Href: base + cur.path})
		}
	}
	if curSection < 0 && rel != "/signed-in" {
		nav.Crumbs = []NavLink{{Label: tr("staff.nav.home"), Href: nav.Home}}
	}
	for _, p := range accountPages {
		if support {
			break
		}
		nav.Account = append(nav.Account, NavLink{Label: tr(p.label), Href: base + p.path, Current: under(rel, p.path)})
	}
	return nav
}

// under reports whether the path rel is p or below it.
func under(rel, p string) bool {
	return rel == p || strings.HasPrefix(rel, p+"/")
}
