package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/password"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// The parties of the authorisation matrix. "operator-no-grant" is a
// supplier operator signed in (password and TOTP) on the operators' realm
// whom tenant "gent" gave no grant: on gent's pages they are as anonymous
// (an operator under a grant is TestClauseUSR5_OperatorOnlyUnderGrant).
// "admin" and "dpo" sessions passed their second factor; "admin-no-mfa" is
// an admin who has not enrolled yet (only enrolment is open), "pending" an
// admin with TOTP whose session has the password only (only the second
// login step is open) (USR-2). "editor" is a medewerker an admin made a
// site editor (USR-5), past their second factor: where a row does not name
// them they get what "user" gets. "editor-no-mfa" is such an editor who has
// not enrolled: like "admin-no-mfa", only enrolment is open (USR-2).
// "registrar" is a medewerker an admin authorised to consult the national
// register (register.lookup): where a row does not name them they get what
// "user" gets.
var parties = []string{"anonymous", "user", "admin", "dpo", "admin-no-mfa", "pending", "other-tenant-admin", "operator-no-grant",
	"editor", "editor-no-mfa", "registrar"}

// authzRow is one route of the matrix: how to call it on tenant "gent" and
// the status each party must get.
type authzRow struct {
	pattern string
	method  string
	target  string
	body    string
	want    map[string]int // by party; "*" for every party not listed
}

func (r authzRow) wantFor(party string) int {
	if s, ok := r.want[party]; ok {
		return s
	}
	switch party {
	case "editor", "registrar":
		return r.wantFor("user")
	case "editor-no-mfa":
		return r.wantFor("admin-no-mfa")
	}
	return r.want["*"]
}

// TestAuthorisationMatrix calls every route of both route tables as every
// party and checks the status. A route added without a row here fails the
// test: the matrix always covers the whole application.
func TestAuthorisationMatrix(t *testing.T) {
	runAuthorisationMatrix(t, nil)
}

