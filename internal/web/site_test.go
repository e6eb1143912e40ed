package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/storetest"
)

// TestSitePages_EditorPublishesVisitorReads: an admin's save with raw
// HTML, a javascript: link or an image without alt text is refused with
// the field's message and saves nothing; a good save is a draft (404 to
// visitors) until published; the visitor then reads it in their language,
// or in the default one marked with lang, with the menu, linked from the
// front page; taken offline it is a 404 again.
func TestSitePages_EditorPublishesVisitorReads(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		ctx := context.Background()
		good := url.Values{"slug": {"openingsuren"}, "position": {"1"}, "version": {"0"},
			"nl-title": {"Openingsuren"}, "nl-summary": {"Wanneer het loket open is"},
			"nl-body": {"## Loket\n\nOpen van **9 tot 12**. ![Het gemeentehuis](/gent/logo)"}}
		for name, tc := range map[string]struct{ body, want string }{
			"raw html":          {"<script>alert(1)</script>", "HTML is niet toegelaten"},
			"javascript link":   {"[klik](javascript:alert(1))", "deze link is niet toegelaten (javascript:alert(1))"},
			"image without alt": {"![](/gent/logo)", "heeft geen alternatieve tekst"},
		} {
			t.Run(name, func(t *testing.T) {
				bad := url.Values{}
				for k, v := range good {
					bad[k] = v
				}
				bad.Set("nl-body", tc.body)
				page := fe.post(t, "/gent/admin/site/new", bad, http.StatusUnprocessableEntity)
				if !strings.Contains(page, tc.want) || !strings.Contains(page, `href="#nl-body"`) ||
					!strings.Contains(page, `aria-describedby="nl-body-hint nl-body-error"`) {
					t.Fatalf("the refusal does not say %q on the field:\n%s", tc.want, page)
				}
			})
		}
		if pages, _ := env.DB.SitePages(ctx, fe.gent.ID); len(pages) != 0 {
			t.Fatalf("a refused save saved %d pages", len(pages))
		}
		resp, _ := fe.submit(t, "/gent/admin/site/new", fe.admin, good)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/gent/admin/site/") {
			t.Fatalf("save: %d %q", resp.StatusCode, loc)
		}
		editPath, _, _ := strings.Cut(loc, "?")
		if resp, _ := fe.get(t, "/gent/site/openingsuren", ""); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a draft is public: %d", resp.StatusCode)
		}
		_, preview := fe.get(t, editPath+"/preview", fe.admin)
		if !strings.Contains(preview, "<strong>Voorbeeld</strong>") || !strings.Contains(preview, "<strong>9 tot 12</strong>") {
			t.Fatalf("preview:\n%s", preview)
		}
		fe.post(t, editPath+"/publish", url.Values{"version": {"1"}}, http.StatusSeeOther)
		_, page := fe.get(t, "/gent/site/openingsuren", "")
		for _, want := range []string{"<h1>Openingsuren</h1>", "<h2>Loket</h2>", `alt="Het gemeentehuis"`, `aria-current="page"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the public page lacks %s", want)
			}
		}
		// In French, the Dutch text is marked as Dutch.
		_, fr := fe.get(t, "/gent/site/openingsuren?lang=fr", "")
		if !strings.Contains(fr, `<article class="site-page" lang="nl">`) || !strings.Contains(fr, `<a href="/gent/site/openingsuren" lang="nl"`) {
			t.Errorf("French visitor: no lang on the Dutch text:\n%s", fr)
		}
		if _, home := fe.get(t, "/gent/", ""); !strings.Contains(home, `href="/gent/site/openingsuren"`) {
			t.Errorf("the front page does not link the page")
		}
		_, edit := fe.get(t, editPath, fe.admin)
		if !strings.Contains(edit, "Versie 1 is gepubliceerd") || !strings.Contains(edit, "(gepubliceerd)") {
			t.Errorf("the editor's page lacks the published state and history:\n%s", edit)
		}
		fe.post(t, editPath+"/unpublish", url.Values{"x": {"1"}}, http.StatusSeeOther)
		if resp, _ := fe.get(t, "/gent/site/openingsuren", ""); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("an unpublished page is public: %d", resp.StatusCode)
		}
	})
}
