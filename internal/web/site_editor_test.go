package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestSiteEditor_ClauseUSR5_AdminMakesAMedewerkerSiteEditor: on a user's
// page an admin makes a medewerker a site editor. The editor must then
// enrol a second factor first (USR-2); past it, the navigation shows the
// Website section and the visitor statistics, and those pages open, while
// user management stays closed. Granting it to an admin is refused with a
// message (409); revoking closes the site again.
func TestSiteEditor_ClauseUSR5_AdminMakesAMedewerkerSiteEditor(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{})
		admin, adminCookie := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		clerk, clerkCookie := le.signIn(t, "clerk@gent.be", account.RoleUser)
		get := func(target, cookie string) (*http.Response, string) {
			return le.get(t, target, map[string]string{"Cookie": cookie})
		}
		userPage := "/gent/admin/users/" + clerk.ID

		if resp, _ := get("/gent/admin/site", clerkCookie); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a medewerker opens the site editor: %d", resp.StatusCode)
		}
		resp, body := get(userPage, adminCookie)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<input type="checkbox" id="site_editor" name="site_editor" value="yes" aria-describedby="site-editor-lead">`) ||
			!strings.Contains(body, `<label for="site_editor">Websiteredacteur</label>`) {
			t.Fatalf("the user page lacks the site-editor control: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = le.submit(t, userPage+"/site-editor", adminCookie, url.Values{"site_editor": {"yes"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != userPage+"?done=site-editor" {
			t.Fatalf("grant: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = get(userPage+"?done=site-editor", adminCookie)
		if !strings.Contains(body, "De rechten van Naam clerk@gent.be op de website zijn opgeslagen.") || !strings.Contains(body, `value="yes" aria-describedby="site-editor-lead" checked>`) ||
			!strings.Contains(body, "medewerker, websiteredacteur") {
			t.Fatalf("after the grant the page shows:\n%s", body)
		}

		// USR-2: a site editor without a second factor is sent to enrol.
		resp, _ = get("/gent/admin/site", clerkCookie)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/gent/account/mfa") {
			t.Fatalf("an editor without MFA: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		clerkCookie = sessionCookie + "=" + verifiedMFA(t, env, le.gent.ID, clerk.ID, strings.TrimPrefix(clerkCookie, sessionCookie+"="))
		for _, target := range []string{"/gent/admin/site", "/gent/admin/site/images", "/gent/admin/site/new", "/gent/admin/visits", "/gent/admin/visits.csv"} {
			if resp, _ := get(target, clerkCookie); resp.StatusCode != http.StatusOK {
				t.Errorf("the editor opens %s: %d", target, resp.StatusCode)
			}
		}
		_, body = get("/gent/signed-in", clerkCookie)
		nav := staffNavRE.FindStringSubmatch(body)
		if nav == nil || !strings.Contains(nav[1], `href="/gent/admin/site"`) || !strings.Contains(nav[1], `href="/gent/inbox"`) ||
			strings.Contains(nav[1], "/gent/admin/users") {
			t.Fatalf("the editor's navigation: %v", nav)
		}
		// The statistics sit in the Website section, next to the pages.
		_, body = get("/gent/admin/site", clerkCookie)
		if !strings.Contains(body, `<a href="/gent/admin/visits">Bezoekersstatistieken</a>`) {
			t.Fatalf("the Website section lacks the statistics:\n%s", body)
		}
		if resp, _ := get("/gent/admin/users", clerkCookie); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("an editor manages users: %d", resp.StatusCode)
		}

		// An admin edits the site by role: the permission is refused.
		resp, body = le.submit(t, "/gent/admin/users/"+admin.ID+"/site-editor", adminCookie, url.Values{"site_editor": {"yes"}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Een beheerder bewerkt de website al door zijn rol") {
			t.Fatalf("grant to an admin: %d\n%s", resp.StatusCode, body)
		}

		// Revoke: an unchecked box.
		resp, _ = le.submit(t, userPage+"/site-editor", adminCookie, url.Values{})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		if resp, _ := get("/gent/admin/site", clerkCookie); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a revoked editor opens the site editor: %d", resp.StatusCode)
		}
		if resp, _ := get("/gent/admin/visits", clerkCookie); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a revoked editor reads the statistics: %d", resp.StatusCode)
		}
	})
}

// TestSiteEditor_DeletingAnImageAPageShowsIsRefused: deleting an image a
// page's draft shows answers 409 with a message naming the page, and the
// image stays (a page would otherwise show a broken image, WCAG 1.1.1).
func TestSiteEditor_DeletingAnImageAPageShowsIsRefused(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{})
		_, adminCookie := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		id, err := env.DB.SaveSiteImage(context.Background(), op, le.gent.ID, tinyPNG, map[string]string{"nl": "Het stadspark"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.DB.SaveSitePage(context.Background(), op, le.gent.ID, "", store.SiteDraft{Slug: "parken",
			Text: map[string]store.SiteText{"nl": {Title: "Parken en pleinen", Body: "![Het stadspark](/gent/site/images/" + id + ")"}}}, 0); err != nil {
			t.Fatal(err)
		}
		resp, body := le.submit(t, "/gent/admin/site/images/"+id+"/delete", adminCookie, url.Values{})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `<div class="error-summary" role="alert" tabindex="-1"><p>Deze afbeelding is niet verwijderd: ze staat op deze pagina&#39;s: Parken en pleinen.`) {
			t.Fatalf("delete of an image in use: %d\n%s", resp.StatusCode, body)
		}
		if _, err := env.DB.SiteImageData(context.Background(), le.gent.ID, id); err != nil {
			t.Fatalf("the image is gone: %v", err)
		}
	})
}