// authorisationMatrix is every route of the matrix, in the order they run.
func authorisationMatrix() []authzRow {
	return []authzRow{
		{"GET /{$}", "GET", "/", "", map[string]int{"*": 200}},
		{"GET /healthz", "GET", "/healthz", "", map[string]int{"*": 200}},
		{"GET /readyz", "GET", "/readyz", "", map[string]int{"*": 200}},
		{"GET /static/{file...}", "GET", "/static/kluis.css", "", map[string]int{"*": 200}},
		{"GET /{tenant}", "GET", "/gent", "", map[string]int{"*": 301}},
		{"GET /{tenant}/", "GET", "/gent/", "", map[string]int{"*": 200}},
		{"POST /{tenant}/", "POST", "/gent/", "", map[string]int{"*": 405}},
		{"GET /{tenant}/{$}", "GET", "/gent/", "", map[string]int{"*": 200}},
		{"GET /{tenant}/privacy", "GET", "/gent/privacy", "", map[string]int{"*": 200}},
		// The municipality's look: logo and style sheet are public (gent
		// has no logo: 404 for everyone); admins change the settings, the
		// DPO reads them (a form that is not a multipart upload: 415
		// proves the admin got through, and saves nothing).
		{"GET /{tenant}/logo", "GET", "/gent/logo", "", map[string]int{"*": 404}},
		{"GET /{tenant}/brand.css", "GET", "/gent/brand.css", "", map[string]int{"*": 200}},
		{"GET /{tenant}/admin/branding", "GET", "/gent/admin/branding", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/branding", "POST", "/gent/admin/branding", "accent=%23777777", map[string]int{"*": 303, "user": 403,
			"admin": 415, "dpo": 403}},
		// The site's pages: public when published (none is: 404 for
		// everyone); admins edit them (an unknown page: 404 proves the
		// admin got through; an empty save: 422 and nothing saved).
		{"GET /{tenant}/site/{slug}", "GET", "/gent/site/contact", "", map[string]int{"*": 404}},
		{"GET /{tenant}/site/images/{id}", "GET", "/gent/site/images/nope", "", map[string]int{"*": 404}},
		{"GET /{tenant}/toegankelijkheid", "GET", "/gent/toegankelijkheid", "", map[string]int{"*": 200}},
		{"GET /{tenant}/admin/site/accessibility", "GET", "/gent/admin/site/accessibility", "", map[string]int{"*": 303, "user": 403, "admin": 200, "editor": 200, "dpo": 403}},
		{"POST /{tenant}/admin/site/accessibility/contact", "POST", "/gent/admin/site/accessibility/contact", "x=1", map[string]int{"*": 303, "user": 403, "admin": 422, "editor": 422, "dpo": 403}},
		{"POST /{tenant}/admin/site/accessibility/exceptions", "POST", "/gent/admin/site/accessibility/exceptions", "x=1", map[string]int{"*": 303, "user": 403, "admin": 422, "editor": 422, "dpo": 403}},
		{"POST /{tenant}/admin/site/accessibility/exceptions/{id}/delete", "POST", "/gent/admin/site/accessibility/exceptions/nope/delete", "x=1", map[string]int{"*": 303, "user": 403, "admin": 404, "editor": 404, "dpo": 403}},
		{"POST /{tenant}/admin/site/accessibility/publish", "POST", "/gent/admin/site/accessibility/publish", "x=1", map[string]int{"*": 303, "user": 403, "admin": 422, "editor": 422, "dpo": 403}},
		{"GET /{tenant}/admin/site/accessibility/versions/{version}", "GET", "/gent/admin/site/accessibility/versions/1", "", map[string]int{"*": 303, "user": 403, "admin": 404, "editor": 404, "dpo": 403}},
		{"GET /{tenant}/admin/site/images", "GET", "/gent/admin/site/images", "", map[string]int{"*": 303, "user": 403, "admin": 200, "editor": 200, "dpo": 403}},
		{"POST /{tenant}/admin/site/images", "POST", "/gent/admin/site/images", "x=1", map[string]int{"*": 303, "user": 403, "admin": 415, "editor": 415, "dpo": 403}},
		{"POST /{tenant}/admin/site/images/{id}/delete", "POST", "/gent/admin/site/images/nope/delete", "x=1", map[string]int{"*": 303, "user": 403, "admin": 404, "editor": 404, "dpo": 403}},
		{"GET /{tenant}/admin/site", "GET", "/gent/admin/site", "", map[string]int{"*": 303, "user": 403, "admin": 200, "editor": 200, "dpo": 403}},
		{"GET /{tenant}/admin/site/new", "GET", "/gent/admin/site/new", "", map[string]int{"*": 303, "user": 403, "admin": 200, "editor": 200, "dpo": 403}},
		{"POST /{tenant}/admin/site/new", "POST", "/gent/admin/site/new", "slug=", map[string]int{"*": 303, "user": 403, "admin": 422, "editor": 422, "dpo": 403}},
		{"GET /{tenant}/admin/site/{id}", "GET", "/gent/admin/site/nope", "", map[string]int{"*": 303, "user": 403, "admin": 404, "editor": 404, "dpo": 403}},
		{"POST /{tenant}/admin/site/{id}", "POST", "/gent/admin/site/nope", "slug=x&nl-title=T&version=1", map[string]int{"*": 303, "user": 403, "admin": 404, "editor": 404, "dpo": 403}},
		{"GET /{tenant}/admin/site/{id}/preview", "GET", "/gent/admin/site/nope/preview", "", map[string]int{"*": 303, "user": 403, "admin": 404, "editor": 404, "dpo": 403}},
		{"POST /{tenant}/admin/site/{id}/publish", "POST", "/gent/admin/site/nope/publish", "version=1", map[string]int{"*": 303, "user": 403, "admin": 404, "editor": 404, "dpo": 403}},
		{"POST /{tenant}/admin/site/{id}/unpublish", "POST", "/gent/admin/site/nope/unpublish", "x=1", map[string]int{"*": 303, "user": 403, "admin": 404, "editor": 404, "dpo": 403}},
		{"GET /{tenant}/site/news", "GET", "/gent/site/news", "", map[string]int{"*": 200}},
		{"GET /{tenant}/site/news/{slug}", "GET", "/gent/site/news/nope", "", map[string]int{"*": 404}},
		{"GET /{tenant}/site/news/feed.atom", "GET", "/gent/site/news/feed.atom", "", map[string]int{"*": 200}},
		{"GET /{tenant}/admin/site/news", "GET", "/gent/admin/site/news", "", map[string]int{"*": 303, "user": 403, "admin": 200, "editor": 200, "dpo": 403}},
		{"GET /{tenant}/admin/site/news/new", "GET", "/gent/admin/site/news/new", "", map[string]int{"*": 303, "user": 403, "admin": 200, "editor": 200, "dpo": 403}},
		{"POST /{tenant}/admin/site/news/new", "POST", "/gent/admin/site/news/new", "slug=", map[string]int{"*": 303, "user": 403, "admin": 422, "editor": 422, "dpo": 403}},
		{"GET /{tenant}/admin/site/home", "GET", "/gent/admin/site/home", "", map[string]int{"*": 303, "user": 403, "admin": 200, "editor": 200, "dpo": 403}},
		{"POST /{tenant}/admin/site/home", "POST", "/gent/admin/site/home", "news=x", map[string]int{"*": 303, "user": 403, "admin": 422, "editor": 422, "dpo": 403}},
		{"GET /{tenant}/activate/{token}", "GET", "/gent/activate/not-a-token", "", map[string]int{"*": 410}},
		{"POST /{tenant}/activate/{token}", "POST", "/gent/activate/not-a-token", "password=x&password_confirm=x", map[string]int{"*": 410}},
		{"GET /{tenant}/activated", "GET", "/gent/activated", "", map[string]int{"*": 200}},
		{"GET /{tenant}/login", "GET", "/gent/login", "", map[string]int{"*": 200}},
		{"POST /{tenant}/login", "POST", "/gent/login", "email=nobody%40gent.be&password=wrong+password+here", map[string]int{"*": 401}},
		// OpenID Connect (USR-2). Starting a login through an unknown
		// provider is a 404 for everyone; a callback without a flow of this
		// browser is refused (bad state, 400, audited); an activation
		// through a dead invitation gets the dead-link page (410).
		{"GET /{tenant}/login/oidc/{provider}", "GET", "/gent/login/oidc/nope", "", map[string]int{"*": 404}},
		{"GET /{tenant}/login/oidc/callback", "GET", "/gent/login/oidc/callback?state=forged&code=x", "", map[string]int{"*": 400}},
		{"GET /{tenant}/activate/{token}/oidc/{provider}", "GET", "/gent/activate/not-a-token/oidc/nope", "", map[string]int{"*": 410}},
		// The sign-in methods page: every signed-in user of the tenant who
		// may use its pages; linking through an unknown provider and
		// unlinking an unknown identity are 404s that change nothing.
		{"GET /{tenant}/account/oidc", "GET", "/gent/account/oidc", "", map[string]int{"*": 303, "user": 200, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/account/oidc/link/{provider}", "GET", "/gent/account/oidc/link/nope", "", map[string]int{"*": 303, "user": 404,
			"admin": 404, "dpo": 404}},
		{"POST /{tenant}/account/oidc/unlink/{id}", "POST", "/gent/account/oidc/unlink/nobody", "x=1", map[string]int{"*": 303, "user": 404,
			"admin": 404, "dpo": 404}},
		// Password reset (USR-4): public, the same for every party; an
		// unknown address gets the confirmation page (no enumeration).
		{"GET /{tenant}/password/forgot", "GET", "/gent/password/forgot", "", map[string]int{"*": 200}},
		{"POST /{tenant}/password/forgot", "POST", "/gent/password/forgot", "email=nobody%40gent.be", map[string]int{"*": 200}},
		{"GET /{tenant}/password/reset/{token}", "GET", "/gent/password/reset/not-a-token", "", map[string]int{"*": 410}},
		{"POST /{tenant}/password/reset/{token}", "POST", "/gent/password/reset/not-a-token", "password=x&password_confirm=x",
			map[string]int{"*": 410}},
		// The second login step: only a session pending its second factor
		// gets the form (a malformed code: 422); the others are sent on
		// (to login, enrolment or their page).
		{"GET /{tenant}/login/mfa", "GET", "/gent/login/mfa", "", map[string]int{"*": 303, "pending": 200}},
		{"POST /{tenant}/login/mfa", "POST", "/gent/login/mfa", "code=abc", map[string]int{"*": 303, "pending": 422}},
		// Enrolment: every signed-in user who is not pending; who has TOTP
		// already is told so, and cannot confirm again (303 to the page).
		{"GET /{tenant}/account/mfa", "GET", "/gent/account/mfa", "", map[string]int{"*": 303, "user": 200, "admin": 200, "dpo": 200,
			"admin-no-mfa": 200}},
		{"POST /{tenant}/account/mfa", "POST", "/gent/account/mfa", "code=abc", map[string]int{"*": 303, "user": 422, "admin-no-mfa": 422,
			"editor": 303}},
		// Only a session of this tenant opens it; another tenant's admin is
		// as anonymous here.
		{"GET /{tenant}/signed-in", "GET", "/gent/signed-in", "", map[string]int{"*": 303, "user": 200, "admin": 200, "dpo": 200}},
		// User management: the DPO sees users, only admins invite (an
		// empty form: 422 proves the admin got through to validation).
		{"GET /{tenant}/admin/users", "GET", "/gent/admin/users", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/users", "POST", "/gent/admin/users", "email=&name=", map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 403}},
		// One user's page and the actions on it: admins only (an unknown
		// id: 404 proves the admin got through, and changes nothing).
		{"GET /{tenant}/admin/users/{id}", "GET", "/gent/admin/users/nobody", "", map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/users/{id}/{action}", "POST", "/gent/admin/users/nobody/disable", "x=1", map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		// Making a user a site editor: admins only, after a recent proof
		// of credentials like a role change (an unknown id: 404).
		{"POST /{tenant}/admin/users/{id}/site-editor", "POST", "/gent/admin/users/nobody/site-editor", "site_editor=yes",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		// Authorising a user to consult the national register: admins
		// only, behind the step-up like a role change (unknown id: 404).
		{"POST /{tenant}/admin/users/{id}/register-lookup", "POST", "/gent/admin/users/nobody/register-lookup", "register_lookup=yes",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		// Supplier access: admins grant and end it, the DPO sees it (an
		// empty form: 422; an unknown grant: 404).
		{"GET /{tenant}/inbox", "GET", "/gent/inbox", "", map[string]int{"*": 303, "user": 200, "admin": 200, "dpo": 403}},
		{"POST /{tenant}/inbox/search", "POST", "/gent/inbox/search", "q=nobody", map[string]int{"*": 303, "user": 422, "admin": 422, "dpo": 403}},
		{"GET /{tenant}/inbox/submissions/{id}", "GET", "/gent/inbox/submissions/nope", "", map[string]int{"*": 303, "user": 404, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/inbox/submissions/{id}/{action}", "POST", "/gent/inbox/submissions/nope/notes", "note=x", map[string]int{"*": 303, "user": 404, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/inbox/submissions/{id}/reply", "POST", "/gent/inbox/submissions/nope/reply", "message=x", map[string]int{"*": 303, "user": 404, "admin": 404, "dpo": 403}},
		{"GET /{tenant}/inbox/submissions/{id}/files/{file}", "GET", "/gent/inbox/submissions/nope/files/nope", "", map[string]int{"*": 303, "user": 404, "admin": 404, "dpo": 403}},
		// Printing a submission: who may open it (an unknown id: 404).
		{"GET /{tenant}/inbox/submissions/{id}/pdf", "GET", "/gent/inbox/submissions/nope/pdf", "", map[string]int{"*": 303, "user": 404, "admin": 404, "dpo": 403}},
		// The national register look-up: only users an admin authorised
		// ("registrar"; an admin without the grant is refused too), and
		// of a submission they may open (unknown: 404).
		{"GET /{tenant}/inbox/submissions/{id}/register", "GET", "/gent/inbox/submissions/nope/register", "",
			map[string]int{"*": 303, "user": 403, "admin": 403, "dpo": 403, "registrar": 404}},
		{"POST /{tenant}/inbox/submissions/{id}/register", "POST", "/gent/inbox/submissions/nope/register", "insz=85073003328&reason=x",
			map[string]int{"*": 303, "user": 403, "admin": 403, "dpo": 403, "registrar": 404}},
		{"POST /{tenant}/inbox/submissions/{id}/register/save", "POST", "/gent/inbox/submissions/nope/register/save", "answer=x",
			map[string]int{"*": 303, "user": 403, "admin": 403, "dpo": 403, "registrar": 404}},
		// The security adviser's overview of register calls: whoever
		// reads the log (a bad month: 404).
		{"GET /{tenant}/admin/audit/register", "GET", "/gent/admin/audit/register", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/audit/register/{month}", "GET", "/gent/admin/audit/register/2026-13", "", map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"GET /{tenant}/admin/audit", "GET", "/gent/admin/audit", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/audit/search", "POST", "/gent/admin/audit/search", "q=nobody", map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 422}},
		// Checkpoints (AUD-2): admins and the DPO see the key and the
		// checkpoints, download them and sign one now (a redirect to the
		// page); no checkpoint of size 999 exists: 404.
		{"GET /{tenant}/admin/audit/checkpoints", "GET", "/gent/admin/audit/checkpoints", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/audit/checkpoints", "POST", "/gent/admin/audit/checkpoints", "x=1", map[string]int{"*": 303, "user": 403, "admin": 303, "dpo": 303}},
		{"GET /{tenant}/admin/audit/checkpoints/{size}", "GET", "/gent/admin/audit/checkpoints/999", "",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"GET /{tenant}/admin/audit/checkpoints/export", "GET", "/gent/admin/audit/checkpoints/export", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/audit/checkpoints/key", "GET", "/gent/admin/audit/checkpoints/key", "",
			map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		// The checkpoint webhook: admins only (an http address: 422,
		// nothing saved; none set: 404).
		{"POST /{tenant}/admin/audit/checkpoints/webhook", "POST", "/gent/admin/audit/checkpoints/webhook", "url=http%3A%2F%2Fx",
			map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 403}},
		{"POST /{tenant}/admin/audit/checkpoints/webhook/delete", "POST", "/gent/admin/audit/checkpoints/webhook/delete", "x=1",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		// Public, once the rows above made the key and signed a checkpoint.
		{"GET /.well-known/kluis-audit-key", "GET", "/.well-known/kluis-audit-key", "", map[string]int{"*": 200}},
		{"GET /{tenant}/.well-known/audit-checkpoint", "GET", "/gent/.well-known/audit-checkpoint", "", map[string]int{"*": 200}},
		{"GET /{tenant}/admin/stats", "GET", "/gent/admin/stats", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/visits", "GET", "/gent/admin/visits", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200, "editor": 200}},
		{"GET /{tenant}/admin/visits.csv", "GET", "/gent/admin/visits.csv", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200, "editor": 200}},
		{"POST /{tenant}/admin/users/{id}/forms", "POST", "/gent/admin/users/nobody/forms", "form=vraag", map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"GET /{tenant}/admin/operators", "GET", "/gent/admin/operators", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/operators/staff", "GET", "/gent/admin/operators/staff", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/audit/platform", "GET", "/gent/admin/audit/platform", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/operators", "POST", "/gent/admin/operators", "email=&reason=&hours=4",
			map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 403}},
		{"POST /{tenant}/admin/operators/{id}/revoke", "POST", "/gent/admin/operators/nothing/revoke", "x=1",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		// Maintenance notices (AUD-4): admins set the minimum notice (out of
		// range: 422, nothing saved) and object to or change a notice (an
		// unknown one: 404); the DPO reads them on the page above.
		{"POST /{tenant}/admin/operators/notice-days", "POST", "/gent/admin/operators/notice-days", "days=0",
			map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 403}},
		{"POST /{tenant}/admin/operators/notices/{id}/object", "POST", "/gent/admin/operators/notices/nothing/object", "x=1",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/operators/notices/{id}/shorten", "POST", "/gent/admin/operators/notices/nothing/shorten", "open=now",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		// The operator's own notices: on the realm only (a controller has no
		// such page); there only the operator's session gets in (an empty
		// announcement: 422, nothing stored).
		{"GET /{tenant}/maintenance", "GET", "/gent/maintenance", "", map[string]int{"*": 404}},
		{"POST /{tenant}/maintenance", "POST", "/gent/maintenance", "tenant=gent", map[string]int{"*": 404}},
		{"GET /{tenant}/maintenance", "GET", "/operator/maintenance", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		{"POST /{tenant}/maintenance", "POST", "/operator/maintenance", "tenant=&from=&until=&scope=&reason=",
			map[string]int{"*": 303, "operator-no-grant": 422}},
		// The breach register (BRE-1…BRE-5): admins and the DPO see it,
		// complete it and record their notices; a clerk gets 403. Unknown
		// breaches are 404s that change nothing; an empty form is refused
		// field by field (422). Supplier staff open and update breaches on
		// the realm only (a controller has no such page).
		{"GET /{tenant}/admin/breaches", "GET", "/gent/admin/breaches", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/breaches.csv", "GET", "/gent/admin/breaches.csv", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/breaches.xlsx", "GET", "/gent/admin/breaches.xlsx", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/breaches/new", "GET", "/gent/admin/breaches/new", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/breaches/new", "POST", "/gent/admin/breaches/new", "description=", map[string]int{"*": 303, "user": 403,
			"admin": 422, "dpo": 422}},
		{"GET /{tenant}/admin/breaches/{id}", "GET", "/gent/admin/breaches/nope", "", map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"GET /{tenant}/admin/breaches/{id}/pdf", "GET", "/gent/admin/breaches/nope/pdf", "", map[string]int{"*": 303, "user": 403, "admin": 404,
			"dpo": 404}},
		{"GET /{tenant}/admin/breaches/{id}/edit", "GET", "/gent/admin/breaches/nope/edit", "", map[string]int{"*": 303, "user": 403, "admin": 404,
			"dpo": 404}},
		{"POST /{tenant}/admin/breaches/{id}/edit", "POST", "/gent/admin/breaches/nope/edit", "description=x&discovered_at=01.01.2020+10%3A00",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"POST /{tenant}/admin/breaches/{id}/notice", "POST", "/gent/admin/breaches/nope/notice", "notice=gba&gba_at=01.01.2020+10%3A00",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		// Scope from evidence (BRE-1): those who complete the form compute
		// it; an unknown breach is a 404 before any question is asked.
		{"GET /{tenant}/admin/breaches/{id}/scope", "GET", "/gent/admin/breaches/nope/scope", "", map[string]int{"*": 303, "user": 403, "admin": 404,
			"dpo": 404}},
		// The DPIA and art. 32 information (BRE-4): whoever reads the
		// breach register.
		{"GET /{tenant}/admin/dpia", "GET", "/gent/admin/dpia", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/dpia.txt", "GET", "/gent/admin/dpia.txt", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/dpia/{purpose}", "GET", "/gent/admin/dpia/online-services", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/dpia/{purpose}/pdf", "GET", "/gent/admin/dpia/online-services/pdf", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/compliance", "GET", "/gent/admin/compliance", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/compliance.json", "GET", "/gent/admin/compliance.json", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		// Containment (BRE-2): admins only (the DPO reads the measures on
		// the form); an unknown breach is a 404, nothing ends.
		{"POST /{tenant}/admin/breaches/{id}/contain", "POST", "/gent/admin/breaches/nope/contain", "kind=api_key&target=x",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/breaches/{id}/scope", "POST", "/gent/admin/breaches/nope/scope", "scope_from=&scope_until=",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		// The supplier's declarations (ORG-1…ORG-5): every controller's
		// admins and DPO read them; only the operators' realm declares
		// (an empty form is refused field by field, 422).
		{"GET /{tenant}/admin/organisation", "GET", "/gent/admin/organisation", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/compliance/changes", "GET", "/gent/admin/compliance/changes", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/organisation", "GET", "/gent/organisation", "", map[string]int{"*": 404}},
		// Backups and restore tests (SEC-4, SEC-5): the facts for admins
		// and the DPO; the operators' page only in their realm.
		{"GET /{tenant}/admin/backups", "GET", "/gent/admin/backups", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/backups", "GET", "/gent/backups", "", map[string]int{"*": 404}},
		{"GET /{tenant}/backups", "GET", "/operator/backups", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		{"POST /{tenant}/backups/restore-test", "POST", "/gent/backups/restore-test", "confirm=1", map[string]int{"*": 404}},
		// Without a worker that runs the restore test here: 409, nothing queued.
		{"POST /{tenant}/backups/restore-test", "POST", "/operator/backups/restore-test", "confirm=1", map[string]int{"*": 303, "operator-no-grant": 409}},
		{"GET /{tenant}/organisation", "GET", "/operator/organisation", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		// Clause coverage (SEC-5): the operators' realm only.
		{"GET /{tenant}/clauses", "GET", "/gent/clauses", "", map[string]int{"*": 404}},
		{"GET /{tenant}/clauses", "GET", "/operator/clauses", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		{"POST /{tenant}/organisation", "POST", "/gent/organisation", "kind=dpo", map[string]int{"*": 404}},
		{"POST /{tenant}/organisation", "POST", "/operator/organisation", "kind=dpo", map[string]int{"*": 303, "operator-no-grant": 422}},
		// Instructions (REG-3) and authority requests (REG-5): admins and
		// the DPO read and answer on the tenant's pages (an empty
		// instruction is refused field by field, 422; an unknown one 404);
		// supplier staff flag and handle them on the realm only.
		{"GET /{tenant}/admin/instructions", "GET", "/gent/admin/instructions", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/instructions", "POST", "/gent/admin/instructions", "subject=", map[string]int{"*": 303, "user": 403,
			"admin": 422, "dpo": 422}},
		{"POST /{tenant}/admin/instructions/{id}/answer", "POST", "/gent/admin/instructions/nope/answer", "answer=withdraw",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"GET /{tenant}/admin/authority-requests", "GET", "/gent/admin/authority-requests", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/instructions", "GET", "/gent/instructions", "", map[string]int{"*": 404}},
		{"GET /{tenant}/instructions", "GET", "/operator/instructions?tenant=gent", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		{"POST /{tenant}/instructions/{slug}/{id}/flag", "POST", "/gent/instructions/gent/nope/flag", "reasoning=x", map[string]int{"*": 404}},
		{"POST /{tenant}/instructions/{slug}/{id}/flag", "POST", "/operator/instructions/gent/nope/flag", "reasoning=x",
			map[string]int{"*": 303, "operator-no-grant": 404}},
		{"GET /{tenant}/authority", "GET", "/gent/authority", "", map[string]int{"*": 404}},
		{"GET /{tenant}/authority", "GET", "/operator/authority?tenant=gent", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		{"POST /{tenant}/authority", "POST", "/gent/authority?tenant=gent", "authority=", map[string]int{"*": 404}},
		{"POST /{tenant}/authority", "POST", "/operator/authority?tenant=gent", "authority=", map[string]int{"*": 303, "operator-no-grant": 422}},
		{"POST /{tenant}/authority/{slug}/{id}/step", "POST", "/gent/authority/gent/nope/step", "step=assess&text=x", map[string]int{"*": 404}},
		{"POST /{tenant}/authority/{slug}/{id}/step", "POST", "/operator/authority/gent/nope/step", "step=assess&text=x",
			map[string]int{"*": 303, "operator-no-grant": 404}},
		// Containment on the realm (BRE-2): supplier staff end a grant of
		// the breach's controller; an unknown breach is a 404.
		{"POST /{tenant}/breaches/{slug}/{id}/contain", "POST", "/gent/breaches/gent/nope/contain", "kind=grant&target=x", map[string]int{"*": 404}},
		{"POST /{tenant}/breaches/{slug}/{id}/contain", "POST", "/operator/breaches/gent/nope/contain", "kind=grant&target=x",
			map[string]int{"*": 303, "operator-no-grant": 404}},
		{"GET /{tenant}/breaches", "GET", "/gent/breaches", "", map[string]int{"*": 404}},
		{"GET /{tenant}/breaches", "GET", "/operator/breaches", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		{"GET /{tenant}/breaches/new", "GET", "/gent/breaches/new", "", map[string]int{"*": 404}},
		{"GET /{tenant}/breaches/new", "GET", "/operator/breaches/new", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		{"POST /{tenant}/breaches/new", "POST", "/gent/breaches/new", "tenant=gent", map[string]int{"*": 404}},
		{"POST /{tenant}/breaches/new", "POST", "/operator/breaches/new", "tenant=&description=", map[string]int{"*": 303, "operator-no-grant": 422}},
		{"GET /{tenant}/breaches/{slug}/{id}", "GET", "/gent/breaches/gent/nope", "", map[string]int{"*": 404}},
		{"GET /{tenant}/breaches/{slug}/{id}", "GET", "/operator/breaches/gent/nope", "", map[string]int{"*": 303, "operator-no-grant": 404}},
		{"POST /{tenant}/breaches/{slug}/{id}", "POST", "/gent/breaches/gent/nope", "description=x", map[string]int{"*": 404}},
		{"POST /{tenant}/breaches/{slug}/{id}", "POST", "/operator/breaches/gent/nope", "description=x&discovered_at=01.01.2020+10%3A00",
			map[string]int{"*": 303, "operator-no-grant": 404}},
		// Audits (ADT-1…ADT-3): the controller's admins and DPO see them,
		// download the evidence pack, announce (an empty form is refused
		// field by field: 422), enter findings and decide on plans;
		// unknown audits are 404s that change nothing. The supplier's
		// side lives in the operators' realm only.
		{"GET /{tenant}/admin/audits", "GET", "/gent/admin/audits", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/audits/evidence.zip", "GET", "/gent/admin/audits/evidence.zip", "", map[string]int{"*": 303, "user": 403, "admin": 200,
			"dpo": 200}},
		{"GET /{tenant}/admin/audits/new", "GET", "/gent/admin/audits/new", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/audits/new", "POST", "/gent/admin/audits/new", "kind=", map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 422}},
		{"GET /{tenant}/admin/audits/{id}", "GET", "/gent/admin/audits/nope", "", map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"POST /{tenant}/admin/audits/{id}/findings", "POST", "/gent/admin/audits/nope/findings", "title=x&severity=low&description=y",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"POST /{tenant}/admin/audits/{id}/plan", "POST", "/gent/admin/audits/nope/plan", "decision=approve",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		// The end of a contract (END-3, END-4, END-5): the supplier's
		// procedure lives on the operators' realm only (a step out of
		// order is refused, 409, and changes nothing; no certificate
		// before the end, 404); the controller's admins and DPO follow it,
		// only an admin confirms receipt (none due here: 409).
		{"GET /{tenant}/terminations", "GET", "/gent/terminations", "", map[string]int{"*": 404}},
		{"GET /{tenant}/terminations", "GET", "/operator/terminations", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		{"GET /{tenant}/terminations/{slug}", "GET", "/gent/terminations/gent", "", map[string]int{"*": 404}},
		{"GET /{tenant}/terminations/{slug}", "GET", "/operator/terminations/gent", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		{"GET /{tenant}/terminations/{slug}", "GET", "/operator/terminations/nope", "", map[string]int{"*": 303, "operator-no-grant": 404}},
		{"POST /{tenant}/terminations/{slug}", "POST", "/gent/terminations/gent", "step=certificate&confirm=1", map[string]int{"*": 404}},
		{"POST /{tenant}/terminations/{slug}", "POST", "/operator/terminations/gent", "step=certificate&confirm=1",
			map[string]int{"*": 303, "operator-no-grant": 409}},
		{"GET /{tenant}/terminations/{slug}/certificate/{format}", "GET", "/gent/terminations/gent/certificate/pdf", "", map[string]int{"*": 404}},
		{"GET /{tenant}/terminations/{slug}/certificate/{format}", "GET", "/operator/terminations/gent/certificate/pdf", "",
			map[string]int{"*": 303, "operator-no-grant": 404}},
		{"GET /{tenant}/admin/termination", "GET", "/gent/admin/termination", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/termination/receipt", "POST", "/gent/admin/termination/receipt", "received=1",
			map[string]int{"*": 303, "user": 403, "admin": 409, "dpo": 403}},
		{"GET /{tenant}/audits", "GET", "/gent/audits", "", map[string]int{"*": 404}},
		{"GET /{tenant}/audits", "GET", "/operator/audits", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		{"GET /{tenant}/audits/{slug}/{id}", "GET", "/gent/audits/gent/nope", "", map[string]int{"*": 404}},
		{"GET /{tenant}/audits/{slug}/{id}", "GET", "/operator/audits/gent/nope", "", map[string]int{"*": 303, "operator-no-grant": 404}},
		{"POST /{tenant}/audits/{slug}/{id}/acknowledge", "POST", "/gent/audits/gent/nope/acknowledge", "", map[string]int{"*": 404}},
		{"POST /{tenant}/audits/{slug}/{id}/acknowledge", "POST", "/operator/audits/gent/nope/acknowledge", "",
			map[string]int{"*": 303, "operator-no-grant": 404}},
		{"POST /{tenant}/audits/{slug}/{id}/plan", "POST", "/gent/audits/gent/nope/plan", "", map[string]int{"*": 404}},
		{"POST /{tenant}/audits/{slug}/{id}/plan", "POST", "/operator/audits/gent/nope/plan", "action_1_text=x&action_1_due=01.01.2099",
			map[string]int{"*": 303, "operator-no-grant": 404}},
		{"POST /{tenant}/audits/{slug}/{id}/actions/{action}/done", "POST", "/gent/audits/gent/nope/actions/x/done", "", map[string]int{"*": 404}},
		{"POST /{tenant}/audits/{slug}/{id}/actions/{action}/done", "POST", "/operator/audits/gent/nope/actions/x/done", "",
			map[string]int{"*": 303, "operator-no-grant": 404}},
		// Step-up confirmation and the user's own sessions: every signed-in
		// user who is not pending (an empty password: 422 proves the user
		// got through to validation, and nothing is counted). An unknown
		// session id: 404. Ending "all others" ends nothing the rows below
		// use (each party has one session): 303 back to the list for all.
		{"GET /{tenant}/account/confirm", "GET", "/gent/account/confirm", "", map[string]int{"*": 303, "user": 200, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/account/confirm", "POST", "/gent/account/confirm", "password=", map[string]int{"*": 303, "user": 422, "admin": 422, "dpo": 422}},
		{"GET /{tenant}/account/sessions", "GET", "/gent/account/sessions", "", map[string]int{"*": 303, "user": 200, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/account/sessions/{id}/revoke", "POST", "/gent/account/sessions/nope/revoke", "x=1",
			map[string]int{"*": 303, "user": 404, "admin": 404, "dpo": 404}},
		{"POST /{tenant}/account/sessions/revoke-others", "POST", "/gent/account/sessions/revoke-others", "x=1", map[string]int{"*": 303}},
		// The sensitive admin actions (step-up): admins only; the admin's
		// login is fresh, so an unknown id is 404.
		{"POST /{tenant}/admin/users/{id}/role", "POST", "/gent/admin/users/nobody/role", "role=user", map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/users/{id}/reset-mfa", "POST", "/gent/admin/users/nobody/reset-mfa", "x=1", map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/users/{id}/remove", "POST", "/gent/admin/users/nobody/remove", "confirm=yes", map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		// Passkeys (USR-2), JSON: the passwordless login is public (an
		// unparseable answer: 400 for everyone); the second step's
		// ceremony is only for a pending session (who has no passkey: 409;
		// no session of this tenant: 401; past or without the second step:
		// 403); adding one is for every session that is not pending (an
		// empty name: 422; a bad answer: 400). Removing one is a form like
		// enrolment's (an unknown id: 404).
		{"POST /{tenant}/login/passkey/options", "POST", "/gent/login/passkey/options", "{}", map[string]int{"*": 200}},
		{"POST /{tenant}/login/passkey", "POST", "/gent/login/passkey", `{"credential":{}}`, map[string]int{"*": 400}},
		{"POST /{tenant}/login/mfa/passkey/options", "POST", "/gent/login/mfa/passkey/options", "{}",
			map[string]int{"*": 403, "anonymous": 401, "other-tenant-admin": 401, "operator-no-grant": 401, "pending": 409}},
		{"POST /{tenant}/login/mfa/passkey", "POST", "/gent/login/mfa/passkey", `{"credential":{}}`,
			map[string]int{"*": 403, "anonymous": 401, "other-tenant-admin": 401, "operator-no-grant": 401, "pending": 400}},
		{"POST /{tenant}/account/passkeys/options", "POST", "/gent/account/passkeys/options", `{"name":""}`,
			map[string]int{"*": 422, "anonymous": 401, "other-tenant-admin": 401, "operator-no-grant": 401, "pending": 403}},
		{"POST /{tenant}/account/passkeys", "POST", "/gent/account/passkeys", `{"name":"x","credential":{}}`,
			map[string]int{"*": 400, "anonymous": 401, "other-tenant-admin": 401, "operator-no-grant": 401, "pending": 403}},
		{"POST /{tenant}/account/passkeys/{id}/delete", "POST", "/gent/account/passkeys/nobody/delete", "x=1",
			map[string]int{"*": 303, "user": 404, "admin": 404, "dpo": 404, "admin-no-mfa": 404}},
		// The tenant's security policy: admins edit, the DPO reads (an
		// invalid form: 422 proves the admin got through, and saves
		// nothing).
		{"GET /{tenant}/admin/policy", "GET", "/gent/admin/policy", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/policy", "POST", "/gent/admin/policy", "password_min_length=8", map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 403}},
		// Per-person keys (DSR-1): admins switch, the DPO reads.
		{"GET /{tenant}/admin/keys", "GET", "/gent/admin/keys", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/keys", "POST", "/gent/admin/keys", "person_keys=maybe", map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 403}},
		// The audit log's retention (AUD-2): whoever reads the log sees
		// it; the admin and the DPO change it (under six months: 422,
		// nothing saved).
		// Data-subject requests (DSR-2): every member files one for a
		// citizen; admins and the DPO see them and decide — a clerk gets
		// 403. Unknown requests are 404s that change nothing; a filing
		// without fields is refused field by field (422).
		{"GET /{tenant}/admin/requests", "GET", "/gent/admin/requests", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/requests/new", "GET", "/gent/admin/requests/new", "", map[string]int{"*": 303, "user": 200, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/requests/new", "POST", "/gent/admin/requests/new", "kind=access", map[string]int{"*": 303, "user": 422,
			"admin": 422, "dpo": 422}},
		{"GET /{tenant}/admin/requests/{id}", "GET", "/gent/admin/requests/nope", "", map[string]int{"*": 303, "user": 403, "admin": 404,
			"dpo": 404}},
		{"POST /{tenant}/admin/requests/{id}/decide", "POST", "/gent/admin/requests/nope/decide", "decision=approve&reason=ok",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"POST /{tenant}/admin/requests/{id}/extend", "POST", "/gent/admin/requests/nope/extend", "extend_reason=ok",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"POST /{tenant}/admin/requests/{id}/execute", "POST", "/gent/admin/requests/nope/execute", "x=1",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"POST /{tenant}/admin/requests/{id}/close", "POST", "/gent/admin/requests/nope/close", "x=1",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"GET /{tenant}/admin/requests/{id}/package", "GET", "/gent/admin/requests/nope/package?format=json", "",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"GET /{tenant}/admin/access-reports", "GET", "/gent/admin/access-reports", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/access-reports/{id}/decide", "POST", "/gent/admin/access-reports/nope/decide", "decision=no_issue&reason=ok",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"POST /{tenant}/admin/access-reports/names", "POST", "/gent/admin/access-reports/names", "names=off",
			map[string]int{"*": 303, "user": 403, "dpo": 403}},
		{"POST /{tenant}/admin/requests/{id}/rectify", "POST", "/gent/admin/requests/nope/rectify", "target=a%2Fb&value=x",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"GET /{tenant}/admin/audit/retention", "GET", "/gent/admin/audit/retention", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/audit/retention", "POST", "/gent/admin/audit/retention", "months=5", map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 422}},
		// Webhooks (issue 5): whoever reads the settings sees them; only
		// admins change them (an empty form: 422, nothing saved; an unknown
		// hook: 404).
		{"GET /{tenant}/admin/hosts", "GET", "/gent/admin/hosts", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/hosts", "POST", "/gent/admin/hosts", "host=", map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 403}},
		{"POST /{tenant}/admin/hosts/remove", "POST", "/gent/admin/hosts/remove", "host=www.nope.be", map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/hosts/primary", "POST", "/gent/admin/hosts/primary", "host=www.nope.be", map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 403}},
		{"GET /{tenant}/admin/webhooks", "GET", "/gent/admin/webhooks", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		// Sub-processors (SUB-1…SUB-3): admins and the DPO see the overview
		// and download it; only admins decide (an unknown one is a 404 that
		// changes nothing). The platform's list is on the operators' realm
		// only; an empty form there is refused field by field (422).
		{"GET /{tenant}/admin/subprocessors", "GET", "/gent/admin/subprocessors", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/subprocessors.csv", "GET", "/gent/admin/subprocessors.csv", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/subprocessors.xlsx", "GET", "/gent/admin/subprocessors.xlsx", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/subprocessors/{id}/decide", "POST", "/gent/admin/subprocessors/nope/decide", "decision=accept",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"GET /{tenant}/subprocessors", "GET", "/gent/subprocessors", "", map[string]int{"*": 404}},
		{"GET /{tenant}/subprocessors", "GET", "/operator/subprocessors", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		{"POST /{tenant}/subprocessors", "POST", "/gent/subprocessors", "name=", map[string]int{"*": 404}},
		{"POST /{tenant}/subprocessors", "POST", "/operator/subprocessors", "name=", map[string]int{"*": 303, "operator-no-grant": 422}},
		{"GET /{tenant}/subprocessors.csv", "GET", "/gent/subprocessors.csv", "", map[string]int{"*": 404}},
		{"GET /{tenant}/subprocessors.csv", "GET", "/operator/subprocessors.csv", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		{"GET /{tenant}/subprocessors.xlsx", "GET", "/gent/subprocessors.xlsx", "", map[string]int{"*": 404}},
		{"GET /{tenant}/subprocessors.xlsx", "GET", "/operator/subprocessors.xlsx", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		{"GET /{tenant}/subprocessors/{id}", "GET", "/gent/subprocessors/nope", "", map[string]int{"*": 404}},
		{"GET /{tenant}/subprocessors/{id}", "GET", "/operator/subprocessors/nope", "", map[string]int{"*": 303, "operator-no-grant": 404}},
		{"POST /{tenant}/subprocessors/{id}", "POST", "/gent/subprocessors/nope", "kind=add", map[string]int{"*": 404}},
		{"POST /{tenant}/subprocessors/{id}", "POST", "/operator/subprocessors/nope", "kind=add", map[string]int{"*": 303, "operator-no-grant": 404}},
		{"GET /{tenant}/subprocessors/{id}/edit", "GET", "/gent/subprocessors/nope/edit", "", map[string]int{"*": 404}},
		{"GET /{tenant}/subprocessors/{id}/edit", "GET", "/operator/subprocessors/nope/edit", "", map[string]int{"*": 303, "operator-no-grant": 404}},
		{"POST /{tenant}/subprocessors/{id}/edit", "POST", "/gent/subprocessors/nope/edit", "name=", map[string]int{"*": 404}},
		{"POST /{tenant}/subprocessors/{id}/edit", "POST", "/operator/subprocessors/nope/edit", "name=", map[string]int{"*": 303, "operator-no-grant": 404}},
		{"POST /{tenant}/subprocessors/{id}/retire", "POST", "/gent/subprocessors/nope/retire", "reason=", map[string]int{"*": 404}},
		{"POST /{tenant}/subprocessors/{id}/retire", "POST", "/operator/subprocessors/nope/retire", "reason=", map[string]int{"*": 303, "operator-no-grant": 404}},
		{"POST /{tenant}/admin/webhooks", "POST", "/gent/admin/webhooks", "url=&entry=", map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 403}},
		{"POST /{tenant}/admin/webhooks/{id}/disable", "POST", "/gent/admin/webhooks/nope/disable", "x=1",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/webhooks/{id}/delete", "POST", "/gent/admin/webhooks/nope/delete", "x=1",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		// The national register connection: the DPO reads it, admins set
		// it (an empty form: 422) and remove it (none set: 404), with a
		// fresh login.
		{"GET /{tenant}/admin/magda", "GET", "/gent/admin/magda", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/magda", "POST", "/gent/admin/magda", "endpoint=", map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 403}},
		{"POST /{tenant}/admin/magda/remove", "POST", "/gent/admin/magda/remove", "confirm=1",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		// API keys: the DPO reads the list, admins create (an empty form:
		// 422) and revoke (an unknown key: 404), with a fresh login.
		{"GET /{tenant}/admin/api-keys", "GET", "/gent/admin/api-keys", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/api-keys", "POST", "/gent/admin/api-keys", "name=", map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 403}},
		{"POST /{tenant}/admin/api-keys/{id}/revoke", "POST", "/gent/admin/api-keys/nope/revoke", "x=1",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		// The form builder: whoever reads the register reads the forms
		// (an unknown form: 404); only admins change them (an empty new
		// form: 422; an import that is not a multipart upload: 415; any
		// change to an unknown form: 404, nothing changes). Publishing and
		// withdrawing are behind the step-up; the admin's login is fresh.
		{"GET /{tenant}/admin/forms", "GET", "/gent/admin/forms", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/forms", "POST", "/gent/admin/forms", "key=&title=", map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 403}},
		{"POST /{tenant}/admin/forms/import", "POST", "/gent/admin/forms/import", "definition=x",
			map[string]int{"*": 303, "user": 403, "admin": 415, "dpo": 403}},
		{"GET /{tenant}/admin/forms/{key}", "GET", "/gent/admin/forms/nope", "", map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"GET /{tenant}/admin/forms/{key}/settings", "GET", "/gent/admin/forms/nope/settings", "",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/forms/{key}/settings", "POST", "/gent/admin/forms/nope/settings", "title_nl=x",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/forms/{key}/pages", "POST", "/gent/admin/forms/nope/pages", "page_title=x",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/forms/{key}/pages/{page}", "POST", "/gent/admin/forms/nope/pages/p", "title_nl=x",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/forms/{key}/pages/{page}/move", "POST", "/gent/admin/forms/nope/pages/p/move", "direction=up",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/forms/{key}/pages/{page}/delete", "POST", "/gent/admin/forms/nope/pages/p/delete", "x=1",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/forms/{key}/pages/{page}/fields", "POST", "/gent/admin/forms/nope/pages/p/fields", "field_label=x&field_type=text",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"GET /{tenant}/admin/forms/{key}/fields/{field}", "GET", "/gent/admin/forms/nope/fields/f", "",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/forms/{key}/fields/{field}", "POST", "/gent/admin/forms/nope/fields/f", "label_nl=x",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/forms/{key}/fields/{field}/move", "POST", "/gent/admin/forms/nope/fields/f/move", "direction=up",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/forms/{key}/fields/{field}/delete", "POST", "/gent/admin/forms/nope/fields/f/delete", "x=1",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/forms/{key}/notice", "POST", "/gent/admin/forms/nope/notice", "version=1&digest=x",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/forms/{key}/publish", "POST", "/gent/admin/forms/nope/publish", "version=1",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/forms/{key}/withdraw", "POST", "/gent/admin/forms/nope/withdraw", "x=1",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		// Changing one's own password: every signed-in user past the MFA
		// gate, with a fresh login (a too short password: 422, nothing
		// changes).
		{"GET /{tenant}/account/password", "GET", "/gent/account/password", "", map[string]int{"*": 303, "user": 200, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/account/password", "POST", "/gent/account/password", "password=x&password_confirm=x",
			map[string]int{"*": 303, "user": 422, "admin": 422, "dpo": 422}},
		// The e-loket's forms: public. Tenant "gent" publishes none here, so
		// an unknown form is 404 for everyone (a form's page and post are
		// TestClauseDSR3_PublicFormShowsNoticeAndTakesSubmission); a receipt
		// without the browser's capability is gone (410).
		{"GET /{tenant}/{form}", "GET", "/gent/nope", "", map[string]int{"*": 404}},
		{"POST /{tenant}/{form}", "POST", "/gent/nope", "token=x", map[string]int{"*": 404}},
		{"GET /{tenant}/receipt/{form}", "GET", "/gent/receipt/nope", "", map[string]int{"*": 410}},
		// "Look up my request": public; an unknown reference with an
		// address is the same 404 for everyone (no enumeration).
		{"GET /{tenant}/lookup", "GET", "/gent/lookup", "", map[string]int{"*": 200}},
		{"POST /{tenant}/lookup", "POST", "/gent/lookup", "reference=K7M4Q-2XD9P&email=nobody%40gent.be", map[string]int{"*": 404}},
		// The citizen's own data-subject request (DSR-1): public; an
		// address answers the same page whether or not data exists, and a
		// wrong code is a field error for everyone.
		{"GET /{tenant}/privacy/request", "GET", "/gent/privacy/request", "", map[string]int{"*": 200}},
		{"POST /{tenant}/privacy/request", "POST", "/gent/privacy/request", "email=nobody%40gent.be&kind=access", map[string]int{"*": 200}},
		{"POST /{tenant}/privacy/request/code", "POST", "/gent/privacy/request/code", "challenge=x&code=123456", map[string]int{"*": 422}},
		// The citizen's own view: staff sessions are no citizen session
		// (its own cookie), so everyone gets the sign-in page; the report
		// pages send whoever is not signed in as a citizen back to it.
		{"GET /{tenant}/privacy/mine", "GET", "/gent/privacy/mine", "", map[string]int{"*": 200}},
		{"POST /{tenant}/privacy/mine/code", "POST", "/gent/privacy/mine/code", "email=nobody%40gent.be", map[string]int{"*": 200}},
		{"POST /{tenant}/privacy/mine/signin", "POST", "/gent/privacy/mine/signin", "challenge=x&code=123456", map[string]int{"*": 422}},
		{"GET /{tenant}/privacy/mine/fas/{provider}", "GET", "/gent/privacy/mine/fas/nope", "", map[string]int{"*": 404}},
		{"GET /{tenant}/prefill/{form}/{provider}", "GET", "/gent/prefill/vraag/fas-eid", "", map[string]int{"*": 404}},
		{"POST /{tenant}/privacy/mine/signout", "POST", "/gent/privacy/mine/signout", "x=1", map[string]int{"*": 303}},
		{"GET /{tenant}/privacy/mine/report/{seq}", "GET", "/gent/privacy/mine/report/1", "", map[string]int{"*": 303}},
		{"POST /{tenant}/privacy/mine/report/{seq}", "POST", "/gent/privacy/mine/report/1", "reason=x", map[string]int{"*": 303}},
		{"GET /{tenant}/privacy/mine/request", "GET", "/gent/privacy/mine/request", "", map[string]int{"*": 303}},
		{"POST /{tenant}/privacy/mine/request", "POST", "/gent/privacy/mine/request", "kind=access", map[string]int{"*": 303}},
		{"POST /{tenant}/privacy/mine/requests/{id}/package", "POST", "/gent/privacy/mine/requests/nope/package", "x=1", map[string]int{"*": 303}},
		// A package link is public and stands alone: a token that is none
		// is a 404 for everyone, whoever is signed in (TestClauseDSR1_Package*).
		{"GET /{tenant}/privacy/package/{token}", "GET", "/gent/privacy/package/not-a-token", "", map[string]int{"*": 404}},
		{"POST /{tenant}/privacy/package/{token}/code", "POST", "/gent/privacy/package/not-a-token/code", "", map[string]int{"*": 404}},
		{"POST /{tenant}/privacy/package/{token}/download", "POST", "/gent/privacy/package/not-a-token/download", "code=123456",
			map[string]int{"*": 404}},
		// The processing register (REG-1) and annex 1: every role that
		// works with it reads it (the demo register is version 1); only
		// admins upload (a form instead of a file upload: 415 proves the
		// admin got through, and saves nothing).
		{"GET /{tenant}/admin/register", "GET", "/gent/admin/register", "", map[string]int{"*": 303, "user": 200, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/register", "POST", "/gent/admin/register", "x=1", map[string]int{"*": 303, "user": 403, "admin": 415, "dpo": 415}},
		{"GET /{tenant}/admin/register.yaml", "GET", "/gent/admin/register.yaml?version=1", "", map[string]int{"*": 303, "user": 200, "admin": 200,
			"dpo": 200}},
		{"GET /{tenant}/admin/register/annex", "GET", "/gent/admin/register/annex", "", map[string]int{"*": 303, "user": 200, "admin": 200,
			"dpo": 200}},
		{"GET /{tenant}/admin/register/annex.pdf", "GET", "/gent/admin/register/annex.pdf", "", map[string]int{"*": 303, "user": 200,
			"admin": 200, "dpo": 200}},
		// The processing agreement: admins and the DPO. The admin drafts
		// version 1 (303), after which the DPO has nothing new to draft
		// (409); accepting needs the DPO in a FAS session: the admin is
		// refused as not the DPO, the DPO's password session as not FAS
		// (403, nothing saved). The supplier's side is in the realm: a
		// wrong SHA-256 is refused (409).
		{"GET /{tenant}/admin/agreement", "GET", "/gent/admin/agreement", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/agreement", "POST", "/gent/admin/agreement", "lang=nl", map[string]int{"*": 303, "user": 403, "admin": 303, "dpo": 409}},
		{"GET /{tenant}/admin/agreement/{n}", "GET", "/gent/admin/agreement/1", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/agreement/{n}/pdf", "GET", "/gent/admin/agreement/1/pdf", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/agreement/{n}/accept", "POST", "/gent/admin/agreement/1/accept", "sha256=x&confirm=1",
			map[string]int{"*": 303, "user": 403, "admin": 403, "dpo": 403}},
		{"GET /{tenant}/admin/agreement/history.csv", "GET", "/gent/admin/agreement/history.csv", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/agreements", "GET", "/operator/agreements", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		{"GET /{tenant}/agreements/{slug}/{n}/pdf", "GET", "/operator/agreements/gent/1/pdf", "", map[string]int{"*": 303, "operator-no-grant": 200}},
		{"POST /{tenant}/agreements/{slug}/{n}/accept", "POST", "/operator/agreements/gent/1/accept", "sha256=x&confirm=1",
			map[string]int{"*": 303, "operator-no-grant": 409}},
		// The measures annexes (ADT-1): read like the compliance report
		// they are answered from (it names admins without a second factor).
		{"GET /{tenant}/admin/register/measures", "GET", "/gent/admin/register/measures", "", map[string]int{"*": 303, "user": 403,
			"admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/register/measures.pdf", "GET", "/gent/admin/register/measures.pdf", "", map[string]int{"*": 303,
			"user": 403, "admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/register/annex2", "GET", "/gent/admin/register/annex2", "", map[string]int{"*": 303, "user": 403,
			"admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/register/annex2.pdf", "GET", "/gent/admin/register/annex2.pdf", "", map[string]int{"*": 303,
			"user": 403, "admin": 200, "dpo": 200}},
		// Editing the register in the browser: only admins (an unknown
		// section: 404 proves the admin got through; a change with no name:
		// 422, nothing saved); every role that reads the register compares
		// versions (one version here: nothing to compare, 200).
		// Retention (SEC-1): the admin and the DPO keep the register, so
		// they see the outlook and set and lift holds (an empty hold: 422,
		// nothing saved; an unknown hold: 404).
		{"GET /{tenant}/admin/register/retention", "GET", "/gent/admin/register/retention", "", map[string]int{"*": 303, "user": 403,
			"admin": 200, "dpo": 200}},
		{"POST /{tenant}/admin/register/retention/holds", "POST", "/gent/admin/register/retention/holds", "reason=", map[string]int{"*": 303,
			"user": 403, "admin": 422, "dpo": 422}},
		{"POST /{tenant}/admin/register/retention/holds/{id}/lift", "POST", "/gent/admin/register/retention/holds/nope/lift", "x=1",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 404}},
		{"GET /{tenant}/admin/register/compare", "GET", "/gent/admin/register/compare", "", map[string]int{"*": 303, "user": 200,
			"admin": 200, "dpo": 200}},
		{"GET /{tenant}/admin/register/edit/{section}", "GET", "/gent/admin/register/edit/nope", "", map[string]int{"*": 303, "user": 403,
			"admin": 404, "dpo": 404}},
		{"POST /{tenant}/admin/register/save", "POST", "/gent/admin/register/save", "x=1", map[string]int{"*": 303, "user": 403, "admin": 415,
			"dpo": 415}},
		{"POST /{tenant}/admin/register/edit/{section}", "POST", "/gent/admin/register/edit/purposes", "op=add&base=1&step=save&legal_basis=consent",
			map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 422}},
		// Exports (END-1): whoever handles submissions, on a form they have
		// a grant on (none here: 404, the same as an unknown form), behind
		// the step-up (the logins are fresh); an unknown or someone else's
		// export is 404. The DPO handles no submissions.
		{"GET /{tenant}/inbox/forms/{form}/export", "GET", "/gent/inbox/forms/nope/export", "",
			map[string]int{"*": 303, "user": 404, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/inbox/forms/{form}/export", "POST", "/gent/inbox/forms/nope/export", "format=csv&reason=x",
			map[string]int{"*": 303, "user": 404, "admin": 404, "dpo": 403}},
		{"GET /{tenant}/inbox/exports", "GET", "/gent/inbox/exports", "", map[string]int{"*": 303, "user": 200, "admin": 200, "dpo": 403}},
		{"GET /{tenant}/inbox/exports/{id}", "GET", "/gent/inbox/exports/nope", "", map[string]int{"*": 303, "user": 404, "admin": 404, "dpo": 403}},
		{"GET /{tenant}/inbox/exports/{id}/download", "GET", "/gent/inbox/exports/nope/download", "",
			map[string]int{"*": 303, "user": 404, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/inbox/exports/{id}/delete", "POST", "/gent/inbox/exports/nope/delete", "x=1",
			map[string]int{"*": 303, "user": 404, "admin": 404, "dpo": 403}},
		// The full export (END-3): tenant admins only, behind the step-up
		// (the logins are fresh); an empty reason is 422 with nothing
		// queued; an unknown export is 404.
		{"GET /{tenant}/admin/full-export", "GET", "/gent/admin/full-export", "", map[string]int{"*": 303, "user": 403, "admin": 200, "dpo": 403}},
		{"POST /{tenant}/admin/full-export", "POST", "/gent/admin/full-export", "reason=",
			map[string]int{"*": 303, "user": 403, "admin": 422, "dpo": 403}},
		{"GET /{tenant}/admin/full-export/{id}/download", "GET", "/gent/admin/full-export/nope/download", "",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		{"POST /{tenant}/admin/full-export/{id}/delete", "POST", "/gent/admin/full-export/nope/delete", "x=1",
			map[string]int{"*": 303, "user": 403, "admin": 404, "dpo": 403}},
		// Last: it ends the sessions the rows above use.
		{"POST /{tenant}/logout", "POST", "/gent/logout", "", map[string]int{"*": 303}},
	}
}

// runAuthorisationMatrix calls every route as every party and checks the
// status; seen, when not nil, gets every response that had the right
// status, for the tests that check a property of every response
// (asvs_v4_test.go).
func runAuthorisationMatrix(t *testing.T, seen func(row authzRow, party string, resp *http.Response, body string)) {
	matrix := authorisationMatrix()
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		fast := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)
		mkTenant := func(slug string) tenant.Tenant {
			tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: slug, LegalName: "Stad " + slug, EnterpriseNumber: "0207451227",
				DPOName: "D", DPOEmail: "dpo@" + slug + ".be"})
			if err != nil {
				t.Fatal(err)
			}
			return tn
		}
		gent, brugge := mkTenant("gent"), mkTenant("brugge")
		if _, err := env.DB.SaveRegister(ctx, op, gent.ID, register.Demo()); err != nil {
			t.Fatal(err)
		}
		realm, err := env.DB.OperatorRealm(ctx, op)
		if err != nil {
			t.Fatal(err)
		}
		session := func(tn tenant.Tenant, name string, role account.Role, enrol, verify bool) string {
			return staffSession(t, env, fast, tn, name, role, enrol, verify)
		}
		cookies := map[string]string{
			"anonymous":          "",
			"user":               session(gent, "user", account.RoleUser, false, false),
			"admin":              session(gent, "admin", account.RoleAdmin, true, true),
			"dpo":                session(gent, "dpo", account.RoleDPO, true, true),
			"admin-no-mfa":       session(gent, "admin-no-mfa", account.RoleAdmin, false, false),
			"pending":            session(gent, "pending", account.RoleAdmin, true, false),
			"other-tenant-admin": session(brugge, "admin", account.RoleAdmin, true, true),
			"operator-no-grant":  session(realm, "operator", account.RoleAdmin, true, true),
			"editor":             session(gent, "editor", account.RoleUser, true, true),
			"editor-no-mfa":      session(gent, "editor-no-mfa", account.RoleUser, false, false),
			"registrar":          session(gent, "registrar", account.RoleUser, false, false),
		}
		users, err := env.DB.Users(ctx, op, gent.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if strings.HasPrefix(u.Email, "editor") {
				if err := env.DB.SetSiteEditor(ctx, op, gent.ID, u.ID, true); err != nil {
					t.Fatal(err)
				}
			}
			if strings.HasPrefix(u.Email, "registrar") {
				if err := env.DB.SetRegisterLookup(ctx, op, gent.ID, u.ID, true); err != nil {
					t.Fatal(err)
				}
			}
		}
		a, _ := newTestApp(t, Options{Store: env.DB, Hasher: fast, LoginRateLimit: 1000, BaseURL: "https://loket.gent.be"})

		covered := map[string]bool{}
		for _, row := range matrix {
			covered[row.pattern] = true
		}
		for _, p := range a.patterns {
			if !covered[p] {
				t.Errorf("route %q has no row in the authorisation matrix", p)
			}
		}
		for _, row := range matrix {
			for _, party := range parties {
				t.Run(row.pattern+"/"+party, func(t *testing.T) {
					h := map[string]string{}
					if row.body != "" {
						h["Content-Type"] = "application/x-www-form-urlencoded"
					}
					if c := cookies[party]; c != "" {
						h["Cookie"] = sessionCookie + "=" + c
					}
					resp := request{method: row.method, target: row.target, body: row.body, header: h}.do(t, a.Handler())
					body := bodyOf(t, resp)
					if resp.StatusCode != row.wantFor(party) {
						t.Fatalf("%s %s as %s: status %d, want %d", row.method, row.target, party, resp.StatusCode, row.wantFor(party))
					}
					if seen != nil {
						seen(row, party, resp, body)
					}
					// No page shows another tenant's name to its admin.
					if party == "other-tenant-admin" && strings.Contains(body, "Stad brugge") {
						t.Fatal("tenant B's name leaked into tenant A's page")
					}
				})
			}
		}
	})
}
