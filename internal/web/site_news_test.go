package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestSiteNews_EditorPublishesVisitorReads: a news item without a date or
// with one that does not parse is refused on the date field (error
// summary, aria-describedby) and nothing is saved; a good one is a draft
// until published; then the visitor reads it with its date, in the list
// (newest first, paginated) and in the Atom feed, in their language or in
// the default one marked with lang.
func TestSiteNews_EditorPublishesVisitorReads(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		ctx := context.Background()
		good := url.Values{"slug": {"kerstmarkt"}, "date": {"05.12.2026"}, "version": {"0"},
			"nl-title": {"Kerstmarkt op de Korenmarkt"}, "nl-summary": {"Van 5 tot 24 december"}, "nl-body": {"## Waar\n\nOp de Korenmarkt."}}
		for name, tc := range map[string]struct{ date, want string }{
			"no date":     {"", "Geef de datum van het nieuwsbericht."},
			"not a date":  {"volgende week", "Geef een bestaande datum als dd.mm.jjjj"},
			"no such day": {"30.02.2026", "Geef een bestaande datum als dd.mm.jjjj"},
		} {
			t.Run(name, func(t *testing.T) {
				bad := url.Values{}
				for k, v := range good {
					bad[k] = v
				}
				bad.Set("date", tc.date)
				page := fe.post(t, "/gent/admin/site/news/new", bad, http.StatusUnprocessableEntity)
				if !strings.Contains(page, tc.want) || !strings.Contains(page, `href="#date"`) ||
					!strings.Contains(page, `aria-describedby="date-hint date-error"`) || !strings.Contains(page, `value="Kerstmarkt op de Korenmarkt"`) {
					t.Fatalf("the refusal does not say %q on the date:\n%s", tc.want, page)
				}
			})
		}
		if news, _ := env.DB.SiteNews(ctx, fe.gent.ID); len(news) != 0 {
			t.Fatalf("a refused save saved %d items", len(news))
		}
		resp, _ := fe.submit(t, "/gent/admin/site/news/new", fe.admin, good)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/gent/admin/site/") {
			t.Fatalf("save: %d %q", resp.StatusCode, loc)
		}
		editPath, _, _ := strings.Cut(loc, "?")
		if resp, _ := fe.get(t, "/gent/site/news/kerstmarkt", ""); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a draft is public: %d", resp.StatusCode)
		}
		_, edit := fe.get(t, editPath, fe.admin)
		if !strings.Contains(edit, `value="05.12.2026"`) || !strings.Contains(edit, "Nieuwsbericht bewerken") ||
			!strings.Contains(edit, `<a href="/gent/admin/site/news" aria-current="page">Nieuws</a>`) {
			t.Fatalf("the editor's form lacks the date:\n%s", edit)
		}
		_, preview := fe.get(t, editPath+"/preview", fe.admin)
		if !strings.Contains(preview, "<strong>Voorbeeld</strong>") || !strings.Contains(preview, `<time datetime="2026-12-05">05.12.2026</time>`) {
			t.Fatalf("preview:\n%s", preview)
		}
		fe.post(t, editPath+"/publish", url.Values{"version": {"1"}}, http.StatusSeeOther)
		_, item := fe.get(t, "/gent/site/news/kerstmarkt", "")
		for _, want := range []string{"<h1>Kerstmarkt op de Korenmarkt</h1>", `<time datetime="2026-12-05">05.12.2026</time>`, "<h2>Waar</h2>", `href="/gent/site/news"`} {
			if !strings.Contains(item, want) {
				t.Errorf("the news item lacks %s", want)
			}
		}
		_, fr := fe.get(t, "/gent/site/news?lang=fr", "")
		if !strings.Contains(fr, "<h1>Actualités</h1>") || !strings.Contains(fr, `<li lang="nl">`) || !strings.Contains(fr, "Kerstmarkt op de Korenmarkt") {
			t.Errorf("French list: no lang on the Dutch item:\n%s", fr)
		}
		_, feed := fe.get(t, "/gent/site/news/feed.atom", "")
		if !strings.Contains(feed, `<feed xmlns="http://www.w3.org/2005/Atom"`) || !strings.Contains(feed, "<title>Kerstmarkt op de Korenmarkt</title>") ||
			!strings.Contains(feed, "/gent/site/news/kerstmarkt") {
			t.Errorf("feed:\n%s", feed)
		}
		// With a primary host the feed links there, without the prefix (LOC-2).
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		if _, err := env.DB.AddTenantHost(ctx, op, fe.gent.ID, "e-loket.gent.be"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.SetTenantPrimaryHost(ctx, op, fe.gent.ID, "e-loket.gent.be"); err != nil {
			t.Fatal(err)
		}
		fe.app.primaryHosts.forget(fe.gent.ID)
		if _, feed := fe.get(t, "/gent/site/news/feed.atom", ""); !strings.Contains(feed, `<link href="https://e-loket.gent.be/site/news/kerstmarkt">`) ||
			strings.Contains(feed, "/gent/site/news") {
			t.Errorf("feed with a primary host:\n%s", feed)
		}
		if err := env.DB.SetTenantPrimaryHost(ctx, op, fe.gent.ID, ""); err != nil {
			t.Fatal(err)
		}
		fe.app.primaryHosts.forget(fe.gent.ID)
		// Eleven more, older items: the list pages by ten, newest first.
		admin := audit.Actor{Kind: audit.KindUser, ID: "editor"}
		for i := 1; i <= 11; i++ {
			id, _, err := env.DB.SaveSitePage(ctx, admin, fe.gent.ID, "", store.SiteDraft{Kind: store.SiteKindNews, Slug: fmt.Sprintf("oud-%d", i),
				Date: fmt.Sprintf("%02d.11.2026", i), Text: map[string]store.SiteText{"nl": {Title: fmt.Sprintf("Oud %d", i)}}}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := env.DB.PublishSitePage(ctx, admin, fe.gent.ID, id, 1); err != nil {
				t.Fatal(err)
			}
		}
		_, first := fe.get(t, "/gent/site/news", "")
		if !strings.Contains(first, "Pagina 1 van 2") || strings.Index(first, "Kerstmarkt") > strings.Index(first, "Oud 11") ||
			!strings.Contains(first, `href="/gent/site/news?page=2" rel="next"`) || strings.Contains(first, ">Oud 1<") {
			t.Errorf("first page of news:\n%s", first)
		}
		if _, second := fe.get(t, "/gent/site/news?page=2", ""); !strings.Contains(second, ">Oud 1<") || !strings.Contains(second, `rel="prev"`) {
			t.Errorf("second page of news:\n%s", second)
		}
		if resp, _ := fe.get(t, "/gent/site/news?page=3", ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("a page past the end: %d", resp.StatusCode)
		}
		_, list := fe.get(t, "/gent/admin/site/news", fe.admin)
		if !strings.Contains(list, "05.12.2026") || !strings.Contains(list, "Kerstmarkt op de Korenmarkt") {
			t.Errorf("the editor's list:\n%s", list)
		}
	})
}

