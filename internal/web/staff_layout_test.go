package web

import (
	"context"
	"encoding/json"
	"github.com/kluis/kluis/internal/accessibility"
	"github.com/kluis/kluis/internal/agreement"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// staffGetPages are the back office's GET routes that answer a page: each
// must render inside the staff layout. A new back-office GET route must be
// added here (or to staffDownloads), or TestStaffPagesRenderInTheLayout
// fails. {sub} and {user} are filled in by the test.
var staffGetPages = map[string]string{
	"GET /{tenant}/signed-in":                                   "/gent/signed-in",
	"GET /{tenant}/account/oidc":                                "/gent/account/oidc",
	"GET /{tenant}/account/mfa":                                 "/gent/account/mfa",
	"GET /{tenant}/account/password":                            "/gent/account/password",
	"GET /{tenant}/account/confirm":                             "/gent/account/confirm",
	"GET /{tenant}/account/sessions":                            "/gent/account/sessions",
	"GET /{tenant}/admin/users":                                 "/gent/admin/users",
	"GET /{tenant}/admin/users/{id}":                            "/gent/admin/users/{user}",
	"GET /{tenant}/admin/operators":                             "/gent/admin/operators",
	"GET /{tenant}/admin/operators/staff":                       "/gent/admin/operators/staff",
	"GET /{tenant}/admin/organisation":                          "/gent/admin/organisation",
	"GET /{tenant}/admin/compliance/changes":                    "/gent/admin/compliance/changes",
	"GET /{tenant}/admin/backups":                               "/gent/admin/backups",
	"GET /{tenant}/admin/instructions":                          "/gent/admin/instructions",
	"GET /{tenant}/admin/authority-requests":                    "/gent/admin/authority-requests",
	"GET /{tenant}/admin/audit/platform":                        "/gent/admin/audit/platform",
	"GET /{tenant}/admin/audit/register":                        "/gent/admin/audit/register",
	"GET /{tenant}/inbox/submissions/{id}/register":             "/gent/inbox/submissions/{sub}/register",
	"GET /{tenant}/inbox":                                       "/gent/inbox",
	"GET /{tenant}/inbox/submissions/{id}":                      "/gent/inbox/submissions/{sub}",
	"GET /{tenant}/admin/audit":                                 "/gent/admin/audit",
	"GET /{tenant}/admin/audit/retention":                       "/gent/admin/audit/retention",
	"GET /{tenant}/admin/requests":                              "/gent/admin/requests",
	"GET /{tenant}/admin/requests/new":                          "/gent/admin/requests/new",
	"GET /{tenant}/admin/requests/{id}":                         "/gent/admin/requests/unknown",
	"GET /{tenant}/admin/access-reports":                        "/gent/admin/access-reports",
	"GET /{tenant}/admin/breaches":                              "/gent/admin/breaches",
	"GET /{tenant}/admin/breaches/new":                          "/gent/admin/breaches/new",
	"GET /{tenant}/admin/breaches/{id}":                         "/gent/admin/breaches/{breach}",
	"GET /{tenant}/admin/breaches/{id}/edit":                    "/gent/admin/breaches/{breach}/edit",
	"GET /{tenant}/admin/breaches/{id}/scope":                   "/gent/admin/breaches/{breach}/scope",
	"GET /{tenant}/admin/dpia":                                  "/gent/admin/dpia",
	"GET /{tenant}/admin/dpia/{purpose}":                        "/gent/admin/dpia/online-services",
	"GET /{tenant}/admin/compliance":                            "/gent/admin/compliance",
	"GET /{tenant}/admin/audits":                                "/gent/admin/audits",
	"GET /{tenant}/admin/audits/new":                            "/gent/admin/audits/new",
	"GET /{tenant}/admin/audits/{id}":                           "/gent/admin/audits/{audit}",
	"GET /{tenant}/admin/audit/checkpoints":                     "/gent/admin/audit/checkpoints",
	"GET /{tenant}/admin/stats":                                 "/gent/admin/stats",
	"GET /{tenant}/admin/visits":                                "/gent/admin/visits",
	"GET /{tenant}/admin/policy":                                "/gent/admin/policy",
	"GET /{tenant}/admin/keys":                                  "/gent/admin/keys",
	"GET /{tenant}/admin/branding":                              "/gent/admin/branding",
	"GET /{tenant}/admin/site":                                  "/gent/admin/site",
	"GET /{tenant}/admin/site/images":                           "/gent/admin/site/images",
	"GET /{tenant}/admin/site/accessibility":                    "/gent/admin/site/accessibility",
	"GET /{tenant}/admin/site/accessibility/versions/{version}": "/gent/admin/site/accessibility/versions/1",
	"GET /{tenant}/admin/site/new":                              "/gent/admin/site/new",
	"GET /{tenant}/admin/site/{id}":                             "/gent/admin/site/{sitepage}",
	"GET /{tenant}/admin/site/{id}/preview":                     "/gent/admin/site/{sitepage}/preview",
	"GET /{tenant}/admin/hosts":                                 "/gent/admin/hosts",
	"GET /{tenant}/admin/webhooks":                              "/gent/admin/webhooks",
	"GET /{tenant}/admin/api-keys":                              "/gent/admin/api-keys",
	"GET /{tenant}/admin/magda":                                 "/gent/admin/magda",
	"GET /{tenant}/admin/full-export":                           "/gent/admin/full-export",
	"GET /{tenant}/admin/subprocessors":                         "/gent/admin/subprocessors",
	"GET /{tenant}/admin/termination":                           "/gent/admin/termination",
	"GET /{tenant}/admin/register":                              "/gent/admin/register",
	"GET /{tenant}/admin/register/annex":                        "/gent/admin/register/annex",
	"GET /{tenant}/admin/agreement":                             "/gent/admin/agreement",
	"GET /{tenant}/admin/agreement/{n}":                         "/gent/admin/agreement/1",
	"GET /{tenant}/admin/register/measures":                     "/gent/admin/register/measures",
	"GET /{tenant}/admin/register/annex2":                       "/gent/admin/register/annex2",
	"GET /{tenant}/admin/register/retention":                    "/gent/admin/register/retention",
	"GET /{tenant}/admin/register/compare":                      "/gent/admin/register/compare?from=1&to=2",
	"GET /{tenant}/admin/register/edit/{section}":               "/gent/admin/register/edit/purposes",
	"GET /{tenant}/admin/forms":                                 "/gent/admin/forms",
	"GET /{tenant}/admin/forms/{key}":                           "/gent/admin/forms/vraag",
	"GET /{tenant}/admin/forms/{key}/settings":                  "/gent/admin/forms/vraag/settings",
	"GET /{tenant}/admin/forms/{key}/fields/{field}":            "/gent/admin/forms/vraag/fields/topic",
	"GET /{tenant}/inbox/forms/{form}/export":                   "/gent/inbox/forms/vraag/export",
	"GET /{tenant}/inbox/exports":                               "/gent/inbox/exports",
	"GET /{tenant}/admin/site/news":                             "/gent/admin/site/news",
	"GET /{tenant}/admin/site/news/new":                         "/gent/admin/site/news/new",
	"GET /{tenant}/admin/site/home":                             "/gent/admin/site/home",
	// An export is made by a job; an unknown one is the 404 page, which
	// must stay inside the layout too.
	"GET /{tenant}/inbox/exports/{id}": "/gent/inbox/exports/unknown",
}

// staffDownloads are back-office GET routes that answer a file, not a
// page.
var staffDownloads = map[string]bool{
	"GET /{tenant}/account/oidc/link/{provider}":        true, // a redirect to the provider
	"GET /{tenant}/inbox/submissions/{id}/files/{file}": true,
	"GET /{tenant}/inbox/submissions/{id}/pdf":          true,
	"GET /{tenant}/admin/requests/{id}/package":         true,
	"GET /{tenant}/admin/breaches.csv":                  true,
	"GET /{tenant}/admin/breaches.xlsx":                 true,
	"GET /{tenant}/admin/subprocessors.csv":             true,
	"GET /{tenant}/admin/visits.csv":                    true,
	"GET /{tenant}/admin/audit/register/{month}":        true,
	"GET /{tenant}/admin/subprocessors.xlsx":            true,
	"GET /{tenant}/admin/breaches/{id}/pdf":             true,
	"GET /{tenant}/admin/dpia.txt":                      true,
	"GET /{tenant}/admin/dpia/{purpose}/pdf":            true,
	"GET /{tenant}/admin/audits/evidence.zip":           true,
	"GET /{tenant}/admin/register.yaml":                 true,
	"GET /{tenant}/admin/register/annex.pdf":            true,
	"GET /{tenant}/admin/agreement/{n}/pdf":             true,
	"GET /{tenant}/admin/agreement/history.csv":         true,
	"GET /{tenant}/admin/compliance.json":               true,
	"GET /{tenant}/admin/register/measures.pdf":         true,
	"GET /{tenant}/admin/register/annex2.pdf":           true,
	"GET /{tenant}/inbox/exports/{id}/download":         true,
	"GET /{tenant}/admin/full-export/{id}/download":     true,
	"GET /{tenant}/admin/audit/checkpoints/{size}":      true,
	"GET /{tenant}/admin/audit/checkpoints/key":         true,
	"GET /{tenant}/admin/audit/checkpoints/export":      true,
}

var staffNavRE = regexp.MustCompile(`(?s)<nav class="main-nav staff-nav"[^>]*data-layout="staff">(.*?)</nav>`)

// staffPagesEnv is a tenant with something on every back-office page (a
// published form, a submission, a breach, an audit, a site page) and a
// replacer that fills staffGetPages' placeholders with their ids.
func staffPagesEnv(t *testing.T, env *storetest.Env) (*formsEnv, *strings.Replacer) {
	t.Helper()
	ctx := context.Background()
	fe := newFormsEnv(t, env)
	publishForms(t, env, fe.gent)
	admin := adminID(t, env, fe)
	op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
	if err := env.DB.SetFormAccess(ctx, op, fe.gent.ID, admin, []string{"vraag", "toelage"}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.SetRegisterLookup(ctx, op, fe.gent.ID, admin, true); err != nil {
		t.Fatal(err)
	}
	fv, err := env.DB.FormByStatus(ctx, fe.gent.ID, "vraag", store.FormPublished)
	if err != nil {
		t.Fatal(err)
	}
	answers, _ := json.Marshal(form.Answers{"name": {Value: "Burger"}, "topic": {Value: "waste"}, "message": {Value: "Vraag"}})
	if _, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, fe.gent.ID, store.NewFormSubmission{
		FormKey: "vraag", FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: answers, Idempotency: "tok-layout",
		Receipt: "rc-layout"}); err != nil {
		t.Fatal(err)
	}
	page, err := env.DB.Inbox(ctx, op, fe.gent.ID, store.InboxQuery{Viewer: store.UserViewer(admin), Limit: 1})
	if err != nil || len(page.Rows) != 1 {
		t.Fatalf("the submission: %v", err)
	}
	b, err := env.DB.OpenBreach(ctx, op, fe.gent.ID, breach.Report{Description: "Lek", DiscoveredAt: env.Clock.Now().Add(-time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := env.DB.AnnounceAudit(ctx, audit.Actor{Kind: audit.KindUser, ID: admin}, fe.gent.ID, store.AuditAnnouncement{Kind: store.AuditDocument,
		Date: env.Clock.Now().Add(48 * time.Hour), Scope: "Register", Auditor: "DPO"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sp, _, err := env.DB.SaveSitePage(ctx, audit.Actor{Kind: audit.KindUser, ID: admin}, fe.gent.ID, "", store.SiteDraft{Slug: "contact",
		Text: map[string]store.SiteText{"nl": {Title: "Contact", Body: "## Loket"}}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.SetAccessibilitySettings(ctx, audit.Actor{Kind: audit.KindUser, ID: admin}, fe.gent.ID,
		accessibility.Contact{Email: "toegankelijkheid@gent.example"}, map[string]string{"nl": "Vlaamse Ombudsdienst"}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.PublishAccessibilityStatement(ctx, audit.Actor{Kind: audit.KindUser, ID: admin}, fe.gent.ID, "Gent"); err != nil {
		t.Fatal(err)
	}
	// A drafted version of the processing agreement (its PDF's bytes do
	// not matter to the page, which lays the version out from its inputs).
	rv, err := env.DB.CurrentRegister(ctx, fe.gent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.GenerateAgreementVersion(ctx, audit.Actor{Kind: audit.KindUser, ID: admin}, fe.gent.ID, store.NewAgreementVersion{
		Number: 1, At: env.Clock.Now(), Kind: agreement.KindAgreement, Lang: "nl", Inputs: agreement.Inputs{RegisterVersion: rv.Version},
		PDF: []byte("%PDF-1.4")}); err != nil {
		t.Fatal(err)
	}
	return fe, strings.NewReplacer("{sub}", page.Rows[0].ID, "{user}", admin, "{breach}", b.ID, "{audit}", c.ID, "{sitepage}", sp)
}

// TestStaffPagesRenderInTheLayout: every back-office page — the home, each
// task's pages, the account pages and an error page — renders inside the
// one staff layout: the tenant's name, the task navigation with the
// current section marked, the account menu with sign-out; below the home,
// breadcrumbs lead back to it. A back-office GET route missing from the
// list above fails the test.
func TestStaffPagesRenderInTheLayout(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe, fill := staffPagesEnv(t, env)
		for _, p := range fe.app.patterns {
			method, path, _ := strings.Cut(p, " ")
			staff := strings.HasPrefix(path, "/{tenant}/admin") || strings.HasPrefix(path, "/{tenant}/inbox") ||
				strings.HasPrefix(path, "/{tenant}/account") || path == "/{tenant}/signed-in"
			if method != "GET" || !staff || staffDownloads[p] {
				continue
			}
			if _, ok := staffGetPages[p]; !ok {
				t.Errorf("%s is a back-office page missing from staffGetPages: add it, so its layout is checked", p)
			}
		}
		for pattern, target := range staffGetPages {
			target = fill.Replace(target)
			resp, body := fe.get(t, target, fe.admin)
			if resp.StatusCode != http.StatusOK && !(strings.HasSuffix(target, "/unknown") && resp.StatusCode == http.StatusNotFound) {
				t.Errorf("%s (%s): status %d", pattern, target, resp.StatusCode)
				continue
			}
			nav := staffNavRE.FindStringSubmatch(body)
			if nav == nil {
				t.Errorf("%s (%s) is rendered outside the staff layout", pattern, target)
				continue
			}
			for _, want := range []string{`class="brand-name">` + fe.gent.LegalName + `<`, `action="/gent/logout"`, `href="/gent/account/sessions"`} {
				if !strings.Contains(body, want) {
					t.Errorf("%s: the layout lacks %s", pattern, want)
				}
			}
			if target != "/gent/signed-in" && !strings.Contains(body, `<nav class="breadcrumbs"`) {
				t.Errorf("%s: no breadcrumbs back to the home page", pattern)
			}
			// The current section is marked, except on account pages
			// (they live in the account menu).
			if !strings.Contains(target, "/account/") && !strings.Contains(nav[1], `aria-current="page"`) {
				t.Errorf("%s: no section marked current in %s", pattern, nav[1])
			}
		}

		// Sections follow the role (ORG-6): a clerk has no administration,
		// register editing is not a task of theirs but reading it is.
		_, body := fe.get(t, "/gent/signed-in", fe.clerk)
		nav := staffNavRE.FindStringSubmatch(body)
		if nav == nil || strings.Contains(nav[1], "/admin/users") || strings.Contains(nav[1], "/admin/audit") ||
			!strings.Contains(nav[1], "/gent/inbox") || !strings.Contains(nav[1], "/gent/admin/register") {
			t.Errorf("the clerk's navigation: %v", nav)
		}
		_, body = fe.get(t, "/gent/signed-in", fe.dpo)
		if nav := staffNavRE.FindStringSubmatch(body); nav == nil || strings.Contains(nav[1], "/gent/inbox") || !strings.Contains(nav[1], "/gent/admin/audit") {
			t.Errorf("the DPO's navigation: %v", nav)
		}

		// An error inside the back office leads back to its home, one on
		// a citizen's page to the tenant's e-loket.
		resp, body := fe.get(t, "/gent/inbox/submissions/nope", fe.admin)
		if resp.StatusCode != http.StatusNotFound || staffNavRE.FindString(body) == "" || !strings.Contains(body, `<a href="/gent/signed-in">Terug naar de startpagina van de backoffice`) {
			t.Errorf("404 in the back office: %d\n%s", resp.StatusCode, body)
		}
		resp, body = fe.get(t, "/gent/no-such-form", "")
		if resp.StatusCode != http.StatusNotFound || staffNavRE.FindString(body) != "" || !strings.Contains(body, `<a href="/gent/">`) {
			t.Errorf("404 on the e-loket: %d\n%s", resp.StatusCode, body)
		}
	})
}

// TestStaffHomeToDos: the home page shows each member what waits for them:
// new submissions of their forms with a link to them, an admin without a
// form grant a link to give one, forms to finish, supplier access and the
// audit chain's last check.
func TestStaffHomeToDos(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		admin := adminID(t, env, fe)

		_, body := fe.get(t, "/gent/signed-in", fe.admin)
		if !strings.Contains(body, `href="/gent/admin/users/`+admin+`#forms-heading"`) {
			t.Errorf("an admin without grants gets no link to grant forms:\n%s", body)
		}
		if !strings.Contains(body, "Er is nog geen recente controle") || !strings.Contains(body, "De leverancier heeft nu geen toegang") {
			t.Error("the home page lacks the log check and supplier access facts")
		}

		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		if err := env.DB.SetFormAccess(ctx, op, fe.gent.ID, admin, []string{"vraag"}); err != nil {
			t.Fatal(err)
		}
		fv, _ := env.DB.FormByStatus(ctx, fe.gent.ID, "vraag", store.FormPublished)
		for _, tok := range []string{"a", "b"} {
			answers, _ := json.Marshal(form.Answers{"name": {Value: "Burger"}, "topic": {Value: "waste"}, "message": {Value: "Vraag"}})
			if _, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, fe.gent.ID, store.NewFormSubmission{
				FormKey: "vraag", FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: answers, Idempotency: "tok-" + tok,
				Receipt: "rc-" + tok, HandlingDays: fv.Form.HandlingDays}); err != nil {
				t.Fatal(err)
			}
		}
		if err := env.DB.Audit(ctx, audit.Event{TenantID: fe.gent.ID, Actor: audit.Actor{Kind: audit.KindSystem, ID: "job"},
			Action: "audit.verify", ObjectType: "audit_log", ObjectID: fe.gent.ID, Purpose: "integrity", Outcome: audit.OutcomeSuccess}); err != nil {
			t.Fatal(err)
		}
		_, body = fe.get(t, "/gent/signed-in", fe.admin)
		for _, want := range []string{"2 nieuwe inzendingen wachten op behandeling", `Vraag of melding: <a href="/gent/inbox?form=vraag&amp;status=new"><span class="count">2 nieuw</span></a>`,
			"— intact."} {
			if !strings.Contains(body, want) {
				t.Errorf("the admin's home lacks %q", want)
			}
		}
		// The clerk has no grant: no counts of forms they may not see.
		_, body = fe.get(t, "/gent/signed-in", fe.clerk)
		if strings.Contains(body, "nieuwe inzendingen") || strings.Contains(body, "#forms-heading") || strings.Contains(body, "Naar het logboek") {
			t.Errorf("the clerk's home shows what is not theirs:\n%s", body)
		}
		// In French, the same page speaks French.
		_, body = fe.get(t, "/gent/signed-in?lang=fr", fe.admin)
		if !strings.Contains(body, "2 nouvelles demandes attendent") || !strings.Contains(body, `>Boîte de réception<`) {
			t.Error("the French home page is not French")
		}
		// Past the form's handling time the cases are overdue, said in
		// words and linked to the overdue list (a fresh sign-in: the
		// first session has ended by then).
		if fv.Form.HandlingDays == 0 {
			t.Fatal("the demo question form has no handling time")
		}
		env.Clock.Advance(time.Duration(fv.Form.HandlingDays+2) * 24 * time.Hour)
		late, lateCookie := fe.signIn(t, "late-admin@gent.be", account.RoleAdmin)
		if err := env.DB.SetFormAccess(ctx, op, fe.gent.ID, late.ID, []string{"vraag"}); err != nil {
			t.Fatal(err)
		}
		_, body = fe.get(t, "/gent/signed-in", lateCookie)
		for _, want := range []string{"2 zijn te laat.", `<a href="/gent/inbox?form=vraag&amp;overdue=1"><strong class="count">2 te laat</strong></a>`} {
			if !strings.Contains(body, want) {
				t.Errorf("the home past the handling time lacks %q", want)
			}
		}
	})
}

// TestASVS_7_4_4_LogoutOnEveryStaffPage: every back-office page carries the
// logout button, and pressing it ends the session.
func TestASVS_7_4_4_LogoutOnEveryStaffPage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe, fill := staffPagesEnv(t, env)
		logout := regexp.MustCompile(`<form method="post" action="/gent/logout"[^>]*><button type="submit"[^>]*>Afmelden</button></form>`)
		for pattern, target := range staffGetPages {
			target = fill.Replace(target)
			resp, body := fe.get(t, target, fe.clerk)
			if resp.StatusCode != http.StatusOK {
				// A page the clerk may not see: the admin's then.
				resp, body = fe.get(t, target, fe.admin)
			}
			if resp.StatusCode == http.StatusOK && !logout.MatchString(body) {
				t.Errorf("%s (%s): no logout button", pattern, target)
			}
		}
		h := map[string]string{"Cookie": fe.clerk}
		resp, _ := fe.postForm(t, "/gent/logout", h, nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: %d", resp.StatusCode)
		}
		if resp, _ := fe.get(t, "/gent/signed-in", fe.clerk); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the session outlived the logout: %d", resp.StatusCode)
		}
	})
}