// TestSiteHome_EditorComposesFrontPage: without a composed home page the
// front page is what it was; a composed one is saved as a draft (the
// front page does not change), refused field by field on a bad number of
// news items, and once published shows the intro, the featured pages in
// the chosen order and the latest news, with the forms still linked.
func TestSiteHome_EditorComposesFrontPage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		ctx := context.Background()
		admin := audit.Actor{Kind: audit.KindUser, ID: "editor"}
		var ids []string
		for _, slug := range []string{"contact", "afval"} {
			id, _, err := env.DB.SaveSitePage(ctx, admin, fe.gent.ID, "", store.SiteDraft{Slug: slug, Position: 1,
				Text: map[string]store.SiteText{"nl": {Title: "Pagina " + slug, Summary: "Over " + slug}}}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := env.DB.PublishSitePage(ctx, admin, fe.gent.ID, id, 1); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		news, _, err := env.DB.SaveSitePage(ctx, admin, fe.gent.ID, "", store.SiteDraft{Kind: store.SiteKindNews, Slug: "markt",
			Date: "01.12.2026", Text: map[string]store.SiteText{"nl": {Title: "Markt"}}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.PublishSitePage(ctx, admin, fe.gent.ID, news, 1); err != nil {
			t.Fatal(err)
		}
		_, before := fe.get(t, "/gent/", "")
		if !strings.Contains(before, "<h2>Formulieren</h2>") || strings.Contains(before, "Welkom in Gent") {
			t.Fatalf("the front page without a home page:\n%s", before)
		}
		form := url.Values{"version": {"0"}, "news": {"veel"}, "nl-body": {"Welkom in **Gent**."}, "fr-body": {"Bienvenue à Gand."},
			"feature-" + ids[1]: {"1"}, "feature-" + ids[0]: {"2"}}
		page := fe.post(t, "/gent/admin/site/home", form, http.StatusUnprocessableEntity)
		if !strings.Contains(page, `href="#news"`) || !strings.Contains(page, "Geef een aantal nieuwsberichten van 0 tot 20.") ||
			!strings.Contains(page, `value="veel"`) {
			t.Fatalf("a bad number of news items:\n%s", page)
		}
		if _, err := env.DB.SiteHomePage(ctx, fe.gent.ID); err == nil {
			t.Fatal("a refused home page was saved")
		}
		form.Set("news", "2")
		resp, _ := fe.submit(t, "/gent/admin/site/home", fe.admin, form)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/gent/admin/site/") {
			t.Fatalf("save: %d %q", resp.StatusCode, loc)
		}
		editPath, _, _ := strings.Cut(loc, "?")
		if resp, _ := fe.get(t, "/gent/admin/site/home", fe.admin); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != editPath {
			t.Fatalf("the home page's editor does not lead to the saved one: %d", resp.StatusCode)
		}
		if _, same := fe.get(t, "/gent/", ""); strings.Contains(same, "Welkom") {
			t.Fatal("a saved, unpublished home page changed the front page")
		}
		if _, preview := fe.get(t, editPath+"/preview", fe.admin); !strings.Contains(preview, "<strong>Gent</strong>") || !strings.Contains(preview, "<strong>Voorbeeld</strong>") {
			t.Fatalf("preview:\n%s", preview)
		}
		fe.post(t, editPath+"/publish", url.Values{"version": {"1"}}, http.StatusSeeOther)
		_, after := fe.get(t, "/gent/", "")
		for _, want := range []string{"Welkom in <strong>Gent</strong>.", `href="/gent/site/afval"`, "Over afval", `href="/gent/site/news/markt"`,
			`<time datetime="2026-12-01">01.12.2026</time>`, `href="/gent/site/news"`, "<h2>Formulieren</h2>", `href="/gent/privacy"`} {
			if !strings.Contains(after, want) {
				t.Errorf("the composed front page lacks %s", want)
			}
		}
		if _, fr := fe.get(t, "/gent/?lang=fr", ""); !strings.Contains(fr, `<div class="site-body"><p>Bienvenue à Gand.</p>`) {
			t.Errorf("the French front page lacks the French intro:\n%s", fr)
		}
		if strings.Index(after, "/gent/site/afval") > strings.Index(after, "/gent/site/contact") {
			t.Error("the featured pages are not in the chosen order")
		}
		_, edit := fe.get(t, editPath, fe.admin)
		if !strings.Contains(edit, "Versie 1 is gepubliceerd") || !strings.Contains(edit, `<a href="/gent/admin/site/home" aria-current="page">Voorpagina</a>`) {
			t.Errorf("the editor's page lacks the published state:\n%s", edit)
		}
	})
}

// TestSiteNews_PublicPagesAreCounted: the news list, a news item and the
// composed front page are counted by the consent-free analytics, by path.
func TestSiteNews_PublicPagesAreCounted(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		a, _, c, tn := analyticsEnv(t, env, Options{})
		ctx := context.Background()
		admin := audit.Actor{Kind: audit.KindUser, ID: "editor"}
		for _, d := range []store.SiteDraft{
			{Kind: store.SiteKindNews, Slug: "markt", Date: "01.12.2026", Text: map[string]store.SiteText{"nl": {Title: "Markt"}}},
			{Kind: store.SiteKindHome, Home: store.SiteHome{News: 1}, Text: map[string]store.SiteText{"nl": {Body: "Welkom."}}},
			{Slug: "contact", Text: map[string]store.SiteText{"nl": {Title: "Contact"}}},
		} {
			id, _, err := env.DB.SaveSitePage(ctx, admin, tn.ID, "", d, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := env.DB.PublishSitePage(ctx, admin, tn.ID, id, 1); err != nil {
				t.Fatal(err)
			}
		}
		ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0"
		paths := []string{"/gent/site/news", "/gent/site/news/markt", "/gent/", "/gent/site/contact"}
		for _, p := range paths {
			resp := request{target: p, header: map[string]string{"User-Agent": ua}}.do(t, a.Handler())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", p, resp.StatusCode)
			}
		}
		got := map[string]int64{}
		for v, n := range c.Drain().Views {
			got[v.Path] += n
		}
		for _, p := range paths {
			if got[strings.TrimPrefix(p, "/gent")] != 1 {
				t.Errorf("%s counted %d times: %v", p, got[strings.TrimPrefix(p, "/gent")], got)
			}
		}
	})
}
